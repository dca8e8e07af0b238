/* test_relu: max(0, x) forward, and a backward that passes the upstream
 * gradient exactly where the output is positive, checked elementwise and
 * against finite differences away from the kink at 0. */
#include <string.h>

#include "gradcheck.h"
#include "nn/layers/relu.h"
#include "testing.h"

enum { N = 3 * 5 * 7 };

typedef struct {
    float in[N], out[N], g[N];
} relu_case;

/* Inputs in +-[0.05, 1]: a central difference with h = 1e-2 never crosses
 * the kink at 0, so it sees a locally linear function. */
static void relu_case_init(relu_case *c)
{
    gradcheck_fill(c->in, N, -0.95f, 0.95f, 11);
    for (int i = 0; i < N; i++)
        c->in[i] += c->in[i] < 0.0f ? -0.05f : 0.05f;
    gradcheck_fill(c->g, N, -1.0f, 1.0f, 12);
}

static double relu_loss(void *ctx)
{
    relu_case *c = ctx;
    relu_forward(c->out, c->in, N);
    return gradcheck_dot(c->out, c->g, N);
}

static void test_relu_forward_is_max_of_zero_and_input(void)
{
    const float in[6] = { -2.0f, -1e-30f, 0.0f, 1e-30f, 0.5f, 3.0f };
    const float expected[6] = { 0.0f, 0.0f, 0.0f, 1e-30f, 0.5f, 3.0f };
    float out[6];
    relu_forward(out, in, 6);
    for (int i = 0; i < 6; i++)
        EXPECT(out[i] == expected[i], "relu(%g) = %g, expected %g", in[i], out[i], expected[i]);
}

static void test_relu_backward_passes_gradient_only_where_output_is_positive(void)
{
    const float in[6] = { -2.0f, -0.1f, 0.0f, 0.1f, 0.5f, 3.0f };
    const float dout[6] = { 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f };
    const float expected[6] = { 0.0f, 0.0f, 0.0f, 4.0f, 5.0f, 6.0f };
    float out[6], din[6];
    for (int i = 0; i < 6; i++)
        din[i] = 1e3f;  /* garbage the backward must overwrite */
    relu_forward(out, in, 6);
    relu_backward(din, dout, out, 6);
    for (int i = 0; i < 6; i++)
        EXPECT(din[i] == expected[i], "din at x = %g is %g, expected %g", in[i], din[i],
               expected[i]);
}

/* Piecewise linear away from the kink: the difference is exact up to
 * float rounding of f; tolerance 1e-3 absolute + 1e-3 relative. */
static void test_relu_gradient_matches_finite_differences(void)
{
    relu_case c;
    relu_case_init(&c);
    float din[N];
    relu_forward(c.out, c.in, N);
    relu_backward(din, c.g, c.out, N);
    EXPECT_GRADIENT("din", c.in, din, N, 1e-2f, 1e-3, 1e-3, relu_loss, &c);
}

int main(void)
{
    RUN_TEST(test_relu_forward_is_max_of_zero_and_input);
    RUN_TEST(test_relu_backward_passes_gradient_only_where_output_is_positive);
    RUN_TEST(test_relu_gradient_matches_finite_differences);
    return testing_finish("test_relu");
}
