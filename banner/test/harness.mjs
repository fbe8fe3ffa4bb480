// Test harness for browser tests: starts the REAL kapsel binary on a free loopback port, drives
// the Debian Chromium with playwright-core, and runs axe-core in a page. Exported for every
// browser test in the repository (the document pages' axe test reuses start/stop/newPage/axe).
//
// The binary must be built first: `npm test` in banner/ runs `cargo build -p kapsel` before
// `node --test test/`; when target/debug/kapsel is missing the harness builds it itself.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = '/usr/bin/chromium';
export const EXAMPLE = join(ROOT, 'examples', 'kapsel.toml');
const BINARY = join(ROOT, 'target', 'debug', 'kapsel');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** True when Chromium can run here; otherwise prints a loud SKIP (or fails with KAPSEL_REQUIRE_ALL=1). */
export function chromiumAvailable() {
  if (existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} is missing (apt-get install chromium)`;
  if (process.env.KAPSEL_REQUIRE_ALL === '1') throw new Error(`KAPSEL_REQUIRE_ALL=1 but ${message}`);
  console.log(`\n!!!!!!!! SKIP browser tests: ${message} !!!!!!!!\n`);
  return false;
}

/** A loopback TCP port that was free a moment ago (for a server whose address must be known before it starts). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `kapsel serve --config FILE --demo --data TMP --listen 127.0.0.1:0` and waits for its
 * `kapsel listening on http://ADDR` line, then until it is ready (`/readyz`). Returns { origin, port, base (http://localhost:PORT), stop }.
 * With `data`, that directory is the store and is kept on stop (a later server may reopen it).
 * `listen` replaces `127.0.0.1:0` (e.g. a port from freePort(), when a setting must name the
 * server's own address); `env` adds variables (`KAPSEL_SECTION__KEY` settings) to the child's;
 * `settings` passes a settings file (`--settings FILE`). The result's `child` is the process
 * (a test may SIGKILL it; stop() then only cleans up).
 */
export async function start({ config = EXAMPLE, data: keep, timeoutMs = 60_000, listen = '127.0.0.1:0', env = {}, settings } = {}) {
  if (!existsSync(BINARY)) {
    const build = spawnSync('cargo', ['build', '-p', 'kapsel'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('cargo build -p kapsel failed');
  }
  const data = keep ?? mkdtempSync(join(tmpdir(), 'kapsel-banner-test-'));
  const args = ['serve', '--config', config, '--demo', '--data', data, '--listen', listen];
  if (settings) args.push('--settings', settings);
  const child = spawn(BINARY, args, {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...env },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const origin = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`kapsel serve printed no address in ${timeoutMs} ms\n${stderr}`)), timeoutMs);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /kapsel listening on (http:\/\/\S+)/.exec(out);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`kapsel serve exited with ${code}\n${stderr}`)); });
  });
  // The address is printed once the socket is bound, before the server has published its
  // revisions; a test that stops it at once would stop it before that. Ready means served.
  await untilReady(origin, timeoutMs, () => stderr);
  const port = new URL(origin).port;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (!keep) rmSync(data, { recursive: true, force: true });
  };
  return { origin, port, base: `http://localhost:${port}`, other: `http://127.0.0.1:${port}`, data, stop, child, stderr: () => stderr };
}

/** Waits until `GET /readyz` answers 200 (the server has started and the ledger can write). */
async function untilReady(origin, timeoutMs, stderr) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${origin}/readyz`).catch(() => null);
    if (response?.ok) return;
    if (Date.now() > deadline) throw new Error(`kapsel serve was not ready in ${timeoutMs} ms\n${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stops a server returned by start(). */
export async function stop(server) {
  if (server) await server.stop();
}

/** Launches headless Chromium with the project's flags. */
export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 30_000 });
}

/**
 * A fresh context (own cookie jar) and page. Options: gpc (navigator.globalPrivacyControl = true),
 * reducedMotion, viewport, and any playwright context option.
 */
export async function newPage(browser, { gpc = false, ...options } = {}) {
  const context = await browser.newContext({ reducedMotion: 'reduce', ...options });
  if (gpc) {
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  }
  const page = await context.newPage();
  page.setDefaultTimeout(30_000); // generous: the 2-core machine may be busy compiling
  return page;
}

const AXE_SOURCE = readFileSync(join(ROOT, 'banner', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/**
 * Runs axe-core (WCAG 2.0–2.2 A and AA rules) in the page, optionally limited to `include`
 * selectors. Returns the violations with their nodes, ready for an assertion message.
 */
export async function axe(page, { include } = {}) {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (include) => {
    const context = include ? { include: include.map((s) => [s]) } : document;
    const result = await window.axe.run(context, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  }, include ?? null);
}

/** All cookies the browser holds for this context, first and third party. */
export async function cookies(page) {
  return page.context().cookies();
}

/** Local and session storage entries of the page's origin. */
export async function storage(page) {
  return page.evaluate(() => ({ local: Object.keys(localStorage), session: Object.keys(sessionStorage) }));
}
