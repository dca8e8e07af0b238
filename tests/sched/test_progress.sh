#!/usr/bin/env bash
# test_progress: the progress line within an epoch as a user sees it --
# redrawn in place on a terminal (a pseudo-terminal made by util-linux
# `script`), plain lines every progress_seconds in a log, none by default
# in a log of short epochs, none under --quiet; the start line in a log
# while its first epoch still trains (flushed, not buffered); a bad
# progress_seconds in one line; under mpirun, whole plain lines from the
# worker group. Run from the repository top.
set -u
SELF=$(realpath "$0")
SWEEP=$(realpath "${SWEEP:-build/sweep}")
work=$(mktemp -d /tmp/sweep-progress.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Runs happen in $work, so their checkpoints (jobs/NAME/) land there.
cd "$work" || exit 1
source "$(dirname "$SELF")/../shell_testing.sh"
ESC=$'\x1b'

# cfg NAME TRAIN_LIMIT [SWEEP_LINE]: a one-trial, one-epoch grid whose epoch
# trains at about 3,400 images/s here (so 8,000 images take 2 s), into
# $work/NAME.cfg.
cfg() {
    printf '[sweep]\nname = %s\n%s\n[data]\ntrain_limit = %s\ntest_limit = 200\n[train]\nepochs = 1\nbatch_size = 32\n[model]\nconv = 32, 64\ndense = 128\n' \
        "$1" "${3:-}" "$2" > "$work/$1.cfg"
}

# The progress lines of a run's output (carriage returns made newlines,
# escape sequences dropped): "NAME epoch 1/1  k/N [...]  R img/s  loss L  acc A  ETA T".
PROGRESS='^[A-Za-z0-9_.-]+ epoch [0-9]+/[0-9]+ +[0-9]+/[0-9]+ +(\[[=>.]+\] +)?[0-9]+ img/s  loss [0-9.]+  acc [0-9.]+  ETA [0-9:]+s?$'
progress_lines() { # FILE
    tr '\r' '\n' < "$1" | sed 's/\x1b\[K//g' | grep -E "$PROGRESS"
}

# on_pty CMD: runs CMD with stdout a pseudo-terminal, its bytes to $work/out.
on_pty() {
    command -v script > /dev/null || { echo "  no util-linux script" >&2; return 77; }
    timeout 60 script -qfec "$*" /dev/null > "$work/out" 2> "$work/err" < /dev/null
    status=$?
}

test_terminal_shows_a_line_redrawn_in_place_up_to_the_last_step() {
    cfg live 8000
    on_pty "$SWEEP" "$work/live.cfg"
    [ "$status" -eq 0 ] || { echo "  status $status: $(head -3 "$work/err")" >&2; return 1; }
    progress_lines "$work/out" > "$work/lines"
    local n; n=$(wc -l < "$work/lines")
    [ "$n" -ge 3 ] || { echo "  $n progress updates:" >&2; cat -A "$work/out" | head -20 >&2; return 1; }
    # each update starts with a carriage return and none ends a line
    [ "$(grep -c $'\r'"live epoch 1/1 " "$work/out")" -ge 1 ] || { echo "  no \\r before a progress update" >&2; return 1; }
    [ "$(tr -cd '\r' < "$work/out" | wc -c)" -gt "$n" ] || { echo "  fewer carriage returns than updates" >&2; return 1; }
    ! grep -aqE "img/s[^"$'\r'"]*ETA [0-9:]+s?($ESC\\[K)?"$'\r''?$' "$work/out" ||
        { echo "  a progress update ends in a newline" >&2; return 1; }
    # steps increase and end at the last one: 8,000 x 0.9 / 32 = 225
    awk '{ split($4, s, "/"); if (s[2] != 225 || s[1] + 0 <= last + 0) bad = 1; last = s[1] }
         END { exit bad || last != 225 }' "$work/lines" ||
        { echo "  steps do not rise to 225/225:" >&2; cat "$work/lines" >&2; return 1; }
    grep -q 'img/s' "$work/lines" && grep -qE 'ETA [0-9]' "$work/lines" || return 1
    # the epoch line replaces the last update (after a clear), and nothing
    # of a progress line is left after it
    tr '\r' '\n' < "$work/out" | sed 's/\x1b\[K//g' | grep -v '^$' > "$work/seq"
    local last_progress epoch_line
    last_progress=$(grep -nE "$PROGRESS" "$work/seq" | tail -n 1 | cut -d: -f1)
    epoch_line=$(grep -nE '^live epoch 1/1 loss [0-9.]+ accuracy' "$work/seq" | cut -d: -f1)
    [ -n "$epoch_line" ] && [ "$epoch_line" -eq $((last_progress + 1)) ] ||
        { echo "  the epoch line ($epoch_line) does not follow the last update ($last_progress)" >&2; return 1; }
    grep -aqE $'\r\x1b\\[Klive epoch 1/1 loss ' "$work/out" ||
        { echo "  the epoch line is not written over a cleared line" >&2; return 1; }
}

test_log_gets_plain_progress_lines_every_progress_seconds() {
    cfg plain 12000 'progress_seconds = 1'
    run timeout 60 "$SWEEP" "$work/plain.cfg"
    [ "$status" -eq 0 ] || { echo "  status $status: $(head -3 "$work/err")" >&2; return 1; }
    local n; n=$(grep -cE "$PROGRESS" "$work/out")
    [ "$n" -ge 1 ] || { echo "  no progress line:" >&2; head -5 "$work/out" >&2; return 1; }
    # an epoch of s seconds has at most s lines of one a second
    local seconds; seconds=$(awk '/^plain epoch 1\/1 loss/ { print int($NF) + 1 }' "$work/out")
    [ -n "$seconds" ] && [ "$n" -le "$seconds" ] || { echo "  $n lines in ${seconds}s" >&2; return 1; }
    ! grep -q $'\r' "$work/out" || { echo "  a carriage return in the log" >&2; return 1; }
    ! grep -q $'\x1b' "$work/out" || { echo "  an escape sequence in the log" >&2; return 1; }
    [ "$(tail -c 1 "$work/out" | od -An -c | tr -d ' ')" = '\n' ] || { echo "  the log does not end in a newline" >&2; return 1; }
    # the progress lines come before the epoch line, and steps rise
    awk -v re="$PROGRESS" '$0 ~ re { split($4, s, "/"); if (done || s[1] + 0 <= last + 0) bad = 1; last = s[1] }
         /^plain epoch 1\/1 loss/ { done = 1 } END { exit bad || !done }' "$work/out" ||
        { echo "  progress lines out of order:" >&2; cat "$work/out" >&2; return 1; }
}

test_log_of_short_epochs_has_no_progress_lines_by_default() {
    printf '[sweep]\nname = short\n[data]\ntrain_limit = 600\ntest_limit = 100\n[train]\nepochs = 2\n[model]\nconv = 4\ndense = 8\n' > "$work/short.cfg"
    run timeout 60 "$SWEEP" "$work/short.cfg"
    [ "$status" -eq 0 ] || { echo "  status $status: $(head -3 "$work/err")" >&2; return 1; }
    [ "$(grep -c '^short epoch [12]/2 loss' "$work/out")" -eq 2 ] || { echo "  no epoch lines:" >&2; head "$work/out" >&2; return 1; }
    ! grep -q 'img/s' "$work/out" || { echo "  a progress line:" >&2; grep 'img/s' "$work/out" >&2; return 1; }
    ! grep -q $'\r' "$work/out" || return 1
}

# progress_seconds = 0: no progress line flushes stdout on the start line's behalf.
test_start_line_is_in_the_log_while_the_first_epoch_trains() {
    cfg flushed 12000 'progress_seconds = 0'
    timeout 60 "$SWEEP" "$work/flushed.cfg" > "$work/out" 2> "$work/err" &
    local pid=$!
    wait_for "$work/out" '^start flushed$' 30 "$pid"
    local seen=$?
    local early; early=$(cat "$work/out")
    wait "$pid"; status=$?
    [ "$seen" -eq 0 ] || { echo "  no start line while it ran (status $status)" >&2; return 1; }
    ! grep -q '^flushed epoch 1/1 loss' <<< "$early" ||
        { echo "  the start line came with the epoch line:" >&2; echo "$early" >&2; return 1; }
    [ "$status" -eq 0 ] && grep -q '^flushed epoch 1/1 loss' "$work/out" ||
        { echo "  status $status, or no epoch line at the end" >&2; return 1; }
}

test_bad_progress_seconds_is_one_line_with_file_and_line() {
    local value
    for value in -1 abc; do
        printf '[sweep]\nprogress_seconds = %s\n' "$value" > "$work/bad.cfg"
        run timeout 10 "$SWEEP" "$work/bad.cfg"
        one_error_line 2 "^sweep: $work/bad.cfg:2: progress_seconds: '$value' is not a number of seconds" || return 1
    done
    # like publish_interval, it is about the run, not a trial
    printf '[experiment e]\nprogress_seconds = 5\n' > "$work/bad.cfg"
    run timeout 10 "$SWEEP" "$work/bad.cfg"
    one_error_line 2 "^sweep: $work/bad.cfg:2: 'progress_seconds' can only be set in \[sweep\]"
}

test_quiet_terminal_shows_no_progress() {
    cfg quiet 8000
    on_pty "$SWEEP" --quiet "$work/quiet.cfg"
    [ "$status" -eq 0 ] || { echo "  status $status: $(head -3 "$work/err")" >&2; return 1; }
    grep -q '^quiet done: test_accuracy' <(tr -d '\r' < "$work/out") || { echo "  no done line:" >&2; head "$work/out" >&2; return 1; }
    ! grep -q 'img/s' "$work/out" || { echo "  a progress update under --quiet" >&2; return 1; }
    ! grep -q $'\x1b' "$work/out" || return 1
}

test_mpi_group_progress_arrives_as_whole_lines() {
    command -v mpirun > /dev/null || return 77
    cfg group 12000 'progress_seconds = 1'
    run env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
        timeout 120 mpirun --oversubscribe -np 3 "$SWEEP" --ranks-per-trial 2 "$work/group.cfg"
    [ "$status" -eq 0 ] || { echo "  status $status: $(head -3 "$work/err")" >&2; return 1; }
    [ "$(grep -cE "$PROGRESS" "$work/out")" -ge 1 ] || { echo "  no progress line:" >&2; head "$work/out" >&2; return 1; }
    ! grep -qE $'\r|\x1b' "$work/out" || { echo "  a carriage return or escape under mpirun" >&2; return 1; }
    # every line that mentions img/s is a whole progress line
    ! grep 'img/s' "$work/out" | grep -vqE "$PROGRESS" || { echo "  a broken progress line" >&2; return 1; }
}

run_tests test_progress
