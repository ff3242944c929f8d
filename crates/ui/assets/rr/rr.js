// Shared by the Run Registry pages: requests to /rr/api with the RR error shapes, the signed-in banner, the
// section's sub-navigation and small formatters. Credentials are never handled here: in production the SSO
// proxy adds the identity headers and its secret to the page's ordinary same-origin requests.
import { el, showError } from '/static/site.js';

export const API = '/rr/api';

/** Certifiable offline components (spec §2.2), offered when a dataset has none yet. */
export const COMPONENTS = ['btag-btag', 'castor-castor', 'cms-cms', 'csc-csc', 'ctpps-ctpps', 'dc-lowlumi', 'dt-dt',
  'ecal-ecal', 'ecal-es', 'egamma-egamma', 'hcal-hcal', 'hlt-hlt', 'jetmet-jetmet', 'l1t-l1t', 'l1t-l1tmu',
  'l1t-l1tcalo', 'lumi-lumi', 'muon-muon', 'rpc-rpc', 'tau-tau', 'tracker-track', 'tracker-pixel', 'tracker-strip'];
export const STATUSES = ['GOOD', 'BAD', 'STANDBY', 'EXCLUDED', 'NOTSET', 'EMPTY', 'NO VALUE FOUND'];
export const RUN_STATES = ['OPEN', 'SIGNOFF', 'COMPLETED'];

/** A refused or failed request, with the API's message as plain text. */
export class RrError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The API sends some messages as HTML (the e-group list of a 403): show their text, never their markup. */
function plainText(text) {
  if (!/[<&]/.test(text)) return text;
  const doc = new DOMParser().parseFromString(text, 'text/html');
  doc.querySelectorAll('li').forEach((li) => li.prepend(' '));
  return doc.body.textContent.replace(/\s+/g, ' ').trim();
}

function describe(status, body, raw) {
  const text = body && typeof body === 'object' ? body.message || body.err || body.error : null;
  const message = plainText(String(text || raw || '').slice(0, 500)) || `HTTP ${status}`;
  if (status === 401) return `Not signed in: ${message}`;
  if (status === 403) return `Not allowed: ${message}`;
  return message;
}

/**
 * Calls the RR API: `call('POST', '/runs_filtered_ordered', {...})` → `{status, body}` for any 2xx (203 and
 * 204 have no body). Anything else is shown as a message (unless `quiet`) and thrown as an RrError.
 */
export async function call(method, path, body, { quiet = false } = {}) {
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(API + path, init);
  } catch (err) {
    const failure = new RrError(0, `Cannot reach the Run Registry (${err.message})`);
    if (!quiet) showError(failure.message);
    throw failure;
  }
  const raw = await response.text();
  let parsed = null;
  try { parsed = raw ? JSON.parse(raw) : null; } catch { /* not JSON */ }
  if (response.ok) return { status: response.status, body: parsed };
  const failure = new RrError(response.status, describe(response.status, parsed, raw));
  if (!quiet) showError(failure.message);
  throw failure;
}

/** The body of a successful call. */
export const get = async (path) => (await call('GET', path)).body;
export const post = async (path, body) => (await call('POST', path, body)).body;

/** The RR sub-navigation and the "signed in as" line; resolves to the `/whoami` answer. */
export async function sectionHeader(current) {
  const nav = document.getElementById('rr-nav');
  const who = el('span', { class: 'rr-who', id: 'rr-who' }, '…');
  if (nav) {
    nav.replaceChildren(
      ...[['/rr/', 'Runs'], ['/rr/json', 'Golden JSON']].map(([href, label]) =>
        el('a', { href, 'aria-current': current === href ? 'page' : null }, label)),
      who);
  }
  let me = { email: null, egroups: [], can_edit: false, can_revert: false };
  try { me = await get('/whoami'); } catch { /* shown by call */ }
  who.replaceChildren(me.email
    ? el('span', {}, 'Signed in as ', el('strong', {}, me.email), me.egroups.length ? ` (${me.egroups.join(', ')})` : '')
    : el('span', { class: 'muted' }, 'Not signed in: pages are read-only (sign in through the CERN SSO to edit)'));
  return me;
}

/** A status badge: GOOD green, BAD red, others grey/amber. */
export function statusBadge(status) {
  const kind = { GOOD: 'ok', BAD: 'bad', STANDBY: 'warn', EXCLUDED: 'warn', true: 'ok', false: 'bad' }[String(status)] || 'other';
  return el('span', { class: `badge badge-${kind}` }, status === '' || status == null ? 'empty' : String(status));
}

export function lsRange(start, end) {
  return start === end ? `LS ${start}` : `LS ${start}–${end}`;
}

export function formatTime(text) {
  if (!text) return '';
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? String(text) : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function formatNumber(value, digits = 3) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits }) : '–';
}

/** Compact golden-JSON text, one run per line, as the official files are written. */
export function goldenText(json) {
  const lines = Object.entries(json || {}).map(([run, ranges]) => `  "${run}": ${JSON.stringify(ranges).replace(/,/g, ', ')}`);
  return lines.length ? `{\n${lines.join(',\n')}\n}\n` : '{}\n';
}

/** Offers `text` as a file download (a same-page blob URL: nothing leaves the site). */
export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = el('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
