#!/usr/bin/env bash
# test_plot: `sweep plot` on real results files -- every picture a
# finished sweep should have is written, each a whole PNG with ink in it
# (tests/png_check.py, an independent reader); the feature scatter has as
# many points as asked; the page, loaded from disk by a real headless
# Chromium, shows every picture decoded and every trial named, sorts by a
# column, and asks nothing of the network; a plot while the sweep trains
# shows what is done, running and pending; and the one-line errors (no
# results file, a bad option, an unwritable directory, a dataset gone).
# Run from the repository top.
set -u
SELF=$(realpath "$0")
REPO=$(pwd)
SWEEP=$(realpath "${SWEEP:-build/sweep}")
PNG_CHECK="/usr/bin/python3 $REPO/tests/png_check.py"
DATA=/usr/share/datasets/fashion-mnist
work=$(mktemp -d /tmp/sweep-plot.XXXXXX)
cd "$work" || exit 1
source "$(dirname "$SELF")/../shell_testing.sh"
clean_up_on_exit
export OMP_NUM_THREADS=1

sweep() { timeout 120 "$SWEEP" "$@"; }

# Four trials on a dropout x l2 grid, two epochs each: a small sweep a
# reader of the study would recognise. Made once, by whichever test needs
# it first (each test runs alone with TEST_ONLY).
grid_fixture() {
    [ -s results/grid.h5 ] && return 0
    printf '[sweep]\nname = grid\n[data]\ntrain_limit = 2000\ntest_limit = 600\n[train]\nepochs = 2\n[model]\nconv = 8\ndense = 32\ndropout = 0 | 0.3\nl2 = 0 | 0.001\nreference_accuracy = 0.85\n' > grid.cfg
    sweep --quiet grid.cfg > /dev/null 2> grid.err || { echo "  the grid sweep failed: $(cat grid.err)" >&2; return 1; }
}

TRIALS="grid_dropout-0_l2-0 grid_dropout-0_l2-0.001 grid_dropout-0.3_l2-0 grid_dropout-0.3_l2-0.001"

