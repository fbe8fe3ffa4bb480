#!/usr/bin/env bash
# Consent-write load benchmark on loopback: durable POST /v1/consent at c=1, 16 and 64 on SQLite
# and PostgreSQL, beside two baselines in the same run: GET /healthz (the HTTP stack alone) and
# the same POST with a stale revision (409: parsed and validated, never written).
#
# Usage: bench/consent-load/run.sh            (DURATION=10s, CONNECTIONS="1 16 64", BENCH_BINARY=…)
#        BACKENDS=sqlite bench/consent-load/run.sh
# PostgreSQL: KAPSEL_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); each
# run writes into a fresh schema that is dropped afterwards. Needs wrk (Debian package `wrk`).
# Bounded: every wrk run lasts DURATION; servers listen on 127.0.0.1 only and are stopped at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/bench/consent-load"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-1 16 64}"
BACKENDS="${BACKENDS:-sqlite postgres}"
PG_URL="${KAPSEL_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
CONFIG="$ROOT/examples/kapsel.toml"
KAPSEL="${BENCH_BINARY:-$ROOT/target/release/kapsel}"

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
# BENCH_BINARY=path skips the build and benchmarks that binary instead.
[ -n "${BENCH_BINARY:-}" ] || (cd "$ROOT" && cargo build --release -p kapsel --quiet)

REVISION="$("$KAPSEL" check "$CONFIG" | sed -n 's/.*(site www revision \([0-9a-f]*\)).*/\1/p' | head -n1)"
[ -n "$REVISION" ] || { echo "could not read the revision of site www from kapsel check" >&2; exit 1; }

WORK="$(mktemp -d)"
SERVER_PID=""
SCHEMA=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$SCHEMA" ]; then psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_server FLAGS… : starts kapsel serve, sets SERVER_PID and ADDR.
start_server() {
  : > "$WORK/out"
  KAPSEL_LOG=warn "$KAPSEL" serve --config "$CONFIG" --listen 127.0.0.1:0 "$@" >"$WORK/out" 2>"$WORK/err" &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    ADDR="$(sed -n 's/^kapsel listening on http:\/\///p' "$WORK/out")"
    if [ -n "$ADDR" ] && curl -fs "http://$ADDR/healthz" >/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "kapsel serve did not start:" >&2; cat "$WORK/err" >&2; exit 1
}

stop_server() {
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
}

# run_wrk LABEL C SCRIPT ARGS… : one bounded wrk run, one table row.
run_wrk() {
  local label="$1" c="$2" script="$3"; shift 3
  local threads=2; [ "$c" -lt 2 ] && threads=1
  local line
  line="$(wrk -t"$threads" -c"$c" -d"$DURATION" -s "$HERE/$script" "http://$ADDR$PATH_" -- "$@" | grep '^RESULT')"
  # shellcheck disable=SC2086
  local $line
  printf '| %-8s | %-34s | %3s | %8s | %7s | %7s | %7s | %6s |\n' \
    "$BACKEND" "$label" "$c" "$rps" "$p50_ms" "$p99_ms" "$max_ms" "$non2xx"
}

echo "kapsel consent-load: $(date -u +%FT%TZ), $(nproc) cores, wrk duration $DURATION, revision $REVISION"
echo
printf '| %-8s | %-34s | %3s | %8s | %7s | %7s | %7s | %6s |\n' backend endpoint c req/s "p50 ms" "p99 ms" "max ms" non2xx
echo '|----------|------------------------------------|-----|----------|---------|---------|---------|--------|'
for BACKEND in $BACKENDS; do
  case "$BACKEND" in
    sqlite) start_server --data "$WORK/data-sqlite" ;;
    postgres)
      SCHEMA="kapsel_bench_$(date +%s)_$$"
      psql -q "$PG_URL" -c "CREATE SCHEMA $SCHEMA" >/dev/null
      start_server --database-url "$PG_URL?options[search_path]=$SCHEMA" --chain-id "bench-$SCHEMA" ;;
    *) echo "unknown backend $BACKEND" >&2; exit 1 ;;
  esac
  for c in $CONNECTIONS; do
    PATH_="/healthz" run_wrk "GET /healthz (baseline)" "$c" get.lua
    PATH_="/v1/consent" run_wrk "POST stale revision, 409 (baseline)" "$c" consent.lua 00000000deadbeef
    PATH_="/v1/consent" run_wrk "POST /v1/consent, 201 durable" "$c" consent.lua "$REVISION"
  done
  stop_server
  "$KAPSEL" ledger verify $( [ "$BACKEND" = sqlite ] && echo --data "$WORK/data-sqlite" || echo --database-url "$PG_URL?options[search_path]=$SCHEMA" ) >"$WORK/verify" 2>"$WORK/verify.err" \
    && echo "|          | ledger verify after the run: ok ($(grep '^chain ' "$WORK/verify" | tr '\n' ' ' | cut -c1-80)) | | | | | | |" \
    || { echo "ledger verify FAILED:" >&2; cat "$WORK/verify" "$WORK/verify.err" >&2; exit 1; }
  if [ -n "$SCHEMA" ]; then psql -q "$PG_URL" -c "DROP SCHEMA $SCHEMA CASCADE" >/dev/null; SCHEMA=""; fi
done
