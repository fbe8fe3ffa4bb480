#!/usr/bin/env bash
# Request-desk benchmark: access, dry run and erasure through kapsel-connect over a fictional shop
# of 1,000,000 customers and 5,000,000 orders on PostgreSQL and SQLite, each request timed beside
# the same lookups written by hand, with the query plans of both.
#
# Usage: bench/desk/run.sh [extra flags for the binary, e.g. --requesters 100 --regenerate]
#        ENGINES=sqlite bench/desk/run.sh
# PostgreSQL: KAPSEL_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); the shop
# lives in schema bench_desk_1000000 and is kept for the next run (drop it with
# `DROP SCHEMA bench_desk_1000000 CASCADE`). SQLite: target/bench-desk/shop-1000000.db (`--sqlite
# PATH` to put it elsewhere).
# The first run generates both shops (minutes); later runs reuse them while they are complete.
# Output: the Markdown table on stdout, the full plans in target/bench-desk/plans.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ENGINES="${ENGINES:-postgres,sqlite}"

(cd "$ROOT" && cargo build --release -p kapsel-bench-desk --quiet)

echo "kapsel desk: $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$ROOT/target/release/kapsel-bench-desk" --engines "$ENGINES" "$@"
