/* config: the grid configuration file -- INI sections, '#' comments,
 * "key = value", ',' between the items of a list, '|' between the
 * alternatives of a grid axis -- parsed and expanded into the list of
 * trials it describes. Called once by main (rank 0 later) before any work
 * starts; every error is reported as "FILE:LINE: message". The syntax is
 * config.c, the kinds of value values.c, the expansion into named trials
 * and the shards search/grid.c, the dry run dry_run.c. */
#ifndef SWEEP_CONFIG_H
#define SWEEP_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "config/trial.h"

/* [search]: how the trials are chosen and how far each trains (issue 14;
 * README, "Search"). grid expands every axis; random draws `samples`
 * configurations per experiment from the axes and distributions; sha and
 * asha draw them as random does, then train them in rungs of min_epochs x
 * reduction^k epochs (the last rung is [train] epochs), keeping the best
 * 1/reduction of each rung by `metric`. Any method trains each
 * configuration with `repeats` seeds: seed, seed+1, ... */
typedef enum { SEARCH_GRID, SEARCH_RANDOM, SEARCH_SHA, SEARCH_ASHA } search_method;
typedef enum { METRIC_VAL_ACCURACY, METRIC_VAL_LOSS } search_metric;
extern const char *const search_method_names[4];   /* "grid", "random", "sha", "asha" */
extern const char *const search_metric_names[2];   /* "val_accuracy", "val_loss" */

typedef struct {
    search_method method;           /* default grid */
    int samples;                    /* configurations per experiment (random, sha, asha) */
    int repeats;                    /* seeds per configuration, default 1 */
    int reduction;                  /* sha/asha: keep 1/reduction a rung, default 3 */
    int min_epochs;                 /* sha/asha: the first rung's epochs, default 1 */
    search_metric metric;           /* what ranks trials, default val_accuracy */
} search_options;

typedef struct {
    char path[TRIAL_PATH_MAX];      /* the file as given on the command line */
    char name[TRIAL_NAME_MAX];      /* [sweep] name, default: file's base name */
    char output[TRIAL_PATH_MAX];    /* [sweep] output, default results/NAME.h5 */
    int ranks_per_trial;            /* [sweep] ranks_per_trial, default 1 */
    double publish_interval;        /* [sweep] publish_interval: seconds between
                                     * results-file updates mid-trial, default 5 */
    double progress_seconds;        /* [sweep] progress_seconds: seconds between
                                     * progress lines within an epoch when stdout
                                     * is not a terminal, default 60, 0 = none */
    search_options search;          /* [search] */
    char *text;                     /* the file's bytes, NUL-terminated */
    uint64_t text_hash;             /* FNV-1a 64 of text */
    int n_trials;
    trial_settings *trials;         /* in file order: experiments, then axes */
} sweep_config;

/* Reads and expands the file at path. On any error returns NULL and puts
 * one line "PATH:LINE: message" (no newline) into err. */
sweep_config *config_load(const char *path, char *err, int err_size);

/* config_load with `sweep --set SECTION.KEY=VALUE` options: each
 * overrides that key for every trial, exactly as a line of the file's
 * [set] section (the options are appended to the text as one, so the
 * results file's copy of the configuration holds them). An error in an
 * option is "--set OPTION: message", as the file's are "PATH:LINE: ...". */
sweep_config *config_load_with(const char *path, const char *const *options, int n_options,
                               char *err, int err_size);

/* The same from text in memory; label stands for the file name in errors. */
sweep_config *config_parse(const char *text, const char *label, char *err, int err_size);

void config_free(sweep_config *c);

/* `sweep --shard I/N`: keeps only the trials whose hash % N == I -- by
 * hash, not position, so a trial stays in its shard when the grid around
 * it changes. */
void config_keep_shard(sweep_config *c, int index, int count);

/* A shard's results file: PATH.h5 -> PATH.shard-I-of-N.h5 (PATH ->
 * PATH.shard-I-of-N without the extension) into out. -1 if it does not
 * fit: shards must not share a file. */
int config_shard_path(const char *path, int index, int count, char *out, size_t size);

/* The expanded grid, one line per trial (name, hash, the settings that
 * differ between trials), for `sweep --dry-run`. */
void config_print_trials(const sweep_config *c, FILE *out);

#endif
