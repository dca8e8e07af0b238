/* test_conv2d: every convolution algorithm (conv2d.h) against the
 * reference, and the reference against its definition and finite
 * differences. Shapes are odd, non-square, with batch 1, single pixels
 * and channel counts that are not multiples of 8 or 16, so a swapped H/W,
 * a wrong padding offset, an edge tile or a vector remainder cannot hide.
 * Tolerances, as a fraction of the largest magnitude in the reference's
 * tensor: 1e-5 for direct and im2col (float summation order), 5e-5 for
 * Winograd F(4x4, 3x3), whose transforms scale values by up to 8 x 1/24
 * and add rounding of that order; the worst seen is printed. */
#include <stdlib.h>
#include <string.h>

#include "nn/layers/conv2d.h"
#include "gradcheck.h"
#include "testing.h"
#include "core/util.h"

typedef struct {
    conv_shape s;
    size_t n_in, n_out, n_weight;
    float *in, *weight, *bias, *g, *out;
    conv_buffers buf;
} conv_case;

static conv_case *conv_case_new(conv_shape s, conv_algorithm a, uint64_t seed)
{
    conv_case *c = xcalloc(1, sizeof *c);
    c->s = s;
    c->n_in = (size_t)s.B * s.c_in * s.H * s.W;
    c->n_out = (size_t)s.B * s.c_out * s.H * s.W;
    c->n_weight = (size_t)s.c_out * s.c_in * 9;
    c->in = xcalloc(c->n_in, sizeof(float));
    c->weight = xcalloc(c->n_weight, sizeof(float));
    c->bias = xcalloc((size_t)s.c_out, sizeof(float));
    c->g = xcalloc(c->n_out, sizeof(float));
    c->out = xcalloc(c->n_out, sizeof(float));
    c->buf.workspace = xcalloc(conv2d_workspace_floats(a, &s) + 1, sizeof(float));
    c->buf.kernel_cache = xcalloc(conv2d_kernel_cache_floats(a, &s) + 1, sizeof(float));
    gradcheck_fill(c->in, c->n_in, -1.0f, 1.0f, seed);
    gradcheck_fill(c->weight, c->n_weight, -0.5f, 0.5f, seed + 1);
    gradcheck_fill(c->bias, (size_t)s.c_out, -1.0f, 1.0f, seed + 2);
    gradcheck_fill(c->g, c->n_out, -1.0f, 1.0f, seed + 3);
    return c;
}

static void conv_case_free(conv_case *c)
{
    free(c->in);
    free(c->weight);
    free(c->bias);
    free(c->g);
    free(c->out);
    free(c->buf.workspace);
    free(c->buf.kernel_cache);
    free(c);
}

/* max |a - b| / max |b|, and where */
static double relative_error(const float *a, const float *b, size_t n, size_t *where)
{
    double worst = 0.0, scale = 1e-30;
    *where = 0;
    for (size_t i = 0; i < n; i++) {
        scale = fabs(b[i]) > scale ? fabs(b[i]) : scale;
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= worst))
            worst = d, *where = i;
    }
    return worst / scale;
}

