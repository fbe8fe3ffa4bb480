// The preference centre as its own request: loaded only when a visitor opens it, once, cached by
// revision; a first layer that still takes the choice when it cannot be loaded; what it says (the
// documents' words, in nynorsk too), its buttons (one order, equal weight, reachable at 320 px)
// and links that can never run script; the link to the site's privacy centre on the Kapsel host.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { act, centreOpen, enabled, env, ledger, openDemo, receiptCookie, useServerAndBrowser } from './common.mjs';
import { newPage } from './harness.mjs';

useServerAndBrowser();
const skip = !enabled;

const requestsTo = (page, part) => {
  const seen = [];
  page.on('request', (r) => { if (r.url().includes(part)) seen.push(r.url()); });
  return seen;
};

test('the centre loads only when opened: one request, cached immutably by revision', { skip }, async () => {
  const page = await openDemo();
  const seen = requestsTo(page, '/centre.js');
  await act(page, 'reject_all');
  await receiptCookie(page);
  assert.deepEqual(seen, [], 'a visitor who never opens the settings never loads the centre');
  const response = page.waitForResponse((r) => r.url().includes('/centre.js'));
  await page.click('[data-kapsel-open]');
  await centreOpen(page);
  const headers = (await response).headers();
  assert.equal(headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.ok(headers.etag);
  const revision = await page.evaluate(() => window.kapsel.consent().revision);
  assert.match(seen[0], new RegExp(`/s/demo/centre\\.js\\?rev=${revision}&v=[0-9a-f]+&lang=nb$`));
  await page.keyboard.press('Escape');
  await page.click('[data-kapsel-open]');
  await centreOpen(page);
  assert.equal(seen.length, 1, 'opened again, the centre is not loaded again');
  await page.context().close();
});

test('centre unavailable: the first layer says so and still records the choice', { skip }, async () => {
  const page = await openDemo();
  await page.route('**/centre.js*', (route) => route.abort());
  await page.click('#kapsel-banner [data-kapsel-action="settings"]');
  const note = page.locator('#kapsel-banner [role="status"]');
  assert.match(await note.innerText(), /Innstillingene kunne ikke lastes/);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.kapselAction), 'reject_all');
  await act(page, 'reject_all');
  const cookie = await receiptCookie(page);
  assert.equal((await ledger(cookie.receipt)).action, 'reject_all');
  // Decided, the visitor reopens the settings: the first layer comes back, so withdrawing stays
  // one click away even without the centre.
  await page.click('[data-kapsel-open]');
  await page.waitForSelector('#kapsel-banner [role="status"]');
  assert.equal(await page.isVisible('#kapsel-banner [data-kapsel-action="reject_all"]'), true);
  await page.context().close();
});

test('nynorsk centre: country names and transfer terms as the documents write them', { skip }, async () => {
  const page = await openDemo({ lang: 'nn' });
  await act(page, 'settings');
  await page.evaluate(() => document.querySelectorAll('#kapsel-centre details').forEach((d) => { d.open = true; }));
  const text = await page.locator('#kapsel-centre').innerText();
  assert.match(text, /Google Ireland Limited \(Irland\)/);
  assert.match(text, /Fjellvind Kurs AS \(Noreg\)/);
  assert.match(text, /USA: avgjerd om tilstrekkeleg vernenivå \(art\. 45\) – EU–US Data Privacy Framework/);
  assert.match(text, /Overføring til land utanfor EØS/);
  assert.match(text, /Føremål/);
  assert.match(text, /Personvernerklæringa til Google Ireland Limited/);
  for (const wrong of [/Ireland\)/, /Norway/, /United States/, /adekvans/i, /standardavtal/i, /\bformål/i, /til YouTube\b/]) {
    assert.doesNotMatch(text, wrong);
  }
  // The documents: the same words.
  const declaration = await (await fetch(`${env.server.origin}/sites/demo/cookies?lang=nn`)).text();
  assert.match(declaration, /USA: avgjerd om tilstrekkeleg vernenivå \(art\. 45\) – EU–US Data Privacy Framework/);
  await page.context().close();
});

test('one button order and equal weight on both layers', { skip }, async () => {
  const page = await openDemo();
  const look = (scope) => page.evaluate((scope) => [...document.querySelectorAll(`${scope} .kapsel-actions button`)].map((b) => {
    const s = getComputedStyle(b);
    return { action: b.dataset.kapselAction, style: [s.backgroundColor, s.color, s.borderColor, s.fontSize, s.fontWeight, s.minHeight].join(' ') };
  }), scope);
  const first = await look('#kapsel-banner');
  assert.deepEqual(first.map((b) => b.action), ['reject_all', 'accept_all', 'settings']);
  await act(page, 'settings');
  const centre = await look('#kapsel-centre');
  assert.deepEqual(centre.map((b) => b.action), ['reject_all', 'accept_all', 'save']);
  for (const buttons of [first, centre]) {
    assert.equal(new Set(buttons.map((b) => b.style)).size, 1, `buttons differ: ${JSON.stringify(buttons)}`);
  }
  await page.context().close();
});

