#!/usr/bin/env bash
# test_worker_errors: under a real mpirun, a worker that cannot train its
# trial ends the whole job within seconds, with one line naming the file
# and the fault and the documented exit status, and nothing already
# recorded lost; a failed (non-finite) trial counts as finished; a group of
# two ranks killed outright resumes from its leader's checkpoint to the
# uninterrupted run's weights; a rank with no rows in the last batch still
# trains. Each test runs in a directory of its own and can run alone
# (TEST_ONLY=WORD). Run from the repository top.
set -u
SELF=$(realpath "$0")
SWEEP=$(realpath "${SWEEP:-build/sweep}")
DIGEST=$(realpath "${DIGEST:-build/results_digest}")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
work=$(mktemp -d /tmp/sweep-werr.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
source "$(dirname "$SELF")/../shell_testing.sh"

GRID='[sweep]
name = t
[data]
train_limit = 300
test_limit = 100
[train]
epochs = 2
[model]
conv = 4
dense = 8
dropout = 0 | 0.2'

fresh_dir() { rm -rf "$work/$1" && mkdir -p "$work/$1" && cd "$work/$1"; }

# run under a 60 s guard: a hang fails the test instead of stalling it
mpi() { run timeout 60 mpirun --oversubscribe "$@"; }

# one stderr line from sweep (mpirun adds its own banner), status, time
one_sweep_line() { # STATUS PATTERN SECONDS_TAKEN
    [ "$status" -eq "$1" ] || { echo "  status $status, expected $1" >&2; head -5 "$work/err" >&2; return 1; }
    local lines; lines=$(grep -c '^sweep: ' "$work/err")
    [ "$lines" -eq 1 ] || { echo "  $lines sweep lines:" >&2; grep '^sweep: ' "$work/err" >&2; return 1; }
    grep '^sweep: ' "$work/err" | grep -qE "$2" || { grep '^sweep: ' "$work/err" >&2; return 1; }
    [ "$3" -le 20 ] || { echo "  took $3 s" >&2; return 1; }
}

unwritable_checkpoints() { # NP G
    fresh_dir "ckpt-$1-$2" || return 1
    echo "$GRID" > t.cfg
    mkdir jobs && touch jobs/t   # a plain file where the checkpoint directory goes
    local t0=$SECONDS
    mpi -np "$1" "$SWEEP" --quiet --ranks-per-trial "$2" t.cfg
    one_sweep_line 4 'jobs/t.*Not a directory' $((SECONDS - t0)) || return 1
    # the results file is still there and readable, the trial not lost
    "$DIGEST" results/t.h5 > digest || { echo "  results/t.h5 unreadable" >&2; return 1; }
    [ -s digest ] || { echo "  empty digest" >&2; return 1; }
    summary_field results/t.h5 status | grep -q 'interrupted' || { summary_field results/t.h5 status >&2; return 1; }
}

test_unwritable_checkpoint_ends_the_job_with_status_4() { unwritable_checkpoints 2 1; }
test_unwritable_checkpoint_ends_a_group_of_two_with_status_4() { unwritable_checkpoints 3 2; }

# Data that one node lacks: ranks started in different working directories
# (Open MPI's MPMD form), the relative data directory present only in the
# first. Rank 0 checks the data where it runs, so only workers meet the fault.
missing_data_on_a_worker() { # G, then the working directory of each worker rank
    local g=$1; shift
    fresh_dir "data-$g" || return 1
    mkdir -p here there && ln -s /usr/share/datasets/fashion-mnist here/data
    echo "$GRID" | sed 's/^\[data\]$/[data]\ndir = data/' > t.cfg
    local contexts=(-np 1 --wdir "$PWD/here" "$SWEEP" --quiet --ranks-per-trial "$g" "$PWD/t.cfg")
    local d
    for d in "$@"; do contexts+=(: -np 1 --wdir "$PWD/$d" "$SWEEP" --quiet --ranks-per-trial "$g" "$PWD/t.cfg"); done
    local t0=$SECONDS
    mpi "${contexts[@]}"
    one_sweep_line 3 'data: no such directory' $((SECONDS - t0)) || return 1
    "$DIGEST" here/results/t.h5 > /dev/null || { echo "  results file unreadable" >&2; return 1; }
}

test_data_missing_on_a_worker_ends_the_job_with_status_3() { missing_data_on_a_worker 1 there; }
test_data_missing_on_a_non_leader_rank_of_a_group_ends_the_job() {
    missing_data_on_a_worker 2 here there || return 1
    grep '^sweep: ' "$work/err" | grep -q '^sweep: rank 2 on ' || { grep '^sweep: ' "$work/err" >&2; return 1; }
}

test_failed_trial_counts_as_finished_and_is_not_rerun() {
    fresh_dir failed || return 1
    printf '[sweep]\nname = nan\n[data]\ntrain_limit = 300\ntest_limit = 50\n[train]\nepochs = 3\nlearning_rate = 1e38 | 0.001\n[model]\nconv = 8\ndense = 64\n' > nan.cfg
    mpi -np 2 "$SWEEP" nan.cfg
    [ "$status" -eq 0 ] || { cat "$work/err" >&2; return 1; }
    local epoch; epoch=$(sed -n 's/^nan_learning_rate-1e38 failed: the training loss is not finite at epoch \([0-9]*\)$/\1/p' "$work/out")
    [ -n "$epoch" ] || { grep failed "$work/out" >&2; return 1; }
    local recorded; recorded=$(summary_field results/nan.h5 epochs_run | awk '$1 == "nan_learning_rate-1e38" { print $2 }')
    [ "$recorded" = "$epoch" ] || { echo "  message says epoch $epoch, the file $recorded" >&2; return 1; }
    grep -q '^progress 2/2 trials done' "$work/out" || { grep progress "$work/out" >&2; return 1; }
    mpi -np 2 "$SWEEP" nan.cfg
    [ "$status" -eq 0 ] && grep -q '2 of 2 trials already done' "$work/out" && ! grep -q '^start ' "$work/out" ||
        { head -3 "$work/out" >&2; return 1; }
}

RESUME='[sweep]
name = resume
[data]
train_limit = 4000
test_limit = 200
[train]
epochs = 4
patience = 10
[model]
conv = 8, 16
dense = 16
batch_norm = yes
dropout = 0 | 0.2'


# The leader alone reads the checkpoint and hands its group the whole
# trainer state.
test_group_of_two_killed_outright_resumes_to_the_same_weights() {
    fresh_dir straight-g2 || return 1
    echo "$RESUME" > resume.cfg
    mpi -np 3 "$SWEEP" --quiet --ranks-per-trial 2 resume.cfg
    [ "$status" -eq 0 ] || { cat "$work/err" >&2; return 1; }
    fresh_dir killed-g2 || return 1
    echo "$RESUME" > resume.cfg
    mpirun --oversubscribe -np 3 "$SWEEP" --quiet --ranks-per-trial 2 "$PWD/resume.cfg" > first.out 2>&1 &
    local job=$! i
    # past the first epoch's checkpoint, then mid-epoch: SIGKILL to every process
    for i in $(seq 1 300); do [ -n "$(find jobs/resume -name '*.h5' -newer resume.cfg -size +20k 2>/dev/null)" ] && break; sleep 0.1; done
    sleep 0.7
    pkill -KILL -f "$PWD/resume.cfg"; kill -KILL $job 2>/dev/null; wait $job 2>/dev/null
    for i in $(seq 1 50); do pgrep -f "$PWD/resume.cfg" > /dev/null || break; sleep 0.1; done
    grep -q ' epoch 4/4 ' first.out && { echo "  the run ended before the kill" >&2; return 77; }
    # The rerun's second group rank runs in an empty directory, as on a
    # node whose jobs/ is its own: only the leader sees the checkpoint.
    mkdir -p elsewhere
    local args=("$SWEEP" --quiet --ranks-per-trial 2 "$PWD/resume.cfg")
    mpi -np 2 --wdir "$PWD" "${args[@]}" : -np 1 --wdir "$PWD/elsewhere" "${args[@]}"
    [ "$status" -eq 0 ] || { cat "$work/err" >&2; return 1; }
    grep -q 'resumed\|already' "$work/out" || [ "$(grep -cE ' epoch [0-9]+/' "$work/out")" -lt 8 ] ||
        { echo "  the rerun trained every epoch again" >&2; return 1; }
    same_results "$work/straight-g2/results/resume.h5" results/resume.h5
}

test_rank_without_rows_in_the_last_batch_still_trains() {
    fresh_dir short || return 1
    # 33 training images + 4 validation, batch 32: the last batch has one
    # row, so two of a group of three ranks have none
    printf '[sweep]\nname = short\n[data]\ntrain_limit = 37\ntest_limit = 20\nvalidation_split = 0.1\n[train]\nepochs = 2\n[model]\nconv = 4\ndense = 8\nbatch_norm = yes\n' > short.cfg
    mpi -np 4 "$SWEEP" --ranks-per-trial 3 short.cfg
    [ "$status" -eq 0 ] || { cat "$work/err" >&2; return 1; }
    summary_field results/short.h5 status | grep -q ' done$' || { summary_field results/short.h5 status >&2; return 1; }
}

run_tests test_worker_errors
