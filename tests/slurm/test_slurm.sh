#!/usr/bin/env bash
# test_slurm: slurm/sweep.sbatch on a real one-node Slurm cluster that
# tests/slurm_cluster.sh starts here (munged, slurmctld, slurmd; no
# systemd, no cgroups, no accounting) and stops by PID at the end.
# - sbatch with a tiny grid completes, with srun (PMIx) and with mpirun;
#   the log says what ran and how it ended;
# - a job with a 2-minute limit and an early SIGUSR1 (--signal=B:USR1@40)
#   checkpoints, requeues itself and finishes the grid over two or more
#   allocations;
# - without a timely signal, the script's own alarm SWEEP_STOP_MARGIN
#   seconds before the limit does the same;
# - an allocation in which no epoch finished is not requeued;
# - where requeue is refused (--no-requeue), the script submits a new job
#   that continues after this one;
# - scancel mid-run, then the same sbatch by hand: it resumes;
# - a job array runs one shard of the grid per task (sweep --shard), and
#   `sweep merge` joins the shards' files into the whole grid;
# - a missing grid, a configuration error and an unwritable results
#   directory are refused in one line before srun starts.
# Every finished grid is compared with an uninterrupted run of the same
# settings outside Slurm (results_digest: histories, predictions, weights):
# every trial done exactly once, and the same models.
# Needs root (the daemons, a tmpfs); installs slurm-wlm and munge if
# missing. Run from the repository top.
set -u
SELF=$(realpath "$0")
REPO=$(cd "$(dirname "$SELF")/../.." && pwd)
SWEEP=$(realpath "${SWEEP:-build/sweep}")
DIGEST=$(realpath "${DIGEST:-build/results_digest}")
SBATCH_SCRIPT=$REPO/slurm/sweep.sbatch
# sbatch passes the environment on: what the jobs see is set here.
export SWEEP OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=passive
work=$(mktemp -d /tmp/sweep-slurm.XXXXXX)
cluster=$work/cluster
source "$(dirname "$SELF")/../shell_testing.sh"

