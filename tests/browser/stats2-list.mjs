// The Stats2 list page in headless Debian Chromium (driven by tests/tests/stats2_browser.rs): page 0 shows
// 100 workflows and every event-history thumbnail decodes at its size once scrolled into view; "next" goes
// to page 1; the filter form narrows the list to one campaign (and the URL says so); a campaign link in a
// cell filters too; no request leaves the site. Saves a screenshot of the filtered page and prints one JSON
// summary line.
// usage: node stats2-list.mjs BASE_URL SCREENSHOT CAMPAIGN
import { launchChromium } from './browser.mjs';

const [base, screenshot, campaign] = process.argv.slice(2);
const origin = new URL(base).origin;
const outside = [];
const failed = [];
const summary = {};

function check(ok, message) {
  if (!ok) throw new Error(`check failed: ${message}`);
}

const rows = (page) => page.$$eval('table tbody tr', (trs) => trs.map((tr) => tr.querySelector('td.name').textContent));

/** Scrolls every lazy thumbnail into view and waits until each has decoded; returns their natural sizes. */
async function thumbnails(page) {
  const count = await page.locator('td img').count();
  for (let i = 0; i < count; i++) await page.locator('td img').nth(i).scrollIntoViewIfNeeded();
  const deadline = Date.now() + 60000;
  for (;;) {
    const sizes = await page.$$eval('td img', (imgs) => imgs.map((img) => (img.complete && img.naturalWidth ? [img.naturalWidth, img.naturalHeight] : null)));
    if (sizes.every(Boolean)) return sizes;
    if (Date.now() > deadline) throw new Error(`thumbnails not loaded: ${sizes.filter((s) => !s).length} of ${sizes.length}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== origin) outside.push(r.url());
  });
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });

  await page.goto(`${base}/stats`);
  summary.page0 = (await rows(page)).length;
  const sizes = await thumbnails(page);
  summary.thumbnails = sizes.length;
  summary.thumbnailSizes = [...new Set(sizes.map((s) => s.join('x')))];
  summary.status = await page.innerText('p.status');
  // The site's common header, mounted by the ui component's module into its shadow root.
  await page.waitForFunction(() => document.querySelector('header.site-header')?.shadowRoot?.querySelector('a[aria-current=page]'), null, { timeout: 15000 });
  summary.siteHeader = await page.evaluate(() => document.querySelector('header.site-header').shadowRoot.querySelector('a[aria-current=page]').textContent);
  summary.count = await page.innerText('p.count');

  await page.click('nav.pages a:has-text("next")');
  await page.waitForURL(/\/stats\/1$/);
  summary.page1 = (await rows(page)).length;

  await page.selectOption('select[name=by]', 'campaign');
  await page.fill('input[name=value]', campaign);
  await page.click('form.filters button');
  await page.waitForURL((url) => url.search === `?campaign=${campaign}`);
  summary.filteredUrl = page.url().slice(base.length);
  summary.filtered = await rows(page);
  summary.campaignCells = await page.$$eval('table tbody tr', (trs) => trs.map((tr) => tr.children[3].textContent));
  summary.selected = await page.$eval('select[name=by]', (s) => s.value);
  summary.filteredSizes = [...new Set((await thumbnails(page)).map((s) => s.join('x')))];
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshot });

  // A campaign link in a cell filters by it.
  await page.click(`table tbody tr:first-child td:nth-child(4) a:has-text("${campaign}SIM")`);
  await page.waitForURL((url) => url.search === `?campaign=${campaign}SIM`);
  summary.linked = (await rows(page)).length;

  summary.outside = outside;
  summary.failed = failed;
  check(outside.length === 0, `requests left the site: ${outside}`);
  console.log(JSON.stringify(summary));
} finally {
  await browser.close();
}
