// The banner's view counts (POST /v1/banner-views, crates/server/src/consent/views.rs), from
// Chromium's first layer to the console's overview, against the real binary:
//
//  1. a visitor who loads a page without a valid choice sends one `shown` beacon; leaving the
//     page with the first layer open and no choice sends `ignored` (and the next page `shown`);
//     accept all, reject all and a save in the preference centre end the counting for that page
//     view (leaving sends nothing); a visitor with a valid consent cookie sends no beacon at all;
//     a page restored from the back/forward cache with the first layer open counts `shown`
//     again. Every beacon is read on the wire, through a loopback proxy Chromium must use:
//     DevTools (playwright's request events, routes, a CDP Network session) never reports the
//     keepalive beacons a page sends from `pagehide`, so it cannot prove `ignored`.
//     Each beacon is a POST without a body, with exactly site, revision, language and event,
//     the page's Origin, answered 204 without a cookie.
//  2. the console's CSV export and overview page (counts list, per-day table) show exactly
//     the sums of what Chromium sent, overall and per language; a CSV read right after a
//     beacon's 204 already has it (the server commits before it answers).
//  3. bad input over plain HTTP: each parameter missing or empty, an unknown one, an unknown
//     site, a revision of another site or none, a language outside the privacy file, an event
//     other than shown/ignored, a foreign or opaque Origin, a wrong method: 4xx (never 5xx)
//     with an RFC 9457 application/problem+json body naming the parameter; none changes the
//     counts, while one good request after them changes them by exactly one.
//
// Durability beyond "204 after commit" (kill -9) is not tested here. Every name is fictional;
// everything runs on loopback, and the proxy refuses any other host (Chromium's own background
// requests to Google hosts included).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { act, centreOpen, receiptCookie } from './common.mjs';
import { BINARY, Client, addUser, isoDay, startConsole } from './console-common.mjs';
import { CHROMIUM, chromiumAvailable, newPage } from './harness.mjs';

const skip = !chromiumAvailable();
const LEAD = 'tale-teller'; // the privacy lead who reads the overview
const PASSWORD = 'fjellvind-teller-2026';
const SITE = 'demo'; // the demo pages' site in examples/kapsel.toml
const PATH = '/v1/banner-views';
const PARAMS = ['event', 'language', 'revision', 'site'];
const WAIT_MS = 15_000; // the longest any beacon may take to reach the proxy
const SETTLE_MS = 1_500; // how long "no beacon" is watched for

let world;
let client;
let proxy;
let browser;
let revision; // the demo site's current revision, from `kapsel check`
let firstDay; // the UTC day the test began (a run over midnight spreads over two rows)
let otherRevision; // site www's revision: known to the server, not to the demo site

// ---------------------------------------------------------------------------------------------
// Chromium behind a recording proxy.

/**
 * An HTTP proxy on loopback that forwards to loopback only and records every request to the
 * views endpoint: { method, url, headers, body, status, responseHeaders } (status once the
 * server answered). Any other host is refused and noted in `refused`.
 */
function startProxy() {
  const views = [];
  const refused = [];
  const loopback = new Set(['localhost', '127.0.0.1']);
  const server = createServer((req, res) => {
    let url;
    try { url = new URL(req.url); } catch { url = null; }
    if (!url || url.protocol !== 'http:' || !loopback.has(url.hostname)) {
      refused.push(req.url);
      res.writeHead(502, { 'content-type': 'text/plain' }).end('loopback only');
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry = { method: req.method, url, headers: req.headers, body, status: null, responseHeaders: null, at: Date.now() };
      if (url.pathname === PATH) views.push(entry);
      const headers = { ...req.headers };
      delete headers['proxy-connection'];
      const upstream = httpRequest({ host: '127.0.0.1', port: url.port, method: req.method, path: url.pathname + url.search, headers }, (answer) => {
        entry.status = answer.statusCode;
        entry.responseHeaders = answer.headers;
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      upstream.setTimeout(WAIT_MS, () => upstream.destroy(new Error('upstream timeout')));
      upstream.on('error', (error) => {
        entry.status = `proxy error: ${error.message}`;
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    });
  });
  server.on('connect', (req, socket) => { refused.push(`CONNECT ${req.url}`); socket.destroy(); });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port, views, refused,
      close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
    }));
  });
}

/**
 * Headless Chromium with the harness's flags, but with the back/forward cache on (playwright
 * turns it off by default, real browsers have it) and every request, loopback included, sent
 * through `proxyPort`.
 */
