/* config: the sweep file parsed into scopes (the base sections and each
 * [experiment]), then expanded into trials. Parsing validates every value
 * and every alternative as it reads it, so all errors -- including those in
 * settings an experiment later overrides -- surface before any work starts,
 * each as one "FILE:LINE: message". The parse state lives only inside
 * config_parse; the returned sweep_config owns just its text and trials. */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/settings_table.h"
#include "core/text_pool.h"
#include "core/util.h"
#include "nn/net.h"
#include "nn/network_text.h"

#define CONFIG_MAX_TRIALS 100000 /* far past any real sweep; stops a runaway grid */
#define MAX_UNITS 65536         /* filters or units in one layer: catches typos */
#define MAX_POOLED_BLOCKS 4     /* 28 -> 14 -> 7 -> 3 -> 1 under 2x2 floor pooling */
#define SUGGEST_KEY_MAX 64      /* longer words are not typos of a key */

/* [set] holds overrides ("SECTION.KEY = VALUE", what `sweep --set`
 * appends): last in the file, each replaces the key for every trial. */
enum section { SEC_SWEEP, SEC_DATA, SEC_TRAIN, SEC_MODEL, SEC_EXPERIMENT, SEC_SET, N_SECTIONS };
static const char *const section_names[N_SECTIONS] = {
    "sweep", "data", "train", "model", "experiment", "set",
};

enum kind {
    KIND_SWEEP_NAME, KIND_SWEEP_OUTPUT, KIND_SWEEP_RANKS, KIND_SWEEP_SECONDS, KIND_SEED,
    KIND_PATH, KIND_REAL,
    KIND_INT, KIND_BOOL, KIND_CONV, KIND_GROUPS, KIND_DENSE, KIND_NETWORK,
};

/* The table order is the fixed order of grid axes: it orders the parts of
 * a trial name and the cartesian product (first axis varies slowest), so
 * moving lines around in the file changes neither. */
enum key_id {
    K_NAME, K_OUTPUT, K_RANKS_PER_TRIAL, K_PUBLISH_INTERVAL, K_PROGRESS_SECONDS, K_SEED, K_DIR,
    K_VALIDATION_SPLIT, K_TRAIN_LIMIT, K_TEST_LIMIT, K_BATCH_SIZE, K_EPOCHS, K_PATIENCE,
    K_LEARNING_RATE,
    K_CONV, K_GROUPS, K_DENSE, K_BATCH_NORM, K_DROPOUT, K_L2, K_NETWORK, K_REFERENCE_ACCURACY,
    N_KEYS,
};

typedef struct {
    const char *name;
    enum section section;
    enum kind kind;
    size_t offset;          /* the trial_settings field, for PATH/REAL/INT/BOOL */
    double min, max;        /* REAL and INT: allowed range (max HUGE_VAL: none) */
    int min_open, max_open; /* 1: the bound itself is not allowed */
} key_info;

#define FIELD(f) offsetof(trial_settings, f)
static const key_info keys[N_KEYS] = {
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
};
#undef FIELD

/* name, output, ranks_per_trial and the two intervals describe the whole
 * sweep (they are in no trial's hash); every other key (seed too) is a
 * per-trial setting that experiments may override and vary. */
static int is_trial_key(int k)
{
    return k != K_NAME && k != K_OUTPUT && k != K_RANKS_PER_TRIAL && k != K_PUBLISH_INTERVAL &&
           k != K_PROGRESS_SECONDS;
}

/* ---------------------------------------------------------------- hashing */


/* ------------------------------------------------------- small text tools */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static char *dup_text(const char *s)
{
    size_t n = strlen(s);
    char *d = xcalloc(n + 1, 1);
    memcpy(d, s, n);
    return d;
}

static int count_items(const char *s, char sep)
{
    int n = 1;
    for (; *s; s++)
        n += *s == sep;
    return n;
}

/* Cuts s in place at each sep into exactly n trimmed items. */
static void split_items(char *s, char sep, char **items, int n)
{
    for (int i = 0; i < n; i++) {
        char *end = strchr(s, sep);
        if (end)
            *end = '\0';
        items[i] = trim(s);
        s = end ? end + 1 : s + strlen(s);
    }
}

static int is_name_char(int ch)
{
    return isalnum(ch) || ch == '.' || ch == '_' || ch == '-';
}

/* A trial or sweep name: also an HDF5 group name and a file name, so no
 * '/', no spaces, and not "." or ".." (which HDF5 and the shell read as
 * paths). */
static int valid_name(const char *s)
{
    if (!*s || strspn(s, ".") == strlen(s))
        return 0;
    for (; *s; s++)
        if (!is_name_char((unsigned char)*s))
            return 0;
    return 1;
}

