// Loads DQM GUI /api/v1/json bodies into real JSROOT 7: JSROOT.parse, then makeSVG, then checks the
// class, the title and probed bin contents. Input: a JSON file [{path, type, title, json, probes}], as
// written by crates/dqmgui/tests/jsroot.rs. Prints one line per case; exits 1 on the first mismatch.
import { readFileSync } from 'node:fs';
import { parse, makeSVG } from 'jsroot';

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const fail = (msg) => { console.error(`FAIL ${msg}`); process.exit(1); };

for (const c of cases) {
  const obj = parse(c.json);
  if (!obj || obj._typename !== c.type) fail(`${c.path}: parsed ${obj && obj._typename}, expected ${c.type}`);
  if (obj.fTitle !== c.title) fail(`${c.path}: title ${JSON.stringify(obj.fTitle)} != ${JSON.stringify(c.title)}`);
  const nx = obj.fXaxis.fNbins + 2, ny = obj.fYaxis.fNbins + 2;
  for (const p of c.probes) {
    const [x, y = 0, z = 0] = p.bin;
    const bin = x + nx * (y + ny * z);
    let content = obj.fArray[bin];
    if (obj.fBinEntries) content = obj.fBinEntries[bin] ? content / obj.fBinEntries[bin] : 0;
    if (Math.abs(content - p.content) > 1e-6 * Math.max(1, Math.abs(p.content)))
      fail(`${c.path}: bin ${p.bin} holds ${content}, expected ${p.content}`);
  }
  const svg = await makeSVG({ object: obj, option: '', width: 600, height: 400 });
  if (typeof svg !== 'string' || !svg.startsWith('<svg') || svg.length < 2000) fail(`${c.path}: makeSVG gave ${String(svg).slice(0, 80)}`);
  console.log(`ok ${c.type} ${c.path} (${c.probes.length} probes, svg ${svg.length} bytes)`);
}
