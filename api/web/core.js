// core.js: the web console's shared state and tools (docs/CONSOLE.md): strings lookup, DOM
// building (createElement/textContent only: no HTML from data), amounts in yuan by integer
// arithmetic, months and times, ID-number validation (GB 11643, as the node does), RFC 9162
// inclusion proofs with WebCrypto SHA-256, the API client and the shared renderers.
import { STRINGS } from './strings.js';

// ------------------------------------------------------------ constants
export const LANGS = ['zh-CN', 'en'];
export const LANG_KEY = 'hearth.console.lang';      // localStorage
export const TOKEN_KEY = 'hearth.console.token';    // sessionStorage
export const ANY_ROLE = ['agency', 'caseworker', 'auditor', 'admin'];
// Views in menu order, with the roles the API lets use them (docs/API.md, console-api).
export const VIEWS = [
  { id: 'check', roles: ['caseworker'] },
  { id: 'alerts', roles: ['caseworker'] },
  { id: 'blocks', roles: ANY_ROLE },
  { id: 'checkpoint', roles: ANY_ROLE },
  { id: 'access-log', roles: ['auditor'] },
  { id: 'verify', roles: ANY_ROLE },
];
export const PROGRAMMES = ['dibao', 'low_income', 'tekun', 'disability_living', 'disability_nursing', 'heating'];
export const KINDS = { 0x11: 'attestation', 0x12: 'household', 0x13: 'consent', 0x14: 'enrollment',
                0x15: 'access', 0x16: 'ruleset', 0x17: 'keyevent' };
export const MEMBERS_MAX = 32;
export const BLOCKS_PER_PAGE = 10;
export const BLOCK_TXS_SHOWN = 200;
export const SVG_NS = 'http://www.w3.org/2000/svg';  // a namespace name, never fetched
export const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
export const ID_CHECK_CHARS = '10X98765432';

// Set by app.js: what to do when the node says the token is no longer valid.
export const hooks = { onUnauthenticated: () => {} };

export const state = {
  lang: 'zh-CN',
  token: null,
  who: null,           // the /v1/whoami answer
  suite: null,         // the chain's suite, from /v1/checkpoint
  programs: null,      // [{code, name_zh, name_en}] or null before loading
  programsFallback: false,
  check: null,         // {receipt, text, accessRecord, proofs: Map id -> 'ok'|'bad'|'unchecked'|'pending', nodeVerify}
  alerts: null,
  blocks: null,        // {head, top, rows}
  block: null,         // {height, data, txRecord}
  checkpoint: null,
  access: null,        // {answer, proofs}
  verify: null,        // {answer}
  errors: {},          // view id -> ApiError
  view: null,
};

// ------------------------------------------------------------ small helpers
export const $ = (id) => document.getElementById(id);

export function t(key, params) {
  let s = STRINGS[state.lang][key];
  if (s === undefined) s = STRINGS['zh-CN'][key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined ? m : String(params[k])));
  return s;
}
// A code's label when the table has one, else the code itself.
export function label(prefix, code) {
  const key = prefix + '.' + code;
  return STRINGS[state.lang][key] !== undefined ? STRINGS[state.lang][key] : String(code);
}

export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}
export function svgEl(tag, attrs, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}
export function setAttrs(e, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.setAttribute('class', v);
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
}
export function append(e, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
}

