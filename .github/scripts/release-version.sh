#!/usr/bin/env bash
# The release's orchestration version (Durable's defaultVersion): the tag (v1.4.0 -> 1.4.0) or
# the version given by hand. A release must move the version forward: new orchestrations are
# stamped with it, so reusing or lowering the one production runs would mix histories written by
# different code under one version. Prints the version; says why and fails otherwise.
#
# Usage: release-version.sh REQUESTED [RUNNING]
#   REQUESTED  the tag or input, with or without a leading "v"
#   RUNNING    the version production runs now (empty on the first deployment)
set -euo pipefail

requested="${1:-}"
running="${2:-}"
version="${requested#v}"

if [[ ! "$version" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]]; then
  echo "release version '$requested' is not MAJOR.MINOR.PATCH (tag v1.4.0, or 1.4.0 by hand)" >&2
  exit 1
fi

if [[ -n "$running" ]]; then
  if [[ "$running" == "$version" ]]; then
    echo "production already runs version $version: a release needs a newer version" >&2
    exit 1
  fi
  oldest=$(printf '%s\n%s\n' "$running" "$version" | sort --version-sort | head -n 1)
  if [[ "$oldest" == "$version" ]]; then
    echo "release version $version is older than $running, which production runs" >&2
    exit 1
  fi
fi

echo "$version"
