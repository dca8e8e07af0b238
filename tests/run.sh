#!/usr/bin/env bash
# Runs every test program given on the command line (and shell tests
# tests/test_*.sh), then prints the totals as the closing line.
set -u
passed=0; failed=0
for t in "$@"; do
    echo "== $t"
    # A shell test runs under bash even if its execute bit was lost.
    case "$t" in
        *.sh) out=$(bash "$t" 2>&1); rc=$? ;;
        *) out=$("$t" 2>&1); rc=$? ;;
    esac
    echo "$out"
    line=$(echo "$out" | grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/')
        f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/')
        passed=$((passed + p)); failed=$((failed + f))
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            echo "FAIL $t exited $rc"; failed=$((failed + 1)); fi
    else
        echo "FAIL $t exited $rc without a summary line"; failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
