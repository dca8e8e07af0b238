#!/usr/bin/env bash
# test_plot_repeats: `sweep plot` of a real sweep with `[search] repeats =
# 3` -- configurations.png is drawn (a whole PNG with ink, read by
# tests/png_check.py), and index.html has the configurations table: one
# row per configuration in `sweep report --configurations --csv`'s order,
# its n, mean test accuracy and p as the CSV says, the best row marked and
# exactly the ~best rows marked so; in a real headless Chromium that
# table sorts by its own columns while the trials' table keeps working; a
# sweep without repeats has neither; a chart that cannot be written
# leaves the page written with a note, one line and status 4. Run from
# the repository top.
set -u
source "$(dirname "$0")/../shell_testing.sh"
begin_sweep_tests plot-repeats
PNG_CHECK="/usr/bin/python3 $REPO/tests/png_check.py"

sweep() { timeout 120 "$SWEEP" "$@"; }

# Three dropout rates, two close together and one far off, three seeds each.
repeats_fixture() {
    [ -s results/rep.h5 ] && return 0
    printf '[sweep]\nname = rep\n[search]\nrepeats = 3\n[data]\ntrain_limit = 2000\ntest_limit = 600\n[train]\nepochs = 2\n[model]\nconv = 8\ndense = 32\ndropout = 0 | 0.1 | 0.6\n' > rep.cfg
    sweep --quiet rep.cfg > /dev/null 2> rep.err || { echo "  the sweep failed: $(cat rep.err)" >&2; return 1; }
}

# page_rows.py PAGE CSV: the page's configurations table against the
# CSV, row by row.
cat > page_rows.py <<'PY'
import csv, html.parser, io, sys
page, export = sys.argv[1:3]

