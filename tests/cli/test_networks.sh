#!/usr/bin/env bash
# test_networks: models given as network files, as a user meets them --
# sweep/resnet.cfg trains; a graph trial gives one model however many
# ranks train it; a network's hash follows its layers, not its comments;
# a network file's faults are one line naming the file and line. Each
# test runs alone (TEST_ONLY=WORD). Run from the repository top.
set -u
source "$(dirname "$(realpath "$0")")/../shell_testing.sh"
begin_sweep_tests networks

# A small graph with every joining kind: a residual add, a concatenation,
# a strided conv, batch norm and dropout (keyed masks), average pooling.
cat > "$work/graph.net" <<'NET'
[conv]
name = stem
filters = 8
activation = relu
[conv]
filters = 8
[batch_norm]
[add]
from = -1, stem
[conv]
name = down
filters = 12
stride = 2
[conv]
name = side
from = down
filters = 2
size = 1
[avg_pool]
from = down
size = 3
stride = 1
padding = same
[concat]
from = side, -1
[global_avg_pool]
[dropout]
[dense]
units = 10
NET
cat > "$work/graph.cfg" <<'CFG'
[sweep]
name = graph
[data]
train_limit = 2000
test_limit = 200
[train]
epochs = 3
batch_size = 32
[model]
network = graph.net
dropout = 0.2
CFG

test_resnet_cfg_trains_with_a_smoke_override() {
    mkdir -p "$work/resnet" && cd "$work/resnet" || return 1
    run timeout 300 "$SWEEP" --quiet --set train.epochs=1 --set data.train_limit=300 \
        --set data.test_limit=100 "$REPO/sweep/resnet.cfg"
    cd "$work"
    [ "$status" -eq 0 ] || { cat "$work/err" >&2; return 1; }
    summary_field "$work/resnet/results/resnet.h5" status > "$work/resnet.status" ||
        { echo "  no /summary status" >&2; return 1; }
    [ "$(grep -c ' done$' "$work/resnet.status")" -eq 2 ] || { cat "$work/resnet.status" >&2; return 1; }
    # the trials record the network they trained
    h5dump -a /trials/resnet_dropout-0/network "$work/resnet/results/resnet.h5" |
        grep -q 'global_avg_pool' || { echo "  no network attribute" >&2; return 1; }
}

# One process and three ranks (two groups of one) give the same weights
# and predictions (results_digest); groups of two give the same model at
# N = 3 and N = 5, and, summing in another order, a test loss within 0.1%
# and accuracy within 0.01 of one rank's (README, "Groups").
test_a_graph_trial_is_one_model_whatever_the_ranks() {
    local d
    for d in one three pair pairs; do mkdir -p "$work/$d"; done
    (cd "$work/one" && "$SWEEP" --quiet "$work/graph.cfg" > out 2>&1) || { tail -3 "$work/one/out" >&2; return 1; }
    (cd "$work/three" && timeout 120 mpirun --oversubscribe -np 3 "$SWEEP" --quiet "$work/graph.cfg" > out 2>&1) ||
        { tail -3 "$work/three/out" >&2; return 1; }
    (cd "$work/pair" && timeout 120 mpirun --oversubscribe -np 3 "$SWEEP" --quiet --ranks-per-trial 2 "$work/graph.cfg" > out 2>&1) ||
        { tail -3 "$work/pair/out" >&2; return 1; }
    (cd "$work/pairs" && timeout 120 mpirun --oversubscribe -np 5 "$SWEEP" --quiet --ranks-per-trial 2 "$work/graph.cfg" > out 2>&1) ||
        { tail -3 "$work/pairs/out" >&2; return 1; }
    same_results "$work/one/results/graph.h5" "$work/three/results/graph.h5" || return 1
    same_results "$work/pair/results/graph.h5" "$work/pairs/results/graph.h5" || return 1
    local one pair
    one=$("$DIGEST" "$work/one/results/graph.h5" | awk '$1 == "graph" && $7 == "test" { print $8, $9 }')
    pair=$("$DIGEST" "$work/pair/results/graph.h5" | awk '$1 == "graph" && $7 == "test" { print $8, $9 }')
    [ -n "$one" ] && [ -n "$pair" ] || { echo "  no test metrics: '$one' '$pair'" >&2; return 1; }
    echo "$one $pair" | awk '{ d = $2 - $4; if (d < 0) d = -d; a = $1 - $3; if (a < 0) a = -a
                              exit !(d <= 0.001 * $2 && a <= 0.01) }' ||
        { echo "  one rank: $one; a group of two: $pair (accuracy, loss)" >&2; return 1; }
}

