// The DQM² control room in headless Debian Chromium: the login redirect, a wrong password (its message on the
// page), a login, one read (`get_dqm_machines`) and one change (`restart_hltd`, confirmed, sent with the CSRF
// token), each answer shown on the page; then a screenshot. Fails on any page error, CSP violation, console
// error or request outside the site. Prints one JSON summary line. Driven by tests/tests/dqmsquare_cr.rs.
// usage: node dqmsquare-cr.mjs BASE_URL USER PASSWORD SCREENSHOT
import { launchChromium, waitFor } from './browser.mjs';

const [base, user, password, screenshot] = process.argv.slice(2);
const origin = new URL(base).origin;
const cr = `${base}/dqm/dqm-square/cr/`;

// The site header's text once header.js has filled it (it lives in a shadow root).
const siteHeader = () => {
  const host = document.querySelector('dqm-site-header, header.site-header');
  const text = host && host.shadowRoot ? host.shadowRoot.textContent : '';
  return text.includes('DQM² Mirror') ? text : '';
};

const problems = [];
const outside = [];
const dialogs = [];
const exeCalls = [];
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith('data:') && new URL(url).origin !== origin) outside.push(url);
    if (url.includes('/cr/exe')) exeCalls.push({ method: r.method(), url, csrf: r.headers()['x-csrf-token'] || '', body: r.postData() || '' });
  });
  page.on('response', (r) => {
    const expected = r.status() === 401 && r.url().endsWith('/cr/login/');
    if (r.status() >= 400 && !expected) problems.push(`${r.request().method()} ${r.url()}: HTTP ${r.status()}`);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    // A 401 login answer is logged as a failed resource; that one is expected, anything else is not.
    const expected = text.startsWith('Failed to load resource') && text.includes('401');
    if ((m.type() === 'error' && !expected) || text.includes('Content Security Policy')) problems.push(`${page.url()}: ${text}`);
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.accept();
  });

  // No session: the page sends us to the login form.
  await page.goto(cr);
  await page.waitForSelector('form.cr-login');
  const loginUrl = page.url();
  await waitFor(page, siteHeader);

  // A wrong password keeps us on the form and says so.
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', 'not the password');
  const [wrong] = await Promise.all([page.waitForNavigation(), page.click('form.cr-login button[type=submit]')]);
  const wrongStatus = wrong ? wrong.status() : 0;
  await page.waitForSelector('.cr-error');
  const wrongMessage = await page.textContent('.cr-error');
  const formAgain = (await page.$('form.cr-login input[name=password]')) !== null;

  // The right one opens the control room.
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('form.cr-login button[type=submit]')]);
  await page.waitForSelector('#cr-answer');
  const roomUrl = page.url();
  const shownUser = await page.textContent('.cr-user');
  const header = await waitFor(page, siteHeader);

  const answerAfter = async (selector, what) => {
    await page.click(selector);
    await waitFor(page, (w) => document.getElementById('cr-status').textContent.startsWith(`${w}:`), what);
    return { status: await page.textContent('#cr-status'), answer: await page.textContent('#cr-answer') };
  };
  const read = await answerAfter('button[data-what=get_dqm_machines]', 'get_dqm_machines');
  const change = await answerAfter('button[data-what=restart_hltd]', 'restart_hltd');

  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({
    loginUrl, wrongStatus, wrongMessage, formAgain, roomUrl, shownUser, header, read, change, dialogs, exeCalls, outside, problems,
  }));
} finally {
  await browser.close();
}
