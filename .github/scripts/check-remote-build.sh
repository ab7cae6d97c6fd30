#!/usr/bin/env bash
# After a code deployment with a remote build: the deployment log's pip lines, and whether pip
# reached the package index. With network isolation the site routes all outbound traffic
# through its subnet, and a subnet without outbound internet access fails the build's
# `pip install`. Prints the pip lines as Markdown (for the job summary); fails, naming the
# lines, when they show pip failed.
#
# Usage: check-remote-build.sh [SLOT]   (RESOURCE_GROUP, APP)
set -euo pipefail

group="${RESOURCE_GROUP:?}"
app="${APP:?}"
slot="${1:-}"
where="$app${slot:+ (slot $slot)}"

lines=$(az webapp log deployment show --resource-group "$group" --name "$app" \
  ${slot:+--slot "$slot"} --query "[?contains(message, 'pip')].message" --output tsv || true)
# pip's own errors, and a failed build step; not the warnings of a retry that may yet succeed.
failures=$(grep -v "WARNING:" <<<"$lines" | grep -E "ERROR:|[Ff]ailed" || true)

echo "### Remote build: pip ($where)"
echo
if [[ -z "$lines" ]]; then
  echo "The deployment log has no pip lines: check the remote build ran (\`--build-remote true\`)."
  exit 0
fi
echo '```text'
echo "$lines"
echo '```'
if [[ -n "$failures" ]]; then
  echo
  echo "**pip failed in the remote build**: with network isolation, the subnet needs outbound"
  echo "HTTPS to the package index (route-all sends all outbound traffic through it)."
  echo "pip failed in the remote build of $where:" >&2
  echo "$failures" >&2
  exit 1
fi
