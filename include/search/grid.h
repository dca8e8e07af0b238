/* grid: a parsed sweep (config/syntax.h) expanded into its trials -- each
 * experiment the cartesian product of its axes, the base's it does not
 * override and its own, or under [search] method = random, sha or asha
 * its `samples` drawn configurations (search/sample.h); each
 * configuration one trial, or `repeats` with seeds seed, seed+1, ...;
 * each named after its experiment and axis values, the names checked
 * unique -- and the sweep-wide names and defaults. Called by config_parse
 * once the file is read; config_keep_shard and config_shard_path
 * (config.h) are defined here too. */
#ifndef SWEEP_SEARCH_GRID_H
#define SWEEP_SEARCH_GRID_H

#include "config/syntax.h"

/* The sweep's name (default: the file's base name), output and the other
 * sweep-wide keys' defaults into p->config; 0, or -1 after config_fail. */
int grid_resolve_sweep_names(parser *p);

/* Every experiment (or the base alone, if there is none) into
 * p->config->trials, in file order; 0, or -1 after config_fail. */
int grid_expand(parser *p);

/* Key k's setting in experiment e: its own, or the base's it inherits
 * (conv and groups count as one key). */
const setting *grid_setting(const parser *p, const scope *e, int k);

/* The error for trial names of e that would not fit in TRIAL_NAME_MAX: -1. */
int grid_name_too_long(parser *p, const scope *e);

/* 1 if s may name a trial, an experiment or the sweep: [A-Za-z0-9._-]+,
 * not "." or "..". */
int grid_valid_name(const char *s);

/* A value's text as a part of a trial name, into buf. */
void grid_name_part(const char *s, char *buf, int size);

#endif
