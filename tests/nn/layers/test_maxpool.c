/* test_maxpool: 2x2 / stride 2 'valid' pooling -- floor semantics (an odd
 * last row and column are dropped, 7 -> 3), ties going to the first
 * element in row-major order, argmax as an index into the whole input,
 * and a backward that routes each upstream gradient to its argmax only. */
#include <string.h>

#include "gradcheck.h"
#include "nn/layers/maxpool.h"
#include "testing.h"

/* Naive reference: the maximum of each window and its index in `in`,
 * first element winning ties (strict > against the running best). */
static void naive_maxpool(float *out, int *argmax, const float *in, int B, int C, int H, int W)
{
    const int OH = H / 2, OW = W / 2;
    for (int plane = 0; plane < B * C; plane++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                int best = plane * H * W + 2 * oy * W + 2 * ox;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        const int i = plane * H * W + (2 * oy + dy) * W + 2 * ox + dx;
                        if (in[i] > in[best])
                            best = i;
                    }
                out[(plane * OH + oy) * OW + ox] = in[best];
                argmax[(plane * OH + oy) * OW + ox] = best;
            }
}

/* Distinct values 0.1 apart in a scrambled order: i -> 97 i mod n is a
 * permutation when 97 does not divide n. */
static void fill_distinct(float *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = 0.1f * (float)((i * 97) % n) - 0.05f * (float)n;
}

static void test_maxpool_floor_semantics_drop_odd_last_row_and_column(void)
{
    enum { B = 2, C = 3, H = 7, W = 7, OH = 3, OW = 3, N_IN = B * C * H * W,
           N_OUT = B * C * OH * OW, SPARE = 64 };
    float in[N_IN];
    fill_distinct(in, N_IN);
    /* The dropped row and column hold the largest values: any window that
     * reached them would report them. */
    for (int plane = 0; plane < B * C; plane++)
        for (int k = 0; k < 7; k++) {
            in[plane * H * W + (H - 1) * W + k] = 1000.0f + k;
            in[plane * H * W + k * W + (W - 1)] = 2000.0f + k;
        }
    float out[N_OUT + SPARE], expected[N_OUT];
    int argmax[N_OUT + SPARE], expected_argmax[N_OUT];
    for (int i = 0; i < N_OUT + SPARE; i++)
        out[i] = -7.0f, argmax[i] = -7;
    maxpool_forward(out, argmax, in, B, C, H, W);
    naive_maxpool(expected, expected_argmax, in, B, C, H, W);
    for (int i = 0; i < N_OUT; i++) {
        EXPECT(out[i] == expected[i], "out[%d] = %g, expected %g", i, out[i], expected[i]);
        EXPECT(out[i] < 1000.0f, "out[%d] = %g comes from the dropped row or column", i, out[i]);
        EXPECT(argmax[i] == expected_argmax[i], "argmax[%d] = %d, expected %d", i, argmax[i],
               expected_argmax[i]);
    }
    int written_past_end = 0;
    for (int i = N_OUT; i < N_OUT + SPARE; i++)
        written_past_end += out[i] != -7.0f || argmax[i] != -7;
    EXPECT(written_past_end == 0, "%d values written past the 3x3 output of a 7x7 input",
           written_past_end);
}

static void test_maxpool_ties_pick_first_element_in_row_major_order(void)
{
    /* One 2x2 window per plane; the argmax is an index into the whole
     * input, so plane p's first element is 4p. */
    const float in[5][4] = {
        { 1.0f, 1.0f, 1.0f, 1.0f },     /* all equal: the first */
        { 0.0f, 2.0f, 2.0f, 0.0f },     /* top-right before bottom-left */
        { 0.0f, 0.0f, 3.0f, 3.0f },     /* bottom-left before bottom-right */
        { -1.0f, -5.0f, -1.0f, -1.0f }, /* negative maxima */
        { 0.0f, 2.0f, 0.0f, 2.0f },     /* top-right before bottom-right */
    };
    const int expected[5] = { 0, 4 + 1, 8 + 2, 12 + 0, 16 + 1 };
    float out[5];
    int argmax[5];
    maxpool_forward(out, argmax, &in[0][0], 1, 5, 2, 2);
    for (int p = 0; p < 5; p++) {
        EXPECT(argmax[p] == expected[p], "plane %d: argmax %d, expected %d", p, argmax[p],
               expected[p]);
        EXPECT(out[p] == (&in[0][0])[expected[p]], "plane %d: out %g", p, out[p]);
    }
}

