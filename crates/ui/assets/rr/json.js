// Golden JSON: pick or write a json-logic rule, generate it through the json_portal (submit, then poll),
// and show its ranges, luminosity totals and the luminosity lost per sub-rule; download the JSON.
import { el, getState, setState, showMessage, clearMessages } from '/static/site.js';
import { call, sectionHeader, formatNumber, formatTime, goldenText, download } from '/rr/rr.js';

const pick = document.getElementById('g-pick');
const ruleBox = document.getElementById('g-rule');
const filterBox = document.getElementById('g-filter');
const progress = document.getElementById('g-progress');
let current = null;

/** A rule laid out one top-level operand per line, the way rules are usually written. */
function layout(rule) {
  const compact = JSON.stringify(rule);
  if (compact.length <= 100) return compact;
  const [op, args] = Object.entries(rule)[0] || [];
  if (Object.keys(rule).length === 1 && Array.isArray(args) && args.length > 2) {
    return `{"${op}": [\n  ${args.map((a) => JSON.stringify(a)).join(',\n  ')}\n]}`;
  }
  return JSON.stringify(rule, null, 2);
}

async function loadSamples() {
  const response = await fetch('/rr/rules.json');
  const { rules } = await response.json();
  pick.replaceChildren(el('option', { value: '' }, '(your own rule)'), ...rules.map((r, i) => el('option', { value: String(i) }, r.name)));
  pick.addEventListener('change', () => {
    const sample = rules[Number(pick.value)];
    if (!sample) return;
    ruleBox.value = layout(sample.json_logic);
    filterBox.value = sample.dataset_name_filter;
  });
  if (!ruleBox.value) {
    pick.value = '0';
    pick.dispatchEvent(new Event('change'));
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls /json_portal/json as the API documents: 203 queued, 202 running (progress), 200 done. */
async function poll(id) {
  for (let attempt = 0; ; attempt++) {
    const { status, body } = await call('POST', '/json_portal/json', { id_json: id });
    if (status === 200) return body.final_json;
    progress.textContent = status === 202 ? `Job ${id}: running, ${Math.round(100 * (body?.progress || 0))} %` : `Job ${id}: queued`;
    await sleep(Math.min(2000, 200 + 100 * attempt));
  }
}

function lsCount(json) {
  return Object.values(json || {}).flat().reduce((n, [a, b]) => n + b - a + 1, 0);
}

function rangeCount(json) {
  return Object.values(json || {}).reduce((n, ranges) => n + ranges.length, 0);
}

function card(label, value, id) {
  return el('div', { class: 'rr-card', id }, el('span', { class: 'rr-card-value' }, String(value)), el('span', { class: 'muted' }, label));
}

const percent = (part, whole) => (whole > 0 ? `${formatNumber((100 * part) / whole, 1)} %` : '–');

function show(row) {
  current = row;
  document.getElementById('result').hidden = false;
  document.getElementById('h-result').textContent = `Result of job ${row.id}` + (row.created_by ? ` by ${row.created_by}` : '');
  const json = row.generated_json || {};
  document.getElementById('cards').replaceChildren(
    card('runs', Object.keys(json).length, 'c-runs'), card('ranges', rangeCount(json), 'c-ranges'),
    card('lumisections', lsCount(json), 'c-ls'), card('rejected lumisections', lsCount(row.generated_anti_json), 'c-anti'));
  const totalRec = row.total_recorded_luminosity;
  const line = (label, rec, del) => el('tr', {}, el('th', { scope: 'row' }, label), el('td', { class: 'num' }, formatNumber(rec)),
    el('td', { class: 'num' }, formatNumber(del)), el('td', { class: 'num' }, percent(rec, totalRec)));
  document.querySelector('#lumi tbody').replaceChildren(
    line('All evaluated lumisections', totalRec, row.total_delivered_luminosity),
    line('In the golden JSON', row.recorded_luminosity_in_json, row.delivered_luminosity_in_json),
    line('Lost (anti-JSON)', row.total_recorded_luminosity_lost, row.total_delivered_luminosity_lost),
    line(`Online, runs ${row.min_run_number ?? '?'}–${row.max_run_number ?? '?'} (brilcalc)`, row.total_recorded_luminosity_from_run_range, row.total_delivered_luminosity_from_run_range));
  const lost = row.total_recorded_luminosity_lost;
  const quantity = Object.entries(row.rules_flagged_false_quantity_luminosity || {}).sort(([, a], [, b]) => b - a);
  document.querySelector('#loss tbody').replaceChildren(...quantity.map(([rule, lumi]) => el('tr', {},
    el('td', {}, el('code', {}, rule)), el('td', { class: 'num' }, formatNumber(lumi)), el('td', { class: 'num' }, percent(lumi, lost)))));
  if (!quantity.length) document.querySelector('#loss tbody').append(el('tr', {}, el('td', { colspan: 3, class: 'muted' }, 'Nothing was lost.')));
  const where = row.runs_lumisections_responsible_for_rule || {};
  const combinations = Object.entries(row.rules_flagged_false_combination_luminosity || {}).sort(([, a], [, b]) => b - a).slice(0, 50);
  document.querySelector('#combinations tbody').replaceChildren(...combinations.map(([causes, lumi]) => el('tr', {},
    el('td', {}, el('code', {}, causes)), el('td', { class: 'num' }, formatNumber(lumi)),
    el('td', {}, Object.entries(where[causes] || {}).map(([key, ranges]) => `${key}: ${JSON.stringify(ranges)}`).join('; ')))));
  const anti = row.generated_anti_json || {};
  const runs = [...new Set([...Object.keys(json), ...Object.keys(anti)])].sort((a, b) => Number(a) - Number(b));
  const ranges = (list) => (list || []).map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ');
  document.querySelector('#ranges tbody').replaceChildren(...runs.map((run) => el('tr', { dataset: { run } },
    el('td', {}, el('a', { href: `/rr/run?run=${run}` }, run)), el('td', { class: 'rr-good' }, ranges(json[run]) || '–'),
    el('td', { class: 'rr-anti' }, ranges(anti[run]) || ''))));
  document.getElementById('golden-text').textContent = goldenText(json);
  document.getElementById('permalink').href = `/rr/json?id=${row.id}`;
}

document.getElementById('generate').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearMessages();
  let rule;
  try {
    rule = JSON.parse(ruleBox.value);
  } catch (err) {
    showMessage(`The rule is not valid JSON: ${err.message}`, 'error');
    ruleBox.focus();
    return;
  }
  const button = document.getElementById('g-run');
  button.disabled = true;
  progress.textContent = 'Submitting…';
  try {
    const { body: job } = await call('POST', '/json_portal/generate', {
      json_logic: JSON.stringify(rule), dataset_name_filter: filterBox.value.trim(), tags: document.getElementById('g-tags').value.trim(),
    });
    const row = await poll(job.id);
    progress.textContent = `Job ${job.id}: done.`;
    setState({ id: job.id }, { push: true });
    show(row);
    loadPrevious();
  } catch {
    progress.textContent = '';
  } finally {
    button.disabled = false;
  }
});

