#!/usr/bin/env bash
# test_bases: pretrained bases as a user meets them, with a reduced VGG16
# written in Keras's layout (tests/fixtures/bases/vgg16.h5, made by
# tests/make_base_fixtures.py): a frozen base's features are computed once
# and read by the next trial and by reruns, and computed again when the
# weights file changes; the results file records the weights file; a base
# sweep under mpirun gives one process's models, and a group of two
# computes the same features; a missing, foreign or mis-shaped weights file
# stops the sweep before training in one line, and what was recorded stays.
# Each test runs alone (TEST_ONLY=WORD). Run from the repository top.
set -u
source "$(dirname "$(realpath "$0")")/../shell_testing.sh"
begin_sweep_tests bases

FIXTURE=$REPO/tests/fixtures/bases/vgg16.h5
# the fixture's width: its first conv's filters over Keras's 64
first_filters=$(h5dump -d /block1_conv1/block1_conv1/kernel:0 -H "$FIXTURE" 2>/dev/null |
                sed -n 's/.*SIMPLE { ( 3, 3, 3, \([0-9]*\) ).*/\1/p' | head -1)
WIDTH=$(awk -v f="${first_filters:-0}" 'BEGIN { printf "%.17g", f / 64 }')

# CFG FILE WEIGHTS [WIDTH]: a two-trial sweep on the frozen base
write_cfg() {
    cat > "$1" <<CFG
[sweep]
name = vggs
[data]
train_limit = 600
test_limit = 200
[train]
epochs = 2
[model]
base = vgg16
base_weights = $2
base_width = ${3:-$WIDTH}
input_size = 32
dense = 32
dropout = 0 | 0.2
CFG
}

features_lines() { grep -E '^vggs[^ :]*: base features ' "$1"; }

test_features_are_computed_once_and_read_by_the_next_trial() {
    [ "$first_filters" -gt 0 ] 2> /dev/null || { echo "  cannot read $FIXTURE's first kernel" >&2; return 1; }
    mkdir -p "$work/once" && cd "$work/once" || return 1
    cp "$FIXTURE" vgg16.h5 && write_cfg once.cfg "$PWD/vgg16.h5"
    run "$SWEEP" --verbose once.cfg
    cd "$work"
    [ "$status" -eq 0 ] || { cat "$work/err" >&2; return 1; }
    features_lines "$work/out" > "$work/once.lines"
    [ "$(wc -l < "$work/once.lines")" -eq 2 ] &&
        sed -n 1p "$work/once.lines" | grep -q 'computed, cached in jobs/vggs/features/features-' &&
        sed -n 2p "$work/once.lines" | grep -q 'read from jobs/vggs/features/features-' ||
        { cat "$work/once.lines" "$work/err" >&2; return 1; }
    [ "$(ls "$work"/once/jobs/vggs/features/ | wc -l)" -eq 1 ] || { ls -R "$work/once/jobs" >&2; return 1; }
    # both trials trained on them, and the file records the weights they came from
    summary_field "$work/once/results/vggs.h5" status | grep -c ' done$' | grep -qx 2 ||
        { echo "  not both done" >&2; return 1; }
    local size; size=$(stat -c %s "$work/once/vgg16.h5")
    h5dump -a /trials/vggs_dropout-0/base_weights_bytes "$work/once/results/vggs.h5" | grep -q "(0): $size\$" &&
        h5dump -a /trials/vggs_dropout-0/base_weights_file "$work/once/results/vggs.h5" | grep -q "$work/once/vgg16.h5" ||
        { echo "  the weights file is not recorded with its size $size" >&2; return 1; }
    # its checksum is FNV-1a 64 of the file's bytes, computed here independently
    local want got
    want=$(/usr/bin/python3 -c '
import sys
h = 14695981039346656037
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 1099511628211) % 2**64
print("%016x" % h)' "$work/once/vgg16.h5")
    got=$(h5dump -a /trials/vggs_dropout-0/base_weights_checksum "$work/once/results/vggs.h5" | sed -n 's/.*(0): "\(.*\)".*/\1/p')
    [ -n "$want" ] && [ "$got" = "$want" ] || { echo "  checksum $got, FNV-1a 64 of the file is $want" >&2; return 1; }
}

