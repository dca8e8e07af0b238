#!/usr/bin/env bash
# test_report_formats: `sweep report --csv` and `--json` on a real
# results file, read back by Python's csv and json modules and h5py: one
# row per trial in the text table's order, the columns /summary's own by
# name, every figure equal to /summary's to the last bit, one best; the
# option before or after the file; a sweep caught midway shows its
# running and pending trials with empty figures; the usage and file
# errors in one line. Run from the repository top.
set -u
SELF=$(realpath "$0")
SWEEP=$(realpath "${SWEEP:-build/sweep}")
work=$(mktemp -d /tmp/sweep-report-formats.XXXXXX)
cd "$work" || exit 1
source "$(dirname "$SELF")/../shell_testing.sh"
clean_up_on_exit
export OMP_NUM_THREADS=1

sweep() { timeout 120 "$SWEEP" "$@"; }

three_fixture() {
    [ -s results/three.h5 ] && return 0
    printf '[sweep]\nname = three\n[data]\ntrain_limit = 600\ntest_limit = 300\n[train]\nepochs = 1\n[model]\nconv = 8\ndense = 32\ndropout = 0 | 0.3 | 0.5\n' > three.cfg
    sweep --quiet three.cfg > /dev/null || { echo "  the sweep failed" >&2; return 1; }
}

# compare.py FORMAT OUTPUT RESULTS TABLE: the export against h5py's
# /summary and the text table's order.
cat > compare.py <<'PY'
import csv, io, json, math, sys
import h5py
fmt, out, path, table = sys.argv[1:5]
text = open(out).read()
if fmt == "csv":
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    columns = list(csv.reader(io.StringIO(text, newline="")))[0]
else:
    doc = json.loads(text)
    rows = doc["trials"]
    columns = list(rows[0].keys()) if rows else []
    assert doc["file"] == path and doc["sweep"]["trials"] == len(rows), doc["sweep"]
summary = h5py.File(path, "r")["summary"][()]
names = list(summary.dtype.names)
assert columns == names + ["best"], "columns %s\n  /summary %s" % (columns, names)
assert len(rows) == len(summary) > 0, "%d rows, /summary has %d" % (len(rows), len(summary))
by_name = {r["name"].decode(): r for r in summary}
order = [l.split()[0] for l in open(table).read().splitlines()[2:]]
assert [r["name"] for r in rows] == order, "order %s, table %s" % ([r["name"] for r in rows], order)
status_names = h5py.check_enum_dtype(summary.dtype["status"])
status_of = {v: k for k, v in status_names.items()}
bests = 0
for r in rows:
    s = by_name[r["name"]]
    for f in names:
        v, want = r[f], s[f]
        if f == "status":
            want = status_of[int(want)]
        elif isinstance(want, bytes):
            want = want.decode()
        elif isinstance(want.item(), float):
            if math.isnan(want):
                assert v in ("", None), "%s %s: %r for NaN" % (r["name"], f, v)
                continue
            v = float(v)
        else:
            v, want = int(v), int(want)
        assert v == want, "%s %s: %r, /summary %r" % (r["name"], f, v, want)
    best = r["best"] in ("1", True)
    bests += best
    assert best == (r is rows[0] and r["status"] == "done"), "best mark on %s" % r["name"]
assert bests == (1 if rows[0]["status"] == "done" else 0), "%d best" % bests
print(len(rows))
PY

check_export() { # FORMAT RESULTS ROWS [report args...]
    local fmt=$1 results=$2 rows=$3; shift 3
    run sweep report "$@"
    [ "$status" -eq 0 ] && [ ! -s "$work/err" ] && [ -s "$work/out" ] || { echo "  $*: status $status $(cat "$work/err")" >&2; return 1; }
    cp "$work/out" export.txt
    sweep report "$results" > table.txt || return 1
    local n; n=$(/usr/bin/python3 compare.py "$fmt" export.txt "$results" table.txt) || return 1
    [ "$n" -eq "$rows" ] || { echo "  $n rows, expected $rows" >&2; return 1; }
}

test_csv_rows_equal_summary_in_table_order() {
    three_fixture || return 1
    check_export csv results/three.h5 3 --csv results/three.h5 && check_export csv results/three.h5 3 results/three.h5 --csv
}

test_json_rows_equal_summary_in_table_order() {
    three_fixture || return 1
    check_export json results/three.h5 3 --json results/three.h5 && check_export json results/three.h5 3 results/three.h5 --json
}

test_a_sweep_caught_midway_exports_its_unfinished_trials() {
    start_midway || return 1
    # a snapshot: the sweep publishes again while the checks read; a copy
    # of the published file is one consistent state
    cp results/midway.h5 snap.h5 || return 1
    local rc=0
    check_export csv snap.h5 3 --csv snap.h5 || rc=1
    check_export json snap.h5 3 --json snap.h5 || rc=1
    grep -q '"status": "running"' export.txt && grep -q '"status": "pending"' export.txt || { echo "  states" >&2; rc=1; }
    kill -0 "$midway_pid" 2> /dev/null || { echo "  inconclusive: the sweep ended first" >&2; rc=1; }
    kill -TERM "$midway_pid"; wait "$midway_bg"
    return $rc
}

test_report_usage_and_file_errors_are_one_line() {
    run sweep report --csv --json x.h5
    one_error_line 2 "^sweep: report: --json: one format at a time" && [ ! -s "$work/out" ] || return 1
    run sweep report --tsv x.h5
    one_error_line 2 "^sweep: report: --tsv: unknown option" || return 1
    run sweep report --csv
    one_error_line 2 "^sweep: report: no results file" || return 1
    run sweep report --json "$work/none.h5"
    one_error_line 4 "^sweep: $work/none\.h5: .*No such file" && [ ! -s "$work/out" ]
}

run_tests test_report_formats
