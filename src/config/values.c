/* values: each kind of value a key takes -- numbers within their ranges,
 * seeds, yes/no, paths, network files, conv blocks, dense layers, the
 * sweep-wide keys and [search]'s -- parsed from the text of one
 * alternative, each error a message naming the key; each value read back
 * as the part of a trial name it makes; and the key table that gives
 * every key its kind. */
#include "config/values.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/syntax.h"
#include "core/text_pool.h"
#include "core/util.h"
#include "nn/net.h"
#include "nn/models/bases.h"
#include "nn/network_text.h"
#include "search/grid.h"

#define MAX_UNITS 65536         /* filters or units in one layer: catches typos */
#define MAX_POOLED_BLOCKS 4     /* 28 -> 14 -> 7 -> 3 -> 1 under 2x2 floor pooling */

#define FIELD(f) offsetof(trial_settings, f)
#define SEARCH_FIELD(f) offsetof(search_options, f)
const key_info key_table[N_KEYS] = {
    [K_NAME] = {"name", SEC_SWEEP, KIND_SWEEP_NAME, 0, 0, 0, 0, 0},
    [K_OUTPUT] = {"output", SEC_SWEEP, KIND_SWEEP_OUTPUT, 0, 0, 0, 0, 0},
    [K_RANKS_PER_TRIAL] = {"ranks_per_trial", SEC_SWEEP, KIND_SWEEP_RANKS, 0, 1, 65536, 0, 0},
    [K_PUBLISH_INTERVAL] = {"publish_interval", SEC_SWEEP, KIND_SWEEP_SECONDS, 0, 0, 86400, 0, 0},
    [K_PROGRESS_SECONDS] = {"progress_seconds", SEC_SWEEP, KIND_SWEEP_SECONDS, 0, 0, 86400, 0, 0},
    [K_SEED] = {"seed", SEC_SWEEP, KIND_SEED, 0, 0, 0, 0, 0},
    [K_DIR] = {"dir", SEC_DATA, KIND_PATH, FIELD(data_dir), 0, 0, 0, 0},
    [K_VALIDATION_SPLIT] = {"validation_split", SEC_DATA, KIND_REAL,
                            FIELD(validation_split), 0, 1, 0, 1},
    [K_TRAIN_LIMIT] = {"train_limit", SEC_DATA, KIND_INT, FIELD(train_limit), 0, HUGE_VAL, 0, 0},
    [K_TEST_LIMIT] = {"test_limit", SEC_DATA, KIND_INT, FIELD(test_limit), 0, HUGE_VAL, 0, 0},
    /* Upper bounds catch typos that would otherwise surface as an
     * out-of-memory error far from the line that caused it. */
    [K_BATCH_SIZE] = {"batch_size", SEC_TRAIN, KIND_INT, FIELD(batch_size), 1, 8192, 0, 0},
    [K_EPOCHS] = {"epochs", SEC_TRAIN, KIND_INT, FIELD(epochs), 1, 100000, 0, 0},
    [K_PATIENCE] = {"patience", SEC_TRAIN, KIND_INT, FIELD(patience), 0, 100000, 0, 0},
    [K_LEARNING_RATE] = {"learning_rate", SEC_TRAIN, KIND_REAL, FIELD(learning_rate),
                         0, HUGE_VAL, 1, 0},
    [K_CONV] = {"conv", SEC_MODEL, KIND_CONV, 0, 0, 0, 0, 0},
    [K_GROUPS] = {"groups", SEC_MODEL, KIND_GROUPS, 0, 0, 0, 0, 0},
    [K_DENSE] = {"dense", SEC_MODEL, KIND_DENSE, 0, 0, 0, 0, 0},
    [K_BATCH_NORM] = {"batch_norm", SEC_MODEL, KIND_BOOL, FIELD(batch_norm), 0, 0, 0, 0},
    [K_DROPOUT] = {"dropout", SEC_MODEL, KIND_REAL, FIELD(dropout), 0, 1, 0, 1},
    [K_L2] = {"l2", SEC_MODEL, KIND_REAL, FIELD(l2), 0, HUGE_VAL, 0, 0},
    /* A network file (relative to this file): the model as a graph; its
     * dropout layers and dense kernels take dropout and l2 above unless
     * they say otherwise, so those still make grid axes. */
    [K_NETWORK] = {"network", SEC_MODEL, KIND_NETWORK, FIELD(network_file), 0, 0, 0, 0},
    /* The figure a study reports for this model, drawn beside ours by
     * `sweep plot`: a label, not a setting (trial_canonical_text leaves it
     * out, so it changes no hash). */
    [K_REFERENCE_ACCURACY] = {"reference_accuracy", SEC_MODEL, KIND_REAL,
                              FIELD(reference_accuracy), 0, 1, 0, 0},
    /* A pretrained base under the dense head (the report's Section 3):
     * its Keras weights file (as written, like dir; "none": random
     * weights), the input's side in pixels, whether it trains, and a
     * fraction of its widths (1: Keras's). */
    [K_BASE] = {"base", SEC_MODEL, KIND_BASE, 0, 0, 0, 0, 0},
    [K_BASE_WEIGHTS] = {"base_weights", SEC_MODEL, KIND_PATH, FIELD(base_weights), 0, 0, 0, 0},
    [K_INPUT_SIZE] = {"input_size", SEC_MODEL, KIND_INT, FIELD(input_size), 1, 1024, 0, 0},
    [K_BASE_TRAINABLE] = {"base_trainable", SEC_MODEL, KIND_BOOL, FIELD(base_trainable), 0, 0, 0, 0},
    [K_BASE_WIDTH] = {"base_width", SEC_MODEL, KIND_REAL, FIELD(base_width), 0, 1, 1, 0},
    /* [search] (config.h's search_options): how the trials are chosen.
     * Which keys go with which method is search_options.c's check. */
    [K_METHOD] = {"method", SEC_SEARCH, KIND_SEARCH_METHOD, 0, 0, 0, 0, 0},
    [K_SAMPLES] = {"samples", SEC_SEARCH, KIND_SEARCH_COUNT, SEARCH_FIELD(samples), 1, 100000, 0, 0},
    [K_REPEATS] = {"repeats", SEC_SEARCH, KIND_SEARCH_COUNT, SEARCH_FIELD(repeats), 1, 1000, 0, 0},
    [K_REDUCTION] = {"reduction", SEC_SEARCH, KIND_SEARCH_COUNT, SEARCH_FIELD(reduction),
                     2, 100, 0, 0},
    [K_MIN_EPOCHS] = {"min_epochs", SEC_SEARCH, KIND_SEARCH_COUNT, SEARCH_FIELD(min_epochs),
                      1, 100000, 0, 0},
    [K_METRIC] = {"metric", SEC_SEARCH, KIND_SEARCH_METRIC, 0, 0, 0, 0, 0},
};
#undef FIELD
#undef SEARCH_FIELD

