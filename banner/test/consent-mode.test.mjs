// Google Consent Mode v2 as read from dataLayer: the default comes first, before any gated tag,
// and an update plus a `kapsel_consent` event follow each choice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { act, enabled, openDemo, useServerAndBrowser } from './common.mjs';

useServerAndBrowser();
const skip = !enabled;

const readLayer = (page) => page.evaluate(() => window.dataLayer.map((entry) =>
  entry && typeof entry.length === 'number' && !Array.isArray(entry) ? { args: Array.from(entry) } : { object: entry }));

test('default: all denied except security_storage, wait_for_update, first in dataLayer', { skip }, async () => {
  const page = await openDemo();
  const layer = await readLayer(page);
  const [first] = layer;
  assert.deepEqual(first.args.slice(0, 2), ['consent', 'default']);
  assert.deepEqual(first.args[2], {
    ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', analytics_storage: 'denied',
    functionality_storage: 'denied', personalization_storage: 'denied', security_storage: 'granted', wait_for_update: 500,
  });
  assert.equal(layer.filter((e) => e.args?.[0] === 'config').length, 0, 'no gated tag before a choice');
  await page.context().close();
});

test('updates follow each choice, mapped from the services; the default precedes every tag', { skip }, async () => {
  const page = await openDemo();
  await act(page, 'settings');
  await page.check('input[data-kapsel-category="analytics"]');
  await act(page, 'save', '#kapsel-centre');
  await page.waitForFunction(() => window.demoAnalyticsLoaded === 1);
  let layer = await readLayer(page);
  const updates = () => layer.filter((e) => e.args?.[0] === 'consent' && e.args[1] === 'update');
  const config = layer.findIndex((e) => e.args?.[0] === 'config');
  const firstUpdate = layer.findIndex((e) => e.args?.[1] === 'update');
  assert.ok(firstUpdate > 0 && firstUpdate < config, `update (${firstUpdate}) must come before the gated tag (${config})`);
  assert.equal(updates().length, 1);
  assert.equal(updates()[0].args[2].analytics_storage, 'granted');
  assert.equal(updates()[0].args[2].ad_storage, 'denied');
  const event = layer.find((e) => e.object?.event === 'kapsel_consent');
  assert.ok(event.object.kapsel.services.includes('google-analytics'));

  await page.click('[data-kapsel-open]');
  await act(page, 'accept_all', '#kapsel-centre');
  await page.waitForFunction(() => window.demoPixelLoaded === 1);
  layer = await readLayer(page);
  assert.equal(updates().length, 2);
  const granted = updates()[1].args[2];
  assert.equal(granted.ad_storage, 'granted');
  assert.equal(granted.ad_user_data, 'granted');
  assert.equal(layer.filter((e) => e.object?.event === 'kapsel_consent').length, 2);
  await page.context().close();
});