# every PNG in DIR whole and not blank: the variance of its samples > 0
pictures_have_ink() { # DIR
    local pngs; pngs=$(ls "$1"/*.png 2> /dev/null)
    [ -n "$pngs" ] || { echo "  no PNG in $1" >&2; return 1; }
    # shellcheck disable=SC2086
    $PNG_CHECK $pngs > "$work/png.txt" || return 1
    [ "$(wc -l < "$work/png.txt")" -eq "$(echo "$pngs" | wc -l)" ] || return 1
    awk '$4 <= 0 { print "  blank: " $1; bad = 1 } $2 < 300 || $3 < 200 { print "  small: " $0; bad = 1 } END { exit bad }' "$work/png.txt" >&2
}

test_plot_of_a_finished_sweep_draws_every_picture() {
    grid_fixture || return 1
    run sweep plot results/grid.h5 --points 300
    [ "$status" -eq 0 ] && [ ! -s "$work/err" ] || { echo "  status $status: $(cat "$work/err")" >&2; return 1; }
    # the default directory: the results file's name without .h5
    [ "$(cat "$work/out")" = "results/grid/index.html" ] || { echo "  printed: $(cat "$work/out")" >&2; return 1; }
    local d=results/grid f t
    for f in index.html accuracy.png accuracy_by_dropout.png accuracy_by_l2.png samples.png \
             confused.png features.png features.csv; do
        [ -s "$d/$f" ] || { echo "  missing $d/$f" >&2; return 1; }
    done
    for t in $TRIALS; do
        for f in curves confusion classes; do
            [ -s "$d/$t.$f.png" ] || { echo "  missing $d/$t.$f.png" >&2; return 1; }
        done
    done
    # settings the grid does not vary get no chart; no file is left half-written
    [ ! -e "$d/accuracy_by_batch_size.png" ] && [ -z "$(ls "$d" | grep '\.tmp$')" ] || return 1
    [ "$(ls "$d"/*.png | wc -l)" -eq $((6 + 3 * 4)) ] || { ls "$d" >&2; return 1; }
    # the configuration's reference figure, beside each trial's own
    [ "$(grep -o '</td><td>0.8500</td><td>' "$d/index.html" | wc -l)" -eq 4 ] ||
        { echo "  the page lacks the reference figures" >&2; return 1; }
    pictures_have_ink "$d"
}

test_scatter_has_the_points_asked_for_from_the_best_trial() {
    grid_fixture || return 1
    run sweep plot --points 250 -o pts results/grid.h5
    [ "$status" -eq 0 ] || { cat "$work/err" >&2; return 1; }
    # a header, then one row per test image, in order, with its true label
    [ "$(head -1 pts/features.csv)" = "test_index,label,class,pc1,pc2" ] || return 1
    [ "$(tail -n +2 pts/features.csv | wc -l)" -eq 250 ] || { echo "  $(tail -n +2 pts/features.csv | wc -l) points" >&2; return 1; }
    gzip -dc "$DATA/t10k-labels-idx1-ubyte.gz" | tail -c +9 | head -c 250 | od -An -v -tu1 | tr -s ' \n' '\n\n' | grep . > labels
    diff <(tail -n +2 pts/features.csv | cut -d, -f2) labels > /dev/null || { echo "  labels differ from the test set's" >&2; return 1; }
    [ "$(tail -n +2 pts/features.csv | cut -d, -f1 | tr '\n' ' ')" = "$(seq 0 249 | tr '\n' ' ')" ] || return 1
    # principal components: centred, the first the wider
    awk -F, 'NR > 1 { n++; a += $4; b += $5; aa += $4 * $4; bb += $5 * $5 }
        END { ma = a / n; mb = b / n; va = aa / n - ma * ma; vb = bb / n - mb * mb
              exit !(va > 0 && vb > 0 && va >= vb && ma * ma < 1e-6 * va && mb * mb < 1e-6 * vb) }' pts/features.csv ||
        { echo "  the points are not principal components" >&2; return 1; }
    # the page names the best trial as the scatter's source
    local best; best=$(sweep report results/grid.h5 | awk '$NF == "best" { print $1 }')
    [ -n "$best" ] && grep -q "features.png" pts/index.html && grep -q "$best" pts/index.html || return 1
    # the same file gives the same points
    run sweep plot --points 250 -o pts2 results/grid.h5
    [ "$status" -eq 0 ] && cmp -s pts/features.csv pts2/features.csv || { echo "  a second plot differs" >&2; return 1; }
}

# check_page DIR: Chromium loads DIR/index.html from disk, headless, with
# a net log; a script appended to a copy of the page reports, once every
# picture has loaded, what the page shows. Writes $work/page.json.
check_page() {
    local dir=$1
    command -v chromium > /dev/null || { echo "  no chromium" >&2; return 1; }
    { cat "$dir/index.html"
      cat <<'EOF'
<script>
window.addEventListener('load', function () {
  var images = Array.from(document.images);
  var bad = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                  .map(function (i) { return i.getAttribute('src'); });
  var names = Array.from(document.querySelectorAll('tbody td.name a')).map(function (a) { return a.textContent; });
  var marks = Array.from(document.querySelectorAll('tbody tr')).map(function (r) { return r.cells[1].textContent; });
  var headers = Array.from(document.querySelectorAll('table.sortable th')).map(function (h) { return h.textContent; });
  var lossColumn = headers.indexOf('test_loss');
  var column = function () {
    return Array.from(document.querySelectorAll('tbody tr')).map(function (r) { return r.cells[lossColumn].textContent; });
  };
  var lossDown = [], lossUp = [];
  if (lossColumn >= 0) {   /* one click sorts high to low, the next low to high */
    document.querySelectorAll('table.sortable th')[lossColumn].click();
    lossDown = column();
    document.querySelectorAll('table.sortable th')[lossColumn].click();
    lossUp = column();
  }
  var requested = performance.getEntriesByType('resource').map(function (e) { return e.name; });
  var out = document.createElement('pre');
  out.id = 'page-check';
  out.textContent = JSON.stringify({ images: images.length, bad: bad, names: names, marks: marks,
                                     lossDown: lossDown, lossUp: lossUp, requested: requested });
  document.body.appendChild(out);
});
</script>
EOF
    } > "$dir/check.html"
    # the browser's own traffic (updates, time, dictionaries) off: what is
    # left in the net log is the page's
    timeout 60 chromium --headless --host-resolver-rules="MAP * ~NOTFOUND" --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/chrome" \
        --disable-background-networking --disable-component-update --disable-sync --disable-domain-reliability \
        --disable-features=SpellCheck,NetworkTimeServiceQuerying,OptimizationHints,Translate \
        --log-net-log="$work/net.json" --virtual-time-budget=10000 --dump-dom "file://$(realpath "$dir")/check.html" \
        > "$work/dom.html" 2> "$work/chrome.err" || { echo "  chromium failed: $(tail -n 3 "$work/chrome.err")" >&2; return 1; }
    /usr/bin/python3 - "$work/dom.html" > "$work/page.json" <<'EOF' || { echo "  no report from the page" >&2; return 1; }
