// The Hearth web console in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core), against a running devnet node. Run by tests/cli/console_browser_test.sh,
// which starts the devnet, loads a synthetic district and writes the cases file.
//
// Environment:
//   HEARTH_URL         the node's API base URL (https://127.0.0.1:port); its certificate is
//                      self-signed, so the browser context ignores certificate errors
//   HEARTH_TOKENS      the devnet's tokens.json (principals caseworker and auditor are used)
//   HEARTH_CASES       JSON written by the shell test: {"as_of", "eligible": {case, members,
//                      consent, receipt}, "ineligible": {...}} where receipt is the path of a
//                      receipt the CLI obtained for that household (the expected figures)
//   HEARTH_SCREENSHOTS folder for the screenshots (the shell test chooses it)
//   HEARTH_ARTIFACTS   folder for failure screenshots and the receipt the page showed
//   HEARTH_CHROMIUM    the browser (default /usr/bin/chromium)
// Every step prints "step N: what ... ok"; the first failure prints "FAIL: step N (what): why",
// saves a screenshot into HEARTH_ARTIFACTS and exits 1.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name, def) => {
  const v = process.env[name] ?? def;
  if (v === undefined) {
    console.error(`FAIL: environment variable ${name} is not set`);
    process.exit(2);
  }
  return v;
};
const baseUrl = env('HEARTH_URL').replace(/\/$/, '');
const tokens = JSON.parse(fs.readFileSync(env('HEARTH_TOKENS'), 'utf8'));
const cases = JSON.parse(fs.readFileSync(env('HEARTH_CASES'), 'utf8'));
const shotsDir = env('HEARTH_SCREENSHOTS');
const artifacts = env('HEARTH_ARTIFACTS');
const executablePath = env('HEARTH_CHROMIUM', '/usr/bin/chromium');
fs.mkdirSync(shotsDir, { recursive: true });
fs.mkdirSync(artifacts, { recursive: true });

const T = { timeout: 60_000 };  // a bound against hangs, not a timing assertion
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

function expect(cond, message) {
  if (!cond) throw new Error(message);
}
function readReceipt(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
// Months of the look-back in which at least one member is counted: one chart point each.
function countedMonths(receipt) {
  const months = new Set();
  for (const mm of receipt.member_months) if (mm.member) months.add(mm.month);
  return months.size;
}
function windowMonths(receipt) {
  let n = 0;
  for (let m = receipt.window.first; m <= receipt.window.last; m = m % 100 === 12 ? m + 89 : m + 1) n++;
  return n;
}
function yuanDigits(fen) {
  const a = Math.abs(fen), cents = a % 100, whole = (a - cents) / 100;
  return (fen < 0 ? '-' : '') + String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + String(cents).padStart(2, '0');
}

const eligible = { ...cases.eligible, expected: readReceipt(cases.eligible.receipt) };
const ineligible = { ...cases.ineligible, expected: readReceipt(cases.ineligible.receipt) };
const asOfInput = `${Math.floor(cases.as_of / 100)}-${String(cases.as_of % 100).padStart(2, '0')}`;

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-quic',
         '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--lang=zh-CN'],
});
const context = await browser.newContext({
  ignoreHTTPSErrors: true, viewport: DESKTOP, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
  deviceScaleFactor: 1, acceptDownloads: true,
});
const page = await context.newPage();
page.setDefaultTimeout(T.timeout);
const consoleProblems = [];
page.on('console', (m) => { if (m.type() === 'error') consoleProblems.push(m.text()); });
page.on('pageerror', (e) => consoleProblems.push('page error: ' + e.message));
const requests = [];
page.on('request', (r) => requests.push(r.url()));

