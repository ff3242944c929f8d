// NectarCAM DQM viewer: plain JS + canvas over the JSON API (spec §7). No external libraries.
'use strict';

const BASE = location.pathname.replace(/\/[^/]*$/, '');
const enc = encodeURIComponent;
const state = { geometry: null, labels: {}, cameras: [], camera: null, run: null, summary: null, tab: 'displays', rendered: {}, token: 0 };

async function api(path) {
  const reply = await fetch(BASE + '/api/' + path);
  const body = await reply.json().catch(() => ({}));
  if (!reply.ok) throw new Error(body.error || body.message || ('HTTP ' + reply.status));
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v; else if (k === 'text') node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function status(text) { document.getElementById('status').textContent = text; }

// ---------- colours, numbers, axes ----------

const VIRIDIS = [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37]];
function colour(t) {
  t = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const x = t * (VIRIDIS.length - 1), i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(',')})`;
}

/** labels.json holds Bokeh/MathJax strings such as `$$^{\circ}$$C`. */
function unitText(label) { return (label || '').replace(/\$\$\^\{\\circ\}\$\$/g, '°').replace(/\$\$/g, ''); }

function fmt(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'NaN';
  const a = Math.abs(v);
  return (a !== 0 && (a >= 1e5 || a < 1e-3)) ? v.toExponential(3) : String(Math.round(v * 1000) / 1000);
}

function niceTicks(lo, hi, count = 6) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw) || raw;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

/** Ticks at whole clock steps (1 s … 6 h) for a time axis. */
function timeTicks(lo, hi, count = 5) {
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600].find(s => (hi - lo) / s <= count) || 43200;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(t);
  return ticks;
}

function utcClock(seconds) { return new Date(seconds * 1000).toISOString().slice(11, 19); }

function canvas(width, height) {
  const c = el('canvas'), dpr = window.devicePixelRatio || 1;
  c.width = width * dpr; c.height = height * dpr; c.style.width = width + 'px'; c.style.height = height + 'px';
  const ctx = c.getContext('2d'); ctx.scale(dpr, dpr);
  return [c, ctx];
}

/** An x/y plot: axes, ticks and labels; `draw(ctx, sx, sy)` paints the data in data coordinates. */
function plot({ width = 460, height = 280, x, y, xLabel = '', yLabel = '', timeY = false, legend = [], draw }) {
  const [c, ctx] = canvas(width, height);
  // Room for a 5-digit tick label at the right edge and an HH:MM:SS axis beside the rotated y label.
  const m = { l: timeY ? 84 : 62, r: 24, t: legend.length ? 26 : 12, b: 40 };
  const sx = v => m.l + (v - x[0]) / (x[1] - x[0] || 1) * (width - m.l - m.r);
  const sy = v => height - m.b - (v - y[0]) / (y[1] - y[0] || 1) * (height - m.t - m.b);
  ctx.save();
  ctx.beginPath(); ctx.rect(m.l, m.t, width - m.l - m.r, height - m.t - m.b); ctx.clip();
  draw(ctx, sx, sy);
  ctx.restore();
  ctx.strokeStyle = '#444'; ctx.fillStyle = '#333'; ctx.font = '11px system-ui, sans-serif'; ctx.lineWidth = 1;
  ctx.strokeRect(m.l, m.t, width - m.l - m.r, height - m.t - m.b);
  ctx.textAlign = 'center'; ctx.textBaseline = 'top';
  for (const t of niceTicks(x[0], x[1])) { const px = sx(t); ctx.beginPath(); ctx.moveTo(px, height - m.b); ctx.lineTo(px, height - m.b + 4); ctx.stroke(); ctx.fillText(fmt(t), px, height - m.b + 6); }
  ctx.fillText(xLabel, m.l + (width - m.l - m.r) / 2, height - 14);
  ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
  for (const t of (timeY ? timeTicks : niceTicks)(y[0], y[1], 5)) { const py = sy(t); ctx.beginPath(); ctx.moveTo(m.l - 4, py); ctx.lineTo(m.l, py); ctx.stroke(); ctx.fillText(timeY ? utcClock(t) : fmt(t), m.l - 6, py); }
  ctx.save(); ctx.translate(12, m.t + (height - m.t - m.b) / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = 'center'; ctx.fillText(yLabel, 0, 0); ctx.restore();
  // The legend goes in one row above the frame, so that it never hides data (a full-height band, the last events).
  ctx.textAlign = 'left'; let lx = m.l;
  for (const [text, col] of legend) { ctx.fillStyle = col; ctx.fillRect(lx, 6, 10, 10); ctx.fillStyle = '#222'; ctx.fillText(text, lx + 14, 11); lx += 24 + ctx.measureText(text).width; }
  return c;
}

/** A titled box; a `[parent, child]` title puts the child on its own line (the names are long and hyphenated). */
function card(title, ...children) {
  const h3 = Array.isArray(title) ? el('h3', {}, title[0], el('span', { class: 'child', text: title[1] })) : el('h3', { text: title });
  return el('div', { class: 'card' }, h3, ...children);
}
function note(text) { return el('p', { class: 'note', text }); }

// ---------- camera map (§7.3) ----------

/** Pixel positions, hexagon radius and orientation from the geometry (neighbours share an edge). */
function prepareGeometry(g) {
  const n = g.pix_x.length;
  let best = Infinity, dx = 1, dy = 0;
  for (let j = 1; j < n; j++) {
    const ex = g.pix_x[j] - g.pix_x[0], ey = g.pix_y[j] - g.pix_y[0], d = Math.hypot(ex, ey);
    if (d > 0 && d < best) { best = d; dx = ex; dy = ey; }
  }
  const radius = best / Math.sqrt(3), angle = Math.atan2(dy, dx) + Math.PI / 6;
  const corners = [...Array(6)].map((_, k) => [Math.cos(angle + k * Math.PI / 3) * radius, Math.sin(angle + k * Math.PI / 3) * radius]);
  return { ...g, n, radius, corners, xmin: Math.min(...g.pix_x) - radius, xmax: Math.max(...g.pix_x) + radius, ymin: Math.min(...g.pix_y) - radius, ymax: Math.max(...g.pix_y) + radius };
}

function hoverText(g, i, value) {
  return `pix id: ${g.pix_id[i]}\npix # in cluster: ${i % 7}\ncluster #: ${Math.floor(i / 7)}\npix x pos: ${g.pix_x[i].toFixed(3)}\npix y pos: ${g.pix_y[i].toFixed(3)}\nvalue: ${fmt(value)}`;
}

