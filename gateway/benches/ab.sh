#!/usr/bin/env bash
# A/B of two builds on one DQM GUI route: both gateways run at once and wrk (-t2 -c16, 2 s) alternates between
# them, so a machine whose speed drifts (a shared VM drifts by ±15% within minutes) affects both alike. Prints
# each side's runs and median req/s.
# Each target dir needs the release gateway and the dqmgui-* wasm32-wasip2 components (see wrk.sh's header),
# e.g. a copy of the target dir taken before a change and the current one.
# Usage: gateway/benches/ab.sh <target dir A> <target dir B> <route, e.g. /api/v1/samples> [rounds, default 8]
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ $# -ge 3 ]] || { sed -n '2,7p' "$0" >&2; exit 2; }
route="$3"
rounds="${4:-8}"
work="$(mktemp -d)"
source gateway/benches/common.sh
bases=()
for side in A B; do
  target="$([[ $side == A ]] && echo "$1" || echo "$2")"
  [[ -x "$target/release/gateway" ]] || { echo "missing $target/release/gateway" >&2; exit 1; }
  dqmgui_app "$work/$side" "$target/wasm32-wasip2/release"
  bases+=("$(serve_dqmgui "$work/$side" "$target/release/gateway")")
done
rps() {
  local out
  out="$(wrk -t2 -c16 -d2s "$1$route")"
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx responses from $1$route" >&2; exit 1; fi
  awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out"
}
for base in "${bases[@]}"; do rps "$base" >/dev/null; done  # warm-up
a=(); b=()
for _ in $(seq 1 "$rounds"); do
  a+=("$(rps "${bases[0]}")")
  b+=("$(rps "${bases[1]}")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "$route, req/s at 16 connections, alternating 2 s runs (load $(cut -d' ' -f1 /proc/loadavg))"
echo "A $1: median $(median "${a[@]}")  [${a[*]}]"
echo "B $2: median $(median "${b[@]}")  [${b[*]}]"
