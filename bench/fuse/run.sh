#!/usr/bin/env bash
# Warm-read benchmark of the FUSE file system, side by side on the same generated data in one run:
#   (a) straight from the local files (the limit)
#   (b) through bindfs over those files (a C FUSE passthrough file system, Debian package bindfs)
#   (c) rclone mount --vfs-cache-mode full            -- column reserved, added with the cache engine
#   (d) through `fluid mount-dir` (DirectoryBackend), passthrough on, and off (page cache, zero-message opens)
#   (e) through the fluid cache engine after `fluid load` -- column reserved
# for large files (MB/s) and small files (files/s), with 1 and 8 readers; each reported as a ratio to (a).
#
# usage: bench/fuse/run.sh            (environment: BENCH_DIR, LARGE_COUNT, LARGE_MB, SMALL_COUNT, SMALL_KB, PASSES)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bench_dir="${BENCH_DIR:-/tmp/fluid-fuse-bench}"
large_count="${LARGE_COUNT:-4}"
large_mb="${LARGE_MB:-256}"
small_count="${SMALL_COUNT:-5000}"
small_kb="${SMALL_KB:-100}"
passes="${PASSES:-3}"
readers=(1 8)
reader="$root/bench/fuse/read.py"

if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh: run as root (mount(2), FUSE passthrough and read_ahead_kb need it)" >&2
  exit 1
fi
for tool in python3 dotnet; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done
if ! command -v bindfs >/dev/null; then
  echo "run.sh: installing bindfs" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bindfs >/dev/null
fi

echo "building fluid (Release)..." >&2
dotnet build "$root/src/Fluid.Cli" -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
fluid=(dotnet "$root/artifacts/bin/Fluid.Cli/release/fluid.dll")

data="$bench_dir/data"
mkdir -p "$data/large" "$data/small"
marker="$data/.generated-$large_count-$large_mb-$small_count-$small_kb"
if [ ! -e "$marker" ]; then
  echo "generating $large_count x $large_mb MiB and $small_count x $small_kb KiB in $data..." >&2
  rm -rf "$data/large" "$data/small" "$data"/.generated-*
  mkdir -p "$data/large" "$data/small"
  for i in $(seq 1 "$large_count"); do
    head -c "$((large_mb << 20))" /dev/urandom >"$data/large/file-$i.bin"
  done
  python3 - "$data/small" "$small_count" "$small_kb" <<'EOF'
import os, sys
root, count, kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
blob = os.urandom(kb * 1024 + 4096)
for i in range(count):
    d = os.path.join(root, "shard-%03d" % (i // 500))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "img-%06d.jpg" % i), "wb") as f:
        f.write(blob[i % 4096 : i % 4096 + kb * 1024])
EOF
  touch "$marker"
fi
sync # no writeback of the generated data may disturb the measurements

mounts=()
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT

mount_bindfs() {
  local m="$bench_dir/mnt-bindfs"
  mkdir -p "$m"; umount -l "$m" 2>/dev/null || true
  bindfs -o ro "$data" "$m"
  mounts+=("$m")
  mounted="$m"
}

# Starts `fluid mount-dir` in the background; its counters land in $bench_dir/<name>.log on unmount.
mount_fluid() {
  local name="$1"; shift
  local m="$bench_dir/mnt-$name"
  mkdir -p "$m"
  "${fluid[@]}" mount-dir "$data" "$m" --stats "$@" >"$bench_dir/$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 300); do
    grep -q '^Mounted' "$bench_dir/$name.log" 2>/dev/null && break
    sleep 0.1
  done
  grep -q '^Mounted' "$bench_dir/$name.log" || { cat "$bench_dir/$name.log" >&2; exit 1; }
  mounts+=("$m")
  mounted="$m"
}

stop_fluid() {
  local pid="${pids[-1]}"
  kill -TERM "$pid"; wait "$pid" || true
  unset 'pids[-1]'
}

declare -A result
measure() {
  local label="$1" dir="$2"
  for r in "${readers[@]}"; do
    result["$label,large,$r"]="$(python3 "$reader" large "$dir/large" "$r" "$passes")"
    result["$label,small,$r"]="$(python3 "$reader" small "$dir/small" "$r" "$passes" 3)"
    echo "  $label readers=$r large=${result[$label,large,$r]} MB/s small=${result[$label,small,$r]} files/s" >&2
  done
}

echo "(a) local files" >&2
measure local "$data"

echo "(b) bindfs" >&2
mount_bindfs
measure bindfs "$mounted"
umount "$bench_dir/mnt-bindfs"

echo "(d) fluid mount-dir, passthrough on (default: files >= 1 MiB; smaller ones through the page cache)" >&2
mount_fluid fluid-pt --passthrough Auto
measure fluid-pt "$mounted"
stop_fluid

echo "(d) fluid mount-dir, passthrough off (zero-message opens, page cache)" >&2
mount_fluid fluid-cache --passthrough Off
measure fluid-cache "$mounted"
stop_fluid

echo "(d) fluid mount-dir, passthrough for every file" >&2
mount_fluid fluid-pt-all --passthrough Auto --passthrough-min-size 0
measure fluid-pt-all "$mounted"
stop_fluid

echo "(a) local files, again (the limit is the better of the two runs)" >&2
measure local-again "$data"
for key in "${!result[@]}"; do
  case "$key" in
    local-again,*) k="local,${key#local-again,}"
      if python3 -c "import sys; sys.exit(0 if float('${result[$key]}') > float('${result[$k]}') else 1)"; then result["$k"]="${result[$key]}"; fi ;;
  esac
done

ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
echo
echo "Warm reads, best of $passes passes after one warm-up pass; $large_count x $large_mb MiB files, $small_count x $small_kb KiB files."
printf '%-34s %14s %7s %14s %7s %14s %7s %14s %7s\n' target "large MB/s 1r" ratio "large MB/s 8r" ratio "small f/s 1r" ratio "small f/s 8r" ratio
for label in local bindfs rclone fluid-pt fluid-pt-all fluid-cache fluid-engine; do
  case "$label" in
    local) name="(a) local files" ;;
    bindfs) name="(b) bindfs" ;;
    rclone) name="(c) rclone vfs-cache full" ;;
    fluid-pt) name="(d) fluid, passthrough >= 1 MiB" ;;
    fluid-pt-all) name="(d) fluid, passthrough all files" ;;
    fluid-cache) name="(d) fluid, passthrough off" ;;
    fluid-engine) name="(e) fluid cache engine" ;;
  esac
  if [ -z "${result[$label,large,1]:-}" ]; then
    printf '%-34s %s\n' "$name" "(not measured by this script yet)"
    continue
  fi
  row=()
  for kind in large small; do
    for r in "${readers[@]}"; do
      v="${result[$label,$kind,$r]}"
      row+=("$v" "$(ratio "$v" "${result[local,$kind,$r]}")")
    done
  done
  printf '%-34s %14s %7s %14s %7s %14s %7s %14s %7s\n' "$name" "${row[@]}"
done

echo
echo "FUSE requests seen by each fluid mount (whole run, all passes; counters printed at unmount):"
for name in fluid-pt fluid-pt-all fluid-cache; do
  echo "  $name: $(grep '^requests\[' "$bench_dir/$name.log" || echo '(none)')"
done