let stepNo = 0;
async function step(name, fn) {
  stepNo += 1;
  process.stdout.write(`step ${stepNo}: ${name} ... `);
  try {
    await fn();
    // Nothing may break the page's CSP or throw.
    expect(consoleProblems.length === 0, 'browser console errors: ' + consoleProblems.join(' | '));
    console.log('ok');
  } catch (e) {
    console.log('FAILED');
    console.error(`FAIL: step ${stepNo} (${name}): ${e.message.split('\n')[0]}`);
    const file = path.join(artifacts, `failure-step-${stepNo}.png`);
    try { await page.screenshot({ path: file, fullPage: true }); console.error(`  screenshot: ${file}`); } catch (ignored) { /* none */ }
    await browser.close();
    process.exit(1);
  }
}
async function shot(name, fullPage) {
  await page.screenshot({ path: path.join(shotsDir, name + '.png'), fullPage: !!fullPage });
}
const text = (sel) => page.locator(sel).first().innerText();
// Pastes a (large) text into a field at once, as a clipboard paste does; typing a receipt of
// several hundred kilobytes key by key would take minutes.
async function paste(sel, value) {
  await page.$eval(sel, (e, v) => {
    e.focus();
    e.value = v;
    e.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}
async function navIds() {
  return page.$$eval('#nav a', (as) => as.map((a) => a.id.replace(/^nav-/, '')));
}
async function signIn(principal) {
  const token = tokens[principal] && tokens[principal].token;
  expect(token, `tokens.json has no principal ${principal}`);
  await page.locator('#token').waitFor({ state: 'visible' });
  await page.locator('#token').focus();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.locator('#sign-out').waitFor({ state: 'visible' });
}
async function signOut() {
  await page.click('#sign-out');
  await page.locator('#view-signin').waitFor({ state: 'visible' });
  expect(await page.evaluate(() => sessionStorage.length === 0), 'the token is still in sessionStorage after sign-out');
}
async function goTo(view) {
  await page.click('#nav-' + view);
  await page.locator('#view-' + view).waitFor({ state: 'visible' });
}
async function runCheck(h, withConsent) {
  await goTo('check');
  await page.fill('#case', h.case);
  await page.fill('#members', h.members.join('\n'));
  await page.locator('#program option[value="dibao"]').waitFor({ state: 'attached' });
  await page.selectOption('#program', 'dibao');
  await page.fill('#as-of', asOfInput);
  await page.fill('#consent', withConsent ? h.consent : '');
  const answered = page.waitForResponse((r) => r.url().endsWith('/v1/checks'), T);
  await page.click('#check-submit');
  const res = await answered;
  expect(res.status() === 200, `POST /v1/checks answered ${res.status()}: ${(await res.text()).slice(0, 300)}`);
  await page.locator('#decision').waitFor({ state: 'visible' });
  // The page checks every evidence item's inclusion proof in the browser.
  await page.locator('#evidence-table[data-done="true"]').waitFor({ state: 'attached' });
}
async function assertCheckShown(h, lang) {
  const exp = h.expected;
  const decision = await page.getAttribute('#decision', 'data-decision');
  expect(decision === exp.decision, `decision shown ${decision}, the CLI's receipt says ${exp.decision}`);
  const words = { 'zh-CN': { eligible: '符合条件', ineligible: '不符合条件', insufficient_evidence: '证据不足' },
                  en: { eligible: 'Eligible', ineligible: 'Not eligible', insufficient_evidence: 'Insufficient evidence' } }[lang];
  const shown = (await text('#decision')).trim();
  expect(shown.endsWith(words[exp.decision]), `decision text "${shown}" does not end with "${words[exp.decision]}"`);
  if (exp.per_capita_monthly_fen !== null) {
    const pc = await text('#fact-per-capita dd');
    expect(pc.includes(yuanDigits(exp.per_capita_monthly_fen)),
           `per-capita shown "${pc}", expected ${yuanDigits(exp.per_capita_monthly_fen)} yuan`);
  }
  // The chart: an SVG with the threshold line and one point per month with counted members.
  const chart = page.locator('svg#income-chart');
  await chart.waitFor({ state: 'visible' });
  const thresholds = await chart.locator('line.threshold').count();
  expect(thresholds === 1, `the chart has ${thresholds} threshold lines, want 1`);
  const tfen = Number(await chart.locator('line.threshold').getAttribute('data-fen'));
  expect(tfen === exp.threshold_fen, `threshold line at ${tfen} fen, receipt threshold ${exp.threshold_fen}`);
  const points = await chart.locator('circle.point').count();
  const want = countedMonths(exp);
  expect(points === want, `the chart has ${points} points, want ${want} (months with counted members)`);
  expect(want === windowMonths(exp), `test data: ${want} counted months but a window of ${windowMonths(exp)}`);
  const rows = await page.locator('#member-table tbody tr').count();
  expect(rows === windowMonths(exp), `member table has ${rows} month rows, want ${windowMonths(exp)}`);
  const memberCols = await page.locator('#member-table thead th').count();
  expect(memberCols === exp.household.members.length + 2, `member table has ${memberCols} columns`);
  // Reasons in the page's language, exactly the receipt's texts.
  const reasons = await page.$$eval('#reasons li', (ls) => ls.map((l) => l.textContent));
  const wantReasons = exp.reasons.map((r) => (lang === 'en' ? r.en : r.zh));
  expect(JSON.stringify(reasons) === JSON.stringify(wantReasons),
         `reasons shown ${JSON.stringify(reasons)}, want ${JSON.stringify(wantReasons)}`);
  // Evidence: every inclusion proof verified in the browser.
  const n = exp.evidence.length;
  const ok = await page.locator('#evidence-table [data-proof="ok"]').count();
  expect(ok === n, `${ok} of ${n} evidence proofs verified in the browser`);
}
// After a resize the page redraws the chart at the width it is shown (debounced).
async function chartRedrawnFor(viewport) {
  await page.waitForFunction((w) => {
    const c = document.getElementById('income-chart');
    return c && Number(c.getAttribute('width')) <= w;
  }, viewport.width, T);
}
async function receiptShown() {
  return page.$eval('#receipt-raw', (t) => t.value);
}

// ---------------------------------------------------------------------------------------------
await step('the console loads in Chinese with the sign-in form; Tab reaches the skip link first', async () => {
  const res = await page.goto(baseUrl + '/', { waitUntil: 'load' });
  expect(res.status() === 200, `GET / answered ${res.status()}`);
  const csp = res.headers()['content-security-policy'] || '';
  expect(csp.includes("default-src 'self'") && csp.includes("frame-ancestors 'none'"), `CSP header: "${csp}"`);
  expect(await page.getAttribute('html', 'lang') === 'zh-CN', 'html lang is not zh-CN');
  await page.locator('#view-signin').waitFor({ state: 'visible' });
  expect((await text('#signin-h')) === '登录', 'the sign-in heading is not 登录');
  expect((await page.locator('#nav a').count()) === 0, 'the menu shows views before sign-in');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement.id) === 'skip-link', 'the first Tab stop is not the skip link');
  await shot('zh-1280-signin');
});

