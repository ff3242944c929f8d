// One run: its attributes, each component's flags per LS range for a dataset, editing a flag over a range,
// and the full history (who, when, why) with revert.
import { el, getState, setState, showMessage, clearMessages } from '/static/site.js';
import { call, get, post, sectionHeader, statusBadge, lsRange, formatTime, COMPONENTS, STATUSES } from '/rr/rr.js';

const state = getState();
const runNumber = Number(state.run);
const datasetSelect = document.getElementById('dataset');
const editForm = document.getElementById('edit');
let dataset = state.dataset || 'online';
let run = null;
let me = { can_edit: false, can_revert: false };

/** Attribute keys of a history row that describe the row rather than a change. */
const META = new Set(['run_number', 'version', 'atomic_version', 'manual_change', 'deleted', 'by', 'comment', 'createdAt', 'name', 'datasets_in_gui']);

function showAttributes() {
  const rr = run.rr_attributes || {};
  const oms = run.oms_attributes || {};
  const items = [
    ['Class', rr.class || '–'], ['State', rr.state], ['Significant', rr.significant ? 'yes' : 'no'], ['Stop reason', rr.stop_reason || '–'],
    ['Lumisections', oms.ls_duration], ['Energy', oms.energy], ['B field', oms.b_field], ['Fill', oms.fill_number],
    ['Start', formatTime(oms.start_time)], ['End', formatTime(oms.end_time)], ['Stable beams', oms.beams_present_and_stable ? 'yes' : 'no'],
  ].filter(([, v]) => v !== undefined && v !== null && v !== '');
  document.getElementById('attributes').replaceChildren(...items.map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, String(v)))));
  if (rr.run_needs_to_be_updated_manually) showMessage('This run needs a manual update: an automatic change was refused because the run is no longer OPEN.', 'info');
}

/** A proportional strip of the ranges (its text twin is beside it for screen readers and the tests). */
function strip(ranges, total) {
  const bar = el('div', { class: 'rr-strip', 'aria-hidden': 'true' });
  for (const r of ranges) {
    const part = el('span', { class: `rr-seg rr-seg-${String(r.status).toLowerCase().replace(/\s+/g, '-')}`, title: `${lsRange(r.start, r.end)}: ${r.status}${r.comment ? ` (${r.comment})` : ''}` });
    part.style.width = `${(100 * (r.end - r.start + 1)) / Math.max(total, 1)}%`;
    bar.append(part);
  }
  return bar;
}

/** The ranges as text; with `pick`, each has a button that fills the edit form with it. */
function rangeList(key, ranges, pick) {
  return el('ul', { class: 'rr-range-list' }, ranges.map((r) => el('li', { dataset: { start: r.start, end: r.end, status: String(r.status) } },
    `${lsRange(r.start, r.end)} `, statusBadge(r.status),
    r.comment ? el('span', { class: 'rr-comment' }, ` ${r.comment}`) : '',
    r.cause ? el('span', { class: 'muted' }, ` (cause: ${r.cause})`) : '',
    pick ? el('button', { type: 'button', class: 'rr-pick', 'aria-label': `Change ${key} ${lsRange(r.start, r.end)}`, onclick: () => pick(key, r) }, 'change') : '')));
}

/** Fills the edit form with a range and moves the focus there. */
function pickRange(component, range) {
  document.getElementById('e-component').value = component;
  document.getElementById('e-start').value = range.start;
  document.getElementById('e-end').value = range.end;
  document.getElementById('e-status').value = range.status;
  document.getElementById('e-comment').value = '';
  document.getElementById('e-cause').value = range.cause || '';
  document.getElementById('e-status').focus();
}

function fillRanges(tbody, byKey, attribute, pick) {
  const entries = Object.entries(byKey).sort(([a], [b]) => a.localeCompare(b));
  const total = Math.max(0, ...entries.flatMap(([, ranges]) => ranges.map((r) => r.end)));
  tbody.replaceChildren(...entries.map(([key, ranges]) => el('tr', { dataset: { [attribute]: key } },
    el('th', { scope: 'row' }, key), el('td', { class: 'rr-strip-cell' }, strip(ranges, total)), el('td', {}, rangeList(key, ranges, pick)))));
  if (!entries.length) tbody.append(el('tr', {}, el('td', { colspan: 3, class: 'muted' }, 'No lumisections recorded.')));
  return { keys: entries.map(([k]) => k), total };
}

