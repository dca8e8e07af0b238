#!/usr/bin/env bash
# bench_grid: what a sweep costs per trial when its trials cost nothing --
# grids of N trivial trials (conv 2, dense 4, 64 training and 64 test
# images, one epoch; the seed is the axis) run by one process, timed with
# /usr/bin/time. The goal (issue 10): the wall time per trial flat in N
# within 20%, and under 50 ms. Prints one table row per N. Usage:
# tests/bench_grid.sh [N...] (default 200 2000 10000); SWEEP=build/sweep.
set -u
SWEEP=$(realpath "${SWEEP:-build/sweep}")
work=$(mktemp -d /tmp/sweep-bench-grid.XXXXXX)
trap 'cd /; rm -rf "$work"' EXIT
cd "$work" || exit 1
export OMP_NUM_THREADS=1

trivial_cfg() { # N FILE
    { printf '[sweep]\nname = trivial\nseed = 1'
      seq 2 "$1" | sed 's/^/ | /' | tr -d '\n'
      printf '\n[data]\ntrain_limit = 64\ntest_limit = 64\n[train]\nepochs = 1\n'
      printf '[model]\nconv = 2\ndense = 4\n'; } > "$2"
}

echo "| trials | wall s | ms per trial | rank-0 peak RSS MB | results file MB |"
echo "|---|---|---|---|---|"
[ $# -gt 0 ] || set -- 200 2000 10000
for n in "$@"; do
    rm -rf results jobs
    trivial_cfg "$n" trivial.cfg
    if ! /usr/bin/time -f '%e %M' -o time.txt "$SWEEP" --quiet trivial.cfg > out.txt 2> err.txt; then
        echo "bench_grid: $n trials: sweep failed: $(tail -n 3 err.txt)" >&2
        exit 1
    fi
    grep -q "^trivial_seed-$n " out.txt || { echo "bench_grid: $n trials: the table lacks the last trial" >&2; exit 1; }
    read -r wall rss_kb < time.txt
    size=$(stat -c %s results/trivial.h5)
    awk -v n="$n" -v w="$wall" -v r="$rss_kb" -v s="$size" \
        'BEGIN { printf "| %d | %.1f | %.1f | %.0f | %.1f |\n", n, w, 1000 * w / n, r / 1024, s / 1e6 }'
done