await step('every form control has a label', async () => {
  const unlabelled = await page.$$eval('input, select, textarea', (els) =>
    els.filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.id || e.name));
  expect(unlabelled.length === 0, 'controls without a label: ' + unlabelled.join(', '));
});

await step('a wrong token is refused with a message', async () => {
  await page.fill('#token', '00'.repeat(32));
  await page.click('#signin-submit');
  await page.locator('#token-err').waitFor({ state: 'visible' });
  const m = await text('#token-err');
  expect(m.includes('令牌无效'), `message "${m}"`);
  expect(await page.evaluate(() => sessionStorage.length === 0), 'a refused token was stored');
  await page.fill('#token', '');
  consoleProblems.length = 0;  // the browser logs the 401 of /v1/whoami; that one is expected
});

await step('the caseworker signs in (keyboard) and sees only the caseworker views', async () => {
  await signIn('caseworker');
  const ids = await navIds();
  expect(JSON.stringify(ids) === JSON.stringify(['check', 'alerts', 'blocks', 'checkpoint', 'verify']),
         `caseworker menu: ${ids.join(',')}`);
  expect((await text('#who')).includes('caseworker'), 'the signed-in principal is not shown');
  expect(await page.evaluate(() => !!sessionStorage.getItem('hearth.console.token')), 'the token is not in sessionStorage');
  expect(await page.evaluate(() => !localStorage.getItem('hearth.console.token')), 'the token leaked into localStorage');
});

