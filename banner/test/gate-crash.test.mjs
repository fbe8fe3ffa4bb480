// The consent gate's delivery guarantees against the real binary: kill -9 under load loses no
// acknowledged event (every event that got a 2xx reaches every destination it may reach, at
// least once; the receivers dedupe on the idempotency key), a destination that fails for a
// while gets its backlog when it recovers, and one that fails for good ends in dead letters,
// which the admin API lists and replays.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  SITE, admin, destinationsFor, expectedDecision, message, postBatch, recordChoice, settled, sleep, startGate, trace, waitFor,
} from './gate-common.mjs';
import { DESTINATIONS, idempotencyKey } from './gate-receivers.mjs';

const MAX_ATTEMPTS = 8;
let gate;
let data;

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'kapsel-gate-crash-'));
  gate = await startGate({ data, gate: { first_retry_ms: 100, max_retry_seconds: 1, max_attempts: MAX_ATTEMPTS } });
});

after(async () => {
  await gate?.close();
  if (data) rmSync(data, { recursive: true, force: true });
});

/** The destinations an event of `kind` granted `granted` (null: no consent information) must reach. */
function allowed(kind, granted) {
  return destinationsFor(kind).filter((d) => expectedDecision(d, granted).state === 'forwarded');
}

test('kill -9 under load: every acknowledged event reaches every destination it may reach, at least once', async (t) => {
  gate.rx.reset();
  // Slow answers keep deliveries in flight when the process dies.
  gate.rx.slow('hook', 100);
  gate.rx.slow('warehouse', 25);
  gate.rx.slow('meta', 25);
  const full = (await recordChoice(gate, { action: 'accept_all' })).id;
  const analytics = (await recordChoice(gate, { granted: ['analytics'] })).id;
  const bases = [{ receipt: full, granted: ['functional', 'analytics', 'marketing'] }, { receipt: analytics, granted: ['analytics'] }, { receipt: null, granted: null }];
  const sent = new Map(); // id → { kind, granted }
  const acked = new Set();
  const origin = gate.server.origin;
  let running = true;
  let n = 0;
  const sender = async (lane) => {
    while (running) {
      const batch = [];
      for (let i = 0; i < 50; i += 1) {
        n += 1;
        const base = bases[n % bases.length];
        const kind = ['track', 'page', 'identify'][Math.floor(n / 3) % 3];
        const id = `crash-${lane}-${n}`;
        sent.set(id, { kind, granted: base.granted });
        batch.push(message(kind, id, base.receipt));
      }
      if (await postBatch(origin, batch)) batch.forEach((m) => acked.add(m.messageId));
      else await sleep(20);
    }
  };
  const lanes = [0, 1, 2, 3].map(sender);
  // Kill while deliveries are under way: some acknowledged events at the hook, many still due.
  const dueAtHook = () => [...acked].filter((id) => allowed(sent.get(id).kind, sent.get(id).granted).includes('hook')).length;
  await waitFor(() => acked.size >= 1_500 && gate.rx.state.hook.events.size > 0 && gate.rx.state.hook.events.size < dueAtHook() - 200,
    { what: '1500 acknowledged events, some delivered and a backlog', timeoutMs: 60_000, everyMs: 20 });
  const exited = new Promise((resolve) => gate.server.child.once('exit', resolve));
  gate.server.child.kill('SIGKILL');
  await exited;
  const ackedAtKill = acked.size;
  const deliveredAtKill = gate.rx.state.hook.events.size;
  await sleep(300); // the senders run into the dead socket
  running = false;
  await Promise.all(lanes);
  t.diagnostic(`at the kill: ${ackedAtKill} acknowledged, ${deliveredAtKill} at hook; ${sent.size} sent in all`);
  assert.ok(deliveredAtKill < dueAtHook(), 'the kill came while deliveries were still due (else this test proves nothing)');

  await gate.restart();
  const missing = () => {
    const gaps = [];
    for (const id of acked) {
      const { kind, granted } = sent.get(id);
      for (const destination of allowed(kind, granted)) if (!gate.rx.has(destination, id)) gaps.push(`${id} → ${destination}`);
    }
    return gaps;
  };
  let gaps = [];
  try {
    await waitFor(() => { gaps = missing(); return gaps.length === 0; }, { what: 'every acknowledged event at every allowed destination', timeoutMs: 120_000, everyMs: 250 });
  } catch (error) {
    error.message += `: ${gaps.length} missing, e.g. ${gaps.slice(0, 5).join(', ')}`;
    throw error;
  }
  // Nothing, acknowledged or not, reached a destination it may not reach.
  const byKey = new Map();
  for (const [id, s] of sent) for (const d of Object.keys(DESTINATIONS)) byKey.set(`${d} ${idempotencyKey(SITE, id, d)}`, { id, ...s });
  for (const id of Object.keys(DESTINATIONS)) {
    for (const key of gate.rx.state[id].events.keys()) {
      const s = byKey.get(`${id} ${key}`);
      assert.ok(s, `${id} received an event nobody sent`);
      assert.ok(allowed(s.kind, s.granted).includes(id), `${s.id} (${s.kind}, granted ${JSON.stringify(s.granted)}) reached ${id}`);
    }
  }
  assert.deepEqual(gate.rx.problems(), []);
  // The trace agrees: every acknowledged pair settled as the consent says, none dead.
  const pairs = new Set([...acked].flatMap((id) => destinationsFor(sent.get(id).kind).map((d) => `${id} ${d}`)));
  // (about 6 500 rows: below the admin API's 10 000 a page, which trace() asserts)
  const rows = await settled(gate, { from: 0, pairs, timeoutMs: 60_000 });
  for (const pair of pairs) {
    const [id, destination] = pair.split(' ');
    const want = expectedDecision(destination, sent.get(id).granted);
    assert.equal(rows.get(pair).state, want.state, `${pair}: ${JSON.stringify(rows.get(pair))}`);
  }
  const copies = Object.values(gate.rx.state).reduce((k, d) => k + [...d.copies.values()].filter((c) => c > 1).length, 0);
  t.diagnostic(`${acked.size} acknowledged events delivered; ${copies} deliveries arrived more than once (deduplicated)`);
  for (const id of Object.keys(DESTINATIONS)) gate.rx.slow(id, 0);
});

