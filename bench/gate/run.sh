#!/usr/bin/env bash
# Consent-gate ingest benchmark on loopback: durable POST /v1/batch at c=1, 16 and 64 with
# batches of 1 and 100 events, on the SQLite store, PostgreSQL and the JetStream outbox, beside
# two baselines in the same run: GET /healthz (the HTTP stack alone) and the same batch refused
# at its last event (read, parsed and every event checked, then 422 and nothing stored: the
# ingest without durability). Delivery runs meanwhile (examples/gate's five destinations, a
# loopback receiver); after each backend the time to drain the remaining backlog is measured.
#
# Usage: bench/gate/run.sh     (DURATION=10s, CONNECTIONS="1 16 64", BATCHES="1 100",
#                               BACKENDS="sqlite postgres jetstream", BENCH_BINARY=…)
# PostgreSQL: KAPSEL_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), a fresh
# schema dropped afterwards. JetStream: NATS at 127.0.0.1:4222, a fresh stream deleted
# afterwards. Needs wrk, sqlite3, psql, python3. Bounded: every wrk run lasts DURATION, a drain
# at most DRAIN_LIMIT seconds; everything listens on 127.0.0.1 and is stopped at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/bench/gate"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-1 16 64}"
BATCHES="${BATCHES:-1 100}"
BACKENDS="${BACKENDS:-sqlite postgres jetstream}"
DRAIN_LIMIT="${DRAIN_LIMIT:-300}"
PG_URL="${KAPSEL_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
KAPSEL="${BENCH_BINARY:-$ROOT/target/release/kapsel}"
WRITE_KEY="bench-write-key-0001"

for tool in wrk sqlite3 psql python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
[ -n "${BENCH_BINARY:-}" ] || (cd "$ROOT" && cargo build --release -p kapsel --quiet)

WORK="$(mktemp -d)"
SERVER_PID="" RECEIVER_PID="" SCHEMA="" STREAM=""
# delete_stream NAME: JetStream's API over NATS's text protocol (no client library needed).
delete_stream() {
  python3 - "$1" <<'PY' || true
import socket, sys
s = socket.create_connection(("127.0.0.1", 4222), timeout=5)
s.recv(4096)
s.sendall(b'CONNECT {"verbose":false}\r\nSUB _bench.reply 1\r\nPUB $JS.API.STREAM.DELETE.'
          + sys.argv[1].encode() + b' _bench.reply 0\r\n\r\nPING\r\n')
s.recv(4096)
PY
}
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$RECEIVER_PID" ]; then kill "$RECEIVER_PID" 2>/dev/null || true; fi
  if [ -n "$SCHEMA" ]; then psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true; fi
  if [ -n "$STREAM" ]; then delete_stream "$STREAM"; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The destinations' stand-in: answers 200 to everything, counting nothing (the trace counts).
python3 - <<'PY' >"$WORK/receiver" 2>/dev/null &
import http.server, socketserver
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200); self.send_header("content-length", "2"); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
s = S(("127.0.0.1", 0), H); print(s.server_address[1], flush=True); s.serve_forever()
PY
RECEIVER_PID=$!
for _ in $(seq 1 50); do RECEIVER_PORT="$(head -n1 "$WORK/receiver" 2>/dev/null)"; [ -n "$RECEIVER_PORT" ] && break; sleep 0.1; done
R="http://127.0.0.1:$RECEIVER_PORT"

cat "$ROOT/examples/kapsel.toml" "$ROOT/examples/gate/destinations.toml" >"$WORK/kapsel.toml"
# The site www takes the events; every destination points at the receiver.
sed -e "s#^demo = .*#www = \"$WRITE_KEY\"#" -e "s#http://127.0.0.1:9001#$R#" \
  "$ROOT/examples/gate/settings.toml" >"$WORK/settings.toml"

start_server() {
  : > "$WORK/out"
  KAPSEL_LOG=warn "$KAPSEL" serve --config "$WORK/kapsel.toml" --settings "$WORK/settings.toml" \
    --listen 127.0.0.1:0 "$@" >"$WORK/out" 2>"$WORK/err" &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    ADDR="$(sed -n 's/^kapsel listening on http:\/\///p' "$WORK/out")"
    if [ -n "$ADDR" ] && curl -fs "http://$ADDR/healthz" >/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "kapsel serve did not start:" >&2; cat "$WORK/err" >&2; exit 1
}
stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""; }

