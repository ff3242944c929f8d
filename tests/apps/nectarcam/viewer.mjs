// The NectarCAM viewer in headless Debian Chromium (driven by tests/tests/nectarcam_viewer.rs): a camera
// display with hover details (pixel index 15 = pix 1 of cluster 2) and a Color Range slider that repaints the map, the run selector and run times,
// a timeline, a waveform and the trigger timestamps; the second camera's tab. Saves screenshots into OUT_DIR
// and prints one JSON summary line.
// usage: node viewer.mjs BASE_URL OUT_DIR   (playwright-core from tests/browser/node_modules)
import { launchChromium } from '../../browser/browser.mjs';

const [base, out] = process.argv.slice(2);
const check = (ok, message) => { if (!ok) throw new Error(`check failed: ${message}`); };
const errors = [];
const summary = {};

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
  await page.goto(base);
  await page.waitForSelector('#tab-displays .card canvas', { timeout: 30000 });
  check((await page.innerText('#camera-tabs button.active')) === 'NectarCAM Qualification Model', 'QM tab first, long label');
  summary.runs = await page.$$eval('#run-select option', (os) => os.map((o) => o.textContent));
  check((await page.innerText('#run-title')).includes('NectarCAM QM run number'), 'run selector title');
  const times = await page.innerText('#run-times');
  check(times.includes('Run start time: 2023-01-23 08:20:00'), times);

  // Hover over a camera map that has a slider (a non-BADPIX display).
  const card = page.locator('#tab-displays .card', { has: page.locator('.slider') }).first();
  await card.scrollIntoViewIfNeeded();
  const map = card.locator('canvas').first();
  const box = await map.boundingBox();
  await page.mouse.move(box.x + 200, box.y + 200);
  const tip = await page.innerText('#tooltip');
  for (const field of ['pix id', 'pix # in cluster', 'cluster #', 'pix x pos', 'pix y pos', 'value']) check(tip.includes(field), `tooltip has ${field}: ${tip}`);
  summary.tooltip = tip.split('\n');
  // §9 item 10: pixel index 15 is pixel 1 of cluster 2 (the map's own transform: 5 px margin, 390 px span).
  const at15 = await page.evaluate(() => {
    const g = state.geometry, scale = 390 / Math.max(g.xmax - g.xmin, g.ymax - g.ymin);
    return { x: 5 + (g.pix_x[15] - g.xmin) * scale, y: 5 + (g.ymax - g.pix_y[15]) * scale, id: g.pix_id[15] };
  });
  await page.mouse.move(box.x + at15.x, box.y + at15.y);
  const tip15 = await page.innerText('#tooltip');
  check(tip15.includes(`pix id: ${at15.id}\npix # in cluster: 1\ncluster #: 2\n`), `pixel index 15: ${tip15}`);
  await page.mouse.move(box.x + 200, box.y + 200);
  await page.screenshot({ path: `${out}/camera-display-hover.png` });

  const before = await map.evaluate((c) => c.toDataURL());
  const slider = card.locator('input[type=range]').first();
  await slider.evaluate((s) => { s.value = (Number(s.min) + Number(s.max)) / 2; s.dispatchEvent(new Event('input')); });
  const after = await map.evaluate((c) => c.toDataURL());
  check(before !== after, 'moving the Color Range slider repaints the map');
  await page.mouse.move(0, 0);
  await card.screenshot({ path: `${out}/camera-display-slider.png` });

  for (const [tab, name] of [['timelines', 'timelines'], ['waveforms', 'waveforms'], ['triggers', 'trigger-timestamps']]) {
    await page.click(`#sub-tabs button[data-tab=${tab}]`);
    await page.waitForSelector(`#tab-${tab} .card canvas`, { timeout: 30000 });
    check(await page.locator('#tab-displays').isHidden(), 'only the chosen sub-tab is shown');
    summary[tab] = await page.locator(`#tab-${tab} .card canvas`).count();
    await page.waitForTimeout(300);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${out}/${name}.png` });
  }

  await page.click('#camera-tabs button:nth-child(2)');
  await page.waitForFunction(() => document.querySelector('#run-title').textContent.includes('NectarCAM 2'));
  await page.click('#sub-tabs button[data-tab=displays]');
  await page.waitForSelector('#tab-displays .card canvas', { timeout: 30000 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${out}/camera-2-displays.png` });
  check(errors.length === 0, `page errors: ${errors.join('; ')}`);
} finally {
  await browser.close();
}
console.log(JSON.stringify(summary));
