// Screenshots of the banner's first layer and the preference centre on the demo page (before a
// choice, and after one with its receipt and download button), at 320 px
// and 1280 px, in nb, nn and en, into docs/screenshots/. The committed set (referenced from
// docs/web-teams.md) is KEEP; `--all` writes every language, width and layer, to look at.
// Uses the browser tests' harness: the real `target/debug/kapsel serve --demo` and the Debian
// Chromium. Run after `cargo build -p kapsel`: `node banner/screenshots.mjs [--all]`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, launch, newPage, start } from './test/harness.mjs';

const out = join(ROOT, 'docs', 'screenshots');
const KEEP = ['banner-nb-320', 'banner-nb-1280', 'centre-nb-320', 'banner-en-1280', 'centre-nn-1280', 'centre-en-320',
  'receipt-nb-320', 'receipt-en-1280'];
const every = process.argv.includes('--all');
const langs = ['nb', 'nn', 'en'];
const sizes = [{ width: 320, height: 640 }, { width: 1280, height: 800 }];
const shoot = (page, name) => (every || KEEP.includes(name)) && page.screenshot({ path: join(out, `${name}.png`) });
mkdirSync(out, { recursive: true });
const server = await start();
const browser = await launch();
try {
  for (const lang of langs) {
    for (const viewport of sizes) {
      const page = await newPage(browser, { viewport });
      await page.goto(`${server.base}/demo/?lang=${lang}`);
      await page.waitForSelector('#kapsel-banner');
      await shoot(page, `banner-${lang}-${viewport.width}`);
      await page.click('#kapsel-banner [data-kapsel-action="settings"]');
      await page.waitForSelector('#kapsel-centre[open]');
      // One category's services open, as a visitor who looks closer sees it.
      await page.evaluate(() => { const d = document.querySelector('#kapsel-centre .kapsel-cat:nth-of-type(2) details'); if (d) d.open = true; });
      await shoot(page, `centre-${lang}-${viewport.width}`);
      await page.click('#kapsel-centre [data-kapsel-action="accept_all"]');
      await page.waitForFunction(() => /kapsel_consent=1\|[0-9A-Z]{26}\|/.test(document.cookie));
      await page.click('[data-kapsel-open]');
      await page.waitForSelector('#kapsel-centre[open]');
      await shoot(page, `receipt-${lang}-${viewport.width}`);
      await page.context().close();
      console.log(`${lang} ${viewport.width} px`);
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
