/* config: the sweep file's syntax, parsed into scopes (the base sections
 * and each [experiment]) that the grid (search/grid.c) then expands into
 * trials, or draws them from (search/sample.c). Parsing validates every
 * value and every alternative as it reads it (values.c), so all errors --
 * including those in settings an experiment later overrides -- surface
 * before any work starts, each as one "FILE:LINE: message". The parse state (config/syntax.h) lives only
 * inside config_parse; the returned sweep_config owns just its text and
 * trials. */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/search_options.h"
#include "config/syntax.h"
#include "config/values.h"
#include "core/util.h"
#include "search/grid.h"

const char *const search_method_names[4] = { "grid", "random", "sha", "asha" };
const char *const search_metric_names[2] = { "val_accuracy", "val_loss" };

#define SUGGEST_KEY_MAX 64      /* longer words are not typos of a key */

static const char *const section_names[N_SECTIONS] = {
    "sweep", "data", "train", "model", "search", "experiment", "set",
};

/* ------------------------------------------------------- small text tools */

char *config_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

char *config_dup_text(const char *s)
{
    size_t n = strlen(s);
    char *d = xcalloc(n + 1, 1);
    memcpy(d, s, n);
    return d;
}

int config_count_items(const char *s, char sep)
{
    int n = 1;
    for (; *s; s++)
        n += *s == sep;
    return n;
}

/* Cuts s in place at each sep into exactly n trimmed items. */
void config_split_items(char *s, char sep, char **items, int n)
{
    for (int i = 0; i < n; i++) {
        char *end = strchr(s, sep);
        if (end)
            *end = '\0';
        items[i] = config_trim(s);
        s = end ? end + 1 : s + strlen(s);
    }
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

/* ------------------------------------------------------------ parse state */

/* Writes "LABEL:LINE: message" (or "LABEL: message" for line 0). */
int config_fail(parser *p, int line, const char *fmt, ...)
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
        return config_fail(p, line, "unknown section [%s]; did you mean [%s]?", name,
                           section_names[best]);
    return config_fail(p, line, "unknown section [%s]; sections are [sweep], [data], [train], "
                       "[model], [search], [experiment NAME] and [set]", name);
}

static int open_experiment(parser *p, const char *name, int line)
{
    if (!*name)
        return config_fail(p, line, "malformed section header: expected [experiment NAME]");
    if (!grid_valid_name(name) || strlen(name) >= TRIAL_NAME_MAX)
        return config_fail(p, line, "experiment name '%s' must be 1-%d characters of "
                           "[A-Za-z0-9._-]", name, TRIAL_NAME_MAX - 1);
    for (int i = 0; i < p->n_exps; i++)
        if (strcmp(p->exps[i].name, name) == 0)
            return config_fail(p, line, "duplicate experiment '%s' (first on line %d)", name,
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
        return config_fail(p, line, "malformed section header '%s': expected [NAME] alone on "
                           "the line", text);
    *close = '\0';
    char *word = config_trim(text + 1);
    char *rest = word + strcspn(word, " \t");
    if (*rest)
        *rest++ = '\0';
    rest = config_trim(rest);
    int s = 0;
    while (s < N_SECTIONS && strcmp(word, section_names[s]) != 0)
        s++;
    if (s == N_SECTIONS)
        return unknown_section(p, word, line);
    if (p->set_line && s != SEC_SET)
        return config_fail(p, line, "[%s] after [set] (line %d): [set] overrides the whole file "
                           "and comes last", word, p->set_line);
    if (s == SEC_EXPERIMENT)
        return open_experiment(p, rest, line);
    if (s == SEC_SET) {
        if (*rest)
            return config_fail(p, line, "malformed section header: [set] takes no name");
        p->set_line = p->set_line ? p->set_line : line;   /* a second [set] continues it */
        p->section = SEC_SET;
        return 0;
    }
    if (*rest)
        return config_fail(p, line, "malformed section header: [%s] takes no name", word);
    if (p->section_line[s])
        return config_fail(p, line, "duplicate section [%s] (first on line %d)", word,
                           p->section_line[s]);
    p->section_line[s] = line;
    p->section = s;
    return 0;
}

/* ---------------------------------------------------------------- keys */

static int key_allowed_here(const parser *p, int k)
{
    return p->section == SEC_EXPERIMENT ? is_trial_key(k) : (int)key_table[k].section == p->section;
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
        int d = edit_distance(key, key_table[k].name);
        if (d < best_d || (best >= 0 && d == best_d && key_allowed_here(p, k) &&
                           !key_allowed_here(p, best)))
            best = k, best_d = d;
    }
    if (best >= 0 && is_near(best_d, key_table[best].name)) {
        if (key_allowed_here(p, best))
            return config_fail(p, line, "unknown key '%s' in %s; did you mean '%s'?", key, where,
                               key_table[best].name);
        return config_fail(p, line, "unknown key '%s' in %s; did you mean '%s' in [%s]?", key,
                           where, key_table[best].name, section_names[key_table[best].section]);
    }
    char list[256] = "";
    for (int k = 0, n = 0; k < N_KEYS; k++)
        if (key_allowed_here(p, k))
            n += snprintf(list + n, sizeof list - (size_t)n, "%s%s", n ? ", " : "",
                          key_table[k].name);
    return config_fail(p, line, "unknown key '%s' in %s; valid keys: %s", key, where, list);
}

