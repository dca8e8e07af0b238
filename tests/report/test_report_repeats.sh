#!/usr/bin/env bash
# test_report_repeats: `sweep report` of a real sweep with `[search]
# repeats = 3` (three configurations, nine trials) -- the trials' table
# is the one a sweep without repeats prints, byte for byte (the same file
# with the configuration labels taken off by h5py), and the
# configurations table follows it; `--configurations --csv` and `--json`
# (the options in any order, before or after the file), read back by
# Python's csv and json, hold every configuration in order of mean test
# accuracy with n, means and standard deviations equal to Python's
# statistics module over /summary's figures (grouped by each trial's
# `configuration` attribute, read by h5py) and Welch's t, df and p equal
# to scipy.stats.ttest_ind(equal_var=False) against the best; the text
# table's rows say the same to its four decimals. Run from the repository
# top.
set -u
source "$(dirname "$0")/../shell_testing.sh"
begin_sweep_tests report-repeats

sweep() { timeout 120 "$SWEEP" "$@"; }

# Three dropout rates, three seeds each, one short epoch: the seeds'
# spread is wide, so which configurations are ~best is the data's.
repeats_fixture() {
    [ -s results/rep.h5 ] && return 0
    printf '[sweep]\nname = rep\n[search]\nrepeats = 3\n[data]\ntrain_limit = 600\ntest_limit = 300\n[train]\nepochs = 1\n[model]\nconv = 8\ndense = 32\ndropout = 0 | 0.3 | 0.6\n' > rep.cfg
    sweep --quiet rep.cfg > /dev/null 2> rep.err || { echo "  the sweep failed: $(cat rep.err)" >&2; return 1; }
}

# compare.py FORMAT OUTPUT RESULTS: the configurations export against
# h5py's /summary and /trials/NAME/configuration, Python's statistics and
# scipy's Welch test. Prints the configurations in order, one a line.
cat > compare.py <<'PY'
import csv, io, json, math, statistics, sys
import h5py
from scipy import stats
fmt, out, path = sys.argv[1:4]
text = open(out, newline="").read()
figures = ["test_accuracy", "test_loss", "precision", "recall", "f1", "rmse", "val_accuracy"]
want_header = (["configuration", "n"] + [f + s for f in figures for s in ("_mean", "_sd")] +
               ["t", "df", "p_value", "vs_best"])
if fmt == "csv":
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), "CSV lines end in CRLF"
    header = next(csv.reader(io.StringIO(text, newline="")))
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    none = ""
else:
    rows = json.loads(text)
    assert isinstance(rows, list) and rows, "a JSON array of configurations"
    header = list(rows[0].keys())
    none = None
assert header == want_header, "columns %s\n  want %s" % (header, want_header)

f = h5py.File(path, "r")
summary = f["summary"][()]
status_of = {v: k for k, v in h5py.check_enum_dtype(summary.dtype["status"]).items()}
done, seeds = {}, {}
for row in summary:
    name = row["name"].decode()
    label = f["trials"][name].attrs["configuration"]
    label = label.decode() if isinstance(label, bytes) else str(label)
    assert label and name == "%s_seed-%d" % (label, row["seed"]), "%s: configuration %r" % (name, label)
    seeds.setdefault(label, []).append(int(row["seed"]))
    if status_of[int(row["status"])] == "done":
        done.setdefault(label, []).append(row)
assert all(sorted(s) == [43, 44, 45] for s in seeds.values()), "seeds %s" % seeds

def number(v):
    return None if v == none else float(v)

def same(got, want, rel):
    return got is not None and abs(got - want) <= rel * abs(want) + 1e-300

mean_accuracy = {k: statistics.mean(float(r["test_accuracy"]) for r in v) for k, v in done.items()}
order = sorted(mean_accuracy, key=lambda k: -mean_accuracy[k])
assert [r["configuration"] for r in rows] == order, "order %s, want %s" % ([r["configuration"] for r in rows], order)
best = [float(r["test_accuracy"]) for r in done[order[0]]]
for r in rows:
    name, trials = r["configuration"], done[r["configuration"]]
    assert int(r["n"]) == len(trials) == 3, "%s: n %s" % (name, r["n"])
    for fig in figures:
        values = [float(t[fig]) for t in trials]
        m, s = number(r[fig + "_mean"]), number(r[fig + "_sd"])
        assert same(m, statistics.mean(values), 1e-13), "%s %s mean %r, statistics %r" % (name, fig, m, statistics.mean(values))
        assert same(s, statistics.stdev(values), 1e-12), "%s %s sd %r, statistics %r" % (name, fig, s, statistics.stdev(values))
    if name == order[0]:
        assert r["vs_best"] == "best" and [number(r[k]) for k in ("t", "df", "p_value")] == [None] * 3, r
        continue
    a = [float(t["test_accuracy"]) for t in trials]
    welch = stats.ttest_ind(a, best, equal_var=False)
    va, vb = statistics.variance(a) / len(a), statistics.variance(best) / len(best)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(best) - 1))
    t, d, p = number(r["t"]), number(r["df"]), number(r["p_value"])
    assert same(t, welch.statistic, 1e-10), "%s t %r, scipy %r" % (name, t, welch.statistic)
    assert same(d, df, 1e-10), "%s df %r, Welch %r" % (name, d, df)
    assert same(p, welch.pvalue, 1e-9), "%s p %r, scipy %r" % (name, p, welch.pvalue)
    assert r["vs_best"] == ("~best" if welch.pvalue >= 0.05 else "worse"), "%s: %s at p %r" % (name, r["vs_best"], p)
