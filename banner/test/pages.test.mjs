// The generated document pages in Chromium: the cookie declaration, the privacy notice and the
// change log in nb, nn and en have zero axe-core violations (WCAG 2.x A/AA + best practice), read
// fully with JavaScript switched off, link to each other, and the embeddable declaration
// fragment passes axe inside a host page. Uses the banner's harness (real binary, real Chromium).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enabled, env, useServerAndBrowser } from './common.mjs';
import { axe, newPage } from './harness.mjs';

useServerAndBrowser();
const skip = !enabled;
const LANGS = ['nb', 'nn', 'en'];
const PAGES = ['cookies', 'privacy', 'changes'];

for (const kind of PAGES) {
  for (const lang of LANGS) {
    test(`${kind} page (${lang}): zero axe violations`, { skip }, async () => {
      const page = await newPage(env.browser);
      const response = await page.goto(`${env.server.base}/sites/www/${kind}?lang=${lang}`);
      assert.equal(response.status(), 200);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      const violations = await axe(page);
      assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
      await page.context().close();
    });
  }
}

test('pages read fully without JavaScript and link to each other', { skip }, async () => {
  const page = await newPage(env.browser, { javaScriptEnabled: false });
  await page.goto(`${env.server.base}/sites/www/cookies?lang=en`);
  const rows = await page.locator('tbody tr').count();
  assert.ok(rows >= 10, `expected the cookie tables, found ${rows} rows`);
  assert.match(await page.locator('footer').innerText(), /Last updated: \d+ \w+ \d{4}/);
  await page.click('nav a[href*="/privacy"]');
  assert.match(page.url(), /\/sites\/www\/privacy\?lang=en$/);
  assert.equal(await page.locator('h1').innerText(), 'Privacy notice');
  await page.click('nav a[href*="/changes"]');
  assert.equal(await page.locator('h1').innerText(), 'Change log');
  await page.click('a[hreflang="nn"]');
  assert.equal(await page.locator('h1').innerText(), 'Endringslogg');
  await page.context().close();
});

test('the embeddable fragment passes axe inside a host page', { skip }, async () => {
  for (const lang of LANGS) {
    const fragment = await (await fetch(`${env.server.origin}/sites/www/cookies/fragment?lang=${lang}`)).text();
    assert.ok(!/<html|<head|<body/.test(fragment), 'a fragment has no document elements');
    const page = await newPage(env.browser);
    await page.setContent(`<!doctype html><html lang="${lang}"><head><title>Host page</title></head><body><main><h1>Host page</h1>${fragment}</main></body></html>`);
    const violations = await axe(page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
    await page.context().close();
  }
});

test('unknown site is a 404 problem, unknown language a 400 naming lang', { skip }, async () => {
  const missing = await fetch(`${env.server.origin}/sites/nope/cookies`);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-type'), 'application/problem+json');
  const bad = await fetch(`${env.server.origin}/sites/www/privacy?lang=de`);
  assert.equal(bad.status, 400);
  const problem = await bad.json();
  assert.equal(problem.errors[0].field, 'lang');
});
