#!/usr/bin/env bash
# test_results: the results file RESULTS.h5 (results/NAME.h5) that rank 0
# alone publishes by write-to-RESULTS.h5.tmp, fsync, rename.
# - h5dump reads it: the /summary table (every trial, its status), a
#   trial's group (history, confusion matrix, per-class figures,
#   predictions, weights), the format attribute, the class names;
# - it is a whole HDF5 file at every moment of a running sweep, however
#   often it is replaced (a reader never sees a file being written);
# - SIGKILL of the whole job (mpirun and every rank at once) at any moment
#   -- while a results file or a checkpoint sits written but not yet
#   renamed, right after a trial finishes, at random times -- leaves a
#   readable results file and readable checkpoints, a stale lock that the
#   rerun takes over with a warning, and the same command run again
#   finishes every trial exactly once (a trial recorded done is never
#   started again), bit-identical to an uninterrupted run, with no
#   temporary file or lock left behind;
# - SIGKILL of a single process mid-epoch resumes from its last epoch
#   checkpoint: the rerun trains only the epochs that were not finished.
# The kill moments are logged on stderr; RESULTS_TEST_SEED=N replays the
# random ones. Oversubscribed on purpose (2 cores here), one OpenMP thread
# per rank so digests compare across runs.
set -u
SELF=$(realpath "$0")
SWEEP=$(realpath "${SWEEP:-build/sweep}")
DIGEST=$(realpath "${DIGEST:-build/results_digest}")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
unset SWEEP_TEST_COMMIT_PAUSE_MS
work=$(mktemp -d /tmp/sweep-results.XXXXXX)
seed=${RESULTS_TEST_SEED:-$(( $(date +%s%N) % 32768 ))}
RANDOM=$seed
source "$(dirname "$SELF")/../shell_testing.sh"

# ---- jobs in sessions of their own ------------------------------------------
# Open MPI gives every rank a process group of its own, so killing mpirun's
# group leaves the ranks running. Each job runs in a new session instead
# (setsid), and kill_session stops every process of that session, then
# kills them all: no rank gets to notice that another one died.

live_pids() { ps -o pid=,stat= -s "$1" 2>/dev/null | awk '$2 !~ /^Z/ { print $1 }'; }

kill_session() { # SID
    local sid=$1 pids i
    [ -n "$sid" ] || return 0
    for i in 1 2 3; do
        pids=$(live_pids "$sid")
        [ -n "$pids" ] || return 0
        kill -STOP $pids 2> /dev/null
    done
    for i in $(seq 1 100); do
        pids=$(live_pids "$sid")
        [ -n "$pids" ] || return 0
        kill -KILL $pids 2> /dev/null
        sleep 0.05
    done
    echo "  processes of session $sid survive SIGKILL: $pids" >&2
    return 1
}

# Waits until every process of session SID is reaped, zombies included:
# the lock file names rank 0's PID, and a zombie's PID still answers
# kill(PID, 0), so a rerun started before init reaps it would find the
# lock in use. (Here init reaps orphans only every second or so.)
await_reaped() { # SID
    local i
    for i in $(seq 1 300); do [ -z "$(ps -o pid= -s "$1" 2> /dev/null)" ] && return 0; sleep 0.05; done
    echo "  session $1 still has processes 15 s after the kill: $(ps -o pid=,stat= -s "$1" | tr '\n' ' ')" >&2
}

# Kills job JOB_PID/JOB_SID, reaps it and returns its exit status.
kill_job() {
    kill_session "$JOB_SID"
    wait "$JOB_PID"
    local rc=$?
    await_reaped "$JOB_SID"
    return $rc
}

cleanup() {
    local f
    for f in "$work"/*.sid; do [ -s "$f" ] && kill_session "$(cat "$f")"; done
    [ -n "${RESULTS_TEST_KEEP:-}" ] && echo "  kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

# start_job DIR TAG COMMAND...: runs COMMAND in DIR, in a new session, in
# the background; DIR/TAG.out and DIR/TAG.err get its output. Sets JOB_PID
# (to wait for) and JOB_SID (to kill).
start_job() {
    local dir=$1 tag=$2 i; shift 2
    local sidfile="$work/${dir##*/}-$tag.sid"
    rm -f "$sidfile"
    # (no exec: the subshell outlives the session and exits 128 + signal,
    # so bash reports no "Killed" job)
    (cd "$dir" && setsid -w bash -c 'echo $$ > "$0"; exec "$@"' "$sidfile" "$@"; exit $?) \
        > "$dir/$tag.out" 2> "$dir/$tag.err" &
    JOB_PID=$!
    for i in $(seq 1 500); do [ -s "$sidfile" ] && break; sleep 0.01; done
    JOB_SID=$(cat "$sidfile" 2> /dev/null)
    [ -n "$JOB_SID" ] || echo "  $dir: $tag: the job did not start within 5 s" >&2
}