/* [sweep]'s name, output, ranks_per_trial and the two intervals, and the
 * [search] keys, describe the whole sweep (they are in no trial's hash);
 * every other key (seed too) is a per-trial setting that experiments may
 * override and vary. */
int is_trial_key(int k)
{
    return k == K_SEED ||
           (key_table[k].section != SEC_SWEEP && key_table[k].section != SEC_SEARCH);
}

/* ------------------------------------------------------------- numbers */

/* Whole-string decimal integer. Returns 0, or -1 when s is not an integer,
 * -2 when it is outside [lo, hi]. */
static int parse_integer(const char *s, long long lo, long long hi, long long *out)
{
    const char *digits = s + (*s == '+' || *s == '-');
    if (!*digits || strspn(digits, "0123456789") != strlen(digits))
        return -1;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE || v < lo || v > hi)
        return -2;
    *out = v;
    return 0;
}

/* Whole-string finite decimal number. The character check keeps out what
 * strtod would also take but no one means here: "inf", "nan", hex. */
static int parse_real(const char *s, double *out)
{
    if (!*s || strspn(s, "0123456789.eE+-") != strlen(s) || !strpbrk(s, "0123456789"))
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return -1;
    *out = v + 0.0;   /* -0 becomes 0, so "-0" and "0" hash alike */
    return 0;
}