function cameraMap(display, unit) {
  const g = state.geometry, size = 400, bar = 70;
  const [c, ctx] = canvas(size + bar, size);
  const scale = (size - 10) / Math.max(g.xmax - g.xmin, g.ymax - g.ymin);
  const px = x => 5 + (x - g.xmin) * scale, py = y => 5 + (g.ymax - y) * scale;
  let range = display.color_range.slice();
  function redraw() {
    ctx.clearRect(0, 0, size + bar, size);
    const span = range[1] - range[0] || 1;
    for (let i = 0; i < g.n; i++) {
      const v = display.values[i], bad = display.bad_pixels[i];
      ctx.beginPath();
      g.corners.forEach(([cx, cy], k) => (k ? ctx.lineTo : ctx.moveTo).call(ctx, px(g.pix_x[i] + cx), py(g.pix_y[i] + cy)));
      ctx.closePath();
      if (bad) { ctx.fillStyle = '#ffffff'; ctx.fill(); } else if (v !== null) { ctx.fillStyle = colour((v - range[0]) / span); ctx.fill(); }
      ctx.strokeStyle = v === null && !bad ? '#bbb' : 'rgba(0,0,0,0.15)'; ctx.lineWidth = 0.5; ctx.stroke();
    }
    const x0 = size + 8, top = 20, h = size - 50;
    for (let k = 0; k < h; k++) { ctx.fillStyle = colour(1 - k / h); ctx.fillRect(x0, top + k, 14, 1); }
    ctx.strokeStyle = '#444'; ctx.strokeRect(x0, top, 14, h);
    ctx.fillStyle = '#222'; ctx.font = '10px system-ui, sans-serif'; ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
    for (const t of niceTicks(range[0], range[1], 5)) ctx.fillText(fmt(t), x0 + 18, top + h - (t - range[0]) / span * h);
    ctx.textBaseline = 'top'; ctx.fillText(unitText(unit), x0 - 4, top + h + 12);
  }
  redraw();
  const tip = document.getElementById('tooltip');
  c.addEventListener('mousemove', ev => {
    const r = c.getBoundingClientRect(), gx = g.xmin + (ev.clientX - r.left - 5) / scale, gy = g.ymax - (ev.clientY - r.top - 5) / scale;
    let hit = -1, best = g.radius * g.radius;
    for (let i = 0; i < g.n; i++) { const d = (g.pix_x[i] - gx) ** 2 + (g.pix_y[i] - gy) ** 2; if (d < best) { best = d; hit = i; } }
    if (hit < 0) { tip.hidden = true; return; }
    tip.textContent = hoverText(g, hit, display.values[hit]);
    tip.style.left = (ev.clientX + 14) + 'px'; tip.style.top = (ev.clientY + 14) + 'px'; tip.hidden = false;
  });
  c.addEventListener('mouseleave', () => { tip.hidden = true; });
  return { canvas: c, setRange(lo, hi) { range = [lo, hi]; redraw(); } };
}

