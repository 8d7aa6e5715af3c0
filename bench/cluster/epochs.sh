#!/usr/bin/env bash
# Warm-epoch time through the FUSE mount with the cache in the mount's own process and on 1, 2 and 3 local
# worker processes (fluid up --workers N), side by side in one run, against reading the source directory
# itself. Each configuration: fluid up, fluid load (everything cached), then EPOCHS epochs; before each
# epoch the kernel's page cache is dropped, so every byte comes from the cache (its MEM tier, its SSD tier
# files, or a worker over loopback), as in a training job's second epoch on a node whose memory went to
# the job. An epoch reads every file whole, in a shuffled order, with READERS parallel readers.
#
# usage: bench/cluster/epochs.sh   (environment: FILES, LARGE_FILES, LARGE_MB, READERS, EPOCHS, KEEP=1)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bench/cluster/common.sh"
files="${FILES:-1000}"
large_files="${LARGE_FILES:-2}"
large_mb="${LARGE_MB:-128}"
readers="${READERS:-8}"
epochs="${EPOCHS:-3}"
[ "$(id -u)" = 0 ] || { echo "epochs.sh: run as root (it mounts FUSE and drops the page cache)" >&2; exit 1; }

work="$(mktemp -d /tmp/fluid-epochs.XXXXXX)"
export FLUID_RUN_DIR="$work/run"
name="epochs$$"
cleanup() {
  "$root/fluid" down "$name" >/dev/null 2>&1 || true
  sleep 1
  umount -l "$work/mnt" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "generating $files files of 100 KiB-1 MiB and $large_files of $large_mb MiB in $work/src ..."
total_bytes=$(generate_dataset "$work/src" "$files" "$large_files" "$large_mb")
echo "dataset: $(wc -l < "$work/src.list") files, $((total_bytes / 1048576)) MiB"

cat > "$work/dataset.yaml" <<EOF
apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata:
  name: $name
spec:
  mounts:
    - mountPoint: local://$work/src
      name: data
      path: /
---
apiVersion: data.fluid.io/v1alpha1
kind: FluidCacheRuntime
metadata:
  name: $name
spec:
  tieredstore:
    levels:
      - mediumtype: MEM
        path: /dev/shm
        quota: 512Mi
      - mediumtype: SSD
        path: $work/cache
        quota: 4Gi
EOF
# The same runtime with its disk tier only: every file then sits whole in a worker's SSD directory, which a
# co-located mount reads directly (short-circuit) or hands to the kernel (passthrough).
grep -v -e 'mediumtype: MEM' -e 'path: /dev/shm' -e 'quota: 512Mi' "$work/dataset.yaml" > "$work/dataset-ssd.yaml"

# One epoch: the page cache dropped, every file under DIR read whole, shuffled, READERS at a time; prints seconds.
epoch() { timed_epoch "$1" "$work/src.list" "$readers" drop; }

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

results=()
run_config() {
  local label="$1" manifest="$2"; shift 2
  rm -rf "$work/cache"
  "$root/fluid" up -f "$manifest" --mount "$work/mnt" "$@" > "$work/up.log" 2>&1 &
  local pid=$!
  wait_until_up "$work/up.log" "$pid"
  "$root/fluid" load "$name" > /dev/null
  local times=()
  for _ in $(seq 1 "$epochs"); do times+=("$(epoch "$work/mnt")"); done
  local best
  best=$(printf '%s\n' "${times[@]}" | median)
  results+=("$label|$best|${times[*]}")
  "$root/fluid" down "$name" > /dev/null
  wait "$pid" || true
}

# The limit: the source directory itself, page cache dropped (the local disk).
local_times=()
for _ in $(seq 1 "$epochs"); do local_times+=("$(epoch "$work/src")"); done
results+=("local directory (limit)|$(printf '%s\n' "${local_times[@]}" | median)|${local_times[*]}")

"$root/fluid" version > /dev/null # builds the CLI before anything is timed
run_config "in-process cache" "$work/dataset.yaml"
run_config "1 worker" "$work/dataset.yaml" --workers 1
run_config "2 workers" "$work/dataset.yaml" --workers 2
run_config "3 workers" "$work/dataset.yaml" --workers 3
run_config "3 workers, passthrough Auto" "$work/dataset.yaml" --workers 3 --passthrough Auto
run_config "SSD only: in-process, Auto" "$work/dataset-ssd.yaml" --passthrough Auto
run_config "SSD only: 3 workers" "$work/dataset-ssd.yaml" --workers 3
run_config "SSD only: 3 workers, Auto" "$work/dataset-ssd.yaml" --workers 3 --passthrough Auto

echo
echo "warm epoch, page cache dropped, $readers readers, median of $epochs (seconds of each epoch in brackets):"
reference=$(echo "${results[1]}" | cut -d'|' -f2)
limit=$(echo "${results[0]}" | cut -d'|' -f2)
printf '%-30s %9s %11s %13s %13s\n' "configuration" "seconds" "MiB/s" "vs in-process" "vs local dir"
for row in "${results[@]}"; do
  IFS='|' read -r label secs all <<< "$row"
  awk -v l="$label" -v s="$secs" -v t="$total_bytes" -v r="$reference" -v m="$limit" -v a="$all" \
    'BEGIN { printf "%-30s %9.2f %11.0f %13.2f %13.2f   [%s]\n", l, s, t / 1048576 / s, r / s, m / s, a }'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