/* The shortest %g that reads back as the same double: 0.001, not
 * 0.0010000000000000000208. */
static void format_real(double v, char *buf, int size)
{
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, (size_t)size, "%.*g", precision, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static void describe_range(const key_info *k, char *buf, int size)
{
    if (k->max == HUGE_VAL)
        snprintf(buf, (size_t)size, "%s %g", k->min_open ? ">" : ">=", k->min);
    else
        snprintf(buf, (size_t)size, "in %c%g,%g%c", k->min_open ? '(' : '[', k->min,
                 k->max, k->max_open ? ')' : ']');
}

static int in_range(const key_info *k, double v)
{
    return (k->min_open ? v > k->min : v >= k->min) &&
           (k->max_open ? v < k->max : v <= k->max);
}

/* ------------------------------------------------------ value parsers
 * Each parses one alternative into t (or the sweep config), or returns -1
 * with a message naming the key. */

static int parse_real_value(const key_info *k, const char *s, trial_settings *t,
                            char *msg, int size)
{
    double v;
    if (parse_real(s, &v) < 0) {
        snprintf(msg, (size_t)size, "%s: '%s' is not a number", k->name, s);
        return -1;
    }
    if (!in_range(k, v)) {
        char range[64];
        describe_range(k, range, sizeof range);
        snprintf(msg, (size_t)size, "%s must be %s, got %s", k->name, range, s);
        return -1;
    }
    *(double *)((char *)t + k->offset) = v;
    return 0;
}

/* An int field of fields (a trial_settings, or [search]'s search_options)
 * at the key's offset. */
static int parse_int_value(const key_info *k, const char *s, void *fields, char *msg, int size)
{
    long long v;
    int rc = parse_integer(s, INT_MIN, INT_MAX, &v);
    if (rc == -1) {
        snprintf(msg, (size_t)size, "%s: '%s' is not an integer", k->name, s);
        return -1;
    }
    if (rc == -2) {
        snprintf(msg, (size_t)size, "%s: '%s' is too large", k->name, s);
        return -1;
    }
    if (!in_range(k, (double)v)) {
        char range[64];
        describe_range(k, range, sizeof range);
        snprintf(msg, (size_t)size, "%s must be %s, got %s", k->name, range, s);
        return -1;
    }
    *(int *)((char *)fields + k->offset) = (int)v;
    return 0;
}

static int parse_seed_value(const char *s, trial_settings *t, char *msg, int size)
{
    /* Digits only: strtoull would quietly wrap "-1" to 2^64-1. */
    if (strspn(s, "0123456789") != strlen(s)) {
        snprintf(msg, (size_t)size, "seed: '%s' is not a non-negative integer", s);
        return -1;
    }
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE) {
        snprintf(msg, (size_t)size, "seed: '%s' does not fit in 64 bits", s);
        return -1;
    }
    t->seed = (uint64_t)v;
    return 0;
}

static int parse_bool_value(const key_info *k, const char *s, trial_settings *t,
                            char *msg, int size)
{
    static const char *const yes[] = {"yes", "true", "1"}, *const no[] = {"no", "false", "0"};
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
            *(int *)((char *)t + k->offset) = strcasecmp(s, yes[i]) == 0;
            return 0;
        }
    }
    snprintf(msg, (size_t)size, "%s: '%s' is not yes/no (or true/false, 1/0)", k->name, s);
    return -1;
}

static int parse_path_value(const key_info *k, const char *s, trial_settings *t,
                            char *msg, int size)
{
    if (strlen(s) >= TRIAL_PATH_MAX) {
        snprintf(msg, (size_t)size, "%s: longer than %d characters", k->name, TRIAL_PATH_MAX - 1);
        return -1;
    }
    snprintf((char *)t + k->offset, TRIAL_PATH_MAX, "%s", s);
    return 0;
}