async function loadFlags() {
  const body = { run_number: runNumber, dataset_name: dataset };
  const [flags, dcs] = await Promise.all([
    post('/lumisections/rr_lumisection_ranges_by_component', body),
    post('/lumisections/oms_lumisection_ranges_by_dcs_bit', body).catch(() => ({})),
  ]);
  const { keys, total } = fillRanges(document.querySelector('#flags tbody'), flags, 'component', pickRange);
  fillRanges(document.querySelector('#dcs tbody'), dcs, 'bit');
  document.getElementById('flags-note').textContent = total ? `${keys.length} components over ${total} lumisections of ${dataset}.` : '';
  const select = document.getElementById('e-component');
  const chosen = select.value;
  const options = [...keys, ...COMPONENTS.filter((c) => !keys.includes(c))];
  select.replaceChildren(...options.map((c) => el('option', { value: c }, c)));
  if (chosen) select.value = chosen;
  const end = document.getElementById('e-end');
  for (const input of [document.getElementById('e-start'), end]) input.max = total || '';
}

/** What one history row changed, in words. */
function change(row, kind) {
  if (kind === 'ls') {
    return el('span', {}, `${lsRange(row.start, row.end)}: `, ...Object.entries(row.jsonb || {}).flatMap(([key, value], i) => [
      i ? ', ' : '', el('code', {}, key), ' → ',
      ...(value && typeof value === 'object' ? [statusBadge(value.status), value.comment ? ` “${value.comment}”` : ''] : [statusBadge(value)])]));
  }
  const keys = Object.keys(row).filter((k) => !META.has(k));
  if (!keys.length && row.datasets_in_gui?.length) return `in the DQM GUI as ${row.datasets_in_gui.join(', ')}`;
  return el('span', {}, `${kind === 'dataset' ? 'dataset' : 'run'}: `, keys.flatMap((k, i) => [i ? ', ' : '', el('code', {}, k), ` = ${JSON.stringify(row[k])}`]));
}

async function loadHistory() {
  const body = { run_number: runNumber, dataset_name: dataset };
  const [lumis, runRows, datasetRows] = await Promise.all([
    post('/lumisections/get_rr_lumisection_history', body),
    get(`/run_with_history/${runNumber}`),
    post('/datasets/get_dataset_history', body).catch(() => []),
  ]);
  const rows = [...lumis.map((r) => ({ row: r, kind: 'ls' })), ...runRows.map((r) => ({ row: r, kind: 'run' })), ...datasetRows.map((r) => ({ row: r, kind: 'dataset' }))]
    .filter(({ row, kind }) => kind === 'ls' || Object.keys(row).some((k) => !META.has(k)) || row.datasets_in_gui?.length);
  const versions = new Map();
  for (const entry of rows) {
    const v = entry.row.atomic_version;
    if (!versions.has(v)) versions.set(v, []);
    versions.get(v).push(entry);
  }
  const tbody = document.querySelector('#history tbody');
  tbody.replaceChildren();
  for (const [version, entries] of [...versions].sort(([a], [b]) => b - a)) {
    const first = entries[0].row;
    const revert = el('button', { type: 'button', class: 'secondary rr-revert', 'aria-label': `Revert version ${version}` }, 'Revert…');
    revert.addEventListener('click', () => openRevert(tr, version));
    const tr = el('tr', { dataset: { version } },
      el('td', { class: 'num' }, String(version)),
      el('td', { class: 'rr-when' }, formatTime(first.createdAt)),
      el('td', {}, first.by || '', first.manual_change === false ? el('span', { class: 'muted' }, ' (automatic)') : ''),
      el('td', { class: 'rr-why' }, first.comment || ''),
      el('td', {}, el('ul', { class: 'rr-changes' }, entries.map(({ row, kind }) => el('li', {}, change(row, kind))))),
      el('td', {}, revert));
    tbody.append(tr);
  }
  if (!versions.size) tbody.append(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No history.')));
}

/** An inline form under a history row: a revert needs a reason. */
function openRevert(tr, version) {
  document.querySelector('.rr-revert-row')?.remove();
  const input = el('input', { type: 'text', name: 'comment', required: true, placeholder: 'why this change is reverted', 'aria-label': `Reason for reverting version ${version}` });
  const form = el('form', { class: 'toolbar rr-revert-form' },
    el('label', { class: 'rr-wide' }, `Revert version ${version}: reason`, input),
    el('button', { type: 'submit' }, 'Confirm revert'),
    el('button', { type: 'button', class: 'secondary', onclick: () => row.remove() }, 'Cancel'));
  const row = el('tr', { class: 'rr-revert-row' }, el('td', { colspan: 6 }, form));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearMessages();
    try {
      const { body } = await call('POST', '/versions/revert', { atomic_version: version, comment: input.value });
      showMessage(`Version ${version} reverted by version ${body.atomic_version} (${body.events} compensating change${body.events === 1 ? '' : 's'}).`, 'info');
      row.remove();
      await refresh();
    } catch (err) {
      form.querySelector('.rr-refused')?.remove();
      form.append(el('span', { class: 'rr-refused', role: 'status' }, `Not reverted. ${err.message}`));
    }
  });
  tr.after(row);
  input.focus();
}

editForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearMessages();
  const f = editForm.elements;
  const comment = f.namedItem('comment').value.trim();
  const range = { start: Number(f.namedItem('start').value), end: Number(f.namedItem('end').value), status: f.namedItem('status').value, comment, cause: f.namedItem('cause').value.trim() };
  const body = { run_number: runNumber, dataset_name: dataset, component: f.namedItem('component').value, new_lumisection_range: range };
  if (comment) body.comment = comment;
  const status = document.getElementById('edit-status');
  status.replaceChildren();
  try {
    const { body: saved } = await call('PUT', '/lumisections/edit_rr_lumisections', body);
    const text = `Saved as version ${saved.atomic_version}: ${body.component} ${lsRange(range.start, range.end)} is ${range.status}.`;
    showMessage(text, 'info');
    status.replaceChildren(el('span', { class: 'rr-ok' }, text));
    await refresh();
  } catch (err) {
    // Also beside the form, which may be far below the page's message area.
    status.replaceChildren(el('span', { class: 'rr-refused' }, `Not saved. ${err.message}`));
  }
});

async function refresh() {
  await Promise.all([loadFlags(), loadHistory()]);
}

async function loadDatasets() {
  const names = await get(`/get_all_dataset_names_of_run/${runNumber}`);
  if (!names.includes(dataset)) dataset = names[0] || 'online';
  datasetSelect.replaceChildren(...names.map((n) => el('option', { value: n, selected: n === dataset }, n)));
}

datasetSelect.addEventListener('change', async () => {
  dataset = datasetSelect.value;
  setState({ run: runNumber, dataset }, { push: true });
  clearMessages();
  await refresh();
});

async function main() {
  for (const s of STATUSES) document.getElementById('e-status').append(el('option', { value: s }, s));
  const who = sectionHeader('/rr/run');
  if (!Number.isInteger(runNumber) || runNumber <= 0) {
    document.getElementById('title').textContent = 'No run selected';
    showMessage('Open a run from the run table (this page needs ?run=<number>).', 'error');
    return;
  }
  document.getElementById('title').textContent = `Run ${runNumber}`;
  document.title = `Run Registry: run ${runNumber}`;
  try {
    run = await get(`/runs/${runNumber}`);
  } catch {
    document.getElementById('title').textContent = `Run ${runNumber} not found`;
    return;
  }
  showAttributes();
  await loadDatasets();
  await refresh();
  me = await who;
  document.getElementById('edit-note').textContent = me.can_edit
    ? `You (${me.email}) may change flags${me.can_revert ? ' and revert changes' : ''}. Online flags can be changed only while the run is OPEN.`
    : me.email ? `${me.email} is not in an e-group that may change flags: changes will be refused.` : 'Sign in to change flags: changes without a signed-in user are refused.';
  document.body.dataset.ready = 'true';
}

main();
