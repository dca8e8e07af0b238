/* distribution: a numeric key's value drawn at random instead of listed
 * -- uniform(a, b), loguniform(a, b), randint(a, b) -- for [search]
 * method = random, sha or asha (a '|' list is their choice(...)). The
 * syntax (config.c) reads one into the key's setting and checks it as it
 * checks any value: both bounds values of the key, a <= b, loguniform's
 * a > 0, randint for integer keys; search/sample.c draws from it.
 * Internal to config_parse. */
#ifndef SWEEP_CONFIG_DISTRIBUTION_H
#define SWEEP_CONFIG_DISTRIBUTION_H

#include <stdint.h>

typedef enum { DIST_NONE, DIST_UNIFORM, DIST_LOGUNIFORM, DIST_RANDINT } distribution_kind;

/* On a real key: uniform and loguniform over [low, high]. On an integer
 * key: the integers low..high, uniform and randint each with the same
 * chance; loguniform rounds a draw from [low - 0.5, high + 0.5] in log
 * space, as Optuna's IntDistribution(log=True) does. On seed: randint
 * over first..last (64 bits do not fit a double). */
typedef struct {
    distribution_kind kind;     /* DIST_NONE: the setting is its alternatives */
    double low, high;           /* real and integer keys */
    uint64_t first, last;       /* seed */
} distribution;

/* 1 if the value s of key k is written as a distribution: any
 * parenthesis in a numeric key's value, or a distribution's name and '('
 * at the start of another key's (which then is an error, but a path may
 * hold parentheses). */
int distribution_written(int k, const char *s);

/* Reads s, a distribution for key k, into d: 0, or -1 with a message
 * naming the key in msg. */
int distribution_parse(int k, const char *s, distribution *d, char *msg, int size);

#endif