/* FILE of `network = FILE`, beside the configuration unless absolute. */
static int network_path(const char *value, const sweep_config *c, char *path, size_t size)
{
    const char *slash = c ? strrchr(c->path, '/') : NULL;
    int n = value[0] == '/' || !slash
                ? snprintf(path, size, "%s", value)
                : snprintf(path, size, "%.*s/%s", (int)(slash - c->path), c->path, value);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

/* The network file read, parsed, checked by building its layers, and
 * kept as its canonical one-line text (what the trial hashes). */
static int parse_network_value(const key_info *k, const char *s, trial_settings *t,
                               const sweep_config *c, char *msg, int size)
{
    char path[TRIAL_PATH_MAX], err[768];
    if (network_path(s, c, path, sizeof path) != 0) {
        snprintf(msg, (size_t)size, "%s: longer than %d characters", k->name, TRIAL_PATH_MAX - 1);
        return -1;
    }
    char *text = config_read_file(path, err, sizeof err);
    if (!text) {
        snprintf(msg, (size_t)size, "network: %.500s", err);
        return -1;
    }
    layer_spec *specs = xcalloc(NET_MAX_LAYERS, sizeof *specs);
    int n = network_parse(text, specs, NET_MAX_LAYERS, t->dropout, t->l2, err, sizeof err);
    free(text);
    char *canonical = NULL;
    net *layout = n > 0 ? net_layout_specs(specs, n, err, sizeof err) : NULL;
    const int builds = layout != NULL;
    net_free(layout);
    if (builds) {
        int length = network_canonical(specs, n, NULL, 0);
        canonical = xcalloc((size_t)length + 1, 1);
        network_canonical(specs, n, canonical, length + 1);
    }
    free(specs);
    if (!canonical) {
        snprintf(msg, (size_t)size, "%.250s: %.500s", path, err);
        return -1;
    }
    t->network = text_pool_intern(canonical);
    free(canonical);
    snprintf(t->network_file, sizeof t->network_file, "%s", path);
    return 0;
}

/* One filter or unit count of a layer list. */
static int parse_units(const key_info *k, const char *item, const char *whole, int *out,
                       char *msg, int size)
{
    const char *what = k->kind == KIND_DENSE ? "units" : "filters";
    long long v;
    int rc = parse_integer(item, LLONG_MIN, LLONG_MAX, &v);
    if (rc == -1 && !*item)
        snprintf(msg, (size_t)size, "%s: empty item in '%s'", k->name, whole);
    else if (rc == -1 && k->kind == KIND_CONV && strchr(item, '/'))
        snprintf(msg, (size_t)size, "%s: '%s' stacks convs with '/'; use groups for that",
                 k->name, item);
    else if (rc < 0)
        snprintf(msg, (size_t)size, "%s: '%s' is not an integer", k->name, item);
    else if (v < 1)
        snprintf(msg, (size_t)size, "%s: %lld %s in '%s'; every layer needs at least 1",
                 k->name, v, what, whole);
    else if (v > MAX_UNITS)
        snprintf(msg, (size_t)size, "%s: %lld %s in '%s'; at most %d", k->name, v, what,
                 whole, MAX_UNITS);
    else {
        *out = (int)v;
        return 0;
    }
    return -1;
}

/* One block of `groups` ("a/b/c") or of `conv` ("a"). */
static int parse_block(const key_info *k, char *item, const char *whole, trial_settings *t,
                       int b, char *msg, int size)
{
    char *convs[TRIAL_MAX_STACK];
    int n = k->kind == KIND_GROUPS ? config_count_items(item, '/') : 1;
    if (n > TRIAL_MAX_STACK) {
        snprintf(msg, (size_t)size, "%s: %d convs in the group '%s'; at most %d", k->name, n,
                 item, TRIAL_MAX_STACK);
        return -1;
    }
    if (k->kind == KIND_GROUPS)
        config_split_items(item, '/', convs, n);
    else
        convs[0] = item;
    for (int i = 0; i < n; i++)
        if (parse_units(k, convs[i], whole, &t->block_filters[b][i], msg, size) < 0)
            return -1;
    t->block_convs[b] = n;
    return 0;
}

/* `conv = a,b,c` or `groups = a/b/c, d/e/f`: both fill the conv blocks. */
static int parse_blocks_value(const key_info *k, const char *s, trial_settings *t,
                              char *msg, int size)
{
    int n = config_count_items(s, ',');
    if (n > MAX_POOLED_BLOCKS) {
        snprintf(msg, (size_t)size,
                 "%s: %d blocks, but 28x28 input pooled 2x2 per block allows at most %d "
                 "(28->14->7->3->1)", k->name, n, MAX_POOLED_BLOCKS);
        return -1;
    }
    char *copy = config_dup_text(s), *items[MAX_POOLED_BLOCKS];
    config_split_items(copy, ',', items, n);
    int rc = 0;
    for (int b = 0; b < n && rc == 0; b++)
        rc = parse_block(k, items[b], s, t, b, msg, size);
    free(copy);
    if (rc == 0)
        t->n_blocks = n;
    return rc;
}

/* `dense = 384,768`, or `none` for no hidden dense layer. */
static int parse_dense_value(const key_info *k, const char *s, trial_settings *t,
                             char *msg, int size)
{
    if (strcasecmp(s, "none") == 0) {
        t->n_dense = 0;
        return 0;
    }
    int n = config_count_items(s, ',');
    if (n > TRIAL_MAX_DENSE) {
        snprintf(msg, (size_t)size, "dense: %d layers; at most %d", n, TRIAL_MAX_DENSE);
        return -1;
    }
    char *copy = config_dup_text(s), *items[TRIAL_MAX_DENSE];
    config_split_items(copy, ',', items, n);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = parse_units(k, items[i], s, &t->dense_units[i], msg, size);
    free(copy);
    if (rc == 0)
        t->n_dense = n;
    return rc;
}

static int parse_sweep_value(const key_info *k, const char *s, sweep_config *c,
                             char *msg, int size)
{
    if (k->kind == KIND_SWEEP_NAME) {
        if (!grid_valid_name(s) || strlen(s) >= TRIAL_NAME_MAX) {
            snprintf(msg, (size_t)size, "name: '%s' must be 1-%d characters of [A-Za-z0-9._-]",
                     s, TRIAL_NAME_MAX - 1);
            return -1;
        }
        snprintf(c->name, sizeof c->name, "%s", s);
        return 0;
    }
    if (k->kind == KIND_SWEEP_RANKS) {
        char *end;
        long ranks = strtol(s, &end, 10);
        if (*s == '\0' || *end || ranks < 1 || ranks > 65536) {
            snprintf(msg, (size_t)size, "ranks_per_trial: '%s' is not a whole number in [1,65536]", s);
            return -1;
        }
        c->ranks_per_trial = (int)ranks;
        return 0;
    }
    if (k->kind == KIND_SWEEP_SECONDS) {
        double seconds;
        if (parse_real(s, &seconds) != 0 || !in_range(k, seconds)) {
            snprintf(msg, (size_t)size, "%s: '%s' is not a number of seconds in [0,86400]",
                     k->name, s);
            return -1;
        }
        if (k == &key_table[K_PUBLISH_INTERVAL])
            c->publish_interval = seconds;
        else
            c->progress_seconds = seconds;
        return 0;
    }
    if (strlen(s) >= TRIAL_PATH_MAX) {
        snprintf(msg, (size_t)size, "output: longer than %d characters", TRIAL_PATH_MAX - 1);
        return -1;
    }
    snprintf(c->output, sizeof c->output, "%s", s);
    return 0;
}

/* [search] method and metric by their names (config.h's arrays), and
 * its counts as integers in their ranges. */
static int parse_search_value(const key_info *k, const char *s, sweep_config *c,
                              char *msg, int size)
{
    if (k->kind == KIND_SEARCH_COUNT)
        return parse_int_value(k, s, &c->search, msg, size);
    const int is_method = k->kind == KIND_SEARCH_METHOD;
    const char *const *names = is_method ? search_method_names : search_metric_names;
    const int n = is_method ? (int)(sizeof search_method_names / sizeof *search_method_names)
                            : (int)(sizeof search_metric_names / sizeof *search_metric_names);
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            if (is_method)
                c->search.method = (search_method)i;
            else
                c->search.metric = (search_metric)i;
            return 0;
        }
    if (is_method)
        snprintf(msg, (size_t)size, "method: '%s' is not a search method; use grid, random, "
                 "sha or asha", s);
    else
        snprintf(msg, (size_t)size, "metric: '%s' is not a metric; use val_accuracy or "
                 "val_loss", s);
    return -1;
}

