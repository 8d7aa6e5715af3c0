#!/usr/bin/env bash
# Installs what the tests need, builds everything and runs every test project.
# Extra arguments go to `dotnet test` (for example: ./test.sh --filter FullyQualifiedName~Storage).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required (dotnet was not found on PATH)." >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

if ! scripts/install-test-deps.sh; then
  echo "test.sh: could not install the test dependencies" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

if ! dotnet build Fluid.slnx -c Release --nologo -clp:ErrorsOnly -v quiet; then
  echo "test.sh: build failed" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

dotnet test Fluid.slnx -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" \
  --results-directory "$results" \
  --blame-hang-timeout 10m "$@"
status=$?

scripts/test-failures.sh "$results" || true
summary="$(scripts/test-summary.sh "$results")"
failed="$(echo "$summary" | sed -n 's/.*passed, \([0-9]*\) failed.*/\1/p')"
if [ "$status" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then
  # dotnet test failed without a failing test result (a crashed or hung test host): count it.
  summary="$(echo "$summary" | sed 's/ 0 failed/ 1 failed/')"
fi
echo "$summary"
[ "$status" -eq 0 ]
