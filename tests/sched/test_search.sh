#!/usr/bin/env bash
# test_search: successive halving with real training. A sha sweep of 9
# sampled configurations of a tiny model (reduction 3, min_epochs 1,
# epochs 9: rungs of 1, 3 and 9 epochs) ends with one trial done and
# eight pruned at the rungs the planner gives, trains 9x1 + 3x2 + 1x6 =
# 21 epochs, and gives the same statuses, rungs and results (weights,
# histories, predictions) alone and under mpirun -np 3; killed mid-sweep
# (SIGKILL alone, SIGUSR1 to mpirun) and rerun, it ends with the
# uninterrupted run's results. asha keeps every rung within
# 1/reduction. /sweep records the search; --shard and merge refuse sha in
# one line; a file from before the rung column and the pruned status
# still reads.
set -u
source "$(dirname "$0")/../shell_testing.sh"
begin_sweep_tests search

# sha.cfg: the 9 configurations; DATA more images make epochs long
# enough to kill the sweep between them.
write_cfg() { # FILE METHOD TRAIN_LIMIT
    cat > "$1" <<CFG
[sweep]
name = sha
publish_interval = 0
[search]
method = $2
samples = 9
reduction = 3
min_epochs = 1
[data]
train_limit = $3
test_limit = 100
[train]
epochs = 9
patience = 20
[model]
conv = 4
dense = 8
dropout = uniform(0, 0.5)
l2 = loguniform(0.0001, 0.1)
CFG
}
write_cfg "$work/sha.cfg" sha 300
write_cfg "$work/asha.cfg" asha 300
write_cfg "$work/slow.cfg" sha 1500
write_cfg "$work/slow-asha.cfg" asha 1500

# sweep_in DIR LAUNCHER... CFG: a run in a directory of its own (no shared jobs/).
sweep_in() {
    local dir=$1; shift
    mkdir -p "$work/$dir" && (cd "$work/$dir" && timeout 300 "$@" > out 2> err)
}

# summary_field's values in name order, one line.
column() { summary_field "$1" "$2" | sort | awk '{ printf "%s ", $2 }'; }

have_alone() {
    [ -s "$work/alone/results/sha.h5" ] || sweep_in alone "$SWEEP" "$work/sha.cfg" ||
        { echo "  alone: exit $?: $(tail -3 "$work/alone/err")" >&2; return 1; }
}

test_sha_prunes_at_the_planned_rungs_and_trains_21_epochs() {
    have_alone || return 1
    local f="$work/alone/results/sha.h5" statuses rungs
    statuses=$(summary_field "$f" status | awk '{ print $2 }' | sort | uniq -c | awk '{ printf "%s %s ", $1, $2 }')
    [ "$statuses" = "1 done 8 pruned " ] || { echo "  statuses: $statuses" >&2; return 1; }
    rungs=$(summary_field "$f" rung | awk '{ print $2 }' | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
    [ "$rungs" = "0:6 1:2 2:1 " ] || { echo "  rungs (rung:trials): $rungs" >&2; return 1; }
    # the done trial is the one at rung 2, with all 9 epochs; the pruned
    # stopped at their rung's budget
    paste <(summary_field "$f" status) <(summary_field "$f" rung) <(summary_field "$f" epochs_run) |
        awk '{ want = $4 == 0 ? 1 : $4 == 1 ? 3 : 9
               if ($6 != want || ($2 == "done") != ($4 == 2)) { print "  " $0; bad = 1 } }
             END { exit bad }' >&2 || return 1
    local epochs; epochs=$(grep -cE '^sha_sample-[0-9]+ epoch [0-9]+/9 loss' "$work/alone/out")
    [ "$epochs" -eq 21 ] || { echo "  $epochs epochs trained, the planner's 21 expected" >&2; return 1; }
    [ "$(grep -c ' stopped at rung ' "$work/alone/out")" -eq 12 ] ||
        { echo "  $(grep -c ' stopped at rung ' "$work/alone/out") 'stopped at rung' lines, 12 expected" >&2; return 1; }
    grep -qE '^sha_sample-[0-9]+ stopped at rung 1 \(epoch 3\), val_accuracy 0\.[0-9]{4}$' "$work/alone/out" ||
        { grep 'stopped at' "$work/alone/out" | head -3 >&2; return 1; }
    # pruned trials are not tested
    paste <(summary_field "$f" status) <(summary_field "$f" test_accuracy) |
        awk '$2 == "pruned" && $4 != "nan" { print "  tested: " $0; bad = 1 } END { exit bad }' >&2 || return 1
    # the final table shows them
    [ "$(sed -n '/^name /,$p' "$work/alone/out" | grep -c ' pruned$')" -eq 8 ] ||
        { sed -n '/^name /,$p' "$work/alone/out" >&2; return 1; }
}

