/* rng: counter-based random numbers (SplitMix64 mixing). */
#include "core/rng.h"

static uint64_t splitmix64_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

uint64_t rng_key(uint64_t seed, uint64_t purpose, uint64_t a, uint64_t b)
{
    /* Mixing after each word keeps (1,2) and (2,1) apart. */
    uint64_t k = splitmix64_mix(seed + GOLDEN_GAMMA);
    k = splitmix64_mix(k ^ (purpose + GOLDEN_GAMMA));
    k = splitmix64_mix(k ^ (a + 2 * GOLDEN_GAMMA));
    return splitmix64_mix(k ^ (b + 3 * GOLDEN_GAMMA));
}

rng_stream rng_stream_new(uint64_t key)
{
    rng_stream s = { key };
    return s;
}

uint64_t rng_next(rng_stream *s)
{
    s->state += GOLDEN_GAMMA;
    return splitmix64_mix(s->state);
}

float rng_uniform(rng_stream *s)
{
    return (float)(rng_next(s) >> 40) * (1.0f / 16777216.0f);
}

uint32_t rng_below(rng_stream *s, uint32_t n)
{
    /* Rejection keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do {
        r = rng_next(s);
    } while (r >= limit);
    return (uint32_t)(r % n);
}

float rng_uniform_at(uint64_t key, uint64_t counter)
{
    uint64_t z = splitmix64_mix(key + (counter + 1) * GOLDEN_GAMMA);
    return (float)(z >> 40) * (1.0f / 16777216.0f);
}