# A rerun (a new trial of the same sweep) reads them; a changed weights
# file is another key: computed again, into a second file.
test_a_rerun_reads_them_and_changed_weights_compute_them_again() {
    mkdir -p "$work/again" && cd "$work/again" || return 1
    cp "$FIXTURE" vgg16.h5 && write_cfg again.cfg "$PWD/vgg16.h5"
    "$SWEEP" --quiet again.cfg > first.out 2>&1 || { cd "$work"; tail -3 "$work/again/first.out" >&2; return 1; }
    run "$SWEEP" --verbose --set 'model.dropout=0.5 | 0.55' again.cfg
    features_lines "$work/out" > "$work/again.read"
    /usr/bin/python3 - "$PWD/vgg16.h5" <<'PY' || { cd "$work"; echo "  could not change the weights" >&2; return 1; }
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    k = f["block1_conv1/block1_conv1/kernel:0"]
    k[...] = k[...] * 2.0
PY
    "$SWEEP" --verbose --set 'model.dropout=0.6 | 0.65' again.cfg > changed.out 2>&1
    local rc=$?
    cd "$work"
    grep -q 'read from jobs/vggs/features/' "$work/again.read" ||
        { echo "  the rerun did not read the cache:" >&2; cat "$work/again.read" "$work/err" >&2; return 1; }
    [ "$rc" -eq 0 ] && features_lines "$work/again/changed.out" | grep -q 'computed, cached in' ||
        { echo "  changed weights were not computed again (exit $rc):" >&2; tail -5 "$work/again/changed.out" >&2; return 1; }
    [ "$(ls "$work"/again/jobs/vggs/features/ | wc -l)" -eq 2 ] || { ls "$work/again/jobs/vggs/features" >&2; return 1; }
    local before after
    before=$(h5dump -a /trials/vggs_dropout-0.5/base_weights_checksum "$work/again/results/vggs.h5" | grep '(0)')
    after=$(h5dump -a /trials/vggs_dropout-0.6/base_weights_checksum "$work/again/results/vggs.h5" | grep '(0)')
    [ -n "$before" ] && [ -n "$after" ] && [ "$before" != "$after" ] ||
        { echo "  checksums: '$before' then '$after'" >&2; return 1; }
}

# Two groups of one rank give one process's models; a group of two
# computes the features data-parallel, the same to float rounding.
test_a_base_sweep_under_mpirun_is_one_processs() {
    local d
    for d in one three pair; do mkdir -p "$work/$d" && cp "$FIXTURE" "$work/$d/vgg16.h5" && write_cfg "$work/$d/m.cfg" "$work/one/vgg16.h5"; done
    (cd "$work/one" && "$SWEEP" --quiet m.cfg > out 2>&1) || { tail -3 "$work/one/out" >&2; return 1; }
    (cd "$work/three" && timeout 180 mpirun --oversubscribe -np 3 "$SWEEP" --quiet m.cfg > out 2>&1) ||
        { tail -3 "$work/three/out" >&2; return 1; }
    (cd "$work/pair" && timeout 180 mpirun --oversubscribe -np 3 "$SWEEP" --quiet --ranks-per-trial 2 m.cfg > out 2>&1) ||
        { tail -3 "$work/pair/out" >&2; return 1; }
    same_results "$work/one/results/vggs.h5" "$work/three/results/vggs.h5" || return 1
    local a b
    a=$(ls "$work"/one/jobs/vggs/features/features-*.h5) && b=$(ls "$work"/pair/jobs/vggs/features/features-*.h5) ||
        { echo "  a features file is missing" >&2; return 1; }
    [ "$(basename "$a")" = "$(basename "$b")" ] || { echo "  keys differ: $a $b" >&2; return 1; }
    # the same images in other batches: float32 rounding through 13 convs
    # moves a feature by ~1e-5 of the largest (~15), never more than 1e-4
    h5diff -d 1e-4 "$a" "$b" > "$work/h5diff.out" 2>&1 ||
        { echo "  a group's features differ from one rank's:" >&2; head -5 "$work/h5diff.out" >&2; return 1; }
    summary_field "$work/pair/results/vggs.h5" status | grep -c ' done$' | grep -qx 2 ||
        { echo "  the group's trials are not done" >&2; return 1; }
}

