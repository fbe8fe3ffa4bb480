#!/bin/sh
# Render benchmark: loads the example privacy file (baseline) and a generated one with 200
# services and 1,000 cookies, and renders every document of one site in nb, nn and en, in the
# same run. Usage: bench/render/run.sh [RUNS]   (default 20)
set -eu
cd "$(dirname "$0")/../.."
exec cargo run --release -q -p kapsel-publish --example render_bench -- "${1:-20}"
