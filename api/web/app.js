// app.js: the web console's entry point (docs/CONSOLE.md): language, sign-in and sign-out,
// the menu of the views the role may use, routing by address (#/view), start-up. Plain
// JavaScript modules, no build step, no external resources; served by every node with a
// strict Content-Security-Policy, so nothing here uses inline script, inline styles or eval.
import {
  STRINGS,
} from './strings.js';
import {
  LANGS, LANG_KEY, TOKEN_KEY, VIEWS, hooks, state, $, t, label, el, setStatus, show, todayCst,
  ApiError, api, errorBox, busy,
} from './core.js';
import {
  loadPrograms, renderProgramOptions, fieldError, submitCheck, redrawChart, openForPrint,
  closeAfterPrint, renderCheck, loadAlerts, renderAlerts,
} from './check.js';
import {
  loadBlocks, renderBlocks, loadBlock, renderBlock, loadCheckpoint, renderCheckpoint,
  submitAccess, renderAccess, submitVerify, renderVerify, loadVerifyFile,
} from './ledger.js';

// ------------------------------------------------------------ language
function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.title = t('app.title');
  for (const n of document.querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
  for (const n of document.querySelectorAll('[data-i18n-aria]')) n.setAttribute('aria-label', t(n.dataset.i18nAria));
  const sw = $('lang-switch');
  sw.textContent = t('lang.switch');
  sw.setAttribute('lang', state.lang === 'en' ? 'zh-CN' : 'en');
  sw.setAttribute('aria-label', t('lang.switch_label'));
  renderChrome();
  renderProgramOptions();
  if (state.view) renderView(state.view);
}
function setLanguage(lang) {
  state.lang = LANGS.includes(lang) ? lang : 'zh-CN';
  try { localStorage.setItem(LANG_KEY, state.lang); } catch (e) { /* storage may be disabled */ }
  applyLanguage();
}

// ------------------------------------------------------------ session
function allowedViews() {
  if (!state.who) return [];
  return VIEWS.filter((v) => v.roles.includes(state.who.role));
}
async function signIn(token, quiet) {
  state.token = token;
  try {
    const { json } = await api('GET', '/v1/whoami');
    if (!json || typeof json.role !== 'string' || typeof json.principal !== 'string') {
      throw new ApiError(200, 'other', 'unexpected /v1/whoami answer');
    }
    state.who = json;
    try { sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* kept in memory only */ }
    learnSuite();
    renderChrome();
    route(true);
    if (!quiet) setStatus(t('signin.ok', { who: whoText() }));
    return null;
  } catch (err) {
    state.token = null;
    state.who = null;
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing to clear */ }
    return err;
  }
}
function signOut(reasonKey) {
  state.token = null;
  state.who = null;
  state.check = null;
  state.alerts = null;
  state.blocks = null;
  state.block = null;
  state.checkpoint = null;
  state.access = null;
  state.verify = null;
  state.errors = {};
  try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing to clear */ }
  for (const f of document.querySelectorAll('form')) f.reset();
  for (const id of ['check-result', 'alerts-result', 'blocks-result', 'block-result',
                    'checkpoint-result', 'access-result', 'verify-result']) $(id).replaceChildren();
  for (const b of document.querySelectorAll('.error-box')) b.hidden = true;
  renderChrome();
  setStatus(t(reasonKey || 'signin.signed_out'));
  showView('signin');
}
function whoText() {
  if (!state.who) return '';
  return t('who', { principal: state.who.principal, role: label('role', state.who.role) });
}
async function learnSuite() {
  try {
    const { json } = await api('GET', '/v1/checkpoint');
    state.suite = json && json.header ? json.header.suite : null;
  } catch (e) {
    state.suite = null;
  }
}

