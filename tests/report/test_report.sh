#!/usr/bin/env bash
# test_report: `sweep report` and `sweep predict` on real results files --
# the table's order, marks and figures against /summary; a report while a
# sweep runs and after it is interrupted; predictions on Fashion-MNIST's
# own test images (IDX) against the labels and against the predictions
# the file stores; the same garment as PGM (P5, P2, upscaled, inverted on
# a light background) and PNG (grey and RGB, written by a small libpng
# program compiled here); `best`, and the one-line errors. Run from the
# repository top.
set -u
SELF=$(realpath "$0")
SWEEP=$(realpath "${SWEEP:-build/sweep}")
DIGEST=$(realpath "${DIGEST:-build/results_digest}")
DATA=/usr/share/datasets/fashion-mnist
work=$(mktemp -d /tmp/sweep-report.XXXXXX)
# Runs happen in $work: results/ and jobs/ land there.
cd "$work" || exit 1
source "$(dirname "$SELF")/../shell_testing.sh"
clean_up_on_exit

# Every sweep run is bounded: a hang is a failure, not a stuck test.
sweep() { timeout 120 "$SWEEP" "$@"; }

CLASSES=("T-shirt/top" "Trouser" "Pullover" "Dress" "Coat" "Sandal" "Shirt" "Sneaker" "Bag" "Ankle boot")

class_index() { # NAME -> 0..9, or nothing
    local k
    for k in "${!CLASSES[@]}"; do [ "${CLASSES[$k]}" = "$1" ] && { echo "$k"; return 0; }; done
    return 1
}

# The table's rows: the lines after the header "name ...".
table_rows() { sed -n '/^name /,$p' "$1" | tail -n +2; }

# ---- sweep report -----------------------------------------------------------