test_sha_under_mpirun_decides_as_alone() {
    have_alone || return 1
    sweep_in np3 mpirun --oversubscribe -np 3 "$SWEEP" "$work/sha.cfg" ||
        { echo "  np 3: exit $?: $(tail -3 "$work/np3/err")" >&2; return 1; }
    same_results "$work/alone/results/sha.h5" "$work/np3/results/sha.h5" || return 1
    [ "$(column "$work/alone/results/sha.h5" rung)" = "$(column "$work/np3/results/sha.h5" rung)" ] ||
        { echo "  rungs differ" >&2; return 1; }
    [ "$(grep -cE ' epoch [0-9]+/9 loss' "$work/np3/out")" -eq 21 ] ||
        { echo "  np 3 trained $(grep -cE ' epoch [0-9]+/9 loss' "$work/np3/out") epochs" >&2; return 1; }
}

test_sweep_records_the_search() {
    have_alone || return 1
    local f="$work/alone/results/sha.h5" a
    for a in 'search_method "sha"' 'metric "val_accuracy"' 'samples 9' 'reduction 3' 'min_epochs 1' 'repeats 1'; do
        h5dump -a "/sweep/${a% *}" "$f" | grep -q "(0): ${a#* }\$" ||
            { echo "  /sweep/${a% *} is not ${a#* }: $(h5dump -a "/sweep/${a% *}" "$f" | grep '(0)')" >&2; return 1; }
    done
}

# slow.cfg, started in the background in DIR with LAUNCHER..., killed
# with SIGNAL once a rung-1 trial has started, then run again to the end.
kill_then_rerun() { # DIR SIGNAL LAUNCHER...
    local dir=$1 sig=$2 cfg=$work/slow.cfg; shift 2
    mkdir -p "$work/$dir" && cd "$work/$dir" || return 1
    timeout 300 sh -c 'echo $$ > job.pid; exec "$@"' sh "$@" "$SWEEP" "$cfg" > first.out 2>&1 &
    local bg=$! i pid
    jobs_started+=("$bg")
    for ((i = 0; i < 100; i++)); do [ -s job.pid ] && break; sleep 0.02; done
    pid=$(cat job.pid)
    wait_for first.out 'at rung 1 \(to epoch 3\)' 120 "$pid" || { echo "  no rung-1 start: $(tail -3 first.out)" >&2; cd "$work"; return 1; }
    kill -"$sig" "$pid"
    wait "$bg" 2> /dev/null
    local rc=$?
    # stopped, not finished: a SIGKILL leaves no table, a stop signal exits 75
    if [ "$sig" = KILL ]; then ! grep -q '^name ' first.out; else [ "$rc" -eq 75 ]; fi ||
        { echo "  exit $rc: the sweep ended before the $sig" >&2; cd "$work"; return 1; }
    timeout 300 "$@" "$SWEEP" "$cfg" > second.out 2>&1 || { echo "  rerun: exit $?: $(tail -3 second.out)" >&2; cd "$work"; return 1; }
    cd "$work"
    local again; again=$(grep -cE ' epoch [0-9]+/9 loss' "$work/$dir/second.out")
    [ "$again" -lt 21 ] || { echo "  the rerun trained all $again epochs again" >&2; return 1; }
}