/** The "Color Range" slider: two thumbs over the slider range, updating the map client-side. */
function rangeSlider(display, map) {
  const [min, max] = display.slider_range, step = (max - min) / 1000 || 1;
  const lo = el('input', { type: 'range', min, max, step, value: Math.max(min, display.color_range[0]), 'aria-label': 'Color Range low' });
  const hi = el('input', { type: 'range', min, max, step, value: Math.min(max, display.color_range[1]), 'aria-label': 'Color Range high' });
  const text = el('span');
  const update = () => {
    let a = Number(lo.value), b = Number(hi.value);
    if (a > b) [a, b] = [b, a];
    text.textContent = `${fmt(a)} … ${fmt(b)}`;
    map.setRange(a, b === a ? a + step : b);
  };
  lo.addEventListener('input', update); hi.addEventListener('input', update);
  text.textContent = `${fmt(display.color_range[0])} … ${fmt(display.color_range[1])}`;
  return el('div', { class: 'slider' }, el('span', { text: 'Color Range' }), lo, hi, text);
}

function quantile(sorted, q) {
  if (!sorted.length) return 0;
  const pos = q * (sorted.length - 1), i = Math.floor(pos), j = Math.min(sorted.length - 1, i + 1);
  return sorted[i] + (sorted[j] - sorted[i]) * (pos - i);
}

/** Good pixels only, Freedman–Diaconis bins, Mean/Median/Std in the legend (§8a). */
function histogram(display, unit) {
  const good = display.values.filter((v, i) => v !== null && !display.bad_pixels[i]).sort((a, b) => a - b);
  if (!good.length) return note('no good pixel to histogram');
  const [min, max] = [good[0], good[good.length - 1]];
  const iqr = quantile(good, 0.75) - quantile(good, 0.25), width = 2 * iqr / Math.cbrt(good.length);
  const bins = Math.max(1, Math.min(200, width > 0 ? Math.ceil((max - min) / width) : 10));
  const counts = new Array(bins).fill(0), span = (max - min) || 1;
  for (const v of good) counts[Math.min(bins - 1, Math.floor((v - min) / span * bins))]++;
  const mean = good.reduce((a, b) => a + b, 0) / good.length;
  const std = Math.sqrt(good.reduce((a, b) => a + (b - mean) ** 2, 0) / good.length);
  const x = max > min ? [min, max] : [min - 0.5, max + 0.5];
  const caption = el('div', { class: 'caption', text: `Mean ${fmt(mean)}   Median ${fmt(quantile(good, 0.5))}   Std ${fmt(std)}` });
  return el('div', {}, caption, plot({
    width: 360, height: 240, x, y: [0, Math.max(...counts) * 1.1], xLabel: unitText(unit) || 'value', yLabel: 'pixels',
    draw(ctx, sx, sy) {
      ctx.fillStyle = '#4c78a8';
      counts.forEach((n, k) => { const a = sx(x[0] + k * (x[1] - x[0]) / bins), b = sx(x[0] + (k + 1) * (x[1] - x[0]) / bins); ctx.fillRect(a, sy(n), Math.max(1, b - a - 1), sy(0) - sy(n)); });
    },
  }));
}

