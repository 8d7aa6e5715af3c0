#!/usr/bin/env bash
# Warm-read benchmark of POSIX access to a dataset, side by side on the same generated data in one run:
#   (a) straight from the local files (the limit)
#   (b) through bindfs over those files (a C FUSE passthrough file system, Debian package bindfs)
#   (c) through `rclone mount --vfs-cache-mode full` over the same files served by a local S3 server
#       (s3rver), after one warm-up pass (Debian package rclone)
#   (d) through the fluid mount of the same S3 dataset after `fluid load` (the cache engine; by default
#       with passthrough off, and once more with --passthrough Auto)
#   (e) through `fluid mount-dir` over the local files (the FUSE layer alone, no cache), for reference
# for large files (MB/s) and small files (files/s), with 1 and 8 readers; each reported as a ratio to (a).
#
# usage: bench/fuse/run.sh     (root; environment: BENCH_DIR, LARGE_COUNT, LARGE_MB, SMALL_COUNT, SMALL_KB,
#                               PASSES, ONLY="a b c d e" to run a subset; (a) always runs)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bench_dir="${BENCH_DIR:-/tmp/fluid-fuse-bench}"
large_count="${LARGE_COUNT:-4}"
large_mb="${LARGE_MB:-256}"
small_count="${SMALL_COUNT:-5000}"
small_kb="${SMALL_KB:-100}"
passes="${PASSES:-3}"
only=" ${ONLY:-a b c d e} "
readers=(1 8)
reader="$root/bench/fuse/read.py"

if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh: run as root (mount(2), FUSE passthrough and read_ahead_kb need it)" >&2
  exit 1
fi
for tool in python3 dotnet curl; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done
for pkg in bindfs rclone; do
  if ! command -v "$pkg" >/dev/null; then
    echo "run.sh: installing $pkg" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
  fi
done
s3rver="$root/artifacts/tools/node_modules/.bin/s3rver"
[ -x "$s3rver" ] || "$root/scripts/install-test-deps.sh"

echo "building fluid (Release)..." >&2
dotnet build "$root/src/Fluid.Cli" -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
fluid=(dotnet "$root/artifacts/bin/Fluid.Cli/release/fluid.dll")
export FLUID_RUN_DIR="$bench_dir/run"

