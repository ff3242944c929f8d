#!/usr/bin/env bash
# get_run / get_runs over the 3-run fixture through the release gateway with wrk (2 threads, 16 connections).
# Needs: cargo build --release -p gateway -p scraper-host -p dqmsquare
#        cargo build --release --target wasm32-wasip2 -p dqmsquare-component -p ui-component ; apt-get install -y wrk
# Usage: tests/apps/dqmsquare/bench.sh [seconds, default 10]
set -euo pipefail
cd "$(dirname "$0")/../../.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
seconds="${1:-10}"
wasm="$target/wasm32-wasip2/release/dqmsquare_component.wasm"
ui_wasm="$target/wasm32-wasip2/release/ui_component.wasm"
for f in "$target/release/gateway" "$target/release/scraper-host" "$target/release/dqmsquare-bench" "$wasm" "$ui_wasm"; do
  [[ -f "$f" ]] || { echo "missing $f: build it first (see the header of this script)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }

app="$(mktemp -d)"
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$app"' EXIT
sed "s|__UI_WASM__|$ui_wasm|; s|__WASM__|$wasm|" tests/apps/dqmsquare/spin.toml >"$app/spin.toml"
# The seeded fixture store as a kv dump, restored into the app's default store before the gateway starts.
"$target/release/dqmsquare-bench" --dump >"$app/fixture.dump"
"$target/release/scraper-host" --from "$app/spin.toml" kv restore "$app/fixture.dump"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$target/release/gateway" up --from "$app/spin.toml" --listen "127.0.0.1:$port" >"$app/gateway.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port/dqm/dqm-square/api"
for _ in $(seq 1 600); do curl -sf "$base?what=get_info&db=production" >/dev/null && break; sleep 0.1; done
# `what=foo` (a 404 that reads nothing) and `get_info` (one key) are the floor the two measured routes sit on.
for query in "what=foo&db=production" "what=get_info&db=production" \
  "what=get_run&run=358788&db=production" "what=get_runs&from=358788&to=358792&db=production"; do
  echo "== GET api?$query ($(curl -s "$base?$query" | wc -c) bytes)"
  for connections in 1 16; do
    echo "-- $connections connection(s)"
    wrk -t"$(( connections < 2 ? 1 : 2 ))" -c"$connections" -d"${seconds}s" --latency "$base?$query" |
      grep -E "^Requests/sec|^ +(50|99)%"
  done
done
