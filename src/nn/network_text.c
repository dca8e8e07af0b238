/* network_text: reads and writes the network text format. */
#include "nn/network_text.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

typedef struct {
    layer_spec *specs;
    int n, max;
    double dropout, l2;          /* the trial's, for layers that leave theirs unsaid */
    char *err;
    int err_size;
} reader;

static int fail_at(reader *r, int line, const char *fmt, const char *a, const char *b)
{
    int n = snprintf(r->err, (size_t)r->err_size, "line %d: ", line);
    if (n > 0 && n < r->err_size)
        snprintf(r->err + n, (size_t)(r->err_size - n), fmt, a, b);
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* "word" is one of the space-separated words of list. */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static int whole_number(const char *text, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* "K" or "KHxKW". */
static int pair(const char *text, int *a, int *b)
{
    const char *x = strchr(text, 'x');
    if (!x)
        return whole_number(text, 1, 4096, a) == 0 ? (*b = *a, 0) : -1;
    char first[32];
    if ((size_t)(x - text) >= sizeof first)
        return -1;
    snprintf(first, sizeof first, "%.*s", (int)(x - text), text);
    return whole_number(first, 1, 4096, a) == 0 && whole_number(x + 1, 1, 4096, b) == 0 ? 0 : -1;
}

/* A rate or an L2 factor: a number, or "trial" for the trial's. */
static int real_or_trial(const char *text, double trial, double *out)
{
    if (strcmp(text, "trial") == 0) {
        *out = trial;
        return 0;
    }
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= 0) || isinf(v))
        return -1;
    *out = v;
    return 0;
}

/* yes or no; *out = 1 for yes (or for no, when negated). */
static int yes_no(const char *text, int *out, int negated)
{
    if (strcmp(text, "yes") != 0 && strcmp(text, "no") != 0)
        return -1;
    *out = (strcmp(text, "yes") == 0) != negated;
    return 0;
}

static const char *const preprocess_names[] = { "none", "caffe", "tf" };

static int preprocess_named(const char *text, int *out)
{
    for (int i = 0; i < (int)(sizeof preprocess_names / sizeof *preprocess_names); i++)
        if (strcmp(text, preprocess_names[i]) == 0)
            return *out = i, 0;
    return -1;
}

static int set_from(reader *r, layer_spec *s, char *value, int line)
{
    s->n_from = 0;
    for (char *item = strtok(value, ","); item; item = strtok(NULL, ",")) {
        item = trim(item);
        if (s->n_from == LAYER_MAX_INPUTS || !*item || strlen(item) >= LAYER_NAME_MAX)
            return fail_at(r, line, "from: at most 8 inputs, each a layer name or -N%s%s", "", "");
        snprintf(s->from[s->n_from++], LAYER_NAME_MAX, "%s", item);
    }
    return s->n_from ? 0 : fail_at(r, line, "from: name at least one input%s%s", "", "");
}

static int set_pad(layer_spec *s, char *value)
{
    int v[4], n = 0;
    for (char *item = strtok(value, ","); item; item = strtok(NULL, ",")) {
        if (n == 4 || whole_number(trim(item), 0, 1024, &v[n]) != 0)
            return -1;
        n++;
    }
    if (n != 1 && n != 4)
        return -1;
    for (int i = 0; i < 4; i++)
        s->pad[i] = v[n == 1 ? 0 : i];
    return 0;
}

