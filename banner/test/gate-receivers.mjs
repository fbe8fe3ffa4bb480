// Loopback stand-ins for the consent gate's destinations: one node http server on a free port
// with a path per destination of examples/gate/destinations.toml, each speaking (and checking)
// the published API of its kind:
//
//   /hook, /adhook                 webhook: X-Kapsel-Signature = "sha256=" + hex HMAC-SHA256(secret,
//                                  timestamp + "." + body), X-Kapsel-Timestamp in ms; {events:[...]}
//   /mp/collect                    GA4 Measurement Protocol (measurement_id + api_secret in the query)
//   /meta/<pixel_id>/events        Meta Conversions API (access_token in the query)
//   /warehouse/v1/batch            Segment HTTP Tracking API (Basic auth with the write key)
//
// Every request is recorded (headers and raw body). A payload that breaks its API's field
// spec is answered 400 and its problems are recorded, so a test asserts `problems` is empty.
// Accepted events are deduplicated on the API's idempotency key (GA4: Idempotency-Key header;
// Meta: event_id; webhook: events[].idempotency_key; Segment: messageId): `events(dest)` holds
// each event once, `copies` counts how often it came.
//
// Failures on demand, per destination: fail(dest, {status: 503, forMs}) or {times} answers that
// status for a while; fail(dest, {status: 500}) or {status: 400} without a bound answers it
// for ever; heal(dest) stops it; slow(dest, ms) answers late. Nothing here needs the network beyond loopback.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

/** The destinations of examples/gate/destinations.toml, their receiver paths and credentials (examples/gate/settings.toml). */
export const DESTINATIONS = {
  hook: { kind: 'webhook', path: '/hook', categories: ['analytics'], credentials: { secret: 'hook-signing-secret' } },
  ga4: { kind: 'ga4', path: '/mp/collect', categories: ['analytics'], credentials: { measurement_id: 'G-EXAMPLE1', api_secret: 'ga4-api-secret' } },
  meta: { kind: 'meta', path: '/meta', categories: ['marketing'], credentials: { pixel_id: '1234567890', access_token: 'meta-access-token' } },
  adhook: { kind: 'webhook', path: '/adhook', categories: ['analytics', 'marketing'], credentials: { secret: 'adhook-signing-secret' } },
  warehouse: { kind: 'segment', path: '/warehouse', categories: ['necessary'], credentials: { write_key: 'warehouse-write-key' } },
};

/** Message types each kind of destination takes (the adapters' `accepts`): others are never queued for it. */
export const ACCEPTS = {
  webhook: ['track', 'page', 'screen', 'identify', 'group', 'alias'],
  segment: ['track', 'page', 'screen', 'identify', 'group', 'alias'],
  ga4: ['track', 'page', 'screen'],
  meta: ['track', 'page'],
};

/** Kapsel's idempotency key of an event at a destination (kapsel_gate::idempotency_key): 16 bytes of SHA-256, hex. */
export function idempotencyKey(site, messageId, destination) {
  return createHash('sha256').update(`${destination}\n${site}\n${messageId}`).digest('hex').slice(0, 32);
}

// GA4 Measurement Protocol limits and reserved names (developers.google.com/analytics/devguides/collection/protocol/ga4/reference).
const GA4_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const GA4_RESERVED = new Set(['ad_activeview', 'ad_click', 'ad_exposure', 'ad_impression', 'ad_query', 'ad_reward',
  'adunit_exposure', 'app_background', 'app_clear_data', 'app_exception', 'app_remove', 'app_store_refund',
  'app_store_subscription_cancel', 'app_store_subscription_convert', 'app_store_subscription_renew', 'app_update',
  'app_upgrade', 'dynamic_link_app_open', 'dynamic_link_app_update', 'dynamic_link_first_open', 'error', 'firebase_campaign',
  'firebase_in_app_message_action', 'firebase_in_app_message_dismiss', 'firebase_in_app_message_impression', 'first_open',
  'first_visit', 'in_app_purchase', 'notification_dismiss', 'notification_foreground', 'notification_open',
  'notification_receive', 'os_update', 'session_start', 'session_start_with_rollout', 'user_engagement']);
