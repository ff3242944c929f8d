// The thumbnail grid of the browser and layout pages. Each tile's PNG is fetched only when the tile scrolls
// into view (IntersectionObserver). Once every visible PNG is in, each loaded tile's JSON is probed, two at a
// time, for what the PNG cannot say: a scalar's value as text and the efficiency flag.
import { api, el } from '/static/site.js';
import { jsonUrl, pngUrl, qtestBadges, worstStatus } from '/dqm/common.js';

let observer = null;
const probes = [];
let probing = 0;
let pending = 0;

function pump() {
  while (pending === 0 && probing < 2 && probes.length) {
    const job = probes.shift();
    if (!job.tile.isConnected) continue;
    probing += 1;
    job.run().finally(() => { probing -= 1; pump(); });
  }
}

function load(tile) {
  const img = tile.querySelector('img');
  if (!img || img.getAttribute('src')) return;
  pending += 1;
  tile.dataset.state = 'loading';
  const done = (state) => {
    pending -= 1;
    tile.dataset.state = state;
    if (state === 'loaded') probes.push({ tile, run: tile.probe });
    pump();
  };
  img.addEventListener('load', () => done('loaded'), { once: true });
  img.addEventListener('error', () => {
    done('failed');
    img.replaceWith(el('div', { class: 'tile-failed', role: 'img', 'aria-label': 'Plot failed to load' }, 'The plot could not be drawn'));
  }, { once: true });
  img.src = img.dataset.src;
}

function observe(tile) {
  if (!('IntersectionObserver' in window)) return load(tile);
  observer ??= new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) {
        observer.unobserve(entry.target);
        load(entry.target);
      }
    }
  }, { rootMargin: '50px' });
  observer.observe(tile);
}

/**
 * Starts the PNGs of the tiles already in view right away, one layout pass after they were inserted, instead of
 * waiting for the observer's first callback (a frame later, longer on a busy machine). The rest stay lazy.
 */
export function startVisible(container) {
  const bottom = innerHeight + 50;
  for (const node of container.querySelectorAll('.tile')) {
    const box = node.getBoundingClientRect();
    if (box.top > bottom) break;
    if (box.bottom >= -50 && box.width > 0) {
      observer?.unobserve(node);
      load(node);
    }
  }
}

/** Forgets the tiles of the previous view (their PNGs are no longer wanted). */
export function resetTiles() {
  observer?.disconnect();
  observer = null;
  probes.length = 0;
  pending = 0;
}

/**
 * A tile for one ME. `item`: {name, path, layout?, draw?, overlays?, qtstatuses?, description?}; `opts`:
 * {sample, size: {w, h}, ref, mode, norm, label, href}.
 */
export function tile(item, { sample, size, ref, mode, norm, label, href }) {
  const src = pngUrl(sample, item.path, { w: size.w, h: size.h, draw: item.draw, overlays: item.overlays || [], ref, mode, norm, label });
  const img = el('img', { 'data-src': src, width: size.w, height: size.h, alt: `${item.name} (${item.path})` });
  const badges = el('span', { class: 'badges' }, qtestBadges(item.qtstatuses));
  const node = el('figure', { class: `tile ${worstStatus(item.qtstatuses) ? `tile-${worstStatus(item.qtstatuses)}` : ''}`, dataset: { path: item.path } },
    // One tab stop per tile: the name link; the picture repeats it for the mouse.
    el('a', { href, class: 'tile-link', title: `Open ${item.path}`, tabindex: '-1' }, img),
    el('figcaption', {},
      el('a', { href, class: 'tile-name' }, item.name),
      item.layout ? el('span', { class: 'tile-layout muted' }, item.layout) : '',
      badges));
  node.probe = async () => {
    let object;
    try {
      object = await api(jsonUrl(sample, item.path), { quiet: true });
    } catch {
      return; // a layout whose source is missing: the PNG already says "ME not found"
    }
    if (object?.dqmProperties?.efficiency) badges.append(el('span', { class: 'badge badge-eff', title: 'Efficiency ME: references are not normalised' }, 'Efficiency'));
    if (object?._typename === 'TObjString') {
      node.classList.add('tile-scalar');
      const value = el('span', { class: `scalar-value${object.fString.length > 10 ? ' long' : ''}` }, object.fString);
      value.style.minHeight = `${size.h}px`;
      value.style.width = `${size.w}px`;
      node.querySelector('.tile-link').replaceChildren(value);
      node.dataset.value = object.fString;
    }
    node.dataset.probed = 'true';
  };
  observe(node);
  return node;
}

/** The number of tiles on the page whose PNG is still being fetched. */
export const pendingTiles = () => pending;