main_shell=$BASHPID
cleanup() {
    [ "$BASHPID" = "$main_shell" ] || return 0
    "$REPO/tests/slurm_cluster.sh" stop "$cluster" 2> /dev/null
    mountpoint -q "$work/refuse/results" 2> /dev/null && umount "$work/refuse/results"
    cd /
    [ -n "${SLURM_TEST_KEEP:-}" ] && echo "  kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- grids ----------------------------------------------------------------

tiny_cfg() {
    printf '[sweep]\nname = tiny\n[data]\ntrain_limit = 600\ntest_limit = 200\n[train]\nepochs = 2\n[model]\nconv = 8\ndense = 16\ndropout = 0 | 0.3\n' > "$1"
}

# 6 small trials, for three shards
shards_cfg() {
    printf '[sweep]\nname = grid\n[data]\ntrain_limit = 600\ntest_limit = 200\n[train]\nepochs = 2\n[model]\nconv = 8\ndense = 16\ndropout = 0 | 0.3 | 0.5\nl2 = 0 | 0.01\n' > "$1"
}

# 12 trials of about 9 s on one rank here: more work than one allocation
# of the limit test can do.
limit_cfg() {
    printf '[sweep]\nname = limit\nseed = 1 | 2 | 3 | 4 | 5 | 6\n[data]\ntrain_limit = 10000\ntest_limit = 500\n[train]\nepochs = 5\npatience = 10\n[model]\nconv = 8, 16\ndense = 16\nbatch_norm = yes\ndropout = 0 | 0.2\n' > "$1"
}

# 4 trials of about 6 s: stopped during the second.
cancel_cfg() {
    printf '[sweep]\nname = cancel\n[data]\ntrain_limit = 10000\ntest_limit = 500\n[train]\nepochs = 3\npatience = 10\n[model]\nconv = 8, 16\ndense = 16\nbatch_norm = yes\ndropout = 0 | 0.2\nl2 = 0 | 0.01\n' > "$1"
}

# reference DIR CFG: an uninterrupted run outside Slurm, one process and
# one thread as the jobs have (results do not depend on the rank count);
# its digest goes to DIR/reference.digest.
reference() {
    mkdir -p "$1" && (cd "$1" && OMP_NUM_THREADS=1 timeout 600 "$SWEEP" --quiet "$2" > ref.out 2> ref.err) &&
        "$DIGEST" "$1/results/$(basename "$2" .cfg).h5" > "$1/reference.digest"
}

# ---- jobs -------------------------------------------------------------------

# submit DIR SBATCH-OPTION... -- ARG...: sbatch from DIR; the job ID in $JOB
submit() {
    local dir=$1; shift
    local opts=() 
    while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift
    JOB=$(cd "$dir" && sbatch --parsable --ntasks-per-node=2 --cpus-per-task=1 "${opts[@]}" \
          "$SBATCH_SCRIPT" "$@" 2> "$dir/sbatch.err") ||
        { echo "  sbatch failed: $(cat "$dir/sbatch.err")" >&2; return 1; }
    JOB=${JOB%%;*}
}

field() { scontrol show job "$1" 2> /dev/null | grep -oE "(^| )$2=[^ ]*" | head -1 | cut -d= -f2; }

# wait_state JOB SECONDS STATE...: until the job is in one of the states
wait_state() {
    local job=$1 limit=$2 state end; shift 2
    end=$((SECONDS + limit))
    while [ $SECONDS -lt $end ]; do
        state=$(field "$job" JobState)
        for s in "$@"; do [ "$state" = "$s" ] && return 0; done
        sleep 1
    done
    echo "  job $job is $state after $limit s, not $*" >&2
    return 1
}

# wait_line FILE PATTERN SECONDS: until FILE has a line matching PATTERN
wait_line() {
    local end=$((SECONDS + $3))
    while [ $SECONDS -lt $end ]; do grep -qE "$2" "$1" 2> /dev/null && return 0; sleep 0.5; done
    echo "  no line '$2' in $1 after $3 s" >&2
    return 1
}

# wait_lines FILE PATTERN N SECONDS: until FILE has N lines matching PATTERN
wait_lines() {
    local end=$((SECONDS + $4))
    while [ $SECONDS -lt $end ]; do
        [ "$(grep -cE "$2" "$1" 2> /dev/null || :)" -ge "$3" ] 2> /dev/null && return 0
        sleep 0.5
    done
    echo "  fewer than $3 lines '$2' in $1 after $4 s" >&2
    return 1
}

log_of() { echo "$1/jobs/sweep-$2.log"; }

show_log() { echo "  --- $1" >&2; grep -v ' epoch [0-9]' "$1" | tail -n 25 | sed 's/^/  | /' >&2; }

# same_as_reference DIR RESULTS REFDIR: every trial done once, the models
# of the uninterrupted run
same_as_reference() {
    "$DIGEST" "$1/$2" | sort > "$1/final.digest" || return 1
    grep -vq ' done ' "$1/final.digest" && { echo "  not all done:" >&2; cat "$1/final.digest" >&2; return 1; }
    diff <(sort "$3/reference.digest") "$1/final.digest" >&2 || { echo "  differs from the uninterrupted run" >&2; return 1; }
}

# ---- the tests ----------------------------------------------------------------

# check_tiny_job DIR LAUNCHER: the tiny grid's job ended well, its log
# tells the story, and its results are the reference's
check_tiny_job() {
    local d=$1 launcher=$2 log
    wait_state "$JOB" 120 COMPLETED FAILED CANCELLED TIMEOUT || return 1
    log=$(log_of "$d" "$JOB")
    [ "$(field "$JOB" JobState)" = COMPLETED ] && [ "$(field "$JOB" ExitCode)" = 0:0 ] ||
        { echo "  job $JOB: $(field "$JOB" JobState) $(field "$JOB" ExitCode)" >&2; show_log "$log"; return 1; }
    grep -qE "^sweep.sbatch: job $JOB \(restart 0\) on .*: 2 ranks x 1 threads; tiny.cfg \(2 trials\) -> results/tiny.h5$" "$log" &&
        grep -qE "^sweep.sbatch: running: $launcher .*/sweep tiny.cfg$" "$log" &&
        grep -qE '^tiny_dropout-0.3 done: test_accuracy ' "$log" &&
        grep -qE '^sweep.sbatch: the sweep is finished: results/tiny.h5: 2 trials: 2 done, ' "$log" ||
        { echo "  the log lacks a line a user should see" >&2; show_log "$log"; return 1; }
    ! grep -qw 'Terminated' "$log" || { echo "  a 'Terminated' line in the log of a job that ended well" >&2; show_log "$log"; return 1; }
    same_as_reference "$d" results/tiny.h5 "$work/tiny-ref"
}

test_sbatch_runs_a_tiny_grid_with_srun_and_with_mpirun() {
    tiny_cfg "$work/tiny.cfg"
    reference "$work/tiny-ref" "$work/tiny.cfg" || return 1
    local d=$work/tiny-srun
    mkdir -p "$d/jobs" && tiny_cfg "$d/tiny.cfg"
    # this Slurm and Open MPI both have PMIx: the script picks srun. A time
    # limit far from the end starts the script's watchdog, which the
    # finished sweep stops: no bare "Terminated" may reach the log
    submit "$d" --time=10 -- tiny.cfg || return 1
    check_tiny_job "$d" "srun --mpi=pmix" || return 1
    d=$work/tiny-mpirun
    mkdir -p "$d/jobs" && tiny_cfg "$d/tiny.cfg"
    submit "$d" --export=ALL,SWEEP_LAUNCHER=mpirun -- tiny.cfg || return 1
    check_tiny_job "$d" "mpirun -np 2"
}

# Slurm sends the warning up to a minute before it is due: with a 2-minute
# limit and USR1 at 40 s before it, the signal comes 20-80 s into each
# allocation, and the grid needs about 110 s of training.
test_time_limit_requeues_until_the_grid_is_done() {
    local d=$work/limit log
    mkdir -p "$d/jobs" && limit_cfg "$d/limit.cfg" && limit_cfg "$work/limit.cfg"
    submit "$d" --time=2 --signal=B:USR1@40 -- limit.cfg || return 1
    # the reference trains meanwhile on the other core
    reference "$work/limit-ref" "$work/limit.cfg" || { echo "  the reference run failed" >&2; return 1; }
    wait_state "$JOB" 900 COMPLETED FAILED CANCELLED TIMEOUT || return 1
    log=$(log_of "$d" "$JOB")
    local restarts; restarts=$(field "$JOB" Restarts)
    echo "  job $JOB: $(field "$JOB" JobState), $((restarts + 1)) allocations" >&2
    [ "$(field "$JOB" JobState)" = COMPLETED ] && [ "$restarts" -ge 1 ] || { show_log "$log"; return 1; }
    # each allocation but the last was warned, stopped resumable, requeued
    # (the last allocation's warning may come as its sweep ends: +1)
    local warned; warned=$(grep -c '^sweep.sbatch: SIGUSR1 received' "$log")
    [ "$warned" -eq "$restarts" ] || [ "$warned" -eq $((restarts + 1)) ] || { show_log "$log"; return 1; }
    [ "$(grep -c '^sweep.sbatch: the sweep stopped with its work saved (exit 75)$' "$log")" -eq "$restarts" ] &&
        [ "$(grep -c "^sweep.sbatch: requeued job $JOB: it resumes from results/limit.h5" "$log")" -eq "$restarts" ] &&
        grep -qE "^sweep.sbatch: job $JOB \(restart $restarts\) " "$log" &&
        grep -qE '^sweep.sbatch: the sweep is finished: results/limit.h5: 12 trials: 12 done' "$log" ||
        { show_log "$log"; return 1; }
    # never did two allocations overlap or a trial finish twice
    [ "$(grep -cE '^limit_[a-z0-9._-]+ done: ' "$log")" -eq 12 ] ||
        { echo "  $(grep -cE '^limit_[a-z0-9._-]+ done: ' "$log") 'done' lines, not 12" >&2; return 1; }
    same_as_reference "$d" results/limit.h5 "$work/limit-ref"
}

# The script's own alarm, for a job whose warning signal never comes in
# time (USR1 at 1 s before the limit comes 1-61 s before it): with a
# margin of 90 s it stops the sweep about 30 s into a 2-minute job.
test_without_an_early_signal_the_script_stops_before_the_limit() {
    local d=$work/watchdog log
    mkdir -p "$d/jobs" && limit_cfg "$d/limit.cfg"
    submit "$d" --time=2 --signal=B:USR1@1 --export=ALL,SWEEP_STOP_MARGIN=90 -- limit.cfg || return 1
    log=$(log_of "$d" "$JOB")
    wait_line "$log" '^sweep.sbatch: the time limit is 90 s away \(SWEEP_STOP_MARGIN\) at ' 100 ||
        { show_log "$log"; return 1; }
    wait_line "$log" "^sweep.sbatch: requeued job $JOB: " 30 || { show_log "$log"; return 1; }
    scancel "$JOB"
    wait_state "$JOB" 60 CANCELLED || return 1
    grep -q '^sweep.sbatch: SIGUSR1 received' "$log" && { echo "  Slurm's signal came first" >&2; return 1; }
    grep -q '^sweep.sbatch: the sweep stopped with its work saved (exit 75)$' "$log" || { show_log "$log"; return 1; }
    # what it had done is in the file, and the rest can resume
    "$DIGEST" "$d/results/limit.h5" | grep -qE ' (done|interrupted) ' || return 1
}

# An allocation in which no epoch finished is not requeued: the next one,
# as short, would end the same way, for ever. (Epochs of about 5 s; the
# warning comes a second into the first.)
test_an_allocation_that_finished_no_epoch_is_not_requeued() {
    local d=$work/noprogress log
    mkdir -p "$d/jobs"
    printf '[sweep]\nname = slow\n[data]\ntrain_limit = 30000\ntest_limit = 500\n[train]\nepochs = 3\n[model]\nconv = 8, 16\ndense = 16\n' > "$d/slow.cfg"
    submit "$d" -- slow.cfg || return 1
    log=$(log_of "$d" "$JOB")
    wait_line "$log" '^start slow ' 60 || { show_log "$log"; return 1; }
    sleep 1
    scancel --signal=USR1 --batch "$JOB"
    wait_state "$JOB" 60 FAILED COMPLETED || { show_log "$log"; return 1; }
    [ "$(field "$JOB" Restarts)" = 0 ] && [ "$(field "$JOB" ExitCode)" = 75:0 ] &&
        grep -q '^sweep.sbatch: no epoch finished in this allocation: not requeued' "$log" ||
        { show_log "$log"; return 1; }
}

test_scancel_then_submitting_again_resumes() {
    local d=$work/cancel log first second
    mkdir -p "$d/jobs" && cancel_cfg "$d/cancel.cfg" && cancel_cfg "$work/cancel.cfg"
    reference "$work/cancel-ref" "$work/cancel.cfg" || return 1
    submit "$d" -- cancel.cfg || return 1
    first=$JOB; log=$(log_of "$d" "$first")
    # mid-way through the second trial: its first epoch is over
    wait_lines "$log" '^cancel_[a-z0-9._-]+ epoch [0-9]/3 ' 4 120 || { show_log "$log"; return 1; }
    scancel "$first"
    wait_state "$first" 60 CANCELLED COMPLETED FAILED || return 1
    [ "$(field "$first" JobState)" = CANCELLED ] || { show_log "$log"; return 1; }
    # the sweep checkpointed within KillWait, and the script did not requeue
    wait_line "$log" '^sweep.sbatch: stopped by Slurm .*not requeued here' 10 || { show_log "$log"; return 1; }
    grep -q 'requeued job' "$log" && return 1
    local done_before; done_before=$("$DIGEST" "$d/results/cancel.h5" | awk '$2 == "done" { print $1 }')
    [ -n "$done_before" ] || { echo "  nothing recorded done before the scancel" >&2; return 1; }
    submit "$d" -- cancel.cfg || return 1
    second=$JOB
    wait_state "$second" 180 COMPLETED FAILED CANCELLED || return 1
    log=$(log_of "$d" "$second")
    [ "$(field "$second" JobState)" = COMPLETED ] || { show_log "$log"; return 1; }
    local name
    for name in $done_before; do
        grep -q "^start $name " "$log" && { echo "  the resubmitted job ran $name again" >&2; return 1; }
    done
    same_as_reference "$d" results/cancel.h5 "$work/cancel-ref"
}

# The warning sent by hand (scancel --signal=USR1 --batch is what
# --signal=B:USR1 does); the job may not be requeued. Launched by mpirun,
# so the signal goes through mpirun to the ranks.
test_where_requeue_is_refused_the_script_resubmits() {
    local d=$work/norequeue log next
    mkdir -p "$d/jobs" && cancel_cfg "$d/cancel.cfg" && cancel_cfg "$work/cancel.cfg"
    [ -s "$work/cancel-ref/reference.digest" ] || reference "$work/cancel-ref" "$work/cancel.cfg" || return 1
    # SWEEP_FRESH=1: --fresh in the first allocation only
    submit "$d" --no-requeue --time=7 --export=ALL,SWEEP_LAUNCHER=mpirun,SWEEP_FRESH=1 -- cancel.cfg || return 1
    log=$(log_of "$d" "$JOB")
    wait_line "$log" '^cancel_[a-z0-9._-]+ epoch 1/3 ' 120 || { show_log "$log"; return 1; }
    scancel --signal=USR1 --batch "$JOB"
    wait_state "$JOB" 60 COMPLETED FAILED || return 1
    next=$(sed -n 's/^sweep.sbatch: requeue refused (.*); submitted job \([0-9]*\) to resume .*/\1/p' "$log")
    [ -n "$next" ] || { show_log "$log"; return 1; }
    [ "$(field "$JOB" ExitCode)" = 75:0 ] || { echo "  exit code $(field "$JOB" ExitCode)" >&2; return 1; }
    wait_state "$next" 180 COMPLETED FAILED CANCELLED || { show_log "$(log_of "$d" "$next")"; return 1; }
    [ "$(field "$next" JobState)" = COMPLETED ] || { show_log "$(log_of "$d" "$next")"; return 1; }
    grep -qE "^sweep.sbatch: job $next \(restart 1\) on .*: 2 ranks x 1 threads; cancel.cfg \(4 trials\) -> results/cancel.h5$" "$(log_of "$d" "$next")" &&
        grep -qE "^sweep.sbatch: running: mpirun -np 2 " "$(log_of "$d" "$next")" ||
        { show_log "$(log_of "$d" "$next")"; return 1; }
    grep -qE '^sweep.sbatch: running: .* --fresh cancel.cfg$' "$log" &&
        ! grep -q -- '--fresh' "$(log_of "$d" "$next")" || { echo "  --fresh not in the first job only" >&2; return 1; }
    # the allocation was kept: time limit, tasks, CPUs
    [ "$(field "$next" TimeLimit)" = 00:07:00 ] && [ "$(field "$next" NumTasks)" = 2 ] &&
        [ "$(field "$next" CPUs/Task)" = 1 ] ||
        { echo "  job $next: $(scontrol show job "$next" | grep -E 'TimeLimit|NumTasks')" >&2; return 1; }
    same_as_reference "$d" results/cancel.h5 "$work/cancel-ref"
}

# Three array tasks, three shards; merged, the uninterrupted run.
test_job_array_runs_shards_that_merge_into_the_grid() {
    local d=$work/array log task
    mkdir -p "$d/jobs" && shards_cfg "$d/grid.cfg" && shards_cfg "$work/grid.cfg"
    reference "$work/grid-ref" "$work/grid.cfg" || return 1
    submit "$d" --array=0-2 -- grid.cfg || return 1
    local end=$((SECONDS + 180))
    while [ $SECONDS -lt $end ] && [ -n "$(squeue -h -j "$JOB" 2> /dev/null)" ]; do sleep 1; done
    [ "$(scontrol show job "$JOB" | grep -c 'JobState=COMPLETED')" -eq 3 ] ||
        { scontrol show job "$JOB" | grep -E 'JobId|JobState' >&2; return 1; }
    for task in 0 1 2; do
        log=$(ls "$d"/jobs/sweep-*.log | xargs grep -l "grid.cfg (shard $task/3, " | head -1)
        [ -n "$log" ] && grep -qE "^sweep.sbatch: the sweep is finished: results/grid.shard-$task-of-3.h5: " "$log" ||
            { echo "  no finished log for shard $task" >&2; ls "$d/jobs" >&2; return 1; }
    done
    (cd "$d" && "$SWEEP" merge results/grid.h5 results/grid.shard-*-of-3.h5 > merge.out) || return 1
    same_as_reference "$d" results/grid.h5 "$work/grid-ref"
}

# refused DIR STATUS PATTERN: the job failed with STATUS, its log is the
# one line PATTERN, and nothing was launched
refused() {
    local log; log=$(log_of "$1" "$JOB")
    wait_state "$JOB" 60 FAILED COMPLETED || return 1
    [ "$(field "$JOB" ExitCode)" = "$2:0" ] || { echo "  exit code $(field "$JOB" ExitCode), not $2:0" >&2; show_log "$log"; return 1; }
    [ "$(wc -l < "$log")" -eq 1 ] && grep -qE "$3" "$log" || { echo "  log:" >&2; cat "$log" >&2; return 1; }
}

test_missing_grid_bad_grid_and_unwritable_results_are_refused_before_srun() {
    local d=$work/refuse
    mkdir -p "$d/jobs"
    submit "$d" -- none.cfg || return 1
    refused "$d" 2 '^sweep.sbatch: none.cfg: no such file$' || return 1
    printf '[model]\ndropout = 1.5\n' > "$d/bad.cfg"
    submit "$d" -- bad.cfg || return 1
    refused "$d" 2 '^sweep.sbatch: bad.cfg:2: .*dropout' || return 1
    tiny_cfg "$d/tiny.cfg"
    mkdir -p "$d/results" && mount -t tmpfs -o size=1m,ro tmpfs "$d/results" ||
        { echo "  cannot mount a read-only tmpfs" >&2; return 1; }
    submit "$d" -- tiny.cfg || return 1
    refused "$d" 4 '^sweep.sbatch: results: results directory is not writable$' || return 1
    umount "$d/results"
    # a results path under a file
    submit "$d" -- tiny.cfg tiny.cfg/out.h5 || return 1
    refused "$d" 4 '^sweep.sbatch: tiny.cfg: cannot create the results directory$'
}

# ---- the cluster ----------------------------------------------------------------

[ "$(id -u)" = 0 ] || { echo "test_slurm: needs root (Slurm daemons, tmpfs)" >&2; echo "test_slurm: 0 passed, 1 failed"; exit 1; }
start=$("$REPO/tests/slurm_cluster.sh" start "$cluster") ||
    { echo "FAIL the test cluster did not start"; echo "test_slurm: 0 passed, 1 failed"; exit 1; }
eval "$start"
run_tests test_slurm
