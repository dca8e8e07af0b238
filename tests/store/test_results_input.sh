#!/usr/bin/env bash
# test_results_input: the results file under bad input and concurrency --
# a text file or another program's HDF5 file where the results should be,
# a read-only and a full results directory, a corrupt checkpoint, two jobs
# on one file, a stale lock, --fresh, and a changed grid. Each fault is
# one line on stderr naming the file and what is wrong, with a non-zero
# status, and nothing already recorded is lost: results_digest (or cmp)
# before and after. Run from the repository top, as root for the tmpfs
# tests (a machine that cannot mount tmpfs skips them, saying so).
set -u
SELF=$(realpath "$0")
SWEEP=$(realpath "${SWEEP:-build/sweep}")
DIGEST=$(realpath "${DIGEST:-build/results_digest}")
work=$(mktemp -d /tmp/sweep-results-input.XXXXXX)
mounts=()   # tmpfs mount points still mounted
# clean_up_on_exit (shell_testing.sh) calls this before removing $work.
extra_cleanup() {
    local m
    for m in ${mounts[@]+"${mounts[@]}"}; do
        mountpoint -q "$m" && { umount "$m" 2> /dev/null || umount -l "$m"; }
    done
}
source "$(dirname "$SELF")/../shell_testing.sh"
clean_up_on_exit

# Every sweep run is bounded: a hang is a failure, not a stuck test.
sweep() { timeout 120 "$SWEEP" "$@"; }

# A test's own directory, which becomes the current one: relative paths
# (results/NAME.h5, jobs/NAME/) land there.
enter() { mkdir -p "$work/$1" && cd "$work/$1"; }

# mount_tmpfs DIR OPTIONS: a tmpfs on DIR, unmounted on exit if the test
# does not. Fails when this machine cannot mount one.
mount_tmpfs() {
    mkdir -p "$1" && mount -t tmpfs -o "$2" tmpfs "$1" 2> /dev/null || return 1
    mounts+=("$1")
}

unmount_tmpfs() { # DIR
    mountpoint -q "$1" && umount "$1"
}

# tiny_cfg FILE [DROPOUT_AXIS]: two trials (tiny_dropout-0, tiny_dropout-0.3)
# of about 0.2 s each.
tiny_cfg() {
    printf '[sweep]\nname = tiny\n[data]\ntrain_limit = 600\ntest_limit = 300\n[train]\nepochs = 2\n[model]\nconv = 8\ndense = 32\ndropout = %s\n' \
        "${2:-0 | 0.3}" > "$1"
}

# digest_of FILE: results_digest's lines, or nothing with a message
digest_of() { "$DIGEST" "$1" || echo "  results_digest $1 failed" >&2; }

# The lines of a digest whose status is done.
done_lines() { awk '$2 == "done"' "$@"; }

# A reference: the tiny grid run once, start to end, in its own directory.
tiny_reference() {
    [ -s "$work/ref/tiny.digest" ] && return 0
    ( enter ref && tiny_cfg tiny.cfg && sweep --quiet tiny.cfg > /dev/null &&
      digest_of results/tiny.h5 > tiny.digest ) &&
        [ "$(done_lines "$work/ref/tiny.digest" | wc -l)" -eq 2 ]
}

# ---- a results path that holds something else --------------------------

test_text_file_where_results_go_is_refused_and_left_unchanged() {
    enter text && tiny_cfg tiny.cfg
    mkdir -p results
    printf 'my notes, not a results file\n1 2 3\n' > results/tiny.h5
    cp results/tiny.h5 notes.orig
    run sweep --quiet tiny.cfg
    one_error_line 4 "^sweep: results/tiny.h5: not an HDF5 file" || return 1
    cmp results/tiny.h5 notes.orig || return 1
    ! grep -q '^start ' "$work/out" || { echo "  trained anyway" >&2; return 1; }
    # nothing left beside it: no lock, no half-written file
    [ "$(ls results)" = "tiny.h5" ] || { echo "  left: $(ls results)" >&2; return 1; }
}