have_slow_reference() {
    [ -s "$work/slow/results/sha.h5" ] || sweep_in slow "$SWEEP" "$work/slow.cfg" ||
        { echo "  reference: exit $?: $(tail -3 "$work/slow/err")" >&2; return 1; }
}

test_sha_killed_mid_sweep_resumes_to_the_same_results() {
    have_slow_reference || return 1
    kill_then_rerun killed KILL || return 1
    same_results "$work/slow/results/sha.h5" "$work/killed/results/sha.h5" &&
        [ "$(column "$work/slow/results/sha.h5" rung)" = "$(column "$work/killed/results/sha.h5" rung)" ]
}

test_sha_stopped_under_mpirun_resumes_to_the_same_results() {
    have_slow_reference || return 1
    kill_then_rerun usr1 USR1 mpirun --oversubscribe -np 3 || return 1
    grep -q 'interrupted by signal' "$work/usr1/first.out" || { tail -3 "$work/usr1/first.out" >&2; return 1; }
    same_results "$work/slow/results/sha.h5" "$work/usr1/results/sha.h5" &&
        [ "$(column "$work/slow/results/sha.h5" rung)" = "$(column "$work/usr1/results/sha.h5" rung)" ]
}

# asha: no rung sends on more than floor(finished / 3) of its trials
# (here every trial finishes rung 0, so at most 3 reach rung 1 and 1 rung 2).
asha_within_bounds() { # RESULTS
    local rungs; rungs=$(summary_field "$1" rung | awk '{ n[$2]++ } END { printf "%d %d %d", n[0], n[1], n[2] }')
    read -r r0 r1 r2 <<< "$rungs"
    [ $((r0 + r1 + r2)) -eq 9 ] && [ $((r1 + r2)) -le 3 ] && [ "$r2" -le 1 ] && [ $((r1 + r2)) -ge 1 ] ||
        { echo "  $1: rungs 0/1/2 hold $rungs trials" >&2; return 1; }
}

test_asha_keeps_every_rung_within_one_third() {
    sweep_in asha-alone "$SWEEP" "$work/asha.cfg" || { echo "  alone: $(tail -3 "$work/asha-alone/err")" >&2; return 1; }
    asha_within_bounds "$work/asha-alone/results/sha.h5" || return 1
    sweep_in asha-np4 mpirun --oversubscribe -np 4 "$SWEEP" "$work/asha.cfg" ||
        { echo "  np 4: $(tail -3 "$work/asha-np4/err")" >&2; return 1; }
    asha_within_bounds "$work/asha-np4/results/sha.h5"
}

# A killed asha sweep's rerun keeps every promotion already recorded (a
# trial's rung never goes down) and still keeps each rung within a third.
# The kill waits until the results file holds a promotion.
test_asha_killed_then_rerun_keeps_its_promotions() {
    mkdir -p "$work/asha-killed" && cd "$work/asha-killed" || return 1
    timeout 300 sh -c 'echo $$ > job.pid; exec "$@"' sh "$SWEEP" "$work/slow-asha.cfg" > first.out 2>&1 &
    local bg=$! i pid promoted=0
    jobs_started+=("$bg")
    for ((i = 0; i < 100; i++)); do [ -s job.pid ] && break; sleep 0.02; done
    pid=$(cat job.pid)
    for ((i = 0; i < 3000 && promoted == 0; i++)); do
        kill -0 "$pid" 2> /dev/null || break
        cp results/sha.h5 killed.h5 2> /dev/null &&
            summary_field killed.h5 rung 2> /dev/null | awk '$2 > 0 { found = 1 } END { exit !found }' && promoted=1
        [ "$promoted" -eq 1 ] || sleep 0.05
    done
    kill -KILL "$pid" 2> /dev/null
    wait "$bg" 2> /dev/null
    [ "$promoted" -eq 1 ] && ! grep -q '^name ' first.out ||
        { cd "$work"; echo "  no promotion seen before the sweep ended: $(tail -2 "$work/asha-killed/first.out")" >&2; return 1; }
    timeout 300 "$SWEEP" "$work/slow-asha.cfg" > second.out 2>&1 || { cd "$work"; echo "  rerun: exit $?" >&2; return 1; }
    cd "$work"
    summary_field "$work/asha-killed/killed.h5" rung | sort > "$work/asha.before"
    summary_field "$work/asha-killed/results/sha.h5" rung | sort > "$work/asha.after"
    [ -s "$work/asha.before" ] && [ -s "$work/asha.after" ] || { echo "  no rungs read" >&2; return 1; }
    join "$work/asha.before" "$work/asha.after" | awk '$3 < $2 { print; bad = 1 } END { exit bad }' >&2 ||
        { echo "  a recorded promotion was undone (name, before, after above)" >&2; return 1; }
    asha_within_bounds "$work/asha-killed/results/sha.h5"
}

