# Shared by wrk.sh and ab.sh (sourced, from the repo root): the gateways they start, and the DQM GUI app.
# The caller sets `work` (a temporary dir, removed with the gateways at exit).
: >"$work/pids"
# `start` runs in a command substitution (a subshell), so the gateways' pids are collected in a file.
trap 'while read -r p; do kill "$p" 2>/dev/null || true; done <"$work/pids"; rm -rf "$work"' EXIT
groups=(register samples archive layouts json legacy render)
auth=(-H "Authorization: Bearer bench")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start <app dir> <gateway binary>: runs the gateway on a free port, prints the base URL once healthy.
start() {
  local port
  port="$(free_port)"
  SPIN_VARIABLE_REGION=bench SPIN_VARIABLE_ADMIN_TOKEN=bench "$2" up --from "$1/spin.toml" \
    --listen "127.0.0.1:$port" >"$1/gateway.log" 2>&1 &
  echo $! >>"$work/pids"
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/.well-known/spin/health" >/dev/null && break; sleep 0.1; done
  echo "http://127.0.0.1:$port"
}
# dqmgui_app <dir> <wasm dir>: the DQM GUI (tests/apps/dqmgui) over the repo's data/ and layouts/, plus root_10k.root.
dqmgui_app() {
  mkdir -p "$1"
  cp tests/apps/dqmgui/spin.toml "$1/"
  for g in "${groups[@]}"; do
    [[ -f "$2/dqmgui_$g.wasm" ]] || { echo "missing $2/dqmgui_$g.wasm: build it first" >&2; exit 1; }
    sed -i "s|__DQMGUI_${g^^}_WASM__|$2/dqmgui_$g.wasm|" "$1/spin.toml"
  done
  cp -r data layouts "$1/"
  cp tests/fixtures/root-conformance/perf/root_10k.root "$1/data/"
}
# serve_dqmgui <app dir> <gateway binary>: starts it, registers the five fixtures and loads the layouts.
serve_dqmgui() {
  local base
  base="$(start "$1" "$2")"
  curl -sf -X POST "${auth[@]}" --data-binary @data/register.json "$base/api/v1/register" >/dev/null
  curl -sf -X POST "${auth[@]}" "$base/api/v1/layouts" >/dev/null
  echo "$base"
}
