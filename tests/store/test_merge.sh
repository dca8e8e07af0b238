#!/usr/bin/env bash
# test_merge: `sweep --shard I/N` and `sweep merge` as a job array uses
# them -- the shards of a grid hold disjoint trials that together are the
# grid, each in its own RESULTS.shard-I-of-N.h5; merged, they equal an
# uninterrupted run of the whole grid (results_digest), and a run of the
# whole grid on the merged file has nothing left to do; merging again
# changes nothing; bad inputs, a locked output and bad --shard values are
# refused in one line and leave the output as it was. Run from the
# repository top.
set -u
SELF=$(realpath "$0")
SWEEP=$(realpath "${SWEEP:-build/sweep}")
DIGEST=$(realpath "${DIGEST:-build/results_digest}")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
work=$(mktemp -d /tmp/sweep-merge.XXXXXX)
trap 'cd /; rm -rf "$work"' EXIT
cd "$work" || exit 1
source "$(dirname "$SELF")/../shell_testing.sh"

# trials named in /summary, sorted
trials_of() { "$DIGEST" "$1" | awk '{ print $1 }' | sort; }

# the three shards and their merge, made once for the tests that start
# from them (each test can run alone: TEST_ONLY)
merged_grid() {
    [ -s results/grid.h5 ] && [ -s whole.digest ] && return 0
    timeout 300 "$SWEEP" --quiet --output whole/grid.h5 grid.cfg > /dev/null || return 1
    "$DIGEST" whole/grid.h5 | sort > whole.digest || return 1
    local i
    for i in 0 1 2; do
        timeout 300 "$SWEEP" --quiet --shard "$i/3" grid.cfg > /dev/null || return 1
    done
    "$SWEEP" merge results/grid.h5 results/grid.shard-*-of-3.h5 > /dev/null
}

printf '[sweep]\nname = grid\n[data]\ntrain_limit = 600\ntest_limit = 200\n[train]\nepochs = 2\n[model]\nconv = 8\ndense = 16\ndropout = 0 | 0.3 | 0.5\nl2 = 0 | 0.01\n' > grid.cfg

test_shards_merge_into_the_uninterrupted_run() {
    rm -rf results whole whole.digest
    timeout 300 "$SWEEP" --quiet --output whole/grid.h5 grid.cfg > /dev/null || return 1
    "$DIGEST" whole/grid.h5 | sort > whole.digest
    # shard 1 under mpirun, as an array task with several ranks would run
    timeout 300 "$SWEEP" --quiet --shard 0/3 grid.cfg > /dev/null &&
        timeout 300 mpirun --oversubscribe -np 2 "$SWEEP" --quiet --shard 1/3 grid.cfg > /dev/null &&
        timeout 300 "$SWEEP" --quiet --shard 2/3 grid.cfg > /dev/null || return 1
    local i
    for i in 0 1 2; do
        [ -s "results/grid.shard-$i-of-3.h5" ] || { echo "  no results/grid.shard-$i-of-3.h5" >&2; return 1; }
        trials_of "results/grid.shard-$i-of-3.h5"
    done > shard.trials
    # disjoint, and together the grid
    [ "$(sort shard.trials | uniq -d | wc -l)" -eq 0 ] &&
        diff <(sort shard.trials) <(awk '{ print $1 }' whole.digest) >&2 ||
        { echo "  the shards' trials are not the grid's, once each" >&2; return 1; }
    run "$SWEEP" merge results/grid.h5 results/grid.shard-*-of-3.h5
    [ "$status" -eq 0 ] && [ ! -s "$work/err" ] || { echo "  merge: status $status: $(cat "$work/err")" >&2; return 1; }
    grep -qE '^results/grid.h5: 6 trials: 6 done, 0 running, 0 interrupted, 0 pending, 0 failed; ' "$work/out" ||
        { cat "$work/out" >&2; return 1; }
    diff whole.digest <("$DIGEST" results/grid.h5 | sort) >&2 || { echo "  merged differs from the whole run" >&2; return 1; }
    # the whole grid on the merged file: nothing left to run
    run timeout 120 "$SWEEP" grid.cfg
    [ "$status" -eq 0 ] && grep -q '^results/grid.h5: 6 of 6 trials already done' "$work/out" &&
        ! grep -q '^start ' "$work/out" || { echo "  a rerun on the merged file trained:" >&2; head "$work/out" >&2; return 1; }
}

test_merging_again_changes_nothing() {
    merged_grid || return 1
    "$DIGEST" results/grid.h5 > before
    run "$SWEEP" merge results/grid.h5 results/grid.shard-*-of-3.h5
    [ "$status" -eq 0 ] && diff before <("$DIGEST" results/grid.h5) >&2
}