document.getElementById('download').addEventListener('click', () => current && download(`golden_json_${current.id}.json`, goldenText(current.generated_json)));
document.getElementById('download-anti').addEventListener('click', () => current && download(`anti_json_${current.id}.json`, goldenText(current.generated_anti_json)));

async function loadPrevious() {
  const tbody = document.querySelector('#previous tbody');
  try {
    const { body } = await call('POST', '/json_portal/jsons', { filter: 'all' }, { quiet: true });
    tbody.replaceChildren(...body.jsons.map((j) => el('tr', {},
      el('td', {}, el('a', { href: `/rr/json?id=${j.id}` }, String(j.id))), el('td', {}, formatTime(j.createdAt)),
      el('td', {}, j.created_by || ''), el('td', {}, el('code', {}, j.dataset_name_filter || '')), el('td', {}, j.tags || ''),
      el('td', {}, j.failed ? `failed: ${j.failedReason || ''}` : j.waiting ? 'queued' : j.active ? 'running' : 'done'))));
    if (!body.jsons.length) tbody.append(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'None yet.')));
  } catch (err) {
    tbody.replaceChildren(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, err.status === 401 ? 'Sign in to list the generated JSONs.' : err.message)));
  }
}

async function main() {
  sectionHeader('/rr/json');
  await loadSamples();
  const { id } = getState();
  if (id) {
    try {
      const row = await poll(Number(id));
      ruleBox.value = layout(typeof row.json_logic === 'string' ? JSON.parse(row.json_logic) : row.json_logic);
      filterBox.value = row.dataset_name_filter || '';
      pick.value = '';
      show(row);
    } catch { /* shown */ }
  }
  loadPrevious();
  document.body.dataset.ready = 'true';
}

main();
