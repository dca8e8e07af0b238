/* test_concat: channel blocks joined per sample (NCHW: each sample of the
 * output holds input 0's channels, then input 1's, ...), inputs of
 * different channel counts, and a backward that splits dout back, skipping
 * NULL gradients. */
#include <string.h>

#include "gradcheck.h"
#include "nn/layers/concat.h"
#include "testing.h"

/* B = 2, H x W = 1 x 2; a has 1 channel, b has 2. Per sample: a's plane,
 * then b's two: an input-major copy would put both of a's samples first. */
static void test_concat_joins_channel_blocks_per_sample(void)
{
    const float a[2 * 1 * 2] = { 1, 2, /* b1 */ 3, 4 };
    const float b[2 * 2 * 2] = { 10, 11, 12, 13, /* b1 */ 14, 15, 16, 17 };
    const float *const ins[2] = { a, b };
    const int channels[2] = { 1, 2 };
    const float expected[12] = { 1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17 };
    float out[12 + 4];
    for (int i = 0; i < 16; i++)
        out[i] = -7.0f;
    concat_forward(out, ins, channels, 2, 2, 1, 2);
    for (int i = 0; i < 12; i++)
        EXPECT(out[i] == expected[i], "out[%d] = %g, expected %g", i, out[i], expected[i]);
    for (int i = 12; i < 16; i++)
        EXPECT(out[i] == -7.0f, "out[%d] written past the end", i);
}

static void test_concat_backward_splits_dout_and_skips_null(void)
{
    const int channels[3] = { 1, 2, 1 };
    const float dout[2 * 4 * 2] = { 1, 2, 3, 4, 5, 6, 7, 8,
                                    9, 10, 11, 12, 13, 14, 15, 16 };
    float d0[4], d2[4];
    for (int i = 0; i < 4; i++)
        d0[i] = d2[i] = 1e3f;
    float *const dins[3] = { d0, NULL, d2 };
    concat_backward(dins, dout, channels, 3, 2, 2, 1);
    const float e0[4] = { 1, 2, 9, 10 }, e2[4] = { 7, 8, 15, 16 };
    EXPECT(memcmp(d0, e0, sizeof e0) == 0, "din 0 = {%g %g %g %g}", d0[0], d0[1], d0[2], d0[3]);
    EXPECT(memcmp(d2, e2, sizeof e2) == 0, "din 2 = {%g %g %g %g}", d2[0], d2[1], d2[2], d2[3]);
}

enum { B = 2, H = 3, W = 2, C0 = 2, C1 = 3, C2 = 1, CT = C0 + C1 + C2 };

typedef struct {
    float x0[B * C0 * H * W], x1[B * C1 * H * W], x2[B * C2 * H * W];
    float out[B * CT * H * W], g[B * CT * H * W];
} concat_case;

static const int case_channels[3] = { C0, C1, C2 };

static double concat_loss(void *ctx)
{
    concat_case *c = ctx;
    const float *const ins[3] = { c->x0, c->x1, c->x2 };
    concat_forward(c->out, ins, case_channels, 3, B, H, W);
    return gradcheck_dot(c->out, c->g, B * CT * H * W);
}

static void test_concat_gradient_matches_finite_differences(void)
{
    concat_case c;
    gradcheck_fill(c.x0, sizeof c.x0 / sizeof(float), -1.0f, 1.0f, 71);
    gradcheck_fill(c.x1, sizeof c.x1 / sizeof(float), -1.0f, 1.0f, 72);
    gradcheck_fill(c.x2, sizeof c.x2 / sizeof(float), -1.0f, 1.0f, 73);
    gradcheck_fill(c.g, sizeof c.g / sizeof(float), -1.0f, 1.0f, 74);
    float d0[sizeof c.x0 / sizeof(float)], d1[sizeof c.x1 / sizeof(float)],
          d2[sizeof c.x2 / sizeof(float)];
    float *const dins[3] = { d0, d1, d2 };
    concat_backward(dins, c.g, case_channels, 3, B, H, W);
    EXPECT_GRADIENT("din 0", c.x0, d0, sizeof c.x0 / sizeof(float), 1e-2f, 1e-4, 1e-3,
                    concat_loss, &c);
    EXPECT_GRADIENT("din 1", c.x1, d1, sizeof c.x1 / sizeof(float), 1e-2f, 1e-4, 1e-3,
                    concat_loss, &c);
    EXPECT_GRADIENT("din 2", c.x2, d2, sizeof c.x2 / sizeof(float), 1e-2f, 1e-4, 1e-3,
                    concat_loss, &c);
}

int main(void)
{
    RUN_TEST(test_concat_joins_channel_blocks_per_sample);
    RUN_TEST(test_concat_backward_splits_dout_and_skips_null);
    RUN_TEST(test_concat_gradient_matches_finite_differences);
    return testing_finish("test_concat");
}
