// What every DQM GUI page shares: the URL state (sample, folder, search, size, reference, plot), the API
// URLs built from it, page links, the lumi selector and the QTest badges.
import { api, el, getState, showMessage, withQuery } from '/static/site.js';

/** Thumbnail sizes of the size selector, in render pixels. */
export const SIZES = {
  s: { label: 'Small', w: 200, h: 150 },
  m: { label: 'Medium', w: 266, h: 200 },
  l: { label: 'Large', w: 400, h: 300 },
  xl: { label: 'Extra large', w: 600, h: 450 },
};
export const DEFAULT_SIZE = 'm';

/** The reference modes of render_overlay. */
export const REF_MODES = { overlay: 'Overlay', ratiooverlay: 'Ratio', stacked: 'Stacked' };

/** Every URL key the DQM pages keep, so a link carries the whole view. */
export const KEYS = ['run', 'lumi', 'dataset', 'folder', 'search', 'size', 'layout', 'plot',
  'ref_run', 'ref_lumi', 'ref_dataset', 'ref_mode', 'ref_norm', 'ref_label'];

/** The state of the current URL, only the DQM keys. */
export function dqmState() {
  const all = getState();
  return Object.fromEntries(KEYS.filter((k) => all[k] !== undefined).map((k) => [k, all[k]]));
}

/** A sample {run, lumi, dataset} from the state, or null when it names none. */
export function sampleOf(state, prefix = '') {
  const run = state[`${prefix}run`], dataset = state[`${prefix}dataset`];
  if (!run || !dataset || !/^\d+$/.test(run) || !/^\/[^/]+\/[^/]+\/[^/]+$/.test(dataset)) return null;
  const lumi = state[`${prefix}lumi`] && /^\d+$/.test(state[`${prefix}lumi`]) ? state[`${prefix}lumi`] : '0';
  return { run, lumi, dataset };
}

/** The reference sample; its run, dataset and lumi default to the main sample's. */
export function referenceOf(state) {
  if (!state.ref_run && !state.ref_dataset && !state.ref_lumi) return null;
  return sampleOf({ run: state.ref_run || state.run, dataset: state.ref_dataset || state.dataset, lumi: state.ref_lumi || '0' });
}

export const sampleLabel = (s) => `${s.run}${s.lumi !== '0' ? ` LS ${s.lumi}` : ''} ${s.dataset}`;

const encodePath = (path) => path.split('/').map(encodeURIComponent).join('/');
const runSegment = (s) => (s.lumi && s.lumi !== '0' ? `${s.run}:${s.lumi}` : s.run);
/** `<run[:lumi]>/<dataset without leading slash>/<me path>`, percent-encoded per segment. */
const objectPath = (s, path) => `${runSegment(s)}${encodePath(s.dataset)}/${encodePath(path)}`;

export function archiveUrl(sample, folder, search) {
  const dir = folder ? `${encodePath(folder)}/` : '';
  return withQuery(`/api/v1/archive/${runSegment(sample)}${encodePath(sample.dataset)}/${dir}`, { search });
}

export const jsonUrl = (sample, path) => `/api/v1/json/${objectPath(sample, path)}`;
export const lumisUrl = (s) => `/api/v1/lumis/${s.run}${encodePath(s.dataset)}`;

/** Render options from a layout's `draw` (or the plot page's controls): the render query keys. */
export function drawQuery(draw = {}) {
  const keys = ['xmin', 'xmax', 'ymin', 'ymax', 'zmin', 'zmax', 'xtype', 'ytype', 'ztype', 'drawopts', 'stats', 'errors'];
  return Object.fromEntries(keys.filter((k) => draw[k] !== undefined && draw[k] !== '').map((k) => [k, draw[k]]));
}

/**
 * The PNG of one ME: `render` alone, or `render_overlay` when it has overlays (from a layout) or the view has a
 * reference sample. `opts`: {w, h, draw, overlays, ref, mode, norm, label}.
 */
export function pngUrl(sample, path, { w, h, draw, overlays = [], ref, mode, norm, label } = {}) {
  const query = { ...drawQuery(draw), w, h };
  if (!ref && overlays.length === 0) return withQuery(`/api/v1/render/${objectPath(sample, path)}`, query);
  // obj values are decoded once as query values: they carry the raw path, URLSearchParams encodes it.
  const obj = (s, p) => `archive/${runSegment(s)}${s.dataset}/${p}`;
  const params = new URLSearchParams();
  params.append('obj', obj(sample, path));
  for (const o of overlays) params.append('obj', obj(sample, o));
  // The k-th reflabel labels the k-th reference: layout overlays first, then the reference sample.
  for (const o of overlays) params.append('reflabel', o.split('/').pop());
  if (ref) {
    params.append('obj', obj(ref, path));
    params.append('reflabel', label || sampleLabel(ref));
  }
  if (mode && mode !== 'overlay') params.append('ref', mode);
  if (norm === 'false') params.append('norm', 'false');
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.append(k, v);
  return `/api/v1/render_overlay?${params.toString()}`;
}

export const link = (page, state) => withQuery(`/dqm/${page}`, Object.fromEntries(KEYS.map((k) => [k, state[k]])));

/** The one-plot page of an ME, with a layout's draw options as the initial render options. */
export const plotLink = (state, item) =>
  withQuery('/dqm/plot', { ...Object.fromEntries(KEYS.map((k) => [k, state[k]])), layout: undefined, plot: item.path, ...drawQuery(item.draw) });

/** Says so when the reference sample is not registered (render_overlay then silently draws no reference). */
export async function checkReference(ref) {
  const { data } = await api(withQuery('/api/v1/samples', { run: ref.run, dataset: ref.dataset, lumi: ref.lumi === '0' ? '' : ref.lumi }), { quiet: true })
    .catch(() => ({ data: [] }));
  if (!data.some((s) => String(s.run) === ref.run && s.dataset === ref.dataset && String(s.lumi) === ref.lumi)) {
    showMessage(`The reference (run ${ref.run}, lumi ${ref.lumi}, ${ref.dataset}) is not a registered sample: plots show no reference.`, 'info');
  }
}

/** CMSSW dqm::qstatus codes. */
const QSTATUS = { 100: ['OK', 'ok'], 200: ['Warning', 'warn'], 300: ['Error', 'bad'], 30: ['Other', 'other'],
  50: ['Disabled', 'other'], 60: ['Invalid', 'other'], 70: ['Insufficient statistics', 'other'], 90: ['Did not run', 'other'] };

export function qtestBadges(statuses = []) {
  return statuses.map((s) => {
    const [text, kind] = QSTATUS[s] || [`Status ${s}`, 'other'];
    return el('span', { class: `badge badge-${kind}`, title: `Quality test: ${text} (${s})` }, `QT ${text}`);
  });
}

/** The worst QTest outcome of a list, for the tile border: 'bad', 'warn', 'ok' or ''. */
export function worstStatus(statuses = []) {
  if (statuses.includes(300)) return 'bad';
  if (statuses.includes(200)) return 'warn';
  return statuses.length && statuses.every((s) => s === 100) ? 'ok' : '';
}

/** A `<select>` of a sample's lumis: run-level (0) and each lumisection that has its own sample. */
export function lumiSelect(lumis, current, onchange, id) {
  const select = el('select', { id, 'aria-label': 'Lumisection', onchange: (e) => onchange(e.target.value) },
    lumis.map((l) => el('option', { value: String(l), selected: String(l) === String(current) }, l === 0 ? 'All lumis (run)' : `Lumi ${l}`)));
  select.disabled = lumis.length < 2;
  return select;
}

export { el };
