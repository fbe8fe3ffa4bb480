// Shared steps of the consent gate's tests: the privacy file with the example's destinations
// (examples/kapsel.toml + examples/gate/destinations.toml), a settings file pointing them at the
// loopback receivers (gate-receivers.mjs), recording real choices through POST /v1/consent, and
// reading the decision trace through the admin API. No side effects on import (`node --test`
// runs every .mjs of this directory).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE, ROOT, start } from './harness.mjs';
import { ACCEPTS, DESTINATIONS, gateSettings, startReceivers } from './gate-receivers.mjs';

export const SITE = 'demo';
export const WRITE_KEY = 'demo-write-key-0001';
export const ADMIN_TOKEN = 'gate-test-admin-token-0123456789';
export const BASIC = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;
export const CATEGORIES = ['functional', 'analytics', 'marketing'];
const BINARY = join(ROOT, 'target', 'debug', 'kapsel');

/** A temporary directory with kapsel.toml = the example + its gate destinations. */
export function gateConfig() {
  const dir = mkdtempSync(join(tmpdir(), 'kapsel-gate-test-'));
  const config = join(dir, 'kapsel.toml');
  const destinations = readFileSync(join(ROOT, 'examples', 'gate', 'destinations.toml'), 'utf8');
  writeFileSync(config, `${readFileSync(EXAMPLE, 'utf8')}\n${destinations}`);
  return { dir, config };
}

/** The current revision of `site` in `config`, as `kapsel check` prints it. */
export function revision(config, site = SITE) {
  const check = spawnSync(BINARY, ['check', config], { encoding: 'utf8' });
  const match = new RegExp(`site ${site} revision (\\w+)`).exec(check.stdout + check.stderr);
  assert.ok(match, check.stdout + check.stderr);
  return match[1];
}

/**
 * Receivers, the privacy file, a settings file and a running server. `gate` adds `[gate]`
 * settings (first_retry_ms, max_attempts…). Returns { rx, server, config, settings, dir, revision, restart, close }.
 */
export async function startGate({ gate = {}, data } = {}) {
  const rx = await startReceivers({ site: SITE });
  const { dir, config } = gateConfig();
  const settings = join(dir, 'settings.toml');
  writeFileSync(settings, gateSettings(rx, { writeKey: WRITE_KEY, adminToken: ADMIN_TOKEN, gate }));
  const env = { config, settings, data, timeoutMs: 60_000 };
  const gateEnv = { rx, dir, config, settings, revision: revision(config), server: await start(env) };
  /** Starts the server again on the same store (after a crash or a stop). */
  gateEnv.restart = async () => {
    gateEnv.server = await start(env);
    return gateEnv.server;
  };
  gateEnv.close = async () => {
    await gateEnv.server?.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return gateEnv;
}

/** Records a choice through the consent API; `granted` lists the categories granted. Returns the 201 body (id, receipt_secret…). */
export async function recordChoice(gate, { granted = [], action = 'custom', previous } = {}) {
  const categories = Object.fromEntries(CATEGORIES.map((c) => [c, granted.includes(c)]));
  const body = { site: SITE, revision: gate.revision, language: 'en', action };
  if (action === 'custom') body.categories = categories;
  if (action === 'accept_all') body.categories = Object.fromEntries(CATEGORIES.map((c) => [c, true]));
  if (previous) { body.previous_receipt = previous.id; body.receipt_secret = previous.receipt_secret; }
  const response = await fetch(`${gate.server.origin}/v1/consent`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 201, `POST /v1/consent ${JSON.stringify(body)}: ${text}`);
  return JSON.parse(text);
}

/** An admin GET (bearer token) answering JSON. */
export async function admin(gate, path, init = {}) {
  const response = await fetch(`${gate.server.origin}${path}`, {
    ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : null };
}

/** The trace rows for `?from=MS[&to=MS]` or `?receipt=ID`. */
export async function trace(gate, query) {
  const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  const answer = await admin(gate, `/v1/admin/gate/trace?${params}`);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.truncated, false);
  return answer.body.deliveries;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` (async, truthy = done) every `everyMs` until `timeoutMs`; throws naming `what` and the last value. */
export async function waitFor(probe, { timeoutMs = 30_000, everyMs = 100, what = 'the condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

const SETTLED = new Set(['forwarded', 'blocked', 'dead']);

/**
 * Waits until the trace since `from` holds a settled row (forwarded, blocked or dead) for every
 * (message id, destination) pair of `expected` (a Map "id destination" → anything) and returns
 * the rows by that key.
 */
export async function settled(gate, { from, pairs, timeoutMs = 30_000 }) {
  let rows = [];
  try {
    return await waitFor(async () => {
      rows = await trace(gate, { from });
      const byKey = new Map(rows.map((r) => [`${r.message_id} ${r.destination}`, r]));
      const done = [...pairs].every((pair) => SETTLED.has(byKey.get(pair)?.state));
      return done && byKey;
    }, { timeoutMs, what: `${pairs.size} deliveries to settle` });
  } catch (error) {
    const open = rows.filter((r) => !SETTLED.has(r.state)).slice(0, 5);
    error.message += ` (${rows.length} rows, not settled e.g. ${JSON.stringify(open)})`;
    throw error;
  }
}

/** The destinations that take a message of `type` (only they get a trace row). */
export function destinationsFor(type) {
  return Object.entries(DESTINATIONS).filter(([, d]) => ACCEPTS[d.kind].includes(type)).map(([id]) => id);
}

/**
 * What the gate must decide for destination `id` given the granted categories (`null`: the event
 * carried no consent information): { state: 'forwarded' } or { state: 'blocked', reason }.
 * A destination needs all its categories; the reason names the first missing one.
 */
export function expectedDecision(id, granted) {
  const needed = DESTINATIONS[id].categories.filter((c) => c !== 'necessary');
  const missing = needed.find((c) => !(granted ?? []).includes(c));
  return missing ? { state: 'blocked', reason: `category:${missing}` } : { state: 'forwarded', reason: null };
}

/** POSTs JSON (or a string) to an ingest path with the write key; returns { status, type, body, text }. */
export async function ingest(gate, path, body, headers = {}) {
  const response = await fetch(`${gate.server.origin}${path}`, {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: response.status, type: response.headers.get('content-type'), body: parsed, text };
}

/** A raw Segment message (as analytics-node builds them) naming `receipt` when given. */
export function message(kind, id, receipt) {
  const m = { type: kind, messageId: id, anonymousId: `anon-${id}`, userId: `user-${id}`, timestamp: new Date().toISOString(),
    context: { page: { url: `https://example.no/${id}` }, ...(receipt ? { kapsel: { receipt } } : {}) } };
  if (kind === 'track') Object.assign(m, { event: 'Order Completed', properties: { total: 5, currency: 'NOK' } });
  if (kind === 'page') Object.assign(m, { name: 'Home', properties: { url: `https://example.no/${id}` } });
  if (kind === 'identify') Object.assign(m, { traits: { plan: 'pro' } });
  return m;
}

/** POST /v1/batch; true on a 2xx, false on any other answer or a broken connection. */
export async function postBatch(origin, batch) {
  try {
    const response = await fetch(`${origin}/v1/batch`, {
      method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/json' }, body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}
