// The folder browser: breadcrumbs over `archive`, sub-folders with their ME counts, a name filter, the lumi
// selector, the thumbnail grid (size selector, lazy PNGs) and the reference overlay. All of it is URL state.
import { api, clearMessages, el, setState, showError, showMessage } from '/static/site.js';
import {
  DEFAULT_SIZE, REF_MODES, SIZES, archiveUrl, dqmState, link, lumiSelect, lumisUrl, plotLink, referenceOf, sampleLabel, sampleOf,
  checkReference,
} from '/dqm/common.js';
import { resetTiles, startVisible, tile } from '/dqm/tiles.js';

const $ = (id) => document.getElementById(id);
let state = dqmState();
let generation = 0;
let lumisFor = '';

/** Applies `changes` to the view's state and shows it; `push` makes a history entry (folder moves). */
function go(changes, push = false) {
  state = Object.fromEntries(Object.entries({ ...state, ...changes }).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  setState(state, { push });
  show();
}

function folderHref(folder) {
  return link('browse', { ...state, folder });
}

function crumbs(sample) {
  const parts = state.folder ? state.folder.split('/') : [];
  const items = [{ name: 'Top', folder: '' }, ...parts.map((name, i) => ({ name, folder: parts.slice(0, i + 1).join('/') }))];
  $('crumbs').replaceChildren(...items.map((item, i) => el('li', {},
    i === items.length - 1
      ? el('span', { 'aria-current': 'location', tabindex: '-1', id: 'here' }, item.name)
      : el('a', { href: folderHref(item.folder), onclick: (e) => { e.preventDefault(); go({ folder: item.folder }, true); focusHere(); } }, item.name))));
  document.title = `DQM GUI · ${state.folder || 'Top'} · ${sampleLabel(sample)}`;
}

const focusHere = () => requestAnimationFrame(() => $('here')?.focus());

async function lumis(sample) {
  const key = `${sample.run} ${sample.dataset}`;
  if (lumisFor === key) return;
  lumisFor = key;
  const list = await api(lumisUrl(sample), { quiet: true }).catch(() => [0]);
  const select = lumiSelect(list.length ? list : [0], sample.lumi, (lumi) => go({ lumi: lumi === '0' ? '' : lumi }), 'lumi');
  $('lumi').replaceWith(select);
}

function syncControls() {
  if (document.activeElement !== $('filter')) $('filter').value = state.search || '';
  $('size').value = SIZES[state.size] ? state.size : DEFAULT_SIZE;
  $('ref-run').value = state.ref_run || '';
  $('ref-dataset').value = state.ref_dataset || '';
  $('ref-lumi').value = state.ref_lumi || '';
  $('ref-mode').value = REF_MODES[state.ref_mode] ? state.ref_mode : 'overlay';
  $('ref-norm').checked = state.ref_norm !== 'false';
  $('ref-label').value = state.ref_label || '';
  $('ref-clear').disabled = !referenceOf(state);
}

async function show() {
  const mine = ++generation;
  clearMessages();
  resetTiles();
  syncControls();
  const sample = sampleOf(state);
  if (!sample) {
    $('sample-title').textContent = 'DQM GUI: no sample chosen';
    showMessage('This link names no sample (run and dataset). Pick one on the search page.', 'info');
    $('folders').replaceChildren();
    $('tiles').replaceChildren();
    return;
  }
  $('sample-title').textContent = `Run ${sample.run}${sample.lumi !== '0' ? `, lumi ${sample.lumi}` : ''} · ${sample.dataset}`;
  $('change-sample').href = link('', { run: sample.run, dataset: sample.dataset });
  crumbs(sample);
  lumis(sample);
  const ref = referenceOf(state);
  if (ref) checkReference(ref);
  $('summary').textContent = 'Loading…';
  let listing;
  try {
    listing = (await api(archiveUrl(sample, state.folder, state.search), { quiet: true })).data;
  } catch (err) {
    if (mine !== generation) return;
    $('summary').textContent = '';
    $('folders').replaceChildren();
    $('tiles').replaceChildren();
    showError(err.status === 404 ? `No sample is registered for run ${sample.run}, lumi ${sample.lumi}, dataset ${sample.dataset}.` : `Listing the folder failed: ${err.message}`);
    return;
  }
  if (mine !== generation) return;
  const folders = listing.filter((i) => i.subdir !== undefined);
  const objects = listing.filter((i) => i.subdir === undefined);
  $('folders').replaceChildren(...folders.map((f) => {
    const folder = state.folder ? `${state.folder}/${f.subdir}` : f.subdir;
    return el('li', {}, el('a', { href: folderHref(folder), onclick: (e) => { e.preventDefault(); go({ folder }, true); focusHere(); } },
      el('span', { class: 'folder-name' }, f.subdir), el('span', { class: 'count', title: 'monitor elements below' }, String(f.me_count))));
  }));
  const layouts = [...new Set(objects.map((o) => o.layout).filter(Boolean))];
  $('layouts-section').hidden = layouts.length === 0;
  $('layouts').replaceChildren(...layouts.map((name) => el('li', {}, el('a', { href: link('layout', { ...state, layout: name }) }, name))));
  const size = SIZES[state.size] || SIZES[DEFAULT_SIZE];
  const opts = { sample, size, ref, mode: state.ref_mode, norm: state.ref_norm, label: state.ref_label };
  $('tiles').replaceChildren(...objects.map((item) => tile(item, { ...opts, href: plotLink(state, item) })));
  startVisible($('tiles'));
  const what = [folders.length && `${folders.length} folder${folders.length > 1 ? 's' : ''}`, objects.length && `${objects.length} plot${objects.length > 1 ? 's' : ''}`].filter(Boolean);
  $('summary').textContent = what.length ? what.join(', ') : state.search ? `Nothing here matches “${state.search}”.` : 'This folder is empty.';
}

for (const [key, { label, w, h }] of Object.entries(SIZES)) $('size').append(el('option', { value: key }, `${label} (${w}×${h})`));
for (const [key, label] of Object.entries(REF_MODES)) $('ref-mode').append(el('option', { value: key }, label));
let timer;
$('filter').addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => go({ search: $('filter').value.trim() }), 300); });
$('filter').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); go({ search: $('filter').value.trim() }); } });
$('size').addEventListener('change', () => go({ size: $('size').value === DEFAULT_SIZE ? '' : $('size').value }));
$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  go({
    ref_run: $('ref-run').value.trim(), ref_dataset: $('ref-dataset').value.trim(), ref_lumi: $('ref-lumi').value.trim().replace(/^0$/, ''), ref_mode: $('ref-mode').value === 'overlay' ? '' : $('ref-mode').value,
    ref_norm: $('ref-norm').checked ? '' : 'false', ref_label: $('ref-label').value.trim(),
  });
});
$('ref-clear').addEventListener('click', () => go({ ref_run: '', ref_dataset: '', ref_lumi: '', ref_mode: '', ref_norm: '', ref_label: '' }));
window.addEventListener('popstate', () => { state = dqmState(); show(); });
show();
