// The consent gate's at-least-once guarantee with the JetStream outbox ([gate] outbox =
// "jetstream") and two Kapsel instances (chains a and b) on one PostgreSQL schema, against the
// real binary, the real NATS server and the loopback receivers (gate-receivers.mjs, which dedupe
// on each API's idempotency key):
//
// - senders post batches alternately to both instances under load; instance a is killed -9
//   mid-stream while it holds unacknowledged JetStream deliveries, the senders keep going to b,
//   and a is started again on the same chain;
// - every event that got a 2xx reaches every destination its consent allows (no consent: the
//   warehouse alone; real receipts granting everything, analytics alone, marketing alone) and
//   none reaches a destination it may not; batches a dead socket cut off are retried, as a
//   client would, and then the receivers' deduplicated sets are exactly the sent sets; JetStream
//   redelivered what the killed instance held unacknowledged; the store's trace (read through either instance) holds one decision per event
//   and destination, as the consent says;
// - messageIds posted again through the other instance, during the load and after it, are
//   dropped by JetStream's dedupe (Nats-Msg-Id = site/messageId): the stream holds each event
//   once, and a repeat after everything settled causes no request to any receiver at all.
//
// Needs PostgreSQL (KAPSEL_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
// and NATS with JetStream (KAPSEL_TEST_NATS_URL, default nats://127.0.0.1:4222); without them
// it skips loudly, or fails under KAPSEL_REQUIRE_ALL=1. It makes a fresh schema and a fresh
// stream and drops both at the end (the stream through JetStream's API over a raw NATS
// connection, $JS.API.STREAM.DELETE).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './harness.mjs';
import {
  ADMIN_TOKEN, CATEGORIES, SITE, WRITE_KEY, destinationsFor, expectedDecision, gateConfig, message, postBatch, recordChoice, revision, sleep, waitFor,
} from './gate-common.mjs';
import { DESTINATIONS, gateSettings, idempotencyKey, startReceivers } from './gate-receivers.mjs';

const BINARY = join(ROOT, 'target', 'debug', 'kapsel');
const PG_BASE = process.env.KAPSEL_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env.KAPSEL_TEST_NATS_URL || 'nats://127.0.0.1:4222';
// A request to a destination times out after 2 s; JetStream's ack wait is then 3 × 2 + 10 =
// 16 s (jetstream.rs): what the killed instance held comes back to the other after that.
const GATE = { first_retry_ms: 100, max_retry_seconds: 1, max_attempts: 8, timeout_seconds: 2 };
const BATCH = 50;
const ALL = CATEGORIES;

// ---------------------------------------------------------------------------------------------
// A few words of the NATS protocol (docs.nats.io, "Client Protocol"): enough for request/reply
// to JetStream's API ($JS.API.*), without a client library.