# The hash is taken of the network's canonical text: comments and layout
# leave it, a layer's setting changes it; a list of files is a grid axis
# named by the files.
test_a_networks_hash_follows_its_layers_not_its_comments() {
    hash_of() { "$SWEEP" --dry-run "$1" | awk 'NR == 2 { print $2 }'; }
    local plain commented wider
    plain=$(hash_of "$work/graph.cfg")
    { echo "# the same layers, commented"; sed 's/^\(filters = 8\)$/\1    # eight; as before/' "$work/graph.net"; } > "$work/commented.net"
    sed 's/graph.net/commented.net/' "$work/graph.cfg" > "$work/commented.cfg"
    commented=$(hash_of "$work/commented.cfg")
    sed '/^name = side$/,/^filters/s/^filters = 2$/filters = 3/' "$work/graph.net" > "$work/wider.net"
    cmp -s "$work/graph.net" "$work/wider.net" && { echo "  wider.net is graph.net" >&2; return 1; }
    sed 's/graph.net/wider.net/' "$work/graph.cfg" > "$work/wider.cfg"
    wider=$(hash_of "$work/wider.cfg")
    [ ${#plain} -eq 16 ] && [ "$plain" = "$commented" ] && [ "$plain" != "$wider" ] ||
        { echo "  plain $plain commented $commented wider $wider" >&2; return 1; }
    sed 's/graph.net/graph.net | wider.net/' "$work/graph.cfg" > "$work/axis.cfg"
    run "$SWEEP" --dry-run "$work/axis.cfg"
    [ "$status" -eq 0 ] && grep -q '^graph_network-graph ' "$work/out" && grep -q '^graph_network-wider ' "$work/out" ||
        { cat "$work/out" "$work/err" >&2; return 1; }
}

test_network_file_faults_are_one_line() {
    local key_line units_line
    key_line=$(grep -n '^network = ' "$work/graph.cfg" | cut -d: -f1)
    units_line=$(grep -n '^units = 10$' "$work/graph.net" | cut -d: -f1)
    [ -n "$key_line" ] && [ -n "$units_line" ] || { echo "  no network key or units line" >&2; return 1; }
    sed 's/graph.net/missing.net/' "$work/graph.cfg" > "$work/missing.cfg"
    run "$SWEEP" --dry-run "$work/missing.cfg"
    one_error_line 2 "^sweep: $work/missing.cfg:$key_line: network: $work/missing.net: " || return 1
    sed 's/^units = 10$/units = 10\nfilters = 3/' "$work/graph.net" > "$work/badkey.net"
    sed 's/graph.net/badkey.net/' "$work/graph.cfg" > "$work/badkey.cfg"
    run "$SWEEP" --dry-run "$work/badkey.cfg"
    one_error_line 2 "^sweep: $work/badkey.cfg:$key_line: $work/badkey.net: line $((units_line + 1)): \[dense\] takes no key 'filters'$" || return 1
    printf '[conv]\nname = a\nfilters = 4\n[conv]\nfilters = 3\n[add]\nfrom = -1, a\n[dense]\nunits = 10\n' > "$work/mismatch.net"
    sed 's/graph.net/mismatch.net/' "$work/graph.cfg" > "$work/mismatch.cfg"
    run "$SWEEP" --dry-run "$work/mismatch.cfg"
    one_error_line 2 "^sweep: $work/mismatch.cfg:$key_line: $work/mismatch.net: network line 6 \(\[add\]\): .*$"
}

run_tests test_networks