# run_job DIR TAG SECONDS COMMAND...: runs COMMAND to its end; killed after
# SECONDS. Returns its exit status (124 if it was killed).
run_job() {
    local dir=$1 tag=$2 limit=$3; shift 3
    start_job "$dir" "$tag" "$@"
    local end=$((SECONDS + limit))
    while kill -0 "$JOB_PID" 2> /dev/null && [ $SECONDS -lt $end ]; do sleep 0.05; done
    if kill -0 "$JOB_PID" 2> /dev/null; then
        echo "  $dir: $tag still running after $limit s" >&2
        kill_job; return 124
    fi
    wait "$JOB_PID"
}

# ---- reading the file -----------------------------------------------------------

# "name status" for every row of FILE's /summary, in file order.
summary() {
    h5dump -d /summary "$1" | awk 'BEGIN { k = -1 }
        /^ *\([0-9]+\): \{$/ { k = 0; next }
        k >= 0 { k++; gsub(/[ ",]/, ""); if (k == 1) n = $0; if (k == 3) { print n, $0; k = -1 } }'
}
count_done() { # FILE: trials done in it (0 if there is no file yet)
    if [ -f "$1" ]; then summary "$1" 2> /dev/null | awk '$2 == "done" { n++ } END { print n + 0 }'; else echo 0; fi
}
epoch_lines() { grep -cE '^[^ ]+ epoch [0-9]+/[0-9]+ ' "$1"; }
tail_of() { echo "  --- $1:" >&2; tail -5 "$1" >&2; }

# ---- configurations -------------------------------------------------------------

cat > "$work/tiny.cfg" <<'CFG'
[sweep]
name = tiny
[data]
train_limit = 600
test_limit = 300
[train]
epochs = 2
[model]
conv = 4
dense = 8
dropout = 0 | 0.3
CFG

# A results publish at every event, so readers race the writer constantly.
cat > "$work/live.cfg" <<'CFG'
[sweep]
name = live
publish_interval = 0
[data]
train_limit = 2000
test_limit = 200
[train]
epochs = 6
patience = 10
[model]
conv = 8, 16
dense = 16
batch_norm = yes
dropout = 0 | 0.2
l2 = 0 | 0.001
CFG

# Six trials of about 2 s each: enough work that six kills at their
# moments still find the sweep running (about two trials get done).
cat > "$work/kill.cfg" <<'CFG'
[sweep]
name = kill
publish_interval = 0
[data]
train_limit = 3000
test_limit = 200
[train]
epochs = 4
patience = 10
[model]
conv = 8, 16
dense = 16
batch_norm = yes
dropout = 0 | 0.2
l2 = 0 | 0.01 | 0.1
CFG

# Epochs of about a second, so a kill 0.3 s after epoch 1's line lands in
# epoch 2.
cat > "$work/single.cfg" <<'CFG'
[sweep]
name = single
[data]
train_limit = 5000
test_limit = 200
[train]
epochs = 3
patience = 10
[model]
conv = 8, 16
dense = 16
batch_norm = yes
dropout = 0 | 0.2
CFG

# ---- the tests ------------------------------------------------------------------

test_h5dump_prints_summary_and_a_trials_groups() {
    local d=$work/tiny f name n
    mkdir -p "$d"
    run_job "$d" run 120 "$SWEEP" --quiet "$work/tiny.cfg" || { tail_of "$d/run.err"; return 1; }
    f=$d/results/tiny.h5
    summary "$f" > "$d/summary" || { echo "  h5dump -d /summary failed" >&2; return 1; }
    for name in tiny_dropout-0 tiny_dropout-0.3; do
        n=$(grep -c "^$name done\$" "$d/summary")
        [ "$n" -eq 1 ] || { echo "  /summary shows '$name done' $n times:" >&2; cat "$d/summary" >&2; return 1; }
        h5dump -g "/trials/$name" "$f" > "$d/group" || { echo "  h5dump -g /trials/$name failed" >&2; return 1; }
        for n in 'DATASET "history"' 'DATASET "confusion_matrix"' 'DATASET "per_class"' \
                 'DATASET "predictions"' 'EXTERNAL_LINK "weights"' 'GROUP "/weights"' \
                 'GROUP "block0.conv0"' 'DATASET "weight"'; do
            grep -qF "$n" "$d/group" || { echo "  /trials/$name has no $n" >&2; return 1; }
        done
        # the link's target: the trial's own weights file, relative to the results file
        grep -qE "TARGETFILE \"tiny\.weights/[0-9]{8}T[0-9]{6}Z/$name-[0-9a-f]{16}\.h5\"" "$d/group" ||
            { echo "  /trials/$name/weights does not link tiny.weights/STARTED/$name-HASH.h5" >&2; return 1; }
        # and h5dump reaches the tensors through it from another directory
        (cd / && h5dump -d "/trials/$name/weights/output/bias" "$f") | grep -qF 'H5T_IEEE_F32LE' ||
            { echo "  h5dump cannot read /trials/$name/weights/output/bias from /" >&2; return 1; }
    done
    [ "$(wc -l < "$d/summary")" -eq 2 ] || { echo "  /summary has $(wc -l < "$d/summary") rows" >&2; return 1; }
    h5dump -a /sweep/format "$f" | grep -qF '"sweep results 2"' &&
        h5dump -a /sweep/format_version "$f" | grep -qE '^ *\(0\): 2$' ||
        { echo "  /sweep/format is not \"sweep results 2\", version 2" >&2; return 1; }
    h5dump -d /classes "$f" | grep -qF '"Ankle boot"' || { echo "  /classes lacks \"Ankle boot\"" >&2; return 1; }
}

test_h5dump_reads_the_file_at_every_moment_of_a_running_sweep() {
    local d=$work/live f=$work/live/results/live.h5 i calls=0 fails=0 running=0 rc
    mkdir -p "$d"
    start_job "$d" run mpirun --oversubscribe -np 3 "$SWEEP" --quiet "$work/live.cfg"
    for i in $(seq 1 3000); do [ -f "$f" ] || ! kill -0 "$JOB_PID" 2> /dev/null && break; sleep 0.01; done
    local end=$((SECONDS + 120))
    while kill -0 "$JOB_PID" 2> /dev/null && [ $SECONDS -lt $end ]; do
        calls=$((calls + 1))
        if h5dump -d /summary "$f" > "$d/dump" 2> "$d/dump.err"; then
            grep -qE '^ *running,$' "$d/dump" && running=$((running + 1))
        else
            fails=$((fails + 1))
            [ "$fails" -eq 1 ] && { echo "  h5dump call $calls failed:" >&2; head -3 "$d/dump.err" >&2; }
        fi
    done
    if kill -0 "$JOB_PID" 2> /dev/null; then
        echo "  the sweep still runs after 120 s" >&2; kill_job; rc=124
    else
        wait "$JOB_PID"; rc=$?
    fi
    echo "  $calls h5dump calls while the sweep ran: $fails failed, $running saw a running trial" >&2
    [ "$rc" -eq 0 ] || { echo "  the sweep exited $rc" >&2; tail_of "$d/run.err"; return 1; }
    [ "$fails" -eq 0 ] && [ "$calls" -ge 20 ] && [ "$running" -ge 1 ] || return 1
    [ "$(count_done "$f")" -eq 4 ] || { echo "  the last file has $(count_done "$f") trials done, not 4" >&2; return 1; }
}

# One kill of the kill test: runs the sweep in DIR (output DIR/TAG.out),
# waits for moment POINT, kills every process of the job at once, and
# checks that what the kill left is readable.
#   random      a random delay after the start
#   publish     a results file written but not yet renamed (RESULTS.h5.tmp)
#   checkpoint  a checkpoint written but not yet renamed (jobs/NAME/T.h5.tmp)
#   done        a trial more is done in the file than at the start
kill_at() { # DIR TAG POINT
    local d=$1 tag=$2 point=$3 pause=0 f=$1/results/kill.h5 reached=0 rc j
    case $point in publish|checkpoint) pause=400 ;; esac
    local before; before=$(count_done "$f")
    start_job "$d" "$tag" env SWEEP_TEST_COMMIT_PAUSE_MS=$pause \
        mpirun --oversubscribe -np 3 "$SWEEP" "$work/kill.cfg"
    local t0=$SECONDS end=$((SECONDS + 90))
    if [ "$point" = random ]; then
        local tenths=$((RANDOM % 16 + 4))
        echo "  $tag: SIGKILL $((tenths / 10)).$((tenths % 10)) s after the start" >&2
        sleep "$((tenths / 10)).$((tenths % 10))"; reached=1
    else
        # a moment after training resumed: at least one epoch line
        while kill -0 "$JOB_PID" 2> /dev/null && [ $SECONDS -lt $end ] &&
              [ "$(epoch_lines "$d/$tag.out")" -eq 0 ]; do sleep 0.02; done
        touch "$d/$tag.mark"
        while kill -0 "$JOB_PID" 2> /dev/null && [ $SECONDS -lt $end ]; do
            case $point in
                publish) [ -n "$(find "$d/results" -name kill.h5.tmp -newer "$d/$tag.mark")" ] && reached=1 ;;
                checkpoint) [ -n "$(find "$d/jobs/kill" -name '*.h5.tmp' -newer "$d/$tag.mark")" ] && reached=1 ;;
                done) [ "$(count_done "$f")" -gt "$before" ] && reached=1 ;;
            esac
            [ "$reached" -eq 1 ] && break
            sleep 0.02
        done
        echo "  $tag: SIGKILL at '$point' $((SECONDS - t0)) s after the start" >&2
    fi
    kill_job; rc=$?
    if [ "$point" = random ] && [ "$rc" -eq 0 ]; then
        # a random moment may fall after the sweep's last trial (a late
        # run has little left to train): nothing was killed, the rest of
        # the test still checks the file
        echo "  $tag: note: the sweep finished before the random moment" >&2
        return 0
    fi
    [ "$reached" -eq 1 ] && [ "$rc" -ne 0 ] ||
        { echo "  $tag: moment '$point' not reached before the sweep ended (exit $rc)" >&2; tail_of "$d/$tag.err"; return 1; }
    case $point in   # the kill landed inside the window
        publish) [ -f "$d/results/kill.h5.tmp" ] || { echo "  $tag: no RESULTS.h5.tmp after the kill" >&2; return 1; } ;;
        checkpoint) ls "$d"/jobs/kill/*.h5.tmp > /dev/null 2>&1 || { echo "  $tag: no checkpoint .tmp after the kill" >&2; return 1; } ;;
    esac
    # whatever the moment, the published files are whole
    if [ -f "$f" ]; then
        h5dump -H "$f" > /dev/null 2> "$d/$tag.h5dump" || { echo "  $tag: h5dump -H $f failed:" >&2; head -3 "$d/$tag.h5dump" >&2; return 1; }
        summary "$f" > /dev/null 2>&1 || { echo "  $tag: h5dump -d /summary $f failed" >&2; return 1; }
    fi
    for j in "$d"/jobs/kill/*.h5; do
        [ -f "$j" ] || continue
        h5dump -H "$j" > /dev/null 2>&1 || { echo "  $tag: checkpoint $j is not readable" >&2; return 1; }
    done
    [ -f "$d/results/kill.h5.lock" ] || echo "  $tag: note: no lock file left (killed before rank 0 took it)" >&2
}

# A trial the file recorded done before a run began is not started by it.
no_done_trial_restarted() { # DIR TAG
    local name bad=0
    [ -f "$1/done.list" ] || return 0
    for name in $(cat "$1/done.list"); do
        if grep -qE "^start $name( |\$)" "$1/$2.out"; then
            echo "  $2 started $name again, though the file had it done" >&2; bad=1
        fi
    done
    return $bad
}
note_done_trials() { # DIR
    [ -f "$1/results/kill.h5" ] || return 0
    summary "$1/results/kill.h5" | awk '$2 == "done" { print $1 }' > "$1/done.list"
}

test_sigkill_at_random_moments_then_rerun_completes_exactly_once() {
    local ref=$work/kill-ref d=$work/kill ok=0 n=0 point rc
    mkdir -p "$ref" "$d"
    echo "  random seed $seed (RESULTS_TEST_SEED=$seed replays the delays)" >&2
    run_job "$ref" run 300 mpirun --oversubscribe -np 3 "$SWEEP" --quiet "$work/kill.cfg" ||
        { echo "  the reference run exited $?" >&2; tail_of "$ref/run.err"; return 1; }
    # the moments that need a trial still to train come first: a random
    # kill late in the sweep may find it finished (tolerated), 'done' may not
    for point in checkpoint publish done random random random; do
        n=$((n + 1))
        kill_at "$d" "run$n" "$point" || { ok=1; break; }
        no_done_trial_restarted "$d" "run$n" || ok=1
        note_done_trials "$d"
    done
    run_job "$d" final 300 mpirun --oversubscribe -np 3 "$SWEEP" "$work/kill.cfg"; rc=$?
    [ "$rc" -eq 0 ] || { echo "  the final rerun exited $rc" >&2; tail_of "$d/final.err"; return 1; }
    no_done_trial_restarted "$d" final || ok=1
    # every trial once, done, with the uninterrupted run's models and histories
    same_results "$ref/results/kill.h5" "$d/results/kill.h5" || ok=1
    summary "$d/results/kill.h5" > "$d/summary" || { echo "  h5dump -d /summary failed" >&2; return 1; }
    diff <(summary "$ref/results/kill.h5" | awk '{ print $1 }' | sort) \
         <(awk '{ print $1 }' "$d/summary" | sort) >&2 ||
        { echo "  /summary does not list each trial exactly once (above: reference < > killed)" >&2; ok=1; }
    grep -qv ' done$' "$d/summary" && { echo "  not every trial is done:" >&2; cat "$d/summary" >&2; ok=1; }
    # a killed job's lock is stale, and a rerun said so as it took it over
    grep -qs 'stale lock' "$d"/run*.err "$d/final.err" ||
        { echo "  no rerun warned of a stale lock" >&2; ok=1; }
    # no kill left a checkpoint the rerun could not use (it would start over)
    grep -s 'from scratch' "$d"/run*.err "$d/final.err" >&2 &&
        { echo "  a rerun found a bad checkpoint (above)" >&2; ok=1; }
    # nothing half-done is left once the sweep has finished
    local left; left=$(cd "$d" && find results jobs -name '*.tmp' -o -name '*.lock')
    [ -z "$left" ] || { echo "  left after the final run: $left" >&2; ok=1; }
    return $ok
}

test_sigkill_of_single_process_mid_epoch_resumes_from_checkpoint() {
    local ref=$work/single-ref d=$work/single i rc full killed again
    mkdir -p "$ref" "$d"
    run_job "$ref" run 300 "$SWEEP" "$work/single.cfg" || { tail_of "$ref/run.err"; return 1; }
    full=$(epoch_lines "$ref/run.out")
    start_job "$d" first "$SWEEP" "$work/single.cfg"
    for i in $(seq 1 3000); do
        grep -qE ' epoch 1/' "$d/first.out" || ! kill -0 "$JOB_PID" 2> /dev/null && break
        sleep 0.02
    done
    sleep 0.3
    killed=$(epoch_lines "$d/first.out")
    kill -KILL "$JOB_SID" 2> /dev/null   # the sweep process itself leads the session
    wait "$JOB_PID"; rc=$?
    await_reaped "$JOB_SID"
    [ "$rc" -eq 137 ] && [ "$killed" -eq 1 ] ||
        { echo "  not killed in epoch 2 (exit $rc, $killed epoch lines before the kill)" >&2; return 1; }
    run_job "$d" again 300 "$SWEEP" "$work/single.cfg" || { echo "  the rerun exited $?" >&2; tail_of "$d/again.err"; return 1; }
    again=$(epoch_lines "$d/again.out")
    echo "  epochs trained: $full uninterrupted; $killed before the kill, $again by the rerun" >&2
    # resumed from epoch 1's checkpoint: exactly the epochs not finished
    [ "$again" -lt "$full" ] && [ "$again" -eq $((full - killed)) ] || return 1
    same_results "$ref/results/single.h5" "$d/results/single.h5"
}

run_tests test_results
