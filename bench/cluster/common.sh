# Pieces the cluster benchmarks share; sourced, not run. Callers set `root` (the repository).

# generate_dataset DIR FILES [LARGE_FILES LARGE_MB]: FILES files of 100 KiB-1 MiB of random bytes in 50 class
# directories under DIR/train (a fixed seed, so runs compare), and LARGE_FILES files of LARGE_MB MiB under DIR/big.
# Writes DIR.list (the paths, relative to DIR) and prints the total bytes.
generate_dataset() {
  local dir="$1" files="$2" large="${3:-0}" large_mb="${4:-0}"
  python3 - "$dir" "$files" "$large" "$large_mb" <<'PY'
import os, random, sys
root, files, large, large_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(7)
for i in range(files):
    d = os.path.join(root, "train", f"class{i % 50:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"img{i:06d}.bin"), "wb") as f:
        f.write(os.urandom(rng.randint(100 << 10, 1 << 20)))
if large:
    os.makedirs(os.path.join(root, "big"), exist_ok=True)
for i in range(large):
    with open(os.path.join(root, "big", f"shard{i}.bin"), "wb") as f:
        for _ in range(large_mb):
            f.write(os.urandom(1 << 20))
PY
  (cd "$dir" && find . -type f | sed 's|^\./||') > "$dir.list"
  du -sb "$dir" | cut -f1
}

# timed_epoch DIR LIST READERS [drop]: reads every file of LIST under DIR whole, in a shuffled order, READERS at
# a time, and prints the seconds it took; with "drop" the kernel's page cache is dropped first.
timed_epoch() {
  local dir="$1" list="$2" readers="$3"
  if [ "${4:-}" = drop ]; then
    sync
    echo 3 > /proc/sys/vm/drop_caches
  fi
  local start end
  start=$(date +%s.%N)
  (cd "$dir" && shuf --random-source=<(yes) "$list" | xargs -d '\n' -P "$readers" -n 16 cat > /dev/null)
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

# wait_until_up LOG PID: waits (up to a minute) for `fluid up` started in the background to serve; fails with its log.
wait_until_up() {
  local log="$1" pid="$2"
  for _ in $(seq 1 120); do
    grep -q "Ctrl-C or" "$log" && return 0
    kill -0 "$pid" 2> /dev/null || { cat "$log" >&2; return 1; }
    sleep 0.5
  done
  echo "fluid up did not come up within a minute:" >&2
  cat "$log" >&2
  return 1
}
