/* grid: the parsed scopes expanded into trials. An experiment inherits
 * every base key it does not set; its configurations are the product of
 * its axes in the key table's order, each named after the experiment and
 * its axis values (or, for random, sha and asha, drawn: search/sample.c);
 * each configuration is one trial, or `repeats` of them with successive
 * seeds; the names key the results file, so they must be unique. Also
 * the sweep-wide names and defaults, and the cutting of a sweep into
 * shards. */
#include "search/grid.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text_pool.h"
#include "core/util.h"
#include "nn/net.h"
#include "search/sample.h"

#define CONFIG_MAX_TRIALS 100000 /* far past any real sweep; stops a runaway grid */

/* ----------------------------------------------------------- trial names */

static int is_name_char(int ch)
{
    return isalnum(ch) || ch == '.' || ch == '_' || ch == '-';
}

/* A trial or sweep name: also an HDF5 group name and a file name, so no
 * '/', no spaces, and not "." or ".." (which HDF5 and the shell read as
 * paths). */
int grid_valid_name(const char *s)
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
void grid_name_part(const char *s, char *buf, int size)
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
    if (!grid_valid_name(c->name))
        return config_fail(p, 0, "the file name does not make a valid sweep name ('%s' is not "
                           "[A-Za-z0-9._-]+); set name in [sweep]", c->name);
    return 0;
}

int grid_resolve_sweep_names(parser *p)
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
const setting *grid_setting(const parser *p, const scope *e, int k)
{
    int arch = k == K_CONV || k == K_GROUPS;
    int overridden = arch ? e->set[K_CONV].line || e->set[K_GROUPS].line : e->set[k].line;
    return overridden ? &e->set[k] : &p->base.set[k];
}