/* A base's name (bases.h's table), or none. */
static int parse_base_value(const key_info *k, const char *s, trial_settings *t, char *msg,
                            int size)
{
    if (strcasecmp(s, "none") == 0) {
        t->base = NULL;
        return 0;
    }
    if (!base_named(s)) {
        snprintf(msg, (size_t)size, "%s: unknown base '%.100s'; the bases are %s (or none)", k->name, s,
                 base_name_list());
        return -1;
    }
    t->base = text_pool_intern(s);
    return 0;
}

/* Parses one alternative of key k into t, or (name, output) into c. */
int parse_value(int k, const char *s, trial_settings *t, sweep_config *c,
                char *msg, int size)
{
    const key_info *key = &key_table[k];
    switch (key->kind) {
    case KIND_SWEEP_NAME:
    case KIND_SWEEP_OUTPUT:
    case KIND_SWEEP_RANKS:
    case KIND_SWEEP_SECONDS: return parse_sweep_value(key, s, c, msg, size);
    case KIND_SEED: return parse_seed_value(s, t, msg, size);
    case KIND_PATH: return parse_path_value(key, s, t, msg, size);
    case KIND_REAL: return parse_real_value(key, s, t, msg, size);
    case KIND_INT: return parse_int_value(key, s, t, msg, size);
    case KIND_BOOL: return parse_bool_value(key, s, t, msg, size);
    case KIND_CONV:
    case KIND_GROUPS: return parse_blocks_value(key, s, t, msg, size);
    case KIND_DENSE: return parse_dense_value(key, s, t, msg, size);
    case KIND_NETWORK: return parse_network_value(key, s, t, c, msg, size);
    case KIND_BASE: return parse_base_value(key, s, t, msg, size);
    case KIND_SEARCH_METHOD:
    case KIND_SEARCH_COUNT:
    case KIND_SEARCH_METRIC: return parse_search_value(key, s, c, msg, size);
    }
    FATAL("key kind %d", (int)key->kind);
}

