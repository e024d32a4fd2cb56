// ledger.js: the views any role or the auditor uses: blocks and their certificates, the
// checkpoint, a household's access log with its inclusion proofs, verifying a receipt.
import {
  BLOCKS_PER_PAGE, BLOCK_TXS_SHOWN, state, $, t, label, el, timeText, short, hexCode,
  programmeName, isHex64, monthInputValue, verifyInclusion, canHashHere, api, setError, dl, table,
  proofBadge, busy, verifyAnswer,
} from './core.js';

// ------------------------------------------------------------ blocks
export async function loadBlocks(top) {
  setError('blocks', null);
  $('blocks-result').replaceChildren(el('p', { class: 'muted', text: t('loading') }));
  try {
    let head = 0;
    try {
      const { json } = await api('GET', '/v1/checkpoint');
      head = json.header.height;
    } catch (err) {
      if (err.status !== 404) throw err;
    }
    const hi = top === null || top === undefined || top > head ? head : top;
    const heights = [];
    for (let h = hi; h >= 1 && heights.length < BLOCKS_PER_PAGE; h--) heights.push(h);
    const rows = await Promise.all(heights.map((h) => api('GET', '/v1/blocks/' + h).then((x) => x.json)));
    state.blocks = { head, top: hi, rows };
  } catch (err) {
    state.blocks = null;
    setError('blocks', err);
  }
  if (state.view === 'blocks') renderBlocks();
}
export function renderBlocks() {
  const out = $('blocks-result');
  const b = state.blocks;
  if (!b) { if (!state.errors.blocks) out.replaceChildren(); return; }
  if (b.head === 0) { out.replaceChildren(el('p', { class: 'empty', text: t('blocks.empty') })); return; }
  const pager = el('div', { class: 'actions pager' },
    el('button', { type: 'button', class: 'secondary', id: 'blocks-newer', disabled: b.top >= b.head,
                   onclick: () => loadBlocks(Math.min(b.head, b.top + BLOCKS_PER_PAGE)), text: t('blocks.newer') }),
    el('button', { type: 'button', class: 'secondary', id: 'blocks-older', disabled: b.top <= BLOCKS_PER_PAGE,
                   onclick: () => loadBlocks(b.top - BLOCKS_PER_PAGE), text: t('blocks.older') }),
    el('button', { type: 'button', class: 'secondary', id: 'blocks-reload', onclick: () => loadBlocks(null), text: t('reload') }));
  out.replaceChildren(
    el('p', { id: 'blocks-summary', text: t('blocks.head', { h: b.head, n: BLOCKS_PER_PAGE }) }),
    table(t('blocks.title'),
      [t('blocks.height'), t('blocks.time'), t('blocks.txs'), t('blocks.proposer'), t('blocks.votes'), t('blocks.hash')],
      b.rows.map((x) => el('tr', { dataset: { height: x.header.height } },
        el('td', {}, el('a', { href: '#/blocks/' + x.header.height, 'aria-label': t('blocks.open', { h: x.header.height }),
                               text: String(x.header.height) })),
        el('td', { text: timeText(x.header.time_ms) }),
        el('td', { class: 'num', text: String(x.header.tx_count) }),
        el('td', { class: 'num', text: String(x.header.proposer) }),
        el('td', { class: 'num', text: String((x.certificate.votes || []).length) }),
        el('td', {}, hexCode(x.header.hash, 16)))), { id: 'blocks-table' }),
    pager);
}
export async function loadBlock(h) {
  state.block = { height: h, data: null, tx: null };
  setError('block', null);
  renderBlock();
  try {
    const { json } = await api('GET', '/v1/blocks/' + h);
    if (state.block && state.block.height === h) state.block.data = json;
  } catch (err) {
    setError('block', err);
  }
  if (state.view === 'block') renderBlock();
}
export function headerFacts(hd) {
  return dl([
    [t('field.height'), String(hd.height)],
    [t('field.time_ms'), timeText(hd.time_ms)],
    [t('field.hash'), el('code', { class: 'hex', text: hd.hash })],
    [t('field.prev_hash'), el('code', { class: 'hex', text: hd.prev_hash })],
    [t('field.proposer'), String(hd.proposer)],
    [t('field.tx_count'), String(hd.tx_count)],
    [t('field.tx_root'), el('code', { class: 'hex', text: hd.tx_root })],
    [t('field.log_size'), String(hd.log_size)],
    [t('field.log_root'), el('code', { class: 'hex', text: hd.log_root })],
    [t('field.index_root'), el('code', { class: 'hex', text: hd.index_root })],
    [t('field.suite'), hd.suite],
    [t('field.chain_id'), hd.chain_id],
  ]);
}
export function certificateSection(c, id) {
  const votes = c.votes || [];
  return el('section', { class: 'block', 'aria-labelledby': id + '-h', id },
    el('h2', { id: id + '-h', text: t('block.certificate') }),
    el('p', { class: 'cert-summary', text: t('block.cert_summary', { round: c.round, n: votes.length,
                                                            members: votes.map((v) => v.member).join(', ') }) }),
    dl([[t('field.height'), String(c.height)], [t('field.round'), String(c.round)],
        [t('field.block_hash'), el('code', { class: 'hex', text: c.block_hash })]]),
    table(t('block.certificate'), [t('block.vote_member'), t('block.vote_signature')],
      votes.map((v) => el('tr', {}, el('td', { class: 'num', text: String(v.member) }),
                                    el('td', {}, hexCode(v.signature, 24)))), { class: 'votes' }));
}
export function renderBlock() {
  const out = $('block-result');
  const b = state.block;
  $('block-h').textContent = b ? t('block.title', { h: b.height }) : '';
  if (!b || !b.data) { out.replaceChildren(b && !state.errors.block ? el('p', { class: 'muted', text: t('loading') }) : ''); return; }
  const d = b.data;
  const ids = d.tx_ids || [];
  const txBox = el('div', { id: 'tx-record', 'aria-live': 'polite' });
  if (b.tx) txBox.append(el('pre', { class: 'json', text: JSON.stringify(b.tx, null, 2) }));
  const showTx = async (id) => {
    try {
      const { json } = await api('GET', '/v1/tx/' + id);
      b.tx = json;
      txBox.replaceChildren(el('pre', { class: 'json', text: JSON.stringify(json, null, 2) }));
    } catch (err) {
      setError('block', err);
    }
  };
  const h = d.header.height;
  out.replaceChildren(
    el('div', { class: 'actions' },
      el('a', { href: '#/blocks', class: 'button secondary', text: t('block.back') }),
      h > 1 ? el('a', { href: '#/blocks/' + (h - 1), class: 'button secondary', text: t('block.prev') }) : null,
      el('a', { href: '#/blocks/' + (h + 1), class: 'button secondary', text: t('block.next') })),
    el('section', { class: 'block', 'aria-labelledby': 'header-h' },
      el('h2', { id: 'header-h', text: t('block.header') }), headerFacts(d.header)),
    certificateSection(d.certificate, 'block-certificate'),
    el('section', { class: 'block', 'aria-labelledby': 'txs-h' },
      el('h2', { id: 'txs-h', text: t('block.txs', { n: ids.length }) }),
      el('ul', { class: 'tx-list' }, ids.slice(0, BLOCK_TXS_SHOWN).map((id) => el('li', {},
        el('button', { type: 'button', class: 'link-button', onclick: () => showTx(id),
                       'aria-label': t('block.show_tx') + ' ' + id }, el('code', { class: 'hex', text: id }))))),
      ids.length > BLOCK_TXS_SHOWN ? el('p', { class: 'muted', text: t('block.more_txs', { n: ids.length - BLOCK_TXS_SHOWN }) }) : null,
      txBox));
}

