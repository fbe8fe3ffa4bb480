#!/usr/bin/env bash
# Banner weight: brotli (-q 11) and gzip (-9) bytes of everything a browser loads to show a banner
# with category toggles. Kapsel: the /s/www.js response for examples/kapsel.toml (script, styles,
# that site's first-layer configuration and texts in nb, nn and en); its preference centre
# (/s/www/centre.js, loaded only by visitors who open the settings) is measured on its own line. Peers: installed from npm into a scratch
# directory in this same run (never committed), files as listed in shared/PEERS.md.
#
# Usage: bash bench/banner-size/run.sh        (from the repository root; needs npm, brotli, gzip, curl)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
scratch="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$scratch"; }
trap cleanup EXIT

# Kapsel: the real server's response, uncompressed, then compressed the same way as the peers.
cargo build -q -p kapsel --manifest-path "$root/Cargo.toml"
"$root/target/debug/kapsel" serve --config "$root/examples/kapsel.toml" --data "$scratch/data" \
  --listen 127.0.0.1:0 > "$scratch/serve.out" 2> "$scratch/serve.err" &
server_pid=$!
for _ in $(seq 1 100); do grep -q 'kapsel listening on' "$scratch/serve.out" 2>/dev/null && break; sleep 0.1; done
addr="$(sed -n 's/^kapsel listening on //p' "$scratch/serve.out")"
[ -n "$addr" ] || { echo "kapsel serve did not start"; cat "$scratch/serve.err"; exit 1; }
mkdir -p "$scratch/kapsel"
curl -sf -H 'Accept-Encoding: identity' "$addr/s/www.js" -o "$scratch/kapsel/www.js"
curl -sf -H 'Accept-Encoding: identity' "$addr/s/www.js?lang=nb" -o "$scratch/kapsel/www.nb.js"
served_br="$(curl -sf -H 'Accept-Encoding: br' "$addr/s/www.js" | wc -c)"
centre="$(grep -o '"details":"[^"]*"' "$scratch/kapsel/www.js" | sed 's/"details":"//;s/"$//')"
curl -sf -H 'Accept-Encoding: identity' "$addr$centre&lang=nb" -o "$scratch/kapsel/centre.nb.js"

# Peers, pinned.
(cd "$scratch" && npm init -y > /dev/null && npm install --no-audit --no-fund --silent \
  vanilla-cookieconsent@3.1.0 orejime@3.2.1 klaro@0.7.22 > /dev/null 2>&1)
nm="$scratch/node_modules"

measure() { # name, files…
  local name="$1"; shift
  local raw=0 gz br
  for f in "$@"; do raw=$((raw + $(wc -c < "$f"))); done
  gz="$(cat "$@" | gzip -9 | wc -c)"
  br="$(cat "$@" | brotli -q 11 -c | wc -c)"
  printf '| %s | %s | %s | %s |\n' "$name" "$raw" "$gz" "$br"
}

echo "| banner (files) | raw | gzip -9 | brotli -q 11 |"
echo "|---|---:|---:|---:|"
measure "Kapsel /s/www.js (JS + CSS + config + nb/nn/en texts)" "$scratch/kapsel/www.js"
measure "Kapsel /s/www.js?lang=nb (JS + CSS + config + nb texts)" "$scratch/kapsel/www.nb.js"
measure "Kapsel /s/www/centre.js?lang=nb (when the settings open: JS + CSS + details, nb)" "$scratch/kapsel/centre.nb.js"
measure "vanilla-cookieconsent 3.1.0 (umd.js + css)" "$nm/vanilla-cookieconsent/dist/cookieconsent.umd.js" "$nm/vanilla-cookieconsent/dist/cookieconsent.css"
measure "orejime 3.2.1 (standard-en.js + css)" "$nm/orejime/dist/orejime-standard-en.js" "$nm/orejime/dist/orejime-standard.css"
measure "klaro 0.7.22 (klaro.js)" "$nm/klaro/dist/klaro.js"
echo
echo "Kapsel as served (precompressed by the server with brotli quality 11): $served_br bytes"
