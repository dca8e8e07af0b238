/* test_add: the elementwise sum of k inputs (out may be one of them), and a
 * backward that copies dout into every input's gradient, skipping the NULL
 * ones and overwriting the others. */
#include <string.h>

#include "gradcheck.h"
#include "nn/layers/add.h"
#include "testing.h"

static void test_add_sums_every_input(void)
{
    const float a[5] = { 1, 2, 3, 4, 5 }, b[5] = { 10, 20, 30, 40, 50 },
                c[5] = { -0.5f, 0, 0.25f, 100, -5 };
    const float *const ins[3] = { a, b, c };
    float out[5 + 3] = { 0, 0, 0, 0, 0, -7, -7, -7 };
    add_forward(out, ins, 3, 5);
    for (int i = 0; i < 5; i++)
        EXPECT(out[i] == a[i] + b[i] + c[i], "out[%d] = %g", i, out[i]);
    for (int i = 5; i < 8; i++)
        EXPECT(out[i] == -7.0f, "out[%d] written past the end", i);
    add_forward(out, ins, 2, 5);
    for (int i = 0; i < 5; i++)
        EXPECT(out[i] == a[i] + b[i], "k = 2: out[%d] = %g", i, out[i]);
}

/* The engine may sum into the buffer of the first (or any) input. */
static void test_add_into_an_input_buffer(void)
{
    float a[4] = { 1, 2, 3, 4 }, b[4] = { 10, 20, 30, 40 };
    const float *const ins[3] = { a, b, a };
    add_forward(a, ins, 3, 4);
    const float expected[4] = { 12, 24, 36, 48 };
    for (int i = 0; i < 4; i++)
        EXPECT(a[i] == expected[i], "a[%d] = %g, expected %g", i, a[i], expected[i]);
}

static void test_add_backward_copies_dout_and_skips_null(void)
{
    const float dout[4] = { 0.5f, -1, 2, 3 };
    float d0[4] = { 9, 9, 9, 9 }, d2[4] = { 9, 9, 9, 9 };
    float *const dins[3] = { d0, NULL, d2 };
    add_backward(dins, dout, 3, 4);
    EXPECT(memcmp(d0, dout, sizeof d0) == 0, "din 0 is not dout");
    EXPECT(memcmp(d2, dout, sizeof d2) == 0, "din 2 is not dout");
    /* dout as one of the gradients (the engine may pass its buffer on):
     * the others still get their copy. */
    float same[4] = { 1, 2, 3, 4 };
    float *const alias[2] = { same, d0 };
    add_backward(alias, same, 2, 4);
    EXPECT(memcmp(d0, same, sizeof d0) == 0, "din 1 is not dout when din 0 is dout");
}

typedef struct {
    float a[30], b[30], c[30], out[30], g[30];
} add_case;

static double add_loss(void *ctx)
{
    add_case *t = ctx;
    const float *const ins[3] = { t->a, t->b, t->c };
    add_forward(t->out, ins, 3, 30);
    return gradcheck_dot(t->out, t->g, 30);
}

static void test_add_gradient_matches_finite_differences(void)
{
    add_case t;
    gradcheck_fill(t.a, 30, -1.0f, 1.0f, 61);
    gradcheck_fill(t.b, 30, -1.0f, 1.0f, 62);
    gradcheck_fill(t.c, 30, -1.0f, 1.0f, 63);
    gradcheck_fill(t.g, 30, -1.0f, 1.0f, 64);
    float da[30], db[30], dc[30];
    float *const dins[3] = { da, db, dc };
    add_backward(dins, t.g, 3, 30);
    EXPECT_GRADIENT("din 0", t.a, da, 30, 1e-2f, 1e-4, 1e-3, add_loss, &t);
    EXPECT_GRADIENT("din 1", t.b, db, 30, 1e-2f, 1e-4, 1e-3, add_loss, &t);
    EXPECT_GRADIENT("din 2", t.c, dc, 30, 1e-2f, 1e-4, 1e-3, add_loss, &t);
}

int main(void)
{
    RUN_TEST(test_add_sums_every_input);
    RUN_TEST(test_add_into_an_input_buffer);
    RUN_TEST(test_add_backward_copies_dout_and_skips_null);
    RUN_TEST(test_add_gradient_matches_finite_differences);
    return testing_finish("test_add");
}
