#!/usr/bin/env bash
# Pages per minute of `kapsel scan` on a 50-page fixture site (loopback), all three consent phases,
# beside the same pages in the before-choice phase only. Needs /usr/bin/chromium.
# PAGES=50 CONCURRENCY=3 bench/scan/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
exec timeout 900 cargo run --quiet -p kapsel-scan --example scan_bench
