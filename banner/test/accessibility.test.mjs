// Accessibility: keyboard-only from the first layer through the preference centre and back, and
// axe-core with zero violations on the banner and the open centre in nb, nn and en.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { centreOpen, cookieNames, demoState, enabled, openDemo, useServerAndBrowser } from './common.mjs';
import { axe } from './harness.mjs';

useServerAndBrowser();
const skip = !enabled;

const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return {
    action: el?.getAttribute('data-kapsel-action') ?? null,
    category: el?.getAttribute('data-kapsel-category') ?? null,
    inBanner: !!el?.closest('#kapsel-banner'),
    inCentre: !!el?.closest('#kapsel-centre'),
    tag: el?.tagName,
  };
});

async function tabTo(page, predicate, limit = 60) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (predicate(f)) return f;
  }
  throw new Error('not reached by Tab');
}

test('keyboard only: first layer → centre (focus in, trapped, returned) → choice', { skip }, async () => {
  const page = await openDemo();
  // The banner comes first in the tab order.
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).inBanner, true, 'first Tab lands in the banner');
  await tabTo(page, (f) => f.action === 'settings', 6);
  await page.keyboard.press('Enter');
  await centreOpen(page);
  let f = await focused(page);
  assert.equal(f.inCentre, true, 'focus moves into the centre');
  // Trapped: many Tabs and Shift+Tabs never leave the dialog.
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press(i % 5 === 4 ? 'Shift+Tab' : 'Tab');
    assert.equal((await focused(page)).inCentre, true, `focus escaped the centre after ${i + 1} key presses`);
  }
  // Escape closes without a choice and returns focus to the Settings button.
  await page.keyboard.press('Escape');
  f = await focused(page);
  assert.deepEqual([f.inBanner, f.action], [true, 'settings']);
  assert.deepEqual(await cookieNames(page), [], 'closing is not consent');
  // Again: switch analytics on with Space, save with Enter.
  await page.keyboard.press('Enter');
  await tabTo(page, (x) => x.category === 'analytics');
  await page.keyboard.press('Space');
  // Expand a category's services with the keyboard.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.parentElement.open), true, 'summary opens with Enter');
  await tabTo(page, (x) => x.action === 'save');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.demoAnalyticsLoaded === 1);
  const state = await demoState(page);
  assert.deepEqual([state.banner, state.pixel], [false, 0]);
  // Reopen from the page's own link by keyboard; focus returns to it on close.
  await page.focus('[data-kapsel-open]');
  await page.keyboard.press('Enter');
  assert.equal(await page.isChecked('input[data-kapsel-category="analytics"]'), true, 'centre shows the current choice');
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => document.activeElement.hasAttribute('data-kapsel-open')), true);
  await page.context().close();
});

test('the banner never hides the focused element', { skip }, async () => {
  const page = await openDemo({ viewport: { width: 360, height: 640 } });
  await page.evaluate(() => {
    for (let i = 0; i < 30; i++) {
      const a = document.createElement('a');
      a.href = '#x' + i;
      a.textContent = 'link ' + i;
      a.style.display = 'block';
      document.querySelector('main').append(a);
    }
  });
  for (const i of [10, 20, 29]) {
    await page.focus(`a[href="#x${i}"]`);
    const hidden = await page.evaluate((i) => {
      const r = document.querySelector(`a[href="#x${i}"]`).getBoundingClientRect();
      const b = document.querySelector('#kapsel-banner').getBoundingClientRect();
      return r.bottom > b.top && r.top < b.bottom;
    }, i);
    assert.equal(hidden, false, `link ${i} is behind the banner`);
  }
  await page.context().close();
});

for (const lang of ['nb', 'nn', 'en']) {
  test(`axe: zero violations on the banner and the open centre (${lang})`, { skip }, async () => {
    const page = await openDemo({ lang });
    assert.equal(await page.getAttribute('#kapsel-banner', 'lang'), lang);
    const banner = await axe(page, { include: ['#kapsel-banner', '.kapsel-ph'] });
    assert.deepEqual(banner, [], JSON.stringify(banner, null, 1));
    await page.click('#kapsel-banner [data-kapsel-action="settings"]');
    await centreOpen(page);
    await page.evaluate(() => document.querySelectorAll('#kapsel-centre details').forEach((d) => { d.open = true; }));
    const centre = await axe(page, { include: ['#kapsel-centre'] });
    assert.deepEqual(centre, [], JSON.stringify(centre, null, 1));
    await page.context().close();
  });
}

test('usable at 320 px and 200 % zoom: nothing wider than the viewport, targets at least 24 px', { skip }, async () => {
  // 640 CSS px at device scale 2 is the 200 % zoom of a 1280 px window; 320 px is WCAG's reflow width.
  for (const viewport of [{ width: 320, height: 640 }, { width: 640, height: 400 }]) {
    const page = await openDemo({ viewport, deviceScaleFactor: 2 });
    const check = () => page.evaluate(() => {
      const out = [];
      for (const el of document.querySelectorAll('#kapsel-banner button, #kapsel-centre button, #kapsel-centre input, #kapsel-centre summary')) {
        const r = el.getBoundingClientRect();
        if (!r.width) continue;
        if (r.width < 24 || r.height < 24) out.push(`${el.outerHTML.slice(0, 60)} is ${r.width}×${r.height}`);
        if (r.right > innerWidth + 1) out.push(`${el.outerHTML.slice(0, 60)} overflows to ${r.right}`);
      }
      return out;
    });
    assert.deepEqual(await check(), []);
    await page.click('#kapsel-banner [data-kapsel-action="settings"]');
    await centreOpen(page);
    await page.evaluate(() => document.querySelectorAll('#kapsel-centre details').forEach((d) => { d.open = true; }));
    assert.deepEqual(await check(), []);
    await page.context().close();
  }
});

test('the optional floating button reopens the centre and passes axe', { skip }, async () => {
  const page = await openDemo();
  // A page of the site's own that opts in with data-kapsel-floating on the snippet.
  await page.route(`${new URL(page.url()).origin}/own-page`, (route) => route.fulfill({
    contentType: 'text/html',
    body: '<!doctype html><html lang="en"><head><title>Own page</title><script src="/s/demo.js" data-kapsel-floating></script></head><body><main><h1>Own page</h1></main></body></html>',
  }));
  await page.goto(`${new URL(page.url()).origin}/own-page`);
  const float = page.locator('.kapsel-float');
  assert.equal(await float.isHidden(), true, 'hidden while the banner offers Settings itself');
  await page.click('#kapsel-banner [data-kapsel-action="reject_all"]');
  assert.equal(await float.getAttribute('aria-label'), 'Privacy settings');
  assert.deepEqual(await axe(page, { include: ['.kapsel-float'] }), []);
  await float.click();
  assert.equal(await page.locator('#kapsel-centre').evaluate((d) => d.open), true);
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains('kapsel-float')), true, 'focus returns to the button');
  await page.context().close();
});
