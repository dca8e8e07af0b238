/* test_conv2d: the im2col + sgemm convolution against a direct 7-loop
 * convolution with zero padding, its gradients against finite
 * differences, and the backward's conventions (accumulate dweight/dbias,
 * overwrite din, din may be NULL). Sizes are odd and non-square so a
 * swapped H/W or a wrong padding offset cannot cancel out. */
#include <stdlib.h>
#include <string.h>

#include "conv2d.h"
#include "gradcheck.h"
#include "testing.h"
#include "util.h"

enum { B = 2, C_IN = 3, C_OUT = 4, H = 5, W = 7 };
#define N_IN ((size_t)B * C_IN * H * W)
#define N_OUT ((size_t)B * C_OUT * H * W)
#define N_WEIGHT ((size_t)C_OUT * C_IN * 9)

typedef struct {
    float in[N_IN], weight[N_WEIGHT], bias[C_OUT];
    float g[N_OUT];              /* the fixed upstream gradient */
    float out[N_OUT];
    float *workspace;
} conv_case;

static conv_case *conv_case_new(void)
{
    conv_case *c = xcalloc(1, sizeof *c);
    gradcheck_fill(c->in, N_IN, -1.0f, 1.0f, 1);
    gradcheck_fill(c->weight, N_WEIGHT, -0.5f, 0.5f, 2);
    gradcheck_fill(c->bias, C_OUT, -1.0f, 1.0f, 3);
    gradcheck_fill(c->g, N_OUT, -1.0f, 1.0f, 4);
    c->workspace = xcalloc(conv2d_workspace_floats(B, C_IN, C_OUT, H, W), sizeof(float));
    return c;
}

static void conv_case_free(conv_case *c)
{
    free(c->workspace);
    free(c);
}

/* out[b][co][y][x] = bias[co] + sum over ci, ky, kx of
 * w[co][ci][ky][kx] * in[b][ci][y+ky-1][x+kx-1], zero outside the image. */
static void naive_conv(double *out, const float *in, const float *weight, const float *bias)
{
    for (int b = 0; b < B; b++)
        for (int co = 0; co < C_OUT; co++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    double sum = bias[co];
                    for (int ci = 0; ci < C_IN; ci++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                const int sy = y + ky - 1, sx = x + kx - 1;
                                if (sy < 0 || sy >= H || sx < 0 || sx >= W)
                                    continue;
                                sum += (double)weight[((co * C_IN + ci) * 3 + ky) * 3 + kx] *
                                       in[((b * C_IN + ci) * H + sy) * W + sx];
                            }
                    out[((b * C_OUT + co) * H + y) * W + x] = sum;
                }
}

static double conv_loss(void *ctx)
{
    conv_case *c = ctx;
    conv2d_forward(c->out, c->in, c->weight, c->bias, c->workspace, B, C_IN, C_OUT, H, W);
    return gradcheck_dot(c->out, c->g, N_OUT);
}

static void test_conv2d_forward_matches_naive_zero_padded_convolution(void)
{
    conv_case *c = conv_case_new();
    double expected[N_OUT];
    naive_conv(expected, c->in, c->weight, c->bias);
    conv2d_forward(c->out, c->in, c->weight, c->bias, c->workspace, B, C_IN, C_OUT, H, W);
    size_t worst = 0;
    double worst_diff = -1.0;
    for (size_t i = 0; i < N_OUT; i++) {
        double diff = fabs(c->out[i] - expected[i]);
        if (!(diff <= worst_diff))
            worst_diff = diff, worst = i;
    }
    EXPECT(worst_diff <= 1e-5, "out[%zu] = %.9g, naive %.9g", worst, c->out[worst],
           expected[worst]);
    conv_case_free(c);
}

static void test_conv2d_forward_broadcasts_bias_over_every_pixel(void)
{
    conv_case *c = conv_case_new();
    memset(c->in, 0, sizeof c->in);
    conv2d_forward(c->out, c->in, c->weight, c->bias, c->workspace, B, C_IN, C_OUT, H, W);
    int wrong = 0;
    for (int b = 0; b < B; b++)
        for (int co = 0; co < C_OUT; co++)
            for (int p = 0; p < H * W; p++)
                wrong += c->out[(b * C_OUT + co) * H * W + p] != c->bias[co];
    EXPECT(wrong == 0, "%d of %zu outputs of a zero image differ from their channel's bias",
           wrong, N_OUT);
    conv_case_free(c);
}

