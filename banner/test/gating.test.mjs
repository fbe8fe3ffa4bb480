// Gating in real Chromium against the real server: nothing before a choice, nothing after reject,
// everything after accept, one service at a time, elements added later, order and run-once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { act, cookieNames, demoState, enabled, env, ledger, openDemo, receiptCookie, useServerAndBrowser } from './common.mjs';
import { storage } from './harness.mjs';

useServerAndBrowser();
const skip = !enabled;

test('before a choice: banner shown, no cookie, no storage entry, nothing gated has run', { skip }, async () => {
  const page = await openDemo();
  await page.waitForTimeout(300); // give any (wrongly) ungated tracker time to act
  assert.deepEqual(await cookieNames(page), []);
  assert.deepEqual(await storage(page), { local: [], session: [] });
  assert.deepEqual(page.thirdParty, [], 'no request to the tracker host before a choice');
  const state = await demoState(page);
  assert.equal(state.banner, true);
  assert.equal(state.analytics, 0);
  assert.equal(state.pixel, 0);
  assert.equal(state.video, null, 'the iframe must not load before consent');
  assert.equal(state.counter, false, 'the template must stay inert');
  assert.equal(state.placeholder, true, 'the iframe needs an accessible placeholder');
  // Escape, scrolling, clicking elsewhere and waiting are not consent.
  await page.keyboard.press('Escape');
  await page.mouse.wheel(0, 400);
  await page.click('h1');
  await page.waitForTimeout(200);
  assert.deepEqual(await cookieNames(page), []);
  assert.equal((await demoState(page)).banner, true);
  await page.context().close();
});

test('reject all: nothing gated runs, no tracker cookie, the choice is in the ledger', { skip }, async () => {
  const page = await openDemo();
  await act(page, 'reject_all');
  const cookie = await receiptCookie(page);
  await page.waitForTimeout(300);
  assert.deepEqual(await cookieNames(page), ['kapsel_consent@localhost']);
  assert.deepEqual(page.thirdParty, [], 'no request to the tracker host after reject');
  const state = await demoState(page);
  assert.deepEqual([state.banner, state.analytics, state.pixel, state.video, state.counter], [false, 0, 0, null, false]);
  const record = await ledger(cookie.receipt);
  assert.equal(record.action, 'reject_all');
  assert.equal(record.services['google-analytics'], false);
  assert.equal(record.gpc, false);
  // The next page view keeps the choice: no banner, still nothing.
  await page.reload();
  await page.waitForFunction(() => document.readyState === 'complete');
  assert.equal((await demoState(page)).banner, false);
  assert.deepEqual(await cookieNames(page), ['kapsel_consent@localhost']);
  await page.context().close();
});

test('accept all: scripts in order, iframe, template, first-party cookies, third-party requests', { skip }, async () => {
  const page = await openDemo();
  await act(page, 'accept_all');
  await page.waitForFunction(() => window.demoPixelLoaded && document.querySelector('iframe[title]').src);
  const cookie = await receiptCookie(page);
  await page.waitForFunction(() => document.querySelector('iframe[title]').contentDocument === null || true);
  await page.waitForTimeout(500);
  const state = await demoState(page);
  assert.equal(state.analytics, 1);
  assert.equal(state.pixel, 1);
  assert.equal(state.counter, true);
  assert.equal(state.placeholder, false);
  assert.match(state.video, /^http:\/\/127\.0\.0\.1:\d+\/demo\/embed\/video$/);
  const order = state.lines.filter((l) => !l.startsWith('kapsel:'));
  assert.deepEqual(order.slice(0, 5), ['analytics loaded', 'analytics configured', 'ad conversion linker loaded', 'ad pixel loaded', 'support chat loaded'],
    'gated scripts run in document order, each src script before the next');
  assert.equal(order.filter((l) => l === 'visitor counter shown').length, 1, 'the template\'s script ran once');
  const names = await cookieNames(page);
  for (const expected of ['_ga@localhost', '_ga_DEMO123@localhost', '_gcl_au@localhost', '_fbp@localhost', 'intercom-id-demo1234@localhost', 'kapsel_consent@localhost']) {
    assert.ok(names.includes(expected), `${expected} missing in ${names}`);
  }
  // Third-party requests happen now (whether the browser keeps their cookies is its own setting:
  // Chromium's off-the-record contexts block third-party cookies).
  assert.deepEqual([...new Set(page.thirdParty)].sort(), ['/demo/embed/video', '/demo/tracker/pixel.gif']);
  assert.equal((await ledger(cookie.receipt)).action, 'accept_all');
  // Saving the same choice again must not run anything a second time.
  await page.click('[data-kapsel-open]');
  await act(page, 'save', '#kapsel-centre');
  await page.waitForTimeout(300);
  const again = await demoState(page);
  assert.deepEqual([again.analytics, again.pixel], [1, 1], 'gated scripts run once');
  await page.context().close();
});

