# shell_testing: the harness every tests/test_*.sh sources, as testing.h
# is for the C tests. A test is a function test_NAME named after the
# behaviour it protects; its status decides: 0 passed, 77 skipped (not
# counted: the machine cannot do what it needs), anything else failed.
# run_tests runs the calling script's tests in file order and prints
# "SUITE: N passed, N failed" last (tests/run.sh adds up those lines);
# TEST_ONLY=WORD runs only the tests whose name holds WORD. Helpers the
# tests share: run and one_error_line (a command's one-line error),
# summary_field (a /summary column through h5dump), same_results (two
# results files alike), wait_for (a line in a log), clean_up_on_exit
# (background jobs and $work removed however the script ends), and
# start_midway (a sweep caught with one trial done, one running, one
# pending). The caller sets SELF (its own path) and work (a scratch
# directory) first, or calls begin_sweep_tests.

passed=0; failed=0

# begin_sweep_tests NAME: what a sweep test script starts with -- SELF,
# REPO (the repository top, where it runs from), SWEEP and DIGEST (build/
# unless set), mpirun allowed as root, one OpenMP thread, a scratch $work
# removed at exit, and the working directory there.
begin_sweep_tests() {
    SELF=$(realpath "$0")
    REPO=$(pwd)
    SWEEP=$(realpath "${SWEEP:-build/sweep}")
    DIGEST=$(realpath "${DIGEST:-build/results_digest}")
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
    work=$(mktemp -d "/tmp/sweep-$1.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    cd "$work" || exit 1
}

check() { # NAME COMMAND...
    local name=$1 rc; shift
    "$@"; rc=$?
    if [ "$rc" -eq 0 ]; then echo "ok $name"; passed=$((passed + 1))
    elif [ "$rc" -eq 77 ]; then echo "skip $name (not counted)"
    else echo "FAIL $name"; failed=$((failed + 1)); fi
}

# run CMD...: stdout to $work/out, stderr to $work/err, status to $status
run() { "$@" > "$work/out" 2> "$work/err"; status=$?; }

# After run: the command exited EXPECTED_STATUS with exactly one line on
# stderr, matching PATTERN.
one_error_line() { # EXPECTED_STATUS PATTERN
    [ "$status" -eq "$1" ] || { echo "  status $status, expected $1: $(head -5 "$work/err")" >&2; return 1; }
    [ "$(wc -l < "$work/err")" -eq 1 ] || { echo "  stderr is not one line:" >&2; head -20 "$work/err" >&2; return 1; }
    grep -qE "$2" "$work/err" || { echo "  stderr: $(cat "$work/err")" >&2; return 1; }
}

# /summary's FIELD for every row, as "NAME VALUE" lines, read with h5dump
# (the field's position is taken from the compound type, not assumed).
summary_field() { # FILE FIELD
    h5dump -d /summary -y -w 0 -m '%.17g' "$1" | awk -v want="$2" '
        /DATATYPE/ { intype = 1 }
        intype && /"[A-Za-z0-9_]+";[ \t]*$/ {
            match($0, /"[A-Za-z0-9_]+";[ \t]*$/); f = substr($0, RSTART + 1, RLENGTH - 1)
            sub(/";.*/, "", f); n++
            if (f == "name") iname = n; if (f == want) iwant = n }
        /DATASPACE/ { intype = 0 }
        /^ *DATA \{/ { indata = 1; next }
        indata && /^ *\{ *$/ { k = 0; inrow = 1; next }
        indata && inrow && /^ *\},? *$/ { print vname, vwant; inrow = 0; next }
        indata && inrow { k++; v = $0; sub(/^ +/, "", v); sub(/,$/, "", v); gsub(/"/, "", v)
                          if (k == iname) vname = v; if (k == iwant) vwant = v }
        END { if (!iwant) exit 1 }'
}

# same_results A.h5 B.h5: the two results files hold the same models,
# histories and predictions (results_digest, $DIGEST, reads both: an
# unreadable file or an empty digest is a failure, never a match).
same_results() {
    "$DIGEST" "$1" > "$work/digest-a" 2>&1 || { echo "  $1: $(head -1 "$work/digest-a")" >&2; return 1; }
    "$DIGEST" "$2" > "$work/digest-b" 2>&1 || { echo "  $2: $(head -1 "$work/digest-b")" >&2; return 1; }
    [ -s "$work/digest-a" ] || { echo "  empty digest of $1" >&2; return 1; }
    diff "$work/digest-a" "$work/digest-b" >&2 || { echo "  $2 differs from $1 (above)" >&2; return 1; }
}

# wait_for FILE PATTERN SECONDS PID: until FILE has a line matching
# PATTERN (0), or PID ends or time runs out (1).
wait_for() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -qE "$2" "$1" 2> /dev/null && return 0
        kill -0 "$4" 2> /dev/null || { grep -qE "$2" "$1" 2> /dev/null; return; }
        sleep 0.05
    done
    return 1
}

# clean_up_on_exit: however the script ends, kill the background jobs it
# started (their PIDs in jobs_started), run extra_cleanup if the script
# defines one, and remove $work. Only the script's own shell cleans up,
# not a subshell that inherited the trap and failed.
jobs_started=()
clean_up_on_exit() {
    shell_testing_main=$BASHPID
    trap shell_testing_cleanup EXIT
    trap 'exit 130' INT TERM HUP
}
shell_testing_cleanup() {
    [ "$BASHPID" = "$shell_testing_main" ] || return 0
    local p
    for p in ${jobs_started[@]+"${jobs_started[@]}"}; do kill "$p" 2> /dev/null; done
    wait 2> /dev/null
    declare -F extra_cleanup > /dev/null && extra_cleanup
    cd /
    rm -rf "$work"
}

# A sweep whose trial `short` ends in a moment, `long` trains 4 epochs of
# about 0.3 s or more, and `after` is never reached; every event is
# published at once. midway_cfg FILE writes it.
midway_cfg() {
    printf '[sweep]\nname = midway\npublish_interval = 0\n[data]\ntrain_limit = 4000\ntest_limit = 300\n[train]\nepochs = 4\npatience = 10\n[model]\nconv = 8\ndense = 32\n[experiment short]\ntrain_limit = 600\nepochs = 1\n[experiment long]\n[experiment after]\ndropout = 0.3\n' > "$1"
}

# start_midway: starts it ($SWEEP, in the current directory) in the
# background and returns once trial long has finished an epoch;
# midway_pid is the sweep, midway_bg the job to wait for.
start_midway() {
    rm -rf results/midway.h5 results/midway.weights jobs/midway job.pid
    midway_cfg midway.cfg
    # timeout runs sh, which execs sweep: job.pid is the sweep itself
    timeout 120 sh -c 'echo $$ > job.pid; exec "$@"' sh "$SWEEP" midway.cfg > job.out 2> job.err &
    midway_bg=$!
    jobs_started+=("$midway_bg")
    local i; for ((i = 0; i < 100; i++)); do [ -s job.pid ] && break; sleep 0.02; done
    midway_pid=$(cat job.pid)
    wait_for job.out '^long epoch 1/4 ' 60 "$midway_pid" || { echo "  trial long never printed an epoch: $(cat job.err)" >&2; return 1; }
}

run_tests() { # SUITE
    local t t0
    for t in $(grep -oE '^test_[a-z0-9_]+\(\)' "$SELF" | tr -d '()'); do
        [[ $t == *"${TEST_ONLY:-}"* ]] || continue
        t0=$SECONDS
        check "$t" "$t"
        echo "  $t: $((SECONDS - t0)) s" >&2
    done
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