// Integer fen -> yuan text with two decimals; exact for every safe integer.
export function yuanDigits(fen) {
  const neg = fen < 0;
  const a = Math.abs(fen);
  const cents = a % 100;
  const whole = (a - cents) / 100;
  const w = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + w + '.' + String(cents).padStart(2, '0');
}
export function yuan(fen) {
  if (fen === null || fen === undefined) return '—';
  return state.lang === 'en' ? '¥' + yuanDigits(fen) : yuanDigits(fen) + ' 元';
}
// floor(a / b) for safe integers, b > 0, exactly.
export function floorDiv(a, b) {
  const r = ((a % b) + b) % b;
  return (a - r) / b;
}
export function monthText(m) {
  if (typeof m !== 'number') return '—';
  const y = Math.floor(m / 100), mo = m % 100;
  return state.lang === 'en' ? y + '-' + String(mo).padStart(2, '0') : y + '年' + mo + '月';
}
export function nextMonth(m) { return m % 100 === 12 ? m + 89 : m + 1; }
export function monthsBetween(first, last) {
  const out = [];
  for (let m = first; m <= last && out.length < 1200; m = nextMonth(m)) out.push(m);
  return out;
}
const timeFormats = {};
export function timeText(ms) {
  if (typeof ms !== 'number') return '—';
  const key = state.lang;
  if (!timeFormats[key]) {
    timeFormats[key] = new Intl.DateTimeFormat(state.lang === 'en' ? 'en-GB' : 'zh-CN', {
      timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  }
  return timeFormats[key].format(new Date(ms));
}
export function short(hex, n) { return typeof hex === 'string' ? hex.slice(0, n || 12) + '…' : '—'; }
export function hexCode(hex, n) {
  return el('code', { class: 'hex', title: hex, text: short(hex, n) });
}
export function programmeName(code) {
  if (state.programs) {
    const p = state.programs.find((x) => x.code === code);
    if (p) return (state.lang === 'en' ? p.name_en : p.name_zh) || label('programme', code);
  }
  return label('programme', code);
}
export function setStatus(text) { $('status').textContent = text || ''; }
export function show(node, on) { node.hidden = !on; }
export function isHex64(s) { return /^[0-9a-fA-F]{64}$/.test(s); }
export function monthInputValue(input) {
  // "YYYY-MM" from a month control, or "YYYYMM" typed where the control is a text box.
  const v = input.value.trim();
  const m = /^(\d{4})-?(\d{2})$/.exec(v);
  if (!m) return null;
  const y = Number(m[1]), mo = Number(m[2]);
  if (y < 1900 || y > 2200 || mo < 1 || mo > 12) return null;
  return y * 100 + mo;
}
// Today (YYYYMMDD) and this month in China Standard Time, as the node judges dates.
export function todayCst() {
  const d = new Date(Date.now() + 8 * 3600 * 1000);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

// ------------------------------------------------------------ ID numbers
// Returns null when valid, else [string key, params]. Never echoes the number.
export function idProblem(id, today) {
  if (id.length !== 18) return ['id.length', { n: id.length }];
  if (!/^\d{17}$/.test(id.slice(0, 17))) return ['id.digits'];
  if (!/^[0-9X]$/.test(id[17])) return ['id.check_char'];
  if (id[0] === '0') return ['id.region'];
  const y = Number(id.slice(6, 10)), m = Number(id.slice(10, 12)), d = Number(id.slice(12, 14));
  if (y < 1900) return ['id.year'];
  if (m < 1 || m > 12) return ['id.month'];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  if (d < 1 || d > days) return ['id.day'];
  if (y * 10000 + m * 100 + d > today) return ['id.future'];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (id.charCodeAt(i) - 48) * ID_WEIGHTS[i];
  if (ID_CHECK_CHARS[sum % 11] !== id[17]) return ['id.check_digit'];
  return null;
}
export function normaliseId(raw) {
  let s = raw.trim();
  if (s.length === 18 && s[17] === 'x') s = s.slice(0, 17) + 'X';
  return s;
}

// ------------------------------------------------------------ hashing
export function hexToBytes(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}
export function bytesToHex(b) {
  return Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
}
export async function sha256(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const buf = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { buf.set(p, o); o += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}
// RFC 9162 2.1.3.2: does `proof` put leaf data `idHex` at `index` of a tree of `size`
// leaves with root `rootHex`? (SHA-256 only: the ed25519-sha256 suite.)
export async function verifyInclusion(idHex, index, size, proof, rootHex) {
  const id = hexToBytes(idHex), root = hexToBytes(rootHex);
  if (!id || !root || !Array.isArray(proof) || !(index < size)) return false;
  let fn = index, sn = size - 1;
  let r = await sha256([new Uint8Array([0]), id]);
  for (const p of proof) {
    const ph = hexToBytes(p);
    if (!ph || ph.length !== 32 || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256([new Uint8Array([1]), ph, r]);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = await sha256([new Uint8Array([1]), r, ph]);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesToHex(r) === rootHex.toLowerCase();
}
// The tx id is H(body), body = the bytes after the u32 length prefix (docs/FORMAT.md 5.1).
export async function txIdMatches(txHex, idHex) {
  const tx = hexToBytes(txHex);
  if (!tx || tx.length < 8) return false;
  const len = ((tx[0] | (tx[1] << 8) | (tx[2] << 16)) >>> 0) + tx[3] * 16777216;
  if (4 + len > tx.length) return false;
  return bytesToHex(await sha256([tx.subarray(4, 4 + len)])) === idHex;
}
export function txKind(txHex) {
  if (typeof txHex !== 'string' || txHex.length < 10) return null;
  return KINDS[parseInt(txHex.slice(8, 10), 16)] || null;
}
export function canHashHere(suite) { return suite === 'ed25519-sha256' && !!(window.crypto && crypto.subtle); }

// ------------------------------------------------------------ API
export class ApiError extends Error {
  constructor(status, code, detail) {
    super(code);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit',
                              redirect: 'error' });
  } catch (e) {
    throw new ApiError(0, 'network', String(e && e.message ? e.message : e));
  }
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { json = null; }
  if (!res.ok) {
    const code = json && typeof json.error === 'string' ? json.error : 'other';
    const detail = json && typeof json.message === 'string' ? json.message : text.slice(0, 300);
    if (res.status === 401 && state.who && path !== '/v1/whoami') hooks.onUnauthenticated();
    throw new ApiError(res.status, code, detail);
  }
  return { json, text, headers: res.headers };
}
export function errorBox(box, err) {
  if (!err) { box.hidden = true; box.replaceChildren(); return; }
  const known = STRINGS[state.lang]['api.' + err.code] !== undefined;
  const head = known ? t('api.' + err.code) : t('api.other', { status: err.status });
  box.replaceChildren(el('p', { class: 'error-head', text: head }),
                      err.detail ? el('p', { class: 'error-detail' }, t('api.detail'),
                                      el('span', { lang: 'en', text: err.detail })) : null);
  box.dataset.code = err.code;
  box.hidden = false;
}
export function setError(view, err) {
  state.errors[view] = err || null;
  const box = $(view + '-error');
  if (box) errorBox(box, err);
}

// ------------------------------------------------------------ shared renderers
export function dl(rows) {
  return el('dl', { class: 'facts' }, rows.filter(Boolean).map(([k, v, attrs]) =>
    el('div', attrs || {}, el('dt', { text: k }), el('dd', {}, v))));
}
export function table(caption, head, rows, attrs) {
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    el('table', attrs || {},
      el('caption', { text: caption }),
      el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows)));
}
export function proofBadge(status) {
  return el('span', { class: 'badge proof-' + status, dataset: { proof: status },
                      text: t('proof.' + status) });
}
export function busy(button, on) {
  button.disabled = on;
  button.setAttribute('aria-busy', on ? 'true' : 'false');
}


export function verifyAnswer(v) {
  const ok = v.valid === true;
  return el('div', { class: 'verdict ' + (ok ? 'verdict-valid' : 'verdict-invalid'), id: 'verdict',
                     dataset: { valid: ok ? 'true' : 'false' } },
    el('p', { class: 'verdict-head' }, el('span', { 'aria-hidden': 'true', text: ok ? '✔ ' : '✘ ' }),
       t(ok ? 'verify.valid' : 'verify.invalid')),
    ok ? dl([
      [t('verify.decision'), label('decision', v.decision)],
      [t('verify.household'), hexCode(v.household, 16)],
      [t('verify.program'), programmeName(v.program)],
      [t('verify.as_of'), monthText(v.as_of)],
      [t('verify.signer'), String(v.signer)],
      [t('verify.receipt_hash'), hexCode(v.receipt_hash, 16), { id: 'verdict-receipt-hash' }],
      [t('verify.checkpoint'), String(v.checkpoint_height)],
    ]) : el('p', { class: 'verdict-reason' }, el('strong', { text: t('verify.reason') + ': ' }),
            el('code', { class: 'reason', lang: 'en', text: String(v.reason || '') })));
}
