// The real SMTP server the desk's browser tests start (aiosmtpd from PyPI, on loopback), and
// what they need around it: waiting for it to listen, stopping it, reading a delivered message.

import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';

/** True when aiosmtpd can run; otherwise a loud SKIP of `what` (or a failure with KAPSEL_REQUIRE_ALL=1). */
export function aiosmtpdAvailable(what) {
  const probe = spawnSync('python3', ['-c', 'import aiosmtpd'], { encoding: 'utf8', timeout: 20_000 });
  if (probe.status === 0) return true;
  const message = 'python3 -m aiosmtpd is not available (scripts/test.sh pip-installs aiosmtpd)';
  if (process.env.KAPSEL_REQUIRE_ALL === '1') throw new Error(`KAPSEL_REQUIRE_ALL=1 but ${message}`);
  console.log(`\n!!!!!!!! SKIP ${what}: ${message} !!!!!!!!\n`);
  return false;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port, bounded by `timeoutMs`. */
export async function untilListening(port, timeoutMs, child, output) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`aiosmtpd exited with ${child.exitCode}\n${output()}`);
    const open = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const done = (ok) => { socket.destroy(); resolve(ok); };
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
      socket.setTimeout(1_000, () => done(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`aiosmtpd did not listen on ${port} in ${timeoutMs} ms\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stops a child process: SIGTERM, then SIGKILL after `graceMs`; never waits longer. */
export async function kill(child, graceMs = 3_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
  }
}

/** A single-part message's headers (lower-case names, unfolded) and its decoded body text. */
export function parseMail(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, split).replace(/\r?\n[ \t]+/g, ' ');
  const headers = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  let bytes;
  if (encoding === 'quoted-printable') {
    // Soft line breaks first, then every =XX escape (=3D is "=").
    body = body.replace(/=\r?\n/g, '');
    bytes = Buffer.from(body.replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  } else if (encoding === 'base64') {
    bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  } else {
    bytes = Buffer.from(body, 'latin1');
  }
  return { headers, body: bytes.toString('utf8') };
}
