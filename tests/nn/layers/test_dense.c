/* test_dense: y = x W^T + b through sgemm, against a naive loop in torch's
 * (n_out, n_in) weight layout; gradients against finite differences; the
 * backward accumulating dweight/dbias and overwriting din. n_in != n_out
 * and B differs from both, so a transposed operand cannot go unnoticed. */
#include <string.h>

#include "nn/layers/dense.h"
#include "gradcheck.h"
#include "testing.h"

enum { B = 3, N_IN = 7, N_OUT = 5 };

typedef struct {
    float in[B * N_IN], weight[N_OUT * N_IN], bias[N_OUT], g[B * N_OUT], out[B * N_OUT];
} dense_case;

static void dense_case_init(dense_case *c)
{
    gradcheck_fill(c->in, B * N_IN, -1.0f, 1.0f, 1);
    gradcheck_fill(c->weight, N_OUT * N_IN, -0.5f, 0.5f, 2);
    gradcheck_fill(c->bias, N_OUT, -1.0f, 1.0f, 3);
    gradcheck_fill(c->g, B * N_OUT, -1.0f, 1.0f, 4);
}

static double dense_loss(void *ctx)
{
    dense_case *c = ctx;
    dense_forward(c->out, c->in, c->weight, c->bias, B, N_IN, N_OUT);
    return gradcheck_dot(c->out, c->g, B * N_OUT);
}

static void test_dense_forward_matches_naive_loop(void)
{
    dense_case c;
    dense_case_init(&c);
    for (int i = 0; i < B * N_OUT; i++)
        c.out[i] = 1e3f;  /* garbage the forward must overwrite, not add to */
    dense_forward(c.out, c.in, c.weight, c.bias, B, N_IN, N_OUT);
    for (int b = 0; b < B; b++)
        for (int o = 0; o < N_OUT; o++) {
            double expected = c.bias[o];
            for (int i = 0; i < N_IN; i++)
                expected += (double)c.in[b * N_IN + i] * c.weight[o * N_IN + i];
            EXPECT_NEAR(c.out[b * N_OUT + o], expected, 1e-5, 1e-5);
        }
}

/* Linear in each buffer: the difference is exact up to float rounding of
 * f; tolerance 1e-3 absolute + 1e-3 relative. */
static void test_dense_gradients_match_finite_differences(void)
{
    dense_case c;
    dense_case_init(&c);
    float din[B * N_IN], dweight[N_OUT * N_IN] = { 0 }, dbias[N_OUT] = { 0 };
    dense_backward(din, dweight, dbias, c.g, c.in, c.weight, B, N_IN, N_OUT);
    EXPECT_GRADIENT("din", c.in, din, B * N_IN, 1e-2f, 1e-3, 1e-3, dense_loss, &c);
    EXPECT_GRADIENT("dweight", c.weight, dweight, N_OUT * N_IN, 1e-2f, 1e-3, 1e-3,
                    dense_loss, &c);
    EXPECT_GRADIENT("dbias", c.bias, dbias, N_OUT, 1e-2f, 1e-3, 1e-3, dense_loss, &c);
}

static void test_dense_backward_accumulates_parameter_gradients_and_overwrites_din(void)
{
    dense_case c;
    dense_case_init(&c);
    float din_once[B * N_IN], dweight_once[N_OUT * N_IN] = { 0 }, dbias_once[N_OUT] = { 0 };
    dense_backward(din_once, dweight_once, dbias_once, c.g, c.in, c.weight, B, N_IN, N_OUT);
    float din[B * N_IN], dweight[N_OUT * N_IN] = { 0 }, dbias[N_OUT] = { 0 };
    for (int call = 0; call < 2; call++) {
        for (int i = 0; i < B * N_IN; i++)
            din[i] = 1e3f;  /* garbage the backward must overwrite */
        dense_backward(din, dweight, dbias, c.g, c.in, c.weight, B, N_IN, N_OUT);
    }
    for (int i = 0; i < N_OUT * N_IN; i++)
        EXPECT_NEAR(dweight[i], 2.0f * dweight_once[i], 1e-6, 1e-6);
    for (int i = 0; i < N_OUT; i++)
        EXPECT_NEAR(dbias[i], 2.0f * dbias_once[i], 1e-6, 1e-6);
    for (int i = 0; i < B * N_IN; i++)
        EXPECT_NEAR(din[i], din_once[i], 1e-6, 1e-6);
}

int main(void)
{
    RUN_TEST(test_dense_forward_matches_naive_loop);
    RUN_TEST(test_dense_gradients_match_finite_differences);
    RUN_TEST(test_dense_backward_accumulates_parameter_gradients_and_overwrites_din);
    return testing_finish("test_dense");
}
