// One layout as the grid its definition describes: the items of the layout (`layouts?name=` gives their
// destinations; the destination folder's `archive` listing gives their draw options, overlays, descriptions and
// QTests), in definition order, each drawn with its own options, and with the view's reference if one is set.
import { api, el, setState, showError, showMessage } from '/static/site.js';
import { SIZES, archiveUrl, dqmState, link, plotLink, referenceOf, sampleLabel, sampleOf, checkReference } from '/dqm/common.js';
import { resetTiles, startVisible, tile } from '/dqm/tiles.js';

const $ = (id) => document.getElementById(id);
const DEFAULT = 'l';
let state = dqmState();

/** Keeps only harmless markup of a layout description (it is HTML written by the layout's author). */
function description(html) {
  const allowed = new Set(['B', 'I', 'EM', 'STRONG', 'BR', 'UL', 'OL', 'LI', 'P', 'CODE', 'SUB', 'SUP']);
  const source = new DOMParser().parseFromString(`<body>${html || ''}</body>`, 'text/html').body;
  const copy = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.textContent);
    if (node.nodeType !== Node.ELEMENT_NODE) return null;
    const kids = [...node.childNodes].map(copy).filter(Boolean);
    if (!allowed.has(node.tagName)) return kids.length ? el('span', {}, kids) : null;
    return el(node.tagName.toLowerCase(), {}, kids);
  };
  return el('div', { class: 'description' }, [...source.childNodes].map(copy).filter(Boolean));
}

const dirname = (path) => path.split('/').slice(0, -1).join('/');

async function show() {
  resetTiles();
  const sample = sampleOf(state);
  const name = state.layout;
  if (!sample || !name) {
    showMessage('This link names no sample or no layout. Pick a sample on the search page and open a layout from its folders.', 'info');
    return;
  }
  document.title = `DQM GUI · ${name}`;
  $('layout-title').textContent = name;
  $('sample').textContent = `Run ${sample.run}${sample.lumi !== '0' ? `, lumi ${sample.lumi}` : ''} · ${sample.dataset}`;
  $('size').value = SIZES[state.size] ? state.size : DEFAULT;
  const ref = referenceOf(state);
  $('reference').textContent = ref ? `Reference: ${sampleLabel(ref)} (${state.ref_mode || 'overlay'})` : '';
  if (ref) checkReference(ref);
  const { data: places } = await api(`/api/v1/layouts?name=${encodeURIComponent(name)}`);
  if (!places.length) {
    showError(`There is no layout named “${name}”.`);
    return;
  }
  const folders = [...new Set(places.map((p) => dirname(p.destination)))];
  $('back').href = link('browse', { ...state, layout: '', folder: folders[0] });
  let listings;
  try {
    listings = await Promise.all(folders.map((f) => api(archiveUrl(sample, f), { quiet: true }).then((r) => r.data)));
  } catch (err) {
    showError(err.status === 404 ? `No sample is registered for run ${sample.run}, lumi ${sample.lumi}, dataset ${sample.dataset}.` : `Loading the layout failed: ${err.message}`);
    return;
  }
  const objects = listings.flat().filter((o) => o.layout === name);
  // Definition order: the order `layouts?name=` returns the items in.
  const items = places.map((p) => objects.find((o) => o.path === p.source && p.destination.endsWith(`/${o.name}`))).filter(Boolean);
  const size = SIZES[state.size] || SIZES[DEFAULT];
  const columns = Math.min(items.length, Math.ceil(Math.sqrt(items.length)));
  $('grid').style.gridTemplateColumns = `repeat(${Math.max(columns, 1)}, max-content)`;
  $('grid').dataset.columns = String(columns);
  const opts = { sample, size, ref, mode: state.ref_mode, norm: state.ref_norm, label: state.ref_label };
  $('grid').replaceChildren(...items.map((item) => el('div', { class: 'layout-item' },
    tile(item, { ...opts, href: plotLink(state, item) }), description(item.description))));
  startVisible($('grid'));
}

for (const [key, { label, w, h }] of Object.entries(SIZES)) $('size').append(el('option', { value: key }, `${label} (${w}×${h})`));
$('size').addEventListener('change', () => {
  state = { ...state, size: $('size').value === DEFAULT ? '' : $('size').value };
  setState(state);
  show();
});
window.addEventListener('popstate', () => { state = dqmState(); show(); });
show();
