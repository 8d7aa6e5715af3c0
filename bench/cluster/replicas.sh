#!/usr/bin/env bash
# What DataLoad replicas buy when a cache worker hangs. A dataset served by nginx from a network namespace
# whose link is slowed with tc (netem, or tbf where the kernel lacks netem: a remote store), three local workers (fluid up --workers 3, MEM tier
# only), everything loaded with --replicas 1 or 2, then one warm epoch through the FUSE mount (every file
# whole, shuffled, READERS parallel readers):
#   - all workers up (the reference);
#   - worker-1 stopped with SIGSTOP before the epoch (a hung node: the client times out on it once, marks
#     it down and goes to the next worker of the ring), with replicas 1 and with replicas 2.
# With one replica the hung worker's third of the files comes from the slow store again; with two, the
# next worker already holds it. Prints each epoch's throughput, its ratio to the reference, the bytes that
# crossed the slowed link during the epoch (read off the veth interface) and the client's failovers.
#
# usage: bench/cluster/replicas.sh   (environment: FILES, READERS, RATE (netem, e.g. 200mbit), DELAY (e.g. 5ms))
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bench/cluster/common.sh"
files="${FILES:-400}"
readers="${READERS:-8}"
rate="${RATE:-200mbit}"
delay="${DELAY:-5ms}"
[ "$(id -u)" = 0 ] || { echo "replicas.sh: run as root (network namespace, FUSE)" >&2; exit 1; }
command -v nginx > /dev/null || { echo "replicas.sh: nginx is needed (apt-get install -y nginx)" >&2; exit 1; }

work="$(mktemp -d /tmp/fluid-replicas.XXXXXX)"
chmod 755 "$work" # nginx's worker process runs unprivileged and must read the files
export FLUID_RUN_DIR="$work/run"
name="replicas$$"
ns="fluidslow$$"
host_if="fsh$$"
ns_if="fsn$$"
cleanup() {
  "$root/fluid" down "$name" > /dev/null 2>&1 || true
  pkill -CONT -f -- "--id worker-" 2> /dev/null || true
  sleep 1
  umount -l "$work/mnt" 2> /dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2> /dev/null || true
  ip netns del "$ns" 2> /dev/null || true
  ip link del "$host_if" 2> /dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "generating $files files of 100 KiB-1 MiB in $work/src ..."
total_bytes=$(generate_dataset "$work/src" "$files")
echo "dataset: $(wc -l < "$work/src.list") files, $((total_bytes / 1048576)) MiB"

# The remote store: nginx in its own network namespace behind a veth pair; netem shapes what it sends.
ip netns add "$ns"
ip link add "$host_if" type veth peer name "$ns_if"
ip link set "$ns_if" netns "$ns"
ip addr add 10.213.0.1/30 dev "$host_if"
ip link set "$host_if" up
ip netns exec "$ns" ip addr add 10.213.0.2/30 dev "$ns_if"
ip netns exec "$ns" ip link set "$ns_if" up
ip netns exec "$ns" ip link set lo up
# netem (rate and delay) where the kernel has it, else tbf (rate only; some kernels ship without sch_netem).
if ip netns exec "$ns" tc qdisc add dev "$ns_if" root netem rate "$rate" delay "$delay" 2> /dev/null; then
  shaping="netem rate $rate delay $delay"
else
  ip netns exec "$ns" tc qdisc add dev "$ns_if" root tbf rate "$rate" burst 64kb latency 100ms
  shaping="tbf rate $rate (this kernel has no netem: no added delay)"
fi
mkdir -p "$work/nginx/logs" "$work/nginx/temp"
cat > "$work/nginx/nginx.conf" <<EOF
daemon on;
pid $work/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/temp/body;
    proxy_temp_path $work/nginx/temp/proxy;
    fastcgi_temp_path $work/nginx/temp/fastcgi;
    uwsgi_temp_path $work/nginx/temp/uwsgi;
    scgi_temp_path $work/nginx/temp/scgi;
    default_type application/octet-stream;
    sendfile on;
    keepalive_requests 100000;
    server {
        listen 10.213.0.2:8080;
        location / { root $work/src; autoindex on; autoindex_format json; }
    }
}
EOF
ip netns exec "$ns" nginx -c "$work/nginx/nginx.conf"
sleep 0.5
curl -sf "http://10.213.0.2:8080/train/" > /dev/null || { echo "replicas.sh: the store in the namespace does not answer" >&2; exit 1; }
echo "store: http://10.213.0.2:8080/ through $shaping"

cat > "$work/dataset.yaml" <<EOF
apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata:
  name: $name
spec:
  mounts:
    - mountPoint: http://10.213.0.2:8080/
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
        quota: 1Gi
EOF

"$root/fluid" version > /dev/null # builds the CLI before anything is timed

counter() { python3 -c "import json,sys; print(json.load(sys.stdin)['cluster']['$1'])"; }

results=()
run_config() {
  local label="$1" replicas="$2" hang="$3"
  "$root/fluid" up -f "$work/dataset.yaml" --mount "$work/mnt" --workers 3 --client-cache 0 > "$work/up.log" 2>&1 &
  local pid=$!
  wait_until_up "$work/up.log" "$pid"
  "$root/fluid" load "$name" --replicas "$replicas" | tail -n 1
  local stopped=""
  if [ "$hang" = 1 ]; then
    for p in $(pgrep -f -- "--exit-with $pid( |$)"); do
      tr '\0' ' ' < "/proc/$p/cmdline" | grep -q -- "--id worker-1 " && stopped="$p"
    done
    [ -n "$stopped" ] || { echo "replicas.sh: worker-1 not found" >&2; exit 1; }
    kill -STOP "$stopped"
  fi
  local seconds before after
  before=$(cat "/sys/class/net/$host_if/statistics/rx_bytes")
  seconds=$(timed_epoch "$work/mnt" "$work/src.list" "$readers")
  after=$(cat "/sys/class/net/$host_if/statistics/rx_bytes")
  local status
  status=$("$root/fluid" status "$name" -o json)
  results+=("$label|$seconds|$((after - before))|$(counter failovers <<< "$status")")
  [ -z "$stopped" ] || kill -CONT "$stopped"
  "$root/fluid" down "$name" > /dev/null
  wait "$pid" || true
}

run_config "all 3 workers up, replicas 1 (reference)" 1 0
run_config "worker-1 hung, replicas 1" 1 1
run_config "worker-1 hung, replicas 2" 2 1

ref=$(echo "${results[0]}" | cut -d'|' -f2)
echo
printf '%-42s %8s %10s %8s %16s %10s\n' configuration seconds "MiB/s" ratio "from the store" failovers
for row in "${results[@]}"; do
  IFS='|' read -r label seconds fallback failovers <<< "$row"
  awk -v l="$label" -v s="$seconds" -v r="$ref" -v b="$total_bytes" -v f="$fallback" -v o="$failovers" \
    'BEGIN { printf "%-42s %8.2f %10.1f %8.2f %13.1f MiB %10d\n", l, s, b / s / 1048576, r / s, f / 1048576, o }'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
