// A signed receipt, checked in Chromium by a small independent verifier that uses WebCrypto
// alone (Ed25519 and SHA-256): the receipt's text is a leaf of the batch's Merkle tree (RFC 6962),
// its path folds to the root (RFC 9162 §2.1.3.2), and the key published at
// /.well-known/kapsel/keys signed the kapsel-receipt-batch/v1 text naming that root
// (docs/ledger.md). A forged choice does not verify. The visitor keeps their own copy: the
// preference centre downloads the signed receipt, which the same verifiers accept.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EXAMPLE, ROOT, axe, chromiumAvailable, launch, newPage, start, stop } from './harness.mjs';

const skip = !chromiumAvailable();
let server;
let browser;

before(async () => {
  if (skip) return;
  server = await start();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stop(server);
});

/** The current revision of `site`, as `kapsel check` prints it. */
function revision(site) {
  const check = spawnSync(join(ROOT, 'target', 'debug', 'kapsel'), ['check', EXAMPLE], { encoding: 'utf8' });
  const match = new RegExp(`site ${site} revision (\\w+)`).exec(check.stdout + check.stderr);
  assert.ok(match, check.stdout + check.stderr);
  return match[1];
}

/** Runs in the page: true when `receipt.signature` verifies with one of `keys` ([receipt, keys]). */
async function verifyInPage([receipt, keys]) {
  const enc = new TextEncoder();
  const sha = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const cat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  const unhex = (text) => new Uint8Array(text.match(/../g).map((h) => parseInt(h, 16)));
  const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const str = (v) => `${enc.encode(v).length}:${v}`;
  const s = receipt.signature;
  let node = await sha(cat(new Uint8Array([0]), enc.encode(s.signed)));
  let index = s.leaf_index;
  let last = s.batch_size - 1;
  for (const sibling of s.path.map(unhex)) {
    if (last === 0) return false;
    if (index % 2 === 1 || index === last) {
      node = await sha(cat(new Uint8Array([1]), sibling, node));
      while (index % 2 === 0 && index !== 0) { index >>= 1; last >>= 1; }
    } else {
      node = await sha(cat(new Uint8Array([1]), node, sibling));
    }
    index >>= 1; last >>= 1;
  }
  if (last !== 0) return false;
  const batch = `kapsel-receipt-batch/v1\nkey_id=${str(s.key_id)}\nsigned_at_ms=${s.signed_at_ms}\n` +
    `size=${s.batch_size}\nroot=${str(hex(node))}\n`;
  const key = keys.keys.find((k) => k.key_id === s.key_id);
  if (!key || key.algorithm !== 'Ed25519') return false;
  const publicKey = await crypto.subtle.importKey('raw', unb64(key.public_key), { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, publicKey, unb64(s.signature), enc.encode(batch));
}

test('receipts verify in Chromium with WebCrypto and the published key; a forged one does not', { skip }, async () => {
  const body = { site: 'www', revision: revision('www'), language: 'en', action: 'reject_all' };
  // Several at once, so that some share a batch (one signature, a path each).
  const receipts = await Promise.all(Array.from({ length: 24 }, async () => {
    const response = await fetch(`${server.origin}/v1/consent`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.equal(response.status, 201);
    return response.json();
  }));
  const page = await browser.newPage();
  await page.goto(`${server.base}/healthz`); // a localhost page: a secure context for WebCrypto
  const keys = await page.evaluate(async () => (await fetch('/.well-known/kapsel/keys')).json());
  assert.equal(keys.keys.length, 1);
  for (const receipt of receipts) {
    assert.ok(receipt.signature.signed.includes(receipt.id));
    assert.equal(await page.evaluate(verifyInPage, [receipt, keys]), true, JSON.stringify(receipt));
  }
  const forged = structuredClone(receipts[0]);
  forged.signature.signed = forged.signature.signed.replace('action=10:reject_all', 'action=10:accept_all');
  assert.equal(await page.evaluate(verifyInPage, [forged, keys]), false);
  const state = await page.evaluate(async (id) => (await fetch(`/v1/receipts/${id}`)).json(), receipts[1].id);
  assert.equal(await page.evaluate(verifyInPage, [state, keys]), true, 'GET /v1/receipts/{id} is signed too');
  await page.close();
});

const TEXTS = JSON.parse(readFileSync(join(ROOT, 'banner', 'src', 'texts.json'), 'utf8'));

/** `python3 docs/ledger-verify.py ARGS…`, or null (said loudly) when its Ed25519 library is missing. */
function pythonVerifier(args) {
  const has = spawnSync('python3', ['-c', 'import cryptography'], { encoding: 'utf8' });
  if (has.status !== 0) {
    if (process.env.KAPSEL_REQUIRE_ALL === '1') throw new Error('KAPSEL_REQUIRE_ALL=1 but python3 has no cryptography package');
    console.log('\n!!!!!!!! SKIP the Python half: python3 has no cryptography package (pip install cryptography) !!!!!!!!\n');
    return null;
  }
  return spawnSync('python3', [join(ROOT, 'docs', 'ledger-verify.py'), ...args], { encoding: 'utf8' });
}

for (const lang of ['nb', 'nn', 'en']) {
  test(`the preference centre downloads the visitor's signed receipt, which verifies (${lang})`, { skip }, async () => {
    const page = await newPage(browser, { acceptDownloads: true });
    const dir = mkdtempSync(join(tmpdir(), 'kapsel-receipt-'));
    try {
      await page.goto(`${server.base}/demo/?lang=${lang}`);
      await page.click('#kapsel-banner [data-kapsel-action="accept_all"]');
      await page.waitForFunction(() => /kapsel_consent=1\|[0-9A-Z]{26}\|/.test(document.cookie));
      const receipt = await page.evaluate(() => document.cookie.match(/kapsel_consent=1\|([0-9A-Z]{26})/)[1]);
      await page.click('[data-kapsel-open]');
      await page.waitForSelector('#kapsel-centre[open]');
      const button = page.locator('#kapsel-centre [data-kapsel-action="download"]');
      assert.equal(await button.innerText(), TEXTS[lang].download);
      assert.deepEqual(await axe(page, { include: ['#kapsel-centre'] }), [], 'the centre with its receipt passes axe');
      // Keyboard only: the button is reached and pressed like any other.
      await button.focus();
      const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
      assert.equal(download.suggestedFilename(), `kapsel-receipt-${receipt}.json`);
      const file = join(dir, download.suggestedFilename());
      await download.saveAs(file);
      const kept = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(kept.id, receipt);
      assert.equal(kept.action, 'accept_all');
      assert.equal(kept.site, 'demo');
      const keys = await page.evaluate(async () => (await fetch('/.well-known/kapsel/keys')).json());
      assert.equal(await page.evaluate(verifyInPage, [kept, keys]), true, 'the kept receipt verifies in the browser');
      const keysFile = join(dir, 'keys.json');
      writeFileSync(keysFile, JSON.stringify(keys));
      const python = pythonVerifier(['--receipt', file, '--keys', keysFile]);
      if (python) assert.equal(python.status, 0, python.stdout + python.stderr);
      const forged = join(dir, 'forged.json');
      kept.signature.signed = kept.signature.signed.replace('action=10:accept_all', 'action=10:reject_all');
      writeFileSync(forged, JSON.stringify(kept));
      const refused = pythonVerifier(['--receipt', forged, '--keys', keysFile]);
      if (refused) assert.notEqual(refused.status, 0, 'an edited receipt is refused');
    } finally {
      await page.context().close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
