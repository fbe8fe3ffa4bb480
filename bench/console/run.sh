#!/usr/bin/env bash
# Console overview benchmark: GET /console?site=www&days=90 (and days=180) for a signed-in
# viewer, with CHOICES (10,000,000) recorded choices over 180 days on three sites (and the
# banner's view counters of those days), on SQLite and PostgreSQL, beside GET /healthz (the HTTP
# stack alone) in the same run. Then the banner's beacon, POST /v1/banner-views, each answered
# only once its group commit is done.
#
# The choices are written straight into consent_records by SQL (the writer's 20,000 a second
# would take most of an hour for ten million); the day counters are then built from them by the
# same statements migration 0014 backfills with, which is what the writer's counters equal (the
# store test `the_counters_equal_a_recount_of_the_export` checks that). The page reads only the
# counters, so the ledger's size is the context, not the work.
#
# Usage: bench/console/run.sh   (CHOICES=10000000, DURATION=10s, CONNECTIONS="1 8",
#                                BACKENDS="sqlite postgres", BENCH_BINARY=…)
# PostgreSQL: KAPSEL_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), a fresh
# schema dropped afterwards. Needs wrk, sqlite3, psql, curl. Everything on 127.0.0.1, bounded.
set -euo pipefail
export PGOPTIONS="--client-min-messages=warning"

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/bench/console"
CHOICES="${CHOICES:-10000000}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-1 8}"
BACKENDS="${BACKENDS:-sqlite postgres}"
PG_URL="${KAPSEL_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
KAPSEL="${BENCH_BINARY:-$ROOT/target/release/kapsel}"
PASSWORD="bench-console-password-0001"

for tool in wrk sqlite3 psql curl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
[ -n "${BENCH_BINARY:-}" ] || (cd "$ROOT" && cargo build --release -p kapsel --quiet)

WORK="$(mktemp -d)"
SERVER_PID="" SCHEMA=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$SCHEMA" ]; then psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

NOW_MS=$(( $(date +%s) * 1000 ))
TODAY_MS=$(( NOW_MS - NOW_MS % 86400000 ))
# The backfill statements of migration 0014 (from its comment line to the end).
backfill() { sed -n '/^-- The records written before this migration/,$p' "$ROOT/crates/store/migrations/$1/0014_console.sql"; }

# generate DIALECT: SQL that inserts CHOICES records over 180 days: three sites, three revisions
# each, three languages; 40 % accept all, 30 % reject all, 20 % custom, 10 % withdrawn; 5 % GPC.
generate() {
  local series gpc_true gpc_false
  if [ "$1" = sqlite ]; then
    series="WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $CHOICES - 1) INSERT INTO consent_records"
    gpc_true=1; gpc_false=0
  else
    series="INSERT INTO consent_records"
    gpc_true=TRUE; gpc_false=FALSE
  fi
  local from="n"
  [ "$1" = postgres ] && from="generate_series(0::bigint, $CHOICES - 1) AS n(i)"
  cat <<SQL
$series (id, chain_id, seq, recorded_at_ms, expires_at_ms, site, revision, language, action,
  categories, services, previous_receipt, gpc, ip_prefix, ua_family, prev_hash, hash)
SELECT 'bench-' || i, 'bench-generated', i + 1,
  $TODAY_MS - (i % 180) * 86400000 + (i * 7919) % 60000, $NOW_MS + 31536000000,
  CASE i % 3 WHEN 0 THEN 'www' WHEN 1 THEN 'pamelding' ELSE 'demo' END,
  'rev-' || ((i / 7) % 3),
  CASE (i / 3) % 3 WHEN 0 THEN 'nb' WHEN 1 THEN 'nn' ELSE 'en' END,
  CASE WHEN i % 10 < 4 THEN 'accept_all' WHEN i % 10 < 7 THEN 'reject_all' WHEN i % 10 < 9 THEN 'custom' ELSE 'withdraw' END,
  CASE WHEN i % 10 < 4 THEN '{"analytics":true,"functional":true,"marketing":true,"necessary":true}'
       WHEN i % 10 < 7 OR i % 10 = 9 THEN '{"analytics":false,"functional":false,"marketing":false,"necessary":true}'
       ELSE '{"analytics":true,"functional":false,"marketing":false,"necessary":true}' END,
  '{}', NULL, CASE WHEN i % 20 = 0 THEN $gpc_true ELSE $gpc_false END, '192.0.2.0/24', 'Firefox',
  '0', 'generated'
FROM $from;
SQL
}

# views: the banner's day counters for the same 180 days, sites, revisions and languages.
views() {
  local values="" day site rev lang
  for day in $(seq 0 179); do
    for site in www pamelding demo; do
      for rev in 0 1 2; do
        for lang in nb nn en; do
          values+="${values:+,}('$site', $(( TODAY_MS / 86400000 - day )), 'rev-$rev', '$lang', 3000, 700)"
        done
      done
    done
  done
  echo "INSERT INTO banner_views_daily (site, day, revision, language, shown, ignored) VALUES $values;"
}

