#!/usr/bin/env bash
# test_results_format1: results files of format 1 -- written before each
# trial's weights moved to a file of their own, with the weights inside at
# /trials/NAME/weights -- are still read by `sweep report`, `sweep
# predict`, results_digest and `sweep merge`, and resumed: the rerun
# copies their weights out to RESULTS.weights/ before its first publish
# replaces the file, trains only what is not done, and writes format 2
# with the same weights. The fixture (tests/fixtures/format1/fmt1.h5, two
# done trials) was written by sweep at commit 731de3b from fmt1.cfg beside
# it. Run from the repository top.
set -u
SELF=$(realpath "$0")
SWEEP=$(realpath "${SWEEP:-build/sweep}")
DIGEST=$(realpath "${DIGEST:-build/results_digest}")
FIXTURE=$(realpath "$(dirname "$SELF")/../fixtures/format1")
DATA=/usr/share/datasets/fashion-mnist
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
work=$(mktemp -d /tmp/sweep-format1.XXXXXX)
trap 'cd /; rm -rf "$work"' EXIT
cd "$work" || exit 1
source "$(dirname "$SELF")/../shell_testing.sh"

# a fresh copy of the fixture as results/fmt1.h5, and its digest
fixture_copy() {
    rm -rf results jobs && mkdir -p results && cp "$FIXTURE/fmt1.h5" results/fmt1.h5 || return 1
    h5dump -a /sweep/format results/fmt1.h5 | grep -qF '"sweep results 1"' ||
        { echo "  the fixture is not format 1" >&2; return 1; }
    "$DIGEST" "$FIXTURE/fmt1.h5" > fixture.digest || return 1
    [ "$(grep -c ' done ' fixture.digest)" -eq 2 ] || { echo "  fixture digest: $(cat fixture.digest)" >&2; return 1; }
}

test_report_and_predict_read_a_format1_file() {
    fixture_copy || return 1
    run "$SWEEP" report results/fmt1.h5
    [ "$status" -eq 0 ] && grep -qE '^fmt1_dropout-0\.3 +0\.3200 .* best$' "$work/out" ||
        { echo "  report: status $status: $(cat "$work/out" "$work/err")" >&2; return 1; }
    run "$SWEEP" predict results/fmt1.h5 fmt1_dropout-0 "$DATA/t10k-images-idx3-ubyte.gz"
    [ "$status" -eq 0 ] && [ "$(wc -l < "$work/out")" -eq 10000 ] ||
        { echo "  predict: status $status: $(head -c 300 "$work/err")" >&2; return 1; }
    # the stored predictions of the first 100 test images are what predict gives
    local stored
    stored=$(h5dump -d /trials/fmt1_dropout-0/predictions -y -w 0 results/fmt1.h5 |
             sed -n '/DATA {/,/}/p' | grep -oE '[0-9]+' | tr '\n' ' ')
    [ -n "$stored" ] || { echo "  no stored predictions" >&2; return 1; }
    local classes=("T-shirt/top" "Trouser" "Pullover" "Dress" "Coat" "Sandal" "Shirt" "Sneaker" "Bag" "Ankle boot") k ours=
    while IFS=$'\t' read -r _ class _; do
        for k in "${!classes[@]}"; do [ "${classes[$k]}" = "$class" ] && ours+="$k "; done
    done < <(head -n 100 "$work/out")
    [ "$ours" = "$stored" ] || { echo "  predict differs from the stored predictions" >&2; return 1; }
}

test_resume_of_a_format1_file_moves_its_weights_out_and_trains_only_the_rest() {
    fixture_copy || return 1
    sed 's/^dropout = 0 | 0.3$/dropout = 0 | 0.3 | 0.5/' "$FIXTURE/fmt1.cfg" > fmt1.cfg
    grep -q '0 | 0.3 | 0.5' fmt1.cfg || return 1
    run timeout 120 "$SWEEP" fmt1.cfg
    [ "$status" -eq 0 ] || { echo "  status $status: $(cat "$work/err")" >&2; return 1; }
    [ "$(grep -c '^start ' "$work/out")" -eq 1 ] && grep -q '^start fmt1_dropout-0.5$' "$work/out" ||
        { echo "  trained other than the one new trial:" >&2; grep '^start' "$work/out" >&2; return 1; }
    h5dump -a /sweep/format results/fmt1.h5 | grep -qF '"sweep results 2"' ||
        { echo "  the resumed file is not format 2" >&2; return 1; }
    [ "$(find results/fmt1.weights -name 'fmt1_dropout-*.h5' | wc -l)" -eq 3 ] ||
        { echo "  weights files: $(find results -name '*.h5')" >&2; return 1; }
    # the two old trials kept their weights, bit for bit
    diff fixture.digest <("$DIGEST" results/fmt1.h5 | grep -v '^fmt1_dropout-0.5 ') >&2 ||
        { echo "  the format-1 trials changed in the resume" >&2; return 1; }
    "$DIGEST" results/fmt1.h5 | grep -q '^fmt1_dropout-0.5 done '
}

test_merge_of_a_format1_file_copies_its_weights_beside_the_output() {
    fixture_copy || return 1
    run "$SWEEP" merge merged/all.h5 results/fmt1.h5
    [ "$status" -eq 0 ] || { echo "  merge: status $status: $(cat "$work/err")" >&2; return 1; }
    rm results/fmt1.h5
    diff fixture.digest <("$DIGEST" merged/all.h5) >&2 ||
        { echo "  the merged file does not give the format-1 weights" >&2; return 1; }
    [ "$(find merged/all.weights -name '*.h5' | wc -l)" -eq 2 ]
}

# A file of a format newer than this sweep reads is refused in one line,
# not misread.
test_a_newer_format_is_refused_in_one_line() {
    fixture_copy || return 1
    /usr/bin/python3 - results/fmt1.h5 <<'EOF' || return 1
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    f["sweep"].attrs["format"] = "sweep results 3"
EOF
    run "$SWEEP" report results/fmt1.h5
    one_error_line 4 '^sweep: results/fmt1\.h5: a sweep results file of a format this version cannot read'
}

run_tests test_results_format1
