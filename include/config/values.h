/* values: the keys of a sweep file and the kinds of value they take. The
 * key table says where each key may be set, what kind of value it holds
 * and its allowed range; the syntax (config.c) looks keys up in it, the
 * grid (search/grid.c) orders a trial's axes by it, and parse_value and
 * value_label read and name each alternative by its key's kind. Internal
 * to config_parse. */
#ifndef SWEEP_CONFIG_VALUES_H
#define SWEEP_CONFIG_VALUES_H

#include <stddef.h>

#include "config/config.h"
#include "config/trial.h"

/* The sections before SEC_EXPERIMENT make the base scope. [search] says
 * how the trials are chosen (config.h's search_options). [set] holds
 * overrides ("SECTION.KEY = VALUE", what `sweep --set` appends): last in
 * the file, each replaces the key for every trial. */
enum section {
    SEC_SWEEP, SEC_DATA, SEC_TRAIN, SEC_MODEL, SEC_SEARCH, SEC_EXPERIMENT, SEC_SET, N_SECTIONS
};

enum kind {
    KIND_SWEEP_NAME, KIND_SWEEP_OUTPUT, KIND_SWEEP_RANKS, KIND_SWEEP_SECONDS, KIND_SEED,
    KIND_PATH, KIND_REAL,
    KIND_INT, KIND_BOOL, KIND_CONV, KIND_GROUPS, KIND_DENSE, KIND_NETWORK, KIND_BASE,
    KIND_SEARCH_METHOD, KIND_SEARCH_COUNT, KIND_SEARCH_METRIC,
};

/* The table order is the fixed order of grid axes: it orders the parts of
 * a trial name and the cartesian product (first axis varies slowest), so
 * moving lines around in the file changes neither. */
enum key_id {
    K_NAME, K_OUTPUT, K_RANKS_PER_TRIAL, K_PUBLISH_INTERVAL, K_PROGRESS_SECONDS, K_SEED, K_DIR,
    K_VALIDATION_SPLIT, K_TRAIN_LIMIT, K_TEST_LIMIT, K_BATCH_SIZE, K_EPOCHS, K_PATIENCE,
    K_LEARNING_RATE,
    K_CONV, K_GROUPS, K_DENSE, K_BATCH_NORM, K_DROPOUT, K_L2, K_NETWORK, K_REFERENCE_ACCURACY,
    K_BASE, K_BASE_WEIGHTS, K_INPUT_SIZE, K_BASE_TRAINABLE, K_BASE_WIDTH,
    K_METHOD, K_SAMPLES, K_REPEATS, K_REDUCTION, K_MIN_EPOCHS, K_METRIC,
    N_KEYS,
};

typedef struct {
    const char *name;
    enum section section;
    enum kind kind;
    size_t offset;          /* the trial_settings field, for PATH/REAL/INT/BOOL;
                             * the search_options field for SEARCH_COUNT */
    double min, max;        /* REAL and INT: allowed range (max HUGE_VAL: none) */
    int min_open, max_open; /* 1: the bound itself is not allowed */
} key_info;

/* One row per key_id, in that order (values.c). */
extern const key_info key_table[N_KEYS];

/* 1 for a per-trial key (seed too), 0 for one of the whole sweep: name,
 * output, ranks_per_trial, the two intervals and the [search] keys. */
int is_trial_key(int k);

/* Parses one alternative s of key k into t, or a sweep-wide key into c:
 * 0, or -1 with a message naming the key in msg. A distribution is not
 * an alternative: see config/distribution.h. */
int parse_value(int k, const char *s, trial_settings *t, sweep_config *c,
                char *msg, int size);

/* Key k's value in t as it reads inside a trial name, normalised so that
 * equal values give equal names. */
void value_label(int k, const trial_settings *t, char *buf, int size);

#endif