test_shard_and_merge_refuse_sha_in_one_line() {
    have_alone || return 1
    run "$SWEEP" --shard 0/2 "$work/sha.cfg"
    one_error_line 2 '^sweep: --shard: a sha search cannot be split: its rungs are decided over every configuration' || return 1
    run "$SWEEP" merge "$work/merged.h5" "$work/alone/results/sha.h5"
    one_error_line 2 "^sweep: $work/alone/results/sha.h5: a sha search cannot be merged: its rungs" || return 1
    [ ! -e "$work/merged.h5" ] || { echo "  merged.h5 was written" >&2; return 1; }
}

# A results file as a sweep from before the search wrote it: /summary
# without `rung`, its status enum without `pruned`, /sweep without the
# search attributes (rewritten by h5py, as another HDF5 program would).
test_a_file_without_rung_or_pruned_still_reads() {
    mkdir -p "$work/old" && cd "$work/old" || return 1
    sed 's/^method = sha/method = random/; /^reduction/d; /^min_epochs/d' "$work/sha.cfg" > random.cfg
    "$SWEEP" --quiet random.cfg > first.out 2>&1 || { cd "$work"; tail -3 "$work/old/first.out" >&2; return 1; }
    "$DIGEST" results/sha.h5 > before
    /usr/bin/python3 - results/sha.h5 <<'PY' || { cd "$work"; echo "  h5py could not rewrite the file" >&2; return 1; }
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    rows = f["summary"][...]
    names = ["pending", "running", "done", "failed", "interrupted"]
    status = h5py.enum_dtype({n: v for v, n in enumerate(names)}, basetype="i1")
    fields = [(n, status if n == "status" else rows.dtype[n]) for n in rows.dtype.names if n != "rung"]
    old = np.zeros(rows.shape, dtype=fields)
    for n, _ in fields:
        old[n] = rows[n]
    del f["summary"]
    f.create_dataset("summary", data=old)
    for a in ["search_method", "metric", "samples", "repeats", "reduction", "min_epochs"]:
        del f["sweep"].attrs[a]
PY
    cd "$work"
    h5dump -H -d /summary "$work/old/results/sha.h5" | grep -q '"rung"' && { echo "  rung is still there" >&2; return 1; }
    "$DIGEST" "$work/old/results/sha.h5" > "$work/old/after" || { cat "$work/old/after" >&2; return 1; }
    diff "$work/old/before" "$work/old/after" >&2 || return 1
    (cd "$work/old" && "$SWEEP" random.cfg > again.out 2>&1) || { tail -3 "$work/old/again.out" >&2; return 1; }
    grep -q '9 of 9 trials already done' "$work/old/again.out" && ! grep -q '^start ' "$work/old/again.out" ||
        { head -3 "$work/old/again.out" >&2; return 1; }
    [ "$(column "$work/old/results/sha.h5" rung)" = "0 0 0 0 0 0 0 0 0 " ] || return 1
    h5dump -a /sweep/search_method "$work/old/results/sha.h5" | grep -q '"random"'
}

run_tests test_search
