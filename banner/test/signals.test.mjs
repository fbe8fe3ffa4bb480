// What the first layer says and does about things the visitor did not click: a browser privacy
// signal (GPC, and Do Not Track where the site asks for it), cookies that an earlier revision
// declared and this one dropped, and layout shift (exactly none). Also the demo page's own texts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { act, demoState, enabled, env, ledger, openDemo, receiptCookie, useServerAndBrowser } from './common.mjs';
import { EXAMPLE, newPage, start } from './harness.mjs';

useServerAndBrowser();
const skip = !enabled;

/** The example privacy file with `change` applied, written to a scratch file. */
function variant(dir, name, change) {
  const path = join(dir, name);
  writeFileSync(path, change(readFileSync(EXAMPLE, 'utf8')));
  return path;
}
const dnt = (context) => context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' }));

test('GPC: the first layer says marketing is off before anything is chosen', { skip }, async () => {
  const page = await openDemo({ gpc: true });
  const note = await page.locator('#kapsel-banner .kapsel-note').innerText();
  assert.match(note, /Global Privacy Control/);
  assert.match(note, /markedsføring/);
  const plain = await openDemo();
  assert.equal(await plain.locator('#kapsel-banner .kapsel-note').count(), 0, 'no note without the signal');
  await Promise.all([page.context().close(), plain.context().close()]);
});

test('Do Not Track counts as GPC only where the privacy file says dnt_as_gpc', { skip }, async () => {
  // The example leaves dnt_as_gpc out: DNT changes nothing.
  const page = await newPage(env.browser);
  await dnt(page.context());
  await page.goto(`${env.server.base}/demo/?lang=en`);
  assert.equal(await page.locator('#kapsel-banner .kapsel-note').count(), 0);
  await act(page, 'accept_all');
  const plain = await ledger((await receiptCookie(page)).receipt);
  assert.deepEqual([plain.action, plain.gpc, plain.categories.marketing], ['accept_all', false, true]);
  await page.context().close();

  const dir = mkdtempSync(join(tmpdir(), 'kapsel-dnt-'));
  const server = await start({ config: variant(dir, 'dnt.toml', (t) => t.replace('gpc_disables_marketing = true', 'gpc_disables_marketing = true\ndnt_as_gpc = true')) });
  try {
    const asked = await newPage(env.browser);
    await dnt(asked.context());
    await asked.goto(`${server.base}/demo/?lang=en`);
    assert.match(await asked.locator('#kapsel-banner .kapsel-note').innerText(), /Do Not Track/);
    await act(asked, 'accept_all');
    const response = await fetch(`${server.origin}/v1/receipts/${(await receiptCookie(asked)).receipt}`);
    const record = await response.json();
    assert.deepEqual([record.action, record.gpc, record.categories.marketing, record.categories.analytics], ['gpc', true, false, true]);
    assert.equal(await asked.evaluate(() => window.demoPixelLoaded || 0), 0, 'marketing stays off under DNT');
    await asked.context().close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a returning visitor\'s reject deletes cookies of a service an earlier revision declared', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapsel-earlier-'));
  const data = join(dir, 'data');
  // Revision 1 of the demo site also ran Hotjar; revision 2 (the example as it is) dropped it.
  const earlier = variant(dir, 'earlier.toml', (t) => t.replace(/(id = "demo"[\s\S]*?services = \[)/, '$1"hotjar", ') + `
[[services]]
id = "hotjar"
name = "Hotjar"
category = "analytics"
provider = { name = "Hotjar Ltd", country = "MT" }
purpose = { nb = "Måler bruken av sidene.", nn = "Måler bruken av sidene.", en = "Measures how pages are used." }

[[services.cookies]]
name = "_hjSessionUser_"
prefix = true
duration = "1 year"

[[services.cookies]]
name = "_hjid"
duration = "1 year"

[[services.cookies]]
name = "hjViewportId"
kind = "session_storage"
duration = "session"
`);
  let server = await start({ config: earlier, data });
  await server.stop();
  server = await start({ data });
  try {
    const page = await newPage(env.browser);
    await page.goto(`${server.base}/demo/?lang=nb`);
    // What Hotjar left behind under revision 1, and the choice made then.
    await page.evaluate(() => {
      document.cookie = '_hjSessionUser_12345=abc;Path=/;Max-Age=600';
      document.cookie = '_hjid=def;Path=/demo;Max-Age=600';
      document.cookie = 'site-own=kept;Path=/;Max-Age=600';
      sessionStorage.setItem('hjViewportId', 'x');
    });
    await page.context().addCookies([{ name: 'kapsel_consent', value: `1||revision-1|${Date.now() + 86_400_000}|analytics||0`, url: server.base }]);
    await page.reload();
    assert.equal((await demoState(page)).banner, true, 'a new revision asks again');
    await act(page, 'reject_all');
    await receiptCookie(page);
    const names = await page.evaluate(() => document.cookie.split('; ').map((c) => c.split('=')[0]).sort());
    assert.deepEqual(names, ['kapsel_consent', 'site-own'], `left behind: ${names}`);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('hjViewportId')), null);
    await page.context().close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [viewport, motion] of [[{ width: 1280, height: 800 }, 'reduce'], [{ width: 320, height: 568 }, 'no-preference']]) {
  test(`layout shift is exactly 0 on the demo page with the banner (${viewport.width} px, motion ${motion})`, { skip }, async () => {
    const page = await newPage(env.browser, { viewport, reducedMotion: motion });
    await page.context().addInitScript(() => {
      window.__shifts = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__shifts.push({ value: e.value, input: e.hadRecentInput }); })
        .observe({ type: 'layout-shift', buffered: true });
    });
    await page.goto(`${env.server.base}/demo/?lang=nb`);
    await page.waitForSelector('#kapsel-banner');
    await page.waitForSelector('.kapsel-ph');
    await page.waitForTimeout(1000);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const shifts = await page.evaluate(() => window.__shifts);
    const cls = shifts.filter((s) => !s.input).reduce((sum, s) => sum + s.value, 0);
    assert.equal(cls, 0, `layout shifts: ${JSON.stringify(shifts)}`);
    assert.deepEqual(shifts, [], 'no layout-shift entry at all');
    await page.context().close();
  });
}

test('the demo page says what it runs, and logs it, in the page\'s language', { skip }, async () => {
  const expected = {
    nb: [/fem falske tjenester/, 'Google Analytics er lastet', /Tillatt nå: /],
    nn: [/fem falske tenester/, 'Google Analytics er lasta', /Tillate no: /],
    en: [/five fake services/, 'Google Analytics loaded', /Allowed now: /],
  };
  for (const [lang, [intro, line, now]] of Object.entries(expected)) {
    const page = await openDemo({ lang });
    assert.match(await page.locator('main p').first().innerText(), intro);
    await act(page, 'accept_all');
    await page.waitForFunction(() => window.demoPixelLoaded === 1);
    const log = await page.locator('#demo-log').innerText();
    assert.ok(log.includes(line), `${lang}: ${log}`);
    assert.match(log, now);
    assert.doesNotMatch(lang === 'en' ? '' : log, /loaded|configured|shown/, `${lang}: English in the log`);
    await page.context().close();
  }
});
