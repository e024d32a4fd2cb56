// check.js: the caseworker's views: the check form (validated in the page), the result (the
// decision, reasons, the per-capita income chart against the threshold, the member table,
// the evidence with its proof status, the receipt's print view and actions) and alerts.
import {
  PROGRAMMES, MEMBERS_MAX, state, $, t, label, el, svgEl, yuanDigits, yuan, floorDiv, monthText,
  monthsBetween, timeText, short, hexCode, programmeName, setStatus, isHex64, monthInputValue,
  todayCst, idProblem, normaliseId, verifyInclusion, txIdMatches, txKind, canHashHere, ApiError,
  api, setError, dl, table, proofBadge, busy, verifyAnswer,
} from './core.js';

// ------------------------------------------------------------ check: form
export async function loadPrograms() {
  if (state.programs) return;
  try {
    const { json } = await api('GET', '/v1/programs');
    const list = json && Array.isArray(json.programs) ? json.programs.filter((p) => p && typeof p.code === 'string') : [];
    state.programs = list;
    state.programsFallback = false;
  } catch (err) {
    state.programs = PROGRAMMES.map((code) => ({ code }));
    state.programsFallback = true;
    if (err.status !== 404) setError('check', err);
  }
  renderProgramOptions();
}
export function renderProgramOptions() {
  const sel = $('program');
  const keep = sel.value;
  const list = state.programs || [];
  sel.replaceChildren(...list.map((p) => el('option', { value: p.code, text: programmeName(p.code) })));
  if (keep && list.some((p) => p.code === keep)) sel.value = keep;
  const help = $('program-err');
  if (state.programsFallback) {
    help.textContent = t('check.programs_fallback');
    help.className = 'help';
    help.hidden = false;
  } else if (help.className === 'help') {
    help.hidden = true;
  }
}
export function fieldError(id, text) {
  const p = $(id + '-err');
  const input = $(id);
  if (text) {
    p.textContent = text;
    p.className = 'field-error';
    p.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  } else {
    p.hidden = true;
    p.textContent = '';
    input.removeAttribute('aria-invalid');
  }
}
// Validates the check form; returns the request body or null (errors shown, first focused).
export function readCheckForm() {
  const problems = [];
  const kase = $('case').value.trim();
  if (!/^[A-Za-z0-9-]{1,64}$/.test(kase)) problems.push(['case', t('err.case')]);
  else fieldError('case', null);

  const lines = $('members').value.split(/\r?\n/);
  const members = [];
  const memberErrors = [];
  const today = todayCst();
  const seen = new Map();
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const id = normaliseId(raw);
    const p = idProblem(id, today);
    if (p) {
      memberErrors.push(t('err.member_line', { line: i + 1, problem: t(p[0], p[1]) }));
    } else if (seen.has(id)) {
      memberErrors.push(t('err.member_line', { line: i + 1, problem: t('id.duplicate', { other: seen.get(id) }) }));
    } else {
      seen.set(id, i + 1);
      members.push(id);
    }
  });
  if (memberErrors.length === 0 && members.length === 0) memberErrors.push(t('err.members_none'));
  if (members.length > MEMBERS_MAX) memberErrors.push(t('err.members_many', { n: MEMBERS_MAX }));
  const mErr = $('members-err');
  if (memberErrors.length) {
    mErr.replaceChildren(el('ul', {}, memberErrors.map((m) => el('li', { text: m }))));
    mErr.hidden = false;
    $('members').setAttribute('aria-invalid', 'true');
    problems.push(['members', null]);
  } else {
    mErr.hidden = true;
    mErr.replaceChildren();
    $('members').removeAttribute('aria-invalid');
  }

  const program = $('program').value;
  if (!program) problems.push(['program', t('err.program')]);
  else if (!state.programsFallback) fieldError('program', null);

  const asOf = monthInputValue($('as-of'));
  if (asOf === null) problems.push(['as-of', t('err.as_of')]);
  else fieldError('as-of', null);

  const consent = $('consent').value.trim();
  if (consent !== '' && !isHex64(consent)) problems.push(['consent', t('err.consent')]);
  else fieldError('consent', null);

  for (const [id, text] of problems) if (text) fieldError(id, text);
  if (problems.length) {
    $(problems[0][0]).focus();
    return null;
  }
  const body = { household_case: kase, members, program, as_of: asOf };
  if (consent !== '') body.consent = consent.toLowerCase();
  return body;
}
export async function submitCheck(ev) {
  ev.preventDefault();
  const body = readCheckForm();
  if (!body) return;
  const button = $('check-submit');
  busy(button, true);
  setError('check', null);
  setStatus(t('check.running'));
  try {
    const { json, text, headers } = await api('POST', '/v1/checks', JSON.stringify(body));
    state.check = { receipt: json, text, accessRecord: headers.get('Hearth-Access-Record'),
                    proofs: new Map(), nodeVerify: null, household_case: body.household_case };
    renderCheck();
    setStatus(t('check.done', { decision: label('decision', json.decision) }));
    $('result-h').focus();
    checkEvidenceProofs(state.check);
  } catch (err) {
    state.check = null;
    renderCheck();
    setError('check', err);
    setStatus('');
  } finally {
    busy(button, false);
  }
}

