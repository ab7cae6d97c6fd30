#!/usr/bin/env bash
# The infrastructure argument that keeps production at the orchestration version it runs:
# NAME=VERSION for the tree's release-version parameter, or nothing (and a note) while the
# templates declare none; production then gets the release version through the swap alone.
#
# Usage: version-parameter.sh bicep|terraform VERSION   (INFRA_DIR: the infra folder)
set -euo pipefail

tool="${1:-}"
version="${2:?the version production runs}"
infra="${INFRA_DIR:-infra}"

case "$tool" in
  bicep)
    name="orchestrationVersion"
    pattern="^param $name "
    files=("$infra/bicep/main.bicep")
    ;;
  terraform)
    name="orchestration_version"
    pattern="^variable \"$name\""
    files=("$infra"/terraform/*.tf)
    ;;
  *)
    echo "unknown infrastructure tool '$tool' (bicep or terraform)" >&2
    exit 2
    ;;
esac

if grep -qsE "$pattern" "${files[@]}"; then
  echo "$name=$version"
else
  echo "the $tool templates declare no $name parameter: production gets the release" \
    "version through the swap only" >&2
fi