static const conv_shape shapes[] = {
    { 2, 3, 4, 5, 7, 0 },  { 1, 1, 5, 28, 28, 1 }, { 3, 17, 19, 9, 11, 1 },
    { 1, 16, 16, 4, 4, 0 }, { 2, 33, 7, 14, 14, 1 }, { 1, 20, 24, 7, 7, 1 },
    { 2, 5, 3, 1, 1, 0 },  { 1, 18, 30, 13, 6, 1 }, { 2, 2, 9, 6, 10, 1 },
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

static double tolerance(conv_algorithm a) { return a == CONV_WINOGRAD ? 5e-5 : 1e-5; }

static double worst_error[CONV_ALGORITHMS];

static int expect_close(const char *what, conv_algorithm a, const conv_shape *s, const float *got,
                        const float *want, size_t n)
{
    size_t at;
    double e = relative_error(got, want, n, &at);
    worst_error[a] = e > worst_error[a] ? e : worst_error[a];
    EXPECT(e <= tolerance(a), "%s %s on %dx%dx%d->%d %dx%d: relative error %.3g at %zu (%.9g, "
           "reference %.9g)", conv2d_algorithm_name(a), what, s->B, s->c_in, s->H, s->c_out, s->H,
           s->W, e, at, got[at], want[at]);
    return e <= tolerance(a);
}

/* out[b][co][y][x] = bias[co] + sum w[co][ci][ky][kx] in[b][ci][y+ky-1][x+kx-1], in double */
static void definition(double *out, const conv_case *c)
{
    const conv_shape *s = &c->s;
    for (int b = 0; b < s->B; b++)
        for (int co = 0; co < s->c_out; co++)
            for (int y = 0; y < s->H; y++)
                for (int x = 0; x < s->W; x++) {
                    double sum = c->bias[co];
                    for (int ci = 0; ci < s->c_in; ci++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                const int sy = y + ky - 1, sx = x + kx - 1;
                                if (sy < 0 || sy >= s->H || sx < 0 || sx >= s->W)
                                    continue;
                                sum += (double)c->weight[((co * s->c_in + ci) * 3 + ky) * 3 + kx] *
                                       c->in[((b * s->c_in + ci) * s->H + sy) * s->W + sx];
                            }
                    out[((b * s->c_out + co) * s->H + y) * s->W + x] = sum;
                }
}

static void test_reference_forward_is_the_zero_padded_convolution(void)
{
    conv_case *c = conv_case_new(shapes[0], CONV_REFERENCE, 1);
    double *expected = xcalloc(c->n_out, sizeof(double));
    definition(expected, c);
    conv2d_forward(CONV_REFERENCE, &c->s, c->out, c->in, c->weight, c->bias, &c->buf);
    for (size_t i = 0; i < c->n_out; i++)
        EXPECT_NEAR(c->out[i], expected[i], 1e-5, 1e-5);
    free(expected);
    conv_case_free(c);
}

static double conv_loss(void *ctx)
{
    conv_case *c = ctx;
    conv2d_forward(CONV_REFERENCE, &c->s, c->out, c->in, c->weight, c->bias, &c->buf);
    return gradcheck_dot(c->out, c->g, c->n_out);
}

/* The forward is linear in each buffer (no ReLU here), so the central
 * difference is exact up to float rounding: 1e-3 absolute + relative. */
static void test_reference_gradients_match_finite_differences(void)
{
    conv_case *c = conv_case_new(shapes[0], CONV_REFERENCE, 1);
    float *din = xcalloc(c->n_in, sizeof(float)), *dweight = xcalloc(c->n_weight, sizeof(float));
    float *dbias = xcalloc((size_t)c->s.c_out, sizeof(float));
    float *dout = xcalloc(c->n_out, sizeof(float));
    memcpy(dout, c->g, sizeof(float) * c->n_out);
    conv2d_backward(CONV_REFERENCE, &c->s, din, dweight, dbias, dout, c->out, c->in, c->weight,
                    &c->buf);
    EXPECT_GRADIENT("din", c->in, din, c->n_in, 1e-2f, 1e-3, 1e-3, conv_loss, c);
    EXPECT_GRADIENT("dweight", c->weight, dweight, c->n_weight, 1e-2f, 1e-3, 1e-3, conv_loss, c);
    EXPECT_GRADIENT("dbias", c->bias, dbias, (size_t)c->s.c_out, 1e-2f, 1e-3, 1e-3, conv_loss, c);
    free(din);
    free(dweight);
    free(dbias);
    free(dout);
    conv_case_free(c);
}

/* One algorithm's forward and backward on one shape, against the reference's. */
static void compare_with_reference(conv_algorithm a, const conv_shape *s, uint64_t seed)
{
    conv_case *c = conv_case_new(*s, a, seed), *r = conv_case_new(*s, CONV_REFERENCE, seed);
    conv2d_forward(a, s, c->out, c->in, c->weight, c->bias, &c->buf);
    conv2d_forward(CONV_REFERENCE, s, r->out, r->in, r->weight, r->bias, &r->buf);
    expect_close("forward", a, s, c->out, r->out, c->n_out);

    float *din[2], *dweight[2], *dbias[2];
    for (int k = 0; k < 2; k++) {
        conv_case *x = k ? r : c;
        din[k] = xcalloc(x->n_in, sizeof(float));
        dweight[k] = xcalloc(x->n_weight, sizeof(float));
        dbias[k] = xcalloc((size_t)s->c_out, sizeof(float));
        for (size_t i = 0; i < x->n_in; i++)
            din[k][i] = 1e3f;   /* garbage the backward must overwrite */
        for (size_t i = 0; i < x->n_weight; i++)
            dweight[k][i] = 0.25f;   /* what it must add to */
        conv2d_backward(k ? CONV_REFERENCE : a, s, din[k], dweight[k], dbias[k], x->g, x->out,
                        x->in, x->weight, &x->buf);
    }
    expect_close("din", a, s, din[0], din[1], c->n_in);
    expect_close("dweight", a, s, dweight[0], dweight[1], c->n_weight);
    expect_close("dbias", a, s, dbias[0], dbias[1], (size_t)s->c_out);
    for (int k = 0; k < 2; k++) {
        free(din[k]);
        free(dweight[k]);
        free(dbias[k]);
    }
    conv_case_free(c);
    conv_case_free(r);
}

static void test_every_algorithm_matches_the_reference_on_odd_shapes(void)
{
    for (int a = CONV_DIRECT; a < CONV_ALGORITHMS; a++)
        for (size_t i = 0; i < N_SHAPES; i++)
            compare_with_reference((conv_algorithm)a, &shapes[i], 10 + i);
    for (int a = CONV_DIRECT; a < CONV_ALGORITHMS; a++)
        printf("  %s: worst relative error %.2g (tolerance %.0e)\n",
               conv2d_algorithm_name((conv_algorithm)a), worst_error[a], tolerance((conv_algorithm)a));
}

/* With ReLU fused no output is negative, and a fair share are zero
 * (the gradients through the mask are compared above, on shapes with
 * relu set). */
static void test_fused_relu_zeroes_negative_outputs(void)
{
    conv_shape s = shapes[2];
    s.relu = 1;
    for (int a = CONV_DIRECT; a < CONV_ALGORITHMS; a++) {
        conv_case *c = conv_case_new(s, (conv_algorithm)a, 5);
        conv2d_forward((conv_algorithm)a, &s, c->out, c->in, c->weight, c->bias, &c->buf);
        size_t zeros = 0, negative = 0;
        for (size_t i = 0; i < c->n_out; i++) {
            zeros += c->out[i] == 0.0f;
            negative += c->out[i] < 0.0f;
        }
        EXPECT(negative == 0 && zeros > c->n_out / 10, "%s: %zu negative, %zu zero of %zu",
               conv2d_algorithm_name((conv_algorithm)a), negative, zeros, c->n_out);
        conv_case_free(c);
    }
}

static void test_backward_accepts_null_din_and_is_bit_identical_run_to_run(void)
{
    const conv_shape *s = &shapes[4];
    for (int a = CONV_DIRECT; a < CONV_ALGORITHMS; a++) {
        conv_case *c = conv_case_new(*s, (conv_algorithm)a, 7);
        float *dw[3], *db[3], *din = xcalloc(c->n_in, sizeof(float)), *dout = xcalloc(c->n_out, 4);
        float *out2 = xcalloc(c->n_out, sizeof(float));
        for (int k = 0; k < 3; k++) {
            dw[k] = xcalloc(c->n_weight, sizeof(float));
            db[k] = xcalloc((size_t)s->c_out, sizeof(float));
            memcpy(dout, c->g, sizeof(float) * c->n_out);
            conv2d_forward((conv_algorithm)a, s, k == 1 ? out2 : c->out, c->in, c->weight,
                           c->bias, &c->buf);
            conv2d_backward((conv_algorithm)a, s, k == 2 ? NULL : din, dw[k], db[k], dout, c->out,
                            c->in, c->weight, &c->buf);
        }
        const char *name = conv2d_algorithm_name((conv_algorithm)a);
        EXPECT(memcmp(c->out, out2, sizeof(float) * c->n_out) == 0, "%s forward differs", name);
        EXPECT(memcmp(dw[0], dw[1], sizeof(float) * c->n_weight) == 0, "%s dweight differs", name);
        EXPECT(memcmp(dw[0], dw[2], sizeof(float) * c->n_weight) == 0, "%s: NULL din changes dweight", name);
        EXPECT(memcmp(db[0], db[2], sizeof(float) * s->c_out) == 0, "%s: NULL din changes dbias", name);
        for (int k = 0; k < 3; k++) {
            free(dw[k]);
            free(db[k]);
        }
        free(din);
        free(dout);
        free(out2);
        conv_case_free(c);
    }
}

static void test_zero_image_gives_each_channels_bias(void)
{
    const conv_shape *s = &shapes[5];
    for (int a = CONV_REFERENCE; a < CONV_ALGORITHMS; a++) {
        conv_case *c = conv_case_new(*s, (conv_algorithm)a, 9);
        memset(c->in, 0, sizeof(float) * c->n_in);
        conv2d_forward((conv_algorithm)a, s, c->out, c->in, c->weight, c->bias, &c->buf);
        size_t wrong = 0, HW = (size_t)s->H * s->W;
        for (size_t i = 0; i < c->n_out; i++) {
            float want = c->bias[(i / HW) % s->c_out];
            wrong += c->out[i] != (want > 0.0f ? want : 0.0f);
        }
        EXPECT(wrong == 0, "%s: %zu outputs of a zero image are not their channel's bias",
               conv2d_algorithm_name((conv_algorithm)a), wrong);
        conv_case_free(c);
    }
}

static void test_choice_by_shape(void)
{
    EXPECT(conv2d_choose(1, 128, 28, 28) == CONV_DIRECT, "first layer");
    EXPECT(conv2d_choose(128, 256, 14, 14) == CONV_WINOGRAD, "wide layer");
    EXPECT(conv2d_choose(8, 8, 14, 14) == CONV_IM2COL, "narrow layer");
}

int main(void)
{
    RUN_TEST(test_reference_forward_is_the_zero_padded_convolution);
    RUN_TEST(test_reference_gradients_match_finite_differences);
    RUN_TEST(test_every_algorithm_matches_the_reference_on_odd_shapes);
    RUN_TEST(test_fused_relu_zeroes_negative_outputs);
    RUN_TEST(test_backward_accepts_null_din_and_is_bit_identical_run_to_run);
    RUN_TEST(test_zero_image_gives_each_channels_bias);
    RUN_TEST(test_choice_by_shape);
    return testing_finish("test_conv2d");
}