/* One "key = value" of the current layer. */
static int set_key(reader *r, layer_spec *s, const char *key, char *value, int line)
{
    if (strcmp(key, "name") == 0) {
        if (!*value || strlen(value) >= LAYER_NAME_MAX || strchr(value, ' ') || value[0] == '-')
            return fail_at(r, line, "name: one word under 48 characters, not starting with '-'%s%s", "", "");
        snprintf(s->name, sizeof s->name, "%s", value);
        return 0;
    }
    if (strcmp(key, "from") == 0)
        return set_from(r, s, value, line);
    if (!has_word(s->ops->keys, key))
        return fail_at(r, line, "[%s] takes no key '%s'", s->ops->name, key);
    int ok = 0;
    if (strcmp(key, "filters") == 0) ok = whole_number(value, 1, 65536, &s->filters) == 0;
    else if (strcmp(key, "units") == 0) ok = whole_number(value, 1, 65536, &s->units) == 0;
    else if (strcmp(key, "size") == 0)
        ok = s->ops == &input_ops ? whole_number(value, 1, 1024, &s->size) == 0
                                  : pair(value, &s->kh, &s->kw) == 0;
    else if (strcmp(key, "stride") == 0) ok = pair(value, &s->sh, &s->sw) == 0;
    else if (strcmp(key, "padding") == 0) {
        ok = strcmp(value, "same") == 0 || strcmp(value, "valid") == 0;
        s->valid = strcmp(value, "valid") == 0;
    } else if (strcmp(key, "activation") == 0) {
        ok = strcmp(value, "relu") == 0 || strcmp(value, "linear") == 0;
        s->relu = strcmp(value, "relu") == 0;
    } else if (strcmp(key, "channels") == 0) ok = whole_number(value, 1, 4, &s->channels) == 0;
    else if (strcmp(key, "pad") == 0) ok = set_pad(s, value) == 0;
    else if (strcmp(key, "l2") == 0) ok = real_or_trial(value, r->l2, &s->l2) == 0;
    else if (strcmp(key, "rate") == 0) ok = real_or_trial(value, r->dropout, &s->rate) == 0 && s->rate < 1;
    else if (strcmp(key, "trainable") == 0) ok = yes_no(value, &s->frozen, 1) == 0;
    else if (strcmp(key, "bias") == 0) ok = yes_no(value, &s->bias, 0) == 0;
    else if (strcmp(key, "scale") == 0) ok = yes_no(value, &s->scale, 0) == 0;
    else if (strcmp(key, "epsilon") == 0) ok = real_or_trial(value, NAN, &s->epsilon) == 0 && s->epsilon > 0;
    else if (strcmp(key, "preprocess") == 0) ok = preprocess_named(value, &s->preprocess) == 0;
    return ok ? 0 : fail_at(r, line, "%s: '%s' is not a value it takes (README, \"Networks\")", key, value);
}

static int open_layer(reader *r, char *header, int line)
{
    char *close = strchr(header, ']');
    if (!close || trim(close + 1)[0])
        return fail_at(r, line, "malformed section header '%s'%s", header, "");
    *close = '\0';
    const char *kind = trim(header + 1);
    if (strcmp(kind, "softmax") == 0)
        return 1;   /* the loss's own; nothing to add */
    const layer_ops *ops = layer_kind_named(kind);
    if (!ops)
        return fail_at(r, line, "unknown layer [%s]; the kinds are %s", kind, layer_kind_list());
    if (r->n == r->max)
        return fail_at(r, line, "more layers than the %s%s allowed", "engine", "");
    layer_spec *s = &r->specs[r->n++];
    layer_spec_defaults(s, ops);
    s->line = line;
    return 0;
}

/* Gives every layer its trial defaults, and checks what needs saying. */
static int finish(reader *r)
{
    for (int i = 0; i < r->n; i++) {
        layer_spec *s = &r->specs[i];
        if (isnan(s->l2))
            s->l2 = s->ops == &dense_ops ? r->l2 : 0;
        if (isnan(s->rate))
            s->rate = s->ops == &dropout_ops ? r->dropout : 0;
        if (s->ops == &conv_ops && !s->filters)
            return fail_at(r, s->line, "[conv] needs filters = N%s%s", "", "");
        if (s->ops == &dense_ops && !s->units)
            return fail_at(r, s->line, "[dense] needs units = N%s%s", "", "");
    }
    return r->n ? r->n : fail_at(r, 1, "no layers%s%s", "", "");
}

/* One statement: a [layer] header or a key of the last layer opened. */
static int read_statement(reader *r, char *t, int line, int *softmax_seen)
{
    t = trim(t);
    if (!*t)
        return 0;
    if (*softmax_seen)
        return fail_at(r, line, "[softmax] ends the network: '%s' after it%s", t, "");
    if (*t == '[') {
        int got = open_layer(r, t, line);
        *softmax_seen = got == 1;
        return got < 0 ? -1 : 0;
    }
    char *eq = strchr(t, '=');
    if (!eq || r->n == 0)
        return fail_at(r, line, r->n ? "expected key = value, not '%s'%s"
                                     : "'%s' before any [layer]%s", t, "");
    *eq = '\0';
    return set_key(r, &r->specs[r->n - 1], trim(t), trim(eq + 1), line);
}

