#!/usr/bin/env bash
# Banner cost in Chromium: script start → banner visible, main-thread time, layout shift; median
# of repeated runs, beside a page without any banner and the same page with vanilla-cookieconsent
# 3.1.0, Orejime 3.2.1 and Klaro 0.7.22 (installed from npm into a scratch directory in this run,
# never committed).
#
# Usage: bash bench/banner-cost/run.sh [RUNS]     (from the repository root; default 15 runs)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cargo build -q -p kapsel --manifest-path "$root/Cargo.toml"
(cd "$root/banner" && [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error)
(cd "$scratch" && npm init -y > /dev/null && npm install --no-audit --no-fund --silent \
  vanilla-cookieconsent@3.1.0 orejime@3.2.1 klaro@0.7.22 > /dev/null 2>&1)
PEERS_DIR="$scratch/node_modules" node "$root/bench/banner-cost/run.mjs" "${1:-15}"
