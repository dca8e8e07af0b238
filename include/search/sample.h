/* sample: the configurations of [search] method = random, sha and asha.
 * Each experiment draws `samples` of them; configuration K takes each of
 * its axes -- a '|' list uniformly over its alternatives (choice), a
 * distribution (config/distribution.h) by its law -- from counter-based
 * random numbers (core/rng.h) keyed by the sweep's seed, the experiment's
 * place in the file, K and the key's name alone, so the same file always
 * gives the same configurations, on any rank count, and a draw does not
 * move when another key gains or loses an axis. Called by grid_expand
 * (search/grid.h), which hashes, checks and repeats what it makes. */
#ifndef SWEEP_SEARCH_SAMPLE_H
#define SWEEP_SEARCH_SAMPLE_H

#include <stdint.h>

#include "config/syntax.h"

/* Configuration `index` (0 .. samples-1) of experiment e, the
 * experiment-th of the file (0 for the first, or for the base alone),
 * into t: named EXP_sample-K, K zero-padded to the width of samples-1 so
 * names sort; not yet hashed. 0, or -1 after config_fail. */
int sample_configuration(parser *p, const scope *e, int experiment, long index,
                         trial_settings *t);

/* The seed the draws are keyed by: [sweep] seed (default 43); when that
 * is itself drawn or listed, its randint's low bound or its first
 * alternative. */
uint64_t sample_sweep_seed(const parser *p);

#endif
