#!/usr/bin/env bash
# test_scheduler: `mpirun -np N sweep FILE` runs every trial of a grid
# exactly once for N = 1, 2, 4 and 8 and G = 1 and 2 (including N - 1 not
# divisible by G and more ranks than work), and a trial's result does not
# depend on N or on which group trained it: the tested weights'
# fingerprints are identical. Oversubscribed on purpose (2 cores here),
# one OpenMP thread per rank so fingerprints compare across runs.
set -u
SELF=$(realpath "$0")
SWEEP=$(realpath "${SWEEP:-build/sweep}")
DIGEST=$(realpath "${DIGEST:-build/results_digest}")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
work=$(mktemp -d /tmp/sweep-sched.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
source "$(dirname "$SELF")/../shell_testing.sh"

cat > "$work/grid.cfg" <<'CFG'
[sweep]
name = grid
[data]
train_limit = 300
test_limit = 100
[train]
epochs = 1
[model]
conv = 4
dense = 8
dropout = 0 | 0.3
l2 = 0 | 0.01 | 0.1
CFG
NAMES="grid_dropout-0.3_l2-0 grid_dropout-0.3_l2-0.01 grid_dropout-0.3_l2-0.1 grid_dropout-0_l2-0 grid_dropout-0_l2-0.01 grid_dropout-0_l2-0.1"

# Each run in a directory of its own: a shared jobs/ would let later runs
# resume from the first run's checkpoints instead of training.
sweep_np() { # NP G OUT
    mkdir -p "$work/run-$1-$2" && cd "$work/run-$1-$2" || return 1
    if [ "$1" -eq 1 ]; then timeout 300 "$SWEEP" --quiet --ranks-per-trial "$2" "$work/grid.cfg" > "$3" 2>&1
    else timeout 300 mpirun --oversubscribe -np "$1" "$SWEEP" --quiet --ranks-per-trial "$2" "$work/grid.cfg" > "$3" 2>&1; fi
    local rc=$?
    cd "$work" && return $rc
}

# every trial once in the table, and the fingerprints as "name fingerprint"
runs_each_trial_once() { # OUT
    local table; table=$(sed -n '/^name /,$p' "$1" | tail -n +2 | awk '{ print $1 }' | sort | tr '\n' ' ')
    [ "$table" = "$NAMES " ] || { echo "  table: $table" >&2; return 1; }
    [ "$(grep -c '^start ' "$1")" -eq 6 ] || { echo "  $(grep -c '^start ' "$1") starts" >&2; return 1; }
}
fingerprints() { grep fingerprint "$1" | awk '{ print $1, $NF }' | sort; }

test_every_trial_runs_once_for_each_np_and_g() {
    local ok=0
    for g in 1 2; do
        for np in 1 2 4 8; do
            [ "$g" -eq 2 ] && [ "$np" -lt 3 ] && continue
            sweep_np "$np" "$g" "$work/np$np-g$g.out" || { echo "  np=$np G=$g exited $?" >&2; tail -3 "$work/np$np-g$g.out" >&2; ok=1; continue; }
            runs_each_trial_once "$work/np$np-g$g.out" || { echo "  np=$np G=$g" >&2; ok=1; }
        done
    done
    return $ok
}

# The runs of the test above, made here when this test runs alone.
have_run() { # NP G
    [ -s "$work/np$1-g$2.out" ] || sweep_np "$1" "$2" "$work/np$1-g$2.out"
    [ "$(fingerprints "$work/np$1-g$2.out" | wc -l)" -eq 6 ] ||
        { echo "  np=$1 G=$2: no fingerprints" >&2; return 1; }
}

test_results_do_not_depend_on_np() {
    for run in "1 1" "2 1" "4 1" "8 1" "4 2" "8 2"; do have_run $run || return 1; done
    for np in 2 4 8; do
        diff <(fingerprints "$work/np1-g1.out") <(fingerprints "$work/np$np-g1.out") > /dev/null ||
            { echo "  G=1: np=$np differs from np=1" >&2; return 1; }
    done
    diff <(fingerprints "$work/np4-g2.out") <(fingerprints "$work/np8-g2.out") > /dev/null ||
        { echo "  G=2: np=8 differs from np=4" >&2; return 1; }
}

test_too_few_ranks_for_a_group_is_refused() {
    timeout 60 mpirun --oversubscribe -np 2 "$SWEEP" --ranks-per-trial 2 "$work/grid.cfg" > "$work/few.out" 2>&1
    [ $? -eq 2 ] && grep -q 'need at least 3 ranks' "$work/few.out"
}

test_ranks_per_trial_from_the_file_is_used() {
    { cat "$work/grid.cfg"; } | sed 's/^name = grid/name = grid\nranks_per_trial = 2/' > "$work/g2.cfg"
    timeout 60 mpirun --oversubscribe -np 2 "$SWEEP" "$work/g2.cfg" > "$work/g2.out" 2>&1
    [ $? -eq 2 ] && grep -q '2 ranks per trial need at least 3 ranks' "$work/g2.out" || return 1
    # the command line wins over the file
    (mkdir -p "$work/g2run" && cd "$work/g2run" &&
        timeout 120 mpirun --oversubscribe -np 2 "$SWEEP" --quiet --ranks-per-trial 1 "$work/g2.cfg" > out 2>&1)
}

test_config_error_ends_every_rank() {
    printf '[model]\ndropout = 2\n' > "$work/bad.cfg"
    timeout 60 mpirun --oversubscribe -np 3 "$SWEEP" "$work/bad.cfg" > "$work/bad.out" 2>&1
    local rc=$?
    [ "$rc" -eq 2 ] && [ "$(grep -c 'bad.cfg:2:' "$work/bad.out")" -eq 1 ]
}

# Open MPI's default error handling: a rank that dies ends the whole job,
# so nothing waits forever on a group that is gone.
test_killed_worker_ends_the_job_and_leaves_no_process() {
    sed 's/^epochs = 1/epochs = 50/; s/^train_limit = 300/train_limit = 3000/' "$work/grid.cfg" > "$work/long.cfg"
    mpirun --oversubscribe -np 3 "$SWEEP" --quiet "$work/long.cfg" > "$work/long.out" 2>&1 &
    local job=$! victim="" i
    for i in $(seq 1 100); do
        for pid in $(pgrep -f "$work/long.cfg"); do
            grep -qz '^OMPI_COMM_WORLD_RANK=1$' "/proc/$pid/environ" 2>/dev/null && victim=$pid
        done
        [ -n "$victim" ] && grep -q '^start ' "$work/long.out" && break
        sleep 0.2
    done
    [ -n "$victim" ] || { echo "  no rank 1 found" >&2; kill $job; return 1; }
    kill -KILL "$victim"
    for i in $(seq 1 150); do kill -0 $job 2>/dev/null || break; sleep 0.2; done
    if kill -0 $job 2>/dev/null; then echo "  mpirun still running 30 s after the kill" >&2; kill -KILL $job; return 1; fi
    wait $job; local rc=$?
    sleep 1
    [ "$rc" -ne 0 ] || { echo "  mpirun exited 0" >&2; return 1; }
    ! pgrep -f "$work/long.cfg" > /dev/null || { echo "  processes left: $(pgrep -f "$work/long.cfg")" >&2; return 1; }
}

# A stop signal: training stops at the next step, the job exits 75
# ("interrupted, resumable") within seconds, the running trial's last epoch
# is checkpointed, and the same command run again finishes every trial
# with exactly the weights of an uninterrupted run.
cat > "$work/resume.cfg" <<'CFG'
[sweep]
name = resume
[data]
train_limit = 4000
test_limit = 200
[train]
epochs = 6
patience = 10
[model]
conv = 8, 16
dense = 16
batch_norm = yes
dropout = 0 | 0.2
CFG

# The most epochs any checkpoint in DIR holds (0 if none is readable yet).
checkpointed_epochs() { # DIR
    local f n most=0
    for f in "$1"/*.h5; do
        [ -f "$f" ] || continue
        n=$(h5dump -a /epochs_done "$f" 2>/dev/null | awk '/\(0\)/ { print $2 }')
        [ -n "$n" ] && [ "$n" -gt "$most" ] && most=$n
    done
    echo "$most"
}

interrupt_then_resume() { # DIR SIGNAL LAUNCHER...
    local dir=$1 sig=$2; shift 2
    mkdir -p "$dir" && cd "$dir" || return 1
    "$@" "$SWEEP" --quiet "$work/resume.cfg" > first.out 2>&1 &
    local job=$! i
    # wait for a checkpointed epoch, so there is progress to resume
    # (however loaded the machine, a fixed sleep could come before it)
    for i in $(seq 1 600); do
        grep -q '^start ' first.out && [ "$(checkpointed_epochs jobs/resume)" -ge 1 ] && break
        sleep 0.1
    done
    if [ "$sig" = TERM-RANKS ]; then
        # as a resource manager does: SIGTERM to every rank, not to mpirun
        for pid in $(pgrep -f "$work/resume.cfg"); do
            grep -qz '^OMPI_COMM_WORLD_RANK=' "/proc/$pid/environ" 2>/dev/null && kill -TERM "$pid"
        done
    else
        kill -"$sig" $job
    fi
    local t0=$SECONDS
    wait $job; local rc=$?
    echo "  $sig: exit $rc after $((SECONDS - t0)) s" >&2
    [ "$rc" -eq 75 ] || { tail -5 first.out >&2; cd "$work"; return 1; }
    grep -q 'interrupted by signal' first.out || { cd "$work"; return 1; }
    # every trial that started has a readable checkpoint
    local started; started=$(grep -c '^start ' first.out)
    [ "$(ls jobs/resume/*.h5 | wc -l)" -eq "$started" ] || { echo "  $started started, checkpoints: $(ls jobs/resume)" >&2; cd "$work"; return 1; }
    for f in jobs/resume/*.h5; do h5dump -H "$f" > /dev/null || { echo "  h5dump cannot read $f" >&2; cd "$work"; return 1; }; done
    "$@" "$SWEEP" "$work/resume.cfg" > second.out 2>&1 || { tail -5 second.out >&2; cd "$work"; return 1; }
    # Resumed, not restarted: fewer than the 2 x 6 epochs were trained again.
    local epochs; epochs=$(grep -cE ' epoch [0-9]+/' second.out)
    cd "$work"
    [ "$epochs" -lt 12 ] || { echo "  the rerun trained all $epochs epochs again" >&2; return 1; }
}

# The uninterrupted run every resume is compared with, made once by
# whichever test needs it first (each runs alone with TEST_ONLY).
straight_reference() {
    [ -s "$work/straight/results/resume.h5" ] && return 0
    mkdir -p "$work/straight" && (cd "$work/straight" && "$SWEEP" --quiet "$work/resume.cfg" > out 2>&1)
}

test_sigterm_stops_with_resumable_code_and_resume_matches() {
    straight_reference || return 1
    interrupt_then_resume "$work/term" TERM || return 1
    same_results "$work/straight/results/resume.h5" "$work/term/results/resume.h5"
}

test_sigterm_to_every_rank_under_mpirun_exits_resumable() {
    straight_reference || return 1
    interrupt_then_resume "$work/termranks" TERM-RANKS mpirun --oversubscribe -np 3 || return 1
    same_results "$work/straight/results/resume.h5" "$work/termranks/results/resume.h5"
}

test_sigusr1_to_mpirun_stops_every_group_and_resume_matches() {
    straight_reference || return 1
    interrupt_then_resume "$work/usr1" USR1 mpirun --oversubscribe -np 3 || return 1
    same_results "$work/straight/results/resume.h5" "$work/usr1/results/resume.h5"
}

run_tests test_scheduler
