#!/usr/bin/env bash
# Poll a health URL until it answers 200: a slot that was just deployed restarts its host and
# answers 503 (or not at all) for a while. Fails, naming the last status, when time runs out.
#
# Usage: wait-healthy.sh URL [TIMEOUT_SECONDS]   (HEALTH_POLL_SECONDS: pause between tries)
set -euo pipefail

url="$1"
timeout="${2:-600}"
pause="${HEALTH_POLL_SECONDS:-10}"
deadline=$((SECONDS + timeout))
status="none"

while true; do
  status=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 30 "$url" || true)
  if [[ "$status" == "200" ]]; then
    echo "$url answered 200"
    exit 0
  fi
  if ((SECONDS >= deadline)); then
    break
  fi
  sleep "$pause"
done

echo "$url did not answer 200 within ${timeout}s (last status: ${status:-none})" >&2
exit 1