test('a destination failing with 503 for a while gets the whole backlog once it recovers', async () => {
  gate.rx.reset();
  const from = Date.now();
  const receipt = (await recordChoice(gate, { action: 'accept_all' })).id;
  gate.rx.fail('hook', { status: 503, forMs: 1_500 });
  const ids = Array.from({ length: 120 }, (_, i) => `backlog-${from}-${i}`);
  for (let i = 0; i < ids.length; i += 40) {
    assert.ok(await postBatch(gate.server.origin, ids.slice(i, i + 40).map((id) => message('track', id, receipt))));
  }
  await waitFor(() => gate.rx.state.hook.failed > 0, { what: 'the hook to refuse something', timeoutMs: 10_000 });
  await waitFor(() => ids.every((id) => gate.rx.has('hook', id)), { what: 'the backlog at the hook', timeoutMs: 30_000 });
  const pairs = new Set(ids.flatMap((id) => destinationsFor('track').map((d) => `${id} ${d}`)));
  const rows = await settled(gate, { from, pairs });
  for (const id of ids) {
    const hook = rows.get(`${id} hook`);
    assert.equal(hook.state, 'forwarded');
    assert.ok(hook.attempts > 1, `the hook's delivery was retried: ${JSON.stringify(hook)}`);
    for (const d of ['ga4', 'meta', 'adhook', 'warehouse']) {
      assert.equal(rows.get(`${id} ${d}`).state, 'forwarded');
      assert.equal(rows.get(`${id} ${d}`).attempts, 1, `${d} was not held up by the hook`);
    }
  }
  assert.ok(gate.rx.state.hook.failed >= 1);
  assert.deepEqual(gate.rx.problems(), []);
});

