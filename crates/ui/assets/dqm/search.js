// The sample search: run and dataset substring search over `samples`, suggestions from `latest_runs` and
// `datasets`, and per row a lumi selector (the run, or one of its per-lumi samples) from `lumis`.
import { api, el, getState, setState } from '/static/site.js';
import { link, lumisUrl, lumiSelect } from '/dqm/common.js';

const PAGE = 100;
const runInput = document.getElementById('run');
const datasetInput = document.getElementById('dataset');
const tbody = document.querySelector('#samples tbody');
const more = document.getElementById('more');
let samples = [];
let shown = 0;
let generation = 0;

function row(sample) {
  const lumi = { value: '0' };
  const open = el('a', { class: 'button', href: link('browse', { ...sample, lumi: '0' }) }, 'Open');
  const cell = el('td', { class: 'lumi-cell' }, el('span', { class: 'muted' }, '…'));
  api(lumisUrl({ run: String(sample.run), dataset: sample.dataset }), { quiet: true })
    .then((lumis) => {
      if (lumis.length < 2) {
        cell.replaceChildren(el('span', { class: 'muted' }, 'Whole run'));
        return;
      }
      const select = lumiSelect(lumis, lumi.value, (value) => {
        lumi.value = value;
        open.href = link('browse', { ...sample, lumi: value });
      });
      select.setAttribute('aria-label', `Lumisection of run ${sample.run} ${sample.dataset}`);
      cell.replaceChildren(select, el('span', { class: 'muted' }, ` ${lumis.length - 1} per-lumi`));
    })
    .catch((err) => cell.replaceChildren(el('span', { class: 'muted', title: err.message }, 'run only')));
  return el('tr', {},
    el('td', { class: 'mono' }, String(sample.run)),
    el('td', { class: 'mono' }, sample.dataset),
    cell,
    el('td', {}, open));
}

function showMore() {
  const next = samples.slice(shown, shown + PAGE);
  tbody.append(...next.map(row));
  shown += next.length;
  more.hidden = shown >= samples.length;
}

async function search() {
  const run = runInput.value.trim(), dataset = datasetInput.value.trim();
  setState({ run, dataset });
  const mine = ++generation;
  const params = new URLSearchParams({ run, dataset });
  let answer;
  try {
    answer = await api(`/api/v1/samples?${params}`);
  } catch {
    tbody.replaceChildren(el('tr', {}, el('td', { colspan: 4 }, 'The search failed; see the message above.')));
    return;
  }
  if (mine !== generation) return;
  samples = answer.data;
  shown = 0;
  document.getElementById('count').textContent = `(${samples.length})`;
  tbody.replaceChildren();
  if (!samples.length) tbody.append(el('tr', {}, el('td', { colspan: 4, class: 'muted' }, 'No sample matches this run and dataset.')));
  showMore();
}

async function suggestions() {
  const [runs, datasets] = await Promise.all([
    api(`/api/v1/latest_runs?search=${encodeURIComponent(runInput.value.trim())}`, { quiet: true }).catch(() => ({ runs: [] })),
    api(`/api/v1/datasets?search=${encodeURIComponent(datasetInput.value.trim())}`, { quiet: true }).catch(() => ({ datasets: [] })),
  ]);
  document.getElementById('run-list').replaceChildren(...runs.runs.map((r) => el('option', { value: String(r) })));
  document.getElementById('dataset-list').replaceChildren(...datasets.datasets.map((d) => el('option', { value: d })));
}

async function latest() {
  const { runs } = await api('/api/v1/latest_runs');
  const list = document.getElementById('latest');
  list.replaceChildren(...runs.slice(0, 30).map((r) => el('li', {},
    el('a', { href: `?run=${r}`, onclick: (e) => { e.preventDefault(); runInput.value = String(r); search(); } }, String(r)))));
  if (!runs.length) list.append(el('li', { class: 'muted' }, 'No run is registered yet.'));
}

let timer;
const later = () => { clearTimeout(timer); timer = setTimeout(() => { search(); suggestions(); }, 250); };
runInput.addEventListener('input', later);
datasetInput.addEventListener('input', later);
document.getElementById('search').addEventListener('submit', (e) => { e.preventDefault(); clearTimeout(timer); search(); });
more.addEventListener('click', showMore);
window.addEventListener('popstate', () => { const s = getState(); runInput.value = s.run || ''; datasetInput.value = s.dataset || ''; search(); });

const state = getState();
runInput.value = state.run || '';
datasetInput.value = state.dataset || '';
latest();
suggestions();
search();
