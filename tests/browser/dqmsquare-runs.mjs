// Opens the DQM² runs page in headless Debian Chromium, prints the job rows (class, computed background,
// cells) as JSON, prints "ready", then waits until the page's 3 s refresh shows `rowsAfter` rows and saves
// a screenshot. Driven by tests/tests/dqmsquare_mirror.rs.
// usage: node dqmsquare-runs.mjs URL ROWS_AFTER SCREENSHOT
import { launchChromium } from './browser.mjs';

const [url, rowsAfter, screenshot] = process.argv.slice(2);
const rows = (page) =>
  page.$$eval('#jobs tbody tr', (trs) =>
    trs.map((tr) => ({ cls: tr.className, bg: getComputedStyle(tr).backgroundColor, cells: [...tr.children].map((td) => td.textContent) })));

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  await page.waitForSelector('#jobs tbody tr', { timeout: 15000 });
  console.log(JSON.stringify({ before: await rows(page) }));
  console.log('ready');
  await page.waitForFunction((n) => document.querySelectorAll('#jobs tbody tr').length === n, Number(rowsAfter), { timeout: 20000 });
  console.log(JSON.stringify({ after: await rows(page), text: await page.innerText('body') }));
  await page.screenshot({ path: screenshot, fullPage: true });
} finally {
  await browser.close();
}