/** Connects to `url`; resolves with { request(subject, body, timeoutMs), close() } once the server answered PONG. */
function natsConnect(url, { timeoutMs = 3_000 } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port || 4222) });
    const waiting = new Map(); // sid → { resolve, reject, timer }
    let buffer = Buffer.alloc(0);
    let ready = false;
    let sid = 0;
    const failAll = (error) => {
      for (const w of waiting.values()) { clearTimeout(w.timer); w.reject(error); }
      waiting.clear();
    };
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no NATS server answered at ${url} in ${timeoutMs} ms`)); }, timeoutMs);
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`NATS at ${url}: ${error.message}`));
      failAll(error);
    });
    socket.on('close', () => failAll(new Error('NATS connection closed')));
    const client = {
      /** Publishes `body` (JSON) to `subject` with a fresh inbox as reply; resolves with the parsed reply. */
      request(subject, body = '', ms = 5_000) {
        sid += 1;
        const id = String(sid);
        const inbox = `_INBOX.kapsel_test.${randomBytes(8).toString('hex')}.${id}`;
        const payload = typeof body === 'string' ? body : JSON.stringify(body);
        return new Promise((done, fail) => {
          const t = setTimeout(() => { waiting.delete(id); fail(new Error(`no reply to ${subject} in ${ms} ms (is JetStream enabled?)`)); }, ms);
          waiting.set(id, { resolve: done, reject: fail, timer: t });
          socket.write(`SUB ${inbox} ${id}\r\nUNSUB ${id} 1\r\nPUB ${subject} ${inbox} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`);
        });
      },
      close() { socket.end(); socket.destroy(); },
    };
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        const line = buffer.subarray(0, end).toString();
        if (line.startsWith('MSG ')) {
          const parts = line.split(' '); // MSG <subject> <sid> [reply-to] <#bytes>
          const size = Number(parts.at(-1));
          if (buffer.length < end + 2 + size + 2) return;
          const payload = buffer.subarray(end + 2, end + 2 + size).toString();
          buffer = buffer.subarray(end + 4 + size);
          const w = waiting.get(parts[2]);
          if (w) {
            waiting.delete(parts[2]);
            clearTimeout(w.timer);
            try { w.resolve(JSON.parse(payload)); } catch (error) { w.reject(error); }
          }
          continue;
        }
        buffer = buffer.subarray(end + 2);
        if (line.startsWith('INFO ')) {
          socket.write('CONNECT {"verbose":false,"pedantic":false,"lang":"node","version":"0","protocol":1,"name":"kapsel-gate-test"}\r\nPING\r\n');
        } else if (line === 'PING') {
          socket.write('PONG\r\n');
        } else if (line === 'PONG' && !ready) {
          ready = true;
          clearTimeout(timer);
          resolve(client);
        } else if (line.startsWith('-ERR')) {
          const error = new Error(`NATS at ${url}: ${line}`);
          if (!ready) { clearTimeout(timer); socket.destroy(); reject(error); }
          failAll(error);
        }
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL through psql, and `kapsel serve` on it (harness.start() always passes --data,
// which one layer may not give beside --database-url).

function psql(sql) {
  return spawnSync('psql', [PG_BASE, '-v', 'ON_ERROR_STOP=1', '-qtAc', sql], {
    encoding: 'utf8', timeout: 20_000, env: { ...process.env, PGCONNECT_TIMEOUT: '5' },
  });
}

/** The URL with `schema` as the search path, as kapsel_testkit's PgSchema::url builds it. */
function schemaUrl(schema) {
  return `${PG_BASE}${PG_BASE.includes('?') ? '&' : '?'}options[search_path]=${schema}`;
}

/** Why PostgreSQL or JetStream cannot be used here, or null when both answer. */
async function unavailable() {
  const pg = psql('SELECT 1');
  if (pg.error || pg.status !== 0 || pg.stdout.trim() !== '1') {
    return `PostgreSQL is not reachable at ${PG_BASE} (${(pg.error?.message ?? pg.stderr).trim().replace(/\s+/g, ' ')})`;
  }
  let nats;
  try {
    nats = await natsConnect(NATS_URL);
    const info = await nats.request('$JS.API.INFO', '', 3_000);
    if (info.error) return `NATS at ${NATS_URL} has no JetStream: ${JSON.stringify(info.error)}`;
  } catch (error) {
    return `NATS JetStream is not reachable at ${NATS_URL} (${error.message})`;
  } finally {
    nats?.close();
  }
  return null;
}

/**
 * Starts `kapsel serve` on the PostgreSQL `url` as chain `chain` and waits until it listens and
 * `/readyz` answers 200. Returns { chain, origin, child, stop, stderr }.
 */
async function serve({ config, settings, url, chain, timeoutMs = 60_000 }) {
  const args = ['serve', '--config', config, '--settings', settings, '--listen', '127.0.0.1:0', '--database-url', url, '--chain-id', chain];
  const child = spawn(BINARY, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' } });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    let timer;
    await Promise.race([exited, new Promise((resolve) => { timer = setTimeout(resolve, 10_000); })]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited; }
  };
  try {
    const origin = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`kapsel serve (chain ${chain}) printed no address in ${timeoutMs} ms\n${stderr}`)), timeoutMs);
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const match = /kapsel listening on (http:\/\/\S+)/.exec(out);
        if (match) { clearTimeout(timer); resolve(match[1]); }
      });
      child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`kapsel serve (chain ${chain}) exited with ${code ?? signal}\n${stderr}`)); });
    });
    await waitFor(async () => (await fetch(`${origin}/readyz`).catch(() => null))?.ok, {
      timeoutMs, everyMs: 50, what: `chain ${chain} to be ready`,
    }).catch((error) => { error.message += `\n${stderr}`; throw error; });
    return { chain, origin, child, stop, stderr: () => stderr };
  } catch (error) {
    await stop();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------

/** An admin GET answering JSON. */
async function adminGet(origin, path) {
  const response = await fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  assert.equal(response.status, 200, `${path}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/**
 * The whole trace from `from` (rows in [from, to)), split into narrower spans while the admin
 * API says an answer was truncated (10 000 rows a page).
 */