await step('the page refuses a wrong ID number before asking the node', async () => {
  await goTo('check');
  const good = eligible.members[0];
  const bad = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
  const before = requests.filter((u) => u.endsWith('/v1/checks')).length;
  await page.fill('#case', eligible.case);
  await page.fill('#members', [bad].concat(eligible.members.slice(1)).join('\n'));
  await page.fill('#as-of', asOfInput);
  await page.click('#check-submit');
  await page.locator('#members-err').waitFor({ state: 'visible' });
  const m = await text('#members-err');
  expect(m.includes('第 1 行') && m.includes('校验位'), `members error "${m}"`);
  expect(!m.includes(bad.slice(0, 17)), 'the error repeats the ID number');
  expect(requests.filter((u) => u.endsWith('/v1/checks')).length === before, 'a request was sent for an invalid ID');
  expect(await page.getAttribute('#members', 'aria-invalid') === 'true', 'the field is not marked invalid');
  await page.fill('#case', 'bad case!');
  await page.fill('#members', eligible.members.join('\n'));
  await page.click('#check-submit');
  await page.locator('#case-err').waitFor({ state: 'visible' });
  expect(await page.evaluate(() => document.activeElement.id) === 'case', 'focus did not move to the first wrong field');
});

let receiptText = '';
await step('check of a household that is eligible (no consent given: the node picks it)', async () => {
  await runCheck(eligible, false);
  await assertCheckShown(eligible, 'zh-CN');
  receiptText = await receiptShown();
  const r = JSON.parse(receiptText);
  expect(r.request.consent === eligible.consent, `the node relied on consent ${r.request.consent}, want ${eligible.consent}`);
  fs.writeFileSync(path.join(artifacts, 'receipt-eligible.json'), receiptText);
  await shot('zh-1280-check-eligible', true);
});

await step('the receipt verifies on the node from the result page', async () => {
  await page.click('#verify-receipt');
  await page.locator('#receipt-node-verify #verdict').waitFor({ state: 'visible' });
  expect(await page.getAttribute('#receipt-node-verify #verdict', 'data-valid') === 'true', 'the node says the receipt is not valid');
});

await step('print view of the receipt', async () => {
  await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; });
  await page.click('#print-receipt');
  expect(await page.evaluate(() => window.__printed) === 1, 'the print button did not call window.print');
  await page.emulateMedia({ media: 'print' });
  expect(!(await page.locator('header.top').isVisible()), 'the menu bar is printed');
  expect(!(await page.locator('#check-form').isVisible()), 'the form is printed');
  expect(await page.locator('#decision').isVisible(), 'the decision is not printed');
  expect(await page.locator('svg#income-chart').isVisible(), 'the chart is not printed');
  expect(await page.locator('.print-head').isVisible(), 'the print header is missing');
  expect(await page.locator('#monthly-table').isVisible(), 'the monthly figures are not printed');
  await shot('zh-print-receipt', true);
  await page.emulateMedia({ media: 'screen' });
  await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
});

await step('the receipt downloads as the exact JSON the node answered', async () => {
  const dl = page.waitForEvent('download', T);
  await page.click('#download-receipt');
  const d = await dl;
  const file = path.join(artifacts, 'downloaded.json');
  await d.saveAs(file);
  expect(fs.readFileSync(file, 'utf8') === receiptText, 'the downloaded receipt differs from the one shown');
});

await step('check of a household that is not eligible (consent given)', async () => {
  await runCheck(ineligible, true);
  await assertCheckShown(ineligible, 'zh-CN');
  await shot('zh-1280-check-ineligible', true);
});

await step('the check view at 390 px wide: no horizontal scrolling of the page', async () => {
  await page.setViewportSize(PHONE);
  await chartRedrawnFor(PHONE);
  await page.locator('#decision').scrollIntoViewIfNeeded();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow <= 0, `the page is ${overflow}px wider than the 390px screen`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('zh-390-check', true);
  await page.setViewportSize(DESKTOP);
});

