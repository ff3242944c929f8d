// The DQM GUI pages in headless Debian Chromium, against a gateway with the DQM fixtures registered (driven by
// tests/tests/ui_dqm.rs): search a sample, open a folder, thumbnails decode at the requested size, lazy
// loading, filter by name, one lumi, a layout grid, a reference overlay, one plot in JSROOT (a bin content read
// from the painter), a shared URL reloaded into the same view, API errors shown as messages, and no request
// leaving the site. Saves a screenshot of every page into SCREENSHOT_DIR. Prints one JSON summary line.
// usage: node ui-dqm.mjs BASE_URL SCREENSHOT_DIR
import { launchChromium, waitFor } from './browser.mjs';

const [base, shots] = process.argv.slice(2);
const origin = new URL(base).origin;
const ZB = '/ZeroBias/Run2024A-PromptReco-v1/DQMIO';
const GP = 'Tracking/TrackParameters/GeneralProperties';
const outside = [];
const pageErrors = [];
const summary = {};

function check(ok, message) {
  if (!ok) throw new Error(`check failed: ${message}`);
}

const browser = await launchChromium();

async function newPage(width = 1366, height = 900) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin) outside.push(url);
  });
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => { if (m.text().includes('Content Security Policy')) pageErrors.push(`${page.url()}: ${m.text()}`); });
  page.renders = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/render')) page.renders.push(r.url()); });
  return page;
}