const GA4_RESERVED_PREFIX = /^(_|firebase_|ga_|google_|gtag\.)/;
const GA4_CONSENT = new Set(['GRANTED', 'DENIED']);
const GA4_TOP = new Set(['client_id', 'user_id', 'timestamp_micros', 'user_properties', 'user_data', 'consent',
  'non_personalized_ads', 'events', 'user_location', 'device', 'ip_override', 'validation_behavior']);
// Meta Conversions API customer information parameters that must be SHA-256 hashes (in arrays).
const META_HASHED = ['em', 'ph', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country', 'external_id'];
const META_EVENT_KEYS = new Set(['event_name', 'event_time', 'event_id', 'action_source', 'event_source_url',
  'user_data', 'custom_data', 'opt_out', 'data_processing_options', 'data_processing_options_country',
  'data_processing_options_state', 'referrer_url', 'customer_segmentation']);
const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;
const SEGMENT_TYPES = new Set(['track', 'page', 'screen', 'identify', 'group', 'alias']);

function plainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Problems of a GA4 MP body (one request = one client). */
function checkGa4(body, url, headers, creds) {
  const p = [];
  if (url.searchParams.get('measurement_id') !== creds.measurement_id) p.push('query measurement_id is wrong');
  if (url.searchParams.get('api_secret') !== creds.api_secret) p.push('query api_secret is wrong');
  if (!headers['idempotency-key']) p.push('Idempotency-Key header missing');
  if (!plainObject(body)) return [...p, 'body is not an object'];
  for (const key of Object.keys(body)) if (!GA4_TOP.has(key)) p.push(`unknown top-level field ${key}`);
  if (typeof body.client_id !== 'string' || body.client_id === '') p.push('client_id is required (a non-empty string)');
  if ('user_id' in body && (typeof body.user_id !== 'string' || body.user_id.length > 256)) p.push('user_id must be a string of at most 256 characters');
  if ('timestamp_micros' in body) {
    const t = body.timestamp_micros;
    // GA4 takes events up to 72 hours back; a value in ms or s instead of µs is far off.
    if (!Number.isInteger(t) || Math.abs(t / 1000 - Date.now()) > 72 * 3600_000) p.push(`timestamp_micros ${t} is not a recent time in microseconds`);
  }
  if ('consent' in body) {
    if (!plainObject(body.consent)) p.push('consent must be an object');
    else {
      for (const [key, value] of Object.entries(body.consent)) {
        if (!['ad_user_data', 'ad_personalization'].includes(key)) p.push(`consent.${key} is not a consent field`);
        else if (!GA4_CONSENT.has(value)) p.push(`consent.${key} must be GRANTED or DENIED, not ${JSON.stringify(value)}`);
      }
    }
  }
  if (!Array.isArray(body.events) || body.events.length < 1 || body.events.length > 25) return [...p, 'events must be an array of 1 to 25 events'];
  body.events.forEach((event, i) => {
    const at = `events[${i}]`;
    if (!plainObject(event)) { p.push(`${at} is not an object`); return; }
    const name = event.name;
    if (typeof name !== 'string' || !GA4_NAME.test(name)) p.push(`${at}.name ${JSON.stringify(name)}: letters, digits and _ only, starting with a letter`);
    else {
      if (name.length > 40) p.push(`${at}.name is longer than 40 characters`);
      if (GA4_RESERVED.has(name) || GA4_RESERVED_PREFIX.test(name)) p.push(`${at}.name ${name} is reserved`);
    }
    if ('params' in event) {
      if (!plainObject(event.params)) { p.push(`${at}.params must be an object`); return; }
      const entries = Object.entries(event.params);
      if (entries.length > 25) p.push(`${at}.params has ${entries.length} parameters (at most 25)`);
      for (const [key, value] of entries) {
        if (!GA4_NAME.test(key) || key.length > 40) p.push(`${at}.params.${key}: name breaks GA4's rules`);
        if (GA4_RESERVED_PREFIX.test(key)) p.push(`${at}.params.${key}: reserved prefix`);
        if (key === 'items') {
          if (!Array.isArray(value) || value.some((item) => !plainObject(item))) p.push(`${at}.params.items must be an array of objects`);
        } else if (typeof value === 'string') {
          if (value.length > 100) p.push(`${at}.params.${key} is longer than 100 characters`);
        } else if (typeof value !== 'number' && typeof value !== 'boolean') {
          p.push(`${at}.params.${key} must be a string, number or boolean`);
        }
      }
    }
  });
  return p;
}

/** Problems of a Meta CAPI body. */
function checkMeta(body, url, creds) {
  const p = [];
  if (url.pathname !== `/meta/${creds.pixel_id}/events`) p.push(`path ${url.pathname} is not /meta/${creds.pixel_id}/events`);
  if (url.searchParams.get('access_token') !== creds.access_token) p.push('query access_token is wrong');
  if (!plainObject(body) || !Array.isArray(body.data) || body.data.length < 1 || body.data.length > 1000) {
    return [...p, 'body must be {data: [1 to 1000 events]}'];
  }
  const nowS = Date.now() / 1000;
  body.data.forEach((event, i) => {
    const at = `data[${i}]`;
    if (!plainObject(event)) { p.push(`${at} is not an object`); return; }
    for (const key of Object.keys(event)) if (!META_EVENT_KEYS.has(key)) p.push(`${at}.${key} is not a server event parameter`);
    if (typeof event.event_name !== 'string' || event.event_name === '') p.push(`${at}.event_name is required`);
    // Unix seconds, at most 7 days old and not in the future (a value in ms is far in the future).
    if (!Number.isInteger(event.event_time) || event.event_time > nowS + 60 || event.event_time < nowS - 7 * 86_400) {
      p.push(`${at}.event_time ${event.event_time} is not a unix time in seconds within the last 7 days`);
    }
    if (typeof event.event_id !== 'string' || event.event_id === '') p.push(`${at}.event_id is required (deduplication)`);
    if (event.action_source !== 'website') p.push(`${at}.action_source must be "website"`);
    if ('event_source_url' in event && !/^https?:\/\//.test(event.event_source_url)) p.push(`${at}.event_source_url is not a URL`);
    const user = event.user_data;
    if (!plainObject(user)) { p.push(`${at}.user_data is required`); return; }
    if ('client_ip_address' in user) p.push(`${at}.user_data.client_ip_address must not be sent`);
    for (const key of Object.keys(user)) {
      if (META_HASHED.includes(key)) {
        const v = user[key];
        if (!Array.isArray(v) || v.length === 0 || v.some((h) => typeof h !== 'string' || !HEX64.test(h))) {
          p.push(`${at}.user_data.${key} must be an array of SHA-256 hex hashes`);
        }
      } else if (key === 'client_user_agent') {
        if (typeof user[key] !== 'string') p.push(`${at}.user_data.client_user_agent must be a string`);
      } else if (!['fbc', 'fbp', 'subscription_id', 'lead_id', 'madid', 'anon_id'].includes(key)) {
        p.push(`${at}.user_data.${key} is not a customer information parameter`);
      }
    }
    if ('custom_data' in event) {
      const c = event.custom_data;
      if (!plainObject(c)) p.push(`${at}.custom_data must be an object`);
      else {
        if ('value' in c && typeof c.value !== 'number') p.push(`${at}.custom_data.value must be a number`);
        if ('currency' in c && !/^[a-z]{3}$/i.test(c.currency)) p.push(`${at}.custom_data.currency must be an ISO 4217 code`);
      }
    }
  });
  return p;
}

/** Problems of a signed webhook request. */
function checkWebhook(raw, body, headers, creds) {
  const p = [];
  const stamp = headers['x-kapsel-timestamp'];
  const given = headers['x-kapsel-signature'];
  if (!/^\d+$/.test(stamp ?? '')) p.push('X-Kapsel-Timestamp missing or not digits');
  else if (Math.abs(Number(stamp) - Date.now()) > 5 * 60_000) p.push(`X-Kapsel-Timestamp ${stamp} is not now (in ms)`);
  const wanted = `sha256=${createHmac('sha256', creds.secret).update(`${stamp}.`).update(raw).digest('hex')}`;
  if (typeof given !== 'string' || given.length !== wanted.length || !timingSafeEqual(Buffer.from(given), Buffer.from(wanted))) {
    p.push('X-Kapsel-Signature does not verify');
  }
  if (headers['content-type'] !== 'application/json') p.push('Content-Type is not application/json');
  if (!plainObject(body) || !Array.isArray(body.events) || body.events.length === 0) return [...p, 'body must be {events: [...]}'];
  body.events.forEach((event, i) => {
    const at = `events[${i}]`;
    if (!plainObject(event) || !HEX32.test(event.idempotency_key ?? '')) p.push(`${at}.idempotency_key must be 32 hex digits`);
    if (!SEGMENT_TYPES.has(event?.type)) p.push(`${at}.type is not a message type`);
    if (!plainObject(event?.message) || event.message.type !== event.type || typeof event.message.messageId !== 'string') {
      p.push(`${at}.message must be the message, with its type and messageId`);
    }
  });
  return p;
}

/** Problems of a Segment batch. */
function checkSegment(body, url, headers, creds) {
  const p = [];
  if (url.pathname !== '/warehouse/v1/batch') p.push(`path ${url.pathname} is not /warehouse/v1/batch`);
  const wanted = `Basic ${Buffer.from(`${creds.write_key}:`).toString('base64')}`;
  if (headers.authorization !== wanted) p.push('Authorization is not Basic <write key>:');
  if (!plainObject(body) || !Array.isArray(body.batch) || body.batch.length === 0) return [...p, 'body must be {batch: [...]}'];
  if (Buffer.byteLength(JSON.stringify(body)) > 500 * 1024) p.push('batch over 500 KB');
  body.batch.forEach((m, i) => {
    if (!plainObject(m) || typeof m.messageId !== 'string' || !SEGMENT_TYPES.has(m.type)) p.push(`batch[${i}] needs a type and a messageId`);
    else if (Buffer.byteLength(JSON.stringify(m)) > 32 * 1024) p.push(`batch[${i}] over 32 KB`);
    // "Every call must include either a userId or an anonymousId" (Segment's spec; Kapsel's own
    // ingest refuses such a message, and with it the whole batch).
    else if (!['userId', 'anonymousId'].some((k) => typeof m[k] === 'string' && m[k] !== '')) {
      p.push(`batch[${i}] (${m.type}) has neither a userId nor an anonymousId`);
    }
  });
  return p;
}

/** The destination a request path belongs to. */
function destinationOf(pathname) {
  if (pathname === '/hook') return 'hook';
  if (pathname === '/adhook') return 'adhook';
  if (pathname === '/mp/collect') return 'ga4';
  if (pathname.startsWith('/meta/')) return 'meta';
  if (pathname.startsWith('/warehouse/')) return 'warehouse';
  return null;
}

/**
 * Starts the receivers on 127.0.0.1 (a free port unless `port`). `site` is the site whose
 * events come (for the idempotency keys of Segment's messageIds).
 */
export async function startReceivers({ port = 0, site = 'demo' } = {}) {
  const state = {};
  const reset = () => {
    for (const id of Object.keys(DESTINATIONS)) {
      state[id] = { requests: [], problems: [], events: new Map(), copies: new Map(), failure: null, failed: 0, delayMs: 0 };
    }
  };
  reset();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url, 'http://127.0.0.1');
      const id = destinationOf(url.pathname);
      const dest = id ? state[id] : null;
      const answer = (status, body) => {
        const send = () => {
          res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
          res.end(body === undefined ? undefined : JSON.stringify(body));
        };
        if (dest?.delayMs) setTimeout(send, dest.delayMs); else send();
      };
      if (!id || req.method !== 'POST') return answer(404, { error: 'no such receiver' });
      const spec = DESTINATIONS[id];
      const text = raw.toString('utf8');
      dest.requests.push({ at: Date.now(), url: req.url, headers: req.headers, body: text });
      const f = dest.failure;
      if (f && (f.until === undefined || Date.now() < f.until) && (f.times === undefined || f.times > 0)) {
        if (f.times !== undefined) f.times -= 1;
        dest.failed += 1;
        return answer(f.status, { error: 'failing on purpose' });
      }
      let body;
      try { body = JSON.parse(text); } catch { body = undefined; }
      let problems;
      if (body === undefined) problems = ['body is not JSON'];
      else if (spec.kind === 'ga4') problems = checkGa4(body, url, req.headers, spec.credentials);
      else if (spec.kind === 'meta') problems = checkMeta(body, url, spec.credentials);
      else if (spec.kind === 'webhook') problems = checkWebhook(raw, body, req.headers, spec.credentials);
      else problems = checkSegment(body, url, req.headers, spec.credentials);
      if (problems.length) {
        dest.problems.push({ url: req.url, problems, body: text.slice(0, 2000) });
        return answer(400, { error: { message: problems.join('; ') } });
      }
      // One entry per event: [idempotency key, what the destination received of it].
      let items;
      if (spec.kind === 'ga4') items = [[req.headers['idempotency-key'], body]];
      else if (spec.kind === 'meta') items = body.data.map((e) => [e.event_id, e]);
      else if (spec.kind === 'webhook') items = body.events.map((e) => [e.idempotency_key, e.message]);
      else items = body.batch.map((m) => [idempotencyKey(site, m.messageId, id), m]);
      for (const [key, item] of items) {
        dest.copies.set(key, (dest.copies.get(key) ?? 0) + 1);
        if (!dest.events.has(key)) dest.events.set(key, item);
      }
      if (spec.kind === 'meta') return answer(200, { events_received: items.length, messages: [], fbtrace_id: 'test' });
      return answer(spec.kind === 'ga4' ? 204 : 200, spec.kind === 'ga4' ? undefined : { success: true });
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = server.address().port;
  const origin = `http://127.0.0.1:${bound}`;
  return {
    port: bound,
    origin,
    state,
    reset,
    /** The receiver URL of a destination, as its `[destinations.ID] url` setting. */
    url: (id) => `${origin}${DESTINATIONS[id].path}`,
    /** The event a destination holds for `messageId` (deduplicated), or undefined. */
    event: (id, messageId) => state[id].events.get(idempotencyKey(site, messageId, id)),
    has: (id, messageId) => state[id].events.has(idempotencyKey(site, messageId, id)),
    /** Every accepted event of a destination. */
    events: (id) => [...state[id].events.values()],
    /** Every problem any receiver found, as "dest: problem" lines. */
    problems: () => Object.entries(state).flatMap(([id, d]) => d.problems.flatMap((x) => x.problems.map((m) => `${id}: ${m}`))),
    /** Every raw request body any receiver got. */
    bodies: () => Object.entries(state).flatMap(([id, d]) => d.requests.map((r) => ({ id, body: r.body, url: r.url }))),
    /** Answers `status` to `id` for `forMs` ms, `times` requests, or (neither) for ever. */
    fail: (id, { status = 503, forMs, times } = {}) => {
      state[id].failure = { status, until: forMs === undefined ? undefined : Date.now() + forMs, times };
    },
    heal: (id) => { state[id].failure = null; },
    /** Answers `id`'s requests `ms` late (after recording them): deliveries stay in flight longer. */
    slow: (id, ms) => { state[id].delayMs = ms; },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/** The settings file text for `kapsel serve --settings` pointing every destination at `receivers`. */
export function gateSettings(receivers, { writeKey = 'demo-write-key-0001', adminToken, gate = {} } = {}) {
  const lines = ['[gate]'];
  for (const [key, value] of Object.entries(gate)) lines.push(`${key} = ${JSON.stringify(value)}`);
  lines.push('', '[gate.write_keys]', `demo = ${JSON.stringify(writeKey)}`);
  if (adminToken) lines.push('', '[admin]', `token = ${JSON.stringify(adminToken)}`);
  for (const [id, spec] of Object.entries(DESTINATIONS)) {
    const url = id === 'meta' ? `${receivers.origin}/meta` : id === 'warehouse' ? `${receivers.origin}/warehouse` : receivers.url(id);
    const creds = Object.entries(spec.credentials).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ');
    lines.push('', `[destinations.${id}]`, `url = ${JSON.stringify(url)}`, `credentials = { ${creds} }`);
  }
  return `${lines.join('\n')}\n`;
}
