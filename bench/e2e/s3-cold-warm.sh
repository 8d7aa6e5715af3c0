#!/usr/bin/env bash
# End-to-end cache benchmark (issue 3): a generated dataset of 2,000 files of 100 KiB-1 MiB plus four
# 256 MiB files in a local S3 server (s3rver), brought up through the cache with a FUSE mount, read
# twice as a training epoch reads (whole files, shuffled, 8 readers): prints the cold and the warm
# throughput and their ratio (and a third pass with the mount's kernel page cache dropped, which the
# cache's own MEM/SSD tiers serve). It is `fluid quickstart` with a bigger sample; everything it
# starts and writes is removed at the end.
#
# usage: bench/e2e/s3-cold-warm.sh   (environment: FILES, LARGE_FILES, LARGE_MB, READERS)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
files="${FILES:-2000}"
large_files="${LARGE_FILES:-4}"
large_mb="${LARGE_MB:-256}"
readers="${READERS:-8}"

echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$root/fluid" quickstart --files "$files" --large-files "$large_files" --large-size "$large_mb" --readers "$readers"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