/** Value vs pixel id, bad pixels included; y from good-min × 0.99 to good-max × 1.01 (§8a). */
function scatter(display, unit) {
  const good = display.values.filter((v, i) => v !== null && !display.bad_pixels[i]);
  let y = good.length ? [Math.min(...good) * 0.99, Math.max(...good) * 1.01] : [-0.5, 0.5];
  if (!(y[1] > y[0])) y = [y[0] - 0.5, y[0] + 0.5];
  const n = display.values.length;
  return plot({
    width: 360, height: 240, x: [0, n - 1], y, xLabel: 'pixel id', yLabel: unitText(unit) || 'value',
    draw(ctx, sx, sy) {
      display.values.forEach((v, i) => { if (v === null) return; ctx.fillStyle = display.bad_pixels[i] ? '#d62728' : '#4c78a8'; ctx.fillRect(sx(i) - 1, sy(v) - 1, 2, 2); });
    },
  });
}

async function renderDisplay(run, item, box) {
  if (!item.drawable) {
    const shape = run.entries[item.parent][item.child].shape;
    box.append(note(`shape [${shape.join(', ')}] is not a camera image of 1855 pixels: not drawn`));
    return;
  }
  const d = await api(`runs/${enc(run.key)}/camera_display/${enc(item.parent)}/${enc(item.child)}`);
  const map = cameraMap(d, d.unit);
  if (d.slider_range === null) { box.append(map.canvas); return; }
  box.append(rangeSlider(d, map), el('div', { class: 'row' }, map.canvas, el('div', {}, histogram(d, d.unit), scatter(d, d.unit))));
}

// ---------- other tabs (§7.4, §8a) ----------

async function renderTimeline(run, item, box) {
  const d = await api(`runs/${enc(run.key)}/data/${enc(item.parent)}/${enc(item.child)}`);
  const values = d.data.flat(Infinity), n = values.length;
  box.append(plot({
    width: 560, x: [0, n - 1 + 50], y: [0, 1], xLabel: 'Event', yLabel: unitText(state.labels[item.parent]) || 'value',
    draw(ctx, sx, sy) {
      ctx.strokeStyle = '#1f77b4'; ctx.lineWidth = 1; ctx.beginPath();
      values.forEach((v, i) => { if (v === null) return; (i ? ctx.lineTo : ctx.moveTo).call(ctx, sx(i), sy(v)); });
      ctx.stroke();
    },
  }));
}

async function renderWaveform(run, item, box) {
  const d = await api(`runs/${enc(run.key)}/waveform/${enc(item.parent)}/${enc(item.child)}`);
  const n = d.average.length, col = item.parent.includes('PED') ? '#d62728' : '#1f77b4';
  const all = d.average.concat(d.band ? d.band.lo.concat(d.band.hi) : []).filter(v => v !== null);
  let y = [Math.min(...all), Math.max(...all)];
  const pad = (y[1] - y[0]) * 0.05 || 1; y = [y[0] - pad, y[1] + pad];
  box.querySelector('h3').textContent = d.title;
  box.append(plot({
    width: 520, x: [-5, n - 1 + 5], y, xLabel: 'sample', yLabel: unitText(d.unit) || 'ADC counts',
    legend: [['average over pixels', col]].concat(d.band ? [['2.5–97.5 % of pixels', col + '55']] : []),
    draw(ctx, sx, sy) {
      if (d.band) {
        ctx.fillStyle = col + '44'; ctx.beginPath();
        d.band.hi.forEach((v, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, sx(i), sy(v)));
        for (let i = n - 1; i >= 0; i--) ctx.lineTo(sx(i), sy(d.band.lo[i]));
        ctx.closePath(); ctx.fill();
      }
      ctx.strokeStyle = col; ctx.lineWidth = 2.5; ctx.beginPath();
      d.average.forEach((v, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, sx(i), sy(v)));
      ctx.stroke();
    },
  }));
  if (!d.band) box.append(note(`no per-pixel image ${d.title}: no band`));
}

