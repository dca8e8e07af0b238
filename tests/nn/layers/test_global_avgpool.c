/* test_global_avgpool: the mean of each (sample, channel) plane, in (B, C)
 * order, and a backward that overwrites din with dout / (H * W) over the
 * whole plane. */
#include "gradcheck.h"
#include "nn/layers/global_avgpool.h"
#include "testing.h"

/* B = 2, C = 2, 2x3 planes: sample-major order, so out[1] is sample 0's
 * second channel, not sample 1's first. */
static void test_global_avgpool_means_each_plane_in_sample_major_order(void)
{
    const float in[24] = {
        1, 2, 3, 4, 5, 6,         /* b0 c0: 3.5 */
        -6, 0, 0, 0, 0, 0,        /* b0 c1: -1 */
        10, 10, 10, 10, 10, 40,   /* b1 c0: 15 */
        0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f,
    };
    const float expected[4] = { 3.5f, -1.0f, 15.0f, 0.5f };
    float out[4 + 4] = { -7, -7, -7, -7, -7, -7, -7, -7 };
    global_avgpool_forward(out, in, 2, 2, 2, 3);
    for (int i = 0; i < 4; i++)
        EXPECT_NEAR(out[i], expected[i], 1e-6, 0);
    for (int i = 4; i < 8; i++)
        EXPECT(out[i] == -7.0f, "out[%d] written past the (B, C) output", i);
}

/* A large offset and a small spread: a float running sum over 75 x 75
 * cells loses the spread, the double one keeps it. */
static void test_global_avgpool_mean_keeps_small_spread_on_large_offset(void)
{
    enum { H = 75, W = 75, N = H * W };
    static float in[N];
    double exact = 0.0;
    for (int i = 0; i < N; i++) {
        in[i] = 1000.0f + 0.001f * (float)(i % 7);
        exact += in[i];
    }
    float out;
    global_avgpool_forward(&out, in, 1, 1, H, W);
    EXPECT_NEAR(out, exact / N, 0, 1e-7);
}

static void test_global_avgpool_backward_overwrites_din_with_dout_over_cells(void)
{
    const float dout[4] = { 6, -3, 0, 1.5f };
    float din[24];
    for (int i = 0; i < 24; i++)
        din[i] = 1e3f;
    global_avgpool_backward(din, dout, 2, 2, 2, 3);
    for (int i = 0; i < 24; i++)
        EXPECT_NEAR(din[i], dout[i / 6] / 6.0f, 1e-7, 0);
}

typedef struct {
    float in[3 * 4 * 5 * 3], out[3 * 4], g[3 * 4];
} gap_case;

static double gap_loss(void *ctx)
{
    gap_case *c = ctx;
    global_avgpool_forward(c->out, c->in, 3, 4, 5, 3);
    return gradcheck_dot(c->out, c->g, 3 * 4);
}

static void test_global_avgpool_gradient_matches_finite_differences(void)
{
    enum { N_IN = 3 * 4 * 5 * 3 };
    gap_case c;
    gradcheck_fill(c.in, N_IN, -1.0f, 1.0f, 51);
    gradcheck_fill(c.g, 12, -1.0f, 1.0f, 52);
    float din[N_IN];
    global_avgpool_backward(din, c.g, 3, 4, 5, 3);
    EXPECT_GRADIENT("din", c.in, din, N_IN, 1e-2f, 1e-4, 1e-3, gap_loss, &c);
}

int main(void)
{
    RUN_TEST(test_global_avgpool_means_each_plane_in_sample_major_order);
    RUN_TEST(test_global_avgpool_mean_keeps_small_spread_on_large_offset);
    RUN_TEST(test_global_avgpool_backward_overwrites_din_with_dout_over_cells);
    RUN_TEST(test_global_avgpool_gradient_matches_finite_differences);
    return testing_finish("test_global_avgpool");
}
