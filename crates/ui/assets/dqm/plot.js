// One plot: the ME's ROOT-JSON from `json` drawn by JSROOT (zoom, log scales, stats), the `render` options as
// controls (they drive both the JSROOT view and the PNG link), and the reference of the view drawn on top.
import { api, el, getState, setState, showError, showMessage } from '/static/site.js';
import {
  KEYS, archiveUrl, drawQuery, dqmState, jsonUrl, link, pngUrl, qtestBadges, referenceOf, sampleLabel, sampleOf, checkReference,
} from '/dqm/common.js';

const $ = (id) => document.getElementById(id);
const JSROOT = globalThis.JSROOT;
const RANGE = ['xmin', 'xmax', 'ymin', 'ymax', 'zmin', 'zmax'];
const OPTION_KEYS = [...RANGE, 'xtype', 'ytype', 'ztype', 'drawopts', 'stats', 'errors'];
let state = {};

function readState() {
  const all = getState();
  state = { ...dqmState(), ...Object.fromEntries(OPTION_KEYS.filter((k) => all[k]).map((k) => [k, all[k]])) };
}

const options = () => drawQuery(Object.fromEntries(OPTION_KEYS.map((k) => [k, state[k]])));

function syncForm() {
  for (const axis of ['x', 'y', 'z']) $(`${axis}log`).checked = state[`${axis}type`] === 'log';
  for (const key of RANGE) $(key).value = state[key] ?? '';
  $('drawopts').value = state.drawopts || '';
  $('stats').checked = state.stats !== 'false';
  $('errors').checked = state.errors === 'true';
}

function readForm() {
  const next = { ...state };
  for (const axis of ['x', 'y', 'z']) next[`${axis}type`] = $(`${axis}log`).checked ? 'log' : '';
  for (const key of RANGE) next[key] = $(key).value.trim();
  next.drawopts = $('drawopts').value.trim();
  next.stats = $('stats').checked ? '' : 'false';
  next.errors = $('errors').checked ? 'true' : '';
  return Object.fromEntries(Object.entries(next).filter(([, v]) => v !== ''));
}

/** JSROOT's draw option string for our render options. */
function jsrootOption(object) {
  const parts = [];
  const two = /^TH2|^TProfile2D/.test(object._typename);
  parts.push(state.drawopts || (two ? 'colz' : ''));
  if (state.errors === 'true' && !two) parts.push('e1');
  for (const axis of ['x', 'y', 'z']) if (state[`${axis}type`] === 'log') parts.push(`log${axis}`);
  if (state.stats === 'false') parts.push('nostat');
  return parts.filter(Boolean).join(';');
}

const sum = (h) => h.fArray.slice(1, h.fXaxis.fNbins + 1).reduce((a, b) => a + b, 0);

/** Scales a reference to the main object's sum of weights, as render_overlay does (never for efficiencies). */
function normalise(ref, main, efficiency) {
  if (state.ref_norm === 'false' || efficiency) return;
  const [a, b] = [sum(main), sum(ref)];
  if (a > 0 && b > 0) ref.fArray = ref.fArray.map((v) => (v * a) / b);
  if (ref.fSumw2?.length) ref.fSumw2 = ref.fSumw2.map((v) => (v * a * a) / (b * b));
}

async function zoomToRanges(painter) {
  const frame = painter.getFramePainter?.();
  if (!frame) return;
  for (const axis of ['x', 'y', 'z']) {
    const lo = state[`${axis}min`], hi = state[`${axis}max`];
    if (lo === undefined && hi === undefined) continue;
    const min = lo !== undefined ? Number(lo) : frame[`${axis}min`];
    const max = hi !== undefined ? Number(hi) : frame[`${axis}max`];
    if (Number.isFinite(min) && Number.isFinite(max) && min < max) await frame.zoom(axis, min, max);
  }
}