// ------------------------------------------------------------ check: result
// Per month of the look-back: counted members, the sum of their counted_fen, per capita.
export function monthlyFigures(r) {
  const w = r.window || {};
  const months = typeof w.first === 'number' && typeof w.last === 'number' ? monthsBetween(w.first, w.last) : [];
  const by = new Map(months.map((m) => [m, { month: m, n: 0, sum: 0, pc: null }]));
  for (const mm of r.member_months || []) {
    if (!mm.member) continue;
    let row = by.get(mm.month);
    if (!row) { row = { month: mm.month, n: 0, sum: 0, pc: null }; by.set(mm.month, row); }
    row.n += 1;
    row.sum += mm.counted_fen;
  }
  const rows = Array.from(by.values()).sort((a, b) => a.month - b.month);
  for (const row of rows) row.pc = row.n > 0 ? floorDiv(row.sum, row.n) : null;
  return rows;
}
export function niceStep(range) {
  // A step of 1, 2 or 5 x 10^k fen giving about 5 gridlines.
  const raw = Math.max(range / 5, 1);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
// The chart is drawn at the width it is shown (user units = CSS pixels), so its text stays
// readable on a phone; it is redrawn when the window is resized.
export function chartWidth() {
  const box = $('check-result');
  const w = box && box.clientWidth ? box.clientWidth - 40 : 760;
  return Math.max(300, Math.min(900, Math.round(w)));
}
export function incomeChart(r, rows) {
  const W = chartWidth();
  const narrow = W < 520;
  const H = narrow ? 260 : 320, L = narrow ? 70 : 92, R = narrow ? 10 : 20, T = 24, B = 52;
  const pts = rows.filter((x) => x.pc !== null);
  const threshold = typeof r.threshold_fen === 'number' ? r.threshold_fen : null;
  const avg = typeof r.per_capita_monthly_fen === 'number' ? r.per_capita_monthly_fen : null;
  const values = pts.map((x) => x.pc).concat(threshold !== null ? [threshold] : [], avg !== null ? [avg] : []);
  let lo = Math.min(0, ...values), hi = Math.max(1, ...values);
  const step = niceStep(hi - lo);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil((hi * 1.1) / step) * step;
  const x = (i) => L + (rows.length <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (rows.length - 1));
  const y = (v) => T + ((hi - v) * (H - T - B)) / (hi - lo);
  const desc = threshold !== null ? t('chart.desc', { n: rows.length, threshold: yuan(threshold) })
                                  : t('chart.desc_no_threshold', { n: rows.length });
  const s = svgEl('svg', { id: 'income-chart', class: 'chart', viewBox: `0 0 ${W} ${H}`, width: W, role: 'img',
                           'aria-labelledby': 'chart-title chart-desc', preserveAspectRatio: 'xMidYMid meet' },
    svgEl('title', { id: 'chart-title', text: t('chart.title') }),
    svgEl('desc', { id: 'chart-desc', text: desc }));
  const grid = svgEl('g', { class: 'grid' });
  for (let v = lo; v <= hi; v += step) {
    grid.append(svgEl('line', { x1: L, x2: W - R, y1: y(v), y2: y(v) }),
                svgEl('text', { x: L - 8, y: y(v) + 4, class: 'tick-y', text: yuanDigits(v) }));
  }
  s.append(grid);
  const axis = svgEl('g', { class: 'axis' });
  rows.forEach((row, i) => {
    axis.append(svgEl('text', { x: x(i), y: H - B + 18, class: 'tick-x',
                                text: String(row.month % 100).padStart(2, '0') }));
    if (i === 0 || row.month % 100 === 1) {
      axis.append(svgEl('text', { x: x(i), y: H - B + 36, class: 'tick-x year', text: String(Math.floor(row.month / 100)) }));
    }
  });
  axis.append(svgEl('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'baseline' }));
  s.append(axis);
  if (threshold !== null) {
    s.append(svgEl('line', { class: 'threshold', x1: L, x2: W - R, y1: y(threshold), y2: y(threshold),
                             dataset: { fen: threshold } }),
             // Below the line when most months are above it, so the label stays clear of them.
             svgEl('text', { class: 'threshold-label', x: W - R,
                             y: pts.filter((p) => p.pc >= threshold).length * 2 > pts.length
                               ? y(threshold) + 18 : y(threshold) - 8,
                             text: t('chart.threshold', { v: yuan(threshold) }) }));
  }
  if (avg !== null) {
    s.append(svgEl('line', { class: 'average', x1: L, x2: W - R, y1: y(avg), y2: y(avg), dataset: { fen: avg } }));
  }
  // The series: one polyline per run of months with counted members.
  let run = [];
  const flush = () => {
    if (run.length > 1) s.append(svgEl('polyline', { class: 'series', points: run.join(' ') }));
    run = [];
  };
  rows.forEach((row, i) => { if (row.pc === null) flush(); else run.push(`${x(i)},${y(row.pc)}`); });
  flush();
  rows.forEach((row, i) => {
    if (row.pc === null) return;
    const above = threshold !== null && row.pc >= threshold;
    s.append(svgEl('circle', { class: 'point' + (above ? ' above' : ''), cx: x(i), cy: y(row.pc), r: 5,
                               dataset: { month: row.month, fen: row.pc } },
      svgEl('title', { text: t('chart.point', { month: monthText(row.month), v: yuan(row.pc), n: row.n }) })));
  });
  return s;
}
export function legend(r) {
  const hasThreshold = typeof r.threshold_fen === 'number';
  const hasAvg = typeof r.per_capita_monthly_fen === 'number';
  return el('ul', { class: 'legend' },
    el('li', {}, el('span', { class: 'key key-series', 'aria-hidden': 'true' }), t('chart.legend_series')),
    hasThreshold ? el('li', {}, el('span', { class: 'key key-threshold', 'aria-hidden': 'true' }),
                      t('chart.threshold', { v: yuan(r.threshold_fen) })) : null,
    hasAvg ? el('li', {}, el('span', { class: 'key key-average', 'aria-hidden': 'true' }),
                t('chart.average', { v: yuan(r.per_capita_monthly_fen) })) : null);
}
export function renderChartSection(r) {
  const rows = monthlyFigures(r);
  const fig = el('figure', { class: 'chart-figure', id: 'chart' });
  if (rows.every((x) => x.pc === null)) {
    fig.append(el('p', { text: t('chart.no_data') }));
  } else {
    fig.append(incomeChart(r, rows), legend(r));
  }
  fig.append(el('figcaption', { text: typeof r.threshold_fen === 'number'
    ? t('chart.desc', { n: rows.length, threshold: yuan(r.threshold_fen) })
    : t('chart.desc_no_threshold', { n: rows.length }) }));
  const monthly = table(t('chart.table'),
    [t('table.month'), t('table.members_counted'), t('table.sum'), t('table.per_capita')],
    rows.map((row) => el('tr', {},
      el('th', { scope: 'row', text: monthText(row.month) }),
      el('td', { class: 'num', text: String(row.n) }),
      el('td', { class: 'num', text: row.n ? yuan(row.sum) : '—' }),
      el('td', { class: 'num', text: yuan(row.pc) }))), { id: 'monthly-table' });
  return el('section', { class: 'block', 'aria-labelledby': 'chart-h' },
    el('h3', { id: 'chart-h', text: t('chart.title') }), fig,
    el('details', {}, el('summary', { text: t('chart.table') }), monthly));
}
export function redrawChart() {
  const old = $('income-chart');
  if (!old || !state.check || state.view !== 'check') return;
  if (Math.abs(Number(old.getAttribute('width') || 0) - chartWidth()) < 8) return;
  old.replaceWith(incomeChart(state.check.receipt, monthlyFigures(state.check.receipt)));
}
export function renderMemberTable(r) {
  const subjects = (r.household && Array.isArray(r.household.members)) ? r.household.members.slice() : [];
  for (const mm of r.member_months || []) if (!subjects.includes(mm.subject)) subjects.push(mm.subject);
  const rows = monthlyFigures(r);
  const cell = new Map();
  for (const mm of r.member_months || []) cell.set(mm.subject + ':' + mm.month, mm);
  const head = [t('table.month')].concat(subjects.map((s, i) =>
    el('span', {}, t('members.member', { i: i + 1 }), el('br'), hexCode(s, 8))), [t('table.per_capita')]);
  const body = rows.map((row) => el('tr', {},
    el('th', { scope: 'row', text: monthText(row.month) }),
    subjects.map((s) => {
      const mm = cell.get(s + ':' + row.month);
      if (!mm || !mm.member) return el('td', { class: 'num muted', text: t('members.not_member') });
      const missing = Array.isArray(mm.missing_reporters) && mm.missing_reporters.length > 0;
      return el('td', { class: 'num' + (missing ? ' missing' : '') }, yuan(mm.counted_fen),
        missing ? el('span', { class: 'flag' }, t('members.missing', {
          agencies: mm.missing_reporters.map((a) => label('agency', a)).join(state.lang === 'en' ? ', ' : '、') })) : null);
    }),
    el('td', { class: 'num strong', text: yuan(row.pc) })));
  const amounts = [];
  for (const mm of r.member_months || []) {
    for (const a of mm.amounts || []) amounts.push([mm, a]);
  }
  const detail = table(t('amounts.title', { n: amounts.length }),
    [t('table.month'), t('amounts.member'), t('amounts.agency'), t('amounts.category'), t('amounts.fen'), t('amounts.tx')],
    amounts.map(([mm, a]) => el('tr', {},
      el('td', { text: monthText(mm.month) }),
      el('td', {}, t('members.member', { i: subjects.indexOf(mm.subject) + 1 })),
      el('td', { text: label('agency', a.agency) }),
      el('td', { text: label('category', a.category) }),
      el('td', { class: 'num', text: yuan(a.fen) }),
      el('td', {}, hexCode(a.tx, 10)))));
  return el('section', { class: 'block', 'aria-labelledby': 'members-h' },
    el('h3', { id: 'members-h', text: t('members.title') }),
    el('p', { class: 'help', text: t('members.caption') }),
    table(t('members.title'), head, body, { id: 'member-table' }),
    el('details', { class: 'print-hide' }, el('summary', { text: t('amounts.title', { n: amounts.length }) }), detail));
}
// An evidence item's inclusion proof: its positions in the receipt's proof_nodes table
// (receipt format 3, docs/RECEIPT.md). A position outside the table makes the proof fail.
function proofNodes(receipt, item) {
  const nodes = Array.isArray(receipt.proof_nodes) ? receipt.proof_nodes : [];
  if (!Array.isArray(item.inclusion_proof)) throw new Error('inclusion_proof is not a list');
  return item.inclusion_proof.map((at) => {
    if (!Number.isInteger(at) || at < 0 || at >= nodes.length) throw new Error('bad proof position');
    return nodes[at];
  });
}
export async function checkEvidenceProofs(check) {
  const r = check.receipt;
  const cp = r.checkpoint || {};
  const items = Array.isArray(r.evidence) ? r.evidence : [];
  if (!canHashHere(r.suite)) {
    for (const e of items) check.proofs.set(e.id, 'unchecked');
    if (state.check === check) renderEvidenceStatus();
    return;
  }
  for (const e of items) check.proofs.set(e.id, 'pending');
  for (const e of items) {
    let ok = false;
    try {
      ok = (await txIdMatches(e.tx, e.id)) &&
           (await verifyInclusion(e.id, e.log_index, cp.log_size, proofNodes(r, e), cp.log_root));
    } catch (err) {
      ok = false;
    }
    check.proofs.set(e.id, ok ? 'ok' : 'bad');
  }
  if (state.check === check) renderEvidenceStatus();
}
export function renderEvidenceStatus() {
  const check = state.check;
  if (!check) return;
  for (const cellNode of document.querySelectorAll('#evidence-table td[data-id]')) {
    cellNode.replaceChildren(proofBadge(check.proofs.get(cellNode.dataset.id) || 'pending'));
  }
  const sum = $('evidence-summary');
  if (sum) sum.textContent = evidenceSummary(check);
  const tableNode = $('evidence-table');
  if (tableNode) {
    const states = Array.from(check.proofs.values());
    tableNode.dataset.done = states.includes('pending') ? 'false' : 'true';
  }
}
export function evidenceSummary(check) {
  const items = check.receipt.evidence || [];
  if (!canHashHere(check.receipt.suite)) return t('evidence.summary_sm3', { n: items.length });
  let ok = 0;
  for (const v of check.proofs.values()) if (v === 'ok') ok += 1;
  return t('evidence.summary', { n: items.length, ok });
}
export function renderEvidence(check) {
  const r = check.receipt;
  const used = new Set(r.used_txs || []);
  const items = Array.isArray(r.evidence) ? r.evidence : [];
  return el('section', { class: 'block', 'aria-labelledby': 'evidence-h' },
    el('h3', { id: 'evidence-h', text: t('evidence.title') }),
    el('p', { id: 'evidence-summary', text: evidenceSummary(check) }),
    el('details', { class: 'evidence-details print-hide' }, el('summary', { text: t('evidence.title') + ' (' + items.length + ')' }),
      table(t('evidence.title'),
        [t('evidence.index'), t('evidence.id'), t('evidence.kind'), t('evidence.used'), t('evidence.proof')],
        items.map((e) => el('tr', {},
          el('td', { class: 'num', text: String(e.log_index) }),
          el('td', {}, hexCode(e.id, 16)),
          el('td', { text: txKind(e.tx) ? label('kind', txKind(e.tx)) : '—' }),
          el('td', { text: used.has(e.id) ? t('yes') : t('no') }),
          el('td', { dataset: { id: e.id } }, proofBadge(check.proofs.get(e.id) || 'pending')))),
        { id: 'evidence-table', dataset: { count: items.length } })));
}
export function renderReceiptActions(check) {
  const r = check.receipt;
  const verifyBox = el('div', { id: 'receipt-node-verify', 'aria-live': 'polite' });
  if (check.nodeVerify) verifyBox.append(verifyAnswer(check.nodeVerify));
  const download = () => {
    const blob = new Blob([check.text], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: 'receipt-' + (r.request ? r.request.as_of : '') + '-' +
                         short(r.signature, 8).replace('…', '') + '.json' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  };
  const verifyOnNode = async (ev) => {
    const b = ev.currentTarget;
    busy(b, true);
    try {
      const { json } = await api('POST', '/v1/receipts/verify', check.text);
      check.nodeVerify = json;
    } catch (err) {
      check.nodeVerify = null;
      setError('check', err);
    } finally {
      busy(b, false);
    }
    verifyBox.replaceChildren(check.nodeVerify ? verifyAnswer(check.nodeVerify) : '');
  };
  return el('section', { class: 'block no-print', 'aria-labelledby': 'receipt-h' },
    el('h3', { id: 'receipt-h', text: t('receipt.actions') }),
    el('div', { class: 'actions' },
      el('button', { type: 'button', id: 'print-receipt', onclick: printReceipt, text: t('receipt.print') }),
      el('button', { type: 'button', id: 'download-receipt', class: 'secondary', onclick: download, text: t('receipt.download') }),
      el('button', { type: 'button', id: 'verify-receipt', class: 'secondary', onclick: verifyOnNode, text: t('receipt.verify') })),
    verifyBox,
    el('details', {}, el('summary', { text: t('receipt.raw') }),
      el('label', { for: 'receipt-raw', class: 'visually-hidden', text: t('receipt.raw_label') }),
      el('textarea', { id: 'receipt-raw', readonly: true, rows: '8', spellcheck: 'false', text: check.text })));
}
// Printing shows the receipt's tables (the monthly figures, every amount) but not the
// evidence list; details closed for the screen are opened for the print and closed after.
let openedForPrint = [];
export function openForPrint() {
  for (const d of document.querySelectorAll('#receipt-view details:not(.print-hide)')) {
    if (!d.open) { d.open = true; openedForPrint.push(d); }
  }
}
export function closeAfterPrint() {
  for (const d of openedForPrint) d.open = false;
  openedForPrint = [];
}
export function printReceipt() {
  openForPrint();
  window.print();
}

export function renderCheck() {
  const out = $('check-result');
  const check = state.check;
  if (!check) { out.replaceChildren(); return; }
  const r = check.receipt;
  const req = r.request || {};
  const cp = r.checkpoint || {};
  const w = r.window || {};
  const rs = r.rule_set || {};
  const decision = r.decision;
  const printHead = el('div', { class: 'print-only print-head' },
    el('p', { class: 'print-title', text: t('receipt.print_title') }),
    dl([
      [t('receipt.chain'), r.chain_id],
      [t('receipt.household'), el('code', { class: 'hex', text: req.household || '' })],
      check.household_case ? [t('check.case'), check.household_case] : null,
      [t('receipt.block_hash'), el('code', { class: 'hex', text: cp.block_hash || '' })],
      [t('receipt.signature'), el('code', { class: 'hex', text: r.signature || '' })],
    ]),
    el('p', { class: 'help', text: t('receipt.print_note') }));
  out.replaceChildren(el('section', { class: 'result', id: 'receipt-view', 'aria-labelledby': 'result-h' },
    printHead,
    el('h2', { id: 'result-h', tabindex: '-1', text: t('result.title') }),
    el('p', { id: 'decision', class: 'decision decision-' + decision, dataset: { decision } },
      el('span', { class: 'decision-icon', 'aria-hidden': 'true',
                   text: decision === 'eligible' ? '✔' : decision === 'ineligible' ? '✘' : '?' }),
      label('decision', decision)),
    dl([
      [t('result.program'), programmeName(req.programme)],
      [t('result.as_of'), monthText(req.as_of)],
      [t('result.window'), monthText(w.first) + ' – ' + monthText(w.last)],
      [t('result.per_capita'), yuan(r.per_capita_monthly_fen), { id: 'fact-per-capita', dataset: { fen: r.per_capita_monthly_fen } }],
      [t('result.threshold'), typeof r.threshold_fen === 'number' ? yuan(r.threshold_fen) : t('result.no_threshold'),
       { id: 'fact-threshold', dataset: { fen: r.threshold_fen } }],
      [t('result.member_months'), String(r.member_months_counted)],
      [t('result.rule_set'), (rs.programme || '') + ' v' + rs.version + ' (' + monthText(rs.effective_from) + ')'],
      [t('result.checkpoint'), String(cp.height)],
      [t('result.checkpoint_time'), timeText(cp.time_ms)],
      [t('result.signer'), String(r.signer)],
      check.accessRecord ? [t('result.access_record'), hexCode(check.accessRecord, 16)] : null,
    ]),
    el('section', { class: 'block', 'aria-labelledby': 'reasons-h' },
      el('h3', { id: 'reasons-h', text: t('result.reasons') }),
      el('ul', { id: 'reasons', class: 'reasons' }, (r.reasons || []).map((x) =>
        el('li', { dataset: { code: x.code } }, state.lang === 'en' ? x.en : x.zh)))),
    el('section', { class: 'block', 'aria-labelledby': 'conditions-h' },
      el('h3', { id: 'conditions-h', text: t('result.conditions') }),
      table(t('result.conditions'), [t('cond.name'), t('cond.status'), t('cond.detail')],
        (r.conditions || []).map((c) => el('tr', {},
          el('th', { scope: 'row', text: label('cond', c.name) }),
          el('td', {}, el('span', { class: 'badge status-' + c.status, text: label('status', c.status) })),
          el('td', { lang: 'en', text: c.detail }))))),
    renderChartSection(r),
    renderMemberTable(r),
    renderEvidence(check),
    renderReceiptActions(check)));
}

// ------------------------------------------------------------ alerts
export async function loadAlerts(ev) {
  if (ev) ev.preventDefault();
  const params = new URLSearchParams();
  const kase = $('alerts-case').value.trim();
  if (kase !== '') {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(kase)) { setError('alerts', new ApiError(0, 'bad_request', t('err.case'))); return; }
    params.set('household_case', kase);
  }
  const from = $('alerts-from').value.trim();
  if (from !== '') {
    if (!/^\d{1,19}$/.test(from)) { setError('alerts', new ApiError(0, 'bad_request', t('err.height'))); return; }
    params.set('from_height', from);
  }
  const limit = $('alerts-limit').value.trim() || '100';
  if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) {
    setError('alerts', new ApiError(0, 'bad_request', t('err.limit')));
    return;
  }
  params.set('limit', limit);
  const b = $('alerts-submit');
  busy(b, true);
  setError('alerts', null);
  try {
    const { json } = await api('GET', '/v1/alerts?' + params.toString());
    state.alerts = json;
  } catch (err) {
    state.alerts = null;
    setError('alerts', err);
  } finally {
    busy(b, false);
  }
  renderAlerts();
}
export function renderAlerts() {
  const out = $('alerts-result');
  const a = state.alerts;
  if (!a) { out.replaceChildren(); return; }
  const list = Array.isArray(a.alerts) ? a.alerts : [];
  out.replaceChildren(
    el('p', { id: 'alerts-summary', text: t('alerts.summary', { h: a.processed_height, w: a.watched, n: list.length }) }),
    list.length === 0 ? el('p', { class: 'empty', text: t('alerts.none') }) :
      table(t('alerts.title'),
        [t('alerts.height'), t('alerts.household'), t('alerts.program'), t('alerts.as_of'), t('alerts.change'),
         t('alerts.per_capita'), t('alerts.causes')],
        list.map((x) => el('tr', {},
          el('td', { class: 'num', text: String(x.height) }),
          el('td', {}, hexCode(x.household, 10)),
          el('td', { text: programmeName(x.program) }),
          el('td', { text: monthText(x.as_of) }),
          el('td', {}, label('decision', x.old_decision), ' → ',
             el('strong', { text: label('decision', x.new_decision) })),
          el('td', { class: 'num', text: yuan(x.old_per_capita_monthly_fen) + ' → ' + yuan(x.new_per_capita_monthly_fen) }),
          el('td', {}, (x.causes || []).slice(0, 3).map((c) => [hexCode(c, 8), ' ']),
             (x.causes || []).length > 3 ? '…' : null))), { id: 'alerts-table' }));
}