test_other_programs_hdf5_file_is_refused_and_left_unchanged() {
    enter foreign && tiny_cfg tiny.cfg
    printf '1 2 3\n' > numbers.txt
    h5import numbers.txt -dims 3 -type TEXTIN -size 32 -o foreign.h5 || return 1
    cp foreign.h5 foreign.orig
    run sweep --quiet --output foreign.h5 tiny.cfg
    one_error_line 4 "^sweep: foreign.h5: .*an HDF5 file, but not a sweep results file" || return 1
    cmp foreign.h5 foreign.orig || return 1
    ! grep -q '^start ' "$work/out" && [ ! -e foreign.h5.lock ] && [ ! -e foreign.h5.tmp ]
}

test_checkpoint_given_as_results_file_is_refused_and_left_unchanged() {
    # A sweep checkpoint is HDF5 too, but not a results file.
    tiny_reference || return 1
    enter checkpoint_as_results && tiny_cfg tiny.cfg
    cp "$work/ref/jobs/tiny/tiny_dropout-0.h5" ckpt.h5 || return 1
    cp ckpt.h5 ckpt.orig
    run sweep --quiet --output ckpt.h5 tiny.cfg
    one_error_line 4 "^sweep: ckpt.h5: .*not a sweep results file" || return 1
    cmp ckpt.h5 ckpt.orig
}

# ---- the results directory cannot take the file --------------------------

test_read_only_results_directory_fails_and_keeps_the_old_file() {
    tiny_reference || return 1
    enter readonly && tiny_cfg tiny.cfg
    # The mount is what this test is about: where it cannot be made (not
    # root, no CAP_SYS_ADMIN), the test is skipped, not passed.
    if ! mount_tmpfs results size=4m; then
        echo "  cannot mount tmpfs here" >&2
        return 77
    fi
    local rc=0
    cp -r "$work/ref/results/tiny.h5" "$work/ref/results/tiny.weights" results/ &&
        cp results/tiny.h5 before.h5 &&
        mount -o remount,ro results || rc=1
    # one trial more than the file holds
    tiny_cfg tiny.cfg '0 | 0.3 | 0.5'
    [ "$rc" -eq 0 ] && run sweep --quiet tiny.cfg
    [ "$rc" -eq 0 ] && { one_error_line 4 "^sweep: results/tiny\.h5[.a-z]*: .*Read-only file system" || rc=1; }
    [ "$rc" -eq 0 ] && { cmp results/tiny.h5 before.h5 || rc=1; }
    [ "$rc" -eq 0 ] && { diff "$work/ref/tiny.digest" <(digest_of results/tiny.h5) >&2 || rc=1; }
    [ "$rc" -eq 0 ] && { ! grep -q '^start ' "$work/out" || { echo "  trained although nothing can be recorded" >&2; rc=1; }; }
    unmount_tmpfs results || rc=1
    return "$rc"
}

# Four trials of ~220 KB of weights each (conv 8, dense 32), each in a
# weights file of its own beside a results file of a few tens of KB: two
# trials' weights fit in 600 KB, a third does not.
full_cfg() {
    printf '[sweep]\nname = full\nseed = 1 | 2 | 3 | 4\n[data]\ntrain_limit = 300\ntest_limit = 200\n[train]\nepochs = 1\n[model]\nconv = 8\ndense = 32\n' > "$1"
}

test_full_results_directory_fails_and_keeps_a_complete_earlier_file() {
    ( enter full_ref && full_cfg full.cfg && sweep --quiet full.cfg > /dev/null &&
      digest_of results/full.h5 > full.digest ) || return 1
    [ "$(done_lines "$work/full_ref/full.digest" | wc -l)" -eq 4 ] || return 1
    enter full && full_cfg full.cfg
    if ! mount_tmpfs results size=600k; then
        echo "  cannot mount tmpfs here" >&2
        return 77
    fi
    local rc=0
    run sweep --quiet full.cfg
    one_error_line 4 "^sweep: results/full(\.h5|\.weights/[0-9TZ]+/full_seed-[0-9]-[0-9a-f]{16}\.h5)(\.tmp)?: .*No space left on device" || rc=1
    # the file in place is a whole earlier publish
    h5dump -H results/full.h5 > /dev/null || { echo "  h5dump cannot read results/full.h5" >&2; rc=1; }
    digest_of results/full.h5 > full.digest
    [ "$(wc -l < full.digest)" -eq 4 ] || { echo "  digest: $(cat full.digest)" >&2; rc=1; }
    # at least one trial made it, and every done trial is the reference's
    [ "$(done_lines full.digest | wc -l)" -ge 1 ] || { echo "  no trial recorded as done" >&2; rc=1; }
    [ "$(done_lines full.digest | wc -l)" -lt 4 ] || { echo "  all fitted: the test's sizes are wrong" >&2; rc=1; }
    local extra; extra=$(done_lines full.digest | grep -vxF -f "$work/full_ref/full.digest")
    [ -z "$extra" ] || { echo "  done trials differ from the reference: $extra" >&2; rc=1; }
    [ -z "$(find results -name '*.tmp')" ] || { echo "  left behind: $(find results -name '*.tmp')" >&2; rc=1; }
    [ ! -e results/full.h5.lock ] || { echo "  lock left behind" >&2; rc=1; }
    unmount_tmpfs results || rc=1
    return "$rc"
}

