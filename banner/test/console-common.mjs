// Shared steps of the console's browser tests (console.test.mjs): a privacy file with a dataset
// and a retention rule (so holds have a target), accounts made with `kapsel user add` before the
// server starts, an RFC 6238 TOTP of our own, a cookie-carrying HTTP client for node-side
// requests, and the checks every console HTML answer must pass (the script-free CSP,
// X-Frame-Options, no-store, no inline script, style or event handler), applied to node
// answers and to every document Chromium loads, with the page's `securitypolicyviolation`
// events and CSP console messages collected. Every name, address and password is fictional.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE, ROOT, newPage, start } from './harness.mjs';

export const BINARY = join(ROOT, 'target', 'debug', 'kapsel');
export const LANGS = ['nb', 'nn', 'en'];

// The product's words the tests look for (crates/server/src/console/words/{nb,nn,en}.rs, and the
// case states of crates/server/src/desk/texts.rs), written out so that a page in the wrong
// language, or with another message, fails.
export const WORDS = {
  nb: {
    wrong: 'Feil brukernavn eller passord.',
    throttled: 'For mange mislykkede forsøk. Vent 15 minutter og prøv igjen.',
    wrongCode: 'Koden stemmer ikke. Prøv den neste koden appen viser.',
    signedOut: 'Du er logget ut.',
    everywhere: 'Du er logget ut på alle enheter.',
    ended: 'Økten er avsluttet. Logg inn på nytt.',
    forbidden: 'Rollen din gir ikke tilgang til dette.',
    notFound: 'Fant ikke siden.',
    origin: 'Skjemaet kom fra et annet nettsted enn konsollet.',
    csrf: 'Skjemaet er utløpt eller kommer fra en annen økt. Last siden på nytt og prøv igjen.',
    signIn: 'Logg inn',
    codeHeading: 'Totrinnsinnlogging',
    requests: 'Henvendelser',
    verified: 'Hel',
    actions: 'Handlinger',
    stateLabel: 'Status',
    actionDone: 'Registrert i sakens historikk.',
    actionRefused: 'Saken tillot ikke handlingen.',
    field: 'Et felt er for langt eller har ugyldige tegn:',
    dryRunShow: 'Vis prøvekjøring',
    dryRun: 'Prøvekjøring',
    dryRunHint: 'Prøvekjøringen leser databasene og endrer ingenting.',
    dataset: 'Datasett',
    handledSeparately: 'Håndteres utenfor databasene',
    backToCase: 'Tilbake til saken',
    planShow: 'Vis prøvekjøring',
    plan: 'Prøvekjøring av sletteregler',
    planHeader: ['Regel', 'Handling', 'Eldre enn', 'Rader i tabellen', 'Utløpt', 'Beholdes (sletteforbud)', 'Eldste', 'Merknad'],
    planOverLimit: 'Over sikkerhetsgrensen (50 % av tabellen): kjøres bare med «kapsel retention run --confirm».',
    planFailed: 'Noen regler kunne ikke prøvekjøres:',
    planHeldBy: 'Stoppes av sletteforbud',
    planDelete: 'Slette rader',
    states: { received: 'Mottatt, ikke bekreftet ennå', verified: 'Bekreftet', inProgress: 'Under behandling', completed: 'Besvart' },
    missing: 'Et obligatorisk felt er tomt:',
    buttons: { verify: 'Marker identiteten som bekreftet', run: 'Gjennomfør forespørselen', taskDone: 'Marker oppgaven som utført', complete: 'Send svaret og avslutt saken', note: 'Legg til notat' },
  },
  nn: {
    wrong: 'Feil brukarnamn eller passord.',
    throttled: 'For mange mislukka forsøk. Vent 15 minutt og prøv igjen.',
    wrongCode: 'Koden stemmer ikkje. Prøv den neste koden appen viser.',
    signedOut: 'Du er logga ut.',
    everywhere: 'Du er logga ut på alle einingar.',
    ended: 'Økta er avslutta. Logg inn på nytt.',
    forbidden: 'Rolla di gjev ikkje tilgang til dette.',
    notFound: 'Fann ikkje sida.',
    origin: 'Skjemaet kom frå ein annan nettstad enn konsollet.',
    csrf: 'Skjemaet har gått ut eller kjem frå ei anna økt. Last sida på nytt og prøv igjen.',
    signIn: 'Logg inn',
    codeHeading: 'Totrinnsinnlogging',
    requests: 'Førespurnader',
    verified: 'Heil',
    actions: 'Handlingar',
    stateLabel: 'Status',
    actionDone: 'Registrert i historikken til saka.',
    actionRefused: 'Saka tillét ikkje handlinga.',
    field: 'Eit felt er for langt eller har ugyldige teikn:',
    dryRunShow: 'Vis prøvekøyring',
    dryRun: 'Prøvekøyring',
    dryRunHint: 'Prøvekøyringa les databasane og endrar ingenting.',
    dataset: 'Datasett',
    handledSeparately: 'Vert handtert utanfor databasane',
    backToCase: 'Tilbake til saka',
    planShow: 'Vis prøvekøyring',
    plan: 'Prøvekøyring av slettereglar',
    planHeader: ['Regel', 'Handling', 'Eldre enn', 'Rader i tabellen', 'Utgått', 'Vert haldne (slettestopp)', 'Eldste', 'Merknad'],
    planOverLimit: 'Over tryggleiksgrensa (50 % av tabellen): vert berre køyrd med «kapsel retention run --confirm».',
    planFailed: 'Nokre reglar kunne ikkje prøvekøyrast:',
    planHeldBy: 'Vert stoppa av slettestopp',
    planDelete: 'Slette rader',
    states: { received: 'Motteken, ikkje stadfesta enno', verified: 'Stadfesta', inProgress: 'Under handsaming', completed: 'Svara' },
    missing: 'Eit obligatorisk felt er tomt:',
    buttons: { verify: 'Merk identiteten som stadfesta', run: 'Gjennomfør førespurnaden', taskDone: 'Merk oppgåva som utført', complete: 'Send svaret og avslutt saka', note: 'Legg til notat' },
  },
  en: {
    wrong: 'Wrong user name or password.',
    throttled: 'Too many failed attempts. Wait 15 minutes and try again.',
    wrongCode: 'The code does not match. Try the next code your app shows.',
    signedOut: 'You are signed out.',
    everywhere: 'You are signed out on every device.',
    ended: 'Your session has ended. Please sign in again.',
    forbidden: 'Your role does not give access to this.',
    notFound: 'Page not found.',
    origin: 'The form came from another site than the console.',
    csrf: 'The form has expired or belongs to another session. Reload the page and try again.',
    signIn: 'Sign in',
    codeHeading: 'Two-step sign-in',
    requests: 'Requests',
    verified: 'Intact',
    actions: 'Actions',
    stateLabel: 'State',
    actionDone: "Recorded in the case's history.",
    actionRefused: 'The case did not allow the action.',
    field: 'A field is too long or holds characters that are not allowed:',
    dryRunShow: 'Show a dry run',
    dryRun: 'Dry run',
    dryRunHint: 'The dry run reads the databases and changes nothing.',
    dataset: 'Dataset',
    handledSeparately: 'Handled outside the databases',
    backToCase: 'Back to the case',
    planShow: 'Show a dry run',
    plan: 'Retention dry run',
    planHeader: ['Rule', 'Action', 'Older than', 'Rows in the table', 'Expired', 'Kept (legal hold)', 'Oldest', 'Note'],
    planOverLimit: 'Over the safety limit (50 % of the table): runs only with “kapsel retention run --confirm”.',
    planFailed: 'Some rules could not be dry-run:',
    planHeldBy: 'Stopped by hold',
    planDelete: 'Delete rows',
    states: { received: 'Received, not verified yet', verified: 'Verified', inProgress: 'In progress', completed: 'Answered' },
    missing: 'A required field is empty:',
    buttons: { verify: 'Mark the identity as verified', run: 'Carry out the request', taskDone: 'Mark the task as done', complete: 'Send the answer and complete the case', note: 'Add the note' },
  },
};

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238 over RFC 4226 HOTP: HMAC-SHA-1, 6 digits, 30 s steps), written here so that the
// test does not trust the product's own implementation.

