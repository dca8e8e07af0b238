#!/usr/bin/env bash
# bench_publish.sh: build/bench_publish for 15 and 1,000 done trials of
# s1e6's size (3.6 M parameters, 14 MB of weights each: the 1,000-trial
# run writes 14 GB of weights files to BENCH_DIR, default /tmp, and
# removes them), as one table. BENCH_PUBLISH_TRIALS="15 1000" by default.
set -u
bench=$(realpath "${BENCH_PUBLISH:-build/bench_publish}")
dir=$(mktemp -d "${BENCH_DIR:-/tmp}/sweep-bench-publish.XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "| done trials | parameters each | publishes | publish s, all | last publish s | results file MB | weights files MB | weights writes s | rank-0 peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in ${BENCH_PUBLISH_TRIALS:-15 1000}; do
    "$bench" sweep/report.cfg s1e6 "$n" "$dir" || { echo "bench_publish: $n trials failed" >&2; exit 1; }
done
