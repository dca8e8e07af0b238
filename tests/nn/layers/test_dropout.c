/* test_dropout: inverted dropout with counter-based masks -- the kept
 * fraction, the 1 / (1 - rate) scale, a mask that belongs to the sample
 * (its dataset index) and the stream key rather than to its row in the
 * batch, and a backward that multiplies by the mask. */
#include <string.h>

#include "nn/layers/dropout.h"
#include "gradcheck.h"
#include "core/rng.h"
#include "testing.h"
#include "core/util.h"

enum { FEATURES = 37 };

static uint64_t dropout_key(uint64_t seed, uint64_t layer, uint64_t epoch)
{
    return rng_key(seed, RNG_DROPOUT, layer, epoch);
}

/* 64 samples x 1000 features at rate 0.3: the kept fraction's standard
 * deviation is sqrt(0.21 / 64000) ~ 0.0018, the bound 0.01 is > 5 sigma. */
static void test_dropout_keeps_a_fraction_close_to_one_minus_rate(void)
{
    enum { B = 64, F = 1000, N = B * F };
    const float rates[2] = { 0.3f, 0.5f };
    float *in = xcalloc(N, sizeof(float)), *out = xcalloc(N, sizeof(float));
    float *mask = xcalloc(N, sizeof(float));
    int ids[B];
    for (int b = 0; b < B; b++)
        ids[b] = 1000 + 7 * b;
    gradcheck_fill(in, N, 0.5f, 1.5f, 5);
    for (int r = 0; r < 2; r++) {
        dropout_forward_train(out, mask, in, rates[r], dropout_key(42, 1, 0), ids, B, F);
        int kept = 0;
        for (int i = 0; i < N; i++)
            kept += out[i] != 0.0f;
        EXPECT_NEAR((double)kept / N, 1.0 - rates[r], 0.01, 0.0);
    }
    free(in); free(out); free(mask);
}

static void test_dropout_scales_kept_values_by_one_over_one_minus_rate(void)
{
    enum { B = 6, N = B * FEATURES };
    const float rate = 0.25f;
    const double scale = 1.0 / (1.0 - rate);
    float in[N], out[N], mask[N];
    const int ids[B] = { 3, 1, 4, 15, 9, 2 };
    gradcheck_fill(in, N, 0.5f, 1.5f, 6);
    dropout_forward_train(out, mask, in, rate, dropout_key(42, 2, 3), ids, B, FEATURES);
    int dropped = 0, wrong = 0;
    for (int i = 0; i < N; i++) {
        if (mask[i] == 0.0f) {
            dropped++;
            wrong += out[i] != 0.0f;
        } else {
            wrong += fabs(mask[i] - scale) > 1e-6 * scale;
            wrong += fabs(out[i] - in[i] * scale) > 1e-6 * in[i] * scale;
        }
    }
    EXPECT(wrong == 0, "%d of %d values are neither 0 nor in / (1 - rate) "
           "(or their mask does not say which)", wrong, N);
    EXPECT(dropped > 0 && dropped < N, "%d of %d values dropped at rate %g", dropped, N, rate);
}

static void test_dropout_mask_follows_sample_id_not_row_in_batch(void)
{
    /* Samples 5 and 9 sit in rows 0 and 1 of one batch, rows 3 and 4 of
     * another, of a different size. */
    const int ids_a[4] = { 5, 9, 2, 7 }, ids_b[5] = { 11, 3, 8, 5, 9 };
    float in[5 * FEATURES], out[5 * FEATURES], mask_a[4 * FEATURES], mask_b[5 * FEATURES];
    const uint64_t key = dropout_key(7, 1, 2);
    for (int i = 0; i < 5 * FEATURES; i++)
        in[i] = 1.0f;
    dropout_forward_train(out, mask_a, in, 0.5f, key, ids_a, 4, FEATURES);
    dropout_forward_train(out, mask_b, in, 0.5f, key, ids_b, 5, FEATURES);
    const size_t row = sizeof(float) * FEATURES;
    EXPECT(memcmp(mask_a, mask_b + 3 * FEATURES, row) == 0,
           "sample 5 gets a different mask in row 0 and in row 3");
    EXPECT(memcmp(mask_a + FEATURES, mask_b + 4 * FEATURES, row) == 0,
           "sample 9 gets a different mask in row 1 and in row 4");
    /* ... and it is the sample that matters: two samples differ. */
    EXPECT(memcmp(mask_a, mask_a + FEATURES, row) != 0, "samples 5 and 9 share a mask");
    EXPECT(memcmp(mask_b, mask_b + FEATURES, row) != 0, "samples 11 and 3 share a mask");
}