/** RFC 4648 base32 (no padding needed) to bytes. */
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const index = alphabet.indexOf(c);
    if (index < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The HOTP value of `counter` under `key` with `digits` digits. */
export function hotp(key, counter, digits = 6) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The TOTP code of `secret` (base32) at `atMs`, `offset` steps away. */
export function totp(secret, atMs = Date.now(), offset = 0) {
  return hotp(base32Decode(secret), Math.floor(atMs / 30_000) + offset);
}

/** A six-digit code that no step within ±`span` of now accepts. */
export function wrongCode(secret, span = 3) {
  const near = new Set();
  for (let i = -span; i <= span; i++) near.add(totp(secret, Date.now(), i));
  for (let n = 0; ; n++) {
    const code = String((123_456 + n * 7_919) % 1_000_000).padStart(6, '0');
    if (!near.has(code)) return code;
  }
}

// ---------------------------------------------------------------------------------------------
// The world: privacy file, accounts, server.

/** What the example privacy file gets appended: two datasets and a rule, so that holds have targets. */
const ADDITIONS = `
# Added by banner/test/console.test.mjs: a manual archive and a SQLite shop with one rule, so that
# the console's retention page has rules and its holds have targets. Fictional.
[[datasets]]
id = "archive"
engine = "manual"
instructions = "Find the customer's folder in the paper archive and shred it."

[[datasets]]
id = "shop"
connection = "shop"
engine = "sqlite"

[[datasets.tables]]
name = "bookings"
primary_key = "id"
identity = { email = "email" }
[datasets.tables.fields]
email = { category = "contact", activity = "accounting", erasure = "delete_row" }

[[retention]]
id = "bookings-accounting"
activity = "accounting"
dataset = "shop"
table = "bookings"
timestamp = "booked_at"
counted_from = "end_of_year"
period = "5 years"
ground = "bokføringsloven § 13"
action = "delete"
`;

/** `kapsel ARGS…` with `input` on stdin; throws with its output unless it exits 0. */
export function kapsel(args, input = '') {
  const run = spawnSync(BINARY, args, { cwd: ROOT, input, encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, `kapsel ${args.join(' ')} exited ${run.status}\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

/** Adds an account (the password on stdin); with `totp`, returns its base32 secret. */
export function addUser(data, name, role, password, { totp: second = false } = {}) {
  const out = kapsel(['user', 'add', name, '--role', role, ...(second ? ['--totp'] : []), '--data', data], `${password}\n`);
  if (!second) return null;
  const match = /^\s*secret:\s*([A-Z2-7]+)\s*$/m.exec(out);
  assert.ok(match, `no secret line in:\n${out}`);
  return match[1];
}

/**
 * A scratch directory with the privacy file (example + ADDITIONS), a SQLite file for the shop
 * (when python3 can make one) and a data directory; `accounts(data)` runs before the server
 * starts. Options: `bookings`, rows [email, booked_at] put in the shop's table before the
 * server starts (a test that needs them asserts the shop was made: `shop` is null otherwise);
 * `settings`, the text of a settings file passed with `--settings`.
 * Returns { server, scratch, data, config, revision, shop, close }.
 */
export async function startConsole(accounts, { bookings = [], settings } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'kapsel-console-test-'));
  const data = join(scratch, 'data');
  mkdirSync(data);
  const config = join(scratch, 'kapsel.toml');
  writeFileSync(config, `${readFileSync(EXAMPLE, 'utf8')}\n${ADDITIONS}`);
  const check = spawnSync(BINARY, ['check', config], { encoding: 'utf8' });
  const match = /site www revision (\w+)/.exec(check.stdout + check.stderr);
  assert.ok(match, check.stdout + check.stderr);
  const env = {};
  const shop = join(scratch, 'shop.db');
  const made = spawnSync('python3', ['-c',
    'import json, sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\n' +
    'c.execute("CREATE TABLE bookings (id INTEGER PRIMARY KEY, email TEXT, booked_at TEXT)")\n' +
    'c.executemany("INSERT INTO bookings (email, booked_at) VALUES (?, ?)", json.loads(sys.argv[2]))\nc.commit()\nc.close()',
    shop, JSON.stringify(bookings)],
  { encoding: 'utf8' });
  if (made.status === 0) env.KAPSEL_CONNECTORS__SHOP__URL = `sqlite://${shop}`;
  else console.log('note: python3 could not make the shop database; the retention rule will only warn');
  let server;
  try {
    await accounts(data);
    let settingsFile;
    if (settings !== undefined) {
      settingsFile = join(scratch, 'settings.toml');
      writeFileSync(settingsFile, settings);
    }
    server = await start({ config, data, env, settings: settingsFile });
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  return {
    server, scratch, data, config, revision: match[1], shop: made.status === 0 ? shop : null,
    close: async () => {
      await server.stop();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * Records a choice through the consent API for site `www`, as the banner sends it (every
 * category but `necessary` named, granted or not); returns the 201 body.
 */
export async function recordChoice(world, { action, language = 'en', granted = [] }) {
  const categories = ['functional', 'analytics', 'marketing'];
  const on = (c) => action === 'accept_all' || (action === 'custom' && granted.includes(c));
  const body = { site: 'www', revision: world.revision, language, action, gpc: false, services: {} };
  body.categories = Object.fromEntries(categories.map((c) => [c, on(c)]));
  const response = await fetch(`${world.server.origin}/v1/consent`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 201, `POST /v1/consent ${JSON.stringify(body)}: ${text}`);
  return JSON.parse(text);
}

/** Opens a request desk case through the public privacy centre's access form. */
export async function openCase(world, email) {
  const response = await fetch(`${world.server.origin}/sites/www/rights?lang=en`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ right: 'access', email }).toString(),
  });
  assert.equal(response.status, 200, await response.text());
}

/** A date `days` from today (UTC) as YYYY-MM-DD. */
export function isoDay(days = 0) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// What every console HTML answer must be.

/** Every console HTML answer checked so far (node and Chromium), and what was wrong with any. */
export const seen = { html: 0, problems: [], violations: [], consoleMessages: [] };

/** The problems of one HTML answer's headers and body (empty when it is as it must be). */
export function htmlProblems(url, headers, body) {
  const get = (name) => (typeof headers.get === 'function' ? headers.get(name) : headers[name]) ?? '';
  const problems = [];
  const csp = get('content-security-policy');
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim()).filter(Boolean)
    .map((d) => { const [name, ...values] = d.split(/\s+/); return [name, values]; }));
  if (!csp) problems.push('no Content-Security-Policy');
  if (/unsafe-inline|unsafe-eval|unsafe-hashes|strict-dynamic|nonce-|sha256-/.test(csp)) problems.push(`CSP allows inline code: ${csp}`);
  if (directives['default-src']?.join(' ') !== "'none'") problems.push(`default-src is not 'none': ${csp}`);
  if (directives['script-src'] && directives['script-src'].join(' ') !== "'none'") problems.push(`script-src allows scripts: ${csp}`);
  if (directives['frame-ancestors']?.join(' ') !== "'none'") problems.push(`frame-ancestors is not 'none': ${csp}`);
  if (directives['form-action']?.join(' ') !== "'self'") problems.push(`form-action is not 'self': ${csp}`);
  if (directives['base-uri']?.join(' ') !== "'none'") problems.push(`base-uri is not 'none': ${csp}`);
  if (get('x-frame-options').toUpperCase() !== 'DENY') problems.push(`X-Frame-Options is "${get('x-frame-options')}"`);
  if (!/no-store/.test(get('cache-control'))) problems.push(`Cache-Control is "${get('cache-control')}"`);
  if (/<script\b/i.test(body)) problems.push('a <script> element');
  // Attributes of the tags (quoted values blanked first, so that escaped text in a value is no attribute).
  for (const tag of body.match(/<[a-z][a-z0-9-]*(?:"[^"]*"|'[^']*'|[^'">])*>/gi) ?? []) {
    const attribute = /\s(on[a-z]+|style)\s*=/i.exec(tag.replace(/"[^"]*"|'[^']*'/g, '""'));
    if (attribute) problems.push(`an inline ${attribute[1]} attribute: ${tag.slice(0, 120)}`);
  }
  return problems.map((p) => `${url}: ${p}`);
}

/** Records and asserts one HTML answer. */
export function checkHtml(url, headers, body) {
  seen.html += 1;
  const problems = htmlProblems(url, headers, body);
  seen.problems.push(...problems);
  assert.deepEqual(problems, [], problems.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// A node-side client with one cookie jar entry: the console's session.

export class Client {
  constructor(world) {
    this.world = world;
    this.origin = world.server.base;
    this.cookie = null;
    this.csrf = null;
  }

  /** A request with the session cookie; HTML answers are checked (headers, no script). */
  async request(path, { method = 'GET', form, headers = {}, cookie = this.cookie } = {}) {
    const init = { method, redirect: 'manual', headers: { ...headers } };
    if (cookie) init.headers.cookie = `kapsel_console=${cookie}`;
    if (form) {
      init.headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
    }
    const url = `${this.origin}${path}`;
    const response = await fetch(url, init);
    const body = await response.text();
    const type = response.headers.get('content-type') ?? '';
    if (type.startsWith('text/html') && path.startsWith('/console')) checkHtml(`${method} ${path.slice(0, 120)}`, response.headers, body);
    const setCookie = response.headers.getSetCookie?.() ?? [];
    return { status: response.status, headers: response.headers, body, location: response.headers.get('location'), setCookie };
  }

  /** Signs in with a password (no TOTP): keeps the cookie and reads the form token. */
  async signIn(name, password, lang = 'en') {
    const answer = await this.request(`/console/sign-in?lang=${lang}`, { method: 'POST', form: { name, password } });
    assert.equal(answer.status, 303, `sign-in of ${name}: ${answer.status}\n${answer.body}`);
    assert.equal(answer.location, `/console?lang=${lang}`);
    this.cookie = sessionCookie(answer.setCookie);
    assert.ok(this.cookie, `no session cookie in ${JSON.stringify(answer.setCookie)}`);
    await this.refreshCsrf(lang);
    return this;
  }

  /** Reads this session's form token from the overview's header forms. */
  async refreshCsrf(lang = 'en') {
    const page = await this.request(`/console?lang=${lang}`);
    assert.equal(page.status, 200, page.body);
    this.csrf = csrfOf(page.body);
    assert.ok(this.csrf, 'no csrf field on the overview');
  }

  /** A POST of `fields` with this session's token (unless `fields.csrf` says otherwise). */
  post(path, fields = {}, options = {}) {
    return this.request(path, { method: 'POST', form: { csrf: this.csrf, ...fields }, ...options });
  }
}

/** The session cookie's value in a response's Set-Cookie headers. */
export function sessionCookie(setCookie) {
  for (const line of setCookie) {
    const match = /^kapsel_console=([^;]*)/.exec(line);
    if (match && match[1]) return match[1];
  }
  return null;
}

/** The first csrf field's value in a page. */
export function csrfOf(html) {
  return /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? null;
}

/** The text of the first `role="alert"` or `role="status"` element of a page (node side). */
export function roleText(html, role) {
  const match = new RegExp(`role="${role}"[^>]*>([^<]*)<`).exec(html);
  return match?.[1] ?? null;
}

/** The text of an HTML fragment: tags dropped, the entities the console writes decoded. */
export function textOf(html) {
  return html.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'").replace(/&amp;/g, '&').trim();
}

/** The body rows (cell texts) of the table captioned `caption` in a page (node side). */
export function tableRows(html, caption) {
  const tables = html.match(/<table>[\s\S]*?<\/table>/g) ?? [];
  const found = tables.find((t) => textOf(/<caption>([\s\S]*?)<\/caption>/.exec(t)?.[1] ?? '') === caption);
  if (!found) return null;
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(found)?.[1] ?? '';
  return (body.match(/<tr>[\s\S]*?<\/tr>/g) ?? [])
    .map((tr) => (tr.match(/<t[hd][^>]*>[\s\S]*?<\/t[hd]>/g) ?? []).map((cell) => textOf(cell)));
}

// ---------------------------------------------------------------------------------------------
// Chromium: a context whose every console document is checked, and whose pages report CSP
// violations (securitypolicyviolation events and console messages) into `page.violations`.

/** A fresh context and page on the console, watched. Options as harness.newPage. */
export async function consolePage(browser, world, options = {}) {
  const page = await newPage(browser, { viewport: { width: 1280, height: 900 }, ...options });
  const context = page.context();
  const violations = [];
  page.violations = violations;
  page.checks = [];
  await context.exposeBinding('__kapselCspViolation', ({ page: source }, v) => {
    const entry = { ...v, page: source?.url() };
    violations.push(entry);
    seen.violations.push(entry);
  });
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      const v = { directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile, line: e.lineNumber };
      window.__cspViolations.push(v);
      if (typeof window.__kapselCspViolation === 'function') window.__kapselCspViolation(v);
    }, true);
  });
  context.on('console', (message) => {
    if (/Content[ -]Security[ -]Policy/i.test(message.text())) {
      const entry = { console: message.text(), page: message.page()?.url() };
      violations.push(entry);
      seen.consoleMessages.push(entry);
    }
  });
  context.on('response', (response) => {
    const url = new URL(response.url());
    if (url.origin !== world.server.base || !url.pathname.startsWith('/console')) return;
    if (response.request().resourceType() !== 'document' || response.status() >= 300 && response.status() < 400) return;
    page.checks.push((async () => {
      const headers = await response.allHeaders();
      if (!(headers['content-type'] ?? '').startsWith('text/html')) return;
      const body = await response.text().catch(() => null);
      if (body === null) return; // the page navigated on before its body was read
      seen.html += 1;
      const problems = htmlProblems(`${response.request().method()} ${url.pathname}${url.search}`.slice(0, 160), headers, body);
      seen.problems.push(...problems);
    })());
  });
  return page;
}

