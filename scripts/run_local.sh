#!/usr/bin/env bash
# `make run` / `make func`: local settings, Azurite, then the local host or Core Tools.
#   bash scripts/run_local.sh emulator   # durable-localhost (default)
#   bash scripts/run_local.sh func       # func start, if Core Tools is installed
# Environment:
#   PORT           the app's HTTP port (default 7071)
#   EMULATOR_ARGS  more durable-localhost options, e.g. "--keys --clock scaled"
#   AZURITE_DEBUG  1: write Azurite's debug log to .local/azurite/debug.log (large; off by default)
#   AZURITE_PORTS  blob, queue and table ports (default "10000 10001 10002", which
#                  UseDevelopmentStorage=true expects)
#   With ports other than the defaults, the settings of local.settings.json that name them
#   (UseDevelopmentStorage=true, http://localhost:7071) follow the chosen ports
#   (scripts/local_settings_env.py). AZURITE_BIN and LOCALHOST_BIN replace the programs, PYTHON
#   the interpreter (the script's tests use them).
set -euo pipefail

mode="${1:-emulator}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
port="${PORT:-7071}"
localhost_bin="${LOCALHOST_BIN:-.venv/bin/durable-localhost}"
azurite_bin="${AZURITE_BIN:-node_modules/.bin/azurite}"
python_bin="${PYTHON:-python3}"
read -r blob_port queue_port table_port <<<"${AZURITE_PORTS:-10000 10001 10002}"
azurite_pid=""
host_pid=""

cleanup() {
  trap - EXIT INT TERM
  if [[ -n "$host_pid" ]] && kill -0 "$host_pid" 2>/dev/null; then
    kill -INT "$host_pid" 2>/dev/null || true
    wait "$host_pid" 2>/dev/null || true
  fi
  if [[ -n "$azurite_pid" ]] && kill -0 "$azurite_pid" 2>/dev/null; then
    echo "Stopping Azurite (pid $azurite_pid)"
    kill "$azurite_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$azurite_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$azurite_pid" 2>/dev/null || true
    wait "$azurite_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
# Ctrl-C is how the app is stopped, not a failure: exit 0 after cleaning up, so make does not
# report "Error 130".
trap 'exit 0' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
fail() {
  echo "$1" >&2
  exit 1
}

# Every port is checked before anything starts or is announced.
if port_open "$port"; then
  fail "Port $port is already in use (another durable-localhost or func start?). Stop it, or run on another port: PORT=7072 make run"
fi
azurite_open=0
for p in "$blob_port" "$queue_port" "$table_port"; do
  if port_open "$p"; then azurite_open=$((azurite_open + 1)); fi
done
if ((azurite_open > 0 && azurite_open < 3)); then
  fail "Only some of Azurite's ports ($blob_port, $queue_port, $table_port) are in use: another program holds them. Free them and run again."
fi

if [[ "$mode" == "func" ]] && ! command -v func >/dev/null 2>&1; then
  cat >&2 <<'MSG'
Azure Functions Core Tools (`func`) is not on PATH.
Install it from Microsoft (https://learn.microsoft.com/azure/azure-functions/functions-run-local),
e.g. `npm install -g azure-functions-core-tools@4` on a machine that can reach its download
server, then run `make func` again. Without it, `make run` runs the app on durable-localhost.
MSG
  exit 1
fi

if [[ ! -f local.settings.json ]]; then
  cp local.settings.json.example local.settings.json
  echo "Created local.settings.json from local.settings.json.example"
fi

moved=()
while IFS= read -r -d '' setting; do
  export "${setting?}"
  moved+=("${setting%%=*}")
done < <("$python_bin" scripts/local_settings_env.py local.settings.json \
  "$port" "$blob_port" "$queue_port" "$table_port")
if ((${#moved[@]} > 0)); then
  echo "On the chosen ports: ${moved[*]} (local.settings.json names the default ports)"
fi

azurite_ready() { port_open "$blob_port" && port_open "$queue_port" && port_open "$table_port"; }

if ((azurite_open == 3)); then
  echo "Reusing the Azurite already listening on 127.0.0.1:$blob_port-$table_port"
else
  mkdir -p .local/azurite
  debug_log=()
  if [[ "${AZURITE_DEBUG:-0}" == "1" ]]; then
    debug_log=(--debug .local/azurite/debug.log)
  fi
  # No telemetry: it would wait on a server this machine cannot reach when stopping. Its own
  # process group (set -m): a terminal's Ctrl-C reaches the host alone, and cleanup stops
  # Azurite once the host has finished the work in flight.
  set -m
  "$azurite_bin" --silent --skipApiVersionCheck --disableTelemetry \
    --location .local/azurite "${debug_log[@]}" \
    --blobHost 127.0.0.1 --blobPort "$blob_port" \
    --queueHost 127.0.0.1 --queuePort "$queue_port" \
    --tableHost 127.0.0.1 --tablePort "$table_port" &
  azurite_pid=$!
  set +m
  for _ in $(seq 1 100); do
    azurite_ready && break
    kill -0 "$azurite_pid" 2>/dev/null || fail "Azurite failed to start"
    sleep 0.2
  done
  azurite_ready || fail "Azurite did not open its ports within 20 s"
  echo "Azurite started (pid $azurite_pid, data in .local/azurite)"
fi

if [[ "$mode" == "func" ]]; then
  func start --port "$port" &
else
  # shellcheck disable=SC2086  # EMULATOR_ARGS is a list of options
  "$localhost_bin" --port "$port" --app . ${EMULATOR_ARGS:-} &
fi
host_pid=$!

for _ in $(seq 1 150); do
  port_open "$port" && break
  if ! kill -0 "$host_pid" 2>/dev/null; then
    status=0
    wait "$host_pid" || status=$?
    host_pid=""
    exit "$status"
  fi
  sleep 0.2
done
port_open "$port" || fail "The app did not open port $port within 30 s"

if [[ "$mode" == "func" ]]; then
  dashboard="(the dashboard comes with durable-localhost: make run)"
else
  dashboard="http://localhost:$port/_dashboard/"
fi
cat <<MSG

The app is running at http://localhost:$port/api/  (Ctrl-C stops it and Azurite)
Dashboard: $dashboard
Try it:
  curl -X POST http://localhost:$port/api/customers -H 'Content-Type: application/json' -d '{"email":"ada@example.com","name":"Ada Lovelace"}'

MSG
wait "$host_pid"
