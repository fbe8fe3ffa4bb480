#!/usr/bin/env bash
# The rate limiter under address churn, beside the limiter it replaced, in one run: take() calls
# per second for 1,000 steady prefixes, and for a new prefix on every call once 200,000 have been
# seen, on 1 and 2 threads. In-process only (no sockets); each row lasts RUN_SECONDS (default 2).
#
# Usage: bench/ratelimit/run.sh        (RUN_SECONDS=5 bench/ratelimit/run.sh for longer rows)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
echo "ratelimit churn — $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
cargo run --release --quiet -p kapsel-server --example ratelimit_churn
