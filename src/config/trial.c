/* trial: the text forms of the architecture settings (blocks and dense
 * units), written and read back. The table of all settings, their
 * defaults and the hashed text are settings_table.c's. */
#include "config/trial.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* Blocks as "a/b/c,d,e": ',' between pooled blocks, '/' between the convs
 * of one block, so `conv = a,b` and `groups = a,b` give the same text. */
static void append_blocks(const trial_settings *t, char *buf, int size, int *len)
{
    for (int b = 0; b < t->n_blocks; b++)
        for (int i = 0; i < t->block_convs[b]; i++)
            text_append(buf, size, len, "%s%d", i ? "/" : (b ? "," : ""),
                   t->block_filters[b][i]);
}

static void append_dense(const trial_settings *t, char *buf, int size, int *len)
{
    if (t->n_dense == 0)
        text_append(buf, size, len, "none");
    for (int i = 0; i < t->n_dense; i++)
        text_append(buf, size, len, "%s%d", i ? "," : "", t->dense_units[i]);
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
