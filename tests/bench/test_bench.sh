#!/usr/bin/env bash
# test_bench: the benchmark's quick mode runs and prints its table and
# per-layer lines (the figures themselves are `make bench`'s, not a
# test's). Run from the repository top.
set -u
SELF=$(realpath "$0")
work=$(mktemp -d /tmp/sweep-bench-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$SELF")/../shell_testing.sh"

test_quick_benchmark_prints_the_table_and_layers() {
    BENCH_QUICK=1 tests/bench/bench.sh > "$work/out" 2> "$work/err" || { cat "$work/err" >&2; return 1; }
    grep -q '^cpu: ' "$work/out" && grep -q '^BLAS core: ' "$work/out" || { head -5 "$work/out" >&2; return 1; }
    # a table row for s1e6 at batch 32 with positive images/s of ours
    awk '$1 == "s1e6" && $2 == 32 && $5 + 0 > 0 { found = 1 } END { exit !found }' "$work/out" ||
        { cat "$work/out" >&2; return 1; }
    # every conv layer named with its algorithm
    [ "$(grep -cE '^  s1e6 block[0-9]\.conv[0-9] +conv +(direct|im2col|winograd) ' "$work/out")" -eq 3 ] ||
        { grep conv "$work/out" >&2; return 1; }
}

# The results benchmarks, small: a grid of 30 trivial trials gives a row
# with its wall time per trial; 3 done s1e6-sized trials give a row with
# one weights file of 3.6 M parameters each (14 MB) and a results file
# of well under a MB, since the weights are not in it.
test_results_benchmarks_print_their_rows() {
    tests/bench/bench_grid.sh 30 > "$work/grid" 2> "$work/err" || { cat "$work/err" >&2; return 1; }
    awk -F'|' '$2 + 0 == 30 && $4 + 0 > 0 { found = 1 } END { exit !found }' "$work/grid" ||
        { cat "$work/grid" >&2; return 1; }
    BENCH_PUBLISH_TRIALS=3 tests/bench/bench_publish.sh > "$work/publish" 2> "$work/err" || { cat "$work/err" >&2; return 1; }
    awk -F'|' '$2 + 0 == 3 && $3 + 0 > 3000000 && $7 + 0 < 1 && $8 + 0 > 40 { found = 1 } END { exit !found }' "$work/publish" ||
        { cat "$work/publish" >&2; return 1; }
}

run_tests test_bench