const shot = (page, name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
const tileNames = (page) => page.$$eval('#tiles .tile .tile-name', (as) => as.map((a) => a.textContent));

/** Waits until every tile in view has its PNG, then returns [naturalWidth, naturalHeight, src] of each loaded one. */
async function loadedTiles(page, selector = '#tiles') {
  await waitFor(page, (sel) => {
    const tiles = [...document.querySelectorAll(`${sel} .tile`)];
    return tiles.length > 0 && tiles.every((t) => t.dataset.state === 'loaded' || t.dataset.state === 'failed' || !t.dataset.state && !isVisible(t));
    function isVisible(t) { const r = t.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }
  }, selector, { timeout: 30000 });
  return page.$$eval(`${selector} .tile img[src]`, (imgs) => imgs.map((i) => [i.naturalWidth, i.naturalHeight, i.getAttribute('src'), i.complete]));
}

try {
  // Landing page: the common header and the five systems.
  let page = await newPage();
  await page.goto(`${base}/`);
  const nav = await page.$$eval('header.site-header nav a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  check(JSON.stringify(nav) === JSON.stringify([['DQM GUI', '/dqm/'], ['Run Registry', '/rr/'], ['Stats2', '/stats/'], ['DQM² Mirror', '/dqm/dqm-square/'], ['NectarCAM', '/nectarcam/']]), `header ${JSON.stringify(nav)}`);
  check((await page.$$('.systems section h2 a')).length === 5, 'five systems on the landing page');
  await shot(page, 'home');

  // Search a sample: by run, then by dataset; the per-lumi samples sit behind the row's lumi selector.
  await page.goto(`${base}/dqm/`);
  await page.waitForSelector('#latest li a');
  await page.fill('#run', '123457');
  await waitFor(page, () => document.querySelectorAll('#samples tbody tr').length === 1 && document.querySelector('#samples tbody td')?.textContent === '123457');
  check(new URL(page.url()).searchParams.get('run') === '123457', 'the run search is in the URL');
  await page.fill('#run', '123456');
  await page.fill('#dataset', 'zerobias');
  await waitFor(page, () => document.querySelectorAll('#samples tbody tr').length === 2);
  const treeRow = page.locator('#samples tbody tr', { hasText: 'DQMIOTREE' });
  await treeRow.locator('select').waitFor();
  await waitFor(page, () => [...document.querySelectorAll('#samples tbody tr')].some((tr) => tr.querySelector('select')?.options.length === 4));
  const lumiOptions = await treeRow.locator('select option').allTextContents();
  check(JSON.stringify(lumiOptions) === JSON.stringify(['All lumis (run)', 'Lumi 1', 'Lumi 2', 'Lumi 3']), `lumi options ${lumiOptions}`);
  await treeRow.locator('select').selectOption('2');
  check((await treeRow.locator('a.button').getAttribute('href')).includes('lumi=2'), 'Open goes to lumi 2');
  await shot(page, 'dqm-search');
  await page.locator('#samples tbody tr', { hasText: `${ZB}` }).filter({ hasNotText: 'TREE' }).locator('a.button').click();
  await page.waitForURL(/\/dqm\/browse\?/);

  // Open a folder, down to GeneralProperties: sub-folders with ME counts, breadcrumbs.
  await page.waitForSelector('#folders a');
  const top = await page.$$eval('#folders a', (as) => as.map((a) => [a.querySelector('.folder-name').textContent, Number(a.querySelector('.count').textContent)]));
  check(top.some(([name, count]) => name === 'Tracking' && count > 0) && top.some(([name]) => name === 'Info'), `top folders ${top}`);
  await shot(page, 'dqm-folders');
  for (const name of ['Tracking', 'TrackParameters', 'GeneralProperties']) {
    await page.locator('#folders a', { has: page.locator('.folder-name', { hasText: new RegExp(`^${name}$`) }) }).click();
    await waitFor(page, (n) => document.querySelector('#here')?.textContent === n, name);
  }
  check(new URL(page.url()).searchParams.get('folder') === GP, `folder in the URL: ${page.url()}`);
  const crumbs = await page.$$eval('#crumbs li', (lis) => lis.map((li) => li.textContent));
  check(JSON.stringify(crumbs) === JSON.stringify(['Top', 'Tracking', 'TrackParameters', 'GeneralProperties']), `crumbs ${crumbs}`);

  // Thumbnails: every PNG decodes at the requested size; QTest and efficiency badges.
  let imgs = await loadedTiles(page);
  check(imgs.length === 5 && imgs.every(([w, h, , complete]) => w === 266 && h === 200 && complete), `266x200 thumbnails ${JSON.stringify(imgs)}`);
  await waitFor(page, () => document.querySelector('.tile[data-path$="TrackEfficiency"] .badge-eff'));
  check(await page.locator('.tile[data-path$="/NumberOfTracks"] .badge-ok').count() === 1, 'NumberOfTracks shows its QTest OK');
  await page.selectOption('#size', 'l');
  await waitFor(page, () => document.querySelectorAll('#tiles img[width="400"]').length === 5);
  imgs = await loadedTiles(page);
  check(imgs.length === 5 && imgs.every(([w, h]) => w === 400 && h === 300), `400x300 thumbnails ${JSON.stringify(imgs)}`);
  summary.thumbnail_sizes = [...new Set(imgs.map(([w, h]) => `${w}x${h}`))];
  await page.selectOption('#size', 'm');
  await loadedTiles(page);
  await shot(page, 'dqm-browse');

  // Filter by name.
  await page.fill('#filter', 'Track');
  await waitFor(page, () => new URL(location.href).searchParams.get('search') === 'Track' && document.querySelectorAll('#tiles .tile').length === 3);
  const filtered = await tileNames(page);
  check(JSON.stringify(filtered) === JSON.stringify(['TrackEfficiency', 'TrackEtaPhi', 'TrackPt']), `filtered ${filtered}`);
  await loadedTiles(page);

  // Reference overlay: run 123457 as the reference, as a ratio, not normalised.
  await page.fill('#ref-run', '123457');
  await page.selectOption('#ref-mode', 'ratiooverlay');
  await page.uncheck('#ref-norm');
  await page.fill('#ref-label', 'last week');
  await page.click('#ref-apply');
  await waitFor(page, () => document.querySelector('#tiles img')?.dataset.src.includes('render_overlay'));
  imgs = await loadedTiles(page);
  const overlay = new URL(imgs[0][2], base);
  check(overlay.pathname === '/api/v1/render_overlay', `overlay URL ${overlay}`);
  check(JSON.stringify(overlay.searchParams.getAll('obj')) === JSON.stringify([`archive/123456${ZB}/${GP}/TrackEfficiency`, `archive/123457${ZB}/${GP}/TrackEfficiency`]), `objs ${overlay.search}`);
  check(overlay.searchParams.get('ref') === 'ratiooverlay' && overlay.searchParams.get('norm') === 'false' && overlay.searchParams.get('reflabel') === 'last week', `overlay options ${overlay.search}`);
  check(imgs.every(([w, h]) => w === 266 && h === 200), 'overlay PNGs at the requested size');
  await shot(page, 'dqm-overlay');

  // A shared URL opens the same view in a fresh browser context.
  const shared = page.url();
  const viewOf = (p) => p.evaluate(() => ({
    crumbs: [...document.querySelectorAll('#crumbs li')].map((li) => li.textContent),
    filter: document.getElementById('filter').value, size: document.getElementById('size').value,
    ref: document.getElementById('ref-run').value, mode: document.getElementById('ref-mode').value,
    srcs: [...document.querySelectorAll('#tiles img')].map((i) => i.dataset.src),
  }));
  const before = await viewOf(page);
  const fresh = await newPage();
  await fresh.goto(shared);
  await loadedTiles(fresh);
  const after = await viewOf(fresh);
  check(JSON.stringify(before) === JSON.stringify(after) && after.srcs.length === 3, `shared view differs:\n${JSON.stringify(before)}\n${JSON.stringify(after)}`);
  await fresh.context().close();

  // Switch to one lumi on the per-lumi dataset: the listing is that lumi's sample.
  await page.goto(`${base}/dqm/browse?run=123456&dataset=${ZB}TREE&folder=Tracking`);
  await page.waitForSelector('#folders a');
  const runLevel = await page.$$eval('#folders a .folder-name', (as) => as.map((a) => a.textContent));
  await waitFor(page, () => document.querySelector('#lumi')?.options.length === 4);
  await page.selectOption('#lumi', '2');
  await waitFor(page, () => new URL(location.href).searchParams.get('lumi') === '2' && document.querySelector('#sample-title').textContent.includes('lumi 2'));
  await waitFor(page, (before) => JSON.stringify([...document.querySelectorAll('#folders a .folder-name')].map((a) => a.textContent)) !== before, JSON.stringify(runLevel));
  const lumiFolders = await page.$$eval('#folders a .folder-name', (as) => as.map((a) => a.textContent));
  check(lumiFolders.includes('PerLumi') && !runLevel.includes('PerLumi'), `lumi 2 folders ${lumiFolders} vs run ${runLevel}`);
  await page.locator('#folders a', { hasText: 'PerLumi' }).click();
  imgs = await loadedTiles(page);
  check(imgs.length === 2 && imgs.every(([w, , src]) => w === 266 && src.includes('/123456:2/')), `lumi tiles ${JSON.stringify(imgs)}`);
  await shot(page, 'dqm-lumi');

  // Scalars show their value.
  await page.goto(`${base}/dqm/browse?run=123456&dataset=${ZB}&folder=Info/EventInfo`);
  await waitFor(page, () => document.querySelector('.tile[data-path="Info/EventInfo/iRun"]')?.dataset.value);
  check(await page.locator('.tile[data-path="Info/EventInfo/iRun"] .scalar-value').textContent() === '123456', 'iRun shows 123456');

  // Lazy loading: in a folder of 100 MEs only the tiles in view fetch their PNG; scrolling fetches more.
  await page.setViewportSize({ width: 1366, height: 700 });
  page.renders.length = 0;
  await page.goto(`${base}/dqm/browse?run=1&dataset=/Bench/Root10k/DQMIO&folder=Subsys0/Folder0`);
  await waitFor(page, () => document.querySelectorAll('#tiles .tile').length === 100);
  await loadedTiles(page);
  const firstScreen = page.renders.length;
  check(firstScreen > 0 && firstScreen < 40, `first screen fetched ${firstScreen} of 100 PNGs`);
  await page.locator('#tiles .tile').last().scrollIntoViewIfNeeded();
  await waitFor(page, () => document.querySelector('#tiles .tile:last-child').dataset.state === 'loaded');
  check(page.renders.length > firstScreen && page.renders.length < 100, `after scrolling to the end ${page.renders.length} PNGs`);
  summary.lazy = { first_screen: firstScreen, after_scroll: page.renders.length, tiles: 100 };
  await page.setViewportSize({ width: 1366, height: 900 });

  // A layout folder lists its layouts; a layout opens as its grid, each item with its draw options.
  await page.goto(`${base}/dqm/browse?run=123456&dataset=${ZB}&folder=00 Shift/Tracking`);
  await page.waitForSelector('#layouts a');
  await page.locator('#layouts a', { hasText: '00 - Tracking: number of tracks' }).click();
  await page.waitForURL(/\/dqm\/layout\?/);
  imgs = await loadedTiles(page, '#grid');
  check(imgs.length === 1 && imgs[0][0] === 400, `layout tile ${JSON.stringify(imgs)}`);
  const drawn = new URL(imgs[0][2], base).searchParams;
  check(drawn.get('ytype') === 'log' && drawn.get('drawopts') === 'hist', `layout draw options ${imgs[0][2]}`);
  await page.goto(`${base}/dqm/layout?run=123456&dataset=${ZB}&layout=${encodeURIComponent('UI test - tracking overview')}`);
  imgs = await loadedTiles(page, '#grid');
  const grid = await page.$eval('#grid', (g) => ({ columns: g.dataset.columns, names: [...g.querySelectorAll('.tile-name')].map((a) => a.textContent), text: g.textContent }));
  check(grid.columns === '2' && JSON.stringify(grid.names) === JSON.stringify(['NumberOfTracks', 'TrackPt', 'TrackEtaPhi', 'TrackEfficiency']), `layout grid ${JSON.stringify(grid)}`);
  check(imgs.length === 4 && imgs.every(([w, h]) => w === 400 && h === 300), `layout PNGs ${JSON.stringify(imgs)}`);
  check(grid.text.includes('Tracks per event, log scale.'), 'layout descriptions shown');
  check(new URL(imgs[1][2], base).searchParams.get('xmax') === '30', 'TrackPt keeps its xmax');
  await shot(page, 'dqm-layout');

  // One plot in JSROOT: the drawn histogram's bin content equals the API's; log Y and an X range via the controls.
  const plotUrl = `${base}/dqm/plot?run=123456&dataset=${ZB}&plot=${GP}/NumberOfTracks&ref_run=123457`;
  await page.goto(plotUrl);
  await page.waitForSelector('#plot[data-drawn="TH1F"]');
  const api = await (await page.request.get(`${base}/api/v1/json/123456${ZB}/${GP}/NumberOfTracks`)).json();
  const bin = api.fArray.findIndex((v) => v > 0 && v === Math.max(...api.fArray));
  const fromPainter = await page.evaluate((b) => document.getElementById('plot').dqmPainter.getHisto().getBinContent(b), bin);
  check(fromPainter === api.fArray[bin] && fromPainter > 0, `bin ${bin}: painter ${fromPainter}, API ${api.fArray[bin]}`);
  check(await page.evaluate(() => Boolean(document.getElementById('plot').dqmReference)), 'the reference is drawn on top');
  check(await page.locator('#plot svg').count() > 0, 'JSROOT drew an SVG');
  await page.check('#ylog');
  await page.fill('#xmin', '10');
  await page.fill('#xmax', '40');
  await page.click('#options button[type="submit"]');
  await waitFor(page, () => new URL(location.href).searchParams.get('ytype') === 'log');
  await page.waitForSelector('#plot[data-drawn="TH1F"]');
  const view = await page.evaluate(() => {
    const p = document.getElementById('plot').dqmPainter, fp = p.getFramePainter();
    return { logy: fp.logy, zoom: [fp.zoom_xmin, fp.zoom_xmax], entries: p.getHisto().fEntries };
  });
  check(view.logy === 1 && view.zoom[0] === 10 && view.zoom[1] === 40 && view.entries === api.fEntries, `plot view ${JSON.stringify(view)}`);
  summary.jsroot = { bin, content: fromPainter, ...view };
  const png = await page.request.get(new URL(await page.getAttribute('#png-link', 'href'), base).href);
  const body = await png.body();
  check(png.headers()['content-type'] === 'image/png' && body.readUInt32BE(16) === 800 && body.readUInt32BE(20) === 600, 'PNG link is an 800x600 PNG');
  check(new URL(await page.getAttribute('#png-link', 'href'), base).searchParams.get('ytype') === 'log', 'PNG link carries the options');
  const json = await (await page.request.get(new URL(await page.getAttribute('#json-link', 'href'), base).href)).json();
  check(json._typename === 'TH1F', 'JSON link is the ROOT-JSON');
  await shot(page, 'dqm-plot');
  // The shared plot URL redraws the same state.
  const plotShared = await newPage();
  await plotShared.goto(page.url());
  await plotShared.waitForSelector('#plot[data-drawn="TH1F"]');
  const again = await plotShared.evaluate(() => {
    const p = document.getElementById('plot').dqmPainter, fp = p.getFramePainter();
    return { logy: fp.logy, zoom: [fp.zoom_xmin, fp.zoom_xmax], entries: p.getHisto().fEntries };
  });
  check(JSON.stringify(again) === JSON.stringify(view), `shared plot ${JSON.stringify(again)}`);
  await plotShared.context().close();

  // A 2-D plot and a scalar in the one-plot view.
  await page.goto(`${base}/dqm/plot?run=123456&dataset=${ZB}&plot=${GP}/TrackEtaPhi`);
  await page.waitForSelector('#plot[data-drawn="TH2F"]');
  await shot(page, 'dqm-plot-2d');
  await page.goto(`${base}/dqm/plot?run=123456&dataset=${ZB}&plot=Info/EventInfo/iRun`);
  await page.waitForSelector('#plot[data-drawn="scalar"]');
  check(await page.textContent('#plot') === '123456', 'the scalar plot shows its value');

  // API errors are messages, not blank pages.
  await page.goto(`${base}/dqm/browse?run=1&dataset=/No/Such/DS`);
  await page.waitForSelector('#messages .message-error');
  check((await page.textContent('#messages')).includes('No sample is registered for run 1'), 'unknown sample message');
  await page.goto(`${base}/dqm/plot?run=123456&dataset=${ZB}&plot=No/Such/ME`);
  await page.waitForSelector('#messages .message-error');
  check((await page.textContent('#messages')).includes('There is no ME No/Such/ME'), 'unknown ME message');
  await shot(page, 'dqm-error');

  // Keyboard: Tab reaches the folder links and Enter opens one.
  await page.goto(`${base}/dqm/browse?run=123456&dataset=${ZB}`);
  await page.waitForSelector('#folders a');
  await page.focus('#folders a');
  await page.keyboard.press('Enter');
  await waitFor(page, () => new URL(location.href).searchParams.get('folder') === '00 Shift');
  check(await page.evaluate(() => document.activeElement?.id === 'here'), 'focus moves to the current folder');

  check(outside.length === 0, `requests outside the site: ${outside}`);
  check(pageErrors.length === 0, `page errors: ${pageErrors}`);
  console.log(JSON.stringify({ ok: true, ...summary }));
} finally {
  await browser.close();
}
