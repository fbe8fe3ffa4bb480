// The generated document pages of BOTH shipped examples (examples/kapsel.toml and the NTE-like
// examples/nte-like.toml) in real Chromium: every page (declaration, notice, change log) in nb,
// nn and en fits a 320 px wide screen with no horizontal scroll, has zero axe-core violations at
// 320 px and at 1280 px, and never renders a provider as a processor it was not declared to be.
// With DOCUMENT_SCREENSHOTS=DIR the declaration and the notice are also saved as PNGs there.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, axe, chromiumAvailable, launch, newPage, start } from './harness.mjs';

const skip = !chromiumAvailable();
const EXAMPLES = { example: join(ROOT, 'examples', 'kapsel.toml'), 'nte-like': join(ROOT, 'examples', 'nte-like.toml') };
const LANGS = ['nb', 'nn', 'en'];
const PAGES = ['cookies', 'privacy', 'changes'];
const WIDTHS = [320, 1280];
const shots = process.env.DOCUMENT_SCREENSHOTS;

const servers = {};
let browser;
before(async () => {
  if (skip) return;
  for (const [name, config] of Object.entries(EXAMPLES)) servers[name] = await start({ config });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  for (const server of Object.values(servers)) await server.stop();
});

/** How far the page is wider than the viewport (0 when it fits), and the widest offenders. */
function overflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    // Nothing may stick out of the page's own column either (a table wider than <main>).
    const main = document.querySelector('main').getBoundingClientRect().right;
    const sticking = [...document.querySelectorAll('main table')].map((t) => t.getBoundingClientRect().right - main);
    const excess = Math.max(document.documentElement.scrollWidth - width, ...sticking.map(Math.ceil));
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}px: ${el.textContent.slice(0, 40)}`);
    return { excess, wide };
  });
}

for (const name of Object.keys(EXAMPLES)) {
  for (const kind of PAGES) {
    for (const lang of LANGS) {
      test(`${name}: ${kind} (${lang}) fits 320 px and is axe-clean at 320 and 1280 px`, { skip }, async () => {
        for (const width of WIDTHS) {
          const page = await newPage(browser, { viewport: { width, height: 800 } });
          const response = await page.goto(`${servers[name].base}/sites/www/${kind}?lang=${lang}`);
          assert.equal(response.status(), 200);
          assert.equal(await page.getAttribute('html', 'lang'), lang);
          const { excess, wide } = await overflow(page);
          assert.ok(excess <= 0, `${width} px: ${excess} px too wide\n${wide.join('\n')}`);
          const violations = await axe(page);
          assert.deepEqual(violations, [], `${width} px: ${JSON.stringify(violations, null, 2)}`);
          if (shots && (kind === 'cookies' || kind === 'privacy') && (lang === 'nb' || (lang === 'nn' && width === 320))) {
            mkdirSync(shots, { recursive: true });
            await page.screenshot({ path: join(shots, `${kind === 'cookies' ? 'declaration' : 'notice'}-${name}-${lang}-${width}.png`), fullPage: false });
          }
          await page.context().close();
        }
      });
    }
  }
}

test('the notice names each provider with its declared role and no invented claim', { skip }, async () => {
  const page = await newPage(browser, { javaScriptEnabled: false });
  await page.goto(`${servers['nte-like'].base}/sites/www/privacy?lang=nb`);
  const marketing = await page.locator('section[aria-labelledby="activity-marketing"]').innerText();
  assert.match(marketing, /Meta Platforms Ireland Limited \(Irland\), felles behandlingsansvarlig med oss \(art\. 26\)/);
  assert.match(marketing, /Google Ireland Limited \(Irland\), selvstendig behandlingsansvarlig/);
  // Snap's role is not declared: it is named without one, never as "databehandler".
  assert.match(marketing, /Snap B\.V\. \(Nederland\) – Snap Pixel/);
  assert.doesNotMatch(marketing, /Snap B\.V\. \(Nederland\), databehandler/);
  // Transfers: once per provider and country, naming the provider.
  assert.equal(marketing.match(/TikTok Technology Limited \(TikTok Pixel\) → USA/g)?.length, 1);
  assert.match(marketing, /TikTok Technology Limited \(TikTok Pixel\) → Kina: standard personvernbestemmelser/);
  assert.match(marketing, /Det er profilering\./);
  const page2 = await page.locator('body').innerText();
  assert.doesNotMatch(page2, /Vi tar ingen automatiserte avgjørelser om deg, heller ikke profilering/);
  assert.doesNotMatch(page2, /Ingen andre enn oss og databehandlerne våre/);
  assert.match(page2, /Versjon 2025-6/);
  await page.context().close();
});
