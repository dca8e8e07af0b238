/* settings_table: the table of trial settings, each setting's text form
 * by its kind, and what is built from the table alone: the defaults, the
 * canonical text (hashed) and the text a trial is sent in. */
#include "config/settings_table.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text_pool.h"
#include "core/util.h"

#define OFFSET_PATH(f) offsetof(trial_settings, f)
#define OFFSET_REAL(f) offsetof(trial_settings, f)
#define OFFSET_INT(f) offsetof(trial_settings, f)
#define OFFSET_LIMIT(f) offsetof(trial_settings, f)
#define OFFSET_U64(f) offsetof(trial_settings, f)
#define OFFSET_BOOL(f) offsetof(trial_settings, f)
#define OFFSET_BLOCKS(f) offsetof(trial_settings, n_blocks)
#define OFFSET_UNITS(f) offsetof(trial_settings, n_dense)
#define OFFSET_TEXT(f) offsetof(trial_settings, f)
#define ROW(field, kind, hashed, summary, def, label) \
    { #field, SETTING_##kind, OFFSET_##kind(field), hashed, summary, def, label },

const setting_info setting_table[] = { TRIAL_SETTINGS(ROW) };
const int n_settings = (int)(sizeof setting_table / sizeof *setting_table);

#undef ROW

const setting_info *setting_find(const char *name)
{
    for (int i = 0; i < n_settings; i++)
        if (strcmp(setting_table[i].name, name) == 0)
            return &setting_table[i];
    return NULL;
}

void *setting_field(const setting_info *s, trial_settings *t)
{
    return (char *)t + s->offset;
}

const void *setting_field_const(const setting_info *s, const trial_settings *t)
{
    return (const char *)t + s->offset;
}

int setting_format(const setting_info *s, const trial_settings *t, char *buf, int size)
{
    const void *f = setting_field_const(s, t);
    switch (s->kind) {
    case SETTING_PATH: return snprintf(buf, (size_t)size, "%s", (const char *)f);
    case SETTING_REAL: return snprintf(buf, (size_t)size, "%.17g", *(const double *)f);
    case SETTING_INT:
    case SETTING_LIMIT:
    case SETTING_BOOL: return snprintf(buf, (size_t)size, "%d", *(const int *)f);
    case SETTING_U64: return snprintf(buf, (size_t)size, "%" PRIu64, *(const uint64_t *)f);
    case SETTING_BLOCKS: return trial_blocks_text(t, buf, size);
    case SETTING_UNITS: return trial_dense_text(t, buf, size);
    case SETTING_TEXT: {
        const char *text = *(const char *const *)f;
        return snprintf(buf, (size_t)size, "%s", text ? text : "");
    }
    }
    return -1;
}

int setting_display(const setting_info *s, const trial_settings *t, char *buf, int size)
{
    const void *f = setting_field_const(s, t);
    switch (s->kind) {
    case SETTING_BLOCKS:   /* a network file or a base says the architecture */
        if (t->network || t->base)
            return snprintf(buf, (size_t)size, "-");
        break;
    case SETTING_UNITS:    /* a base keeps its dense head */
        if (t->network)
            return snprintf(buf, (size_t)size, "-");
        break;
    case SETTING_TEXT:
        if (!*(const char *const *)f)
            return snprintf(buf, (size_t)size, "-");
        break;
    case SETTING_REAL: return snprintf(buf, (size_t)size, "%g", *(const double *)f);
    case SETTING_BOOL: return snprintf(buf, (size_t)size, "%s", *(const int *)f ? "yes" : "no");
    case SETTING_LIMIT:
        if (*(const int *)f == 0)
            return snprintf(buf, (size_t)size, "all");
        break;
    case SETTING_PATH: {
        const char *path = f, *slash = strrchr(path, '/');
        return snprintf(buf, (size_t)size, "%s", !path[0] ? "-" : slash ? slash + 1 : path);
    }
    default:
        break;
    }
    return setting_format(s, t, buf, size);
}

/* A whole decimal integer in [lo, hi]; 0 or -1. */
static int parse_integer(const char *text, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int setting_parse(const setting_info *s, trial_settings *t, const char *text)
{
    void *f = setting_field(s, t);
    long long v;
    switch (s->kind) {
    case SETTING_PATH:
        if (strlen(text) >= TRIAL_PATH_MAX)
            return -1;
        snprintf((char *)f, TRIAL_PATH_MAX, "%s", text);
        return 0;
    case SETTING_REAL: {
        char *end;
        double d = strtod(text, &end);
        if (end == text || *end)
            return -1;
        *(double *)f = d;
        return 0;
    }
    case SETTING_INT:
    case SETTING_LIMIT:
    case SETTING_BOOL:
        if (parse_integer(text, s->kind == SETTING_BOOL ? 0 : INT32_MIN,
                          s->kind == SETTING_BOOL ? 1 : INT32_MAX, &v) != 0)
            return -1;
        *(int *)f = (int)v;
        return 0;
    case SETTING_U64: {
        char *end;
        if (text[0] == '-')
            return -1;
        unsigned long long u = strtoull(text, &end, 10);
        if (end == text || *end)
            return -1;
        *(uint64_t *)f = (uint64_t)u;
        return 0;
    }
    case SETTING_BLOCKS: return trial_parse_blocks(t, text);
    case SETTING_UNITS: return trial_parse_dense(t, text);
    case SETTING_TEXT:
        if (strchr(text, '\n'))
            return -1;
        *(const char **)f = text[0] ? text_pool_intern(text) : NULL;
        return 0;
    }
    return -1;
}

/* "name = value\n" for each setting (only the hashed ones if hashed_only). */
static void append_settings(const trial_settings *t, int hashed_only, char *buf, int size,
                            int *len)
{
    for (int i = 0; i < n_settings; i++) {
        const setting_info *s = &setting_table[i];
        if (hashed_only && !s->hashed)
            continue;
        char value[TRIAL_TEXT_MAX];
        setting_format(s, t, value, sizeof value);
        if (hashed_only && s->hashed == 2 && strcmp(value, s->default_text) == 0)
            continue;
        text_append(buf, size, len, "%s = %s\n", s->name, value);
    }
}

int trial_canonical_text(const trial_settings *t, char *buf, int size)
{
    int len = 0;
    if (size > 0)
        buf[0] = '\0';
    /* The data directory is in it: a different directory may hold
     * different data, and the hash must change whenever the result can. */
    append_settings(t, 1, buf, size, &len);
    return len;
}

void trial_rehash(trial_settings *t)
{
    char text[TRIAL_TEXT_MAX];
    int len = trial_canonical_text(t, text, sizeof text);
    CHECK(len < (int)sizeof text, "a trial's settings exceed %d bytes of text", TRIAL_TEXT_MAX);
    t->hash = fnv1a64(text, (size_t)len);
}

void trial_defaults(trial_settings *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < n_settings; i++)
        CHECK(setting_parse(&setting_table[i], t, setting_table[i].default_text) == 0,
              "the default of %s does not parse", setting_table[i].name);
    trial_rehash(t);
}

int trial_settings_to_text(const trial_settings *t, char *buf, int size)
{
    int len = 0;
    if (size > 0)
        buf[0] = '\0';
    text_append(buf, size, &len, "name = %s\nexperiment = %s\n", t->name, t->experiment);
    append_settings(t, 0, buf, size, &len);
    return len;
}

/* One "key = value" line (cut in place): the name, experiment or a setting. */
static int set_from_line(trial_settings *t, char *line)
{
    char *eq = strstr(line, " = ");
    if (!eq)
        return -1;
    *eq = '\0';
    const char *key = line, *value = eq + 3;
    if (strcmp(key, "name") == 0 || strcmp(key, "experiment") == 0) {
        char *dest = key[0] == 'n' ? t->name : t->experiment;
        if (strlen(value) >= TRIAL_NAME_MAX)
            return -1;
        snprintf(dest, TRIAL_NAME_MAX, "%s", value);
        return 0;
    }
    const setting_info *s = setting_find(key);
    return s ? setting_parse(s, t, value) : -1;
}

int trial_settings_from_text(trial_settings *t, const char *text, char *err, int err_size)
{
    trial_defaults(t);
    char *line = xcalloc(TRIAL_TEXT_MAX, 1);
    for (int number = 1; *text; number++) {
        const char *end = strchr(text, '\n');
        size_t n = end ? (size_t)(end - text) : strlen(text);
        if (n >= TRIAL_TEXT_MAX || (memcpy(line, text, n), line[n] = '\0', set_from_line(t, line) != 0)) {
            snprintf(err, (size_t)err_size, "settings line %d is not a setting: %.80s", number, text);
            free(line);
            return -1;
        }
        text += n + (end != NULL);
    }
    free(line);
    trial_rehash(t);
    return 0;
}
