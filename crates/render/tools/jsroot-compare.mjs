// Side-by-side check against JSROOT: draws the gallery cases with JSROOT 7 as SVG.
//   cargo run -p render --example dump_cases > cases.json
//   npm install jsroot@7 --omit=optional --ignore-scripts && node jsroot-compare.mjs th1f_600 th2f_colz
//   rsvg-convert th1f_600.svg -o jsroot_th1f_600.png     (Debian package librsvg2-bin)
import { createHistogram, makeSVG, settings } from 'jsroot';
import { readFileSync, writeFileSync } from 'fs';
const cases = JSON.parse(readFileSync('cases.json'));
const want = new Set(process.argv.slice(2));
for (const c of cases) {
  if (want.size && !want.has(c.name)) continue;
  const q = Object.fromEntries(c.query.split('&').filter(s => s).map(kv => kv.split('=')));
  const w = +(q.w || 266), h = +(q.h || 200);
  const hist = createHistogram(c.kind, c.nx, c.kind === 'TH2F' ? c.ny : undefined);
  hist.fTitle = c.title; hist.fName = c.name;
  hist.fXaxis.fXmin = c.xmin; hist.fXaxis.fXmax = c.xmax; hist.fXaxis.fTitle = c.xt;
  hist.fYaxis.fTitle = c.yt;
  if (c.kind === 'TH2F') { hist.fYaxis.fXmin = c.ymin; hist.fYaxis.fXmax = c.ymax; }
  for (let i = 0; i < c.c.length; i++) {
    const ix = i % c.nx, iy = Math.floor(i / c.nx);
    const bin = c.kind === 'TH2F' ? (ix + 1) + (iy + 1) * (c.nx + 2) : i + 1;
    hist.fArray[bin] = c.c[i];
  }
  hist.fEntries = c.entries;
  let opt = c.kind === 'TH2F' ? 'colz' : '';
  if (q.drawopts) opt = q.drawopts;
  if (q.errors === 'true') opt += 'e';
  if (q.ytype === 'log') opt += ';logy';
  if (q.ztype === 'log') opt += ';logz';
  const svg = await makeSVG({ object: hist, option: opt, width: w, height: h });
  writeFileSync(`${c.name}.svg`, svg);
  console.log('wrote', c.name, opt);
}