test_report_sorts_by_test_accuracy_and_marks_the_best() {
    printf '[sweep]\nname = three\n[data]\ntrain_limit = 600\ntest_limit = 300\n[train]\nepochs = 2\n[model]\nconv = 8\ndense = 32\ndropout = 0 | 0.3 | 0.5\n' > three.cfg
    sweep --quiet three.cfg > /dev/null || return 1
    run sweep report results/three.h5
    [ "$status" -eq 0 ] && [ ! -s "$work/err" ] || { echo "  status $status: $(cat "$work/err")" >&2; return 1; }
    # a line about the sweep, then the header, then one row per trial
    head -1 "$work/out" | grep -q 'results/three\.h5.*3 trials' || { echo "  first line: $(head -1 "$work/out")" >&2; return 1; }
    sed -n 2p "$work/out" | grep -qE '^name +test_accuracy ' || { echo "  header: $(sed -n 2p "$work/out")" >&2; return 1; }
    table_rows "$work/out" > rows
    [ "$(awk '{ print $1 }' rows | sort | tr '\n' ' ')" = "three_dropout-0 three_dropout-0.3 three_dropout-0.5 " ] ||
        { echo "  rows: $(cat rows)" >&2; return 1; }
    # sorted by test_accuracy, highest first; exactly one best, the first,
    # the others done
    awk 'NR > 1 && $2 > prev { bad = 1 } { prev = $2 } END { exit bad }' rows || { echo "  not sorted:" >&2; cat rows >&2; return 1; }
    [ "$(awk '$NF == "best"' rows | wc -l)" -eq 1 ] && [ "$(head -1 rows | awk '{ print $NF }')" = best ] &&
        [ "$(awk 'NR > 1 && $NF == "done"' rows | wc -l)" -eq 2 ] || { echo "  marks:" >&2; cat rows >&2; return 1; }
    # the figures are the file's: test_accuracy and test_loss of every
    # trial, to the table's 4 decimals
    local field col name value shown
    for field in test_accuracy:2 test_loss:3; do
        col=${field#*:}
        while read -r name value; do
            shown=$(awk -v n="$name" -v c="$col" '$1 == n { print $c }' rows)
            [ "$(awk -v v="$value" 'BEGIN { printf "%.4f", v }')" = "$shown" ] ||
                { echo "  $name ${field%:*}: /summary $value, report $shown" >&2; return 1; }
        done < <(summary_field results/three.h5 "${field%:*}")
    done
    [ "$(summary_field results/three.h5 test_accuracy | wc -l)" -eq 3 ]
}

row_mark() { awk -v n="$2" '$1 == n { print $NF }' "$1"; }

# midway_interrupted: results/midway.h5 with trial long interrupted, made
# here unless the report test left it.
midway_interrupted() {
    "$DIGEST" results/midway.h5 2> /dev/null | grep -qE '^long interrupted ' && return 0
    start_midway || return 1
    kill -TERM "$midway_pid"
    wait "$midway_bg"
    local rc=$?
    [ "$rc" -eq 75 ] || { echo "  midway: status $rc, expected 75: $(cat job.err)" >&2; return 1; }
}

test_report_while_a_sweep_runs_and_after_it_is_interrupted() {
    start_midway || return 1
    local pid=$midway_pid bg=$midway_bg
    # while it runs: short done (best), long running, after pending
    run sweep report results/midway.h5
    local rc=0
    [ "$status" -eq 0 ] || { echo "  report while running: status $status: $(cat "$work/err")" >&2; rc=1; }
    table_rows "$work/out" > running.rows
    [ "$(row_mark running.rows short)" = best ] && [ "$(row_mark running.rows long)" = running ] &&
        [ "$(row_mark running.rows after)" = pending ] || { echo "  while running:" >&2; cat running.rows >&2; rc=1; }
    # done, then running, then pending
    [ "$(awk '{ print $1 }' running.rows | tr '\n' ' ')" = "short long after " ] || { echo "  order:" >&2; cat running.rows >&2; rc=1; }
    kill -0 "$pid" 2> /dev/null || { echo "  inconclusive: the sweep ended before the signal" >&2; rc=1; }
    kill -TERM "$pid"
    wait "$bg"; status=$?
    [ "$status" -eq 75 ] || { echo "  status $status, expected 75: $(cat job.err)" >&2; return 1; }
    [ "$rc" -eq 0 ] || return 1
    run sweep report results/midway.h5
    [ "$status" -eq 0 ] || return 1
    head -1 "$work/out" | grep -q '3 trials: 1 done, 0 running, 1 interrupted, 1 pending' ||
        { echo "  first line: $(head -1 "$work/out")" >&2; return 1; }
    table_rows "$work/out" > stopped.rows
    [ "$(row_mark stopped.rows short)" = best ] && [ "$(row_mark stopped.rows long)" = interrupted ] &&
        [ "$(row_mark stopped.rows after)" = pending ] || { echo "  after the signal:" >&2; cat stopped.rows >&2; return 1; }
    # done, then interrupted, then pending; an unfinished trial has no
    # test figures; long kept its finished epochs
    [ "$(awk '{ print $1 }' stopped.rows | tr '\n' ' ')" = "short long after " ] &&
        awk '$1 == "long" { exit !($2 == "-" && $8 >= 1) }' stopped.rows || { cat stopped.rows >&2; return 1; }
    # the report tells what the file holds
    "$DIGEST" results/midway.h5 > midway.digest || return 1
    grep -qE '^short done ' midway.digest && grep -qE '^long interrupted epochs [1-9]' midway.digest &&
        grep -qE '^after pending epochs 0/' midway.digest || { cat midway.digest >&2; return 1; }
}

test_report_of_a_missing_or_foreign_file_is_one_line() {
    run sweep report "$work/none.h5"
    one_error_line 4 "^sweep: $work/none\.h5: .*No such file" || return 1
    echo 'not a results file' > notes.h5
    run sweep report notes.h5
    one_error_line 4 "^sweep: notes\.h5: not an HDF5 file" || return 1
    [ ! -s "$work/out" ] || return 1
    printf '1 2 3\n' > numbers.txt
    h5import numbers.txt -dims 3 -type TEXTIN -size 32 -o foreign.h5 || return 1
    run sweep report foreign.h5
    one_error_line 4 "^sweep: foreign\.h5: .*not a sweep results file"
}

# ---- sweep predict ------------------------------------------------------------

# test image i of Fashion-MNIST, 784 raw bytes
image_bytes() { gzip -dc "$DATA/t10k-images-idx3-ubyte.gz" | tail -c +$((17 + $1 * 784)) | head -c 784; }

# pred_fixture: what every predict test needs, made once by whichever
# test runs first (so each runs alone with TEST_ONLY): results/pred.h5,
# two trials good enough to classify (about 0.75 test accuracy); the
# first 20 test images as their own idx3 file; and class0, image 0's
# class and probability through IDX.
pred_fixture() {
    if [ ! -s results/pred.h5 ]; then
        printf '[sweep]\nname = pred\n[data]\ntrain_limit = 3000\ntest_limit = 1000\n[train]\nepochs = 2\n[model]\nconv = 8\ndense = 32\ndropout = 0 | 0.3\n' > pred.cfg
        sweep --quiet pred.cfg > /dev/null || { echo "  the pred sweep failed" >&2; return 1; }
    fi
    if [ ! -s first20.idx ]; then
        # a header with count 20 (0x14), then 20 x 784 pixels
        { printf '\x00\x00\x08\x03\x00\x00\x00\x14\x00\x00\x00\x1c\x00\x00\x00\x1c'
          gzip -dc "$DATA/t10k-images-idx3-ubyte.gz" | tail -c +17 | head -c $((20 * 784)); } > first20.idx
    fi
    [ "$(wc -c < first20.idx)" -eq $((16 + 20 * 784)) ] || return 1
    [ -s class0 ] || sweep predict results/pred.h5 pred_dropout-0 first20.idx | head -1 | cut -f2,3 > class0
    [ -s class0 ] || { echo "  no prediction for image 0" >&2; return 1; }
}

test_predict_on_idx_agrees_with_labels_and_stored_predictions() {
    pred_fixture || return 1
    gzip -dc "$DATA/t10k-labels-idx1-ubyte.gz" | tail -c +9 | head -c 20 | od -An -v -tu1 | tr -s ' \n' '\n\n' | grep . > labels
    [ "$(wc -l < labels)" -eq 20 ] || return 1
    # /classes holds the ten names in label order
    [ "$(h5dump -d /classes -y -w 0 results/pred.h5 | sed -n '/DATA {/,/}/p' | grep -o '"[^"]*"' | tr -d '"' | tr '\n' '|')" = \
      "$(printf '%s|' "${CLASSES[@]}")" ] || { echo "  /classes differs" >&2; return 1; }
    local trial
    for trial in pred_dropout-0 pred_dropout-0.3; do
        run sweep predict results/pred.h5 "$trial" first20.idx
        [ "$status" -eq 0 ] && [ ! -s "$work/err" ] || { echo "  $trial: status $status: $(cat "$work/err")" >&2; return 1; }
        [ "$(wc -l < "$work/out")" -eq 20 ] || { echo "  $trial: $(wc -l < "$work/out") lines" >&2; return 1; }
        # LABEL[i] TAB CLASS TAB PROBABILITY in (0,1]
        local i=0 label class prob k; : > predicted
        while IFS=$'\t' read -r label class prob; do
            [ "$label" = "first20.idx[$i]" ] || { echo "  line $i: label '$label'" >&2; return 1; }
            k=$(class_index "$class") || { echo "  line $i: class '$class'" >&2; return 1; }
            awk -v p="$prob" 'BEGIN { exit !(p ~ /^[0-9.]+$/ && p > 0 && p <= 1) }' ||
                { echo "  line $i: probability '$prob'" >&2; return 1; }
            echo "$k" >> predicted
            i=$((i + 1))
        done < "$work/out"
        # against the labels
        local right; right=$(paste -d' ' predicted labels | awk '$1 == $2' | wc -l)
        [ "$right" -ge 12 ] || { echo "  $trial: only $right of 20 right" >&2; return 1; }
        # against the test-set predictions the sweep stored for this trial
        h5dump -d "/trials/$trial/predictions" -s 0 -c 20 -y -w 0 results/pred.h5 |
            sed -n '/DATA {/,/}/p' | grep -oE '[0-9]+' > stored
        diff <(tr '\n' ' ' < stored) <(tr '\n' ' ' < predicted) >&2 ||
            { echo "  $trial: predict differs from /trials/$trial/predictions" >&2; return 1; }
    done
}

# same_as_idx0 FILE: $work/out (sweep predict of FILE alone) names FILE and
# gives IDX image 0's class, with its probability to 0.002 (the same
# pixels, up to float rounding in the conversion)
same_as_idx0() {
    [ "$status" -eq 0 ] && [ "$(wc -l < "$work/out")" -eq 1 ] || { echo "  $1: status $status: $(cat "$work/err")" >&2; return 1; }
    [ "$(cut -f1 "$work/out")" = "$1" ] || { echo "  $1: label $(cut -f1 "$work/out")" >&2; return 1; }
    local got want
    got=$(cut -f2 "$work/out"); want=$(cut -f1 class0)
    [ "$got" = "$want" ] || { echo "  $1: $got, IDX image 0: $want" >&2; return 1; }
    awk -v a="$(cut -f3 "$work/out")" -v b="$(cut -f2 class0)" 'BEGIN { d = a - b; exit !(d < 0.002 && d > -0.002) }' ||
        { echo "  $1: probability $(cut -f3 "$work/out"), IDX image 0: $(cut -f2 class0)" >&2; return 1; }
}

# the class sweep predict gives for one picture, with pred_dropout-0
class_of() { sweep predict results/pred.h5 pred_dropout-0 "$1" | cut -f2; }

# pgm_pictures: test image 0 as raw bytes and as three PGM files, for the
# PGM and PNG tests.
pgm_pictures() {
    image_bytes 0 > img0.raw
    [ "$(wc -c < img0.raw)" -eq 784 ] || return 1
    # P5, 28x28: the pixels as they are
    { printf 'P5\n28 28\n255\n'; cat img0.raw; } > img0.pgm
    # P5, 56x56: every pixel doubled across and down
    local escaped
    escaped=$(od -An -v -tu1 -w28 img0.raw |
        awk '{ row = ""; for (i = 1; i <= NF; i++) row = row sprintf("\\%03o\\%03o", $i, $i); printf "%s%s", row, row }')
    { printf 'P5\n56 56\n255\n'; printf "$escaped"; } > img0-56.pgm
    [ "$(wc -c < img0-56.pgm)" -eq $((13 + 56 * 56)) ] || return 1
    # P2, inverted: a dark garment on a light background, as a catalogue
    # photo would show it
    { printf 'P2\n# inverted\n28 28\n255\n'
      od -An -v -tu1 -w28 img0.raw | awk '{ for (i = 1; i <= NF; i++) printf "%d%s", 255 - $i, i < NF ? " " : "\n" }'; } > img0-inverted.pgm
}

test_predict_on_pgm_matches_idx() {
    pred_fixture && pgm_pictures || return 1
    local f
    for f in img0.pgm img0-56.pgm img0-inverted.pgm; do
        run sweep predict results/pred.h5 pred_dropout-0 "$f"
        same_as_idx0 "$f" || return 1
    done
    # several pictures in one call: one line each, in order
    run sweep predict results/pred.h5 pred_dropout-0 img0.pgm first20.idx img0-56.pgm
    [ "$status" -eq 0 ] && [ "$(cut -f1 "$work/out" | tr '\n' ' ')" = "img0.pgm $(seq 0 19 | sed 's/.*/first20.idx[&]/' | tr '\n' ' ')img0-56.pgm " ] ||
        { echo "  three files: $(cut -f1 "$work/out" | tr '\n' ' ')" >&2; return 1; }
}

# A PNG writer compiled from here: PGM P5 in, PNG out -- grey; RGB with
# R = G = B; or RGB tinted, each mid-grey v as (v+10, v-5, v), whose luma
# 0.299 R + 0.587 G + 0.114 B is v to within 0.06.
write_png_tool() {
    cat > mkpng.c << 'EOF'
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: mkpng IN.pgm OUT.png grey|rgb|tinted\n"); return 2; }
    FILE *in = fopen(argv[1], "rb");
    int w, h, max;
    if (!in || fscanf(in, "P5 %d %d %d", &w, &h, &max) != 3 || fgetc(in) == EOF || max != 255)
        return 1;
    unsigned char *grey = malloc((size_t)w * h);
    if (fread(grey, 1, (size_t)w * h, in) != (size_t)w * h) return 1;
    fclose(in);
    int tinted = strcmp(argv[3], "tinted") == 0, rgb = tinted || strcmp(argv[3], "rgb") == 0;
    int channels = rgb ? 3 : 1;
    FILE *out = fopen(argv[2], "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (!out || !png || !info || setjmp(png_jmpbuf(png))) return 1;
    png_init_io(png, out);
    png_set_IHDR(png, info, w, h, 8, rgb ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    unsigned char *row = malloc((size_t)w * channels);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++)
            for (int c = 0; c < channels; c++) {
                int v = grey[y * w + x], shift[3] = { 10, -5, 0 };
                row[x * channels + c] = (unsigned char)(tinted && v >= 5 && v <= 245 ? v + shift[c] : v);
            }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return fclose(out) == 0 ? 0 : 1;
}
EOF
    # libpng-dev is one of the build's dependencies (Makefile DEB_PACKAGES)
    cc -O1 -o mkpng mkpng.c $(pkg-config --cflags --libs libpng) ||
        { echo "  cannot compile the PNG writer against libpng" >&2; return 1; }
}

test_predict_on_png_matches_pgm() {
    pred_fixture && pgm_pictures || return 1
    write_png_tool || return 1
    # the inverted picture as P5, for a light-background PNG
    { printf 'P5\n28 28\n255\n'
      printf "$(od -An -v -tu1 -w28 img0.raw | awk '{ for (i = 1; i <= NF; i++) printf "\\%03o", 255 - $i }')"; } > img0-inverted5.pgm
    ./mkpng img0.pgm img0-grey.png grey && ./mkpng img0.pgm img0-rgb.png rgb &&
        ./mkpng img0.pgm img0-tinted.png tinted &&
        ./mkpng img0-inverted5.pgm img0-inverted.png grey || return 1
    [ "$(head -c 8 img0-grey.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || return 1
    local pgm_class f; pgm_class=$(class_of img0.pgm)
    [ -n "$pgm_class" ] || return 1
    for f in img0-grey.png img0-rgb.png img0-tinted.png img0-inverted.png; do
        run sweep predict results/pred.h5 pred_dropout-0 "$f"
        [ "$(cut -f2 "$work/out")" = "$pgm_class" ] || { echo "  $f: $(cat "$work/out"), PGM: $pgm_class" >&2; return 1; }
        same_as_idx0 "$f" || return 1
    done
}

test_predict_best_unknown_trial_and_bad_image() {
    pred_fixture || return 1
    # best is the trial the report marks best
    local best; best=$(sweep report results/pred.h5 | awk '$NF == "best" { print $1 }')
    [ -n "$best" ] || return 1
    run sweep predict results/pred.h5 best first20.idx
    [ "$status" -eq 0 ] || return 1
    cp "$work/out" by-best
    run sweep predict results/pred.h5 "$best" first20.idx
    [ "$status" -eq 0 ] && [ -s by-best ] && cmp by-best "$work/out" || { echo "  best is not $best" >&2; return 1; }
    # and it is not simply the first trial: the other gives another output
    local other; other=$(sweep report results/pred.h5 | awk '$NF == "done" { print $1 }')
    [ -n "$other" ] && ! cmp -s by-best <(sweep predict results/pred.h5 "$other" first20.idx) ||
        { echo "  best and $other predict alike; cannot tell them apart" >&2; return 1; }
    # an unknown trial, and a trial that is not done: usage errors
    run sweep predict results/pred.h5 no_such_trial first20.idx
    one_error_line 2 "^sweep: results/pred\.h5: .*no_such_trial" || return 1
    [ ! -s "$work/out" ] || return 1
    midway_interrupted || return 1
    run sweep predict results/midway.h5 long first20.idx
    one_error_line 2 "^sweep: results/midway\.h5: .*long.*interrupted" || return 1
    # a picture that is none of IDX, PGM or PNG; one that is missing
    echo 'this is not a picture' > notes.png
    run sweep predict results/pred.h5 best notes.png
    one_error_line 3 "^sweep: notes\.png: " || return 1
    [ ! -s "$work/out" ] || return 1
    run sweep predict results/pred.h5 best first20.idx "$work/none.pgm"
    one_error_line 3 "^sweep: $work/none\.pgm: .*No such file" || return 1
    # a results file that is not one: the file's fault, exit 4
    run sweep predict notes.png best first20.idx
    one_error_line 4 "^sweep: notes\.png: not an HDF5 file"
}

# In file order: the predict tests use the first one's results and images.
run_tests test_report
