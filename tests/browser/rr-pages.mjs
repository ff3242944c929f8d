// The Run Registry pages in headless Debian Chromium against a gateway with the RR fixture loaded (driven by
// tests/tests/ui_rr.rs). The SSO proxy is emulated with extra HTTP headers per browser context (identity +
// the proxy's shared secret); the pages themselves send plain same-origin requests. Covers: filter, sort and
// page the run table; a refused write (no identity: 401, wrong e-group: 403) shown as a message; a flag
// changed with a comment, seen in the flags and the history; a golden JSON reflecting it and its download;
// the revert; a golden JSON reflecting the revert; no request leaving the site. Saves a screenshot of every
// page into SCREENSHOT_DIR and prints one JSON summary line.
// usage: node rr-pages.mjs BASE_URL SCREENSHOT_DIR PROXY_SECRET
import { readFile } from 'node:fs/promises';
import { launchChromium, waitFor } from './browser.mjs';

const [base, shots, secret] = process.argv.slice(2);
const origin = new URL(base).origin;
const RUN = 316100;
const outside = [];
const pageErrors = [];
const summary = {};

function check(ok, message) {
  if (!ok) throw new Error(`check failed: ${message}`);
}

const browser = await launchChromium();

/** A browser context as one user behind the SSO proxy (or nobody). */
async function pageAs(email, egroups) {
  const headers = email ? { email, egroups, 'x-rr-proxy-secret': secret } : {};
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, extraHTTPHeaders: headers, acceptDownloads: true });
  const page = await context.newPage();
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin) outside.push(url);
  });
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  // Every failed response is an error, except the refusals the test provokes (401/403 from the API) and the
  // API errors of errors() (page.apiErrorsExpected).
  page.on('response', (r) => {
    const provoked = r.url().includes('/rr/api/') && ([401, 403].includes(r.status()) || page.apiErrorsExpected);
    if (r.status() >= 400 && !provoked) pageErrors.push(`${r.status()} ${r.url()}`);
  });
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`${page.url()}: ${m.text()}`); });
  return page;
}

