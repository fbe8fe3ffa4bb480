// The consent gate in real Chromium with Segment's own browser library (@segment/analytics-next
// 1.84.3, unmodified, bundled by segment-bundle.mjs): the demo page (on Kapsel's origin,
// localhost) with the banner, plus analytics.js loaded with its cdnURL on Kapsel, so it fetches
// /v1/projects/{writeKey}/settings from Kapsel and then posts to Kapsel's /v1/t, /v1/p… on the
// other loopback name (127.0.0.1, cross-origin: preflighted, no cookies). A source middleware
// puts the banner's current receipt (window.kapsel.consent().receipt) in context.kapsel.receipt.
// Before a choice nothing reaches a destination that needs consent; after "accept all" in the
// banner, events reach every destination.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { act, receiptCookie } from './common.mjs';
import { chromiumAvailable, launch, newPage } from './harness.mjs';
import { WRITE_KEY, destinationsFor, expectedDecision, settled, startGate, trace } from './gate-common.mjs';
import { DESTINATIONS } from './gate-receivers.mjs';
import { segmentBrowserBundle } from './segment-bundle.mjs';

const skip = !chromiumAvailable();
let gate;
let browser;
let bundle;

before(async () => {
  if (skip) return;
  [gate, browser, bundle] = await Promise.all([
    startGate({ gate: { first_retry_ms: 100, max_retry_seconds: 1 } }),
    launch(),
    segmentBrowserBundle(),
  ]);
});

after(async () => {
  await browser?.close();
  await gate?.close();
});

/** Sends a track and a page (and an identify when asked) from the page; resolves with [kind, messageId] pairs. */
function sendFromPage(page, { identify = false } = {}) {
  return page.evaluate(async (identify) => {
    const out = [];
    const track = await window.ajs.track('Order Completed', { total: 42, currency: 'NOK', order_id: 'B-1' });
    out.push(['track', track.event.messageId]);
    const view = await window.ajs.page('Docs', 'Pricing', { plan: 'pro' });
    out.push(['page', view.event.messageId]);
    if (identify) {
      const who = await window.ajs.identify('browser-user-1', { plan: 'pro' });
      out.push(['identify', who.event.messageId]);
    }
    return out;
  }, identify);
}

test('analytics.js in Chromium: nothing consent-needing is forwarded before a choice; after "accept all" everything is', { skip }, async () => {
  gate.rx.reset();
  const from = Date.now();
  const page = await newPage(browser);
  const outside = [];
  const api = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!['localhost', '127.0.0.1'].includes(url.hostname)) outside.push(request.url());
    if (url.pathname.startsWith('/v1/')) api.push(`${request.method()} ${url.host === new URL(gate.server.other).host ? 'api' : 'page'} ${url.pathname}`);
  });
  await page.goto(`${gate.server.base}/demo/?lang=en`);
  await page.waitForFunction(() => document.readyState === 'complete' && !!window.kapsel);
  assert.equal(await page.evaluate(() => window.kapsel.consent().decided), false);
  await page.addScriptTag({ content: bundle });
  await page.evaluate(({ writeKey, cdnURL }) => {
    window.ajs = window.AnalyticsBrowser.load({ writeKey, cdnURL });
    window.ajs.addSourceMiddleware(({ payload, next }) => {
      const receipt = window.kapsel.consent().receipt;
      if (receipt) payload.obj.context = { ...payload.obj.context, kapsel: { receipt } };
      next(payload);
    });
  }, { writeKey: WRITE_KEY, cdnURL: gate.server.base });

  // Before a choice: no receipt, no cookie on the API's origin: only `necessary` may have it.
  const beforeChoice = await sendFromPage(page);
  let pairs = new Set(beforeChoice.flatMap(([kind, id]) => destinationsFor(kind).map((d) => `${id} ${d}`)));
  let rows = await settled(gate, { from, pairs });
  for (const [kind, id] of beforeChoice) {
    for (const destination of destinationsFor(kind)) {
      const row = rows.get(`${id} ${destination}`);
      const want = expectedDecision(destination, null);
      assert.equal(row.state, want.state, `${kind} → ${destination} before a choice: ${JSON.stringify(row)}`);
      assert.equal(row.reason, want.reason);
      assert.equal(row.receipt, null);
      assert.equal(gate.rx.has(destination, id), destination === 'warehouse');
    }
  }
  for (const id of Object.keys(DESTINATIONS).filter((d) => d !== 'warehouse')) {
    assert.equal(gate.rx.state[id].requests.length, 0, `${id} was sent something before a choice`);
  }

  // Accept all in the banner: the receipt is in the cookie and in window.kapsel.
  await act(page, 'accept_all');
  const cookie = await receiptCookie(page);
  await page.waitForFunction((id) => window.kapsel.consent().receipt === id, cookie.receipt);
  const afterChoice = await sendFromPage(page, { identify: true });
  pairs = new Set(afterChoice.flatMap(([kind, id]) => destinationsFor(kind).map((d) => `${id} ${d}`)));
  rows = await settled(gate, { from, pairs });
  for (const [kind, id] of afterChoice) {
    for (const destination of destinationsFor(kind)) {
      const row = rows.get(`${id} ${destination}`);
      assert.equal(row.state, 'forwarded', `${kind} → ${destination} after accept all: ${JSON.stringify(row)}`);
      assert.equal(row.receipt, cookie.receipt);
      assert.ok(gate.rx.has(destination, id), `${kind} never reached ${destination}`);
    }
  }
  // What arrived is what the trace says, and every payload met its destination's spec.
  const story = await trace(gate, { receipt: cookie.receipt });
  assert.equal(story.length, pairs.size);
  assert.deepEqual(gate.rx.problems(), []);
  const purchase = gate.rx.event('ga4', afterChoice[0][1]);
  assert.deepEqual(purchase.consent, { ad_user_data: 'GRANTED', ad_personalization: 'GRANTED' });
  assert.equal(purchase.events[0].name, 'purchase');
  const hook = gate.rx.event('hook', afterChoice[0][1]);
  assert.equal(hook.context.ip, '127.0.0.0/24');
  assert.ok(!/Mozilla|HeadlessChrome/.test(JSON.stringify(hook)), 'the hook gets the user-agent family only');
  assert.equal(hook.context.page.url, `${gate.server.base}/demo/?lang=en`);
  const meta = gate.rx.event('meta', afterChoice[0][1]);
  assert.equal(meta.event_source_url, `${gate.server.base}/demo/?lang=en`);

  // The library talked to Kapsel only: settings on the page's origin, events on the other
  // loopback name (preflighted), and nothing left loopback.
  assert.deepEqual(outside, []);
  assert.ok(api.includes(`GET page /v1/projects/${WRITE_KEY}/settings`), api.join('\n'));
  for (const path of ['/v1/t', '/v1/p', '/v1/i']) {
    assert.ok(api.includes(`POST api ${path}`), `${path} was posted: ${api.join(', ')}`);
  }
  await page.context().close();
});