// ------------------------------------------------------------ checkpoint
export async function loadCheckpoint() {
  setError('checkpoint', null);
  try {
    const { json } = await api('GET', '/v1/checkpoint');
    state.checkpoint = json;
    if (json && json.header) state.suite = json.header.suite;
  } catch (err) {
    state.checkpoint = null;
    setError('checkpoint', err);
  }
  if (state.view === 'checkpoint') renderCheckpoint();
}
export function renderCheckpoint() {
  const out = $('checkpoint-result');
  const c = state.checkpoint;
  if (!c) { out.replaceChildren(); return; }
  out.replaceChildren(
    el('section', { class: 'block', 'aria-labelledby': 'cp-header-h', id: 'checkpoint-header' },
      el('h2', { id: 'cp-header-h', text: t('block.header') }), headerFacts(c.header),
      el('p', {}, el('a', { href: '#/blocks/' + c.header.height, text: t('blocks.open', { h: c.header.height }) }))),
    certificateSection(c.certificate, 'checkpoint-certificate'),
    el('details', {}, el('summary', { text: t('checkpoint.hex') }),
      el('h3', { text: t('checkpoint.header_hex') }), el('pre', { class: 'hex-block', text: c.header_hex }),
      el('h3', { text: t('checkpoint.certificate_hex') }), el('pre', { class: 'hex-block', text: c.certificate_hex })));
}