/** Waits for the page's pending document checks, then asserts no CSP violation and no bad answer so far. */
export async function assertClean(page, what = page.url()) {
  await Promise.all(page.checks);
  const inPage = await page.evaluate(() => window.__cspViolations ?? []).catch(() => []);
  assert.deepEqual(page.violations, [], `CSP violations on ${what}: ${JSON.stringify(page.violations, null, 1)}`);
  assert.deepEqual(inPage, [], `securitypolicyviolation events on ${what}: ${JSON.stringify(inPage, null, 1)}`);
  assert.deepEqual(seen.problems, [], seen.problems.join('\n'));
}

/** Navigates to a console path and asserts the status, the page's language and a clean CSP. */
export async function visit(page, world, path, { status = 200, lang } = {}) {
  const response = await page.goto(`${world.server.base}${path}`);
  assert.ok(response, `no response for ${path}`);
  assert.equal(response.status(), status, `${path}: ${response.status()} ${(await page.locator('main').textContent().catch(() => '')).slice(0, 300)}`);
  if (lang) assert.equal(await page.getAttribute('html', 'lang'), lang, `${path}: <html lang>`);
  await assertClean(page, path);
  return response;
}

/** Signs in through the form; returns the final navigation's response. */
export async function browserSignIn(page, world, name, password, lang = 'en') {
  await page.goto(`${world.server.base}/console/sign-in?lang=${lang}`);
  await page.fill('#name', name);
  await page.fill('#password', password);
  const [response] = await Promise.all([page.waitForNavigation(), page.click('main form button')]);
  await assertClean(page, `sign-in of ${name}`);
  return response;
}

/** The console session cookie of the page's context, or undefined. */
export async function consoleCookie(page) {
  return (await page.context().cookies()).find((c) => c.name === 'kapsel_console');
}
