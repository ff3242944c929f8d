#!/usr/bin/env bash
# HTTP benchmarks of the release gateway with wrk (Debian `wrk`), printed as one table:
#  - the gateway itself: a trivial component, and one KV get on SQLite (tests/apps/gateway);
#  - the DQM GUI (tests/apps/dqmgui over the repo's data/ and layouts/, the five fixtures registered):
#    host, samples, archive of a 5-ME folder, json of a TH1F, each at 1 and 16 connections;
#  - register timings: register + first archive of the 21-ME legacy fixture, and register of root_10k.root;
#  - archive and json over a registered 10,000-ME sample (root_10k.root).
# Needs: cargo build --release -p gateway
#        cargo build --release --target wasm32-wasip2 -p test-echo -p test-kv -p dqmgui-register -p dqmgui-samples \
#          -p dqmgui-archive -p dqmgui-layouts -p dqmgui-json -p dqmgui-legacy -p dqmgui-render
# Usage: gateway/benches/wrk.sh [seconds per wrk run, default 5]   (wrk -t2; -t1 at 1 connection)
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
seconds="${1:-5}"
wasm="$target/wasm32-wasip2/release"
work="$(mktemp -d)"
source gateway/benches/common.sh
needed=("$target/release/gateway" "$wasm/test_echo.wasm" "$wasm/test_kv.wasm")
for g in "${groups[@]}"; do needed+=("$wasm/dqmgui_$g.wasm"); done
for f in "${needed[@]}"; do
  [[ -f "$f" ]] || { echo "missing $f: build it first (see the header of this script)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }

# ms <wrk latency like 812.00us / 1.23ms / 1.02s>
ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/ && v !~ /ms$/) n *= 1000; printf "%.2f", n }'; }
rows=()
# bench <label> <url>: wrk at 1 and 16 connections, one table row.
bench() {
  local one many
  one="$(wrk -t1 -c1 -d"${seconds}s" --latency "$2")"
  many="$(wrk -t2 -c16 -d"${seconds}s" --latency "$2")"
  if grep -q "Non-2xx" <<<"$one$many"; then echo "$1: non-2xx responses from $2" >&2; exit 1; fi
  rows+=("$(printf '%-34s %10s %8s %10s %8s %8s' "$1" \
    "$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$one")" "$(ms "$(awk '$1 == "50%" {print $2}' <<<"$one")")" \
    "$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$many")" "$(ms "$(awk '$1 == "50%" {print $2}' <<<"$many")")" \
    "$(ms "$(awk '$1 == "99%" {print $2}' <<<"$many")")")")
}

# The gateway on its own.
mkdir "$work/gw"
cp -r tests/apps/gateway/. "$work/gw/"
sed -i "s|__TEST_ECHO_WASM__|$wasm/test_echo.wasm|; s|__TEST_KV_WASM__|$wasm/test_kv.wasm|" "$work/gw/spin.toml"
gw="$(start "$work/gw" "$target/release/gateway")"
curl -sf -X PUT --data-binary 'a small value' "$gw/a/default/bench" >/dev/null
bench "trivial component (/echo)" "$gw/echo/bench"
bench "one KV get on SQLite" "$gw/a/default/bench"

# The DQM GUI with the fixtures registered (as scripts/up serves it).
dqmgui_app "$work/dqmgui" "$wasm"
base="$(serve_dqmgui "$work/dqmgui" "$target/release/gateway")"
zb="123456/ZeroBias/Run2024A-PromptReco-v1/DQMIO"
bench "dqmgui /api/v1/host" "$base/api/v1/host"
bench "dqmgui samples" "$base/api/v1/samples"
bench "dqmgui archive (5-ME folder)" "$base/api/v1/archive/$zb/Tracking/TrackParameters/GeneralProperties"
bench "dqmgui json TH1F" "$base/api/v1/json/$zb/Tracking/TrackParameters/GeneralProperties/NumberOfTracks"

# Register timings (curl's time_total per request, median of n; each a sample not seen before).
legacy="/data/DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root"
timed() { curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$@"; }
median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'; }
first=()
for i in $(seq 1 20); do
  body="[{\"dataset\": \"/Bench/First$i/DQMIO\", \"run\": 1, \"lumi\": 0, \"file\": \"$legacy\", \"fileformat\": 1}]"
  read -r c1 t1 < <(timed -X POST "${auth[@]}" --data-binary "$body" "$base/api/v1/register")
  read -r c2 t2 < <(timed "$base/api/v1/archive/1/Bench/First$i/DQMIO/Tracking/TrackParameters/GeneralProperties")
  [[ "$c1 $c2" == "201 200" ]] || { echo "register/archive answered $c1/$c2" >&2; exit 1; }
  first+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN { print (a + b) * 1000 }')")
done
big=()
for i in $(seq 1 5); do
  body="[{\"dataset\": \"/Bench/Big$i/DQMIO\", \"run\": 1, \"lumi\": 0, \"file\": \"/data/root_10k.root\", \"fileformat\": 1}]"
  read -r code t < <(timed -X POST "${auth[@]}" --data-binary "$body" "$base/api/v1/register")
  [[ "$code" == 201 ]] || { echo "register of root_10k.root answered $code" >&2; exit 1; }
  big+=("$(awk -v a="$t" 'BEGIN { print a * 1000 }')")
done

# The same routes over one of the 10,000-ME samples just registered.
bench "archive top level, 10k-ME sample" "$base/api/v1/archive/1/Bench/Big1/DQMIO/"
bench "archive one folder, 10k-ME sample" "$base/api/v1/archive/1/Bench/Big1/DQMIO/Subsys0/Folder0"
bench "json TH1F, 10k-ME sample" "$base/api/v1/json/1/Bench/Big1/DQMIO/Subsys0/Folder0/h0"

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), ${seconds}s per wrk run"
printf '%-34s %10s %8s %10s %8s %8s\n' "route" "c1 req/s" "c1 p50" "c16 req/s" "c16 p50" "c16 p99"
printf '%s\n' "${rows[@]}"
echo "(latencies in ms)"
echo "register + first archive, 21-ME legacy: median $(printf '%s\n' "${first[@]}" | median) ms of 20"
echo "register root_10k.root (10,000 MEs):    median $(printf '%s\n' "${big[@]}" | median) ms of 5"
