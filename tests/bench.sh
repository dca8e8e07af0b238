#!/usr/bin/env bash
# bench: what one training epoch of the report's models costs on this
# machine. Trains each model for one epoch on the first N training images
# (default 2,000) and prints the time per 1,000 images and the projected
# time of a full 54,000-image epoch (plus 6,000 validation images, counted
# at a third of a training image's cost: forward only). Not a test: the
# figures depend on the machine and on whatever else it is doing.
set -eu
N=${BENCH_IMAGES:-2000}
SWEEP=${SWEEP:-build/sweep}
work=$(mktemp -d /tmp/sweep-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}, $(date -u +%F)"
"$SWEEP" --version | sed -n 2p
printf '%-6s %-36s %10s %14s %18s\n' model layers params s_per_1000 projected_epoch_s
bench() { # NAME MODEL-LINES
    printf '[sweep]\nname = %s\n[data]\ntrain_limit = %d\ntest_limit = 32\nvalidation_split = 0\n[train]\nepochs = 1\n[model]\n%s\n' \
        "$1" "$N" "$2" > "$work/$1.cfg"
    "$SWEEP" "$work/$1.cfg" > "$work/$1.out"
    local params seconds
    params=$(sed -n 's/.*: \([0-9]*\) parameters.*/\1/p' "$work/$1.out")
    seconds=$(awk '/ epoch 1\/1 / { sub(/s$/, "", $NF); print $NF }' "$work/$1.out")
    awk -v n="$N" -v s="$seconds" -v name="$1" -v layers="$(echo "$2" | tr '\n' ' ' | cut -c1-36)" -v p="$params" \
        'BEGIN { per = s / n * 1000; printf "%-6s %-36s %10d %14.2f %18.0f\n", name, layers, p, per, per * (54 + 6 / 3) }'
}
bench s1e6 "conv = 128,256,512
dense = 384,768
batch_norm = yes
dropout = 0.2
l2 = 0.01"
bench s1e10 "conv = 128,256,512,1024
dense = 384,768
batch_norm = yes
dropout = 0.2
l2 = 0.01"
bench s2e1 "groups = 256/128/256, 128/64/128, 256/128/32
dense = 384,768
batch_norm = yes
dropout = 0.2
l2 = 0.01"
