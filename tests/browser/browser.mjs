// What every browser check shares: Debian's Chromium with the project's flags, and a wait that works under the
// site's CSP.
import { chromium } from 'playwright-core';

/** Headless Debian Chromium (`$CHROMIUM` overrides the path). */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * Polls `fn(arg)` in the page until it returns something truthy. page.waitForFunction evaluates its predicate as a
 * string, which the site's CSP (rightly) forbids. A navigation in between counts as "not yet".
 */
export async function waitFor(page, fn, arg, { timeout = 30000, every = 25 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await page.evaluate(fn, arg).catch((e) => (e.message.includes('context was destroyed') ? false : Promise.reject(e)));
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${fn.toString().slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