import html, re, sys
m = re.search(r'<pre id="page-check">(.*?)</pre>', open(sys.argv[1]).read(), re.S)
sys.exit(1) if not m else print(html.unescape(m.group(1)))
EOF
}

# A python function: the URLs a page asked the network for, from
# Chromium's net log. The browser's own requests (updates, time,
# dictionaries) have no origin as initiator ("not an origin"); a page's
# carry its origin (a file page's is "null").
PAGE_REQUESTS='
import json
def page_requests(path):
    log = json.load(open(path))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return sorted({e["params"]["url"] for e in log["events"] if e["type"] == start and "url" in e.get("params", {})
                   and e.get("params", {}).get("initiator") != "not an origin"
                   and not e["params"].get("url", "").startswith("file:")})
'

test_the_network_check_sees_a_page_request() {
    # the check below can fail: a page with one picture from the network
    mkdir -p control && printf '<!DOCTYPE html><html><body><img src="http://sweep-test.invalid/x.png"></body></html>\n' > control/index.html
    check_page control || return 1
    /usr/bin/python3 -c "$PAGE_REQUESTS
import sys
found = page_requests(sys.argv[1])
sys.exit(0 if found == ['http://sweep-test.invalid/x.png'] else 1)" "$work/net.json" ||
        { echo "  the net log check missed the control page's request" >&2; return 1; }
}

test_page_in_a_real_browser_shows_every_picture_and_trial() {
    grid_fixture || return 1
    sweep plot -o page results/grid.h5 > /dev/null 2> "$work/err" || { cat "$work/err" >&2; return 1; }
    check_page page || return 1
    cat > "$work/page_check.py" <<'EOF'
import json, os, sys
page = json.load(open(sys.argv[1]))
fail = []
if page["images"] != 18: fail.append("%d images, expected 18" % page["images"])
if page["bad"]: fail.append("pictures that did not decode: %s" % page["bad"])
if sorted(page["names"]) != sorted(os.environ["TRIALS"].split()): fail.append("names %s" % page["names"])
if page["marks"].count("best") != 1 or page["marks"][0] != "best": fail.append("marks %s" % page["marks"])
down = [float(v) for v in page["lossDown"]]; up = [float(v) for v in page["lossUp"]]
if down != sorted(down, reverse=True) or up != sorted(up) or len(up) != 4: fail.append("sorting: %s / %s" % (down, up))
if [u for u in page["requested"] if not u.startswith("file://")]: fail.append("requests: %s" % page["requested"])
fail += ["network: %s" % u for u in page_requests(sys.argv[2])]
if fail:
    print("\n".join("  " + f for f in fail), file=sys.stderr); sys.exit(1)
EOF
    TRIALS=$TRIALS /usr/bin/python3 -c "$PAGE_REQUESTS
$(cat "$work/page_check.py")" "$work/page.json" "$work/net.json"
}

