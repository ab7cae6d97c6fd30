#!/usr/bin/env bash
# `make run` / `make func`: local settings, Azurite, then the local host or Core Tools.
#   bash scripts/run_local.sh emulator   # durable-localhost (default)
#   bash scripts/run_local.sh func       # func start, if Core Tools is installed
# PORT (default 7071) and EMULATOR_ARGS (extra durable-localhost options) may be set in the
# environment.
set -euo pipefail

mode="${1:-emulator}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
port="${PORT:-7071}"
localhost_bin="${LOCALHOST_BIN:-.venv/bin/durable-localhost}"
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
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

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

if port_open 10000 && port_open 10001 && port_open 10002; then
  echo "Reusing the Azurite already listening on 127.0.0.1:10000-10002"
else
  mkdir -p .local/azurite
  # No telemetry: it would wait on a server this machine cannot reach when stopping.
  node_modules/.bin/azurite --silent --skipApiVersionCheck --disableTelemetry \
    --location .local/azurite --debug .local/azurite/debug.log \
    --blobHost 127.0.0.1 --blobPort 10000 \
    --queueHost 127.0.0.1 --queuePort 10001 \
    --tableHost 127.0.0.1 --tablePort 10002 &
  azurite_pid=$!
  for _ in $(seq 1 100); do
    port_open 10000 && port_open 10001 && port_open 10002 && break
    kill -0 "$azurite_pid" 2>/dev/null || { echo "Azurite failed to start" >&2; exit 1; }
    sleep 0.2
  done
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
  kill -0 "$host_pid" 2>/dev/null || { wait "$host_pid"; exit $?; }
  sleep 0.2
done

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