await step('alerts list', async () => {
  await goTo('alerts');
  await page.locator('#alerts-summary').waitFor({ state: 'visible' });
  const s = await text('#alerts-summary');
  expect(/已复核至区块 \d+/.test(s), `alerts summary "${s}"`);
  await shot('zh-1280-alerts');
});

await step('the caseworker signs out; the auditor signs in and sees only the auditor views', async () => {
  await signOut();
  await signIn('auditor');
  const ids = await navIds();
  expect(JSON.stringify(ids) === JSON.stringify(['blocks', 'checkpoint', 'access-log', 'verify']), `auditor menu: ${ids.join(',')}`);
  await page.goto(baseUrl + '/#/check');
  await page.locator('#view-blocks').waitFor({ state: 'visible' });
  expect(!(await page.locator('#view-check').isVisible()), 'the auditor reached the check view by its address');
});

await step('blocks, a block and its certificate', async () => {
  await goTo('blocks');
  await page.locator('#blocks-table tbody tr').first().waitFor({ state: 'visible' });
  const rows = await page.locator('#blocks-table tbody tr').count();
  expect(rows >= 1 && rows <= 10, `${rows} block rows`);
  const top = Number(await page.locator('#blocks-table tbody tr').first().getAttribute('data-height'));
  await shot('zh-1280-blocks');
  await page.locator('#blocks-table tbody tr a').first().click();
  await page.locator('#block-certificate').waitFor({ state: 'visible' });
  expect((await text('#block-h')) === `区块 ${top}`, `block heading "${await text('#block-h')}"`);
  const votes = await page.locator('#block-certificate table.votes tbody tr').count();
  expect(votes >= 3, `the certificate shows ${votes} votes, want at least 2f+1 = 3`);
  await page.locator('#txs-h').waitFor({ state: 'visible' });
  const firstTx = page.locator('.tx-list button').first();
  if (await firstTx.count()) {
    await firstTx.click();
    await page.locator('#tx-record pre').waitFor({ state: 'visible' });
    expect((await text('#tx-record pre')).includes('"committed"'), 'the transaction record is not shown');
  }
  await shot('zh-1280-block', true);
});

await step('the checkpoint', async () => {
  await goTo('checkpoint');
  await page.locator('#checkpoint-certificate').waitFor({ state: 'visible' });
  expect((await page.locator('#checkpoint-certificate table.votes tbody tr').count()) >= 3, 'checkpoint certificate votes');
  await shot('zh-1280-checkpoint');
});

let receiptHash = '';
await step('the receipt the caseworker got verifies', async () => {
  await goTo('verify');
  await paste('#verify-text', receiptText);
  await page.click('#verify-submit');
  await page.locator('#verify-result #verdict').waitFor({ state: 'visible' });
  expect(await page.getAttribute('#verify-result #verdict', 'data-valid') === 'true',
         'verdict: ' + (await text('#verify-result #verdict')));
  receiptHash = await page.locator('#verify-result #verdict-receipt-hash code').getAttribute('title');
  expect(/^[0-9a-f]{64}$/.test(receiptHash || ''), `receipt hash shown: ${receiptHash}`);
  await shot('zh-1280-verify-valid');
});

await step('a tampered copy of the receipt does not verify, naming the field', async () => {
  const r = JSON.parse(receiptText);
  const field = r.per_capita_monthly_fen !== null ? 'per_capita_monthly_fen' : 'income_total_fen';
  r[field] += 1;
  await paste('#verify-text', JSON.stringify(r, null, 1));
  await page.click('#verify-submit');
  await page.locator('#verify-result #verdict[data-valid="false"]').waitFor({ state: 'visible' });
  const reason = await text('#verify-result .reason');
  expect(reason.includes(field), `reason "${reason}" does not name ${field}`);
  await shot('zh-1280-verify-invalid');
  await page.fill('#verify-text', 'not json');
  await page.click('#verify-submit');
  await page.locator('#verify-err').waitFor({ state: 'visible' });
});

