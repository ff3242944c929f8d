// The run table: filters, sorting and paging through POST /rr/api/runs_filtered_ordered; all in the URL.
import { el, getState, setState } from '/static/site.js';
import { post, sectionHeader, statusBadge, formatTime, COMPONENTS, STATUSES } from '/rr/rr.js';

const form = document.getElementById('filters');
const tbody = document.querySelector('#runs tbody');
const field = (name) => form.elements.namedItem(name);

for (const c of COMPONENTS) field('component').append(el('option', { value: c }, c));
for (const s of STATUSES) field('status').append(el('option', { value: s, selected: s === 'BAD' }, s));

/** The filter of the API's grammar (§6.1) for the form's values: one boolean tree. */
export function runFilter(state) {
  const and = [];
  if (state.from) and.push({ run_number: { '>=': Number(state.from) } });
  if (state.to) and.push({ run_number: { '<=': Number(state.to) } });
  if (state.class) and.push({ 'rr_attributes.class': { like: `%${state.class}%` } });
  if (state.state) and.push({ 'rr_attributes.state': state.state });
  if (state.component) and.push({ [`triplet_summary.${state.component}.${state.status || 'BAD'}`]: { '>': 0 } });
  return and.length ? { and } : {};
}

function fill(state) {
  for (const name of ['from', 'to', 'class', 'state', 'component', 'status', 'size']) {
    if (state[name] !== undefined) field(name).value = state[name];
  }
}

function formState() {
  return Object.fromEntries(['from', 'to', 'class', 'state', 'component', 'status', 'size'].map((n) => [n, field(n).value]));
}

/** The components with LS that are not GOOD, as badges with their counts. */
function flagCell(run) {
  const summary = run.DatasetTripletCache?.triplet_summary || {};
  const cell = el('td', { class: 'rr-flags' });
  const entries = Object.entries(summary).sort(([a], [b]) => a.localeCompare(b));
  for (const [component, counts] of entries) {
    const bad = Object.entries(counts).filter(([k, v]) => !['GOOD', 'comments', 'causes', 'EMPTY'].includes(k) && v > 0);
    for (const [status, count] of bad) {
      cell.append(el('span', { class: 'rr-flag', title: (counts.comments || []).join('; ') }, statusBadge(status), ` ${component} ×${count}`));
    }
  }
  if (!cell.childNodes.length) cell.append(entries.length ? el('span', { class: 'muted' }, `all GOOD (${entries.length} components)`) : el('span', { class: 'muted' }, 'no flags'));
  return cell;
}

function row(run) {
  const rr = run.rr_attributes || {};
  const oms = run.oms_attributes || {};
  const href = `/rr/run?run=${run.run_number}`;
  return el('tr', { dataset: { run: run.run_number } },
    el('td', {}, el('a', { href }, String(run.run_number))),
    el('td', {}, rr.class || el('span', { class: 'muted' }, 'none')),
    el('td', {}, el('span', { class: `rr-state rr-state-${(rr.state || '').toLowerCase()}` }, rr.state || '')),
    el('td', {}, rr.significant ? 'yes' : 'no'),
    el('td', { class: 'num' }, oms.ls_duration ?? ''),
    el('td', { class: 'num' }, oms.energy ?? ''),
    el('td', { class: 'num' }, oms.b_field ?? ''),
    el('td', {}, formatTime(oms.start_time)),
    flagCell(run));
}

function showSorting(sort, dir) {
  for (const th of document.querySelectorAll('#runs th[data-sort]')) {
    const active = th.dataset.sort === sort;
    th.setAttribute('aria-sort', active ? (dir === 'ASC' ? 'ascending' : 'descending') : 'none');
  }
}

async function load() {
  const state = getState();
  const page = Math.max(0, Number(state.page) || 0);
  const size = Number(state.size) || 25;
  const sort = state.sort || 'run_number';
  const dir = state.dir === 'ASC' ? 'ASC' : 'DESC';
  showSorting(sort, dir);
  tbody.replaceChildren(el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'Loading…')));
  let answer;
  try {
    answer = await post('/runs_filtered_ordered', { filter: runFilter(state), sortings: [[sort, dir]], page, page_size: size });
  } catch {
    tbody.replaceChildren(el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'The runs could not be loaded.')));
    return;
  }
  tbody.replaceChildren(...answer.runs.map(row));
  if (!answer.runs.length) tbody.append(el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'No run matches these filters.')));
  const first = answer.count ? page * size + 1 : 0;
  document.getElementById('summary').textContent = `${answer.count} run${answer.count === 1 ? '' : 's'}` +
    (answer.count ? `, showing ${first}–${page * size + answer.runs.length}` : '');
  document.getElementById('page-of').textContent = `Page ${answer.pages ? page + 1 : 0} of ${answer.pages}`;
  document.getElementById('prev').disabled = page <= 0;
  document.getElementById('next').disabled = page + 1 >= answer.pages;
}

function go(changes) {
  setState({ ...getState(), ...changes }, { push: true });
  load();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const { sort, dir } = getState();
  go({ ...formState(), sort, dir, page: 0 });
});
form.addEventListener('reset', () => setTimeout(() => {
  setState({}, { push: true });
  fill({ status: 'BAD', size: '25' });
  load();
}));
document.getElementById('prev').addEventListener('click', () => go({ page: Math.max(0, (Number(getState().page) || 0) - 1) }));
document.getElementById('next').addEventListener('click', () => go({ page: (Number(getState().page) || 0) + 1 }));
for (const th of document.querySelectorAll('#runs th[data-sort]')) {
  const button = el('button', { type: 'button', class: 'rr-sort' }, ...th.childNodes);
  th.replaceChildren(button);
  button.addEventListener('click', () => {
    const { sort = 'run_number', dir = 'DESC' } = getState();
    const next = sort === th.dataset.sort && dir === 'DESC' ? 'ASC' : 'DESC';
    go({ sort: th.dataset.sort, dir: next, page: 0 });
  });
}
window.addEventListener('popstate', () => { fill(getState()); load(); });

fill(getState());
sectionHeader('/rr/');
load();
