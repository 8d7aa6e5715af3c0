#!/usr/bin/env bash
# Sums the counters of every TRX file under a directory and prints "N passed, N failed, N skipped".
set -euo pipefail
dir="$1"
passed=0 failed=0 skipped=0
shopt -s nullglob globstar
for f in "$dir"/**/*.trx; do
  line="$(grep -o '<Counters [^>]*>' "$f" | head -n1)"
  [ -n "$line" ] || continue
  get() { echo "$line" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  total=$(get total); executed=$(get executed); p=$(get passed); fl=$(get failed); err=$(get error); to=$(get timeout); ab=$(get aborted)
  passed=$((passed + p))
  failed=$((failed + fl + ${err:-0} + ${to:-0} + ${ab:-0}))
  skipped=$((skipped + total - executed))
done
echo "$passed passed, $failed failed, $skipped skipped"
