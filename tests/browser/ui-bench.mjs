// Benchmarks of the DQM GUI pages in headless Chromium (driven by tests/tests/ui_dqm.rs, ignored test):
// 1. the time from navigation start until a folder of 30 thumbnails (root_10k.root, Subsys0/Folder0 filtered to
//    h0…h29, small size, all in view) has every PNG downloaded and decoded, in a fresh browser context each run;
// 2. the bytes a first visit downloads, per page, split into the site's static assets and API answers.
// usage: node ui-bench.mjs BASE_URL RUNS
import { launchChromium, waitFor } from './browser.mjs';

const [base, runs = '7'] = process.argv.slice(2);
const FOLDER = `${base}/dqm/browse?run=1&dataset=/Bench/Root10k/DQMIO&folder=Subsys0/Folder0&search=${encodeURIComponent('h([0-9]|[12][0-9])$')}&size=s`;
const browser = await launchChromium();

async function fresh() {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1500 } });
  return [context, await context.newPage()];
}

/** ms from navigation start to the last thumbnail PNG received, and to all 30 decoded (checked in the page). */
async function folderRun() {
  const [context, page] = await fresh();
  await page.goto(FOLDER);
  // Watched from inside the page (image loads and tile state changes), so the moment is exact and the harness
  // does not poll over the DevTools protocol while the page works.
  const decodedMs = await page.evaluate(() => new Promise((resolve) => {
    const done = () => {
      const imgs = [...document.querySelectorAll('#tiles img')];
      return imgs.length === 30 && imgs.every((i) => i.complete && i.naturalWidth === 200 && i.closest('.tile').dataset.state === 'loaded');
    };
    const check = () => { if (done()) { resolve(performance.now()); observer.disconnect(); } };
    const observer = new MutationObserver(check);
    observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    document.addEventListener('load', check, true);
    check();
  }));
  const times = await page.evaluate(() => {
    const pngs = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/render/'));
    const archive = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/v1/archive/'));
    return {
      pngs: pngs.length, archive_ms: archive.responseEnd, first_png_start_ms: Math.min(...pngs.map((e) => e.startTime)),
      last_png_ms: Math.max(...pngs.map((e) => e.responseEnd)),
    };
  });
  times.decoded_ms = decodedMs;
  await context.close();
  if (times.pngs !== 30) throw new Error(`expected 30 thumbnail requests, saw ${times.pngs}`);
  return times;
}

async function firstVisit(url, ready) {
  const [context, page] = await fresh();
  const requests = [];
  page.on('requestfinished', (r) => requests.push(r));
  await page.goto(url);
  await waitFor(page, ready, null, { timeout: 60000 });
  await page.waitForLoadState('networkidle');
  let assets = 0, api = 0, count = 0;
  for (const r of requests) {
    const sizes = await r.sizes();
    const bytes = sizes.responseBodySize + sizes.responseHeadersSize;
    count += 1;
    if (new URL(r.url()).pathname.startsWith('/api/')) api += bytes; else assets += bytes;
  }
  await context.close();
  return { requests: count, asset_bytes: assets, api_bytes: api };
}

try {
  await folderRun(); // the first visit imports the 10k-histogram sample on the server; not a UI cost
  const results = [];
  for (let i = 0; i < Number(runs); i += 1) results.push(await folderRun());
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(JSON.stringify({
    benchmark: '30 thumbnails (200x150), fresh browser context each run',
    runs: results.length,
    median_archive_listed_ms: Math.round(median(results.map((r) => r.archive_ms))),
    median_first_png_requested_ms: Math.round(median(results.map((r) => r.first_png_start_ms))),
    median_last_png_ms: Math.round(median(results.map((r) => r.last_png_ms))),
    median_all_decoded_ms: Math.round(median(results.map((r) => r.decoded_ms))),
    all_decoded_ms: results.map((r) => Math.round(r.decoded_ms)),
  }));
  const pages = {
    home: [`${base}/`, () => document.querySelectorAll('.systems section').length === 5],
    search: [`${base}/dqm/`, () => document.querySelectorAll('#samples tbody tr select').length > 0],
    folder_30: [FOLDER, () => document.querySelectorAll('#tiles .tile[data-state="loaded"]').length === 30],
    plot_jsroot: [`${base}/dqm/plot?run=123456&dataset=/ZeroBias/Run2024A-PromptReco-v1/DQMIO&plot=Tracking/TrackParameters/GeneralProperties/NumberOfTracks`,
      () => document.getElementById('plot')?.dataset.drawn === 'TH1F'],
  };
  for (const [name, [url, ready]] of Object.entries(pages)) console.log(JSON.stringify({ first_visit: name, ...(await firstVisit(url, ready)) }));
} finally {
  await browser.close();
}