print("\n".join("%s %s %s %s %s" % (r["configuration"], r["n"], r["test_accuracy_mean"],
                                     r["test_accuracy_sd"], r["p_value"] if r["p_value"] != none else "-")
                for r in rows))
PY

check_configurations() { # FORMAT [report args...]
    local fmt=$1; shift
    run sweep report "$@"
    [ "$status" -eq 0 ] && [ ! -s "$work/err" ] && [ -s "$work/out" ] || { echo "  $*: status $status $(cat "$work/err")" >&2; return 1; }
    cp "$work/out" export.txt
    /usr/bin/python3 compare.py "$fmt" export.txt results/rep.h5 > "configurations.$fmt" || return 1
    [ "$(wc -l < "configurations.$fmt")" -eq 3 ] || { echo "  $(wc -l < "configurations.$fmt") configurations" >&2; return 1; }
}

test_configurations_csv_equals_python_statistics_and_scipy() {
    repeats_fixture || return 1
    check_configurations csv --configurations --csv results/rep.h5 &&
        check_configurations csv results/rep.h5 --csv --configurations
}

test_configurations_json_equals_python_statistics_and_scipy() {
    repeats_fixture || return 1
    check_configurations json --json results/rep.h5 --configurations &&
        check_configurations json results/rep.h5 --configurations --json
}

test_trials_table_unchanged_and_configurations_table_after_it() {
    repeats_fixture || return 1
    # the same file without labels: what a sweep without repeats prints
    cp results/rep.h5 unlabelled.h5
    /usr/bin/python3 -c "
import h5py, sys
with h5py.File(sys.argv[1], 'r+') as f:
    for name in f['trials']:
        del f['trials'][name].attrs['configuration']" unlabelled.h5 || return 1
    sweep report unlabelled.h5 | sed 's/^unlabelled\.h5:/results\/rep.h5:/' > plain.txt || return 1
    run sweep report results/rep.h5
    [ "$status" -eq 0 ] && [ ! -s "$work/err" ] || { echo "  status $status: $(cat "$work/err")" >&2; return 1; }
    [ "$(wc -l < plain.txt)" -eq 11 ] && ! grep -q '^configurations' plain.txt || { echo "  without labels:" >&2; cat plain.txt >&2; return 1; }
    head -n 11 "$work/out" | cmp -s - plain.txt || { echo "  the trials' table changed:" >&2; diff plain.txt <(head -n 11 "$work/out") >&2; return 1; }
    # a blank line, the title, the header, a row per configuration
    sed -n 12p "$work/out" | grep -q '^$' && sed -n 13p "$work/out" | grep -q '^configurations (mean ± sd over repeats' &&
        sed -n 14p "$work/out" | grep -qE '^configuration +n +test_accuracy +test_loss +f1 +vs_best$' &&
        [ "$(wc -l < "$work/out")" -eq 17 ] || { echo "  the configurations table:" >&2; tail -n +12 "$work/out" >&2; return 1; }
    # its rows: the CSV's configurations, n, and mean ± sd to four decimals
    check_configurations csv --csv --configurations results/rep.h5 || return 1
    sweep report results/rep.h5 | tail -n 3 > rows.txt
    local name n mean sd p row want_mark i=0
    while read -r name n mean sd p; do
        i=$((i + 1))
        row=$(sed -n "${i}p" rows.txt)
        case $i in 1) want_mark=best ;; *) want_mark=$(awk -v p="$p" 'BEGIN { print (p >= 0.05 ? "~best" : "p=") }') ;; esac
        echo "$row" | awk -v name="$name" -v n="$n" -v m="$(printf '%.4f' "$mean")" -v s="$(printf '%.4f' "$sd")" -v mark="$want_mark" '
            $1 != name || $2 != n || $3 != m || $4 != "±" || $5 != s { exit 1 }
            mark == "p=" { exit !($NF ~ /^p=/) } mark == "~best" { exit !($(NF - 1) == "~best" && $NF ~ /^p=/) }
            { exit !($NF == mark) }' || { echo "  row $i: $row (CSV: $name $n $mean $sd $p)" >&2; return 1; }
    done < configurations.csv
}

test_configurations_alone_and_usage_errors() {
    repeats_fixture || return 1
    run sweep report --configurations results/rep.h5
    [ "$status" -eq 0 ] && head -1 "$work/out" | grep -q '^results/rep\.h5: 9 trials' &&
        ! grep -q '^name ' "$work/out" && grep -q '^configuration ' "$work/out" ||
        { echo "  --configurations: $(cat "$work/out" "$work/err")" >&2; return 1; }
    run sweep report --configurations --csv --json results/rep.h5
    one_error_line 2 "^sweep: report: --json: one format at a time" && [ ! -s "$work/out" ] || return 1
    run sweep report --configuration results/rep.h5
    one_error_line 2 "^sweep: report: --configuration: unknown option .*--configurations" || return 1
    run sweep report --configurations --json "$work/none.h5"
    one_error_line 4 "^sweep: $work/none\.h5: .*No such file" && [ ! -s "$work/out" ]
}

run_tests test_report_repeats