start_server() {
  : > "$WORK/out"
  KAPSEL_LOG=warn "$KAPSEL" serve --config "$ROOT/examples/kapsel.toml" --listen 127.0.0.1:0 "$@" \
    >"$WORK/out" 2>"$WORK/err" &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    ADDR="$(sed -n 's/^kapsel listening on http:\/\///p' "$WORK/out")"
    if [ -n "$ADDR" ] && curl -fs "http://$ADDR/healthz" >/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "kapsel serve did not start:" >&2; cat "$WORK/err" >&2; exit 1
}
stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""; }

run_wrk() { # LABEL PATH C COOKIE [METHOD]
  local label="$1" path="$2" c="$3" cookie="$4" method="${5:-GET}"
  local threads=2; [ "$c" -lt 2 ] && threads=1
  local line
  line="$(wrk -t"$threads" -c"$c" -d"$DURATION" --timeout 10s -s "$HERE/request.lua" "http://$ADDR$path" -- "$cookie" "$method" | grep '^RESULT')"
  # shellcheck disable=SC2086
  local $line
  printf '| %-9s | %-30s | %2s | %7s | %7s | %7s | %6s |\n' "$BACKEND" "$label" "$c" "$rps" "$p50_ms" "$p99_ms" "$non2xx"
}

# The example site www's current revision, which the beacon names.
REVISION="$("$KAPSEL" check "$ROOT/examples/kapsel.toml" | sed -n 's/.*site www revision \([0-9a-f]*\)).*/\1/p')"
[ -n "$REVISION" ] || { echo "kapsel check did not print www's revision" >&2; exit 1; }

echo "kapsel console overview: $(date -u +%FT%TZ), $(nproc) cores, $CHOICES choices, wrk $DURATION"
echo
printf '| %-9s | %-30s | %2s | %7s | %7s | %7s | %6s |\n' backend request c "req/s" "p50 ms" "p99 ms" non2xx
echo '|-----------|--------------------------------|----|---------|---------|---------|--------|'
for BACKEND in $BACKENDS; do
  case "$BACKEND" in
    sqlite)
      STORE=(--data "$WORK/data-sqlite")
      "$KAPSEL" migrate "${STORE[@]}" >/dev/null
      run_sql() { sqlite3 "$WORK/data-sqlite/kapsel.db"; } ;;
    postgres)
      SCHEMA="kapsel_bench_console_$(date +%s)_$$"
      psql -q "$PG_URL" -c "CREATE SCHEMA $SCHEMA" >/dev/null
      STORE=(--database-url "$PG_URL?options[search_path]=$SCHEMA")
      "$KAPSEL" migrate "${STORE[@]}" >/dev/null
      run_sql() { psql -q -v ON_ERROR_STOP=1 "$PG_URL?options=-csearch_path%3D$SCHEMA" >/dev/null; } ;;
  esac
  started=$(date +%s)
  generate "$BACKEND" | run_sql
  backfill "$BACKEND" | run_sql
  views | run_sql
  echo "<!-- $BACKEND: $CHOICES choices and their counters written in $(( $(date +%s) - started )) s -->" >&2
  printf '%s\n' "$PASSWORD" | "$KAPSEL" user add bench --role viewer "${STORE[@]}" >/dev/null
  start_server "${STORE[@]}"
  COOKIE="$(curl -s -o /dev/null -D - -X POST --data-urlencode name=bench --data-urlencode "password=$PASSWORD" \
    "http://$ADDR/console/sign-in?lang=en" | sed -n 's/^set-cookie: \(kapsel_console=[^;]*\).*/\1/ip' | tr -d '\r')"
  [ -n "$COOKIE" ] || { echo "sign-in failed" >&2; exit 1; }
  # The page must show the choices of the period (a third of them are www's).
  shown="$(curl -fs -H "Cookie: $COOKIE" "http://$ADDR/console?site=www&days=180&lang=en" | grep -o 'Choices<strong>[0-9]*' | head -n1)"
  [ "$shown" = "Choices<strong>$(( (CHOICES + 2) / 3 ))" ] \
    || { echo "the overview shows ${shown:-nothing}, not www's $(( (CHOICES + 2) / 3 )) choices" >&2; exit 1; }
  for c in $CONNECTIONS; do
    run_wrk "GET /healthz (baseline)" "/healthz" "$c" ""
    run_wrk "GET /console days=90" "/console?site=www&days=90&lang=en" "$c" "$COOKIE"
    run_wrk "GET /console days=180" "/console?site=www&days=180&lang=en" "$c" "$COOKIE"
    run_wrk "GET /console/overview.csv 90" "/console/overview.csv?site=www&days=90" "$c" "$COOKIE"
    run_wrk "POST /v1/banner-views (beacon)" "/v1/banner-views?site=www&revision=$REVISION&language=nb&event=shown" "$c" "" POST
  done
  # Every 204 was a committed view: today's www count grew by at least the requests answered.
  counted="$(curl -fs -H "Cookie: $COOKIE" "http://$ADDR/console/overview.csv?site=www&days=7&lang=en" | tail -n1 | awk -F, '{print $(NF-1)}')"
  echo "<!-- $BACKEND: today's www banner views after the beacon runs: $counted -->" >&2
  stop_server
  if [ -n "$SCHEMA" ]; then psql -q "$PG_URL" -c "DROP SCHEMA $SCHEMA CASCADE" >/dev/null; SCHEMA=""; fi
done
