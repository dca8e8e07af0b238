/* test_rng: the counter-based generator -- a stream is a pure function of
 * its key, keys from different (seed, purpose, counters) differ, and the
 * derived draws (rng_below, rng_uniform, rng_uniform_at) have the ranges
 * and rough distributions the callers assume. Seeds are fixed, so the
 * statistical bounds are checked once, generously, not re-rolled. */
#include <string.h>

#include "core/rng.h"
#include "testing.h"

static void test_rng_same_key_gives_same_sequence(void)
{
    rng_stream a = rng_stream_new(rng_key(42, RNG_INIT, 3, 0));
    rng_stream b = rng_stream_new(rng_key(42, RNG_INIT, 3, 0));
    int differ = 0;
    for (int i = 0; i < 1000; i++)
        differ += rng_next(&a) != rng_next(&b);
    EXPECT(differ == 0, "%d of 1000 values differ between two streams of one key", differ);
}

/* Changing any one word of the key, or swapping the two counters, gives
 * a different key and a stream that shares no value with the first. */
static void test_rng_different_keys_give_different_sequences(void)
{
    enum { KEYS = 7, DRAWS = 100 };
    const uint64_t keys[KEYS] = {
        rng_key(42, RNG_SHUFFLE, 1, 2),
        rng_key(43, RNG_SHUFFLE, 1, 2),     /* seed */
        rng_key(42, RNG_DROPOUT, 1, 2),     /* purpose */
        rng_key(42, RNG_SHUFFLE, 0, 2),     /* first counter */
        rng_key(42, RNG_SHUFFLE, 1, 3),     /* second counter */
        rng_key(42, RNG_SHUFFLE, 2, 1),     /* counters swapped */
        rng_key(0, 0, 0, 0),
    };
    uint64_t values[KEYS][DRAWS];
    for (int k = 0; k < KEYS; k++) {
        rng_stream s = rng_stream_new(keys[k]);
        for (int i = 0; i < DRAWS; i++)
            values[k][i] = rng_next(&s);
    }
    for (int k = 0; k < KEYS; k++)
        for (int j = k + 1; j < KEYS; j++) {
            EXPECT(keys[k] != keys[j], "keys %d and %d are equal", k, j);
            int same = 0;
            for (int i = 0; i < DRAWS; i++)
                same += values[k][i] == values[j][i];
            EXPECT(same == 0, "keys %d and %d: %d of %d draws equal", k, j, same, DRAWS);
        }
}

/* 100,000 draws in 10 bins: chi-square with 9 degrees of freedom has
 * mean 9; 50 has a p-value below 1e-6. */
static void test_rng_below_stays_in_range_and_is_roughly_uniform(void)
{
    enum { BINS = 10, DRAWS = 100000 };
    rng_stream s = rng_stream_new(rng_key(7, RNG_SHUFFLE, 0, 0));
    long count[BINS] = { 0 };
    int out_of_range = 0;
    for (int i = 0; i < DRAWS; i++) {
        uint32_t r = rng_below(&s, BINS);
        if (r >= BINS)
            out_of_range++;
        else
            count[r]++;
    }
    EXPECT(out_of_range == 0, "%d draws of rng_below(10) were >= 10", out_of_range);
    double chi2 = 0.0;
    const double expected = (double)DRAWS / BINS;
    for (int b = 0; b < BINS; b++)
        chi2 += (count[b] - expected) * (count[b] - expected) / expected;
    EXPECT(chi2 < 50.0, "chi-square %.1f over 10 bins (9 degrees of freedom)", chi2);
}

/* Bounds that are not powers of two, 1, and one above 2^31: the whole
 * range is reached and never left. */
static void test_rng_below_handles_odd_and_large_bounds(void)
{
    const uint32_t bounds[4] = { 1, 7, 1000003, 3000000000u };
    rng_stream s = rng_stream_new(rng_key(8, RNG_SHUFFLE, 1, 0));
    for (int k = 0; k < 4; k++) {
        uint32_t max = 0;
        int out_of_range = 0;
        for (int i = 0; i < 10000; i++) {
            uint32_t r = rng_below(&s, bounds[k]);
            out_of_range += r >= bounds[k];
            max = r > max ? r : max;
        }
        EXPECT(out_of_range == 0, "%d draws of rng_below(%u) out of range", out_of_range,
               bounds[k]);
        EXPECT(max >= bounds[k] - bounds[k] / 100 - 1, "rng_below(%u) never went above %u",
               bounds[k], max);
    }
}

/* Mean of 100,000 uniforms: standard deviation 0.0009, bound 0.005. */
static void test_rng_uniform_lies_in_unit_interval(void)
{
    enum { DRAWS = 100000 };
    rng_stream s = rng_stream_new(rng_key(9, RNG_INIT, 0, 0));
    double sum = 0.0;
    float lo = 1.0f, hi = 0.0f;
    int outside = 0;
    for (int i = 0; i < DRAWS; i++) {
        float u = rng_uniform(&s);
        outside += !(u >= 0.0f && u < 1.0f);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        sum += u;
    }
    EXPECT(outside == 0, "%d draws outside [0, 1)", outside);
    EXPECT_NEAR(sum / DRAWS, 0.5, 0.005, 0.0);
    EXPECT(lo < 1e-3f && hi > 0.999f, "draws span only [%g, %g]", lo, hi);
}

/* rng_uniform_at(key, i) is the i-th rng_uniform of stream `key`, however
 * often and in whatever order it is asked for. */
static void test_rng_uniform_at_is_a_pure_function_of_key_and_counter(void)
{
    enum { DRAWS = 1000 };
    const uint64_t key = rng_key(10, RNG_DROPOUT, 2, 5);
    float forward[DRAWS], backward[DRAWS], stream[DRAWS];
    rng_stream s = rng_stream_new(key);
    for (int i = 0; i < DRAWS; i++) {
        forward[i] = rng_uniform_at(key, (uint64_t)i);
        stream[i] = rng_uniform(&s);
    }
    for (int i = DRAWS - 1; i >= 0; i--)
        backward[i] = rng_uniform_at(key, (uint64_t)i);
    EXPECT(memcmp(forward, backward, sizeof forward) == 0,
           "rng_uniform_at depends on the order of the calls");
    EXPECT(memcmp(forward, stream, sizeof forward) == 0,
           "rng_uniform_at(key, i) is not the i-th draw of the stream `key`");
    int outside = 0, repeats = 0, same_other_key = 0;
    const uint64_t other = rng_key(10, RNG_DROPOUT, 2, 6);
    for (int i = 0; i < DRAWS; i++) {
        outside += !(forward[i] >= 0.0f && forward[i] < 1.0f);
        repeats += i > 0 && forward[i] == forward[i - 1];
        same_other_key += rng_uniform_at(other, (uint64_t)i) == forward[i];
    }
    EXPECT(outside == 0, "%d values outside [0, 1)", outside);
    EXPECT(repeats == 0, "%d counters give the value of the one before", repeats);
    EXPECT(same_other_key < 3, "%d of %d values shared with another key", same_other_key,
           DRAWS);
}

int main(void)
{
    RUN_TEST(test_rng_same_key_gives_same_sequence);
    RUN_TEST(test_rng_different_keys_give_different_sequences);
    RUN_TEST(test_rng_below_stays_in_range_and_is_roughly_uniform);
    RUN_TEST(test_rng_below_handles_odd_and_large_bounds);
    RUN_TEST(test_rng_uniform_lies_in_unit_interval);
    RUN_TEST(test_rng_uniform_at_is_a_pure_function_of_key_and_counter);
    return testing_finish("test_rng");
}