class Tables(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.tables = []; self.cell = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table": self.tables.append({"head": [], "rows": []})
        elif tag == "tr": self.row = {"class": a.get("class", ""), "cells": []}
        elif tag in ("td", "th"): self.cell = ""
    def handle_endtag(self, tag):
        t = self.tables[-1] if self.tables else None
        if tag in ("td", "th") and self.cell is not None:
            self.row["cells"].append(self.cell.strip()); self.cell = None
        elif tag == "tr" and t is not None:
            if self.row["cells"] and not t["head"]: t["head"] = self.row["cells"]
            else: t["rows"].append(self.row)
    def handle_data(self, data):
        if self.cell is not None: self.cell += data

p = Tables(); p.feed(open(page).read())
tables = [t for t in p.tables if t["head"] and t["head"][0] == "configuration"]
assert len(tables) == 1, "%d configurations tables" % len(tables)
head, rows = tables[0]["head"], tables[0]["rows"]
want = list(csv.DictReader(io.StringIO(open(export, newline="").read(), newline="")))
assert [r["cells"][0] for r in rows] == [w["configuration"] for w in want], \
    "rows %s, CSV %s" % ([r["cells"][0] for r in rows], [w["configuration"] for w in want])
col = {name: head.index(name) for name in ("n", "test_accuracy", "p_value", "vs_best", "seeds")}
for r, w in zip(rows, want):
    cells = r["cells"]
    assert cells[col["n"]] == w["n"], (cells, w)
    m, s = cells[col["test_accuracy"]].split(" \u00b1 ")
    assert m == "%.4f" % float(w["test_accuracy_mean"]) and s == "%.4f" % float(w["test_accuracy_sd"]), (cells, w)
    assert cells[col["p_value"]] == ("-" if not w["p_value"] else "%.3g" % float(w["p_value"])), (cells, w)
    assert cells[col["vs_best"]] == (w["vs_best"] or "-"), (cells, w)
    assert r["class"] == {"best": "best", "~best": "like-best"}.get(w["vs_best"], ""), (r["class"], w)
    assert cells[col["seeds"]].split() == ["43", "44", "45"], cells
print(len(rows), sum(w["vs_best"] == "~best" for w in want), sum(w["vs_best"] == "worse" for w in want))
PY

test_plot_of_repeats_draws_the_configurations_chart_and_table() {
    repeats_fixture || return 1
    run sweep plot results/rep.h5 --points 200
    [ "$status" -eq 0 ] && [ ! -s "$work/err" ] || { echo "  status $status: $(cat "$work/err")" >&2; return 1; }
    local d=results/rep
    [ -s $d/configurations.png ] || { echo "  no configurations.png" >&2; ls $d >&2; return 1; }
    $PNG_CHECK $d/configurations.png > png.txt || return 1
    awk '$2 != 1000 || $3 < 280 || $4 <= 0 { exit 1 }' png.txt || { echo "  the chart: $(cat png.txt)" >&2; return 1; }
    grep -q '<img src="configurations.png"' $d/index.html && grep -q '<h2>Configurations</h2>' $d/index.html ||
        { echo "  the page has no configurations section" >&2; return 1; }
    sweep report --configurations --csv results/rep.h5 > configurations.csv || return 1
    /usr/bin/python3 page_rows.py $d/index.html configurations.csv > rows.txt || return 1
    [ "$(cut -d' ' -f1 rows.txt)" -eq 3 ] || { echo "  rows: $(cat rows.txt)" >&2; return 1; }
}

test_configurations_table_sorts_in_a_real_browser() {
    repeats_fixture || return 1
    command -v chromium > /dev/null || { echo "  no chromium" >&2; return 1; }
    sweep plot -o page results/rep.h5 --points 100 > /dev/null 2> "$work/err" || { cat "$work/err" >&2; return 1; }
    { cat page/index.html
      cat <<'EOF'
<script>
window.addEventListener('load', function () {
  var tables = document.querySelectorAll('table.sortable');
  var column = function (table, name) {
    var i = Array.from(table.tHead.rows[0].cells).map(function (c) { return c.textContent; }).indexOf(name);
    return Array.from(table.tBodies[0].rows).map(function (r) { return r.cells[i].textContent; });
  };
  var click = function (table, name) {
    Array.from(table.tHead.rows[0].cells).filter(function (c) { return c.textContent === name; })[0].click();
  };
  var out = { tables: tables.length };
  click(tables[1], 'test_loss'); out.lossDown = column(tables[1], 'test_loss');
  click(tables[1], 'test_loss'); out.lossUp = column(tables[1], 'test_loss');
  click(tables[1], 'configuration'); out.names = column(tables[1], 'configuration');
  click(tables[0], 'test_loss'); out.trialLoss = column(tables[0], 'test_loss');
  var pre = document.createElement('pre'); pre.id = 'page-check';
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>
EOF
    } > page/check.html
    timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/chrome" \
        --disable-background-networking --disable-component-update --disable-sync \
        --virtual-time-budget=10000 --dump-dom "file://$(realpath page)/check.html" > dom.html 2> chrome.err ||
        { echo "  chromium failed: $(tail -n 3 chrome.err)" >&2; return 1; }
    /usr/bin/python3 - dom.html <<'EOF'
import html, json, re, sys
m = re.search(r'<pre id="page-check">(.*?)</pre>', open(sys.argv[1]).read(), re.S)
if not m: sys.exit("  no report from the page")
page = json.loads(html.unescape(m.group(1)))
mean = lambda cells: [float(c.split(" \u00b1 ")[0]) for c in cells]
fail = []
if page["tables"] != 2: fail.append("%d sortable tables" % page["tables"])
down, up = mean(page["lossDown"]), mean(page["lossUp"])
if down != sorted(down, reverse=True) or up != sorted(up) or len(up) != 3: fail.append("loss: %s / %s" % (down, up))
if sorted(page["names"]) != ["rep_dropout-0", "rep_dropout-0.1", "rep_dropout-0.6"] or \
   page["names"] not in (sorted(page["names"]), sorted(page["names"], reverse=True)): fail.append("names %s" % page["names"])
trial = [float(v) for v in page["trialLoss"]]
if trial != sorted(trial, reverse=True) or len(trial) != 9: fail.append("the trials' table: %s" % trial)
if fail: sys.exit("\n".join("  " + f for f in fail))
EOF
}

test_a_sweep_without_repeats_has_no_configurations() {
    printf '[sweep]\nname = plain\n[data]\ntrain_limit = 600\ntest_limit = 200\n[train]\nepochs = 1\n[model]\nconv = 4\ndense = 8\ndropout = 0 | 0.3\n' > plain.cfg
    sweep --quiet plain.cfg > /dev/null 2>&1 || return 1
    run sweep plot results/plain.h5 --points 50
    [ "$status" -eq 0 ] && [ -s results/plain/index.html ] || { echo "  status $status: $(cat "$work/err")" >&2; return 1; }
    [ ! -e results/plain/configurations.png ] && ! grep -q 'Configurations' results/plain/index.html ||
        { echo "  a configurations section without repeats" >&2; return 1; }
}

test_a_chart_that_cannot_be_written_leaves_the_page_and_one_line() {
    repeats_fixture || return 1
    mkdir -p blocked/configurations.png/in-the-way   # a directory: the rename over it fails
    run sweep plot -o blocked results/rep.h5 --points 50
    one_error_line 4 "^sweep: blocked/configurations\.png" || return 1
    [ -s blocked/index.html ] && grep -q '<h2>Configurations</h2>' blocked/index.html &&
        grep -q 'class="note">blocked/configurations\.png' blocked/index.html &&
        ! grep -q '<img src="configurations.png"' blocked/index.html ||
        { echo "  the page: $(grep -c . blocked/index.html) lines, no note or a picture" >&2; return 1; }
}

run_tests test_plot_repeats
