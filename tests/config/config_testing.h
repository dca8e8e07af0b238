/* config_testing: what the configuration tests share -- parsing a text
 * that must parse, one that must fail with an exact "FILE:LINE: message"
 * (the file is always called t.cfg), and finding a trial by name. */
#ifndef SWEEP_CONFIG_TESTING_H
#define SWEEP_CONFIG_TESTING_H

#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "testing.h"

#define ERR_SIZE 512

static inline sweep_config *parse(const char *text)
{
    char err[ERR_SIZE] = "";
    sweep_config *c = config_parse(text, "t.cfg", err, sizeof err);
    if (!c)
        fprintf(stderr, "  unexpected error: %s\n", err);
    return c;
}

/* Parses text that must fail, and checks the one-line message exactly. */
#define EXPECT_ERROR(text, expected) do { \
    char err_[ERR_SIZE] = ""; \
    sweep_config *c_ = config_parse((text), "t.cfg", err_, sizeof err_); \
    EXPECT(c_ == NULL, "parse should fail with: %s", (expected)); \
    EXPECT(strcmp(err_, (expected)) == 0, "\n    got:  %s\n    want: %s", err_, (expected)); \
    config_free(c_); } while (0)

static inline int find_trial(const sweep_config *c, const char *name)
{
    for (int i = 0; c && i < c->n_trials; i++)
        if (strcmp(c->trials[i].name, name) == 0)
            return i;
    return -1;
}

#endif