await step('the access log of the checked household shows the caseworker\'s check, with proofs', async () => {
  await goTo('access-log');
  await page.fill('#access-case', eligible.case);
  // The access record is committed shortly after the check answered: ask again (bounded).
  let found = false;
  for (let i = 0; i < 60 && !found; i++) {
    const answered = page.waitForResponse((res) => res.url().includes('/v1/access-log'), T);
    await page.click('#access-submit');
    const res = await answered;
    expect(res.status() === 200, `GET /v1/access-log answered ${res.status()}: ${(await res.text()).slice(0, 300)}`);
    await page.locator('#access-summary').waitFor({ state: 'visible' });
    found = await page.locator(`#access-table td code[title="${receiptHash}"]`).count() > 0;
    if (!found) await page.waitForTimeout(1000);
  }
  expect(found, `no access record with receipt hash ${receiptHash} after 60 tries`);
  await page.locator('#access-table[data-done="true"]').waitFor({ state: 'attached' });
  const rows = await page.locator('#access-table tbody tr').count();
  const ok = await page.locator('#access-table [data-proof="ok"]').count();
  expect(ok === rows, `${ok} of ${rows} access-record proofs verified in the browser`);
  const row = page.locator('#access-table tbody tr', { has: page.locator(`code[title="${receiptHash}"]`) });
  const cells = await row.locator('td').allInnerTexts();
  expect(cells[1] === 'caseworker' && cells[4] === '资格核查', `access record row: ${cells.join(' | ')}`);
  await shot('zh-1280-access-log');
  await page.setViewportSize(PHONE);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow <= 0, `the access log is ${overflow}px wider than the 390px screen`);
  await shot('zh-390-access-log');
  await page.setViewportSize(DESKTOP);
});

await step('switch to English: the texts change, the choice survives a reload', async () => {
  const before = await text('#access-h');
  await page.locator('#lang-switch').focus();
  await page.keyboard.press('Enter');
  expect(await page.getAttribute('html', 'lang') === 'en', 'html lang is not en after the switch');
  const after = await text('#access-h');
  expect(before === '访问日志' && after === 'Access log', `heading "${before}" -> "${after}"`);
  expect((await text('#nav-blocks')) === 'Blocks', 'the menu is not in English');
  expect((await page.locator('#access-table td', { hasText: 'eligibility check' }).count()) > 0,
         'the access log table was not re-rendered in English');
  await shot('en-1280-access-log');
  await page.reload({ waitUntil: 'load' });
  await page.locator('#sign-out').waitFor({ state: 'visible' });
  expect(await page.getAttribute('html', 'lang') === 'en', 'the language was not kept across a reload');
  expect((await text('#access-h')) === 'Access log', 'the view is not in English after the reload');
  await goTo('blocks');
  await page.locator('#blocks-table tbody tr').first().waitFor({ state: 'visible' });
  await shot('en-1280-blocks');
});

await step('in English, the caseworker\'s check shows the English reasons', async () => {
  await signOut();
  expect((await text('#signin-h')) === 'Sign in', 'the sign-in view is not in English');
  await signIn('caseworker');
  await runCheck(eligible, true);
  await assertCheckShown(eligible, 'en');
  await shot('en-1280-check', true);
  await page.setViewportSize(PHONE);
  await chartRedrawnFor(PHONE);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow <= 0, `the page is ${overflow}px wider than the 390px screen`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('en-390-check', true);
  await page.setViewportSize(DESKTOP);
});

await step('back to Chinese', async () => {
  await page.click('#lang-switch');
  expect(await page.getAttribute('html', 'lang') === 'zh-CN', 'html lang is not zh-CN');
  expect((await text('#decision')).trim().endsWith('符合条件'), 'the result was not re-rendered in Chinese');
  expect(await page.evaluate(() => localStorage.getItem('hearth.console.lang')) === 'zh-CN', 'localStorage not updated');
});

await step('no request left this node', async () => {
  const origin = new URL(baseUrl).origin;
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
  expect(foreign.length === 0, 'requests to other origins: ' + foreign.slice(0, 5).join(', '));
});

await browser.close();
console.log(`console_test: ok (${stepNo} steps; screenshots in ${shotsDir})`);