/* A grid's configurations of e: the product of its axes. */
static int count_trials(parser *p, const scope *e, long *count)
{
    *count = 1;
    for (int k = 0; k < N_KEYS; k++) {
        const setting *s = grid_setting(p, e, k);
        if (is_trial_key(k) && s->line)
            *count *= s->n_alts;
        if (*count > CONFIG_MAX_TRIALS)
            return config_fail(p, e->line, "experiment '%s' has more than %d trials", e->name,
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
    int n = snprintf(t->name + used, sizeof t->name - used, "_%s-%s", key_table[k].name, label);
    return n < 0 || (size_t)n >= sizeof t->name - used ? -1 : 0;
}

int grid_name_too_long(parser *p, const scope *e)
{
    return config_fail(p, e->line, "trial names of experiment '%s' would be longer than %d "
                       "characters; shorten the name or the axes", e->name, TRIAL_NAME_MAX - 1);
}

/* A base is checked as a whole trial (its input size and width may come
 * from anywhere in the file), by building it: at the line of its base. */
static int check_base_trial(parser *p, const scope *e, trial_settings *t)
{
    if (!t->base || !t->base[0]) {
        /* the base's keys mean nothing without one: left at their defaults,
         * they stay out of the hash (a --set model.base_weights=none for a
         * whole file leaves its block trials as they were) */
        t->base_weights[0] = '\0';
        t->input_size = 0;
        t->base_trainable = 0;
        t->base_width = 1;
        trial_rehash(t);
        return 0;
    }
    const int line = grid_setting(p, e, K_BASE)->line;
    if (t->network && t->network[0])
        return config_fail(p, line, "%s: both base and network (line %d): a network file is the "
                           "whole model, keep one", t->name, grid_setting(p, e, K_NETWORK)->line);
    char err[512];
    net *layout = net_layout(t, err, sizeof err);
    const int builds = layout != NULL;
    net_free(layout);
    return builds ? 0 : config_fail(p, line, "%s: %s", t->name, err);
}

/* Configuration `index` of experiment e's grid: index in mixed radix over
 * the axes, the last axis varying fastest. */
static int build_trial(parser *p, const scope *e, long index, trial_settings *t)
{
    int choice[N_KEYS] = {0};
    for (int k = N_KEYS - 1; k >= 0; k--) {
        const setting *s = grid_setting(p, e, k);
        if (is_trial_key(k) && s->line) {
            choice[k] = (int)(index % s->n_alts);
            index /= s->n_alts;
        }
    }
    trial_defaults(t);
    snprintf(t->experiment, sizeof t->experiment, "%s", e->name);
    snprintf(t->name, sizeof t->name, "%s", e->name);
    for (int k = 0; k < N_KEYS; k++) {
        const setting *s = grid_setting(p, e, k);
        if (!is_trial_key(k) || !s->line)
            continue;
        CHECK(parse_value(k, s->alts[choice[k]], t, p->config, NULL, 0) == 0, "revalidating");
        if (s->n_alts > 1 && append_axis(t, k) < 0)
            return grid_name_too_long(p, e);
    }
    return 0;
}

/* Configuration `index` of the experiment numbered `experiment` in file
 * order, made by the search's method: its settings hashed and checked. */
static int build_configuration(parser *p, int experiment, long index, trial_settings *t)
{
    const scope *e = &p->exps[experiment];
    int rc = p->config->search.method == SEARCH_GRID
                 ? build_trial(p, e, index, t)
                 : sample_configuration(p, e, experiment, index, t);
    if (rc < 0)
        return -1;
    trial_rehash(t);
    return check_base_trial(p, e, t);
}

/* [search] repeats: the configuration as `repeats` trials of seeds seed,
 * seed+1, ..., named CONFIG_seed-S and labelled with CONFIG; with one
 * repeat, the configuration itself (its name and hash as they always
 * were). */
static int add_repeats(parser *p, const scope *e, const trial_settings *config,
                       trial_settings *out)
{
    const int repeats = p->config->search.repeats;
    if (repeats == 1) {
        *out = *config;
        return 0;
    }
    const char *label = text_pool_intern(config->name);
    for (int r = 0; r < repeats; r++) {
        trial_settings *t = &out[r];
        *t = *config;
        t->seed = config->seed + (uint64_t)r;
        t->configuration = label;
        if (append_axis(t, K_SEED) < 0)
            return grid_name_too_long(p, e);
        trial_rehash(t);
    }
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
        rc = config_fail(p, refs[second].line, "duplicate trial name '%s' (also made by experiment "
                         "'%s' on line %d)", refs[second].name, c->trials[first->index].experiment,
                         first->line);
    }
    free(refs);
    return rc;
}

typedef struct {
    uint64_t hash;
    int index;      /* position in file order */
} hash_ref;

static int compare_hash_refs(const void *a, const void *b)
{
    const hash_ref *x = a, *y = b;
    if (x->hash != y->hash)
        return (x->hash > y->hash) - (x->hash < y->hash);
    return (x->index > y->index) - (x->index < y->index);
}

/* Repeats of configurations whose seeds are fewer than `repeats` apart
 * (seed = 43 | 44 with repeats = 2) would train one trial twice under two
 * names, so they are refused, naming both. Trial i is repeat i % repeats
 * of its configuration; two trials of one hash but different repeats are
 * such a pair (equal configurations drawn twice give equal hashes only
 * repeat for repeat, which is sampling, not a mistake). */
static int check_repeats_differ(parser *p)
{
    const sweep_config *c = p->config;
    const int repeats = c->search.repeats;
    if (repeats == 1)
        return 0;
    hash_ref *refs = xcalloc((size_t)c->n_trials, sizeof *refs);
    for (int i = 0; i < c->n_trials; i++)
        refs[i] = (hash_ref){c->trials[i].hash, i};
    qsort(refs, (size_t)c->n_trials, sizeof *refs, compare_hash_refs);
    int first = -1, second = -1;   /* of all such pairs, the earliest second one */
    for (int i = 0, end; i < c->n_trials; i = end) {
        for (end = i + 1; end < c->n_trials && refs[end].hash == refs[i].hash; end++)
            if (refs[end].index % repeats != refs[i].index % repeats &&
                (second < 0 || refs[end].index < second))
                first = refs[i].index, second = refs[end].index;
    }
    free(refs);
    if (second < 0)
        return 0;
    return config_fail(p, p->base.set[K_REPEATS].line, "repeats: trials '%s' and '%s' would "
                       "train the same settings (seed %" PRIu64 "); the seeds of configurations "
                       "must be at least %d apart", c->trials[first].name, c->trials[second].name,
                       c->trials[first].seed, repeats);
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

int grid_expand(parser *p)
{
    sweep_config *c = p->config;
    if (p->n_exps == 0)
        add_implicit_experiment(p);
    const search_options *o = &c->search;
    long *counts = xcalloc((size_t)p->n_exps, sizeof *counts), total = 0;
    int rc = 0;
    for (int i = 0; i < p->n_exps && rc == 0; i++) {
        if (o->method == SEARCH_GRID)
            rc = count_trials(p, &p->exps[i], &counts[i]);
        else
            counts[i] = o->samples;
        total += counts[i] * o->repeats;
        if (rc == 0 && total > CONFIG_MAX_TRIALS)
            rc = config_fail(p, p->exps[i].line, "the sweep has more than %d trials",
                             CONFIG_MAX_TRIALS);
    }
    if (rc < 0) {
        free(counts);
        return -1;
    }
    c->n_trials = (int)total;
    c->trials = xcalloc((size_t)total, sizeof *c->trials);
    int *lines = xcalloc((size_t)total, sizeof *lines);
    trial_settings config;
    int at = 0;
    for (int i = 0; i < p->n_exps && rc == 0; i++)
        for (long j = 0; j < counts[i] && rc == 0; j++, at += o->repeats) {
            for (int r = 0; r < o->repeats; r++)
                lines[at + r] = p->exps[i].line;
            rc = build_configuration(p, i, j, &config);
            if (rc == 0)
                rc = add_repeats(p, &p->exps[i], &config, &c->trials[at]);
        }
    if (rc == 0)
        rc = check_unique_names(p, lines);
    if (rc == 0)
        rc = check_repeats_differ(p);
    free(lines);
    free(counts);
    return rc;
}

/* ----------------------------------------------------------------- shards */

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
