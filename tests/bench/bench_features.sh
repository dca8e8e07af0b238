#!/usr/bin/env bash
# bench_features: what computing a frozen base's features once saves (issue
# 13). A sweep of two trials on one frozen VGG16 (Keras's widths, random
# weights, 32-pixel inputs; the head's dropout 0 | 0.2 is the axis) runs
# three ways, timed with /usr/bin/time: the front run at every step
# (SWEEP_NO_FROZEN_FEATURES=1, what training without the cache costs),
# features computed by the first trial and read from jobs/NAME/features by
# the second, and a rerun whose trials both read the file. Prints one
# table row each. Usage: tests/bench/bench_features.sh [TRAIN_IMAGES]
# (default 2000); SWEEP=build/sweep.
set -u
SWEEP=$(realpath "${SWEEP:-build/sweep}")
work=$(mktemp -d /tmp/sweep-bench-features.XXXXXX)
trap 'cd /; rm -rf "$work"' EXIT
cd "$work" || exit 1
images=${1:-2000}

cat > vgg.cfg <<CFG
[sweep]
name = vgg
[data]
train_limit = $images
test_limit = 500
[train]
epochs = 2
[model]
base = vgg16
base_weights = none
input_size = 32
dense = 384, 768
dropout = 0 | 0.2
CFG

run() { # LABEL ENV...
    local label=$1; shift
    if ! env "$@" /usr/bin/time -f '%e %M' -o time.txt "$SWEEP" --quiet vgg.cfg > out.txt 2> err.txt; then
        echo "bench_features: $label: sweep failed: $(tail -n 3 err.txt)" >&2
        exit 1
    fi
    read -r wall rss_kb < time.txt
    awk -v l="$label" -v w="$wall" -v r="$rss_kb" 'BEGIN { printf "| %s | %.1f | %.0f |\n", l, w, r / 1024 }'
}

echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $images training images, 2 epochs, 2 trials"
echo "| frozen VGG16 front | wall s | peak RSS MB |"
echo "|---|---|---|"
run "run at every step (no features)" SWEEP_NO_FROZEN_FEATURES=1
rm -rf results jobs
run "features computed once, cached" SWEEP_NO_FROZEN_FEATURES=0
rm -rf results jobs/vgg/*.h5   # the trials again; jobs/vgg/features stays
ls jobs/vgg/features/features-*.h5 > /dev/null || { echo "bench_features: no features file" >&2; exit 1; }
run "features read from the cache" SWEEP_NO_FROZEN_FEATURES=0
