// The common header of the whole site, in a shadow root so that it looks the same on the pages of every
// component (the ui's own, and the Stats2, DQM² and NectarCAM pages, which include only this file).

export const SECTIONS = [
  { href: '/dqm/', label: 'DQM GUI' },
  { href: '/rr/', label: 'Run Registry' },
  { href: '/stats/', label: 'Stats2' },
  { href: '/dqm/dqm-square/', label: 'DQM² Mirror' },
  { href: '/nectarcam/', label: 'NectarCAM' },
];

/** The section of the site the current page belongs to: the longest matching prefix. */
export function currentSection(path = location.pathname) {
  return SECTIONS.filter((s) => path === s.href.slice(0, -1) || path.startsWith(s.href))
    .sort((a, b) => b.href.length - a.href.length)[0];
}

function link(href, text, attrs = {}) {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  for (const [key, value] of Object.entries(attrs)) a.setAttribute(key, value);
  return a;
}

/**
 * Fills the page's `header.site-header`. A page without one (another component's) gets a `<dqm-site-header>` at the
 * top of its body: an element name no style sheet of the page can have rules for.
 */
export function mountHeader() {
  let host = document.querySelector('header.site-header, dqm-site-header');
  if (!host) {
    host = document.createElement('dqm-site-header');
    host.className = 'site-header';
    host.setAttribute('role', 'banner');
    document.body.prepend(host);
  }
  // Reserve the header's box before its style sheet arrives, so the page does not jump.
  host.style.setProperty('display', 'block');
  host.style.setProperty('min-height', '3rem');
  host.style.setProperty('background', '#14304f');
  const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
  const sheet = document.createElement('link');
  sheet.rel = 'stylesheet';
  sheet.href = new URL('header.css', import.meta.url).pathname;
  const active = currentSection();
  const list = document.createElement('ul');
  for (const section of SECTIONS) {
    const item = document.createElement('li');
    item.append(link(section.href, section.label, section === active ? { 'aria-current': 'page' } : {}));
    list.append(item);
  }
  const nav = document.createElement('nav');
  nav.setAttribute('aria-label', 'Systems');
  nav.append(list);
  const bar = document.createElement('div');
  bar.className = 'bar';
  bar.append(link('/', 'dqm-spin', { class: 'site-home' }), nav);
  root.replaceChildren(sheet, bar);
}

if (document.body) mountHeader();
else document.addEventListener('DOMContentLoaded', mountHeader, { once: true });
