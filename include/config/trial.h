/* trial: one fully resolved trial configuration -- everything needed to
 * train one model, and nothing else. It is a plain fixed-size value with no
 * pointers. It travels between ranks as text (settings_table.h), so a
 * worker never rereads the configuration file. Produced by config_parse
 * (its grid, search/grid.c), read by net.c (architecture), data.c
 * (limits) and train.c (optimisation). */
#ifndef SWEEP_TRIAL_H
#define SWEEP_TRIAL_H

#include <stdint.h>

#define TRIAL_NAME_MAX 128    /* bytes including the terminating NUL */
#define TRIAL_PATH_MAX 512
#define TRIAL_MAX_BLOCKS 8    /* conv blocks (each ends in a 2x2 max pool) */
#define TRIAL_MAX_STACK 8     /* 3x3 convs inside one block */
#define TRIAL_MAX_DENSE 8     /* hidden dense layers */
#define TRIAL_TEXT_MAX 65536  /* a trial's settings as text (settings_table.h) fit */

typedef struct {
    char name[TRIAL_NAME_MAX];        /* unique, [A-Za-z0-9._-]+, an HDF5 group name */
    char experiment[TRIAL_NAME_MAX];  /* the [experiment NAME] it came from */
    uint64_t hash;                    /* FNV-1a 64 of trial_canonical_text() */
    double reference_accuracy;        /* the figure a study reports for this model
                                       * (`reference_accuracy`), for the plots; NaN
                                       * if none. Not a setting: not hashed */

    /* [data] */
    char data_dir[TRIAL_PATH_MAX];
    double validation_split;          /* last fraction of the training set */
    int train_limit;                  /* first N training images, 0 = all 60,000 */
    int test_limit;                   /* first N test images, 0 = all 10,000 */

    /* [train] */
    int batch_size;
    int epochs;                       /* at most this many */
    int patience;                     /* early stopping on val_accuracy */
    double learning_rate;
    uint64_t seed;

    /* [model]: blocks of 3x3 'same' convs with ReLU, each block followed by
     * 2x2 max pooling (then batch norm and dropout when enabled); then the
     * hidden dense layers (ReLU, L2 on the kernel, batch norm, dropout);
     * then Dense(10) with softmax. */
    int n_blocks;
    int block_convs[TRIAL_MAX_BLOCKS];                   /* convs in block b */
    int block_filters[TRIAL_MAX_BLOCKS][TRIAL_MAX_STACK]; /* filters of each conv */
    int n_dense;
    int dense_units[TRIAL_MAX_DENSE];
    int batch_norm;                   /* 0 or 1 */
    double dropout;                   /* rate in [0,1); 0 = no dropout layers */
    double l2;                        /* >= 0, on hidden dense kernels */

    /* [model] network = FILE: the model as a graph instead of the blocks
     * above -- the file's layers in network_canonical's one-line text
     * (text_pool.h's copy; NULL: none), and the file it came from. */
    const char *network;
    char network_file[TRIAL_PATH_MAX];

    /* [model] base = NAME: a pretrained base (nn/models/bases.h) under the
     * dense head above, in place of the blocks. */
    const char *base;                 /* text_pool.h's; NULL or "": none */
    char base_weights[TRIAL_PATH_MAX];   /* a Keras HDF5 weights file; "": Keras's
                                       * own place for it; "none": random init */
    int input_size;                   /* pixels a side; 0: the base's default */
    int base_trainable;               /* 0: frozen, as in the report */
    double base_width;                /* filter counts times this; 1: Keras's */

    /* The configuration a repeat belongs to ([search] repeats): the trial's
     * name without its _seed-N part, shared by its repeats; "" (NULL) when
     * the trial is not one of several repeats. A label: not hashed. */
    const char *configuration;
} trial_settings;

/* The settings as canonical "key = value" lines (one per hashed setting of
 * settings_table.h, in its order, numbers printed with %.17g), everything
 * that can change the result and nothing else (not the name). Returns the
 * length written, like snprintf. */
int trial_canonical_text(const trial_settings *t, char *buf, int size);

/* t->hash = FNV-1a 64 of the canonical text. */
void trial_rehash(trial_settings *t);

/* The architecture as short text: blocks "a/b/c,d,e" (',' between pooled
 * blocks, '/' between the convs of one block) and dense "384,768" or
 * "none". Return the length written, like snprintf. */
int trial_blocks_text(const trial_settings *t, char *buf, int size);
int trial_dense_text(const trial_settings *t, char *buf, int size);

/* The inverse of trial_blocks_text / trial_dense_text, for settings read
 * back from a results file: 0, or -1 if text is not of that form (t is
 * then unchanged). */
int trial_parse_blocks(trial_settings *t, const char *text);
int trial_parse_dense(trial_settings *t, const char *text);

/* The settings with no configuration file: the table's defaults
 * (settings_table.h), hashed. */
void trial_defaults(trial_settings *t);

#endif