async function traceAll(origin, { from = 0, to = Date.now() + 60_000, floor } = {}) {
  const answer = await adminGet(origin, `/v1/admin/gate/trace?from=${from}&to=${to}`);
  if (!answer.truncated) return answer.deliveries;
  const low = Math.max(from, floor ?? from); // nothing before `floor` (a fresh schema)
  assert.ok(to - low > 1, 'more than 10 000 trace rows in one millisecond');
  const mid = Math.floor((low + to) / 2);
  return [...await traceAll(origin, { from: low, to: mid }), ...await traceAll(origin, { from: mid, to })];
}

/** The destinations an event of `kind` granted `granted` (null: no consent information) must reach. */
function allowed(kind, granted) {
  return destinationsFor(kind).filter((d) => expectedDecision(d, granted).state === 'forwarded');
}

const SETTLED = new Set(['forwarded', 'blocked', 'dead']);

test('JetStream outbox, two instances on one PostgreSQL: kill -9 of one under load loses no acknowledged event, and repeats through the other instance are dropped', { timeout: 420_000 }, async (t) => {
  const why = await unavailable();
  if (why) {
    if (process.env.KAPSEL_REQUIRE_ALL === '1') throw new Error(`KAPSEL_REQUIRE_ALL=1 but ${why}`);
    console.log(`\n!!!!!!!! SKIP the JetStream outbox test: ${why} !!!!!!!!\n`);
    t.skip(why);
    return;
  }
  const began = Date.now();
  const tag = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const schema = `kapsel_test_js_${tag}`;
  const stream = `KAPSEL_TEST_${tag}`;
  const instances = {};
  let rx;
  let dir;
  let nats;
  let running = true;
  let senders;
  t.after(async () => {
    running = false;
    await senders?.catch(() => {});
    // Stopped first: a running instance would keep fetching from the stream and writing the schema.
    await Promise.all(Object.values(instances).map((i) => i.stop()));
    await rx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    try {
      nats ??= await natsConnect(NATS_URL);
      const deleted = await nats.request(`$JS.API.STREAM.DELETE.${stream}`);
      if (!deleted.success && deleted.error?.err_code !== 10059) console.log(`could not delete stream ${stream}: ${JSON.stringify(deleted)}`);
    } catch (error) {
      console.log(`could not delete stream ${stream} (it ages out after 7 days): ${error.message}`);
    } finally {
      nats?.close();
    }
    const dropped = psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    if (dropped.status !== 0) console.log(`could not drop schema ${schema}: ${dropped.stderr}`);
  });

  const created = psql(`CREATE SCHEMA ${schema}`);
  assert.equal(created.status, 0, created.stderr);
  nats = await natsConnect(NATS_URL);
  rx = await startReceivers({ site: SITE });
  const files = gateConfig();
  dir = files.dir;
  const { config } = files;
  const settings = join(dir, 'settings.toml');
  writeFileSync(settings, gateSettings(rx, {
    writeKey: WRITE_KEY, adminToken: ADMIN_TOKEN, gate: { ...GATE, outbox: 'jetstream', nats_url: NATS_URL, nats_stream: stream },
  }));
  const url = schemaUrl(schema);
  // One after the other: the first applies the migrations and creates the stream.
  instances.a = await serve({ config, settings, url, chain: 'a' });
  instances.b = await serve({ config, settings, url, chain: 'b' });
  const rev = revision(config);
  const via = (chain) => ({ server: instances[chain], revision: rev });

  // Real receipts, recorded through both instances: each instance judges events whose receipt
  // the other recorded.
  const full = (await recordChoice(via('a'), { action: 'accept_all' })).id;
  const analytics = (await recordChoice(via('b'), { granted: ['analytics'] })).id;
  const marketing = (await recordChoice(via('a'), { granted: ['marketing'] })).id;
  const bases = [
    { receipt: full, granted: ALL }, { receipt: null, granted: null }, { receipt: analytics, granted: ['analytics'] },
    { receipt: null, granted: null }, { receipt: marketing, granted: ['marketing'] },
  ];
  // Slow answers keep deliveries in flight (unacknowledged in JetStream) when a is killed.
  rx.slow('hook', 100);
  rx.slow('warehouse', 25);
  rx.slow('meta', 25);

  const sent = new Map(); // messageId → { kind, granted, message }
  const acked = new Map(); // messageId → the chain that answered 2xx first
  const failed = []; // batches nobody acknowledged (retried at the end, as a client would)
  let live = ['a', 'b'];
  // New events the senders may make: unbounded until the kill, then a phase's worth (b alone
  // ingests a few thousand a second; the budget keeps the run's size independent of the restart's time).
  let budget = Infinity;
  let n = 0;
  let repeatsDuringLoad = 0;
  const sender = async (lane) => {
    for (let round = 0; running; round += 1) {
      if (sent.size >= budget) { await sleep(20); continue; }
      const batch = [];
      for (let i = 0; i < BATCH; i += 1) {
        n += 1;
        const base = bases[n % bases.length];
        const kind = ['track', 'page', 'identify'][Math.floor(n / bases.length) % 3];
        const id = `js-${lane}-${n}`;
        const m = message(kind, id, base.receipt);
        sent.set(id, { kind, granted: base.granted, message: m });
        batch.push(m);
      }
      const chain = live[(lane + round) % live.length];
      if (await postBatch(instances[chain].origin, batch)) batch.forEach((m) => acked.set(m.messageId, chain));
      else { failed.push(batch); await sleep(20); }
      // Every third round: 50 acknowledged events again, through the instance that did not acknowledge them.
      if (round % 3 === 2) {
        const other = live[(lane + round + 1) % live.length];
        const again = [...acked].filter(([, c]) => c !== other).slice(-400).filter((_, i) => i % 8 === lane).slice(0, BATCH);
        if (again.length && await postBatch(instances[other].origin, again.map(([id]) => sent.get(id).message))) repeatsDuringLoad += again.length;
      }
    }
  };
  senders = Promise.all([0, 1, 2, 3].map(sender));

  // JetStream's count of redeliveries on the shared consumers: every delivery, first or again,
  // takes a consumer sequence number; first deliveries run up to the stream's sequence.
  const consumerInfo = (d) => nats.request(`$JS.API.CONSUMER.INFO.${stream}.kapsel-${d}`);
  const redeliveries = async () => {
    const infos = await Promise.all(Object.keys(DESTINATIONS).map(consumerInfo));
    return infos.reduce((k, i) => k + i.delivered.consumer_seq - i.delivered.stream_seq, 0);
  };

  const dueAtHook = () => [...acked.keys()].filter((id) => allowed(sent.get(id).kind, sent.get(id).granted).includes('hook')).length;
  await waitFor(() => acked.size >= 1_200 && rx.state.hook.events.size > 0 && rx.state.hook.events.size < dueAtHook() - 200,
    { what: '1200 acknowledged events, some delivered and a backlog at the hook', timeoutMs: 90_000, everyMs: 20 });
  const redeliveredBeforeKill = await redeliveries();
  const killedAt = Date.now() - began;
  const victim = instances.a;
  const exited = new Promise((resolve) => victim.child.once('exit', resolve));
  victim.child.kill('SIGKILL');
  await exited;
  live = ['b'];
  budget = sent.size + 1_500;
  const ackedAtKill = acked.size;
  const hookAtKill = rx.state.hook.events.size;
  const dueAtKill = dueAtHook();
  assert.ok(hookAtKill < dueAtKill, 'the kill came while deliveries were still due (else this test proves nothing)');
  // b alone takes the load for a while…
  const downFor = Date.now();
  await waitFor(() => acked.size >= ackedAtKill + 500, { what: '500 more events acknowledged by b alone', timeoutMs: 90_000, everyMs: 20 });
  const ackedWhileDown = acked.size - ackedAtKill;
  // …then a comes back on its chain (its PostgreSQL session, and with it the chain's lock, may
  // take a moment to end).
  const restartFrom = Date.now();
  let restarted;
  for (let attempt = 1; !restarted; attempt += 1) {
    try {
      restarted = await serve({ config, settings, url, chain: 'a', timeoutMs: 30_000 });
    } catch (error) {
      if (attempt >= 3) throw error;
      t.diagnostic(`restart of chain a, attempt ${attempt}: ${error.message.split('\n')[0]}`);
      await sleep(1_000);
    }
  }
  instances.a = restarted;
  live = ['a', 'b'];
  budget = sent.size + 1_000;
  t.diagnostic(`kill -9 of a at ${killedAt} ms; b alone for ${Date.now() - downFor} ms, of which the restart took ${Date.now() - restartFrom} ms`);
  const ackedAtRestart = acked.size;
  await waitFor(() => acked.size >= ackedAtRestart + 500, { what: '500 more events acknowledged after the restart', timeoutMs: 90_000, everyMs: 20 });
  running = false;
  await senders;

  // What was not acknowledged is sent again, as a client retries, until acknowledged.
  const retried = failed.reduce((k, b) => k + b.length, 0);
  for (const [i, batch] of failed.entries()) {
    await waitFor(() => postBatch(instances[live[i % 2]].origin, batch), { what: 'a retried batch to be acknowledged', timeoutMs: 30_000, everyMs: 200 });
    batch.forEach((m) => { if (!acked.has(m.messageId)) acked.set(m.messageId, 'retry'); });
  }
  assert.equal(acked.size, sent.size, 'every sent event is acknowledged in the end');
  t.diagnostic(`sent ${sent.size} events in batches of ${BATCH}: ${ackedAtKill} acknowledged at the kill of a (hook had ${hookAtKill} of ${dueAtKill} due), `
    + `${ackedWhileDown} by b alone while a was down, ${retried} in batches refused or cut off and retried; ${repeatsDuringLoad} repeats through the other instance during the load`);

  // Every event at every destination it may reach…
  const missing = () => {
    const gaps = [];
    for (const [id, { kind, granted }] of sent) for (const d of allowed(kind, granted)) if (!rx.has(d, id)) gaps.push(`${id} → ${d}`);
    return gaps;
  };
  let gaps = [];
  try {
    await waitFor(() => { gaps = missing(); return gaps.length === 0; }, { what: 'every acknowledged event at every allowed destination', timeoutMs: 120_000, everyMs: 250 });
  } catch (error) {
    error.message += `: ${gaps.length} missing, e.g. ${gaps.slice(0, 5).join(', ')}`;
    throw error;
  }
  t.diagnostic(`every event at every allowed destination at ${Date.now() - began} ms`);
  // …and nowhere else: each receiver's deduplicated set is exactly what it may receive.
  const byKey = new Map();
  const wanted = {};
  for (const [id, s] of sent) for (const d of Object.keys(DESTINATIONS)) byKey.set(`${d} ${idempotencyKey(SITE, id, d)}`, { id, ...s });
  for (const d of Object.keys(DESTINATIONS)) {
    for (const key of rx.state[d].events.keys()) {
      const s = byKey.get(`${d} ${key}`);
      assert.ok(s, `${d} received an event nobody sent`);
      assert.ok(allowed(s.kind, s.granted).includes(d), `${s.id} (${s.kind}, granted ${JSON.stringify(s.granted)}) reached ${d}`);
    }
    wanted[d] = [...sent].filter(([, s]) => allowed(s.kind, s.granted).includes(d)).length;
    assert.equal(rx.state[d].events.size, wanted[d], `${d} holds each event it may receive once`);
  }
  assert.ok(rx.state.meta.events.size > 0 && rx.state.adhook.events.size > 0, 'the consent-needing destinations were exercised');
  assert.deepEqual(rx.problems(), []);

  t.diagnostic(`receivers hold ${Object.entries(wanted).map(([d, k]) => `${d} ${k}`).join(', ')}`);
  // JetStream kept each event once, whichever instance it came through and however often.
  const info = await nats.request(`$JS.API.STREAM.INFO.${stream}`);
  assert.equal(info.state?.messages, sent.size, `the stream holds each messageId once: ${JSON.stringify(info.state)}`);
  // The trace, through either instance, holds one decision per event and destination that takes its type.
  const pairs = new Map([...sent].flatMap(([id, s]) => destinationsFor(s.kind).map((d) => [`${id} ${d}`, expectedDecision(d, s.granted)])));
  let rows = [];
  const keyed = (list) => new Map(list.map((r) => [`${r.message_id} ${r.destination}`, r]));
  try {
    await waitFor(async () => {
      rows = await traceAll(instances.b.origin, { floor: began - 60_000 });
      const byPair = keyed(rows);
      return [...pairs.keys()].every((p) => SETTLED.has(byPair.get(p)?.state));
    }, { what: `${pairs.size} decisions in the trace`, timeoutMs: 60_000, everyMs: 500 });
  } catch (error) {
    const byPair = keyed(rows);
    const open = [...pairs.keys()].filter((p) => !SETTLED.has(byPair.get(p)?.state));
    error.message += ` (${rows.length} rows; ${open.length} pairs without a decision, e.g. ${open.slice(0, 5).map((p) => `${p}: ${JSON.stringify(byPair.get(p) ?? null)}`).join('; ')})`;
    throw error;
  }
  const byPair = keyed(rows);
  assert.equal(rows.length, pairs.size, 'no trace row beyond one per event and destination that takes its type');
  assert.equal(byPair.size, rows.length);
  const wrong = [];
  for (const [pair, want] of pairs) {
    const row = byPair.get(pair);
    const s = sent.get(pair.split(' ')[0]);
    const receipt = s.message.context.kapsel?.receipt ?? null;
    // A blocked decision sent nothing (0 attempts); a forwarded one at least one request.
    const tried = want.state === 'blocked' ? row.attempts === 0 : row.attempts >= 1;
    if (row.state !== want.state || row.reason !== want.reason || row.receipt !== receipt || row.type !== s.kind || !tried) {
      wrong.push(`${pair}: ${JSON.stringify(row)}, expected ${want.state} ${want.reason}`);
    }
  }
  assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} decisions differ from the consent`);
  const fromA = keyed(await traceAll(instances.a.origin, { floor: began - 60_000 }));
  assert.equal(fromA.size, byPair.size, 'both instances read the same trace');
  for (const [pair, row] of byPair) assert.equal(fromA.get(pair)?.state, row.state, `${pair} through a`);
  // JetStream has nothing left to hand out.
  await waitFor(async () => {
    const infos = await Promise.all(Object.keys(DESTINATIONS).map(consumerInfo));
    return infos.every((i) => i.num_pending === 0 && i.num_ack_pending === 0);
  }, { what: 'every consumer to have acknowledged everything', timeoutMs: 30_000, everyMs: 250 });
  const redelivered = (await redeliveries()) - redeliveredBeforeKill;
  assert.ok(redelivered > 0, 'JetStream redelivered what the killed instance held unacknowledged (else the kill proved nothing)');

  // After everything settled: acknowledged events again, each through the instance that did not
  // first acknowledge it, with a few fresh ones as a control. The fresh ones arrive; the repeats
  // cause no request to any receiver and no change in the trace.
  const requestsBefore = Object.fromEntries(Object.keys(DESTINATIONS).map((d) => [d, rx.state[d].requests.length]));
  const copiesBefore = Object.fromEntries(Object.keys(DESTINATIONS).map((d) => [d, new Map(rx.state[d].copies)]));
  const seqBefore = (await nats.request(`$JS.API.STREAM.INFO.${stream}`)).state.last_seq;
  const rowsBefore = keyed(await traceAll(instances.b.origin, { floor: began - 60_000 }));
  assert.equal(rowsBefore.size, pairs.size);
  const repeat = { a: [], b: [] };
  for (const [id, chain] of acked) (chain === 'a' ? repeat.b : repeat.a).push(id);
  const fresh = { a: [], b: [] };
  let repeatedAfter = 0;
  for (const chain of ['a', 'b']) {
    const ids = repeat[chain].slice(0, 300);
    for (let i = 0; i < ids.length; i += BATCH) {
      const batch = ids.slice(i, i + BATCH).map((id) => sent.get(id).message);
      const control = `js-control-${chain}-${i}`;
      batch.push(message('track', control, full));
      fresh[chain].push(control);
      assert.ok(await postBatch(instances[chain].origin, batch), `the repeat through ${chain} is acknowledged`);
      repeatedAfter += batch.length - 1;
    }
  }
  const controls = [...fresh.a, ...fresh.b];
  await waitFor(() => controls.every((id) => allowed('track', ALL).every((d) => rx.has(d, id))),
    { what: 'the control events at every destination', timeoutMs: 60_000, everyMs: 100 });
  await sleep(1_000);
  const extra = [];
  for (const d of Object.keys(DESTINATIONS)) {
    const controlKeys = new Set(controls.map((id) => idempotencyKey(SITE, id, d)));
    for (const [key, count] of rx.state[d].copies) {
      if (!controlKeys.has(key) && count !== copiesBefore[d].get(key)) extra.push(`${d} got ${byKey.get(`${d} ${key}`)?.id} again`);
    }
    // Requests since: only the controls' (several controls may share one request).
    const since = rx.state[d].requests.slice(requestsBefore[d]);
    assert.ok(since.length <= controls.length, `${d} got ${since.length} requests for ${controls.length} control events`);
  }
  assert.deepEqual(extra.slice(0, 10), [], `${extra.length} repeats were delivered again`);
  const after = await nats.request(`$JS.API.STREAM.INFO.${stream}`);
  assert.equal(after.state.last_seq, seqBefore + controls.length, 'JetStream stored the controls and none of the repeats');
  const rowsAfter = keyed(await traceAll(instances.a.origin, { floor: began - 60_000 }));
  const moved = [...rowsBefore].filter(([pair, row]) => {
    const now = rowsAfter.get(pair);
    return now?.state !== row.state || now.attempts !== row.attempts || now.decided_at !== row.decided_at;
  });
  assert.deepEqual(moved.slice(0, 5), [], `${moved.length} trace rows moved after a repeat`);
  assert.equal(rowsAfter.size, rowsBefore.size + controls.length * destinationsFor('track').length, 'the controls alone added rows');
  for (const d of Object.keys(DESTINATIONS)) assert.equal(rx.state[d].events.size, wanted[d] + controls.length, `${d} holds the controls besides what it held`);
  assert.deepEqual(rx.problems(), []);
  // The instances wrote the fresh schema (the URL's search path was honoured), and nothing else did.
  const counted = psql(`SELECT count(*) FROM ${schema}.gate_deliveries`);
  assert.equal(counted.status, 0, counted.stderr);
  assert.equal(Number(counted.stdout.trim()), rowsAfter.size, 'the trace is the fresh schema\'s gate_deliveries');

  const copies = Object.values(rx.state).reduce((k, d) => k + [...d.copies.values()].reduce((c, x) => c + x - 1, 0), 0);
  const twice = Object.values(rx.state).reduce((k, d) => k + [...d.copies.values()].filter((x) => x > 1).length, 0);
  t.diagnostic(`${sent.size} events × their destinations = ${pairs.size} decisions; 1 kill -9 (chain a) and a restart; `
    + `JetStream redelivered ${redelivered} deliveries the killed instance held (${redeliveredBeforeKill} before the kill); ${twice} deliveries arrived more than once (${copies} extra copies, absorbed by the receivers' dedupe); `
    + `${repeatedAfter} repeats after settling caused no delivery; ${((Date.now() - began) / 1000).toFixed(1)} s`);
  for (const d of Object.keys(DESTINATIONS)) rx.slow(d, 0);
});