/* Returns the key id, or -1 after reporting why key cannot be set here. */
static int lookup_key(parser *p, const char *key, int line)
{
    int k = 0;
    while (k < N_KEYS && strcmp(key, key_table[k].name) != 0)
        k++;
    if (k < N_KEYS && key_allowed_here(p, k))
        return k;
    if (k < N_KEYS && p->section == SEC_EXPERIMENT)
        return config_fail(p, line, "'%s' can only be set in [%s]: it applies to the whole "
                           "sweep", key, section_names[key_table[k].section]);
    if (k < N_KEYS)
        return config_fail(p, line, "'%s' belongs in [%s], not [%s]", key,
                           section_names[key_table[k].section], section_names[p->section]);
    const char *dot = strrchr(key, '.');
    if (p->section == SEC_EXPERIMENT && dot) {
        for (k = 0; k < N_KEYS; k++)
            if (is_trial_key(k) && strcmp(dot + 1, key_table[k].name) == 0)
                return config_fail(p, line, "unknown key '%s' in [experiment %s]; write '%s' "
                                   "(experiment keys take no section prefix)", key,
                                   current_scope(p)->name, key_table[k].name);
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
                rc = config_fail(p, line, "%s: alternatives '%s' and '%s' give the same trial "
                                 "name part '%s-%s'", key_table[k].name, s->alts[j], s->alts[i],
                                 key_table[k].name, labels[i]);
    }
    free(labels);
    return rc;
}

/* Splits value at '|' into s and validates every alternative, or the
 * one distribution the value may be instead. */
static int parse_setting(parser *p, int k, char *value, int line, setting *s)
{
    if (!*value)
        return config_fail(p, line, "%s: empty value", key_table[k].name);
    int n = config_count_items(value, '|');
    if (n > 1 && !is_trial_key(k))
        return config_fail(p, line, "%s cannot have alternatives: it applies to the whole sweep",
                           key_table[k].name);
    s->line = line;
    s->n_alts = n;
    s->alts = xcalloc((size_t)n, sizeof *s->alts);
    config_split_items(value, '|', s->alts, n);
    for (int i = 0; i < n; i++) {
        if (!*s->alts[i])
            return config_fail(p, line, "%s: empty alternative (nothing between '|' and its "
                               "neighbour)", key_table[k].name);
        trial_settings scratch;
        trial_defaults(&scratch);
        char msg[TRIAL_PATH_MAX + 256];
        if (distribution_written(k, s->alts[i])) {
            if (n > 1)
                return config_fail(p, line, "%s: the distribution '%s' cannot be one of several "
                                   "alternatives; write it alone", key_table[k].name, s->alts[i]);
            if (distribution_parse(k, s->alts[i], &s->dist, msg, sizeof msg) < 0)
                return config_fail(p, line, "%s", msg);
        } else if (parse_value(k, s->alts[i], &scratch, p->config, msg, sizeof msg) < 0) {
            return config_fail(p, line, "%s", msg);
        }
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
        return config_fail(p, line, "'%s': an override is SECTION.KEY=VALUE, e.g. "
                           "train.epochs=1", key);
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
        return config_fail(p, line, "'%s' is outside any section; start one first, e.g. [model]",
                           text);
    char *eq = strchr(text, '=');
    if (!eq)
        return config_fail(p, line, "missing '=' in '%s'; expected key = value", text);
    *eq = '\0';
    char *key = config_trim(text), *value = config_trim(eq + 1);
    if (!*key)
        return config_fail(p, line, "missing key before '='");
    if (p->section == SEC_SET)
        return parse_override(p, key, value, line);
    int k = lookup_key(p, key, line);
    if (k < 0)
        return -1;
    scope *s = current_scope(p);
    char where[TRIAL_NAME_MAX + 16];
    describe_section(p, where, sizeof where);
    if (s->set[k].line)
        return config_fail(p, line, "duplicate key '%s' in %s (first set on line %d)", key, where,
                           s->set[k].line);
    int twin = k == K_CONV ? K_GROUPS : k == K_GROUPS ? K_CONV : -1;
    if (twin >= 0 && s->set[twin].line)
        return config_fail(p, line, "both conv and groups in %s (%s on line %d): they describe the "
                           "same blocks, keep one", where, key_table[twin].name, s->set[twin].line);
    return parse_setting(p, k, value, line, &s->set[k]);
}

static int parse_line(parser *p, char *text, int line)
{
    char *comment = strchr(text, '#');
    if (comment)
        *comment = '\0';
    text = config_trim(text);
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

/* -------------------------------------------------------------- public */

static sweep_config *parse_text(const char *text, const char *label,
                                const char *const *options, int first_option_line,
                                char *err, int err_size)
{
    sweep_config *c = xcalloc(1, sizeof *c);
    c->search = (search_options){ SEARCH_GRID, 0, 1, 3, 1, METRIC_VAL_ACCURACY };
    snprintf(c->path, sizeof c->path, "%s", label);
    c->text = config_dup_text(text);
    c->text_hash = fnv1a64(text, strlen(text));

    parser p = {.label = label, .err = err, .err_size = err_size, .config = c,
                .copy = config_dup_text(text), .section = -1, .options = options,
                .first_option_line = first_option_line};
    int rc = parse_lines(&p);
    if (rc == 0)
        rc = config_check_search(&p);
    if (rc == 0)
        rc = grid_resolve_sweep_names(&p);
    if (rc == 0)
        rc = grid_expand(&p);
    if (rc == 0)
        rc = config_check_search_trials(&p);
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
char *config_read_file(const char *path, char *err, int err_size)
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
    char *text = config_read_file(path, err, err_size);
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