test_plot_while_the_sweep_trains_shows_what_is_done() {
    start_midway || return 1
    run sweep plot results/midway.h5
    local rc=0
    [ "$status" -eq 0 ] || { echo "  status $status: $(cat "$work/err")" >&2; rc=1; }
    kill -0 "$midway_pid" 2> /dev/null || { echo "  inconclusive: the sweep ended first" >&2; rc=1; }
    kill -TERM "$midway_pid"; wait "$midway_bg"
    [ "$rc" -eq 0 ] || return 1
    local d=results/midway
    # the done trial has all its pictures; the running one its curves so far; the pending none
    [ -s $d/short.curves.png ] && [ -s $d/short.confusion.png ] && [ -s $d/long.curves.png ] &&
        [ ! -e $d/long.confusion.png ] && [ ! -e $d/after.curves.png ] || { ls $d >&2; return 1; }
    grep -q '<td class="running">running</td>' $d/index.html && grep -q '<td class="pending">pending</td>' $d/index.html &&
        grep -q '<td class="best">best</td>' $d/index.html || { echo "  the page does not show the states" >&2; return 1; }
    grep -q 'after <small>(pending, 0 of 4 epochs)' $d/index.html || { echo "  the pending trial's section" >&2; return 1; }
    pictures_have_ink $d
    # after the signal: interrupted, shown as such
    run sweep plot results/midway.h5
    [ "$status" -eq 0 ] && grep -q '<td class="interrupted">interrupted</td>' $d/index.html ||
        { echo "  after the signal: status $status $(cat "$work/err")" >&2; return 1; }
}

test_plot_errors_are_one_line() {
    run sweep plot "$work/none.h5"
    one_error_line 4 "^sweep: $work/none\.h5: .*No such file" || return 1
    run sweep plot
    one_error_line 2 "^sweep: plot: no results file" || return 1
    run sweep plot --colour red x.h5
    one_error_line 2 "^sweep: plot: --colour: unknown" || return 1
    run sweep plot --points 0 x.h5
    one_error_line 2 "^sweep: plot: --points 0" || return 1
    grid_fixture || return 1
    echo 'a file in the way' > blocker
    run sweep plot -o blocker/plots results/grid.h5
    one_error_line 4 "^sweep: blocker.*Not a directory" || return 1
    [ ! -s "$work/out" ] || return 1
}

# The dataset moved away after training: every picture that needs no
# image is still drawn and the page written, and the status says which
# file is missing.
test_plot_without_the_dataset_draws_the_rest_and_says_why() {
    mkdir -p mydata && cp "$DATA"/*-ubyte.gz mydata/ || return 1
    printf '[sweep]\nname = moved\n[data]\ndir = mydata\ntrain_limit = 600\ntest_limit = 200\n[train]\nepochs = 1\n[model]\nconv = 4\ndense = 8\ndropout = 0 | 0.3\n' > moved.cfg
    sweep --quiet moved.cfg > /dev/null 2>&1 || return 1
    rm -rf mydata
    run sweep plot results/moved.h5
    one_error_line 3 "^sweep: mydata/t10k-images-idx3-ubyte\.gz: .*No such file.*left out" || return 1
    [ -s results/moved/index.html ] && [ -s results/moved/accuracy.png ] && [ -s results/moved/moved_dropout-0.curves.png ] &&
        [ ! -e results/moved/samples.png ] || { ls results/moved >&2; return 1; }
    grep -q 'class="note">mydata/t10k-images' results/moved/index.html || { echo "  the page does not say what is missing" >&2; return 1; }
}

# Cairo is the plots' alone: a cluster build without it still trains.
test_a_build_without_cairo_trains_and_says_plot_is_missing() {
    make -C "$REPO" -s -j2 BUILD="$work/noplot" PLOT=no "$work/noplot/sweep" > make.out 2>&1 ||
        { tail -n 5 make.out >&2; return 1; }
    ! ldd "$work/noplot/sweep" | grep -q cairo || { echo "  linked with cairo" >&2; return 1; }
    printf '[sweep]\nname = nc\n[data]\ntrain_limit = 300\ntest_limit = 100\n[train]\nepochs = 1\n[model]\nconv = 2\ndense = 4\n' > nc.cfg
    timeout 60 "$work/noplot/sweep" --quiet nc.cfg > nc.out 2>&1 && grep -q '^nc .* best$' nc.out ||
        { echo "  training failed: $(tail -n 3 nc.out)" >&2; return 1; }
    run timeout 20 "$work/noplot/sweep" plot results/nc.h5
    one_error_line 2 "^sweep: plot: this sweep was built without cairo"
}

run_tests test_plot
