#!/usr/bin/env bash
# bench: sweep's training and inference speed beside PyTorch's on the
# report's models, measured in one run on this machine. For each model
# (s1e6, s2e1) and batch (32, 64), REPS repetitions alternate ours
# (build/bench_train) and PyTorch's (tests/bench_torch.py: Debian's
# python3-torch, oneDNN, its default OpenMP settings) on the same first
# Fashion-MNIST images: forward + backward + Adam steps, then eval-mode
# inference. Prints one table (best and median images/s of each side, the
# ratio of medians, our effective GFLOP/s and its fraction of this
# machine's sgemm rate, peak RSS of each process), our per-layer times,
# a whole `sweep` run of one epoch on 3,200 images, and the one-node
# layouts (1 rank x 2 threads against 2 ranks x 1 thread).
# Not a test: the figures depend on the machine and what else it runs.
# BENCH_QUICK=1: one repetition of two steps of s1e6 at batch 32, no
# sweep runs (tests/test_bench.sh checks that this mode works).
set -eu
REPS=${REPS:-3}
BENCH=$(realpath "${BENCH:-build/bench_train}")
SWEEP=$(realpath "${SWEEP:-build/sweep}")
CFG=${CFG:-sweep/report.cfg}
PYTHON=/usr/bin/python3
HERE=$(dirname "$0")
work=$(mktemp -d /tmp/sweep-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}   # as sweep sets it for itself

models="s1e6 s2e1"; batches="32 64"
if [ -n "${BENCH_QUICK:-}" ]; then models=s1e6; batches=32; REPS=1; fi
steps_for() { # MODEL BATCH: enough steps for a few seconds of each side
    if [ -n "${BENCH_QUICK:-}" ]; then echo 2; return; fi
    case $1 in s1e6) echo $((640 / $2)) ;; *) echo $((320 / $2)) ;; esac
}
declare -A torch_median   # MODEL -> PyTorch's median training img/s at batch 32
have_torch=0
$PYTHON -c 'import torch' 2> /dev/null && have_torch=1

field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" "$2" | head -n 1; }
stats() { # values on stdin: "best median"
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "- -"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f\n", v[NR], m }'
}

echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u '+%F %H:%M UTC')"
"$SWEEP" --version | sed -n '2,3p'
echo "threads: ${OMP_NUM_THREADS:-$(nproc)} per process; PyTorch: $([ $have_torch = 1 ] && $PYTHON -c 'import torch; print(torch.__version__)' || echo 'not installed')"
echo
printf '%-5s %5s %7s | %15s %15s %6s | %15s %15s %6s | %7s %5s | %7s %7s\n' \
    model batch threads "ours train/s" "torch train/s" ratio "ours eval/s" "torch eval/s" ratio \
    GFLOP/s sgemm "RSS MB" "torch"
printf '%-5s %5s %7s | %15s %15s %6s | %15s %15s %6s | %7s %5s | %7s %7s\n' \
    "" "" "" "best median" "best median" "" "best median" "best median" "" "" frac ours ""