int network_parse(const char *text, layer_spec *specs, int max, double dropout, double l2,
                  char *err, int err_size)
{
    reader r = { specs, 0, max, dropout, l2, err, err_size };
    char *copy = xcalloc(strlen(text) + 1, 1);
    memcpy(copy, text, strlen(text));
    int rc = 0, softmax_seen = 0;
    char *next_line = copy;
    for (int line = 1; rc == 0 && next_line; line++) {
        char *p = next_line, *end = strchr(p, '\n');
        next_line = end ? end + 1 : NULL;
        if (end)
            *end = '\0';
        char *hash = strchr(p, '#');   /* a comment runs to the end of the line */
        if (hash)
            *hash = '\0';
        for (char *statement = p; rc == 0 && statement; ) {   /* ';' ends a statement too */
            char *semi = strchr(statement, ';');
            if (semi)
                *semi = '\0';
            rc = read_statement(&r, statement, line, &softmax_seen);
            statement = semi ? semi + 1 : NULL;
        }
    }
    free(copy);
    return rc < 0 ? -1 : finish(&r);
}

static void append_pair(char *buf, int size, int *len, const char *key, int a, int b)
{
    if (a == b)
        text_append(buf, size, len, "; %s = %d", key, a);
    else
        text_append(buf, size, len, "; %s = %dx%d", key, a, b);
}

static void append_key(const layer_spec *s, const char *key, char *buf, int size, int *len)
{
    if (strcmp(key, "filters") == 0) text_append(buf, size, len, "; filters = %d", s->filters);
    else if (strcmp(key, "units") == 0) text_append(buf, size, len, "; units = %d", s->units);
    else if (strcmp(key, "size") == 0 && s->ops == &input_ops)
        text_append(buf, size, len, "; size = %d", s->size);
    else if (strcmp(key, "size") == 0) append_pair(buf, size, len, "size", s->kh, s->kw);
    else if (strcmp(key, "stride") == 0) append_pair(buf, size, len, "stride", s->sh, s->sw);
    else if (strcmp(key, "padding") == 0)
        text_append(buf, size, len, "; padding = %s", s->valid ? "valid" : "same");
    else if (strcmp(key, "activation") == 0)
        text_append(buf, size, len, "; activation = %s", s->relu ? "relu" : "linear");
    else if (strcmp(key, "channels") == 0) text_append(buf, size, len, "; channels = %d", s->channels);
    else if (strcmp(key, "pad") == 0)
        text_append(buf, size, len, "; pad = %d, %d, %d, %d", s->pad[0], s->pad[1], s->pad[2], s->pad[3]);
    else if (strcmp(key, "l2") == 0) text_append(buf, size, len, "; l2 = %.17g", s->l2);
    else if (strcmp(key, "rate") == 0) text_append(buf, size, len, "; rate = %.17g", s->rate);
    else if (strcmp(key, "trainable") == 0)
        text_append(buf, size, len, "; trainable = %s", s->frozen ? "no" : "yes");
    else if (strcmp(key, "bias") == 0) text_append(buf, size, len, "; bias = %s", s->bias ? "yes" : "no");
    else if (strcmp(key, "scale") == 0) text_append(buf, size, len, "; scale = %s", s->scale ? "yes" : "no");
    else if (strcmp(key, "epsilon") == 0) text_append(buf, size, len, "; epsilon = %.17g", s->epsilon);
    else if (strcmp(key, "preprocess") == 0)
        text_append(buf, size, len, "; preprocess = %s", preprocess_names[s->preprocess]);
}

int network_canonical(const layer_spec *specs, int n, char *buf, int size)
{
    int len = 0;
    if (size > 0)
        buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        const layer_spec *s = &specs[i];
        text_append(buf, size, &len, "%s[%s]", i ? "; " : "", s->ops->name);
        if (s->name[0])
            text_append(buf, size, &len, "; name = %s", s->name);
        for (int j = 0; j < s->n_from; j++)
            text_append(buf, size, &len, "%s%s", j ? ", " : "; from = ", s->from[j]);
        char keys[128];
        snprintf(keys, sizeof keys, "%s", s->ops->keys);
        for (char *key = strtok(keys, " "); key; key = strtok(NULL, " "))
            append_key(s, key, buf, size, &len);
    }
    return len;
}
