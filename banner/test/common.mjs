// Shared steps of the banner's browser tests: one server and one browser per test file, the demo
// page, clicking through the banner, and reading the consent cookie and the ledger.
import { after, before } from 'node:test';
import { chromiumAvailable, launch, newPage, start } from './harness.mjs';

export const enabled = chromiumAvailable();
export const env = { server: null, browser: null };

/** Registers before/after hooks that start the real server and Chromium for this file. */
export function useServerAndBrowser() {
  before(async () => {
    if (!enabled) return;
    env.server = await start();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
}

/**
 * A fresh browser context on the demo page (served on localhost; trackers on 127.0.0.1).
 * `page.thirdParty` collects the paths of every request to the tracker host name.
 */
export async function openDemo({ lang = 'nb', ...options } = {}) {
  const page = await newPage(env.browser, options);
  page.thirdParty = [];
  page.on('request', (request) => {
    if (request.url().startsWith(env.server.other)) page.thirdParty.push(new URL(request.url()).pathname);
  });
  await page.goto(`${env.server.base}/demo/?lang=${lang}`);
  await page.waitForFunction(() => document.readyState === 'complete');
  return page;
}

/** Clicks a first-layer or centre button by its stable hook; after "settings", waits for the centre. */
export async function act(page, action, scope = '#kapsel-banner') {
  await page.click(`${scope} [data-kapsel-action="${action}"]`);
  if (action === 'settings') await centreOpen(page);
}

/** Waits until the preference centre (loaded on first use) is open. */
export async function centreOpen(page) {
  await page.waitForSelector('#kapsel-centre[open]');
}

/** The parsed consent cookie once the choice is recorded: a receipt id and nothing pending. */
export async function receiptCookie(page) {
  await page.waitForFunction(() => /kapsel_consent=1\|[0-9A-Z]{26}(\|[^|;]*){3}\|\|/.test(document.cookie), null, { timeout: 10_000 });
  return page.evaluate(() => {
    const raw = document.cookie.match(/kapsel_consent=([^;]*)/)[1];
    const [version, receipt, revision, expires, granted, pending, gpc] = raw.split('|').map(decodeURIComponent);
    return { version, receipt, revision, expires: Number(expires), granted: granted ? granted.split('.') : [], pending, gpc };
  });
}

/** The ledger's current state of a receipt (GET /v1/receipts/{id}). */
export async function ledger(receipt) {
  const response = await fetch(`${env.server.origin}/v1/receipts/${receipt}`);
  if (!response.ok) throw new Error(`GET /v1/receipts/${receipt}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** What the demo's gated parts have done so far. */
export function demoState(page) {
  return page.evaluate(() => ({
    analytics: window.demoAnalyticsLoaded || 0,
    pixel: window.demoPixelLoaded || 0,
    lines: window.demoLines || [],
    video: document.querySelector('iframe[title]')?.getAttribute('src') || null,
    counter: !!document.querySelector('#demo-counter'),
    placeholder: !!document.querySelector('.kapsel-ph'),
    banner: !!document.querySelector('#kapsel-banner'),
  }));
}

/** Cookie names in the context, as `name@domain`, sorted. */
export async function cookieNames(page) {
  return (await page.context().cookies()).map((c) => `${c.name}@${c.domain}`).sort();
}
