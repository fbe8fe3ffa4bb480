// The request desk end to end in real Chromium, against the real binary, a real SMTP server
// (aiosmtpd, writing a Maildir) and a real SQLite "shop" declared as a dataset, all on loopback
// (docs/desk.md). Per language (nb, nn, en), one requester's access request from start to end:
// keyboard only, the privacy centre's access form is filled in with an address and the
// customer number the privacy file declares, and sent; the verification mail is read from the
// Maildir and its link opened; the status page says the request is confirmed and offers
// nothing to download. Then the privacy lead's part over the admin JSON API: the run exports
// the shop into a bundle, completion is refused while the manual archive task is open, the task
// is recorded done and the case completed. The "answered" mail's link opens the status page,
// which says completed and offers the bundle; the download link is reached with Tab and
// followed with Enter, and the ZIP that arrives is the bundle the history recorded (SHA-256),
// holds this requester's rows and no one else's, and its download is in the history. Every page
// on the way is axe-clean and fits 320 px.
//
// KAPSEL_TEST_SHOTS=/some/dir also saves screenshots at 320 and 1280 px of the centre (the
// whole page and the access form) and of the status page with the download section.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EXAMPLE, ROOT, axe, chromiumAvailable, freePort, launch, newPage, start, stop } from './harness.mjs';
import { aiosmtpdAvailable, kill, parseMail, untilListening } from './smtp.mjs';

const FIXTURES = join(ROOT, 'banner', 'test', 'fixtures', 'desk');
const TOKEN = 'admin-token-for-browser-tests-0123456789';
const KEY = 'desk-key-for-browser-tests-0123456789abcdef';
const SHOTS = process.env.KAPSEL_TEST_SHOTS ?? '';
const LANGS = ['nb', 'nn', 'en'];

// One fictional customer of fixtures/desk/shop.sql per language; K-1004 never asks.
const REQUESTERS = {
  nb: { email: 'kari.nordmann@example.org', customer: 'K-1001', courses: ['Fjellvandring', 'Kajakk'] },
  nn: { email: 'ola.nordmann@example.org', customer: 'K-1002', courses: ['Klatring'] },
  en: { email: 'alex.example@example.org', customer: 'K-1003', courses: ['Kajakk', 'Telemarkski'] },
};
const BYSTANDER = 'K-1004';

// The words the requester must see (crates/server/src/desk/texts.rs and the privacy additions),
// written out so that a page in the wrong language or state fails.
const WORDS = {
  nb: {
    title: 'Dine personvernrettigheter', sent: 'Sjekk e-posten din', status: 'Forespørselen din',
    label: 'Kundenummer (valgfritt)', hint: 'Står på fakturaen, for eksempel K-1001.',
    verified: 'Bekreftet, venter på behandling', completed: 'Fullført', state: 'Status',
    bundle: 'Opplysningene om deg', download: 'Last ned opplysningene (ZIP)',
  },
  nn: {
    title: 'Personvernrettane dine', sent: 'Sjekk e-posten din', status: 'Førespurnaden din',
    label: 'Kundenummer (valfritt)', hint: 'Står på fakturaen, til dømes K-1001.',
    verified: 'Stadfesta, ventar på behandling', completed: 'Fullført', state: 'Status',
    bundle: 'Opplysningane om deg', download: 'Last ned opplysningane (ZIP)',
  },
  en: {
    title: 'Your privacy rights', sent: 'Check your e-mail', status: 'Your request',
    label: 'Customer number (optional)', hint: 'On your invoice, e.g. K-1001.',
    verified: 'Confirmed, waiting to be handled', completed: 'Completed', state: 'State',
    bundle: 'The data about you', download: 'Download the data (ZIP)',
  },
};

const skip = !chromiumAvailable() || !aiosmtpdAvailable("the request desk's browser flow");

/** Runs a short Python snippet (sqlite3, zipfile: the standard library only); its stdout. */
function python(code, ...args) {
  const run = spawnSync('python3', ['-c', code, ...args], { encoding: 'utf8', timeout: 20_000 });
  if (run.status !== 0) throw new Error(`python3 failed (${run.status}): ${run.stderr}`);
  return run.stdout;
}




const env = { scratch: '', maildir: '', smtp: null, smtpOutput: '', server: null, browser: null, seen: new Set() };

