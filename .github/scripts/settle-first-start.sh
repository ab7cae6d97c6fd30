#!/usr/bin/env bash
# Settle the first-start race of a site (or slot) whose content share is a Key Vault reference:
# on a first deployment the site can start before its identity's role on the vault has
# propagated, and it keeps the unresolved reference until it restarts. Polls the reference's
# status and restarts the site while it is not Resolved; fails, naming the setting and the last
# status, when the attempts run out.
#
# Usage: settle-first-start.sh [SLOT]   (RESOURCE_GROUP, APP; SETTLE_ATTEMPTS, default 10;
#                                        SETTLE_PAUSE_SECONDS between restart and poll, default 60)
set -euo pipefail

group="${RESOURCE_GROUP:?}"
app="${APP:?}"
slot="${1:-}"
attempts="${SETTLE_ATTEMPTS:-10}"
pause="${SETTLE_PAUSE_SECONDS:-60}"
setting="WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"
site=("--resource-group" "$group" "--name" "$app" ${slot:+--slot "$slot"})
where="$app${slot:+ (slot $slot)}"

site_id=$(az functionapp show "${site[@]}" --query id --output tsv)
if [[ -z "$site_id" ]]; then
  echo "$where: no such function app in $group" >&2
  exit 1
fi
url="https://management.azure.com${site_id}/config/configreferences/appsettings/$setting?api-version=2024-04-01"

status="none"
for ((attempt = 1; attempt <= attempts; attempt++)); do
  status=$(az rest --method get --url "$url" --query properties.status --output tsv || true)
  if [[ "$status" == "Resolved" ]]; then
    echo "$where: $setting resolved (attempt $attempt)"
    exit 0
  fi
  echo "$where: $setting is '${status:-none}' (attempt $attempt of $attempts)"
  if ((attempt < attempts)); then
    az functionapp restart "${site[@]}"
    sleep "$pause"
  fi
done

echo "$where: the Key Vault reference $setting did not resolve after $attempts attempts" \
  "(last status: ${status:-none}); check the site's identity has 'Key Vault Secrets User' on" \
  "the vault and the vault's network rules let the site in" >&2
exit 1
