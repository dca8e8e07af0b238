#!/usr/bin/env bash
# test_cli: the sweep command as a user meets it -- the dry run, the
# results table, exit codes and one-line messages for bad input, and
# bit-identical results across two runs. Run from the repository top.
set -u
SELF=$(realpath "$0")
REPO=$(pwd)
SWEEP=$(realpath "${SWEEP:-build/sweep}")
work=$(mktemp -d /tmp/sweep-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Runs happen in $work, so their checkpoints (jobs/NAME/) land there.
cd "$work" || exit 1
source "$(dirname "$SELF")/../shell_testing.sh"

test_dry_run_lists_the_report_experiments() {
    run "$SWEEP" --dry-run "$REPO/sweep/report.cfg"
    [ "$status" -eq 0 ] || return 1
    local names; names=$(awk 'NR > 1 { print $1 }' "$work/out" | head -n -1 | tr '\n' ' ')
    [ "$names" = "s1e1 s1e2 s1e3 s1e4 s1e5 s1e6 s1e7 s1e8 s1e9 s1e10 s2e1 s2e2 s2e3 s2e4 s2e5 s3e1 s3e2 s3e3 s3e4 " ] ||
        { echo "  names: $names" >&2; return 1; }
    # the last line says where the results go; --output changes it
    [ "$(tail -n 1 "$work/out")" = "results file: results/report.h5" ] || { tail -n 1 "$work/out" >&2; return 1; }
    run "$SWEEP" --dry-run --output "$work/elsewhere.h5" "$REPO/sweep/report.cfg"
    [ "$status" -eq 0 ] && [ "$(tail -n 1 "$work/out")" = "results file: $work/elsewhere.h5" ] ||
        { tail -n 1 "$work/out" >&2; return 1; }
}

# --set SECTION.KEY=VALUE overrides the key for every trial, an
# experiment's own value included, exactly as if the file said so: the
# trials' names and hashes equal those of a file that has the value
# written in; a bad key or value is refused as the file's line would be.
test_set_overrides_a_key_for_every_trial_as_the_file_would() {
    printf '[train]\nepochs = 2\n[model]\nconv = 8\ndense = 8\ndropout = 0 | 0.2\n[experiment a]\n[experiment b]\nepochs = 4\n' > "$work/set.cfg"
    printf '[train]\nepochs = 1\n[data]\ntrain_limit = 600\n[model]\nconv = 8\ndense = 8\ndropout = 0 | 0.2\n[experiment a]\n[experiment b]\n' > "$work/written.cfg"
    run "$SWEEP" --dry-run --set train.epochs=1 --set data.train_limit=600 "$work/set.cfg"
    [ "$status" -eq 0 ] || { cat "$work/err" >&2; return 1; }
    awk 'NR > 1 && length($2) == 16 { print $1, $2 }' "$work/out" > "$work/set.hashes"
    run "$SWEEP" --dry-run "$work/written.cfg"
    [ "$status" -eq 0 ] || { cat "$work/err" >&2; return 1; }
    awk 'NR > 1 && length($2) == 16 { print $1, $2 }' "$work/out" > "$work/written.hashes"
    [ "$(wc -l < "$work/set.hashes")" -eq 4 ] || { cat "$work/set.hashes" >&2; return 1; }
    diff "$work/written.hashes" "$work/set.hashes" >&2 || return 1
    # an alternative list in --set is a grid axis, as in the file
    run "$SWEEP" --dry-run --set model.l2=0\|0.01 "$work/set.cfg"
    [ "$status" -eq 0 ] && [ "$(grep -c '_l2-0.01 ' "$work/out")" -eq 4 ] || { cat "$work/out" "$work/err" >&2; return 1; }
    # errors: the same words as the file's, with the option for the place
    printf '[train]\nepoch = 1\n' > "$work/typo.cfg"
    run "$SWEEP" --dry-run "$work/typo.cfg"
    local in_file; in_file=$(sed 's/^[^ ]* [^ ]* //' "$work/err")
    run "$SWEEP" --dry-run --set train.epoch=1 "$work/set.cfg"
    one_error_line 2 "^sweep: --set train.epoch=1: unknown key 'epoch' in \[train\]; did you mean 'epochs'\?$" || return 1
    [ "$(sed 's/^[^ ]* [^ ]* [^ ]* //' "$work/err")" = "$in_file" ] || { echo "  file: $in_file" >&2; return 1; }
    local bad
    for bad in epochs=1 nosuch.epochs=1 model.epochs=1 train.batch_size=0 train.epochs; do
        run "$SWEEP" --dry-run --set "$bad" "$work/set.cfg"
        one_error_line 2 "^sweep: --set $bad: " || return 1
    done
}

# The trials of the shipped files keep the names and settings hashes they
# had before the settings table (tests/fixtures/hashes/, written by the
# earlier code's --dry-run), so their results files resume and merge.
test_shipped_trials_keep_their_names_and_hashes() {
    local cfg
    for cfg in report quick; do
        run "$SWEEP" --dry-run "$REPO/sweep/$cfg.cfg"
        [ "$status" -eq 0 ] || { cat "$work/err" >&2; return 1; }
        awk 'NR > 1 && length($2) == 16 && $2 ~ /^[0-9a-f]+$/ { print $1, $2 }' "$work/out" > "$work/$cfg.hashes"
        [ -s "$work/$cfg.hashes" ] || { echo "  no trials listed for $cfg" >&2; return 1; }
        # every trial the fixture names is still there, as it was (trials
        # added since, such as Section 3's, may follow)
        local lost; lost=$(grep -Fxv -f "$work/$cfg.hashes" "$REPO/tests/fixtures/hashes/$cfg.txt")
        [ -z "$lost" ] && [ -s "$REPO/tests/fixtures/hashes/$cfg.txt" ] ||
            { printf '  %s.cfg: names or hashes changed:\n%s\n' "$cfg" "$lost" >&2; return 1; }
    done
}

test_config_error_is_one_line_with_file_and_line() {
    printf '[model]\ndropout = 1.5\n' > "$work/bad.cfg"
    run "$SWEEP" "$work/bad.cfg"
    one_error_line 2 "^sweep: $work/bad.cfg:2: .*dropout"
}

test_missing_config_file_is_reported() {
    run "$SWEEP" "$work/none.cfg"
    one_error_line 2 "$work/none.cfg.*No such file"
}

test_missing_data_directory_is_reported() {
    printf '[data]\ndir = %s/nodata\n' "$work" > "$work/nodata.cfg"
    run "$SWEEP" "$work/nodata.cfg"
    one_error_line 3 "$work/nodata"
}

test_corrupt_data_file_is_reported() {
    mkdir -p "$work/corrupt"
    cp /usr/share/datasets/fashion-mnist/*.gz "$work/corrupt/"
    head -c 5000 /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz > "$work/corrupt/t10k-images-idx3-ubyte.gz"
    printf '[data]\ndir = %s/corrupt\ntrain_limit = 100\n' "$work" > "$work/corrupt.cfg"
    run "$SWEEP" "$work/corrupt.cfg"
    one_error_line 3 "t10k-images-idx3-ubyte.gz: "
}

test_data_faults_stop_the_run_before_any_training() {
    printf '[data]\ntrain_limit = 200\ntest_limit = 50\n[train]\nepochs = 1\n[model]\nconv = 4\ndense = 8\n[experiment good]\n[experiment bad]\ndir = %s/nodata\n' "$work" > "$work/late.cfg"
    run "$SWEEP" "$work/late.cfg"
    one_error_line 3 "$work/nodata" && ! grep -q ' epoch ' "$work/out"
}

test_huge_batch_size_is_a_config_error() {
    printf '[train]\nbatch_size = 3000000\n' > "$work/huge.cfg"
    run "$SWEEP" "$work/huge.cfg"
    one_error_line 2 "huge.cfg:2: .*batch_size"
}

test_config_that_is_not_a_regular_file_is_refused() {
    mkfifo "$work/fifo.cfg"
    run timeout 10 "$SWEEP" --dry-run "$work/fifo.cfg"
    one_error_line 2 "fifo.cfg: not a regular file"
}

test_unwritable_output_exits_nonzero() {
    "$SWEEP" --dry-run "$REPO/sweep/quick.cfg" > /dev/full 2> "$work/err"
    status=$?
    one_error_line 1 "writing standard output"
}

test_unknown_option_exits_with_usage() {
    run "$SWEEP" --frobnicate "$REPO/sweep/quick.cfg"
    [ "$status" -eq 2 ] && grep -q '^usage: sweep' "$work/err"
}

TINY='[sweep]
name = tiny
[data]
train_limit = 600
test_limit = 300
[train]
epochs = 2
[model]
conv = 4
dense = 8
dropout = 0 | 0.3'

test_training_prints_a_results_table() {
    echo "$TINY" > "$work/tiny.cfg"
    run "$SWEEP" "$work/tiny.cfg"
    [ "$status" -eq 0 ] || { cat "$work/err" >&2; return 1; }
    cp "$work/out" "$work/first"
    local header; header=$(grep -n '^name ' "$work/out")
    for col in name test_accuracy test_loss precision recall f1 rmse epochs seconds; do
        echo "$header" | grep -qw "$col" || { echo "  no column $col" >&2; return 1; }
    done
    local rows; rows=$(sed -n '/^name /,$p' "$work/out" | tail -n +2)
    [ "$(echo "$rows" | wc -l)" -eq 2 ] || { echo "  rows: $rows" >&2; return 1; }
    # metrics are fractions, not percentages
    echo "$rows" | awk '{ split("2 4 5 6", cols, " "); for (k in cols) if ($cols[k] < 0 || $cols[k] > 1) bad = 1 } END { exit bad }' &&
        echo "$rows" | grep -q '^tiny_dropout-0 ' && echo "$rows" | grep -q '^tiny_dropout-0.3 '
}

# The first tiny run, which the next tests compare with or resume from:
# the test above makes it; run alone, a test makes it itself.
have_first_run() {
    [ -s "$work/first" ] && [ -f "$work/results/tiny.h5" ] && return 0
    echo "$TINY" > "$work/tiny.cfg"
    "$SWEEP" "$work/tiny.cfg" > "$work/first" 2> "$work/err" || { cat "$work/err" >&2; return 1; }
}

test_two_runs_give_identical_results() {
    have_first_run || return 1
    run "$SWEEP" --fresh "$work/tiny.cfg"   # a fresh run, not a resumed one
    # the weights' fingerprints (bit-identical models), then every printed
    # figure but the seconds columns
    [ "$(grep -c fingerprint "$work/out")" -eq 2 ] || return 1
    diff <(grep fingerprint "$work/first") <(grep fingerprint "$work/out") || return 1
    diff <(grep -Ev '^(progress|moved) ' "$work/first" | sed -E 's/ [0-9.]+s$//; /^name /,$ s/ +[0-9.]+  ([a-z,-]+)$/ \1/') \
         <(grep -Ev '^(progress|moved) ' "$work/out" | sed -E 's/ [0-9.]+s$//; /^name /,$ s/ +[0-9.]+  ([a-z,-]+)$/ \1/')
}

test_verbose_says_what_was_trained_and_resumed() {
    # With the results file gone, the final checkpoints still hold the
    # trials: they are re-tested, not retrained.
    have_first_run || return 1
    mv "$work/results/tiny.h5" "$work/tiny-saved.h5"
    run "$SWEEP" --verbose "$work/tiny.cfg"
    [ "$status" -eq 0 ] && grep -q '^tiny_dropout-0: 6410 parameters, 540 train / 60 validation / 300 test images, resumed from a checkpoint$' "$work/out"
}

test_verbose_and_results_name_the_blas_core() {
    # --version names the running core; --verbose says why; every trial
    # records its leader's core in /summary
    local core; core=$("$SWEEP" --version | sed -n 's/^BLAS core: //p')
    [ -n "$core" ] || { echo "  no 'BLAS core:' line" >&2; return 1; }
    echo "$TINY" | sed 's/^name = tiny/name = cores/' > "$work/cores.cfg"
    run "$SWEEP" --verbose "$work/cores.cfg"
    [ "$status" -eq 0 ] || { cat "$work/err" >&2; return 1; }
    grep -q "^rank 0 on [^ ]*: BLAS core $core: " "$work/out" || { grep BLAS "$work/out" >&2; return 1; }
    local cores; cores=$(summary_field "$work/results/cores.h5" blas_core) || return 1
    [ "$(echo "$cores" | awk -v c="$core" '$2 == c' | wc -l)" -eq 2 ] || { echo "  $cores" >&2; return 1; }
}

test_users_openblas_coretype_is_kept() {
    local core; core=$(OPENBLAS_CORETYPE=Prescott "$SWEEP" --version | sed -n 's/^BLAS core: //p')
    [ "$core" = Prescott ] || { echo "  core '$core'" >&2; return 1; }
}

# A reader that has gone (`| true`, `| head`): the report says so in one
# line and exits 1 (the exit-status table), not killed by SIGPIPE (141);
# a sweep whose output has gone still trains and publishes everything.
# The reader is gone before sweep starts, so every write meets EPIPE.
test_closed_standard_output_is_exit_1_with_a_message() {
    have_first_run || return 1
    { sleep 0.3; "$SWEEP" report "$work/results/tiny.h5"; echo $? > "$work/report.status"; } 2> "$work/err" | true
    sleep 0.5
    [ "$(cat "$work/report.status")" = 1 ] && [ "$(wc -l < "$work/err")" -eq 1 ] &&
        grep -qx 'sweep: writing standard output: Broken pipe' "$work/err" ||
        { echo "  report: status $(cat "$work/report.status"), stderr: $(cat "$work/err")" >&2; return 1; }
    echo "$TINY" > "$work/pipe.cfg" && sed -i 's/^name = tiny$/name = pipe/' "$work/pipe.cfg"
    { sleep 0.3; "$SWEEP" --fresh "$work/pipe.cfg"; echo $? > "$work/run.status"; } 2> "$work/err" | true
    sleep 0.5
    [ "$(cat "$work/run.status")" = 1 ] && grep -qx 'sweep: writing standard output: Broken pipe' "$work/err" ||
        { echo "  run: status $(cat "$work/run.status"), stderr: $(cat "$work/err")" >&2; return 1; }
    run "$SWEEP" report "$work/results/pipe.h5"
    grep -q 'results/pipe.h5: 2 trials: 2 done,' "$work/out" ||
        { echo "  the sweep did not publish both trials: $(head -n 1 "$work/out")" >&2; return 1; }
}

# Directory fsync refused after a successful rename (build/fsync_fails.so
# makes fsync of a directory fail): EINVAL, as filesystems without
# directory fsync answer, is no fault at all; EIO is one warning. Either
# way the sweep publishes and exits 0.
test_directory_fsync_failure_after_rename_does_not_stop_the_sweep() {
    local shim=$REPO/build/fsync_fails.so code
    [ -f "$shim" ] || { echo "  no $shim (make test builds it)" >&2; return 1; }
    echo "$TINY" > "$work/dirsync.cfg" && sed -i 's/^name = tiny$/name = dirsync/' "$work/dirsync.cfg"
    for code in EINVAL EIO; do
        rm -rf "$work/results/dirsync"*
        run env LD_PRELOAD="$shim" FSYNC_FAILS_ERRNO=$code "$SWEEP" --quiet --fresh "$work/dirsync.cfg"
        [ "$status" -eq 0 ] || { echo "  $code: status $status: $(cat "$work/err")" >&2; return 1; }
        if [ "$code" = EINVAL ]; then
            [ ! -s "$work/err" ] || { echo "  EINVAL: stderr: $(cat "$work/err")" >&2; return 1; }
        else
            [ "$(wc -l < "$work/err")" -eq 1 ] &&
                grep -qE '^sweep: warning: .*: cannot fsync the directory after renaming .* into place: Input/output error' "$work/err" ||
                { echo "  EIO: stderr: $(cat "$work/err")" >&2; return 1; }
        fi
        run "$SWEEP" report "$work/results/dirsync.h5"
        grep -q 'results/dirsync.h5: 2 trials: 2 done,' "$work/out" || { echo "  $code: $(head -n 1 "$work/out")" >&2; return 1; }
    done
}

test_install_puts_sweep_on_path() {
    make -s -C "$REPO" install PREFIX="$work/prefix" > /dev/null && PATH="$work/prefix/bin:$PATH" sweep --version | grep -q '^sweep '
}

run_tests test_cli
