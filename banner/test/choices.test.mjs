// Withdrawal, Global Privacy Control and renewal: what changes a choice after it was made.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { act, cookieNames, demoState, enabled, env, ledger, openDemo, receiptCookie, useServerAndBrowser } from './common.mjs';

useServerAndBrowser();
const skip = !enabled;

test('withdraw: declared first-party cookies and storage deleted, page reloaded, withdraw in the ledger', { skip }, async () => {
  const page = await openDemo();
  await act(page, 'accept_all');
  await page.waitForFunction(() => window.demoPixelLoaded === 1);
  const first = await receiptCookie(page);
  // Variants a real tracker leaves behind: another path, the parent domain, a declared storage key.
  await page.evaluate(() => {
    document.cookie = '_ga=other-path;Path=/demo;Max-Age=600';
    localStorage.setItem('yt-remote-device-id', 'x');
    localStorage.setItem('site-own-key', 'kept');
  });
  assert.ok((await cookieNames(page)).includes('_ga@localhost'));
  await page.click('[data-kapsel-open]');
  const reloaded = page.waitForEvent('load');
  await act(page, 'reject_all', '#kapsel-centre');
  await reloaded;
  await page.waitForFunction(() => document.readyState === 'complete');
  const names = await page.evaluate(() => document.cookie.split('; ').map((c) => c.split('=')[0]));
  assert.deepEqual(names, ['kapsel_consent'], `left behind: ${names}`);
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), ['site-own-key'], 'declared storage keys go, others stay');
  const state = await demoState(page);
  assert.deepEqual([state.banner, state.analytics, state.pixel], [false, 0, 0]);
  const second = await receiptCookie(page);
  assert.notEqual(second.receipt, first.receipt);
  const record = await ledger(second.receipt);
  assert.equal(record.action, 'withdraw');
  assert.equal(record.services['google-analytics'], false);
  assert.equal((await ledger(first.receipt)).current_id, second.receipt, 'the withdrawal names the earlier receipt');
  // The proof of holding the receipt: its receipt_secret, kept in the cookie's ninth field.
  const secret = await page.evaluate(() => decodeURIComponent(document.cookie.match(/kapsel_consent=([^;]*)/)[1].split('|')[8] || ''));
  assert.match(secret, /^[0-9a-f]{32}$/, 'the new receipt\'s secret is kept for the next change of mind');
  await page.context().close();
});

test('GPC: marketing stays off on accept all, the record says gpc', { skip }, async () => {
  const page = await openDemo({ gpc: true });
  assert.equal((await demoState(page)).analytics, 0, 'GPC is never consent');
  await act(page, 'settings');
  assert.match(await page.locator('#kapsel-centre').innerText(), /Global Privacy Control/);
  assert.equal(await page.isChecked('input[data-kapsel-category="marketing"]'), false);
  await act(page, 'accept_all', '#kapsel-centre');
  await page.waitForFunction(() => window.demoAnalyticsLoaded === 1);
  await page.waitForTimeout(300);
  assert.equal((await demoState(page)).pixel, 0, 'marketing must stay off under GPC');
  const record = await ledger((await receiptCookie(page)).receipt);
  assert.equal(record.action, 'gpc');
  assert.equal(record.gpc, true);
  assert.equal(record.categories.marketing, false);
  assert.equal(record.categories.analytics, true);
  await page.context().close();
});

async function withCookie(value) {
  const page = await openDemo();
  const revision = await page.evaluate(() => window.kapsel.consent().revision);
  await page.context().addCookies([{ name: 'kapsel_consent', value: value(revision), url: env.server.base }]);
  await page.reload();
  await page.waitForFunction(() => document.readyState === 'complete');
  return page;
}

test('a stored, current, unexpired choice is applied without asking', { skip }, async () => {
  const future = Date.now() + 86_400_000;
  const page = await withCookie((rev) => `1||${rev}|${future}|analytics||0`);
  const state = await demoState(page);
  assert.deepEqual([state.banner, state.analytics, state.pixel], [false, 1, 0]);
  await page.context().close();
});

test('revision change re-prompts and nothing runs meanwhile', { skip }, async () => {
  const future = Date.now() + 86_400_000;
  const page = await withCookie(() => `1||an-older-revision|${future}|analytics.marketing||0`);
  const state = await demoState(page);
  assert.deepEqual([state.banner, state.analytics, state.pixel], [true, 0, 0]);
  await page.context().close();
});

test('expiry re-prompts and nothing runs meanwhile', { skip }, async () => {
  const past = Date.now() - 1000;
  const page = await withCookie((rev) => `1||${rev}|${past}|analytics.marketing||0`);
  const state = await demoState(page);
  assert.deepEqual([state.banner, state.analytics, state.pixel], [true, 0, 0]);
  await page.context().close();
});

test('API unreachable: the choice applies locally and is sent on the next page view', { skip }, async () => {
  const page = await openDemo();
  await page.route('**/v1/consent', (route) => route.abort());
  await act(page, 'accept_all');
  await page.waitForFunction(() => window.demoAnalyticsLoaded === 1);
  const pending = await page.evaluate(() => document.cookie.match(/kapsel_consent=([^;]*)/)[1].split('|'));
  assert.equal(pending[1], '', 'no receipt yet');
  assert.equal(pending[5], 'accept_all', 'the unsent action waits in the consent cookie');
  await page.unroute('**/v1/consent');
  await page.reload();
  const sent = await receiptCookie(page);
  assert.equal(sent.pending, '');
  assert.equal((await ledger(sent.receipt)).action, 'accept_all');
  await page.context().close();
});

test('a previous receipt the ledger does not know does not lose the new choice', { skip }, async () => {
  const future = Date.now() + 86_400_000;
  const page = await withCookie(() => `1|0000000000000000000000000Z|an-older-revision|${future}|analytics||0`);
  assert.equal((await demoState(page)).banner, true);
  await act(page, 'reject_all');
  const cookie = await receiptCookie(page);
  assert.notEqual(cookie.receipt, '0000000000000000000000000Z');
  assert.equal((await ledger(cookie.receipt)).action, 'reject_all');
  await page.context().close();
});