data="$bench_dir/data"
mkdir -p "$data/large" "$data/small"
tag="$large_count-$large_mb-$small_count-$small_kb"
marker="$data/.generated-$tag"
if [ ! -e "$marker" ]; then
  echo "generating $large_count x $large_mb MiB and $small_count x $small_kb KiB in $data..." >&2
  rm -rf "$data/large" "$data/small" "$data"/.generated-* "$bench_dir/s3"
  mkdir -p "$data/large" "$data/small"
  for i in $(seq 1 "$large_count"); do
    dd if=/dev/urandom of="$data/large/file-$i.bin" bs=1M count="$large_mb" status=none
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
# An object directly in small/: some S3 servers (s3rver) do not list a prefix that holds only prefixes.
with open(os.path.join(root, "index.txt"), "w") as f:
    f.write("%d shards\n" % ((count + 499) // 500))
EOF
  touch "$marker"
fi
sync # no writeback of the generated data may disturb the measurements

# Drop the local files' pages (these files only): pages left by the writes that generated them can sit in
# small folios, which read at half the speed of the large folios readahead builds (measured: 5.3 against
# 12.6 GB/s for one 256 MiB file); every target then fills its page cache by reading, in its warm-up pass.
python3 - "$data" <<'EOF'
import os, sys
for d, _, names in os.walk(sys.argv[1]):
    for n in names:
        fd = os.open(os.path.join(d, n), os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
EOF

mounts=()
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The same files in a bucket of a local S3 server, for (c) and (d). s3rver keeps its data between runs.
s3_port=""
start_s3() {
  [ -n "$s3_port" ] && return
  s3_port="$(free_port)"
  mkdir -p "$bench_dir/s3"
  NODE_OPTIONS=--openssl-legacy-provider "$s3rver" --directory "$bench_dir/s3" --address 127.0.0.1 --port "$s3_port" --silent \
    >"$bench_dir/s3rver.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$s3_port/" && break; sleep 0.1; done
  if [ ! -e "$bench_dir/s3/.uploaded-$tag" ]; then
    echo "uploading the data to s3://bench on s3rver (port $s3_port)..." >&2
    curl -s -f -X PUT "http://127.0.0.1:$s3_port/bench" -o /dev/null || true
    # s3rver accepts unsigned uploads; eight at a time.
    (cd "$data" && find large small -type f -print0 | xargs -0 -P 8 -I{} curl -s -f -T {} "http://127.0.0.1:$s3_port/bench/{}" -o /dev/null)
    touch "$bench_dir/s3/.uploaded-$tag"
  fi
}

mount_bindfs() {
  local m="$bench_dir/mnt-bindfs"
  mkdir -p "$m"; umount -l "$m" 2>/dev/null || true
  bindfs -o ro "$data" "$m"
  mounts+=("$m")
  mounted="$m"
}

mount_rclone() {
  local m="$bench_dir/mnt-rclone"
  mkdir -p "$m"; umount -l "$m" 2>/dev/null || true
  rm -rf "$bench_dir/rclone-cache"
  # rclone 1.60 refuses to start with AWS_CA_BUNDLE set (it is set on our build machines).
  env -u AWS_CA_BUNDLE \
    RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other RCLONE_CONFIG_BENCH_ENDPOINT="http://127.0.0.1:$s3_port" \
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=S3RVER RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=S3RVER RCLONE_CONFIG_BENCH_REGION=us-east-1 \
    rclone mount bench:bench "$m" --read-only --vfs-cache-mode full --cache-dir "$bench_dir/rclone-cache" \
      --vfs-cache-max-size 20G --dir-cache-time 1h --attr-timeout 1h --log-file "$bench_dir/rclone.log" &
  pids+=("$!")
  for _ in $(seq 1 100); do mountpoint -q "$m" && break; sleep 0.1; done
  mountpoint -q "$m" || { cat "$bench_dir/rclone.log" >&2; exit 1; }
  mounts+=("$m")
  mounted="$m"
}

# Starts `fluid up` for the S3 dataset in the background and loads it; extra arguments go to `fluid up`.
mount_engine() {
  local name="$1"; shift
  local m="$bench_dir/mnt-$name"
  rm -rf "$bench_dir/cache-$name"
  cat >"$bench_dir/$name.yaml" <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: s3rver
stringData:
  access-key: S3RVER
  secret-key: S3RVER
---
apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata:
  name: $name
spec:
  mounts:
    - mountPoint: s3://bench
      name: bench
      path: /
      options:
        endpoint: http://127.0.0.1:$s3_port
        region: us-east-1
      encryptOptions:
        - name: access-key
          valueFrom: {secretKeyRef: {name: s3rver, key: access-key}}
        - name: secret-key
          valueFrom: {secretKeyRef: {name: s3rver, key: secret-key}}
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
        quota: 2Gi
      - mediumtype: SSD
        path: $bench_dir/cache-$name
        quota: 4Gi
EOF
  "${fluid[@]}" up -f "$bench_dir/$name.yaml" --mount "$m" "$@" >"$bench_dir/$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 300); do grep -q 'is up' "$bench_dir/$name.log" 2>/dev/null && break; sleep 0.1; done
  grep -q 'is up' "$bench_dir/$name.log" || { cat "$bench_dir/$name.log" >&2; exit 1; }
  mounts+=("$m")
  echo "  $("${fluid[@]}" load "$name" | tail -1)" >&2
  mounted="$m"
}

stop_engine() {
  local name="$1"
  "${fluid[@]}" status "$name" -o json >"$bench_dir/$name.status.json"
  "${fluid[@]}" down "$name" >/dev/null
  local pid="${pids[-1]}"
  wait "$pid" || true
  unset 'pids[-1]'
}

# Starts `fluid mount-dir` in the background; its counters land in $bench_dir/<name>.log on unmount.
mount_dir() {
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

stop_dir() {
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

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "(a) local files" >&2
measure local "$data"

if [[ "$only" == *" b "* ]]; then
  echo "(b) bindfs" >&2
  mount_bindfs
  measure bindfs "$mounted"
  umount "$bench_dir/mnt-bindfs"
fi

if [[ "$only" == *" c "* ]]; then
  start_s3
  echo "(c) rclone mount --vfs-cache-mode full over s3rver (the warm-up pass fills its cache)" >&2
  mount_rclone
  measure rclone "$mounted"
  umount "$bench_dir/mnt-rclone"
  kill -TERM "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
fi

if [[ "$only" == *" d "* ]]; then
  start_s3
  echo "(d) fluid up over s3rver, after fluid load (default: passthrough off, zero-message opens)" >&2
  mount_engine engine-nopt
  measure engine-nopt "$mounted"
  stop_engine engine-nopt
  echo "(d) fluid up --passthrough Auto over s3rver, after fluid load (files >= 1 MiB held whole on the SSD tier)" >&2
  mount_engine engine-pt --passthrough Auto
  measure engine-pt "$mounted"
  stop_engine engine-pt
fi

if [[ "$only" == *" e "* ]]; then
  echo "(e) fluid mount-dir over the local files, passthrough on (files >= 1 MiB)" >&2
  mount_dir dir-pt --passthrough Auto
  measure dir-pt "$mounted"
  stop_dir
  echo "(e) fluid mount-dir over the local files, passthrough off (zero-message opens)" >&2
  mount_dir dir-nopt --passthrough Off
  measure dir-nopt "$mounted"
  stop_dir
fi

echo "(a) local files, again (the limit is the better of the two runs)" >&2
measure local-again "$data"
for key in "${!result[@]}"; do
  case "$key" in
    local-again,*) k="local,${key#local-again,}"
      if python3 -c "import sys; sys.exit(0 if float('${result[$key]}') > float('${result[$k]}') else 1)"; then result["$k"]="${result[$key]}"; fi ;;
  esac
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
echo
echo "Warm reads, best of $passes passes after one warm-up pass; $large_count x $large_mb MiB files, $small_count x $small_kb KiB files."
printf '%-44s %14s %7s %14s %7s %14s %7s %14s %7s\n' target "large MB/s 1r" ratio "large MB/s 8r" ratio "small f/s 1r" ratio "small f/s 8r" ratio
for label in local bindfs rclone engine-nopt engine-pt dir-pt dir-nopt; do
  case "$label" in
    local) name="(a) local files" ;;
    bindfs) name="(b) bindfs" ;;
    rclone) name="(c) rclone, vfs-cache-mode full" ;;
    engine-nopt) name="(d) fluid up + load (default, passthrough off)" ;;
    engine-pt) name="(d) fluid up --passthrough Auto + load" ;;
    dir-pt) name="(e) fluid mount-dir, passthrough" ;;
    dir-nopt) name="(e) fluid mount-dir, passthrough off" ;;
  esac
  [ -n "${result[$label,large,1]:-}" ] || continue
  row=()
  for kind in large small; do
    for r in "${readers[@]}"; do
      v="${result[$label,$kind,$r]}"
      row+=("$v" "$(ratio "$v" "${result[local,$kind,$r]}")")
    done
  done
  printf '%-44s %14s %7s %14s %7s %14s %7s %14s %7s\n' "$name" "${row[@]}"
done

echo
for name in engine-nopt engine-pt; do
  [ -e "$bench_dir/$name.status.json" ] || continue
  python3 - "$bench_dir/$name.status.json" "$name" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
f, c = s.get("fuse") or {}, s["counters"]
print("%s: cached %s of %s, hit ratio %s; FUSE passthrough opens %d, cached opens %d, READ requests %d (%.0f MB), errors %d; cache hits %d, misses %d" % (
    sys.argv[2], s["status"]["cacheStates"]["cached"], s["status"]["ufsTotal"], s["status"]["cacheStates"]["cacheHitRatio"],
    f.get("passthroughOpens", 0), f.get("cachedOpens", 0), f.get("readRequests", 0), f.get("bytesRead", 0) / 1e6, f.get("errors", 0),
    c["memoryHits"] + c["diskHits"], c["misses"]))
EOF
done
for name in dir-pt dir-nopt; do
  [ -e "$bench_dir/$name.log" ] && echo "$name: $(grep '^requests\[' "$bench_dir/$name.log" || echo '(no counters)')"
done