test('at 320 px the centre keeps its buttons in view while its content scrolls', { skip }, async () => {
  const page = await openDemo({ viewport: { width: 320, height: 568 } });
  await act(page, 'settings');
  await page.evaluate(() => document.querySelectorAll('#kapsel-centre details').forEach((d) => { d.open = true; }));
  const inView = () => page.evaluate(() => {
    const body = document.querySelector('#kapsel-centre .kapsel-body');
    return {
      scrolls: body.scrollHeight > body.clientHeight,
      buttons: [...document.querySelectorAll('#kapsel-centre .kapsel-actions button')].map((b) => {
        const r = b.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
      }),
      wide: document.querySelector('#kapsel-centre').scrollWidth > document.querySelector('#kapsel-centre').clientWidth,
    };
  });
  assert.deepEqual(await inView(), { scrolls: true, buttons: [true, true, true], wide: false });
  await page.evaluate(() => { const b = document.querySelector('#kapsel-centre .kapsel-body'); b.scrollTop = b.scrollHeight; });
  assert.deepEqual((await inView()).buttons, [true, true, true], 'the buttons stay after scrolling to the end');
  await page.context().close();
});

test('hostile links never become clickable, in the first layer or the centre', { skip }, async () => {
  const page = await openDemo({ lang: 'en' });
  const hostile = ['JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)'];
  let n = 0;
  // Whatever the server sent (it drops such links itself), the banner checks again when it renders.
  await page.route('**/s/demo.js*', async (route) => {
    const body = (await (await route.fetch()).text())
      .replace(/"cookies":\{[^}]*\}/, `"cookies":{"en":${JSON.stringify(hostile[n % hostile.length])}}`)
      .replace(/"privacy":\{[^}]*\}/, `"privacy":{"en":"https://www.example.no/en/privacy"}`);
    await route.fulfill({ body, contentType: 'text/javascript' });
  });
  await page.route('**/s/demo/centre.js*', async (route) => {
    const body = (await (await route.fetch()).text())
      .replace(/"policy":\["https:\/\/[^"]*"/g, () => `"policy":[${JSON.stringify(hostile[n % hostile.length])}`)
      .replace(/"rights":"\/sites\/[^"]*"/, () => `"rights":${JSON.stringify(hostile[n % hostile.length])}`);
    await route.fulfill({ body, contentType: 'text/javascript' });
  });
  for (; n < hostile.length; n++) {
    await page.reload();
    await page.waitForSelector('#kapsel-banner');
    await act(page, 'settings');
    const hrefs = await page.evaluate(() => [...document.querySelectorAll('#kapsel-banner a, #kapsel-centre a')].map((a) => a.href));
    assert.deepEqual(hrefs, ['https://www.example.no/en/privacy'], `${JSON.stringify(hostile[n])} became ${hrefs}`);
    assert.equal(await page.locator('#kapsel-centre .kapsel-svc').count() > 0, true, 'the centre rendered its services');
  }
  await page.context().close();
});

test('the centre links the privacy centre on the Kapsel host it came from, in the page\'s language', { skip }, async () => {
  // The operator's own page on another host (a loopback server of this test) loads the banner
  // from Kapsel: the link must lead to Kapsel's host, not to the page's.
  let lang = 'nb';
  const shop = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="${lang}"><head><script src="${env.server.base}/s/demo.js"></script><title>Shop</title></head><body><main><h1>Shop</h1></main></body></html>`);
  });
  await new Promise((resolve) => shop.listen(0, '127.0.0.1', resolve));
  try {
    for (const [code, name] of [['nb', 'Dine personvernrettigheter'], ['nn', 'Personvernrettane dine'], ['en', 'Your privacy rights']]) {
      lang = code;
      const page = await newPage(env.browser);
      await page.goto(`http://127.0.0.1:${shop.address().port}/`);
      await act(page, 'settings');
      const link = page.locator('#kapsel-centre .kapsel-links a');
      assert.equal(await link.innerText(), name, code);
      assert.equal(await link.getAttribute('href'), `${env.server.base}/sites/demo/rights?lang=${code}`, code);
      // Reachable by keyboard inside the dialog.
      await link.focus();
      assert.equal(await page.evaluate(() => document.activeElement.closest('#kapsel-centre .kapsel-links') !== null), true);
      const [response] = await Promise.all([page.waitForEvent('response', (r) => r.url().includes('/rights?')), link.click()]);
      assert.equal(response.status(), 200, code);
      assert.equal(await page.evaluate(() => document.documentElement.lang), code);
      await page.context().close();
    }
  } finally {
    await new Promise((resolve) => shop.close(resolve));
  }
});