/* The forward is linear in each buffer, so the central difference is
 * exact up to float rounding of f (|f| ~ 10, 1e-7 relative, over 2h =
 * 2e-2): tolerance 1e-3 absolute + 1e-3 relative. */
static void test_conv2d_gradients_match_finite_differences(void)
{
    conv_case *c = conv_case_new();
    float din[N_IN], dweight[N_WEIGHT] = { 0 }, dbias[C_OUT] = { 0 };
    conv2d_backward(din, dweight, dbias, c->g, c->in, c->weight, c->workspace,
                    B, C_IN, C_OUT, H, W);
    EXPECT_GRADIENT("din", c->in, din, N_IN, 1e-2f, 1e-3, 1e-3, conv_loss, c);
    EXPECT_GRADIENT("dweight", c->weight, dweight, N_WEIGHT, 1e-2f, 1e-3, 1e-3, conv_loss, c);
    EXPECT_GRADIENT("dbias", c->bias, dbias, C_OUT, 1e-2f, 1e-3, 1e-3, conv_loss, c);
    conv_case_free(c);
}

static void test_conv2d_backward_accumulates_parameter_gradients_and_overwrites_din(void)
{
    conv_case *c = conv_case_new();
    float din_once[N_IN], dweight_once[N_WEIGHT] = { 0 }, dbias_once[C_OUT] = { 0 };
    conv2d_backward(din_once, dweight_once, dbias_once, c->g, c->in, c->weight, c->workspace,
                    B, C_IN, C_OUT, H, W);
    float din[N_IN], dweight[N_WEIGHT] = { 0 }, dbias[C_OUT] = { 0 };
    for (int call = 0; call < 2; call++) {
        for (size_t i = 0; i < N_IN; i++)
            din[i] = 1e3f;  /* garbage the backward must overwrite */
        conv2d_backward(din, dweight, dbias, c->g, c->in, c->weight, c->workspace,
                        B, C_IN, C_OUT, H, W);
    }
    for (size_t i = 0; i < N_WEIGHT; i++)
        EXPECT_NEAR(dweight[i], 2.0f * dweight_once[i], 1e-5, 1e-5);
    for (int i = 0; i < C_OUT; i++)
        EXPECT_NEAR(dbias[i], 2.0f * dbias_once[i], 1e-5, 1e-5);
    for (size_t i = 0; i < N_IN; i++)
        EXPECT_NEAR(din[i], din_once[i], 1e-6, 1e-6);
    conv_case_free(c);
}

static void test_conv2d_backward_accepts_null_din(void)
{
    conv_case *c = conv_case_new();
    float din[N_IN], dweight[N_WEIGHT] = { 0 }, dbias[C_OUT] = { 0 };
    conv2d_backward(din, dweight, dbias, c->g, c->in, c->weight, c->workspace,
                    B, C_IN, C_OUT, H, W);
    float dweight_null[N_WEIGHT] = { 0 }, dbias_null[C_OUT] = { 0 };
    conv2d_backward(NULL, dweight_null, dbias_null, c->g, c->in, c->weight, c->workspace,
                    B, C_IN, C_OUT, H, W);
    EXPECT(memcmp(dweight, dweight_null, sizeof dweight) == 0,
           "dweight changes when din is NULL");
    EXPECT(memcmp(dbias, dbias_null, sizeof dbias) == 0, "dbias changes when din is NULL");
    conv_case_free(c);
}

int main(void)
{
    RUN_TEST(test_conv2d_forward_matches_naive_zero_padded_convolution);
    RUN_TEST(test_conv2d_forward_broadcasts_bias_over_every_pixel);
    RUN_TEST(test_conv2d_gradients_match_finite_differences);
    RUN_TEST(test_conv2d_backward_accumulates_parameter_gradients_and_overwrites_din);
    RUN_TEST(test_conv2d_backward_accepts_null_din);
    return testing_finish("test_conv2d");
}