static void test_maxpool_backward_routes_gradient_to_argmax_only(void)
{
    enum { B = 2, C = 3, H = 7, W = 5, N_IN = B * C * H * W, N_OUT = B * C * 3 * 2 };
    float in[N_IN], out[N_OUT], dout[N_OUT], din[N_IN];
    int argmax[N_OUT];
    fill_distinct(in, N_IN);
    gradcheck_fill(dout, N_OUT, 0.5f, 1.5f, 21);
    maxpool_forward(out, argmax, in, B, C, H, W);
    for (int i = 0; i < N_IN; i++)
        din[i] = 1e3f;  /* garbage the backward must overwrite */
    maxpool_backward(din, dout, argmax, B, C, H, W);
    float expected[N_IN] = { 0 };
    for (int o = 0; o < N_OUT; o++)
        expected[argmax[o]] = dout[o];
    int wrong = 0;
    for (int i = 0; i < N_IN; i++)
        wrong += din[i] != expected[i];
    EXPECT(wrong == 0, "%d of %d din values are not dout at the argmax and 0 elsewhere",
           wrong, N_IN);
}

/* Inference keeps no argmax: the same maxima, ties and NaN included. */
static void test_maxpool_without_argmax_gives_the_same_maxima(void)
{
    enum { B = 2, C = 3, H = 7, W = 9, N_IN = B * C * H * W, N_OUT = B * C * 3 * 4 };
    float in[N_IN], with[N_OUT], without[N_OUT];
    int argmax[N_OUT];
    gradcheck_fill(in, N_IN, -1.0f, 1.0f, 31);
    for (int i = 0; i < N_IN; i += 7)
        in[i] = in[i + 1];          /* ties */
    in[3] = NAN;
    in[W * 2 + 5] = NAN;
    maxpool_forward(with, argmax, in, B, C, H, W);
    maxpool_forward(without, NULL, in, B, C, H, W);
    EXPECT(memcmp(with, without, sizeof with) == 0, "maxima differ without argmax");
}

typedef struct {
    float in[2 * 3 * 7 * 5], out[2 * 3 * 3 * 2], g[2 * 3 * 3 * 2];
    int argmax[2 * 3 * 3 * 2];
} maxpool_case;

static double maxpool_loss(void *ctx)
{
    maxpool_case *c = ctx;
    maxpool_forward(c->out, c->argmax, c->in, 2, 3, 7, 5);
    return gradcheck_dot(c->out, c->g, 2 * 3 * 3 * 2);
}

/* Values 0.1 apart and h = 1e-2: a perturbation never changes which
 * element wins, so f is locally linear and the difference exact up to
 * float rounding; tolerance 1e-3 absolute + 1e-3 relative. */
static void test_maxpool_gradient_matches_finite_differences(void)
{
    enum { N_IN = 2 * 3 * 7 * 5, N_OUT = 2 * 3 * 3 * 2 };
    maxpool_case c;
    fill_distinct(c.in, N_IN);
    gradcheck_fill(c.g, N_OUT, -1.0f, 1.0f, 22);
    float din[N_IN];
    maxpool_forward(c.out, c.argmax, c.in, 2, 3, 7, 5);
    maxpool_backward(din, c.g, c.argmax, 2, 3, 7, 5);
    EXPECT_GRADIENT("din", c.in, din, N_IN, 1e-2f, 1e-3, 1e-3, maxpool_loss, &c);
}

int main(void)
{
    RUN_TEST(test_maxpool_floor_semantics_drop_odd_last_row_and_column);
    RUN_TEST(test_maxpool_ties_pick_first_element_in_row_major_order);
    RUN_TEST(test_maxpool_backward_routes_gradient_to_argmax_only);
    RUN_TEST(test_maxpool_without_argmax_gives_the_same_maxima);
    RUN_TEST(test_maxpool_gradient_matches_finite_differences);
    return testing_finish("test_maxpool");
}
