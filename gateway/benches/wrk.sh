#!/usr/bin/env bash
# Throughput of the release gateway with wrk (Debian `wrk`): a trivial route and a route doing one KV get on
# SQLite. Needs: cargo build --release -p gateway
#                cargo build --release --target wasm32-wasip2 -p test-echo -p test-kv
# Usage: gateway/benches/wrk.sh [seconds, default 10]   (2 threads, 16 connections, as in the targets)
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
seconds="${1:-10}"
for f in "$target/release/gateway" "$target/wasm32-wasip2/release/test_echo.wasm" "$target/wasm32-wasip2/release/test_kv.wasm"; do
  [[ -f "$f" ]] || { echo "missing $f: build it first (see the header of this script)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }

app="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$app"' EXIT
cp -r tests/apps/gateway/. "$app/"
sed -i "s|__TEST_ECHO_WASM__|$target/wasm32-wasip2/release/test_echo.wasm|; s|__TEST_KV_WASM__|$target/wasm32-wasip2/release/test_kv.wasm|" "$app/spin.toml"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
SPIN_VARIABLE_REGION=bench "$target/release/gateway" up --from "$app/spin.toml" --listen "127.0.0.1:$port" >"$app/gateway.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/.well-known/spin/health" >/dev/null && break; sleep 0.1; done
curl -sf -X PUT --data-binary 'a small value' "http://127.0.0.1:$port/a/default/bench" >/dev/null

echo "== trivial route: GET /echo/bench"
wrk -t2 -c16 -d"${seconds}s" --latency "http://127.0.0.1:$port/echo/bench" | grep -E "Requests/sec|Latency|50%|99%"
echo "== one KV get on SQLite: GET /a/default/bench"
wrk -t2 -c16 -d"${seconds}s" --latency "http://127.0.0.1:$port/a/default/bench" | grep -E "Requests/sec|Latency|50%|99%"