/* ------------------------------------------------------- value labels */

/* How key k's value in t reads inside a trial name. Normalised (0.20 and
 * 2e-1 both read 0.2) so equal values give equal names. */
void value_label(int k, const trial_settings *t, char *buf, int size)
{
    const key_info *key = &key_table[k];
    char raw[TRIAL_PATH_MAX];
    switch (key->kind) {
    case KIND_SEED: snprintf(raw, sizeof raw, "%" PRIu64, t->seed); break;
    case KIND_PATH: snprintf(raw, sizeof raw, "%s", (const char *)t + key->offset); break;
    case KIND_REAL: format_real(*(const double *)((const char *)t + key->offset), raw,
                                sizeof raw); break;
    case KIND_INT: snprintf(raw, sizeof raw, "%d", *(const int *)((const char *)t + key->offset));
        break;
    case KIND_BOOL: snprintf(raw, sizeof raw, "%s",
                             *(const int *)((const char *)t + key->offset) ? "yes" : "no");
        break;
    case KIND_CONV:
    case KIND_GROUPS: trial_blocks_text(t, raw, sizeof raw); break;
    case KIND_DENSE: trial_dense_text(t, raw, sizeof raw); break;
    case KIND_NETWORK: {   /* the file's name without its folder and extension */
        const char *slash = strrchr(t->network_file, '/');
        const char *base = slash ? slash + 1 : t->network_file, *dot = strrchr(base, '.');
        snprintf(raw, sizeof raw, "%.*s", dot && dot != base ? (int)(dot - base) : (int)strlen(base), base);
        break;
    }
    case KIND_BASE: snprintf(raw, sizeof raw, "%s", t->base ? t->base : "none"); break;
    default: FATAL("key %s has no label", key->name);
    }
    grid_name_part(raw, buf, size);
}