const shot = (page, name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
const runNumbers = (page) => page.$$eval('#runs tbody tr[data-run]', (trs) => trs.map((tr) => Number(tr.dataset.run)));
const messages = (page) => page.$$eval('#messages .message', (ms) => ms.map((m) => m.textContent));
const summaryText = (page) => page.textContent('#summary');

/** Runs `action` on a page with no message shown and waits for the message it causes; returns all messages. */
async function withMessage(page, action) {
  await page.evaluate(() => document.querySelectorAll('#messages .message').forEach((m) => m.remove()));
  await action();
  await waitFor(page, () => document.querySelectorAll('#messages .message').length > 0);
  return messages(page);
}

/** Submits the filter form and waits for the table to show the new answer. */
async function filterRuns(page, fill) {
  const before = await summaryText(page);
  await fill();
  await page.click('#filters button[type="submit"]');
  await waitFor(page, (prev) => document.querySelector('#summary').textContent !== prev && !document.querySelector('#runs tbody td[colspan]')?.textContent.includes('Loading'), before);
}

async function runTable() {
  const page = await pageAs('shifter@cern.ch', 'cms-dqm-runregistry-shifters');
  await page.goto(`${base}/rr/`);
  await waitFor(page, () => document.querySelectorAll('#runs tbody tr[data-run]').length > 0);
  const total = await summaryText(page);
  summary.all = Number(total.split(' ')[0]);
  const first = await runNumbers(page);
  check(first.length === Math.min(25, summary.all), `first page has ${first.length} rows`);
  check(first.every((r, i) => i === 0 || first[i - 1] > r), 'default order is run_number DESC');
  check((await page.textContent('#rr-who')).includes('shifter@cern.ch'), 'the page shows who is signed in');

  // Sorting: the Run header toggles to ascending.
  await page.click('#runs th[data-sort="run_number"] button');
  await waitFor(page, () => document.querySelector('#runs th[data-sort="run_number"]').getAttribute('aria-sort') === 'ascending' && document.querySelectorAll('#runs tbody tr[data-run]').length > 0);
  await waitFor(page, () => Number(document.querySelector('#runs tbody tr[data-run]').dataset.run) === 316100);

  // Filter by class.
  await filterRuns(page, () => page.fill('#f-class', 'Cosmics'));
  const cosmics = await page.$$eval('#runs tbody tr[data-run] td:nth-child(2)', (tds) => tds.map((td) => td.textContent));
  summary.cosmics = Number((await summaryText(page)).split(' ')[0]);
  check(cosmics.length === summary.cosmics && cosmics.every((c) => c === 'Cosmics18'), `cosmics rows ${cosmics}`);
  check(page.url().includes('class=Cosmics'), 'filters live in the URL');

  // Filter by a component flag: ecal-ecal has BAD LS in runs i % 5 == 1.
  await filterRuns(page, async () => { await page.fill('#f-class', ''); await page.selectOption('#f-component', 'ecal-ecal'); await page.selectOption('#f-status', 'BAD'); });
  const ecal = await runNumbers(page);
  check(ecal.length === 5 && ecal.every((r) => (r - RUN) % 5 === 1), `ecal BAD runs ${ecal}`);
  const flagText = await page.textContent('#runs tbody tr[data-run] .rr-flags');
  check(flagText.includes('ecal-ecal ×3'), `flag summary ${flagText}`);
  await shot(page, 'rr-runs');

  // Paging: 10 per page over everything.
  await filterRuns(page, async () => { await page.selectOption('#f-component', ''); await page.selectOption('#f-size', '10'); });
  check((await page.textContent('#page-of')) === 'Page 1 of 3', 'three pages of 10');
  const page1 = await runNumbers(page);
  await page.click('#next');
  await waitFor(page, () => document.querySelector('#page-of').textContent === 'Page 2 of 3');
  await waitFor(page, (p1) => { const rows = [...document.querySelectorAll('#runs tbody tr[data-run]')]; return rows.length === 10 && !p1.includes(Number(rows[0].dataset.run)); }, page1);
  // A reload of the URL gives the same view.
  const url = page.url();
  await page.goto(url);
  await waitFor(page, () => document.querySelector('#page-of').textContent === 'Page 2 of 3' && document.querySelector('#f-size').value === '10');
  await page.context().close();
}

/** Fills the edit form of the run page and submits it; resolves to the messages shown afterwards. */
async function editFlag(page, { component, start, end, status, comment }) {
  await page.selectOption('#e-component', component);
  await page.fill('#e-start', String(start));
  await page.fill('#e-end', String(end));
  await page.selectOption('#e-status', status);
  await page.fill('#e-comment', comment);
  return withMessage(page, () => page.click('#e-save'));
}

async function openRun(page) {
  await page.goto(`${base}/rr/run?run=${RUN}`);
  await waitFor(page, () => document.body.dataset.ready === 'true');
}

const dtRanges = (page) => page.$$eval('#flags tr[data-component="dt-dt"] li', (lis) => lis.map((li) => [Number(li.dataset.start), Number(li.dataset.end), li.dataset.status]));

async function refusedWrites() {
  const anonymous = await pageAs(null);
  await openRun(anonymous);
  const shown = await editFlag(anonymous, { component: 'dt-dt', start: 3, end: 4, status: 'BAD', comment: 'HV trip' });
  summary.refused = shown.at(-1);
  check((await anonymous.textContent('#edit-status')).includes('Not saved. Not signed in'), 'the refusal is shown beside the form too');
  check((await dtRanges(anonymous)).length === 1, 'nothing changed');
  await shot(anonymous, 'rr-run-refused');
  await anonymous.context().close();

  const outsider = await pageAs('outsider@cern.ch', 'cms-somebody-else');
  await openRun(outsider);
  summary.forbidden = (await editFlag(outsider, { component: 'dt-dt', start: 3, end: 4, status: 'BAD', comment: 'HV trip' })).at(-1);
  check(summary.forbidden.startsWith('Not allowed') && !summary.forbidden.includes('<'), `403 message as text: ${summary.forbidden}`);
  await outsider.context().close();
}

async function changeFlag() {
  const page = await pageAs('shifter@cern.ch', 'cms-dqm-runregistry-shifters');
  await openRun(page);
  check(JSON.stringify(await dtRanges(page)) === JSON.stringify([[1, 20, 'GOOD']]), `dt-dt before: ${JSON.stringify(await dtRanges(page))}`);
  // A range's "change" button fills the form with it.
  await page.click('#flags tr[data-component="dt-dt"] li .rr-pick');
  const picked = await page.evaluate(() => ['e-component', 'e-start', 'e-end', 'e-status'].map((id) => document.getElementById(id).value));
  check(JSON.stringify(picked) === JSON.stringify(['dt-dt', '1', '20', 'GOOD']), `picked ${picked}`);
  const shown = await editFlag(page, { component: 'dt-dt', start: 3, end: 4, status: 'BAD', comment: 'HV trip in sector 5' });
  check(shown.at(-1).includes('Saved as version'), `saved: ${shown}`);
  await waitFor(page, () => document.querySelectorAll('#flags tr[data-component="dt-dt"] li').length === 3);
  const ranges = await dtRanges(page);
  check(JSON.stringify(ranges) === JSON.stringify([[1, 2, 'GOOD'], [3, 4, 'BAD'], [5, 20, 'GOOD']]), `dt-dt after: ${JSON.stringify(ranges)}`);
  const top = await page.$eval('#history tbody tr[data-version]', (tr) => ({ version: Number(tr.dataset.version), cells: [...tr.children].map((td) => td.textContent) }));
  check(top.cells[2].includes('shifter@cern.ch') && top.cells[3].includes('HV trip in sector 5') && top.cells[4].includes('LS 3–4'), `history row ${JSON.stringify(top)}`);
  summary.version = top.version;
  // A shifter may not revert: the refusal is a message.
  await page.click(`#history tr[data-version="${top.version}"] .rr-revert`);
  await page.fill('.rr-revert-form input', 'try');
  const refused = await withMessage(page, () => page.click('.rr-revert-form button[type="submit"]'));
  check(refused.at(-1).includes('cms-dqm-runregistry-experts'), `revert refused for a shifter: ${refused}`);
  await page.click('.rr-revert-form button.secondary');
  await page.evaluate(() => document.querySelectorAll('#messages .message').forEach((m) => m.remove()));
  await shot(page, 'rr-run');
  await page.context().close();
}

/** Generates the dt-dt rule's golden JSON on the JSON page; returns the ranges shown for RUN. */
async function golden(name, { download = false } = {}) {
  const page = await pageAs('expert@cern.ch', 'cms-dqm-runregistry-experts');
  await page.goto(`${base}/rr/json`);
  await waitFor(page, () => document.body.dataset.ready === 'true' && document.querySelector('#g-rule').value.includes('dt-dt'));
  await page.fill('#g-filter', 'online');
  await page.click('#g-run');
  await waitFor(page, () => !document.getElementById('result').hidden && document.querySelector('#g-progress').textContent.includes('done'));
  const shown = await page.$eval(`#ranges tr[data-run="${RUN}"]`, (tr) => [tr.querySelector('.rr-good').textContent, tr.querySelector('.rr-anti').textContent]);
  const toRanges = (text) => (text ? text.split(', ').map((r) => r.split('–').map(Number)).map(([a, b]) => [a, b ?? a]) : []);
  const lossRows = await page.$$eval('#loss tbody tr', (trs) => trs.map((tr) => tr.textContent));
  if (download) {
    const [file] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    summary.downloaded = JSON.parse(await readFile(await file.path(), 'utf8'));
    summary.downloadName = file.suggestedFilename();
    check(lossRows.some((r) => r.includes('lumisection.rr.dt-dt')), `loss per rule: ${lossRows}`);
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
    await shot(page, name);
    // The result's link reloads the same result.
    const link = await page.getAttribute('#permalink', 'href');
    await page.goto(`${base}${link}`);
    await waitFor(page, (run) => document.querySelector(`#ranges tr[data-run="${run}"]`), RUN);
  }
  await page.context().close();
  return { good: toRanges(shown[0]), anti: toRanges(shown[1]) };
}

async function revert() {
  const page = await pageAs('expert@cern.ch', 'cms-dqm-runregistry-experts');
  await openRun(page);
  await page.click(`#history tr[data-version="${summary.version}"] .rr-revert`);
  await page.fill('.rr-revert-form input', 'false alarm: HV was fine');
  await page.click('.rr-revert-form button[type="submit"]');
  await waitFor(page, () => [...document.querySelectorAll('#messages .message')].some((m) => m.textContent.includes('reverted')));
  await waitFor(page, () => document.querySelectorAll('#flags tr[data-component="dt-dt"] li').length === 1);
  check(JSON.stringify(await dtRanges(page)) === JSON.stringify([[1, 20, 'GOOD']]), 'revert restores dt-dt');
  const rows = await page.$$eval('#history tbody tr[data-version]', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  check(rows[0][2].includes('expert@cern.ch') && rows[0][3].includes(`revert of version ${summary.version}`) && rows[0][3].includes('false alarm'), `revert row ${rows[0]}`);
  check(rows.some((r) => r[0] === String(summary.version) && r[2].includes('shifter@cern.ch')), 'the reverted change stays in the history');
  await page.evaluate(() => document.querySelector('#history').scrollIntoView());
  await page.screenshot({ path: `${shots}/rr-run-reverted.png` });
  await page.context().close();
}

/** API errors are messages on the page, never a blank page. */
async function errors() {
  const page = await pageAs('expert@cern.ch', 'cms-dqm-runregistry-experts');
  page.apiErrorsExpected = true;
  await page.goto(`${base}/rr/run?run=1`);
  await waitFor(page, () => document.querySelector('#title').textContent.includes('not found') && document.querySelector('#messages .message'));
  check((await messages(page)).at(-1).includes('Run 1 not found'), `unknown run: ${await messages(page)}`);
  await page.goto(`${base}/rr/json`);
  await waitFor(page, () => document.body.dataset.ready === 'true');
  await page.fill('#g-rule', '{"==": [');
  check((await withMessage(page, () => page.click('#g-run'))).at(-1).includes('not valid JSON'), 'a rule that is not JSON');
  await page.fill('#g-rule', '{"==":[{"var":"lumisection.rr.dt-dt"},"GOOD"]}');
  await page.fill('#g-filter', '/NoSuch/%');
  const unmatched = await withMessage(page, () => page.click('#g-run'));
  check(unmatched.at(-1).includes('No datasets matched'), `the API's validation error: ${unmatched}`);
  summary.errors = true;
  await page.context().close();
}

try {
  await runTable();
  await errors();
  await refusedWrites();
  await changeFlag();
  const afterEdit = await golden('rr-json', { download: true });
  summary.goldenAfterEdit = afterEdit.good;
  check(JSON.stringify(afterEdit.anti) === JSON.stringify([[3, 4]]), `anti-JSON ${JSON.stringify(afterEdit.anti)}`);
  await revert();
  summary.goldenAfterRevert = (await golden('rr-json-after-revert')).good;
} finally {
  await browser.close();
}
summary.outside = outside;
summary.pageErrors = pageErrors;
console.log(JSON.stringify(summary));
