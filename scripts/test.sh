#!/usr/bin/env bash
# Runs every Kapsel test: formatting and lints, the Rust workspace (unit, integration, the store
# conformance story, the kill -9 crash test, the scanner against real Chromium) and the banner's
# browser tests (Node's test runner driving real Chromium, with axe-core).
#
# PostgreSQL: the conformance story and crash test also run against PostgreSQL when
# KAPSEL_TEST_DATABASE_URL names one (CI sets it to the PostgreSQL on the machine).
# KAPSEL_REQUIRE_ALL=1 turns every "SKIP: no Chromium / no PostgreSQL" into a failure (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

# --- prerequisites -------------------------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Chromium from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "!!! SKIP WARNING: /usr/bin/chromium is missing and this user cannot install it." >&2
    echo "!!! Browser tests will be skipped (or fail under KAPSEL_REQUIRE_ALL=1)." >&2
  fi
fi
if ! command -v node >/dev/null; then
  echo "!!! node is missing: the banner's browser tests need Node.js 20+ and npm." >&2
  exit 1
fi
say "installing the banner's test dependencies (npm ci)"
(cd banner && npm ci --no-audit --no-fund --loglevel=error)
if ! python3 -c 'import cryptography' 2>/dev/null; then
  say "installing the Python verifier's Ed25519 library (docs/ledger-verify.py)"
  python3 -m pip install -q cryptography || {
    echo "!!! cannot install the cryptography package: the Python verifier tests will be skipped" >&2
    echo "!!! (or fail under KAPSEL_REQUIRE_ALL=1)." >&2
  }
fi
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  say "installing the SMTP server the outbox's delivery test starts (aiosmtpd)"
  python3 -m pip install -q aiosmtpd || {
    echo "!!! cannot install the aiosmtpd package: the outbox's SMTP delivery test will be skipped" >&2
    echo "!!! (or fail under KAPSEL_REQUIRE_ALL=1)." >&2
  }
fi

# --- Rust ----------------------------------------------------------------------------------------
say "formatting (cargo fmt --check) and lints (cargo clippy -D warnings)"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
say "building the kapsel binary (the browser tests start it)"
cargo build -p kapsel
say "cargo test --workspace"
cargo test --workspace

# --- Browser -------------------------------------------------------------------------------------
say "browser tests (node --test banner/test/)"
node --test --test-concurrency=1 banner/test/