for model in $models; do
    for batch in $batches; do
        steps=$(steps_for "$model" "$batch")
        : > "$work/ours"; : > "$work/torch"
        for rep in $(seq "$REPS"); do
            "$BENCH" "$CFG" "$model" "$batch" "$steps" > "$work/run"
            cat "$work/run" >> "$work/ours"
            arch=$(sed -n 's/^arch //p' "$work/run")
            if [ $have_torch = 1 ]; then
                # shellcheck disable=SC2086
                env -u OMP_WAIT_POLICY $PYTHON "$HERE/bench_torch.py" $arch --batch "$batch" \
                    --steps "$steps" --threads "${OMP_NUM_THREADS:-$(nproc)}" >> "$work/torch"
            fi
        done
        read -r ot om < <(sed -n 's/.*train_img_s=\([^ ]*\).*/\1/p' "$work/ours" | stats)
        read -r tt tm < <(sed -n 's/.*train_img_s=\([^ ]*\).*/\1/p' "$work/torch" | stats)
        read -r oe oem < <(sed -n 's/.*eval_img_s=\([^ ]*\).*/\1/p' "$work/ours" | stats)
        read -r te tem < <(sed -n 's/.*eval_img_s=\([^ ]*\).*/\1/p' "$work/torch" | stats)
        [ "$batch" = 32 ] && torch_median[$model]=$tm
        gflops=$(sed -n 's/.*train_gflop_s=\([^ ]*\).*/\1/p' "$work/ours" | stats | cut -d' ' -f2)
        sgemm=$(sed -n 's/.*sgemm_gflop_s=\([^ ]*\).*/\1/p' "$work/ours" | stats | cut -d' ' -f2)
        rss=$(sed -n 's/.*rss_mb=\([^ ]*\).*/\1/p' "$work/ours" | sort -g | tail -n 1)
        trss=$(sed -n 's/.*rss_mb=\([^ ]*\).*/\1/p' "$work/torch" | sort -g | tail -n 1)
        ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2fx", a / b; else print "-" }'; }
        printf '%-5s %5d %7s | %7s %7s %7s %7s %6s | %7s %7s %7s %7s %6s | %7s %5s | %7s %7s\n' \
            "$model" "$batch" "$(field threads "$work/ours")" "$ot" "$om" "$tt" "$tm" "$(ratio "$om" "$tm")" \
            "$oe" "$oem" "$te" "$tem" "$(ratio "$oem" "$tem")" "$gflops" \
            "$(awk -v a="$gflops" -v b="$sgemm" 'BEGIN { printf "%.2f", a / b }')" "$rss" "${trss:--}"
    done
done

echo
echo "our step, per layer (milliseconds; training forward, backward, and one inference batch), batch 32:"
for model in $models; do
    "$BENCH" "$CFG" "$model" 32 "$(steps_for "$model" 32)" --layers | sed -n 's/^layer /  '"$model"' /p'
done
[ -n "${BENCH_QUICK:-}" ] && exit 0

# A whole sweep run: start-up, data, one epoch of 3,200 training images,
# validation (356 images) and the test set (1,000), against PyTorch's timed
# training steps alone (the table's median at batch 32).
whole_config() { # NAME MODEL: that experiment of CFG for one 3,200-image epoch
    printf '[sweep]\nname = %s\n[data]\ntrain_limit = 3556\ntest_limit = 1000\nvalidation_split = 0.1\n[train]\nepochs = 1\nbatch_size = 32\n' "$1"
    sed -n '/^\[model\]/,/^\[/p' "$CFG" | sed '$d'
    sed -n "/^\[experiment $2\]/,/^$/p" "$CFG"
}
echo
echo "whole sweep run, one epoch of 3,200 training images (+356 validation, 1,000 test), batch 32:"
for model in $models; do
    whole_config whole "$model" > "$work/whole.cfg"
    start=$(date +%s.%N)
    (cd "$work" && "$SWEEP" --fresh --quiet "$work/whole.cfg" > "$work/whole.out")
    seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    torch=${torch_median[$model]:-0}
    awk -v m="$model" -v s="$seconds" -v t="$torch" 'BEGIN {
        r = 3200 / s; printf "  %-5s %6.1f s wall, %6.1f training img/s overall", m, s, r
        if (t > 0) printf "; PyTorch timed steps %6.1f img/s: %.2fx", t, r / t; print "" }'
done

# One node, two cores: one process with two OpenMP threads, or a
# data-parallel group of two ranks with one thread each.
echo
echo "one node, s1e6, the same 3,200-image epoch:"
whole_config layout s1e6 > "$work/layout.cfg"
for layout in "1 2" "2 1"; do
    read -r ranks threads <<< "$layout"
    start=$(date +%s.%N)
    if [ "$ranks" = 1 ]; then
        (cd "$work" && OMP_NUM_THREADS=$threads "$SWEEP" --fresh --quiet "$work/layout.cfg" > /dev/null)
    else
        (cd "$work" && OMP_NUM_THREADS=$threads mpirun --oversubscribe -np $((ranks + 1)) -x OMP_NUM_THREADS \
            "$SWEEP" --fresh --quiet --ranks-per-trial "$ranks" "$work/layout.cfg" > /dev/null)
    fi
    awk -v r="$ranks" -v t="$threads" -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {
        printf "  %d rank%s x %d thread%s: %6.1f s wall, %6.1f img/s\n", r, (r > 1 ? "s" : ""), t, (t > 1 ? "s" : ""), e - s, 3200 / (e - s) }'
done