async function draw(sample, path, ref) {
  const dom = $('plot');
  JSROOT.cleanup(dom);
  dom.replaceChildren();
  dom.classList.remove('scalar', 'empty');
  delete dom.dataset.drawn;
  $('key').hidden = true;
  let object;
  try {
    object = JSROOT.parse(await api(jsonUrl(sample, path), { quiet: true }));
  } catch (err) {
    showError(err.status === 404 ? `There is no ME ${path} in run ${sample.run}, ${sample.dataset}.` : `Loading the plot failed: ${err.message}`);
    dom.classList.add('empty');
    dom.textContent = 'Nothing to draw.';
    return;
  }
  const efficiency = Boolean(object.dqmProperties?.efficiency);
  $('meta').replaceChildren(el('span', { class: 'badge badge-other' }, object._typename),
    efficiency ? el('span', { class: 'badge badge-eff', title: 'Efficiency ME: references are not normalised' }, 'Efficiency') : '', ...$('meta').querySelectorAll('.qt'));
  if (object._typename === 'TObjString') {
    dom.classList.add('scalar');
    dom.textContent = object.fString;
    dom.dataset.drawn = 'scalar';
    return;
  }
  const two = /^TH2|^TProfile2D/.test(object._typename);
  const Painter = two ? JSROOT.TH2Painter : /^TH1|^TProfile$/.test(object._typename) ? JSROOT.TH1Painter : null;
  if (!Painter) {
    // The vendored JSROOT bundle draws 1-D and 2-D histograms; anything else is shown as our PNG.
    showMessage(`${object._typename} has no interactive view here; this is the server's PNG.`, 'info');
    dom.append(el('img', { src: pngUrl(sample, path, { w: 800, h: 520, draw: options() }), alt: path, width: 800, height: 520 }));
    dom.dataset.drawn = 'png';
    return;
  }
  if (!object.fTitle) object.fTitle = path.split('/').pop();
  const painter = await Painter.draw(dom, object, jsrootOption(object));
  dom.dqmPainter = painter;
  if (ref && !two) {
    try {
      const refObject = JSROOT.parse(await api(jsonUrl(ref, path), { quiet: true }));
      normalise(refObject, object, efficiency);
      refObject.fLineColor = 2;
      refObject.fMarkerColor = 2;
      refObject.fName = state.ref_label || `ref ${ref.run}`;
      dom.dqmReference = await JSROOT.TH1Painter.draw(dom, refObject, 'same;hist');
      const normalised = state.ref_norm !== 'false' && !efficiency ? ', normalised' : '';
      $('key').replaceChildren(el('span', { class: 'main' }, el('span', { class: 'line' }), `run ${sample.run}`),
        el('span', { class: 'ref' }, el('span', { class: 'line' }), `reference: ${state.ref_label || sampleLabel(ref)}${normalised}`));
      $('key').hidden = false;
    } catch (err) {
      showMessage(`The reference has no ${path}${err.status === 404 ? '' : ` (${err.message})`}.`, 'info');
    }
  }
  await zoomToRanges(painter);
  dom.dataset.drawn = object._typename;
}

async function qtests(sample, path) {
  const folder = path.split('/').slice(0, -1).join('/');
  const listing = await api(archiveUrl(sample, folder), { quiet: true }).catch(() => ({ data: [] }));
  const me = listing.data.find((o) => o.path === path && !o.layout);
  $('meta').append(...qtestBadges(me?.qtstatuses).map((b) => { b.classList.add('qt'); return b; }));
}

async function show() {
  readState();
  syncForm();
  const sample = sampleOf(state);
  const path = state.plot;
  if (!sample || !path) {
    showMessage('This link names no sample or no plot. Pick a sample on the search page and open a plot from its folders.', 'info');
    return;
  }
  const ref = referenceOf(state);
  const name = path.split('/').pop();
  document.title = `DQM GUI · ${name}`;
  $('plot-title').textContent = name;
  $('sample').textContent = `${path} · run ${sample.run}${sample.lumi !== '0' ? `, lumi ${sample.lumi}` : ''} · ${sample.dataset}`;
  $('back').href = link('browse', { ...state, plot: '', folder: path.split('/').slice(0, -1).join('/') });
  const png = { w: 800, h: 600, draw: options(), ref, mode: state.ref_mode, norm: state.ref_norm, label: state.ref_label };
  $('png-link').href = pngUrl(sample, path, png);
  $('json-link').href = jsonUrl(sample, path);
  const mode = { ratiooverlay: 'a ratio', stacked: 'stacked' }[state.ref_mode];
  $('ref-note').textContent = ref && mode ? `The PNG shows the reference as ${mode}.` : '';
  if (ref) checkReference(ref);
  $('meta').replaceChildren();
  await Promise.all([draw(sample, path, ref), qtests(sample, path)]);
}

$('options').addEventListener('submit', (e) => {
  e.preventDefault();
  const next = readForm();
  const keep = Object.fromEntries(Object.entries(next).filter(([k]) => KEYS.includes(k) || OPTION_KEYS.includes(k)));
  setState(keep, { push: true });
  show();
});
window.addEventListener('popstate', show);
window.addEventListener('resize', () => $('plot').dqmPainter?.getCanvPainter?.()?.checkCanvasResize?.());
show();
