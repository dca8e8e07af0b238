/* rng: every random draw in sweep (weight init, shuffling, dropout masks).
 * Draws are counter-based: a value is a pure function of the seed and of
 * what it is for (layer, epoch, sample index), never of the order in which
 * threads or ranks ask. So the draws do not depend on the thread count or
 * on how many ranks share a batch (the results still do, through
 * OpenBLAS's summation order), and resuming at an epoch boundary needs no
 * saved generator state. The mixing function is SplitMix64's. */
#ifndef SWEEP_RNG_H
#define SWEEP_RNG_H

#include <stdint.h>

/* What a stream is for; part of every key so the streams never overlap. */
enum rng_purpose {
    RNG_INIT = 1, RNG_SHUFFLE = 2, RNG_DROPOUT = 3,
    RNG_SEARCH = 4,     /* the configurations random search, sha and asha draw */
};

typedef struct {
    uint64_t state;
} rng_stream;

/* A 64-bit key from the seed and up to three counters. */
uint64_t rng_key(uint64_t seed, uint64_t purpose, uint64_t a, uint64_t b);

rng_stream rng_stream_new(uint64_t key);
uint64_t rng_next(rng_stream *s);
float rng_uniform(rng_stream *s);                /* [0, 1), 24 random bits */
uint32_t rng_below(rng_stream *s, uint32_t n);   /* uniform in [0, n), unbiased */

/* Stateless: the counter-th uniform [0,1) value of the stream `key`. */
float rng_uniform_at(uint64_t key, uint64_t counter);

#endif