test('a destination failing for good ends in dead letters; the admin API lists them and replays one', async () => {
  gate.rx.reset();
  const from = Date.now();
  const receipt = (await recordChoice(gate, { action: 'accept_all' })).id;
  gate.rx.fail('ga4', { status: 500 }); // for ever: retried up to max_attempts
  gate.rx.fail('adhook', { status: 400 }); // retrying cannot help: dead at once
  const ids = Array.from({ length: 5 }, (_, i) => `dead-${from}-${i}`);
  assert.ok(await postBatch(gate.server.origin, ids.map((id) => message('track', id, receipt))));
  const pairs = new Set(ids.flatMap((id) => destinationsFor('track').map((d) => `${id} ${d}`)));
  const rows = await settled(gate, { from, pairs, timeoutMs: 60_000 });
  for (const id of ids) {
    assert.equal(rows.get(`${id} ga4`).state, 'dead');
    assert.equal(rows.get(`${id} ga4`).attempts, MAX_ATTEMPTS);
    assert.equal(rows.get(`${id} adhook`).state, 'dead');
    assert.equal(rows.get(`${id} adhook`).attempts, 1, 'a 400 is not retried');
    for (const d of ['hook', 'meta', 'warehouse']) assert.equal(rows.get(`${id} ${d}`).state, 'forwarded');
  }
  // Every attempt carried the same idempotency key.
  const keys = new Set(gate.rx.state.ga4.requests.map((r) => r.headers['idempotency-key']));
  assert.equal(keys.size, ids.length);
  assert.equal(gate.rx.state.ga4.requests.length, ids.length * MAX_ATTEMPTS);

  const dead = await admin(gate, '/v1/admin/gate/dead');
  assert.equal(dead.status, 200);
  const listed = dead.body.dead.filter((r) => ids.includes(r.message_id));
  assert.deepEqual(listed.map((r) => `${r.message_id} ${r.destination}`).sort(),
    ids.flatMap((id) => [`${id} adhook`, `${id} ga4`]).sort());
  assert.ok(listed.every((r) => r.state === 'dead' && typeof r.reason === 'string' && r.reason.length > 0), JSON.stringify(listed[0]));
  assert.ok(!JSON.stringify(listed).includes('ga4-api-secret'), 'no credential in a dead letter');

  // Replay one once the destination works again: it is queued, judged again and delivered.
  gate.rx.heal('ga4');
  const replay = await admin(gate, '/v1/admin/gate/replay', { method: 'POST', body: JSON.stringify({ site: SITE, message_id: ids[0], destination: 'ga4' }) });
  assert.equal(replay.status, 200, JSON.stringify(replay.body));
  assert.deepEqual(replay.body, { replayed: true });
  await waitFor(() => gate.rx.has('ga4', ids[0]), { what: 'the replayed event at GA4', timeoutMs: 15_000 });
  const after = await waitFor(async () => {
    const rs = await trace(gate, { from });
    const row = rs.find((r) => r.message_id === ids[0] && r.destination === 'ga4');
    return row?.state === 'forwarded' && rs;
  }, { what: 'the replayed delivery to be forwarded' });
  for (const id of ids.slice(1)) assert.equal(after.find((r) => r.message_id === id && r.destination === 'ga4').state, 'dead', 'only the replayed one moved');
  const still = (await admin(gate, '/v1/admin/gate/dead')).body.dead.filter((r) => ids.includes(r.message_id));
  assert.equal(still.length, ids.length * 2 - 1);
  assert.equal(gate.rx.state.ga4.copies.get(idempotencyKey(SITE, ids[0], 'ga4')), 1);

  // What cannot be replayed is a problem, and the admin API needs its token.
  const again = await admin(gate, '/v1/admin/gate/replay', { method: 'POST', body: JSON.stringify({ site: SITE, message_id: ids[0], destination: 'ga4' }) });
  assert.equal(again.status, 409);
  assert.equal(again.type, 'application/problem+json');
  const unknown = await admin(gate, '/v1/admin/gate/replay', { method: 'POST', body: JSON.stringify({ site: SITE, message_id: ids[1], destination: 'nowhere' }) });
  assert.equal(unknown.status, 409);
  const badBody = await admin(gate, '/v1/admin/gate/replay', { method: 'POST', body: JSON.stringify({ site: SITE, message: ids[1] }) });
  assert.ok(badBody.status >= 400 && badBody.status < 500, `${badBody.status}`);
  assert.equal(badBody.type, 'application/problem+json');
  const anonymous = await fetch(`${gate.server.origin}/v1/admin/gate/dead`);
  assert.equal(anonymous.status, 401);
  gate.rx.heal('adhook');
});