# backlog: deliveries still pending or failed in the store ("" when the store cannot tell).
backlog() {
  local sql="SELECT count(*) FROM gate_deliveries WHERE state IN ('pending', 'failed')"
  case "$BACKEND" in
    sqlite) sqlite3 "$WORK/data-sqlite/kapsel.db" "$sql" ;;
    postgres) psql -qtA "$PG_URL?options=-csearch_path%3D$SCHEMA" -c "$sql" ;;
    *) echo "" ;;
  esac
}

run_wrk() { # LABEL C BATCH SCRIPT ARGS…
  local label="$1" c="$2" batch="$3" script="$4"; shift 4
  local threads=2; [ "$c" -lt 2 ] && threads=1
  local line
  line="$(wrk -t"$threads" -c"$c" -d"$DURATION" --timeout 10s -s "$script" "http://$ADDR$PATH_" -- "$@" | grep '^RESULT')"
  # shellcheck disable=SC2086
  local $line
  printf '| %-9s | %-30s | %3s | %5s | %8s | %9s | %7s | %7s | %6s |\n' \
    "$BACKEND" "$label" "$c" "$batch" "$rps" "$((rps * batch))" "$p50_ms" "$p99_ms" "$non2xx"
}

echo "kapsel gate ingest: $(date -u +%FT%TZ), $(nproc) cores, wrk duration $DURATION, 5 destinations"
echo
printf '| %-9s | %-30s | %3s | %5s | %8s | %9s | %7s | %7s | %6s |\n' backend request c batch req/s events/s "p50 ms" "p99 ms" non2xx
echo '|-----------|--------------------------------|-----|-------|----------|-----------|---------|---------|--------|'
for BACKEND in $BACKENDS; do
  case "$BACKEND" in
    sqlite) start_server --data "$WORK/data-sqlite" ;;
    postgres)
      SCHEMA="kapsel_bench_gate_$(date +%s)_$$"
      psql -q "$PG_URL" -c "CREATE SCHEMA $SCHEMA" >/dev/null
      start_server --database-url "$PG_URL?options[search_path]=$SCHEMA" --chain-id "bench-$SCHEMA" ;;
    jetstream)
      STREAM="KAPSEL_BENCH_$(date +%s)_$$"
      KAPSEL_GATE__OUTBOX=jetstream KAPSEL_GATE__NATS_STREAM="$STREAM" start_server --data "$WORK/data-js" ;;
    *) echo "unknown backend $BACKEND" >&2; exit 1 ;;
  esac
  for c in $CONNECTIONS; do
    PATH_="/healthz" run_wrk "GET /healthz (baseline)" "$c" 1 "$ROOT/bench/consent-load/get.lua"
    for batch in $BATCHES; do
      PATH_="/v1/batch" run_wrk "refused at the last, 422" "$c" "$batch" "$HERE/gate.lua" "$WRITE_KEY" "$batch" refused
      PATH_="/v1/batch" run_wrk "POST /v1/batch, 200 durable" "$c" "$batch" "$HERE/gate.lua" "$WRITE_KEY" "$batch"
    done
  done
  left="$(backlog)"
  if [ -n "$left" ]; then
    start=$(date +%s.%N); first="$left"
    while [ "$left" -gt 0 ]; do
      sleep 0.5; left="$(backlog)"
      if [ "$(echo "$(date +%s.%N) - $start > $DRAIN_LIMIT" | bc)" = 1 ]; then break; fi
    done
    secs="$(echo "$(date +%s.%N) - $start" | bc)"
    printf '| %-9s | drain: %s deliveries left at the end settled in %.1f s (%.0f/s); %s still due |\n' \
      "$BACKEND" "$first" "$secs" "$(echo "$first / $secs" | bc -l)" "$left"
  fi
  stop_server
  if [ -n "$SCHEMA" ]; then psql -q "$PG_URL" -c "DROP SCHEMA $SCHEMA CASCADE" >/dev/null 2>&1; SCHEMA=""; fi
  if [ -n "$STREAM" ]; then delete_stream "$STREAM"; STREAM=""; fi
done