test_bad_inputs_and_a_locked_output_leave_the_output_as_it_was() {
    merged_grid || return 1
    cp results/grid.h5 kept.h5
    echo 'not results' > notes.h5
    run "$SWEEP" merge results/grid.h5 results/grid.shard-0-of-3.h5 notes.h5
    one_error_line 4 '^sweep: notes\.h5: not an HDF5 file$' && cmp kept.h5 results/grid.h5 || return 1
    run "$SWEEP" merge results/grid.h5 none.h5
    one_error_line 4 '^sweep: none\.h5: .*No such file' && cmp kept.h5 results/grid.h5 || return 1
    run "$SWEEP" merge results/grid.h5 results/grid.h5
    one_error_line 2 '^sweep: results/grid\.h5: is the output of this merge' || return 1
    # an output a running sweep holds: this shell's PID in its lock
    printf 'host=%s\npid=%s\nslurm_job=-\nslurm_restart=0\n' "$(hostname)" "$$" > results/grid.h5.lock
    run "$SWEEP" merge results/grid.h5 results/grid.shard-0-of-3.h5
    one_error_line 4 "^sweep: results/grid\.h5\.lock: in use by process $$ " && cmp kept.h5 results/grid.h5 || return 1
    rm results/grid.h5.lock
    run "$SWEEP" merge results/grid.h5
    one_error_line 2 '^usage: sweep merge \[--force\] OUT\.h5 IN\.h5\.\.\.$'
}

# The merged file links weights files of its own (OUT.weights/...): with
# the shards and their weights gone, it still gives every trial's weights,
# and `sweep predict` still runs.
test_merged_file_stands_alone_without_the_shards() {
    merged_grid || return 1
    mkdir -p gone && cp -r results gone/ || return 1
    rm -r results/grid.shard-* || return 1
    [ -d results/grid.weights ] || { echo "  no results/grid.weights beside the merged file" >&2; return 1; }
    local rc=0
    diff whole.digest <("$DIGEST" results/grid.h5 | sort) >&2 || { echo "  the merged file lost weights with the shards" >&2; rc=1; }
    run "$SWEEP" predict results/grid.h5 best /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
    [ "$status" -eq 0 ] && [ "$(wc -l < "$work/out")" -eq 10000 ] ||
        { echo "  predict: status $status: $(head -c 300 "$work/err")" >&2; rc=1; }
    rm -rf results && mv gone/results . && rmdir gone
    return "$rc"
}

# A file of another sweep (another configuration) is refused, naming both
# files, and OUT is left as it was; --force merges it all the same.
test_merge_refuses_another_sweeps_file_unless_forced() {
    merged_grid || return 1
    printf '[sweep]\nname = other\n[data]\ntrain_limit = 300\ntest_limit = 100\n[train]\nepochs = 1\n[model]\nconv = 4\ndense = 8\n' > other.cfg
    timeout 120 "$SWEEP" --quiet other.cfg > /dev/null || return 1
    cp results/grid.h5 kept.h5
    run "$SWEEP" merge results/grid.h5 results/other.h5
    one_error_line 2 '^sweep: results/other\.h5: from another sweep than results/grid\.h5 \(configuration other\.cfg, .*--force' &&
        cmp kept.h5 results/grid.h5 || return 1
    run "$SWEEP" merge --force forced.h5 results/grid.h5 results/other.h5
    [ "$status" -eq 0 ] && grep -qE '^forced\.h5: 7 trials: 7 done, ' "$work/out" ||
        { echo "  --force: status $status: $(cat "$work/out" "$work/err")" >&2; return 1; }
    [ "$("$DIGEST" forced.h5 | grep -c ' done ')" -eq 7 ]
}

test_bad_shard_values_are_refused() {
    local bad
    for bad in 3/3 -1/3 x 1/0 1/2/3; do
        run "$SWEEP" --shard "$bad" grid.cfg
        one_error_line 2 "^sweep: --shard wants I/N with 0 <= I < N, not '$bad'$" || return 1
    done
    run "$SWEEP" --shard 0/2 --fresh grid.cfg
    one_error_line 2 '^sweep: --fresh cannot be used with --shard'
    # --output names the base; the shard's number is added
    run "$SWEEP" --dry-run --shard 1/4 --output out/x.h5 grid.cfg
    [ "$status" -eq 0 ] && [ "$(tail -n 1 "$work/out")" = "results file: out/x.shard-1-of-4.h5" ]
}

run_tests test_merge