/* A value as a trial name part: lists "64,128" read "64x128", stacks
 * "a/b" read "a.b", and anything else outside [A-Za-z0-9._-] is dropped.
 * Different values that read the same are caught as duplicate names. */
static void name_part(const char *s, char *buf, int size)
{
    int n = 0;
    for (; *s && n < size - 1; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == ',')
            buf[n++] = 'x';
        else if (ch == '/')
            buf[n++] = '.';
        else if (is_name_char(ch))
            buf[n++] = (char)ch;
    }
    buf[n] = '\0';
}

/* Levenshtein distance, for "did you mean". */
static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > SUGGEST_KEY_MAX || lb > SUGGEST_KEY_MAX)
        return INT_MAX;
    int row[SUGGEST_KEY_MAX + 1];
    for (int j = 0; j <= lb; j++)
        row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int sub = diag + (a[i - 1] != b[j - 1]);
            int best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

/* Close enough to be a typo rather than a different word. */
static int is_near(int distance, const char *candidate)
{
    int allowed = (int)strlen(candidate) / 3;
    return distance <= (allowed > 2 ? allowed : 2);
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

static int parse_int_value(const key_info *k, const char *s, trial_settings *t,
                           char *msg, int size)
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
    *(int *)((char *)t + k->offset) = (int)v;
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

static char *read_file(const char *path, char *err, int err_size);

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
    char *text = read_file(path, err, sizeof err);
    if (!text) {
        snprintf(msg, (size_t)size, "network: %.500s", err);
        return -1;
    }
    layer_spec *specs = xcalloc(NET_MAX_LAYERS, sizeof *specs);
    int n = network_parse(text, specs, NET_MAX_LAYERS, t->dropout, t->l2, err, sizeof err);
    free(text);
    char *canonical = NULL;
    if (n > 0 && net_check_specs(specs, n, err, sizeof err) == 0) {
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
    int n = k->kind == KIND_GROUPS ? count_items(item, '/') : 1;
    if (n > TRIAL_MAX_STACK) {
        snprintf(msg, (size_t)size, "%s: %d convs in the group '%s'; at most %d", k->name, n,
                 item, TRIAL_MAX_STACK);
        return -1;
    }
    if (k->kind == KIND_GROUPS)
        split_items(item, '/', convs, n);
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
    int n = count_items(s, ',');
    if (n > MAX_POOLED_BLOCKS) {
        snprintf(msg, (size_t)size,
                 "%s: %d blocks, but 28x28 input pooled 2x2 per block allows at most %d "
                 "(28->14->7->3->1)", k->name, n, MAX_POOLED_BLOCKS);
        return -1;
    }
    char *copy = dup_text(s), *items[MAX_POOLED_BLOCKS];
    split_items(copy, ',', items, n);
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
    int n = count_items(s, ',');
    if (n > TRIAL_MAX_DENSE) {
        snprintf(msg, (size_t)size, "dense: %d layers; at most %d", n, TRIAL_MAX_DENSE);
        return -1;
    }
    char *copy = dup_text(s), *items[TRIAL_MAX_DENSE];
    split_items(copy, ',', items, n);
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
        if (!valid_name(s) || strlen(s) >= TRIAL_NAME_MAX) {
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
        if (k == &keys[K_PUBLISH_INTERVAL])
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

/* Parses one alternative of key k into t, or (name, output) into c. */
static int parse_value(int k, const char *s, trial_settings *t, sweep_config *c,
                       char *msg, int size)
{
    const key_info *key = &keys[k];
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
    }
    FATAL("key kind %d", (int)key->kind);
}

/* ------------------------------------------------------- value labels */

/* How key k's value in t reads inside a trial name. Normalised (0.20 and
 * 2e-1 both read 0.2) so equal values give equal names. */
static void value_label(int k, const trial_settings *t, char *buf, int size)
{
    const key_info *key = &keys[k];
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
    default: FATAL("key %s has no label", key->name);
    }
    name_part(raw, buf, size);
}

/* ------------------------------------------------------------ parse state */

typedef struct {
    int line;       /* 0: not set in this scope */
    int n_alts;     /* 1, or more for a grid axis */
    char **alts;    /* trimmed alternatives, pointing into parser.copy */
} setting;

typedef struct {
    const char *name;       /* experiment name; NULL for the base */
    int line;               /* its header line */
    setting set[N_KEYS];
} scope;

typedef struct {
    const char *label;      /* the file name in messages */
    char *err;
    int err_size;
    sweep_config *config;
    char *copy;             /* the text, cut in place into lines and values */
    scope base;             /* [sweep], [data], [train], [model] together */
    scope *exps;
    int n_exps, cap_exps;
    int section_line[SEC_EXPERIMENT];   /* where each base section opened */
    int section;            /* current section; -1 before the first header */
    int set_line;           /* the [set] header's line, 0 if none */
    int first_option_line;  /* lines from here on are --set options (0: none) */
    const char *const *options;   /* their text, for messages */
} parser;

static int fail(parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes "LABEL:LINE: message" (or "LABEL: message" for line 0). */
static int fail(parser *p, int line, const char *fmt, ...)
{
    if (!p->err || p->err_size <= 0)
        return -1;
    int n;
    if (p->first_option_line && line > p->first_option_line)
        n = snprintf(p->err, (size_t)p->err_size, "--set %s: ",
                     p->options[line - p->first_option_line - 1]);
    else if (line)
        n = snprintf(p->err, (size_t)p->err_size, "%s:%d: ", p->label, line);
    else
        n = snprintf(p->err, (size_t)p->err_size, "%s: ", p->label);
    if (n >= 0 && n < p->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, (size_t)(p->err_size - n), fmt, ap);
        va_end(ap);
    }
    return -1;
}

static scope *current_scope(parser *p)
{
    return p->section == SEC_EXPERIMENT ? &p->exps[p->n_exps - 1] : &p->base;
}

static void describe_section(parser *p, char *buf, int size)
{
    if (p->section == SEC_EXPERIMENT)
        snprintf(buf, (size_t)size, "[experiment %s]", current_scope(p)->name);
    else
        snprintf(buf, (size_t)size, "[%s]", section_names[p->section]);
}

static void scope_free(scope *s)
{
    for (int k = 0; k < N_KEYS; k++)
        free(s->set[k].alts);
}

static void parser_free(parser *p)
{
    scope_free(&p->base);
    for (int i = 0; i < p->n_exps; i++)
        scope_free(&p->exps[i]);
    free(p->exps);
    free(p->copy);
}

/* ------------------------------------------------------ section headers */

static int unknown_section(parser *p, const char *name, int line)
{
    int best = -1, best_d = INT_MAX;
    for (int s = 0; s < N_SECTIONS; s++) {
        int d = edit_distance(name, section_names[s]);
        if (d < best_d)
            best = s, best_d = d;
    }
    if (best >= 0 && is_near(best_d, section_names[best]))
        return fail(p, line, "unknown section [%s]; did you mean [%s]?", name,
                    section_names[best]);
    return fail(p, line, "unknown section [%s]; sections are [sweep], [data], [train], "
                "[model], [experiment NAME] and [set]", name);
}

static int open_experiment(parser *p, const char *name, int line)
{
    if (!*name)
        return fail(p, line, "malformed section header: expected [experiment NAME]");
    if (!valid_name(name) || strlen(name) >= TRIAL_NAME_MAX)
        return fail(p, line, "experiment name '%s' must be 1-%d characters of [A-Za-z0-9._-]",
                    name, TRIAL_NAME_MAX - 1);
    for (int i = 0; i < p->n_exps; i++)
        if (strcmp(p->exps[i].name, name) == 0)
            return fail(p, line, "duplicate experiment '%s' (first on line %d)", name,
                        p->exps[i].line);
    if (p->n_exps == p->cap_exps) {
        int cap = p->cap_exps ? 2 * p->cap_exps : 16;
        scope *grown = xcalloc((size_t)cap, sizeof *grown);
        if (p->n_exps)
            memcpy(grown, p->exps, (size_t)p->n_exps * sizeof *grown);
        free(p->exps);
        p->exps = grown;
        p->cap_exps = cap;
    }
    scope *e = &p->exps[p->n_exps++];
    e->name = name;
    e->line = line;
    p->section = SEC_EXPERIMENT;
    return 0;
}

static int parse_header(parser *p, char *text, int line)
{
    char *close = strchr(text, ']');
    if (!close || close[1] != '\0')
        return fail(p, line, "malformed section header '%s': expected [NAME] alone on the line",
                    text);
    *close = '\0';
    char *word = trim(text + 1);
    char *rest = word + strcspn(word, " \t");
    if (*rest)
        *rest++ = '\0';
    rest = trim(rest);
    int s = 0;
    while (s < N_SECTIONS && strcmp(word, section_names[s]) != 0)
        s++;
    if (s == N_SECTIONS)
        return unknown_section(p, word, line);
    if (p->set_line && s != SEC_SET)
        return fail(p, line, "[%s] after [set] (line %d): [set] overrides the whole file and "
                    "comes last", word, p->set_line);
    if (s == SEC_EXPERIMENT)
        return open_experiment(p, rest, line);
    if (s == SEC_SET) {
        if (*rest)
            return fail(p, line, "malformed section header: [set] takes no name");
        p->set_line = p->set_line ? p->set_line : line;   /* a second [set] continues it */
        p->section = SEC_SET;
        return 0;
    }
    if (*rest)
        return fail(p, line, "malformed section header: [%s] takes no name", word);
    if (p->section_line[s])
        return fail(p, line, "duplicate section [%s] (first on line %d)", word,
                    p->section_line[s]);
    p->section_line[s] = line;
    p->section = s;
    return 0;
}

/* ---------------------------------------------------------------- keys */

static int key_allowed_here(const parser *p, int k)
{
    return p->section == SEC_EXPERIMENT ? is_trial_key(k) : (int)keys[k].section == p->section;
}

/* The nearest key by edit distance, preferring keys valid in this section. */
static int unknown_key(parser *p, const char *key, int line)
{
    char where[TRIAL_NAME_MAX + 16];
    describe_section(p, where, sizeof where);
    int best = -1, best_d = INT_MAX;
    for (int k = 0; k < N_KEYS; k++) {
        if (p->section == SEC_EXPERIMENT && !is_trial_key(k))
            continue;
        int d = edit_distance(key, keys[k].name);
        if (d < best_d || (best >= 0 && d == best_d && key_allowed_here(p, k) &&
                           !key_allowed_here(p, best)))
            best = k, best_d = d;
    }
    if (best >= 0 && is_near(best_d, keys[best].name)) {
        if (key_allowed_here(p, best))
            return fail(p, line, "unknown key '%s' in %s; did you mean '%s'?", key, where,
                        keys[best].name);
        return fail(p, line, "unknown key '%s' in %s; did you mean '%s' in [%s]?", key, where,
                    keys[best].name, section_names[keys[best].section]);
    }
    char list[256] = "";
    for (int k = 0, n = 0; k < N_KEYS; k++)
        if (key_allowed_here(p, k))
            n += snprintf(list + n, sizeof list - (size_t)n, "%s%s", n ? ", " : "",
                          keys[k].name);
    return fail(p, line, "unknown key '%s' in %s; valid keys: %s", key, where, list);
}

/* Returns the key id, or -1 after reporting why key cannot be set here. */
static int lookup_key(parser *p, const char *key, int line)
{
    int k = 0;
    while (k < N_KEYS && strcmp(key, keys[k].name) != 0)
        k++;
    if (k < N_KEYS && key_allowed_here(p, k))
        return k;
    if (k < N_KEYS && p->section == SEC_EXPERIMENT)
        return fail(p, line, "'%s' can only be set in [sweep]: it applies to the whole sweep",
                    key);
    if (k < N_KEYS)
        return fail(p, line, "'%s' belongs in [%s], not [%s]", key,
                    section_names[keys[k].section], section_names[p->section]);
    const char *dot = strrchr(key, '.');
    if (p->section == SEC_EXPERIMENT && dot) {
        for (k = 0; k < N_KEYS; k++)
            if (is_trial_key(k) && strcmp(dot + 1, keys[k].name) == 0)
                return fail(p, line, "unknown key '%s' in [experiment %s]; write '%s' "
                            "(experiment keys take no section prefix)", key,
                            current_scope(p)->name, keys[k].name);
    }
    return unknown_key(p, key, line);
}

/* ------------------------------------------------------------ settings */

/* Alternatives that read the same in a trial name would make two trials
 * with one name (and usually the same settings), so they are refused. */
static int check_distinct_labels(parser *p, int k, const setting *s, int line)
{
    if (s->n_alts < 2 || !is_trial_key(k))
        return 0;
    char (*labels)[TRIAL_PATH_MAX] = xcalloc((size_t)s->n_alts, sizeof *labels);
    int rc = 0;
    for (int i = 0; i < s->n_alts && rc == 0; i++) {
        trial_settings t;
        trial_defaults(&t);
        CHECK(parse_value(k, s->alts[i], &t, p->config, NULL, 0) == 0, "revalidating %s", s->alts[i]);
        value_label(k, &t, labels[i], TRIAL_PATH_MAX);
        for (int j = 0; j < i && rc == 0; j++)
            if (strcmp(labels[i], labels[j]) == 0)
                rc = fail(p, line, "%s: alternatives '%s' and '%s' give the same trial name "
                          "part '%s-%s'", keys[k].name, s->alts[j], s->alts[i], keys[k].name,
                          labels[i]);
    }
    free(labels);
    return rc;
}

/* Splits value at '|' into s and validates every alternative. */
static int parse_setting(parser *p, int k, char *value, int line, setting *s)
{
    if (!*value)
        return fail(p, line, "%s: empty value", keys[k].name);
    int n = count_items(value, '|');
    if (n > 1 && !is_trial_key(k))
        return fail(p, line, "%s cannot have alternatives: it applies to the whole sweep",
                    keys[k].name);
    s->line = line;
    s->n_alts = n;
    s->alts = xcalloc((size_t)n, sizeof *s->alts);
    split_items(value, '|', s->alts, n);
    for (int i = 0; i < n; i++) {
        if (!*s->alts[i])
            return fail(p, line, "%s: empty alternative (nothing between '|' and its "
                        "neighbour)", keys[k].name);
        trial_settings scratch;
        trial_defaults(&scratch);
        char msg[TRIAL_PATH_MAX + 256];
        if (parse_value(k, s->alts[i], &scratch, p->config, msg, sizeof msg) < 0)
            return fail(p, line, "%s", msg);
    }
    return check_distinct_labels(p, k, s, line);
}

/* "SECTION.KEY = VALUE" in [set]: checked as the key would be in its
 * section, then it replaces the file's value for every trial (an
 * experiment's own value of the key included). */
static int parse_override(parser *p, char *key, char *value, int line)
{
    char *dot = strchr(key, '.');
    if (!dot)
        return fail(p, line, "'%s': an override is SECTION.KEY=VALUE, e.g. train.epochs=1", key);
    *dot = '\0';
    int section = 0;
    while (section < SEC_EXPERIMENT && strcmp(key, section_names[section]) != 0)
        section++;
    if (section == SEC_EXPERIMENT)
        return unknown_section(p, key, line);
    p->section = section;
    int k = lookup_key(p, dot + 1, line);
    p->section = SEC_SET;
    if (k < 0)
        return -1;
    setting replacement = { 0 };
    if (parse_setting(p, k, value, line, &replacement) < 0) {
        free(replacement.alts);
        return -1;
    }
    int twin = k == K_CONV ? K_GROUPS : k == K_GROUPS ? K_CONV : -1;
    for (int i = -1; i < p->n_exps; i++) {
        scope *s = i < 0 ? &p->base : &p->exps[i];
        free(s->set[k].alts);
        memset(&s->set[k], 0, sizeof s->set[k]);
        if (twin >= 0) {
            free(s->set[twin].alts);
            memset(&s->set[twin], 0, sizeof s->set[twin]);
        }
    }
    p->base.set[k] = replacement;
    return 0;
}

static int parse_assignment(parser *p, char *text, int line)
{
    if (p->section < 0)
        return fail(p, line, "'%s' is outside any section; start one first, e.g. [model]",
                    text);
    char *eq = strchr(text, '=');
    if (!eq)
        return fail(p, line, "missing '=' in '%s'; expected key = value", text);
    *eq = '\0';
    char *key = trim(text), *value = trim(eq + 1);
    if (!*key)
        return fail(p, line, "missing key before '='");
    if (p->section == SEC_SET)
        return parse_override(p, key, value, line);
    int k = lookup_key(p, key, line);
    if (k < 0)
        return -1;
    scope *s = current_scope(p);
    char where[TRIAL_NAME_MAX + 16];
    describe_section(p, where, sizeof where);
    if (s->set[k].line)
        return fail(p, line, "duplicate key '%s' in %s (first set on line %d)", key, where,
                    s->set[k].line);
    int twin = k == K_CONV ? K_GROUPS : k == K_GROUPS ? K_CONV : -1;
    if (twin >= 0 && s->set[twin].line)
        return fail(p, line, "both conv and groups in %s (%s on line %d): they describe the "
                    "same blocks, keep one", where, keys[twin].name, s->set[twin].line);
    return parse_setting(p, k, value, line, &s->set[k]);
}

static int parse_line(parser *p, char *text, int line)
{
    char *comment = strchr(text, '#');
    if (comment)
        *comment = '\0';
    text = trim(text);
    if (!*text)
        return 0;
    if (*text == '[')
        return parse_header(p, text, line);
    return parse_assignment(p, text, line);
}

static int parse_lines(parser *p)
{
    char *text = p->copy;
    for (int line = 1; text; line++) {
        char *next = strchr(text, '\n');
        if (next)
            *next++ = '\0';
        if (parse_line(p, text, line) < 0)
            return -1;
        text = next;
    }
    return 0;
}

/* ---------------------------------------------------- sweep-wide names */

/* Without [sweep] name the sweep is named after the file: "sweep/quick.cfg"
 * is "quick". */
static int name_from_label(parser *p)
{
    sweep_config *c = p->config;
    const char *slash = strrchr(p->label, '/');
    const char *base = slash ? slash + 1 : p->label;
    const char *dot = strrchr(base, '.');
    int len = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
    if (len >= TRIAL_NAME_MAX)
        len = TRIAL_NAME_MAX - 1;
    snprintf(c->name, sizeof c->name, "%.*s", len, base);
    if (!valid_name(c->name))
        return fail(p, 0, "the file name does not make a valid sweep name ('%s' is not "
                    "[A-Za-z0-9._-]+); set name in [sweep]", c->name);
    return 0;
}

static int resolve_sweep_names(parser *p)
{
    sweep_config *c = p->config;
    if (!p->base.set[K_NAME].line && name_from_label(p) < 0)
        return -1;
    if (!p->base.set[K_OUTPUT].line)
        snprintf(c->output, sizeof c->output, "results/%s.h5", c->name);
    if (!p->base.set[K_RANKS_PER_TRIAL].line)
        c->ranks_per_trial = 1;
    if (!p->base.set[K_PUBLISH_INTERVAL].line)
        c->publish_interval = 5.0;
    if (!p->base.set[K_PROGRESS_SECONDS].line)
        c->progress_seconds = 60.0;
    return 0;
}

/* ------------------------------------------------------------ expansion */

/* An experiment inherits each base key it does not set. conv and groups
 * count as one: setting either replaces the inherited architecture. */
static const setting *effective(const parser *p, const scope *e, int k)
{
    int arch = k == K_CONV || k == K_GROUPS;
    int overridden = arch ? e->set[K_CONV].line || e->set[K_GROUPS].line : e->set[k].line;
    return overridden ? &e->set[k] : &p->base.set[k];
}

static int count_trials(parser *p, const scope *e, long *count)
{
    *count = 1;
    for (int k = 0; k < N_KEYS; k++) {
        const setting *s = effective(p, e, k);
        if (is_trial_key(k) && s->line)
            *count *= s->n_alts;
        if (*count > CONFIG_MAX_TRIALS)
            return fail(p, e->line, "experiment '%s' has more than %d trials", e->name,
                        CONFIG_MAX_TRIALS);
    }
    return 0;
}

/* Appends "_KEY-LABEL" to t->name; -1 when the name would not fit. */
static int append_axis(trial_settings *t, int k)
{
    char label[TRIAL_PATH_MAX];
    value_label(k, t, label, sizeof label);
    size_t used = strlen(t->name);
    int n = snprintf(t->name + used, sizeof t->name - used, "_%s-%s", keys[k].name, label);
    return n < 0 || (size_t)n >= sizeof t->name - used ? -1 : 0;
}

/* Trial `index` of experiment e: index in mixed radix over the axes, the
 * last axis varying fastest. */
static int build_trial(parser *p, const scope *e, long index, trial_settings *t)
{
    int choice[N_KEYS] = {0};
    for (int k = N_KEYS - 1; k >= 0; k--) {
        const setting *s = effective(p, e, k);
        if (is_trial_key(k) && s->line) {
            choice[k] = (int)(index % s->n_alts);
            index /= s->n_alts;
        }
    }
    trial_defaults(t);
    snprintf(t->experiment, sizeof t->experiment, "%s", e->name);
    snprintf(t->name, sizeof t->name, "%s", e->name);
    for (int k = 0; k < N_KEYS; k++) {
        const setting *s = effective(p, e, k);
        if (!is_trial_key(k) || !s->line)
            continue;
        CHECK(parse_value(k, s->alts[choice[k]], t, p->config, NULL, 0) == 0, "revalidating");
        if (s->n_alts > 1 && append_axis(t, k) < 0)
            return fail(p, e->line, "trial names of experiment '%s' would be longer than %d "
                        "characters; shorten the name or the axes", e->name, TRIAL_NAME_MAX - 1);
    }
    trial_rehash(t);
    return 0;
}

typedef struct {
    const char *name;
    long index;     /* position in file order */
    int line;       /* its experiment's header line */
} name_ref;

static int compare_name_refs(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Trial names key the results file, so they must be unique. Sorting finds
 * repeats in n log n; of all repeats the earliest second use is reported,
 * as a reader going down the file would meet it. */
static int check_unique_names(parser *p, const int *lines)
{
    sweep_config *c = p->config;
    name_ref *refs = xcalloc((size_t)c->n_trials, sizeof *refs);
    for (int i = 0; i < c->n_trials; i++)
        refs[i] = (name_ref){c->trials[i].name, i, lines[i]};
    qsort(refs, (size_t)c->n_trials, sizeof *refs, compare_name_refs);
    int second = -1;   /* index into refs; refs[second - 1] is the first use */
    for (int i = 1; i < c->n_trials; i++) {
        int starts_repeat = strcmp(refs[i].name, refs[i - 1].name) == 0 &&
                            (i == 1 || strcmp(refs[i - 1].name, refs[i - 2].name) != 0);
        if (starts_repeat && (second < 0 || refs[i].index < refs[second].index))
            second = i;
    }
    int rc = 0;
    if (second >= 0) {
        const name_ref *first = &refs[second - 1];
        rc = fail(p, refs[second].line, "duplicate trial name '%s' (also made by experiment "
                  "'%s' on line %d)", refs[second].name, c->trials[first->index].experiment,
                  first->line);
    }
    free(refs);
    return rc;
}

/* With no [experiment] the base is the one experiment, named after the
 * sweep; errors about it point at its first axis (or line 1). */
static void add_implicit_experiment(parser *p)
{
    int line = 0;
    for (int k = 0; k < N_KEYS; k++)
        if (p->base.set[k].n_alts > 1 && (!line || p->base.set[k].line < line))
            line = p->base.set[k].line;
    p->exps = xcalloc(1, sizeof *p->exps);
    p->n_exps = p->cap_exps = 1;
    p->exps[0].name = p->config->name;
    p->exps[0].line = line ? line : 1;
}

static int expand(parser *p)
{
    sweep_config *c = p->config;
    if (p->n_exps == 0)
        add_implicit_experiment(p);
    long *counts = xcalloc((size_t)p->n_exps, sizeof *counts), total = 0;
    int rc = 0;
    for (int i = 0; i < p->n_exps && rc == 0; i++) {
        rc = count_trials(p, &p->exps[i], &counts[i]);
        total += counts[i];
        if (rc == 0 && total > CONFIG_MAX_TRIALS)
            rc = fail(p, p->exps[i].line, "the sweep has more than %d trials",
                      CONFIG_MAX_TRIALS);
    }
    if (rc < 0) {
        free(counts);
        return -1;
    }
    c->n_trials = (int)total;
    c->trials = xcalloc((size_t)total, sizeof *c->trials);
    int *lines = xcalloc((size_t)total, sizeof *lines);
    int at = 0;
    for (int i = 0; i < p->n_exps && rc == 0; i++)
        for (long j = 0; j < counts[i] && rc == 0; j++, at++) {
            lines[at] = p->exps[i].line;
            rc = build_trial(p, &p->exps[i], j, &c->trials[at]);
        }
    if (rc == 0)
        rc = check_unique_names(p, lines);
    free(lines);
    free(counts);
    return rc;
}

/* -------------------------------------------------------------- public */

static sweep_config *parse_text(const char *text, const char *label,
                                const char *const *options, int first_option_line,
                                char *err, int err_size)
{
    sweep_config *c = xcalloc(1, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", label);
    c->text = dup_text(text);
    c->text_hash = fnv1a64(text, strlen(text));

    parser p = {.label = label, .err = err, .err_size = err_size, .config = c,
                .copy = dup_text(text), .section = -1, .options = options,
                .first_option_line = first_option_line};
    int rc = parse_lines(&p);
    if (rc == 0)
        rc = resolve_sweep_names(&p);
    if (rc == 0)
        rc = expand(&p);
    parser_free(&p);
    if (rc < 0) {
        config_free(c);
        return NULL;
    }
    return c;
}

sweep_config *config_parse(const char *text, const char *label, char *err, int err_size)
{
    return parse_text(text, label, NULL, 0, err, err_size);
}

/* A sweep file is a page of text; a megabyte means a wrong file. */
#define CONFIG_MAX_BYTES (1 << 20)

/* The whole file, NUL-terminated; NULL with err set on failure. */
static char *read_file(const char *path, char *err, int err_size)
{
    /* A FIFO or a device (/dev/zero) would hang or fill memory. */
    if (check_regular_file(path, err, err_size) != 0)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, (size_t)err_size, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t len = 0, cap = 4096;
    char *buf = xcalloc(cap, 1);
    size_t got;
    while ((got = fread(buf + len, 1, cap - 1 - len, f)) > 0) {
        len += got;
        if (len > CONFIG_MAX_BYTES) {
            snprintf(err, (size_t)err_size, "%s: larger than %d bytes; not a sweep file",
                     path, CONFIG_MAX_BYTES);
            fclose(f);
            free(buf);
            return NULL;
        }
        if (len == cap - 1) {
            char *grown = xcalloc(2 * cap, 1);
            memcpy(grown, buf, len);
            free(buf);
            buf = grown;
            cap *= 2;
        }
    }
    int failed = ferror(f), saved = errno;
    fclose(f);
    if (failed) {
        snprintf(err, (size_t)err_size, "%s: cannot read: %s", path, strerror(saved));
        free(buf);
        return NULL;
    }
    if (strlen(buf) != len) {
        snprintf(err, (size_t)err_size, "%s: contains a NUL byte; not a text file", path);
        free(buf);
        return NULL;
    }
    return buf;
}

sweep_config *config_load(const char *path, char *err, int err_size)
{
    return config_load_with(path, NULL, 0, err, err_size);
}

/* The file's text, then "[set]" and a "SECTION.KEY = VALUE" line per
 * option: what is parsed, and what the results file keeps as the
 * configuration, so a reread of it gives the same trials. Returns the
 * [set] header's line number through set_line. */
static char *text_with_options(char *text, const char *const *options, int n_options,
                               int *set_line, char *err, int err_size)
{
    size_t length = strlen(text), extra = 16;
    int newlines = 0;
    for (const char *c = text; *c; c++)
        newlines += *c == '\n';
    int ends_in_newline = length == 0 || text[length - 1] == '\n';
    for (int i = 0; i < n_options; i++) {
        const char *eq = strchr(options[i], '=');
        if (!eq || eq == options[i] || strchr(options[i], '\n')) {
            snprintf(err, (size_t)err_size, "--set %s: expected SECTION.KEY=VALUE, e.g. "
                     "train.epochs=1", options[i]);
            return NULL;
        }
        extra += strlen(options[i]) + 4;
    }
    char *joined = xcalloc(length + extra + 2, 1);
    int n = snprintf(joined, length + extra + 2, "%s%s[set]\n", text, ends_in_newline ? "" : "\n");
    for (int i = 0; i < n_options; i++) {
        const char *eq = strchr(options[i], '=');
        n += snprintf(joined + n, length + extra + 2 - (size_t)n, "%.*s = %s\n",
                      (int)(eq - options[i]), options[i], eq + 1);
    }
    *set_line = newlines + (ends_in_newline ? 1 : 2);
    return joined;
}

sweep_config *config_load_with(const char *path, const char *const *options, int n_options,
                               char *err, int err_size)
{
    char *text = read_file(path, err, err_size);
    if (!text)
        return NULL;
    int set_line = 0;
    if (n_options > 0) {
        char *joined = text_with_options(text, options, n_options, &set_line, err, err_size);
        free(text);
        if (!joined)
            return NULL;
        text = joined;
    }
    sweep_config *c = parse_text(text, path, options, set_line, err, err_size);
    free(text);
    return c;
}

void config_free(sweep_config *c)
{
    if (!c)
        return;
    free(c->text);
    free(c->trials);
    free(c);
}

/* ------------------------------------------------------------ dry run */

/* The dry run's columns: the trial's name and hash, then every setting
 * that has a dry-run label (settings_table.h), each as wide as its widest
 * value. */
void config_print_trials(const sweep_config *c, FILE *out)
{
    char value[TRIAL_PATH_MAX];
    int name_w = 5, width[64] = {0};
    for (int k = 0; k < n_settings; k++)
        width[k] = (int)strlen(setting_table[k].dry_run_label);
    for (int i = 0; i < c->n_trials; i++) {
        int n = (int)strlen(c->trials[i].name);
        name_w = n > name_w ? n : name_w;
        for (int k = 0; k < n_settings; k++) {
            n = setting_display(&setting_table[k], &c->trials[i], value, sizeof value);
            width[k] = n > width[k] ? n : width[k];
        }
    }
    fprintf(out, "%-*s  %-16s", name_w, "trial", "hash");
    for (int k = 0; k < n_settings; k++)
        if (setting_table[k].dry_run_label[0])
            fprintf(out, "  %-*s", width[k], setting_table[k].dry_run_label);
    fputc('\n', out);
    for (int i = 0; i < c->n_trials; i++) {
        const trial_settings *t = &c->trials[i];
        fprintf(out, "%-*s  %016" PRIx64, name_w, t->name, t->hash);
        for (int k = 0; k < n_settings; k++)
            if (setting_table[k].dry_run_label[0]) {
                setting_display(&setting_table[k], t, value, sizeof value);
                fprintf(out, "  %-*s", width[k], value);
            }
        fputc('\n', out);
    }
}

int config_shard_path(const char *path, int index, int count, char *out, size_t size)
{
    size_t len = strlen(path);
    int h5 = len > 3 && strcmp(path + len - 3, ".h5") == 0;
    int n = snprintf(out, size, "%.*s.shard-%d-of-%d%s", (int)(h5 ? len - 3 : len), path, index,
                     count, h5 ? ".h5" : "");
    return n > 0 && (size_t)n < size ? 0 : -1;
}

void config_keep_shard(sweep_config *c, int index, int count)
{
    int kept = 0;
    for (int i = 0; i < c->n_trials; i++)
        if (c->trials[i].hash % (uint64_t)count == (uint64_t)index)
            c->trials[kept++] = c->trials[i];
    c->n_trials = kept;
}