# Five data directories (links to the real files) are 20 data files:
# /sweep/data_files lists every one with its size (format 1 stopped at 16
# without a word).
test_every_data_file_of_many_data_directories_is_described() {
    enter manydata || return 1
    local d dirs=""
    for d in 1 2 3 4 5; do
        mkdir -p "data$d" && ln -sf /usr/share/datasets/fashion-mnist/* "data$d/" || return 1
        dirs+="${dirs:+ | }data$d"
    done
    printf '[sweep]\nname = many\n[data]\ndir = %s\ntrain_limit = 100\ntest_limit = 50\n[train]\nepochs = 1\n[model]\nconv = 2\ndense = 4\n' \
        "$dirs" > many.cfg
    run sweep --quiet many.cfg
    [ "$status" -eq 0 ] || { echo "  status $status: $(cat "$work/err")" >&2; return 1; }
    h5dump -d /sweep/data_files results/many.h5 > rows.txt || { echo "  h5dump -d /sweep/data_files failed" >&2; return 1; }
    for d in 1 2 3 4 5; do
        [ "$(grep -c "\"data$d/[a-z0-9-]*-ubyte.gz\"" rows.txt)" -eq 4 ] ||
            { echo "  data$d: $(grep -c "data$d/" rows.txt) of 4 files listed" >&2; return 1; }
    done
    grep -q 'DATASPACE  SIMPLE { ( 20 ) / ( 20 ) }' rows.txt || { echo "  not 20 rows" >&2; return 1; }
}

# ---- checkpoints --------------------------------------------------------

test_corrupt_checkpoint_is_retrained_to_the_same_result() {
    tiny_reference || return 1
    enter corrupt && tiny_cfg tiny.cfg
    sweep --quiet tiny.cfg > /dev/null || return 1
    # The results file is gone; one trial's checkpoint is garbage.
    rm results/tiny.h5
    head -c 20000 /dev/urandom > jobs/tiny/tiny_dropout-0.3.h5
    run sweep --quiet tiny.cfg
    [ "$status" -eq 0 ] || { echo "  status $status: $(cat "$work/err")" >&2; return 1; }
    [ "$(wc -l < "$work/err")" -eq 1 ] &&
        grep -qE '^sweep: warning: jobs/tiny/tiny_dropout-0\.3\.h5: .*starting tiny_dropout-0\.3 from scratch$' "$work/err" ||
        { echo "  stderr: $(cat "$work/err")" >&2; return 1; }
    diff "$work/ref/tiny.digest" <(digest_of results/tiny.h5) >&2
}

# Trial 2 runs 4 epochs of ~0.3 s or more: a SIGTERM sent once its first
# epoch is printed lands mid-trial.
two_step_cfg() {
    printf '[sweep]\nname = steps\n[data]\ntrain_limit = 4000\ntest_limit = 300\n[train]\nepochs = 4\npatience = 10\n[model]\nconv = 8\ndense = 32\n[experiment short]\ntrain_limit = 600\nepochs = 1\n[experiment long]\n' > "$1"
}

# start_job OUT ERR SWEEP_ARGS...: a sweep in the background; $job_pid is
# the sweep process itself (timeout runs sh, which execs sweep).
start_job() {
    local out=$1 err=$2; shift 2
    rm -f "$work/job.pid"
    timeout 120 sh -c 'echo $$ > "$0"; exec "$@"' "$work/job.pid" "$SWEEP" "$@" > "$out" 2> "$err" &
    job_bg=$!
    jobs_started+=("$job_bg")
    local i
    for ((i = 0; i < 100; i++)); do [ -s "$work/job.pid" ] && break; sleep 0.02; done
    job_pid=$(cat "$work/job.pid")
}

test_corrupt_checkpoint_of_an_interrupted_trial_is_retrained() {
    ( enter steps_ref && two_step_cfg steps.cfg && sweep --quiet steps.cfg > /dev/null &&
      digest_of results/steps.h5 > steps.digest ) || return 1
    enter steps && two_step_cfg steps.cfg
    start_job job.out job.err steps.cfg
    wait_for job.out '^long epoch 1/4 ' 60 "$job_pid" || { echo "  trial 2 never printed an epoch" >&2; return 1; }
    kill -TERM "$job_pid"
    wait "$job_bg"; status=$?
    [ "$status" -eq 75 ] || { echo "  interrupted run: status $status, expected 75: $(cat job.err)" >&2; return 1; }
    grep -qE '^long +.*interrupted' job.out || { echo "  trial 2 not shown interrupted" >&2; return 1; }
    [ -s jobs/steps/long.h5 ] || return 1
    head -c 30000 /dev/urandom > jobs/steps/long.h5
    run sweep --quiet steps.cfg
    [ "$status" -eq 0 ] || { echo "  rerun: status $status: $(cat "$work/err")" >&2; return 1; }
    [ "$(wc -l < "$work/err")" -eq 1 ] &&
        grep -qE '^sweep: warning: jobs/steps/long\.h5: .*starting long from scratch$' "$work/err" ||
        { echo "  stderr: $(cat "$work/err")" >&2; return 1; }
    [ "$(grep -c '^start ' "$work/out")" -eq 1 ] || { echo "  rerun started: $(grep '^start ' "$work/out")" >&2; return 1; }
    diff "$work/steps_ref/steps.digest" <(digest_of results/steps.h5) >&2
}

# ---- one job per results file -------------------------------------------

# About 10 s of training on this 2-core machine: two trials of 3 epochs
# over 15,000 images.
long_cfg() {
    printf '[sweep]\nname = long\n[data]\ntrain_limit = 15000\ntest_limit = 500\n[train]\nepochs = 3\npatience = 10\n[model]\nconv = 8\ndense = 32\ndropout = 0 | 0.3\n' > "$1"
}

test_second_job_on_the_same_results_file_is_refused() {
    enter twojobs && long_cfg long.cfg
    start_job first.out first.err --quiet long.cfg
    local i
    for ((i = 0; i < 600; i++)); do
        [ -s results/long.h5.lock ] && break
        kill -0 "$job_pid" 2> /dev/null || break
        sleep 0.05
    done
    [ -s results/long.h5.lock ] || { echo "  the first job took no lock: $(cat first.err)" >&2; return 1; }
    cp results/long.h5.lock lock.seen
    local t0=$SECONDS
    run sweep --quiet long.cfg
    local took=$((SECONDS - t0)) rc=0
    kill -0 "$job_pid" 2> /dev/null || { echo "  inconclusive: the first job ended before the second was refused" >&2; rc=1; }
    one_error_line 4 "^sweep: results/long\.h5\.lock: .*process $job_pid on $(hostname)" || rc=1
    [ "$took" -le 10 ] || { echo "  the refusal took ${took}s" >&2; rc=1; }
    ! grep -q '^start ' "$work/out" || { echo "  the second job trained" >&2; rc=1; }
    # the first job is undisturbed: it ends with 0, both trials done, and
    # its lock is gone
    wait "$job_bg"; local first=$?
    [ "$first" -eq 0 ] || { echo "  first job: status $first: $(cat first.err)" >&2; rc=1; }
    [ "$(done_lines <(digest_of results/long.h5) | wc -l)" -eq 2 ] || { echo "  first job's results incomplete" >&2; rc=1; }
    [ ! -e results/long.h5.lock ] || { echo "  lock left behind" >&2; rc=1; }
    grep -qx "pid=$job_pid" lock.seen || { echo "  lock: $(cat lock.seen)" >&2; rc=1; }
    return "$rc"
}

test_stale_lock_of_a_dead_process_is_taken_over() {
    tiny_reference || return 1
    enter stale && tiny_cfg tiny.cfg
    sleep 0 & local dead=$!
    wait "$dead"
    kill -0 "$dead" 2> /dev/null && return 1   # reused already: cannot test
    mkdir -p results
    printf 'host=%s\npid=%s\nslurm_job=-\nslurm_restart=0\n' "$(hostname)" "$dead" > results/tiny.h5.lock
    run sweep --quiet tiny.cfg
    [ "$status" -eq 0 ] || { echo "  status $status: $(cat "$work/err")" >&2; return 1; }
    [ "$(wc -l < "$work/err")" -eq 1 ] &&
        grep -qE "^sweep: warning: results/tiny\.h5\.lock: .*stale lock .*PID $dead on $(hostname)" "$work/err" ||
        { echo "  stderr: $(cat "$work/err")" >&2; return 1; }
    [ ! -e results/tiny.h5.lock ] || { echo "  lock left behind" >&2; return 1; }
    diff "$work/ref/tiny.digest" <(digest_of results/tiny.h5) >&2
}

# ---- starting over and changing the grid --------------------------------

test_fresh_moves_the_old_results_aside_and_deletes_nothing() {
    tiny_reference || return 1
    enter fresh && tiny_cfg tiny.cfg
    sweep --quiet tiny.cfg > /dev/null || return 1
    digest_of results/tiny.h5 > old.digest
    run sweep --quiet --verbose --fresh tiny.cfg
    [ "$status" -eq 0 ] || { echo "  status $status: $(cat "$work/err")" >&2; return 1; }
    local old_file old_jobs
    old_file=$(ls -d results/tiny.old-*.h5 2> /dev/null)
    old_jobs=$(ls -d jobs/tiny.old-* 2> /dev/null)
    [ "$(echo "$old_file" | grep -c .)" -eq 1 ] || { echo "  moved results: '$old_file'" >&2; return 1; }
    [ "$(echo "$old_jobs" | grep -c .)" -eq 1 ] && [ -d "$old_jobs" ] || { echo "  moved jobs: '$old_jobs'" >&2; return 1; }
    # the old results, bit for bit, and the old checkpoints
    diff old.digest <(digest_of "$old_file") >&2 || return 1
    [ -s "$old_jobs/tiny_dropout-0.h5" ] && [ -s "$old_jobs/tiny_dropout-0.3.h5" ] || return 1
    # the new run started over (no checkpoint to resume) and is complete
    [ "$(grep -c 'trained from scratch' "$work/out")" -eq 2 ] || { echo "  not retrained from scratch" >&2; return 1; }
    diff "$work/ref/tiny.digest" <(digest_of results/tiny.h5) >&2
}

test_changed_grid_keeps_unchanged_and_dropped_trials() {
    tiny_reference || return 1
    enter changed && tiny_cfg a.cfg
    sweep --quiet a.cfg > /dev/null || return 1
    digest_of results/tiny.h5 > a.digest
    # grid B: dropout 0 as before, 0.3 dropped, 0.5 new
    tiny_cfg b.cfg '0 | 0.5'
    run sweep --quiet b.cfg
    [ "$status" -eq 0 ] || { echo "  status $status: $(cat "$work/err")" >&2; return 1; }
    [ "$(grep '^start ' "$work/out")" = "start tiny_dropout-0.5" ] ||
        { echo "  started: $(grep '^start ' "$work/out" | tr '\n' ' ')" >&2; return 1; }
    digest_of results/tiny.h5 > b.digest
    [ "$(wc -l < b.digest)" -eq 3 ] || { echo "  trials: $(cat b.digest)" >&2; return 1; }
    grep -qxF "$(grep '^tiny_dropout-0 ' a.digest)" b.digest || { echo "  unchanged trial changed" >&2; return 1; }
    grep -qxF "$(grep '^tiny_dropout-0.3 ' a.digest)" b.digest || { echo "  dropped trial changed" >&2; return 1; }
    grep -q '^tiny_dropout-0.5 done ' b.digest || return 1
    # /summary: the dropped trial is kept with in_grid 0, the others 1
    local in_grid; in_grid=$(summary_field results/tiny.h5 in_grid | sort | tr '\n' ' ')
    [ "$in_grid" = "tiny_dropout-0 1 tiny_dropout-0.3 0 tiny_dropout-0.5 1 " ] ||
        { echo "  in_grid: $in_grid" >&2; return 1; }
    timeout 60 "$SWEEP" report results/tiny.h5 | grep -qE '^tiny_dropout-0\.3 .* done,not-in-grid$'
}

# In file order: later tests reuse the reference runs.
run_tests test_results_input