# A done trial is recorded first; then a sweep that adds a base whose
# weights are missing, of another base, or of another width stops before
# training with one line naming the file and the fault, exit 3, and the
# results file is as it was.
test_weights_faults_are_one_line_and_keep_what_is_recorded() {
    mkdir -p "$work/faults" && cd "$work/faults" || return 1
    printf '[sweep]\nname = f\n[data]\ntrain_limit = 300\ntest_limit = 100\n[train]\nepochs = 1\n[model]\nconv = 4\ndense = 8\n' > f.cfg
    "$SWEEP" --quiet f.cfg > first.out 2>&1 || { cd "$work"; tail -3 "$work/faults/first.out" >&2; return 1; }
    local sum; sum=$(md5sum < results/f.h5)
    add_base() { # WEIGHTS [WIDTH]
        { cat f.cfg; printf '[experiment b]\nbase = vgg16\nbase_weights = %s\nbase_width = %s\ninput_size = 32\n' "$1" "${2:-$WIDTH}"; } > g.cfg
        run timeout 30 "$SWEEP" --quiet --output results/f.h5 g.cfg
    }
    add_base "$PWD/missing.h5"
    one_error_line 3 "^sweep: $PWD/missing.h5: No such file or directory; base vgg16 reads Keras's vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5, which Keras keeps in ~/.keras/models/" || { cd "$work"; return 1; }
    add_base "$REPO/tests/fixtures/bases/vgg19.h5"
    one_error_line 3 "vgg19.h5: layer block3_conv4 has weights vgg16 has no place for" || { cd "$work"; return 1; }
    add_base "$FIXTURE" "$(awk -v w="$WIDTH" 'BEGIN { printf "%.17g", 2 * w }')"
    one_error_line 3 "vgg16.h5: layer block1_conv1: block1_conv1/kernel:0 is 3x3x3x$first_filters in the file, vgg16's block1_conv1 takes 3x3x3x$((2 * first_filters))" || { cd "$work"; return 1; }
    echo "not weights" > text.h5
    add_base "$PWD/text.h5"
    one_error_line 3 "text.h5: not an HDF5 file" || { cd "$work"; return 1; }
    [ "$(md5sum < results/f.h5)" = "$sum" ] || { cd "$work"; echo "  the results file changed" >&2; return 1; }
    cd "$work"
}

# Keras's full-size VGG16 notop layout (every layer, Keras's shapes, 58.9
# MB of float32; random values, as no ImageNet weights are to be had here)
# loads, and a short sweep on it trains and records the file.
test_a_full_size_vgg16_file_in_kerass_layout_loads_and_trains() {
    mkdir -p "$work/full" && cd "$work/full" || return 1
    /usr/bin/python3 - vgg16_notop.h5 <<'PY' || { cd "$work"; echo "  could not write the file" >&2; return 1; }
import sys, h5py, numpy as np
rng = np.random.default_rng(1)
layers, channels = ["input_1"], 3
with h5py.File(sys.argv[1], "w") as f:
    for block, (filters, convs) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], 1):
        for k in range(1, convs + 1):
            name = "block%d_conv%d" % (block, k)
            g = f.create_group(name)
            fan = 9 * channels
            g.create_dataset(name + "/kernel:0", data=rng.uniform(-1, 1, (3, 3, channels, filters)).astype("f4") * np.float32(np.sqrt(3.0 / fan)))
            g.create_dataset(name + "/bias:0", data=np.zeros(filters, "f4"))
            g.attrs["weight_names"] = np.array([(name + "/kernel:0").encode(), (name + "/bias:0").encode()])
            layers.append(name)
            channels = filters
        layers.append("block%d_pool" % block)
        f.create_group(layers[-1]).attrs["weight_names"] = np.array([], dtype="S1")
    f.create_group("input_1").attrs["weight_names"] = np.array([], dtype="S1")
    f.attrs["layer_names"] = np.array([n.encode() for n in layers])
    f.attrs["backend"] = b"tensorflow"
    f.attrs["keras_version"] = b"2.2.4"
PY
    printf '[sweep]\nname = full\n[data]\ntrain_limit = 200\ntest_limit = 100\n[train]\nepochs = 1\n[model]\nbase = vgg16\nbase_weights = %s\ninput_size = 32\ndense = 16\n' "$PWD/vgg16_notop.h5" > full.cfg
    run timeout 300 "$SWEEP" --quiet full.cfg
    cd "$work"
    [ "$status" -eq 0 ] || { echo "  the sweep exited $status" >&2; cat "$work/err" >&2; return 1; }
    local size; size=$(stat -c %s "$work/full/vgg16_notop.h5")
    [ "$size" -gt 58000000 ] || { echo "  the file is only $size bytes" >&2; return 1; }
    h5dump -a /trials/full/base_weights_bytes "$work/full/results/full.h5" | grep -q "(0): $size\$" &&
        summary_field "$work/full/results/full.h5" status | grep -q ' done$' ||
        { echo "  the trial is not done with its $size-byte weights recorded" >&2; return 1; }
}

run_tests test_bases
