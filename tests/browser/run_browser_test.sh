#!/usr/bin/env bash
# Starts `frugal serve` on a fresh generated campaign, runs annotate_test.mjs in headless
# Chromium against it, and stops the server whatever happens. Run by CTest (browser_annotate).
#   tests/browser/run_browser_test.sh FRUGAL GENERATE OUT_DIR
set -euo pipefail
frugal="$1" generate="$2" out="$3"
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  echo "playwright-core is not installed: run scripts/install-deps (npm ci in tests/browser)" >&2
  exit 1
fi
rm -rf "$out" && mkdir -p "$out"
"$generate" --items 3000 --members 5 --seed 5 --content "$out/predictions.csv"
"$frugal" campaign init "$out/campaign.db" --predictions "$out/predictions.csv" > /dev/null

"$frugal" serve "$out/campaign.db" --port 0 > "$out/serve.out" 2> "$out/serve.err" &
server=$!
trap 'kill "$server" 2> /dev/null || true; wait "$server" 2> /dev/null || true' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://[^ ]*' "$out/serve.out" || true)
  [[ -n "$url" ]] && break
  kill -0 "$server" 2> /dev/null || { cat "$out/serve.err" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { echo "frugal serve printed no URL" >&2; exit 1; }
node "$here/annotate_test.mjs" "$url" "$out"