// ------------------------------------------------------------ chrome and routing
function renderChrome() {
  const who = $('who');
  who.textContent = whoText();
  show(who, !!state.who);
  show($('sign-out'), !!state.who);
  const nav = $('nav');
  const views = allowedViews();
  const current = state.view === 'block' ? 'blocks' : state.view;
  nav.replaceChildren(el('ul', {}, views.map((v) => el('li', {},
    el('a', { href: '#/' + v.id, id: 'nav-' + v.id, 'aria-current': v.id === current ? 'page' : null,
              text: t('nav.' + v.id) })))));
  show(nav, views.length > 0);
}
function showView(id) {
  state.view = id;
  for (const s of document.querySelectorAll('main > .view')) s.hidden = s.id !== 'view-' + id;
  renderChrome();
}
function parseHash() {
  const h = location.hash || '';
  const m = /^#\/([a-z-]+)(?:\/(\d+))?$/.exec(h);
  if (!m) return null;
  return { view: m[1], arg: m[2] === undefined ? null : Number(m[2]) };
}
function route(focus) {
  if (focus) setStatus('');
  if (!state.who) { showView('signin'); if (focus) $('signin-h').focus(); return; }
  const views = allowedViews();
  let r = parseHash();
  if (r && r.view === 'blocks' && r.arg !== null && views.some((v) => v.id === 'blocks')) {
    showView('block');
    loadBlock(r.arg);
    if (focus) $('block-h').focus();
    return;
  }
  if (!r || !views.some((v) => v.id === r.view)) {
    if (views.length === 0) { showView('signin'); return; }
    r = { view: views[0].id };
    history.replaceState(null, '', '#/' + r.view);
  }
  showView(r.view);
  enterView(r.view);
  if (focus) {
    const h = document.querySelector('#view-' + r.view + ' h1');
    if (h) h.focus();
  }
}
function enterView(id) {
  if (id === 'check') loadPrograms();
  if (id === 'blocks') loadBlocks(state.blocks ? state.blocks.top : null);
  if (id === 'checkpoint') loadCheckpoint();
  if (id === 'alerts' && !state.alerts) loadAlerts();
  renderView(id);
}
function renderView(id) {
  const r = {
    signin: () => {},
    check: renderCheck,
    alerts: renderAlerts,
    blocks: renderBlocks,
    block: renderBlock,
    checkpoint: renderCheckpoint,
    'access-log': renderAccess,
    verify: renderVerify,
  }[id];
  if (r) r();
  const err = state.errors[id === 'access-log' ? 'access' : id];
  const box = $((id === 'access-log' ? 'access' : id) + '-error');
  if (box) errorBox(box, err || null);
}

// ------------------------------------------------------------ start
function init() {
  let lang = 'zh-CN';
  try { lang = localStorage.getItem(LANG_KEY) || 'zh-CN'; } catch (e) { /* default */ }
  state.lang = LANGS.includes(lang) ? lang : 'zh-CN';
  // Default month of a check: this month in China Standard Time.
  const today = todayCst();
  $('as-of').value = Math.floor(today / 10000) + '-' + String(Math.floor(today / 100) % 100).padStart(2, '0');
  $('lang-switch').addEventListener('click', () => setLanguage(state.lang === 'en' ? 'zh-CN' : 'en'));
  $('sign-out').addEventListener('click', () => signOut('signin.signed_out'));
  $('skip-link').addEventListener('click', (ev) => { ev.preventDefault(); $('main').focus(); });
  $('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('token');
    const token = input.value.trim();
    const errP = $('token-err');
    errP.hidden = true;
    if (token === '') { errP.textContent = t('signin.empty'); errP.hidden = false; input.focus(); return; }
    const b = $('signin-submit');
    busy(b, true);
    const err = await signIn(token, false);
    busy(b, false);
    if (err) {
      errP.textContent = err.status === 404 ? t('signin.no_whoami')
        : (err.status === 401 ? t('signin.bad') : (STRINGS[state.lang]['api.' + err.code] ? t('api.' + err.code) : t('api.other', { status: err.status })));
      errP.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } else {
      input.value = '';
      input.removeAttribute('aria-invalid');
    }
  });
  $('check-form').addEventListener('submit', submitCheck);
  $('check-form').addEventListener('reset', () => {
    for (const id of ['case', 'as-of', 'consent']) fieldError(id, null);
    $('members-err').hidden = true;
    $('members').removeAttribute('aria-invalid');
  });
  $('alerts-form').addEventListener('submit', loadAlerts);
  $('checkpoint-reload').addEventListener('click', loadCheckpoint);
  $('access-form').addEventListener('submit', submitAccess);
  $('verify-form').addEventListener('submit', submitVerify);
  $('verify-file').addEventListener('change', loadVerifyFile);
  window.addEventListener('hashchange', () => route(true));
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(redrawChart, 150);
  });
  window.addEventListener('beforeprint', openForPrint);
  window.addEventListener('afterprint', closeAfterPrint);
  applyLanguage();
  let token = null;
  try { token = sessionStorage.getItem(TOKEN_KEY); } catch (e) { token = null; }
  if (token) {
    signIn(token, true).then((err) => { if (err) { setStatus(t('signin.expired')); route(false); } });
  } else {
    route(false);
  }
}

hooks.onUnauthenticated = () => signOut('signin.expired');
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
