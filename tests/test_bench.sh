#!/usr/bin/env bash
# test_bench: the benchmark's quick mode runs and prints its table and
# per-layer lines (the figures themselves are `make bench`'s, not a
# test's). Run from the repository top.
set -u
SELF=$(realpath "$0")
work=$(mktemp -d /tmp/sweep-bench-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$SELF")/shell_testing.sh"

test_quick_benchmark_prints_the_table_and_layers() {
    BENCH_QUICK=1 tests/bench.sh > "$work/out" 2> "$work/err" || { cat "$work/err" >&2; return 1; }
    grep -q '^cpu: ' "$work/out" && grep -q '^BLAS core: ' "$work/out" || { head -5 "$work/out" >&2; return 1; }
    # a table row for s1e6 at batch 32 with positive images/s of ours
    awk '$1 == "s1e6" && $2 == 32 && $5 + 0 > 0 { found = 1 } END { exit !found }' "$work/out" ||
        { cat "$work/out" >&2; return 1; }
    # every conv layer named with its algorithm
    [ "$(grep -cE '^  s1e6 block[0-9]\.conv[0-9] +conv2d +(direct|im2col|winograd) ' "$work/out")" -eq 3 ] ||
        { grep conv "$work/out" >&2; return 1; }
}

run_tests test_bench