async function renderTriggers(run, item, box) {
  const base = `runs/${enc(run.key)}/data/${enc(item.parent)}/`;
  const [times, ids] = await Promise.all([api(base + 'Timestamps'), api(base + 'IDs')]);
  const t = times.data.flat(Infinity), id = ids.data.flat(Infinity);
  const points = id.map((v, i) => [v, t[i]]).filter(([a, b]) => a !== null && b !== null).sort((a, b) => a[0] - b[0]);
  if (!points.length) { box.append(note('no events')); return; }
  const backwards = points.map((p, i) => i > 0 && p[1] - points[i - 1][1] < 0);
  const count = backwards.filter(Boolean).length;
  const ys = points.map(p => p[1]);
  let y = [Math.min(...ys), Math.max(...ys)]; if (!(y[1] > y[0])) y = [y[0] - 1, y[0] + 1];
  const x = [points[0][0], points[points.length - 1][0] || points[0][0] + 1];
  box.append(plot({
    width: 560, x: x[1] > x[0] ? x : [x[0] - 1, x[0] + 1], y, xLabel: 'Event ID', yLabel: unitText(state.labels[item.parent]) || 'time (UTC)', timeY: true,
    legend: [['events', '#1f77b4'], [`Δt < 0: ${count}`, '#d62728']],
    draw(ctx, sx, sy) {
      ctx.fillStyle = '#1f77b4';
      points.forEach(([a, b]) => ctx.fillRect(sx(a) - 1, sy(b) - 1, 2, 2));
      ctx.fillStyle = '#d62728';
      points.forEach(([a, b], i) => { if (backwards[i]) ctx.fillRect(sx(a) - 2.5, sy(b) - 2.5, 5, 5); });
    },
  }));
}

// ---------- layout (§7.1) ----------

const TABS = {
  displays: run => run.categories.camera_displays.map(item => [[item.parent, item.child], box => renderDisplay(run, item, box)]),
  timelines: run => run.categories.timelines.map(item => [item.child, box => renderTimeline(run, item, box)]),
  waveforms: run => run.categories.waveforms.average.map(item => [item.parent, box => renderWaveform(run, item, box)]),
  triggers: run => run.categories.trigger_events.map(item => [item.parent, box => renderTriggers(run, item, box)]),
};

async function renderTab(name) {
  const run = state.summary, token = state.token;
  if (!run || state.rendered[name]) return;
  state.rendered[name] = true;
  const body = document.getElementById('tab-' + name);
  body.replaceChildren();
  const jobs = TABS[name](run);
  if (!jobs.length) body.append(note('nothing of this kind in this run'));
  for (const [title, render] of jobs) {
    const box = card(title);
    body.append(box);
    try { await render(box); } catch (e) { box.append(note('error: ' + e.message)); }
    if (token !== state.token) return;
  }
}

function showTab(name) {
  state.tab = name;
  document.querySelectorAll('#sub-tabs button').forEach(b => b.classList.toggle('active', b.dataset.tab === name));
  for (const key of Object.keys(TABS)) document.getElementById('tab-' + key).hidden = key !== name;
  renderTab(name);
}

async function selectRun(key) {
  state.token++; state.rendered = {};
  status('loading ' + key + ' …');
  const run = await api('runs/' + enc(key));
  state.summary = run;
  const times = document.getElementById('run-times');
  times.replaceChildren(...[['Run start time:', run.times.run_start], ['First event recorded at:', run.times.first_event], ['Last event recorded at:', run.times.last_event]]
    .map(([label, value]) => el('span', {}, el('b', { text: label + ' ' }), value || 'Not provided')));
  for (const key of Object.keys(TABS)) document.getElementById('tab-' + key).replaceChildren();
  status(`${run.key}`);
  showTab(state.tab);
}

async function selectCamera(code) {
  state.camera = code;
  document.querySelectorAll('#camera-tabs button').forEach(b => b.classList.toggle('active', b.dataset.code === code));
  document.getElementById('run-title').textContent = `NectarCAM ${code} run number`;
  const { runs } = await api(`cameras/${enc(code)}/runs`);
  const select = document.getElementById('run-select');
  select.replaceChildren(...runs.map(r => el('option', { value: r.key, text: String(r.run) })));
  if (runs.length) await selectRun(runs[0].key);
}

async function main() {
  document.querySelectorAll('#sub-tabs button').forEach(b => b.addEventListener('click', () => showTab(b.dataset.tab)));
  document.getElementById('run-select').addEventListener('change', ev => selectRun(ev.target.value));
  const [geometry, cameras, labels] = await Promise.all([api('geometry'), api('cameras'), fetch(BASE + '/labels.json').then(r => r.json())]);
  state.geometry = prepareGeometry(geometry); state.cameras = cameras; state.labels = labels;
  const tabs = document.getElementById('camera-tabs');
  tabs.replaceChildren(...cameras.map(c => { const b = el('button', { text: c.label }); b.dataset.code = c.code; b.addEventListener('click', () => selectCamera(c.code)); return b; }));
  if (!cameras.length) { status('no runs stored yet'); return; }
  await selectCamera(cameras[0].code);
}

main().catch(e => status('error: ' + e.message));
