/* sample: random configurations for random search, sha and asha. Every
 * key of a configuration has a stream of its own, keyed by
 * (sweep seed, experiment, configuration) and the FNV-1a hash of the
 * key's name -- its name, not its place in the key table, so adding a key
 * to the program changes no draw. Reals are drawn with 53 random bits,
 * integers without modulo bias. */
#include "search/sample.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config/trial.h"
#include "config/values.h"
#include "core/rng.h"
#include "core/util.h"
#include "search/grid.h"

uint64_t sample_sweep_seed(const parser *p)
{
    const setting *s = &p->base.set[K_SEED];
    trial_settings t;
    trial_defaults(&t);
    if (s->dist.kind == DIST_RANDINT)
        return s->dist.first;
    if (s->line)
        CHECK(parse_value(K_SEED, s->alts[0], &t, p->config, NULL, 0) == 0, "revalidating seed");
    return t.seed;
}

/* Uniform on [0, 1) with a double's 53 bits (rng_uniform has a float's 24). */
static double uniform01(rng_stream *s)
{
    return (double)(rng_next(s) >> 11) * 0x1p-53;
}

/* Uniform on 0 .. n-1, unbiased; n = 0 stands for 2^64. */
static uint64_t below(rng_stream *s, uint64_t n)
{
    if (n == 0)
        return rng_next(s);
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do {
        r = rng_next(s);
    } while (r >= limit);
    return r % n;
}

static double clamp(double v, double low, double high)
{
    return v < low ? low : v > high ? high : v;
}

/* A value of key k drawn from d into t (distribution.h says how each
 * distribution reads on each kind of key). */
static void draw(int k, const distribution *d, rng_stream *s, trial_settings *t)
{
    const key_info *key = &key_table[k];
    if (key->kind == KIND_SEED) {
        t->seed = d->first + below(s, d->last - d->first + 1);
        return;
    }
    if (key->kind == KIND_INT) {
        int *field = (int *)((char *)t + key->offset);
        if (d->kind == DIST_LOGUNIFORM) {
            const double low = log(d->low - 0.5), high = log(d->high + 0.5);
            *field = (int)clamp((double)llround(exp(low + uniform01(s) * (high - low))), d->low,
                                d->high);
        } else {
            *field = (int)(d->low + (double)below(s, (uint64_t)(d->high - d->low) + 1));
        }
        return;
    }
    double *field = (double *)((char *)t + key->offset);
    const double u = uniform01(s);
    const double v = d->kind == DIST_UNIFORM
                         ? d->low + u * (d->high - d->low)
                         : exp(log(d->low) + u * (log(d->high) - log(d->low)));
    /* rounding may step just past a bound; the bounds are valid values */
    *field = clamp(v, d->low, d->high) + 0.0;
}

int sample_configuration(parser *p, const scope *e, int experiment, long index,
                         trial_settings *t)
{
    const int samples = p->config->search.samples;
    int width = 1;
    for (long last = samples - 1; last >= 10; last /= 10)
        width++;
    trial_defaults(t);
    snprintf(t->experiment, sizeof t->experiment, "%s", e->name);
    int n = snprintf(t->name, sizeof t->name, "%s_sample-%0*ld", e->name, width, index);
    if (n < 0 || (size_t)n >= sizeof t->name)
        return grid_name_too_long(p, e);
    const uint64_t configuration = rng_key(sample_sweep_seed(p), RNG_SEARCH,
                                           (uint64_t)experiment, (uint64_t)index);
    /* in key order, as a grid: network reads the dropout and l2 before it */
    for (int k = 0; k < N_KEYS; k++) {
        const setting *s = grid_setting(p, e, k);
        if (!is_trial_key(k) || !s->line)
            continue;
        const char *name = key_table[k].name;
        rng_stream stream = rng_stream_new(rng_key(configuration, RNG_SEARCH,
                                                   fnv1a64(name, strlen(name)), 0));
        if (s->dist.kind != DIST_NONE) {
            draw(k, &s->dist, &stream, t);
            continue;
        }
        const int pick = s->n_alts > 1 ? (int)rng_below(&stream, (uint32_t)s->n_alts) : 0;
        CHECK(parse_value(k, s->alts[pick], t, p->config, NULL, 0) == 0, "revalidating %s",
              s->alts[pick]);
    }
    return 0;
}
