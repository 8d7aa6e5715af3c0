#!/usr/bin/env bash
# Reproduces the scheduling results of docs/scheduling.md: the sweep over trace sizes, the sensitivity table,
# an I/O-bound variant and one example trace with charts. Deterministic: the same commit gives the same files.
# Usage: bench/sim/run.sh [output directory]   (default: bench/sim/results)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/bench/sim/results}"
mkdir -p "$out"

"$root/fluid" sim params --format markdown >"$out/params.md"
"$root/fluid" sim sweep --sizes 15,20,25,30 --seeds 50 --out "$out/sweep" --format markdown
"$root/fluid" sim sensitivity --jobs 30 --seeds 30 --out "$out/sensitivity" >/dev/null
"$root/fluid" sim sweep --sizes 30 --seeds 50 --set workload.store-mbps=100 --set workload.duration-sigma=0.3 \
  --out "$out/io-bound" --format markdown >/dev/null
"$root/fluid" sim --jobs 30 --seed 1 --out "$out/example-30-jobs-seed-1"
echo "results in $out" >&2
