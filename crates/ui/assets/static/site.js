// The site shell every page imports: the common header (header.js), visible messages, the api() fetch helper that turns
// a failed request into a message, a tiny DOM builder and URL-state helpers.

export { SECTIONS, currentSection } from './header.js';

/** Builds an element: el('a', {href: '/x', class: 'y'}, 'text', child). `on*` attributes become listeners. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The message area: `#messages` if the page has one, else one made at the top of `main`. */
function messageArea() {
  let area = document.getElementById('messages');
  if (!area) {
    area = el('div', { id: 'messages', role: 'status', 'aria-live': 'polite' });
    (document.querySelector('main') || document.body).prepend(area);
  }
  return area;
}

export function showMessage(text, kind = 'error') {
  const box = el('div', { class: `message message-${kind}`, role: kind === 'error' ? 'alert' : null },
    el('span', {}, text),
    el('button', { type: 'button', class: 'message-close', 'aria-label': 'Dismiss', onclick: () => box.remove() }, '×'));
  messageArea().append(box);
  return box;
}

export const showError = (text) => showMessage(text, 'error');

export function clearMessages() {
  document.getElementById('messages')?.replaceChildren();
}

/** A failed request: `status` and the server's message. */
export class ApiError extends Error {
  constructor(status, message, url) {
    super(message);
    this.status = status;
    this.url = url;
  }
}

async function errorText(response) {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text);
    if (body && typeof body === 'object' && (body.message || body.error)) return String(body.message || body.error);
  } catch { /* not JSON */ }
  return text.trim().slice(0, 300) || response.statusText || 'request failed';
}

/**
 * Fetches `path` from this site and returns the parsed JSON (or text for other content types). A non-2xx
 * answer or a network failure is shown as a message (unless `quiet`) and thrown as an ApiError.
 * Options: method, body (an object is sent as JSON), headers, signal, quiet.
 */
export async function api(path, { method = 'GET', body, headers = {}, signal, quiet = false } = {}) {
  const init = { method, headers: { accept: 'application/json', ...headers }, signal };
  if (body !== undefined) {
    const plain = typeof body === 'string' || body instanceof Blob || body instanceof FormData;
    init.body = plain ? body : JSON.stringify(body);
    if (!plain && !init.headers['content-type']) init.headers['content-type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    const failure = new ApiError(0, `Cannot reach the server (${err.message})`, path);
    if (!quiet) showError(`${method} ${path}: ${failure.message}`);
    throw failure;
  }
  if (!response.ok) {
    const failure = new ApiError(response.status, await errorText(response), path);
    if (!quiet) showError(`${method} ${path}: ${response.status} ${failure.message}`);
    throw failure;
  }
  const type = response.headers.get('content-type') || '';
  return type.includes('json') ? response.json() : response.text();
}

/** The page's URL query as a plain object of strings. */
export function getState() {
  return Object.fromEntries(new URLSearchParams(location.search));
}

/** Writes `state` into the URL (empty values dropped); `push` adds a history entry. */
export function setState(state, { push = false } = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const query = params.toString();
  const url = location.pathname + (query ? `?${query}` : '') + location.hash;
  if (url !== location.pathname + location.search + location.hash) {
    history[push ? 'pushState' : 'replaceState'](null, '', url);
  }
}

/** `path?query` with the empty values of `params` left out. */
export function withQuery(path, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
  return query ? `${path}?${query}` : path;
}

window.addEventListener('unhandledrejection', (event) => {
  if (!(event.reason instanceof ApiError) && event.reason?.name !== 'AbortError') showError(String(event.reason?.message || event.reason));
});
window.addEventListener('error', (event) => showError(`Script error: ${event.message}`));