// ------------------------------------------------------------ access log
export async function submitAccess(ev) {
  ev.preventDefault();
  const err = $('access-form-err');
  const kase = $('access-case').value.trim();
  const household = $('access-household').value.trim();
  const problem = (text) => { err.textContent = text; err.hidden = false; };
  err.hidden = true;
  if ((kase === '') === (household === '')) return problem(t('access.need_one'));
  const params = new URLSearchParams();
  if (kase !== '') {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(kase)) return problem(t('err.case'));
    params.set('household_case', kase);
  } else {
    if (!isHex64(household)) return problem(t('access.bad_household'));
    params.set('household', household.toLowerCase());
  }
  const from = $('access-from').value.trim() === '' ? null : monthInputValue($('access-from'));
  const to = $('access-to').value.trim() === '' ? null : monthInputValue($('access-to'));
  if ($('access-from').value.trim() !== '' && from === null) return problem(t('err.as_of'));
  if ($('access-to').value.trim() !== '' && to === null) return problem(t('err.as_of'));
  if (from !== null && to !== null && from > to) return problem(t('access.bad_range'));
  if (from !== null) params.set('from', String(from));
  if (to !== null) params.set('to', String(to));
  const b = $('access-submit');
  busy(b, true);
  setError('access', null);
  try {
    const { json } = await api('GET', '/v1/access-log?' + params.toString());
    state.access = { answer: json, proofs: new Map() };
    renderAccess();
    checkAccessProofs(state.access);
  } catch (e) {
    state.access = null;
    renderAccess();
    setError('access', e);
  } finally {
    busy(b, false);
  }
  return undefined;
}
export async function checkAccessProofs(access) {
  const a = access.answer;
  const cp = a.checkpoint || {};
  for (const rec of a.records || []) {
    let s = 'unchecked';
    if (canHashHere(state.suite)) {
      try {
        s = (await verifyInclusion(rec.id, rec.log_index, cp.log_size, rec.inclusion_proof, cp.log_root)) ? 'ok' : 'bad';
      } catch (e) {
        s = 'bad';
      }
    }
    access.proofs.set(rec.id, s);
  }
  if (state.access === access && state.view === 'access-log') renderAccess();
}
export function renderAccess() {
  const out = $('access-result');
  const acc = state.access;
  if (!acc) { out.replaceChildren(); return; }
  const a = acc.answer;
  const cp = a.checkpoint || {};
  const recs = Array.isArray(a.records) ? a.records : [];
  const done = recs.every((r) => acc.proofs.has(r.id));
  out.replaceChildren(
    el('p', { id: 'access-summary' }, t('access.summary', { household: short(a.household, 16), h: cp.height,
                                                          size: cp.log_size, n: recs.length })),
    recs.length === 0 ? el('p', { class: 'empty', text: t('access.none') }) :
      table(t('access.title'),
        [t('access.time'), t('access.caseworker'), t('access.agency'), t('access.program'), t('access.purpose'),
         t('access.consent'), t('access.receipt'), t('access.position'), t('access.proof')],
        recs.map((r) => el('tr', { dataset: { id: r.id } },
          el('td', { text: timeText(r.access_time_ms) }),
          el('td', { text: r.caseworker }),
          el('td', { text: label('agency', r.agency) }),
          el('td', { text: programmeName(r.program) }),
          el('td', { text: label('purpose', r.purpose) }),
          el('td', {}, hexCode(r.consent_tx, 10)),
          el('td', {}, hexCode(r.receipt_hash, 10)),
          el('td', { class: 'num', text: r.height + ' / ' + r.log_index }),
          el('td', {}, proofBadge(acc.proofs.get(r.id) || 'pending')))),
        { id: 'access-table', dataset: { done: done ? 'true' : 'false' } }));
}

// ------------------------------------------------------------ verify a receipt
export async function submitVerify(ev) {
  ev.preventDefault();
  const err = $('verify-err');
  err.hidden = true;
  const text = $('verify-text').value;
  if (text.trim() === '') { err.textContent = t('verify.empty'); err.hidden = false; $('verify-text').focus(); return; }
  try { JSON.parse(text); } catch (e) { err.textContent = t('verify.not_json'); err.hidden = false; $('verify-text').focus(); return; }
  const b = $('verify-submit');
  busy(b, true);
  setError('verify', null);
  try {
    const { json } = await api('POST', '/v1/receipts/verify', text);
    state.verify = { answer: json };
  } catch (e) {
    state.verify = null;
    setError('verify', e);
  } finally {
    busy(b, false);
  }
  renderVerify();
}
export function renderVerify() {
  const out = $('verify-result');
  out.replaceChildren(state.verify ? verifyAnswer(state.verify.answer) : '');
}
export async function loadVerifyFile() {
  const f = $('verify-file').files[0];
  if (!f) return;
  $('verify-text').value = await f.text();
}