before(async () => {
  if (skip) return;
  env.scratch = mkdtempSync(join(tmpdir(), 'kapsel-desk-flow-'));
  // The shop: a real SQLite file made from the fixture's SQL.
  const shop = join(env.scratch, 'shop.db');
  python('import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.executescript(open(sys.argv[2], encoding="utf-8").read())\nc.commit()\nc.close()',
    shop, join(FIXTURES, 'shop.sql'));
  // The privacy file: the example with the desk's additions.
  const privacy = join(env.scratch, 'kapsel.toml');
  writeFileSync(privacy, `${readFileSync(EXAMPLE, 'utf8')}\n${readFileSync(join(FIXTURES, 'privacy-additions.toml'), 'utf8')}`);
  // aiosmtpd's Mailbox creates the Maildir (new/, cur/, tmp/) only when the directory is absent.
  env.maildir = join(env.scratch, 'Maildir');
  const smtpPort = await freePort();
  env.smtp = spawn('python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`, '-c', 'aiosmtpd.handlers.Mailbox', env.maildir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  env.smtp.stdout.on('data', (chunk) => { env.smtpOutput += chunk; });
  env.smtp.stderr.on('data', (chunk) => { env.smtpOutput += chunk; });
  await untilListening(smtpPort, 20_000, env.smtp, () => env.smtpOutput);
  const port = await freePort();
  env.server = await start({
    config: privacy,
    listen: `127.0.0.1:${port}`,
    env: {
      KAPSEL_ADMIN__TOKEN: TOKEN,
      KAPSEL_DESK__KEY: KEY,
      KAPSEL_CONNECTORS__SHOP__URL: `sqlite://${shop}`,
      KAPSEL_MAIL__SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      KAPSEL_MAIL__FROM: 'personvern@example.no',
      KAPSEL_SERVER__PUBLIC_URL: `http://127.0.0.1:${port}`,
    },
  });
  env.browser = await launch();
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
}, { timeout: 90_000 });

after(async () => {
  await env.browser?.close();
  await stop(env.server);
  await kill(env.smtp);
  if (env.scratch) rmSync(env.scratch, { recursive: true, force: true });
});

/**
 * The next delivered message (not returned before) to `to` whose body matches `pattern`,
 * waiting for the server's delivery round (every ~5 s), bounded by `timeoutMs`.
 */
async function nextMail(to, pattern, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  const dir = join(env.maildir, 'new');
  for (;;) {
    for (const name of existsSync(dir) ? readdirSync(dir).sort() : []) {
      if (env.seen.has(name)) continue;
      const mail = parseMail(readFileSync(join(dir, name), 'latin1'));
      if ((mail.headers.to ?? '').includes(to) && pattern.test(mail.body)) {
        env.seen.add(name);
        return mail;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`no mail to ${to} matching ${pattern} in ${timeoutMs} ms\nkapsel:\n${env.server.stderr()}\naiosmtpd:\n${env.smtpOutput}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The one link in `mail` to `/sites/www/rights/{what}`, checked to come from public_url. */
function linkIn(mail, what) {
  const links = (mail.body.match(/https?:\/\/\S+/g) ?? []).filter((l) => l.includes(`/sites/www/rights/${what}?`));
  assert.equal(links.length, 1, `one ${what} link in the mail:\n${mail.body}`);
  const link = new URL(links[0]);
  assert.equal(link.origin, env.server.origin, 'the link is built from [server] public_url');
  assert.ok(link.searchParams.get('t'), `the link carries a token: ${link}`);
  return link;
}

/** An admin API call with the bearer token: { status, body }. */
async function admin(method, path, body) {
  const response = await fetch(`${env.server.origin}/v1/admin/cases${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function adminOk(method, path, body) {
  const answer = await admin(method, path, body);
  assert.ok(answer.status >= 200 && answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Presses Tab until the focused element matches `selector`; fails after `limit` presses. */
async function tabTo(page, selector, limit = 60) {
  for (let presses = 0; presses < limit; presses++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  assert.fail(`Tab never reached ${selector} in ${limit} presses`);
}

/** How far the page is wider than the viewport (0 when it fits), with the widest offenders. */
function overflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}#${el.id} ${Math.round(el.getBoundingClientRect().right)}px: ${el.textContent.slice(0, 40)}`);
    return { scrollWidth: document.documentElement.scrollWidth, wide };
  });
}

/** Axe-clean, fitting 320 px and (with KAPSEL_TEST_SHOTS) saved, at 320 and at 1280 px. */
async function checkAtBothWidths(page, what, shot) {
  for (const width of [320, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    if (width === 320) {
      const { scrollWidth, wide } = await overflow(page);
      assert.ok(scrollWidth <= 320, `${what}: scrollWidth ${scrollWidth} > 320\n${wide.join('\n')}`);
    }
    const violations = await axe(page);
    assert.deepEqual(violations, [], `${what} at ${width} px: ${JSON.stringify(violations, null, 2)}`);
    if (SHOTS && shot) await shot(width);
  }
}

/** The status page's facts (term → description text). */
function facts(page) {
  return page.locator('dl.kapsel-facts').evaluate((dl) =>
    Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()])));
}

for (const lang of LANGS) {
  const who = REQUESTERS[lang];
  const words = WORDS[lang];

  test(`access request end to end (${lang}): keyboard-only form with the customer number → mail → status → the lead runs and completes → mail → the bundle downloaded by keyboard`, { skip, timeout: 180_000 }, async () => {
    const page = await newPage(env.browser, { viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    try {
      // The centre: the access form asks for the declared customer number, in this language.
      const centre = await page.goto(`${env.server.origin}/sites/www/rights?lang=${lang}`);
      assert.equal(centre.status(), 200);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal((await page.locator('h1').textContent()).trim(), words.title);
      assert.equal(await page.locator('script').count(), 0);
      const field = page.locator('#access-customer-no');
      assert.equal(await field.getAttribute('name'), 'customer-no');
      assert.equal((await page.locator('label[for="access-customer-no"]').textContent()).trim(), words.label);
      const hintId = await field.getAttribute('aria-describedby');
      assert.equal((await page.locator(`#${hintId}`).textContent()).trim(), words.hint);
      // Every form asks for it, each with its own ids.
      assert.equal(await page.locator('main form input[name="customer-no"]').count(), 6);
      await checkAtBothWidths(page, `centre ${lang}`, async (width) => {
        await page.screenshot({ path: join(SHOTS, `centre-${lang}-${width}.png`), fullPage: true });
        await page.locator('section[aria-labelledby="access-heading"]').screenshot({ path: join(SHOTS, `centre-access-${lang}-${width}.png`) });
      });

      // Keyboard only, from the top of the page: Tab to the access form, type, Tab, type, Tab past
      // the optional receipt field, Tab, Enter.
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${env.server.origin}/sites/www/rights?lang=${lang}`);
      await tabTo(page, '#access-email');
      await page.keyboard.type(who.email);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'access-customer-no', 'the customer number follows the address');
      await page.keyboard.type(who.customer);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'access-receipt', 'then the optional receipt of the cookie choice');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'submit', 'then the access form\'s button');
      const [posted] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      assert.equal(posted.status(), 200);
      assert.equal(posted.request().method(), 'POST');
      assert.equal((await page.locator('main [role="status"] h2').textContent()).trim(), words.sent);
      // The fields are empty again: nothing typed is echoed back (the hint's example number aside).
      assert.equal(await page.inputValue('#access-email'), '');
      assert.equal(await page.inputValue('#access-customer-no'), '');
      assert.ok(!(await page.content()).includes(who.email), 'the answer does not repeat the address');
      await checkAtBothWidths(page, `"check your e-mail" ${lang}`);

      // The verification mail, in this language, with its one link.
      const verifyMail = await nextMail(who.email, /\/rights\/verify\?t=/);
      assert.match(verifyMail.headers.from ?? '', /personvern@example\.no/);
      const verify = linkIn(verifyMail, 'verify');
      assert.equal(verify.searchParams.get('lang'), lang);
      const opened = await page.goto(verify.href);
      assert.equal((await opened.request().redirectedFrom()?.response())?.status(), 303, 'the verify link redirects');
      assert.equal(new URL(page.url()).pathname, '/sites/www/rights/status');
      assert.equal((await page.locator('h1').textContent()).trim(), words.status);
      assert.equal((await facts(page))[words.state], words.verified);
      assert.equal(await page.locator('a[download]').count(), 0, 'nothing to download before the run');
      await checkAtBothWidths(page, `status before the bundle ${lang}`, (width) =>
        page.screenshot({ path: join(SHOTS, `status-before-${lang}-${width}.png`), fullPage: true }));

      // The privacy lead: the case, as the desk holds it, with the customer number.
      const { cases } = await adminOk('GET', '');
      const listed = cases.filter((c) => c.email === who.email);
      assert.equal(listed.length, 1, JSON.stringify(cases));
      const id = listed[0].id;
      assert.equal(listed[0].state, 'verified');
      assert.equal(listed[0].lang, lang);
      assert.deepEqual(listed[0].identifiers, { 'customer-no': who.customer });

      const report = await adminOk('POST', `/${id}/run`, {});
      assert.equal(report.state, 'in_progress');
      assert.deepEqual(report.steps.map((s) => s.action), ['exported', 'bundle_ready']);
      assert.deepEqual(report.pending_tasks.map((t) => t.dataset), ['archive']);
      // Not complete while the paper archive is unchecked: 409, and still in progress.
      const early = await admin('POST', `/${id}/complete`, {});
      assert.equal(early.status, 409, JSON.stringify(early.body));
      assert.match(early.body.detail, /archive/);
      assert.equal((await adminOk('GET', `/${id}`)).case.state, 'in_progress');
      await adminOk('POST', `/${id}/tasks/archive`, { note: `No folder found for ${who.customer}.` });
      const completed = await adminOk('POST', `/${id}/complete`, {});
      assert.equal(completed.case.state, 'completed');

      // The answer by mail, and its status link in the browser: completed, with the bundle.
      const answer = await nextMail(who.email, /\/rights\/status\?t=/);
      const status = linkIn(answer, 'status');
      assert.equal(status.searchParams.get('lang'), lang);
      const shown = await page.goto(status.href);
      assert.equal(shown.status(), 200);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal((await facts(page))[words.state], words.completed);
      assert.equal((await page.locator('main h2').textContent()).trim(), words.bundle);
      const downloadLink = page.locator('main a[download]');
      assert.equal((await downloadLink.textContent()).trim(), words.download);
      assert.equal(new URL(await downloadLink.getAttribute('href'), page.url()).pathname, '/sites/www/rights/bundle');
      await checkAtBothWidths(page, `status with the bundle ${lang}`, (width) =>
        page.screenshot({ path: join(SHOTS, `status-bundle-${lang}-${width}.png`), fullPage: true }));

      // Keyboard only: Tab from the top of the page to the download link, Enter.
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(status.href);
      await tabTo(page, 'main a[download]');
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.keyboard.press('Enter')]);
      assert.equal(await download.failure(), null);
      assert.equal(download.suggestedFilename(), `kapsel-${id}.zip`);
      const zip = readFileSync(await download.path());
      assert.equal(zip.subarray(0, 2).toString('latin1'), 'PK', 'a ZIP file');

      // It is the bundle the history recorded, and its download is recorded too.
      const after = await adminOk('GET', `/${id}`);
      assert.equal(after.case.state, 'completed');
      assert.equal(after.chain.verified, true, JSON.stringify(after.chain));
      const ready = after.steps.filter((s) => s.action === 'bundle_ready');
      assert.equal(ready.length, 1);
      assert.equal(createHash('sha256').update(zip).digest('hex'), ready[0].result.sha256);
      const downloaded = after.steps.filter((s) => s.action === 'bundle_downloaded');
      assert.equal(downloaded.length, 1, JSON.stringify(after.steps));
      assert.equal(downloaded[0].result.sha256, ready[0].result.sha256);

      // The requester's rows are in it, and nobody else's.
      const files = JSON.parse(python(
        'import json, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nprint(json.dumps({n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".json")}))',
        await download.path()));
      const customers = files['datasets/shop/customers.json'];
      const bookings = files['datasets/shop/bookings.json'];
      assert.ok(customers && bookings, `the shop's tables are in the bundle: ${Object.keys(files).join(', ')}`);
      assert.ok(customers.includes(who.customer) && customers.includes(who.email), customers);
      for (const course of who.courses) assert.ok(bookings.includes(course), bookings);
      const others = [BYSTANDER, ...Object.values(REQUESTERS).map((r) => r.customer).filter((c) => c !== who.customer)];
      for (const other of others) assert.ok(!customers.includes(other), `${other} is not in ${lang}'s bundle: ${customers}`);
      assert.ok(files['manifest.json'], 'the bundle has its manifest');
    } finally {
      await page.context().close();
    }
  });
}
