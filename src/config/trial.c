/* trial: the defaults a trial starts from and the canonical text its hash
 * is taken of. The defaults are the Keras settings the report relied on
 * (see the reference README), so a configuration only states what differs. */
#include "config/trial.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void trial_defaults(trial_settings *t)
{
    static const int report_filters[] = {128, 256, 512};   /* Section 1, conv3 */
    static const int report_dense[] = {384, 768};

    memset(t, 0, sizeof *t);
    snprintf(t->data_dir, sizeof t->data_dir, "/usr/share/datasets/fashion-mnist");
    t->reference_accuracy = NAN;
    t->validation_split = 0.1;
    t->batch_size = 32;          /* Keras fit() default */
    t->epochs = 50;
    t->patience = 5;
    t->learning_rate = 0.001;    /* Keras Adam default */
    t->seed = 43;                /* the report's seed */
    t->n_blocks = 3;
    for (int b = 0; b < t->n_blocks; b++) {
        t->block_convs[b] = 1;
        t->block_filters[b][0] = report_filters[b];
    }
    t->n_dense = 2;
    memcpy(t->dense_units, report_dense, sizeof report_dense);
    /* batch_norm, dropout and l2 stay 0: Section 1 Experiment 1 has none. */

    char text[2048];
    int len = trial_canonical_text(t, text, sizeof text);
    t->hash = fnv1a64(text, (size_t)len);
}

/* snprintf that appends at *len and keeps counting past the end of buf,
 * so the caller learns the length it would have needed (like snprintf). */
static void append(char *buf, int size, int *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, int size, int *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int room = *len < size ? size - *len : 0;
    int n = vsnprintf(room ? buf + *len : NULL, (size_t)room, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += n;
}

/* Blocks as "a/b/c,d,e": ',' between pooled blocks, '/' between the convs
 * of one block, so `conv = a,b` and `groups = a,b` give the same text. */
static void append_blocks(const trial_settings *t, char *buf, int size, int *len)
{
    for (int b = 0; b < t->n_blocks; b++)
        for (int i = 0; i < t->block_convs[b]; i++)
            append(buf, size, len, "%s%d", i ? "/" : (b ? "," : ""),
                   t->block_filters[b][i]);
}

static void append_dense(const trial_settings *t, char *buf, int size, int *len)
{
    if (t->n_dense == 0)
        append(buf, size, len, "none");
    for (int i = 0; i < t->n_dense; i++)
        append(buf, size, len, "%s%d", i ? "," : "", t->dense_units[i]);
}

int trial_blocks_text(const trial_settings *t, char *buf, int size)
{
    int len = 0;
    if (size > 0)
        buf[0] = '\0';
    append_blocks(t, buf, size, &len);
    return len;
}

int trial_dense_text(const trial_settings *t, char *buf, int size)
{
    int len = 0;
    if (size > 0)
        buf[0] = '\0';
    append_dense(t, buf, size, &len);
    return len;
}

int trial_canonical_text(const trial_settings *t, char *buf, int size)
{
    int len = 0;
    if (size > 0)
        buf[0] = '\0';
    /* The data directory is included: a different directory may hold
     * different data, and the hash must change whenever the result can. */
    append(buf, size, &len, "data_dir = %s\n", t->data_dir);
    append(buf, size, &len, "validation_split = %.17g\n", t->validation_split);
    append(buf, size, &len, "train_limit = %d\n", t->train_limit);
    append(buf, size, &len, "test_limit = %d\n", t->test_limit);
    append(buf, size, &len, "batch_size = %d\n", t->batch_size);
    append(buf, size, &len, "epochs = %d\n", t->epochs);
    append(buf, size, &len, "patience = %d\n", t->patience);
    append(buf, size, &len, "learning_rate = %.17g\n", t->learning_rate);
    append(buf, size, &len, "seed = %" PRIu64 "\n", t->seed);
    append(buf, size, &len, "blocks = ");
    append_blocks(t, buf, size, &len);
    append(buf, size, &len, "\ndense = ");
    append_dense(t, buf, size, &len);
    append(buf, size, &len, "\nbatch_norm = %d\n", t->batch_norm);
    append(buf, size, &len, "dropout = %.17g\n", t->dropout);
    append(buf, size, &len, "l2 = %.17g\n", t->l2);
    return len;
}

/* Reads "n,n,n" (sep ',') or "n/n" (sep '/') into units; returns the count,
 * or -1 on anything else. */
static int parse_unit_list(const char *text, char sep, int *units, int max)
{
    int n = 0;
    const char *p = text;
    for (;;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 65536 || n == max)
            return -1;
        units[n++] = (int)v;
        if (*end == '\0')
            return n;
        if (*end != sep)
            return -1;
        p = end + 1;
    }
}

int trial_parse_blocks(trial_settings *t, const char *text)
{
    trial_settings parsed = *t;
    memset(parsed.block_convs, 0, sizeof parsed.block_convs);
    memset(parsed.block_filters, 0, sizeof parsed.block_filters);
    parsed.n_blocks = 0;
    for (const char *block = text;; block++) {
        const char *end = strchr(block, ',');
        size_t len = end ? (size_t)(end - block) : strlen(block);
        char one[256];
        if (parsed.n_blocks == TRIAL_MAX_BLOCKS || len == 0 || len >= sizeof one)
            return -1;
        memcpy(one, block, len);
        one[len] = '\0';
        int b = parsed.n_blocks++;
        parsed.block_convs[b] = parse_unit_list(one, '/', parsed.block_filters[b], TRIAL_MAX_STACK);
        if (parsed.block_convs[b] < 0)
            return -1;
        if (!end)
            break;
        block = end;
    }
    *t = parsed;
    return 0;
}

int trial_parse_dense(trial_settings *t, const char *text)
{
    if (strcmp(text, "none") == 0) {
        t->n_dense = 0;
        memset(t->dense_units, 0, sizeof t->dense_units);
        return 0;
    }
    int units[TRIAL_MAX_DENSE] = { 0 };
    int n = parse_unit_list(text, ',', units, TRIAL_MAX_DENSE);
    if (n < 0)
        return -1;
    t->n_dense = n;
    memcpy(t->dense_units, units, sizeof units);
    return 0;
}