test('one service from the embed placeholder: only that service runs', { skip }, async () => {
  const page = await openDemo({ lang: 'en' });
  const button = page.locator('.kapsel-ph button');
  assert.match(await button.innerText(), /YouTube/);
  await button.click();
  const cookie = await receiptCookie(page);
  const state = await demoState(page);
  assert.match(state.video ?? '', /\/demo\/embed\/video$/);
  assert.deepEqual([state.analytics, state.pixel, state.counter], [0, 0, false]);
  const record = await ledger(cookie.receipt);
  assert.equal(record.action, 'custom');
  assert.equal(record.services.youtube, true);
  assert.equal(record.services.intercom, false, 'consenting to one embed must not grant its category');
  assert.equal(record.categories.functional, false);
  // The visitor has not answered the banner: it stays, on this page view and the next.
  assert.equal(state.banner, true, 'one embed is not an answer to the first layer');
  await page.reload();
  await page.waitForFunction(() => document.readyState === 'complete');
  const again = await demoState(page);
  assert.equal(again.banner, true, 'the first layer still asks after a reload');
  assert.match(again.video ?? '', /\/demo\/embed\/video$/, 'the embed consent is kept');
  assert.deepEqual([again.analytics, again.pixel], [0, 0]);
  const reloaded = page.waitForEvent('load'); // the video ran: withdrawing reloads the page
  await act(page, 'reject_all');
  await reloaded;
  const answered = await receiptCookie(page);
  assert.equal((await ledger(answered.receipt)).action, 'withdraw', 'rejecting all withdraws the embed consent');
  await page.context().close();
});

test('one service from the preference centre: only that service runs', { skip }, async () => {
  const page = await openDemo();
  await act(page, 'settings');
  await page.locator('.kapsel-cat:has([data-kapsel-category="marketing"]) details').evaluate((d) => { d.open = true; });
  await page.check('#kapsel-centre input[data-kapsel-service="meta-pixel"]');
  assert.equal(await page.locator('input[data-kapsel-category="marketing"]').evaluate((i) => i.indeterminate), true);
  await act(page, 'save', '#kapsel-centre');
  await page.waitForFunction(() => window.demoPixelLoaded === 1);
  const state = await demoState(page);
  assert.deepEqual([state.analytics, state.video, state.counter], [0, null, false]);
  const record = await ledger((await receiptCookie(page)).receipt);
  assert.equal(record.services['meta-pixel'], true);
  assert.equal(record.services['google-ads'], false);
  // Reopened, the centre shows the current state.
  await page.click('[data-kapsel-open]');
  assert.equal(await page.isChecked('input[data-kapsel-service="meta-pixel"]'), true);
  assert.equal(await page.isChecked('input[data-kapsel-category="analytics"]'), false);
  await page.context().close();
});

test('elements added later are gated too, and run when consent allows', { skip }, async () => {
  const page = await openDemo();
  const add = () => page.evaluate(() => {
    const s = document.createElement('script');
    s.type = 'text/plain';
    s.dataset.kapsel = 'analytics';
    s.text = 'window.lateRuns = (window.lateRuns || 0) + 1';
    const f = document.createElement('iframe');
    f.dataset.kapsel = 'youtube';
    f.dataset.src = '/demo/embed/video';
    f.title = 'late video';
    const t = document.createElement('template');
    t.dataset.kapsel = 'google-analytics';
    t.innerHTML = '<p id="late-template">late</p><script>window.lateTemplateRuns = (window.lateTemplateRuns || 0) + 1</script>';
    document.body.append(s, f, t);
  });
  await add();
  await page.waitForTimeout(100);
  assert.deepEqual(await page.evaluate(() => [window.lateRuns ?? 0, !!document.querySelector('iframe[title="late video"]').src,
    document.querySelectorAll('.kapsel-ph').length, !!document.querySelector('#late-template')]), [0, false, 2, false]);
  await act(page, 'settings');
  await page.check('input[data-kapsel-category="analytics"]');
  await act(page, 'save', '#kapsel-centre');
  await page.waitForFunction(() => window.lateRuns === 1);
  assert.equal(await page.evaluate(() => !!document.querySelector('#late-template')), true);
  assert.equal(await page.evaluate(() => window.lateTemplateRuns), 1, 'a script inside a template runs once');
  // Added after the choice: runs at once; the youtube frame stays gated.
  await add();
  await page.waitForFunction(() => window.lateRuns === 2);
  assert.equal(await page.evaluate(() => document.querySelectorAll('iframe[title="late video"][src]').length), 0);
  await page.context().close();
});

test('unknown site is a 404 problem; the script is cacheable and compressed', { skip }, async () => {
  const missing = await fetch(`${env.server.origin}/s/nope.js`);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-type'), 'application/problem+json');
  const script = await fetch(`${env.server.origin}/s/www.js`, { headers: { 'accept-encoding': 'br' } });
  assert.equal(script.status, 200);
  assert.equal(script.headers.get('cache-control'), 'public, max-age=300');
  assert.equal(script.headers.get('content-encoding'), 'br');
  const etag = script.headers.get('etag');
  const cached = await fetch(`${env.server.origin}/s/www.js`, { headers: { 'if-none-match': etag } });
  assert.equal(cached.status, 304);
  const english = await (await fetch(`${env.server.origin}/s/www.js?lang=en`)).text();
  assert.match(english, /"langs":\["en"\]/);
  const unknown = await fetch(`${env.server.origin}/s/www.js?lang=xx`);
  assert.equal(unknown.status, 400);
  assert.equal((await unknown.json()).errors[0].field, 'lang');
});