/* Two independent masks at rate 0.5 disagree on about half the values. */
static void test_dropout_different_key_gives_different_mask(void)
{
    enum { B = 8, N = B * FEATURES };
    const int ids[B] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    float in[N], out[N], mask[N], mask_other_epoch[N], mask_other_layer[N];
    for (int i = 0; i < N; i++)
        in[i] = 1.0f;
    dropout_forward_train(out, mask, in, 0.5f, dropout_key(42, 1, 0), ids, B, FEATURES);
    dropout_forward_train(out, mask_other_epoch, in, 0.5f, dropout_key(42, 1, 1), ids, B,
                          FEATURES);
    dropout_forward_train(out, mask_other_layer, in, 0.5f, dropout_key(42, 2, 0), ids, B,
                          FEATURES);
    int differ_epoch = 0, differ_layer = 0;
    for (int i = 0; i < N; i++) {
        differ_epoch += mask[i] != mask_other_epoch[i];
        differ_layer += mask[i] != mask_other_layer[i];
    }
    EXPECT(differ_epoch > N / 4, "only %d of %d mask values change with the epoch",
           differ_epoch, N);
    EXPECT(differ_layer > N / 4, "only %d of %d mask values change with the layer",
           differ_layer, N);
}

static void test_dropout_rate_zero_is_the_identity(void)
{
    enum { B = 3, N = B * FEATURES };
    const int ids[B] = { 10, 20, 30 };
    float in[N], out[N], mask[N];
    gradcheck_fill(in, N, -1.0f, 1.0f, 7);
    dropout_forward_train(out, mask, in, 0.0f, dropout_key(1, 1, 1), ids, B, FEATURES);
    EXPECT(memcmp(in, out, sizeof in) == 0, "rate 0 changes the values");
}

static void test_dropout_backward_multiplies_by_mask(void)
{
    enum { B = 5, N = B * FEATURES };
    const int ids[B] = { 8, 6, 4, 2, 0 };
    float in[N], out[N], mask[N], dout[N], din[N];
    gradcheck_fill(in, N, -1.0f, 1.0f, 8);
    gradcheck_fill(dout, N, -1.0f, 1.0f, 9);
    dropout_forward_train(out, mask, in, 0.4f, dropout_key(3, 1, 4), ids, B, FEATURES);
    for (int i = 0; i < N; i++)
        din[i] = 1e3f;  /* garbage the backward must overwrite */
    dropout_backward(din, dout, mask, B, FEATURES);
    int wrong = 0;
    for (int i = 0; i < N; i++)
        wrong += din[i] != dout[i] * mask[i];
    EXPECT(wrong == 0, "%d of %d din values are not dout * mask", wrong, N);
}

typedef struct {
    float in[5 * FEATURES], out[5 * FEATURES], mask[5 * FEATURES], g[5 * FEATURES];
    int ids[5];
    uint64_t key;
} dropout_case;

static double dropout_loss(void *ctx)
{
    dropout_case *c = ctx;
    dropout_forward_train(c->out, c->mask, c->in, 0.4f, c->key, c->ids, 5, FEATURES);
    return gradcheck_dot(c->out, c->g, 5 * FEATURES);
}

/* For a fixed key the forward is linear in the input: the difference is
 * exact up to float rounding; tolerance 1e-3 absolute + 1e-3 relative. */
static void test_dropout_gradient_matches_finite_differences(void)
{
    enum { N = 5 * FEATURES };
    dropout_case c = { .ids = { 12, 4, 40, 7, 19 }, .key = dropout_key(9, 3, 1) };
    gradcheck_fill(c.in, N, -1.0f, 1.0f, 10);
    gradcheck_fill(c.g, N, -1.0f, 1.0f, 11);
    float din[N];
    dropout_forward_train(c.out, c.mask, c.in, 0.4f, c.key, c.ids, 5, FEATURES);
    dropout_backward(din, c.g, c.mask, 5, FEATURES);
    EXPECT_GRADIENT("din", c.in, din, N, 1e-2f, 1e-3, 1e-3, dropout_loss, &c);
}

int main(void)
{
    RUN_TEST(test_dropout_keeps_a_fraction_close_to_one_minus_rate);
    RUN_TEST(test_dropout_scales_kept_values_by_one_over_one_minus_rate);
    RUN_TEST(test_dropout_mask_follows_sample_id_not_row_in_batch);
    RUN_TEST(test_dropout_different_key_gives_different_mask);
    RUN_TEST(test_dropout_rate_zero_is_the_identity);
    RUN_TEST(test_dropout_backward_multiplies_by_mask);
    RUN_TEST(test_dropout_gradient_matches_finite_differences);
    return testing_finish("test_dropout");
}
