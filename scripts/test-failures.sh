#!/usr/bin/env bash
# Lists every failed test of the TRX files under a directory, with the first line of its message,
# so that the end of a CI log says which tests failed and why.
set -euo pipefail
dir="$1"
shopt -s nullglob globstar
for f in "$dir"/**/*.trx; do
  awk '
    /<UnitTestResult / && /outcome="(Failed|Error|Timeout|Aborted)"/ {
      match($0, /testName="[^"]*"/)
      name = substr($0, RSTART + 10, RLENGTH - 11)
      gsub(/&quot;/, "\"", name); gsub(/&amp;/, "\\&", name); gsub(/&lt;/, "<", name); gsub(/&gt;/, ">", name)
      print "FAILED " name
      want = 1
      next
    }
    want && /<Message>/ {
      msg = $0
      sub(/.*<Message>/, "", msg); sub(/<\/Message>.*/, "", msg)
      gsub(/&quot;/, "\"", msg); gsub(/&amp;/, "\\&", msg); gsub(/&lt;/, "<", msg); gsub(/&gt;/, ">", msg)
      print "    " substr(msg, 1, 400)
      want = 0
    }
    /<\/UnitTestResult>/ { want = 0 }
  ' "$f"
done
