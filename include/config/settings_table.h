/* settings_table: the one list of a trial's settings. Every place that
 * handles the settings one by one -- the canonical text the hash is taken
 * of, the defaults, the text a trial travels in between ranks, the HDF5
 * attributes of /trials/NAME, the /summary columns and their compound
 * type, the dry run's columns -- walks this table, so a setting added
 * here is hashed, stored, read back, sent and shown everywhere at once.
 * (The configuration's grammar -- which section a key sits in, its
 * allowed range, the conv/groups syntaxes -- is the key table of
 * config/values.h, whose trial keys name these fields.) */
#ifndef SWEEP_SETTINGS_TABLE_H
#define SWEEP_SETTINGS_TABLE_H

#include <stddef.h>

#include "config/trial.h"

/* How a setting is held, printed and stored. */
typedef enum {
    SETTING_PATH,     /* char[TRIAL_PATH_MAX], printed as is */
    SETTING_REAL,     /* double, printed %.17g (round-trips) */
    SETTING_INT,      /* int */
    SETTING_LIMIT,    /* int, a count of images where 0 means all of them */
    SETTING_U64,      /* uint64_t */
    SETTING_BOOL,     /* int 0/1 */
    SETTING_BLOCKS,   /* n_blocks, block_convs, block_filters: "a/b,c" (trial.h) */
    SETTING_UNITS,    /* n_dense, dense_units: "384,768" or "none" */
    SETTING_TEXT,     /* const char *, text_pool.h's; one line */
} setting_kind;

/* X(FIELD, KIND, HASHED, IN_SUMMARY, DEFAULT, DRY_RUN_LABEL), in the order
 * of the canonical text (which must never change: it is what the hashes
 * of existing results files were taken of). FIELD names the trial_settings
 * field, the canonical text's key, the attribute and the /summary column
 * (SETTING_BLOCKS is two columns, `conv` and `groups`, as the keys that
 * set it). HASHED 0: a label that changes no result, so no hash; 2:
 * hashed only when not at its default, so that adding the setting kept
 * every earlier trial's hash (DEFAULT must then be in canonical form).
 * DEFAULT is the value's text, as the configuration would give it: Keras's
 * defaults where the report relied on them (see the reference README).
 * DRY_RUN_LABEL "" leaves the setting out of --dry-run's table. */
#define TRIAL_SETTINGS(X) \
    X(data_dir,           PATH,   1, 0, "/usr/share/datasets/fashion-mnist", "") \
    X(validation_split,   REAL,   1, 1, "0.1",         "val_split") \
    X(train_limit,        LIMIT,  1, 1, "0",           "train") \
    X(test_limit,         LIMIT,  1, 1, "0",           "test") \
    X(batch_size,         INT,    1, 1, "32",          "batch") \
    X(epochs,             INT,    1, 1, "50",          "epochs") \
    X(patience,           INT,    1, 1, "5",           "patience") \
    X(learning_rate,      REAL,   1, 1, "0.001",       "lr") \
    X(seed,               U64,    1, 1, "43",          "seed") \
    X(blocks,             BLOCKS, 1, 1, "128,256,512", "conv") \
    X(dense,              UNITS,  1, 1, "384,768",     "dense") \
    X(batch_norm,         BOOL,   1, 1, "0",           "bn") \
    X(dropout,            REAL,   1, 1, "0",           "dropout") \
    X(l2,                 REAL,   1, 1, "0",           "l2") \
    X(reference_accuracy, REAL,   0, 0, "nan",         "") \
    X(network,            TEXT,   2, 0, "",            "") \
    X(network_file,       PATH,   0, 0, "",            "network") \
    X(base,               TEXT,   2, 0, "",            "base") \
    X(base_weights,       PATH,   2, 0, "",            "") \
    X(input_size,         INT,    2, 0, "0",           "") \
    X(base_trainable,     BOOL,   2, 0, "0",           "") \
    X(base_width,         REAL,   2, 0, "1",           "") \
    X(configuration,      TEXT,   0, 0, "",            "")

typedef struct {
    const char *name;
    setting_kind kind;
    size_t offset;            /* into trial_settings (BLOCKS: n_blocks; UNITS: n_dense) */
    int hashed, in_summary;
    const char *default_text;
    const char *dry_run_label;
} setting_info;

extern const setting_info setting_table[];
extern const int n_settings;

const setting_info *setting_find(const char *name);

/* The setting's value as text (the canonical form); the length, like
 * snprintf. */
int setting_format(const setting_info *s, const trial_settings *t, char *buf, int size);

/* The value as --dry-run shows it: reals short (%g), yes/no, "all". */
int setting_display(const setting_info *s, const trial_settings *t, char *buf, int size);

/* Sets it from text in that form: 0, or -1 (t unchanged) if the text is
 * not a value of its kind. */
int setting_parse(const setting_info *s, trial_settings *t, const char *text);

/* The setting's field, for the kinds stored in one scalar or string. */
void *setting_field(const setting_info *s, trial_settings *t);
const void *setting_field_const(const setting_info *s, const trial_settings *t);

/* A trial as "key = value" lines: the name and experiment, then every
 * setting; what a worker receives instead of a struct, so the message
 * can grow with the settings. Returns the length, like snprintf. */
int trial_settings_to_text(const trial_settings *t, char *buf, int size);
/* The inverse (hash recomputed): 0, or -1 naming the bad line in err. */
int trial_settings_from_text(trial_settings *t, const char *text, char *err, int err_size);

#endif
