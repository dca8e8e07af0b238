/* distribution: uniform(a, b), loguniform(a, b) and randint(a, b) read
 * and checked for one key. Each bound is read as a value of the key
 * (values.c), so a bound gets the same message as the value would, and
 * a draw, lying between two valid values, is valid too. */
#include "config/distribution.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/syntax.h"
#include "config/trial.h"
#include "config/values.h"

static const char *const distribution_names[] = { "uniform", "loguniform", "randint" };
#define N_DISTRIBUTIONS 3

static int is_numeric(int k)
{
    enum kind kind = key_table[k].kind;
    return is_trial_key(k) && (kind == KIND_REAL || kind == KIND_INT || kind == KIND_SEED);
}

/* The distribution named by the n characters at s: DIST_UNIFORM..., or
 * DIST_NONE. */
static distribution_kind named(const char *s, size_t n)
{
    for (int i = 0; i < N_DISTRIBUTIONS; i++)
        if (strlen(distribution_names[i]) == n && strncmp(s, distribution_names[i], n) == 0)
            return (distribution_kind)(DIST_UNIFORM + i);
    return DIST_NONE;
}

int distribution_written(int k, const char *s)
{
    const char *open = strchr(s, '(');
    if (!open)
        return 0;
    if (is_numeric(k))
        return 1;
    size_t n = (size_t)(open - s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return named(s, n) != DIST_NONE || (n == 6 && strncmp(s, "choice", 6) == 0);
}

/* One bound read as a value of key k, into *value (real and integer keys)
 * or *seed; -1 with the value's message, without its leading "KEY: ". */
static int parse_bound(int k, const char *text, const char *bound, double *value,
                       uint64_t *seed, char *msg, int size)
{
    trial_settings scratch;
    trial_defaults(&scratch);
    char why[TRIAL_PATH_MAX + 256];
    if (parse_value(k, bound, &scratch, NULL, why, sizeof why) < 0) {
        const char *name = key_table[k].name;
        size_t n = strlen(name);
        const char *reason = strncmp(why, name, n) == 0 && strncmp(why + n, ": ", 2) == 0
                                 ? why + n + 2 : why;
        snprintf(msg, (size_t)size, "%s: %s: %s", name, text, reason);
        return -1;
    }
    const key_info *key = &key_table[k];
    if (key->kind == KIND_SEED)
        *seed = scratch.seed;
    else if (key->kind == KIND_INT)
        *value = *(const int *)((const char *)&scratch + key->offset);
    else
        *value = *(const double *)((const char *)&scratch + key->offset);
    return 0;
}

/* What may be drawn for key k with distribution kind: 0, or -1 with why. */
static int check_kind(int k, distribution_kind kind, const char *text, char *msg, int size)
{
    const key_info *key = &key_table[k];
    if (!is_trial_key(k))
        snprintf(msg, (size_t)size, "%s: '%s': %s takes one value, not a distribution: it "
                 "applies to the whole sweep", key->name, text, key->name);
    else if (!is_numeric(k))
        snprintf(msg, (size_t)size, "%s: '%s': only numeric keys take a distribution; write "
                 "%s's choices as alternatives, a | b", key->name, text, key->name);
    else if (key->kind == KIND_SEED && kind != DIST_RANDINT)
        snprintf(msg, (size_t)size, "%s: %s: a seed is drawn with randint(a, b)", key->name,
                 text);
    else if (key->kind == KIND_REAL && kind == DIST_RANDINT)
        snprintf(msg, (size_t)size, "%s: %s: randint draws integers, and %s is not an integer "
                 "setting; use uniform(a, b)", key->name, text, key->name);
    else
        return 0;
    return -1;
}

int distribution_parse(int k, const char *s, distribution *d, char *msg, int size)
{
    const char *name = key_table[k].name;
    char *text = config_dup_text(s);
    char *open = strchr(text, '('), *close = text + strlen(text) - 1;
    *open = '\0';
    const char *word = config_trim(text);
    distribution_kind kind = named(word, strlen(word));
    int rc = -1;
    if (kind == DIST_NONE && strcmp(word, "choice") == 0)
        snprintf(msg, (size_t)size, "%s: write a choice as alternatives, a | b | c", name);
    else if (kind == DIST_NONE)
        snprintf(msg, (size_t)size, "%s: '%s' is neither a value nor a distribution; the "
                 "distributions are uniform(a, b), loguniform(a, b) and randint(a, b)", name, s);
    else if (*close != ')' || close <= open)
        snprintf(msg, (size_t)size, "%s: '%s' is not %s(a, b): it must end in ')'", name, s,
                 word);
    else if (check_kind(k, kind, s, msg, size) == 0) {
        *close = '\0';
        char *bounds[2];
        if (config_count_items(open + 1, ',') != 2) {
            snprintf(msg, (size_t)size, "%s: %s takes two bounds, %s(a, b); got '%s'", name,
                     word, word, s);
            goto out;
        }
        config_split_items(open + 1, ',', bounds, 2);
        distribution got = { .kind = kind };
        if (parse_bound(k, s, bounds[0], &got.low, &got.first, msg, size) < 0 ||
            parse_bound(k, s, bounds[1], &got.high, &got.last, msg, size) < 0)
            goto out;
        if (got.low > got.high || got.first > got.last)
            snprintf(msg, (size_t)size, "%s: %s: the low bound %s is above the high bound %s",
                     name, s, bounds[0], bounds[1]);
        else if (kind == DIST_LOGUNIFORM && !(got.low > 0))
            snprintf(msg, (size_t)size, "%s: %s: loguniform needs a low bound > 0, got %s",
                     name, s, bounds[0]);
        else {
            *d = got;
            rc = 0;
        }
    }
out:
    free(text);
    return rc;
}