function launchThroughProxy(proxyPort) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--proxy-server=http://127.0.0.1:${proxyPort}`, '--proxy-bypass-list=<-loopback>'],
  });
}

/** `event/language` of a recorded beacon. */
const label = (entry) => `${entry.url.searchParams.get('event')}/${entry.url.searchParams.get('language')}`;

/**
 * Waits (bounded) until `count` more beacons than `from` have reached the proxy and been
 * answered; returns the new ones. Fails if more arrive than expected within SETTLE_MS.
 */
async function beacons(from, count, what) {
  const deadline = Date.now() + WAIT_MS;
  const done = () => proxy.views.length >= from + count && proxy.views.slice(from).every((e) => e.status !== null);
  while (!done()) {
    if (Date.now() > deadline) {
      assert.fail(`${what}: expected ${count} beacon(s) in ${WAIT_MS} ms, got ${JSON.stringify(proxy.views.slice(from).map(label))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (count === 0) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const fresh = proxy.views.slice(from);
  assert.equal(fresh.length, count, `${what}: beacons ${JSON.stringify(fresh.map(label))}`);
  for (const entry of fresh) checkBeacon(entry, what);
  return fresh;
}

/** What every beacon must be: a bodiless POST with exactly the four parameters, answered 204. */
function checkBeacon(entry, what) {
  const where = `${what}: ${entry.method} ${entry.url.href}`;
  assert.equal(entry.method, 'POST', where);
  assert.equal(entry.url.origin, world.server.base, where);
  assert.deepEqual([...entry.url.searchParams.keys()].sort(), PARAMS, `${where}: exactly site, revision, language and event`);
  assert.equal(entry.url.searchParams.get('site'), SITE, where);
  assert.equal(entry.url.searchParams.get('revision'), revision, where);
  assert.equal(entry.body.length, 0, `${where}: no body`);
  assert.equal(entry.headers.origin, world.server.base, `${where}: the page's Origin`);
  assert.equal(entry.status, 204, `${where}: answered ${entry.status}`);
  assert.equal(entry.responseHeaders['set-cookie'], undefined, `${where}: the answer sets no cookie`);
}

/** A fresh context (own cookie jar) whose pages note a restore from the back/forward cache. */
async function visitor() {
  const page = await newPage(browser);
  await page.context().addInitScript(() => {
    window.__restored = 0;
    addEventListener('pageshow', (e) => { if (e.persisted) window.__restored += 1; });
  });
  return page;
}

/** Opens a demo page in `lang` and waits until the banner script has started. */
async function demo(page, lang) {
  const response = await page.goto(`${world.server.base}/demo/?lang=${lang}`);
  assert.equal(response.status(), 200);
  await page.waitForFunction(() => document.readyState === 'complete' && !!window.kapsel, null, { timeout: WAIT_MS });
}

/** Waits until the first layer is visible. */
const firstLayer = (page) => page.waitForSelector('#kapsel-banner', { state: 'visible', timeout: WAIT_MS });

/** Leaves the page for about:blank (which fires its pagehide). */
const leave = (page) => page.goto('about:blank');

/** The sorted labels of entries. */
const labels = (entries) => entries.map(label).sort();

// ---------------------------------------------------------------------------------------------
// The console's numbers.

/** The overview's CSV for the demo site over 7 days (plus `query`), as rows of named fields. */
async function csvRows(query = '') {
  const answer = await client.request(`/console/overview.csv?lang=en&site=${SITE}&days=7${query}`);
  assert.equal(answer.status, 200, `overview.csv${query}: ${answer.body.slice(0, 300)}`);
  assert.match(answer.headers.get('content-type') ?? '', /^text\/csv/);
  const [head, ...lines] = answer.body.trim().split('\n');
  const names = head.split(',');
  assert.deepEqual(names.slice(-2), ['banner_shown', 'ignored'], `CSV header: ${head}`);
  const rows = lines.map((line) => {
    const cells = line.split(',');
    assert.equal(cells.length, names.length, `CSV row: ${line}`);
    return Object.fromEntries(cells.map((v, i) => [names[i], /^\d+$/.test(v) ? Number(v) : v]));
  });
  assert.equal(rows.length, 7, 'one row per day');
  return { text: answer.body, rows };
}

/** Sums of the CSV rows; the days with views must be days this test ran on. */
function sums(rows) {
  const today = isoDay(0);
  for (const row of rows) {
    if (row.banner_shown || row.ignored) assert.ok([firstDay, today].includes(row.day), `views on ${row.day}, not on a day of this run`);
  }
  const sum = (name) => rows.reduce((n, row) => n + row[name], 0);
  return {
    shown: sum('banner_shown'), ignored: sum('ignored'),
    accept_all: sum('accept_all'), reject_all: sum('reject_all'), custom: sum('custom'), total: sum('total'),
  };
}

/** The tally of recorded beacons, optionally of one language. */
function tally(entries, language) {
  const mine = entries.filter((e) => !language || e.url.searchParams.get('language') === language);
  const of = (event) => mine.filter((e) => e.url.searchParams.get('event') === event).length;
  return { shown: of('shown'), ignored: of('ignored') };
}

/** The cells of the overview's per-day table under `column`, summed over its rows. */
function perDayColumn(html, column) {
  const table = /<div id="per-day">([\s\S]*?)<\/table>/.exec(html)?.[1];
  assert.ok(table, 'the overview has a per-day table');
  const headers = [...table.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1]);
  const index = headers.indexOf(column);
  assert.ok(index > 0, `no column "${column}" in ${JSON.stringify(headers)}`);
  const rows = [...table.matchAll(/<tr><th scope="row">[^<]*<\/th>((?:<td>[^<]*<\/td>)*)<\/tr>/g)];
  assert.equal(rows.length, 7, 'one table row per day');
  return rows.reduce((n, row) => {
    const cells = [...row[1].matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
    assert.match(cells[index - 1], /^\d+$/, `${column}: ${cells[index - 1]}`);
    return n + Number(cells[index - 1]);
  }, 0);
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  if (skip) return;
  firstDay = isoDay(0);
  world = await startConsole((data) => addUser(data, LEAD, 'privacy_lead', PASSWORD));
  const check = spawnSync(BINARY, ['check', world.config], { encoding: 'utf8', timeout: 30_000 });
  revision = /site demo revision (\w+)/.exec(check.stdout + check.stderr)?.[1];
  assert.ok(revision, check.stdout + check.stderr);
  otherRevision = world.revision;
  assert.notEqual(otherRevision, revision, 'the www and demo sites have different revisions');
  client = await new Client(world).signIn(LEAD, PASSWORD);
  proxy = await startProxy();
  browser = await launchThroughProxy(proxy.port);
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  await world?.close();
});

test('a visitor who ignores the first layer, then accepts: shown, ignored + shown, then nothing', { skip }, async () => {
  const page = await visitor();
  const start = proxy.views.length;
  await demo(page, 'nb');
  await firstLayer(page);
  const [shown] = await beacons(start, 1, 'first page view');
  assert.equal(label(shown), 'shown/nb');
  // The 204 came after the commit: the CSV read now has the view.
  assert.deepEqual((({ shown: s, ignored }) => ({ shown: s, ignored }))(sums((await csvRows()).rows)), { shown: 1, ignored: 0 },
    'the console counts the view as soon as the beacon was answered');

  // Another page without a choice: the first is counted as ignored, the second as shown.
  await demo(page, 'en');
  await firstLayer(page);
  assert.deepEqual(labels(await beacons(start + 1, 2, 'second page view')), ['ignored/nb', 'shown/en']);

  // Accept all: leaving this page view counts nothing, and neither does the next page.
  await act(page, 'accept_all');
  await receiptCookie(page);
  await demo(page, 'nn');
  assert.equal(await page.locator('#kapsel-banner').count(), 0, 'no first layer after the choice');
  await beacons(start + 3, 0, 'leaving after accept all, and the next page');
  await leave(page);
  await beacons(start + 3, 0, 'leaving a page with a valid choice');

  // A returning visitor with the valid consent cookie (another browser context): no beacon at all.
  const consentCookie = (await page.context().cookies()).filter((c) => c.name === 'kapsel_consent');
  assert.equal(consentCookie.length, 1, 'the choice left its consent cookie');
  await page.context().close();
  const returning = await visitor();
  await returning.context().addCookies(consentCookie);
  await demo(returning, 'nb');
  assert.equal(await returning.locator('#kapsel-banner').count(), 0, 'no first layer with a valid choice');
  assert.equal(await returning.evaluate(() => window.kapsel.consent().decided), true);
  await leave(returning);
  await beacons(start + 3, 0, 'a visitor with a valid consent cookie');
  await returning.context().close();
});

test('reject all and a save in the preference centre: the view is shown, never ignored', { skip }, async () => {
  const rejecting = await visitor();
  let start = proxy.views.length;
  await demo(rejecting, 'nb');
  await firstLayer(rejecting);
  assert.deepEqual(labels(await beacons(start, 1, 'before reject all')), ['shown/nb']);
  await act(rejecting, 'reject_all');
  await receiptCookie(rejecting);
  await leave(rejecting);
  await beacons(start + 1, 0, 'leaving after reject all');
  await rejecting.context().close();

  const saving = await visitor();
  start = proxy.views.length;
  await demo(saving, 'en');
  await firstLayer(saving);
  assert.deepEqual(labels(await beacons(start, 1, 'before the centre')), ['shown/en']);
  await act(saving, 'settings');
  await centreOpen(saving);
  await saving.check('#kapsel-centre input[data-kapsel-category="analytics"]');
  await saving.click('#kapsel-centre [data-kapsel-action="save"]');
  const saved = await receiptCookie(saving);
  assert.deepEqual(saved.granted, ['analytics'], 'the centre saved a custom choice');
  await leave(saving);
  await beacons(start + 1, 0, 'leaving after a save in the centre');
  await saving.context().close();
});

test('back/forward cache: a restored page with the first layer open is shown again, and a choice there ends the counting', { skip }, async () => {
  const page = await visitor();
  const start = proxy.views.length;
  await demo(page, 'nb');
  await firstLayer(page);
  assert.deepEqual(labels(await beacons(start, 1, 'first page')), ['shown/nb']);
  await demo(page, 'en');
  await firstLayer(page);
  assert.deepEqual(labels(await beacons(start + 1, 2, 'second page')), ['ignored/nb', 'shown/en']);
  await page.goBack({ waitUntil: 'commit', timeout: WAIT_MS });
  await page.waitForFunction(() => window.__restored === 1, null, { timeout: WAIT_MS })
    .catch(() => assert.fail('the first page was not restored from the back/forward cache'));
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'nb');
  assert.ok(await page.locator('#kapsel-banner').isVisible(), 'the restored page still has its first layer');
  assert.deepEqual(labels(await beacons(start + 3, 2, 'back to the first page')), ['ignored/en', 'shown/nb']);
  await act(page, 'accept_all');
  await receiptCookie(page);
  await leave(page);
  await beacons(start + 5, 0, 'leaving the restored page after accept all');
  await page.context().close();
});

test('the console shows exactly what Chromium sent: CSV, counts list and per-day table', { skip }, async () => {
  // proxy.refused holds Chromium's own background requests (Google update, time and account
  // hosts, which the harness's flags do not silence); the proxy refused them, none is the page's.
  assert.deepEqual(proxy.refused.filter((r) => /example|localhost|127\.0\.0\.1/.test(r)), [], 'the pages asked for nothing outside loopback');
  const sent = proxy.views;
  // What the three tests above made the visitors do, written out, and what went over the wire.
  const expected = { shown: 7, ignored: 3 };
  assert.deepEqual(tally(sent), expected, `beacons: ${JSON.stringify(labels(sent))}`);
  const all = sums((await csvRows()).rows);
  assert.deepEqual({ shown: all.shown, ignored: all.ignored }, expected, 'CSV: banner_shown and ignored');
  // The choices beside them: accept all twice, reject all once, one custom save.
  assert.deepEqual([all.accept_all, all.reject_all, all.custom, all.total], [2, 1, 1, 4], 'CSV: the choices');
  for (const language of ['nb', 'en']) {
    const one = sums((await csvRows(`&language=${language}`)).rows);
    assert.deepEqual({ shown: one.shown, ignored: one.ignored }, tally(sent, language), `CSV for language ${language}`);
  }
  assert.deepEqual(tally(sent, 'nb'), { shown: 4, ignored: 2 });
  assert.deepEqual(tally(sent, 'en'), { shown: 3, ignored: 1 });
  const byRevision = sums((await csvRows(`&revision=${revision}`)).rows);
  assert.deepEqual({ shown: byRevision.shown, ignored: byRevision.ignored }, expected, 'CSV for the current revision');

  const overview = await client.request(`/console?lang=en&site=${SITE}&days=7`);
  assert.equal(overview.status, 200);
  const shownItem = /<li>Banner shown<strong>([^<]*)<\/strong><\/li>/.exec(overview.body)?.[1];
  const ignoredItem = /<li>Share ignored<strong>([^<]*)<\/strong><\/li>/.exec(overview.body)?.[1];
  assert.equal(shownItem, String(expected.shown), 'counts list: Banner shown');
  const share = (Math.round((expected.ignored * 1000) / expected.shown) / 10).toFixed(1); // 42.9
  assert.match(ignoredItem ?? '', new RegExp(`^${share.replace('.', '\\.')}\\s%$`), 'counts list: Share ignored');
  assert.equal(perDayColumn(overview.body, 'Banner shown'), expected.shown, 'per-day table: Banner shown');
  assert.equal(perDayColumn(overview.body, 'Ignored'), expected.ignored, 'per-day table: Ignored');
});

test('bad reports are 4xx problems naming the parameter, and count nothing', { skip }, async () => {
  const good = { site: SITE, revision, language: 'nb', event: 'shown' };
  const without = (name) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== name));
  const cases = [
    ...Object.keys(good).map((name) => ({ what: `${name} missing`, params: without(name), field: name, status: 400 })),
    ...Object.keys(good).map((name) => ({ what: `${name} empty`, params: { ...good, [name]: '' }, field: name, status: 400 })),
    { what: 'no parameters at all', params: {}, field: 'site', status: 400 },
    { what: 'an unknown parameter', params: { ...good, visitor: 'v-1234' }, field: 'visitor', status: 400 },
    { what: 'an unknown site', params: { ...good, site: 'ukjent-nettsted' }, field: 'site', status: 400 },
    { what: 'markup as the site', params: { ...good, site: '<script>alert(1)</script>' }, field: 'site', status: 400 },
    { what: 'an unknown revision', params: { ...good, revision: '0000000000000000' }, field: 'revision', status: 409 },
    { what: 'another site\'s revision', params: { ...good, revision: otherRevision }, field: 'revision', status: 409 },
    { what: 'a language outside the privacy file', params: { ...good, language: 'de' }, field: 'language', status: 400 },
    { what: 'event=other', params: { ...good, event: 'other' }, field: 'event', status: 400 },
    { what: 'event in capitals', params: { ...good, event: 'SHOWN' }, field: 'event', status: 400 },
    { what: 'a foreign Origin', params: good, headers: { origin: 'https://tracker.example' }, field: 'Origin', status: 403 },
    { what: 'another site\'s Origin', params: good, headers: { origin: 'https://www.example.no' }, field: 'Origin', status: 403 },
    { what: 'an opaque Origin', params: good, headers: { origin: 'null' }, field: 'Origin', status: 403 },
    { what: 'GET', params: good, method: 'GET', status: 405 },
  ];
  const before = await Promise.all(['', '&language=nb', '&language=en'].map(async (q) => (await csvRows(q)).text));
  for (const { what, params, headers = {}, method = 'POST', field, status } of cases) {
    const url = `${world.server.origin}${PATH}?${new URLSearchParams(params)}`;
    const response = await fetch(url, { method, headers, signal: AbortSignal.timeout(WAIT_MS) });
    const text = await response.text();
    assert.ok(response.status >= 400 && response.status < 500, `${what}: ${response.status} ${text}`);
    assert.equal(response.status, status, `${what}: ${text}`);
    assert.equal(response.headers.get('content-type'), 'application/problem+json', `${what}: content type`);
    assert.equal(response.headers.get('set-cookie'), null, `${what}: no cookie`);
    const problem = JSON.parse(text);
    assert.equal(problem.status, response.status, `${what}: the problem's status`);
    assert.match(problem.type, /^\/problems\/[a-z-]+$/, `${what}: type`);
    assert.equal(typeof problem.title, 'string', `${what}: title`);
    assert.equal(typeof problem.detail, 'string', `${what}: detail`);
    if (field) {
      assert.deepEqual(problem.errors?.map((e) => e.field), [field], `${what}: the parameter named in ${text}`);
      assert.equal(typeof problem.errors[0].message, 'string');
    }
  }
  const afterwards = await Promise.all(['', '&language=nb', '&language=en'].map(async (q) => (await csvRows(q)).text));
  assert.deepEqual(afterwards, before, 'no bad report changed a count');

  // The control: one good report from the site's own origin changes the counts by exactly one.
  const counted = sums((await csvRows()).rows);
  const response = await fetch(`${world.server.origin}${PATH}?${new URLSearchParams({ ...good, event: 'ignored' })}`, {
    method: 'POST', headers: { origin: world.server.base }, signal: AbortSignal.timeout(WAIT_MS),
  });
  assert.equal(response.status, 204, await response.text());
  const now = sums((await csvRows()).rows);
  assert.deepEqual({ shown: now.shown, ignored: now.ignored }, { shown: counted.shown, ignored: counted.ignored + 1 });
});
