/* settings: tests describe the model they need in the configuration
 * language itself, e.g. settings_from_text("[model]\ngroups = 3/4, 5\n"),
 * so a test reads like a sweep file and the real parser builds the trial;
 * new_test_trainer builds the trainer for it. */
#ifndef SWEEP_TEST_SETTINGS_H
#define SWEEP_TEST_SETTINGS_H

#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"
#include "train/train.h"

/* The first trial of the text; a text that does not parse ends the test
 * program, since every later check would be meaningless. */
static inline trial_settings settings_from_text(const char *text)
{
    char err[512];
    sweep_config *c = config_parse(text, "test.cfg", err, sizeof err);
    if (!c) {
        fprintf(stderr, "settings_from_text: %s\n", err);
        exit(1);
    }
    trial_settings t = c->trials[0];
    config_free(c);
    return t;
}

/* A trainer for t on d; one that cannot be built ends the test program. */
static inline trainer *new_test_trainer(const trial_settings *t, const dataset *d)
{
    char err[512];
    trainer *tr = trainer_new(t, d, err, sizeof err);
    if (!tr) {
        fprintf(stderr, "new_test_trainer: %s\n", err);
        exit(1);
    }
    return tr;
}

#endif
