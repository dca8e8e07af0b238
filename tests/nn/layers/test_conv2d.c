/* test_conv2d: every convolution algorithm (conv2d.h) against the
 * reference on every shape it supports, the reference against its
 * definition, finite differences and PyTorch (tests/fixtures/conv_general.bin,
 * written by tests/make_conv_fixtures.py), and the Keras shape rule.
 * Shapes are odd, non-square, with batch 1, single pixels, kernels larger
 * than the image, asymmetric 'same' padding and channel counts that are
 * not multiples of 8 or 16, so a swapped H/W, a wrong padding offset, an
 * edge tile or a vector remainder cannot hide.
 * Tolerances, as a fraction of the largest magnitude in the reference's
 * tensor: 1e-5 for direct and im2col (float summation order), 5e-5 for
 * Winograd F(4x4, 3x3), whose transforms scale values by up to 8 x 1/24
 * and add rounding of that order; the worst seen is printed. Against
 * PyTorch's float64 (rounded to float32) every algorithm gets 1e-5 too. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nn/layers/conv2d.h"
#include "fixture.h"
#include "gradcheck.h"
#include "testing.h"
#include "core/util.h"

#define FIXTURE "tests/fixtures/conv_general.bin"

/* The shape as a test writes it, resolved (every test shape fits). */
static conv_shape resolved(conv_shape s)
{
    CHECK(conv_shape_resolve(&s) == 0, "test shape %dx%d kernel %dx%d stride %dx%d is empty",
          s.H, s.W, s.kh, s.kw, s.sh, s.sw);
    return s;
}

typedef struct {
    conv_shape s;
    size_t n_in, n_out, n_weight;
    float *in, *weight, *bias, *g, *out;
    conv_buffers buf;
} conv_case;

static conv_case *conv_case_new(conv_shape s, conv_algorithm a, uint64_t seed)
{
    conv_case *c = xcalloc(1, sizeof *c);
    s = resolved(s);
    c->s = s;
    c->n_in = (size_t)s.B * s.c_in * s.H * s.W;
    c->n_out = (size_t)s.B * s.c_out * s.out_h * s.out_w;
    c->n_weight = (size_t)s.c_out * s.c_in * s.kh * s.kw;
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

/* B, c_in, c_out, H, W, relu, then kernel, stride and padding: the
 * fields conv_shape_resolve reads, in conv_shape's order. */
#define SAME3(B, c_in, c_out, H, W, relu) { B, c_in, c_out, H, W, relu, 3, 3, 1, 1, CONV_SAME, 0, 0, 0, 0 }
#define SHAPE(B, c_in, c_out, H, W, relu, kh, kw, sh, sw, padding) \
    { B, c_in, c_out, H, W, relu, kh, kw, sh, sw, padding, 0, 0, 0, 0 }

/* The fast kernels' one shape: 3x3, stride 1, 'same'. */
static const conv_shape shapes[] = {
    SAME3(2, 3, 4, 5, 7, 0),   SAME3(1, 1, 5, 28, 28, 1), SAME3(3, 17, 19, 9, 11, 1),
    SAME3(1, 16, 16, 4, 4, 0), SAME3(2, 33, 7, 14, 14, 1), SAME3(1, 20, 24, 7, 7, 1),
    SAME3(2, 5, 3, 1, 1, 0),   SAME3(1, 18, 30, 13, 6, 1), SAME3(2, 2, 9, 6, 10, 1),
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

/* Every other kernel, stride and padding; the comments give the padding
 * Keras's rule makes (rows top + bottom, columns left + right), which
 * test_shape_rule_is_keras and the PyTorch fixture check. */
static const conv_shape general_shapes[] = {
    SHAPE(2, 5, 7, 6, 9, 1, 1, 1, 1, 1, CONV_SAME),       /* 1x1: a matrix product */
    SHAPE(1, 4, 3, 7, 8, 0, 1, 1, 2, 2, CONV_VALID),      /* 1x1 stride 2: a subsampling */
    SHAPE(2, 3, 6, 9, 8, 1, 5, 5, 1, 1, CONV_SAME),       /* 2 + 2, 2 + 2 */
    SHAPE(2, 3, 16, 13, 11, 1, 5, 5, 1, 1, CONV_SAME),    /* c_in 3, odd 13x11 */
    SHAPE(2, 3, 8, 15, 14, 1, 7, 7, 2, 2, CONV_SAME),     /* 15 -> 8: 3 + 3; 14 -> 7: 2 + 3 */
    SHAPE(1, 2, 3, 3, 4, 0, 7, 7, 2, 2, CONV_SAME),       /* kernel over the image: 3 + 3, 2 + 3 */
    SHAPE(2, 6, 5, 9, 10, 1, 1, 7, 1, 1, CONV_SAME),      /* 1x7: 0 + 0, 3 + 3 */
    SHAPE(2, 6, 5, 10, 9, 0, 7, 1, 1, 1, CONV_SAME),      /* 7x1: 3 + 3, 0 + 0 */
    SHAPE(2, 5, 4, 13, 11, 1, 3, 3, 2, 2, CONV_VALID),    /* 13x11 -> 6x5 */
    SHAPE(1, 17, 19, 9, 11, 1, 3, 3, 1, 1, CONV_VALID),   /* 3x3 stride 1 without padding */
    SHAPE(2, 3, 4, 8, 10, 1, 3, 3, 2, 2, CONV_SAME),      /* 0 + 1, 0 + 1 */
    SHAPE(2, 3, 4, 9, 7, 0, 3, 1, 2, 1, CONV_VALID),      /* 3x1, strides differ */
    SHAPE(2, 3, 5, 6, 7, 1, 2, 4, 1, 1, CONV_SAME),       /* even kernel: 0 + 1, 1 + 2 */
    SHAPE(1, 3, 2, 10, 8, 0, 1, 1, 3, 3, CONV_SAME),      /* stride over kernel: no padding */
    SHAPE(2, 4, 6, 8, 8, 1, 2, 2, 2, 2, CONV_VALID),      /* 2x2 stride 2: patches */
};
#define N_GENERAL (sizeof general_shapes / sizeof general_shapes[0])

static double tolerance(conv_algorithm a) { return a == CONV_WINOGRAD ? 5e-5 : 1e-5; }

static double worst_error[CONV_ALGORITHMS];
static int compared[CONV_ALGORITHMS];   /* tensors compared since the last print */

static int expect_close(const char *what, conv_algorithm a, const conv_shape *s, const float *got,
                        const float *want, size_t n)
{
    size_t at;
    double e = relative_error(got, want, n, &at);
    worst_error[a] = e > worst_error[a] ? e : worst_error[a];
    compared[a]++;
    EXPECT(e <= tolerance(a), "%s %s on B %d, %d x %dx%d -> %d x %dx%d, kernel %dx%d stride "
           "%dx%d %s: relative error %.3g at %zu (%.9g, reference %.9g)",
           conv2d_algorithm_name(a), what, s->B, s->c_in, s->H, s->W, s->c_out, s->out_h,
           s->out_w, s->kh, s->kw, s->sh, s->sw, s->padding == CONV_SAME ? "same" : "valid", e,
           at, got[at], want[at]);
    return e <= tolerance(a);
}

/* out[b][co][y][x] = bias[co] + sum w[co][ci][ky][kx] in[b][ci][y sh + ky - top][x sw + kx - left],
 * in double, written from the formula rather than from the reference */
static void definition(double *out, const conv_case *c)
{
    const conv_shape *s = &c->s;
    for (int b = 0; b < s->B; b++)
        for (int co = 0; co < s->c_out; co++)
            for (int y = 0; y < s->out_h; y++)
                for (int x = 0; x < s->out_w; x++) {
                    double sum = c->bias[co];
                    for (int ci = 0; ci < s->c_in; ci++)
                        for (int ky = 0; ky < s->kh; ky++)
                            for (int kx = 0; kx < s->kw; kx++) {
                                const int sy = y * s->sh + ky - s->pad_top;
                                const int sx = x * s->sw + kx - s->pad_left;
                                if (sy < 0 || sy >= s->H || sx < 0 || sx >= s->W)
                                    continue;
                                sum += (double)c->weight[((co * s->c_in + ci) * s->kh + ky) * s->kw + kx] *
                                       c->in[((b * s->c_in + ci) * s->H + sy) * s->W + sx];
                            }
                    out[((b * s->c_out + co) * s->out_h + y) * s->out_w + x] = sum;
                }
}

static void expect_reference_is_the_definition(conv_shape s, uint64_t seed)
{
    s.relu = 0;
    conv_case *c = conv_case_new(s, CONV_REFERENCE, seed);
    double *expected = xcalloc(c->n_out, sizeof(double));
    definition(expected, c);
    conv2d_forward(CONV_REFERENCE, &c->s, c->out, c->in, c->weight, c->bias, &c->buf);
    size_t wrong = 0;
    for (size_t i = 0; i < c->n_out; i++)
        wrong += !(fabs(c->out[i] - expected[i]) <= 1e-5 + 1e-5 * fabs(expected[i]));
    EXPECT(wrong == 0, "%zu of %zu outputs differ from the definition on %dx%d kernel %dx%d "
           "stride %dx%d", wrong, c->n_out, s.H, s.W, s.kh, s.kw, s.sh, s.sw);
    free(expected);
    conv_case_free(c);
}

static void test_reference_forward_is_the_zero_padded_convolution(void)
{
    expect_reference_is_the_definition(shapes[0], 1);
    for (size_t i = 0; i < N_GENERAL; i++)
        expect_reference_is_the_definition(general_shapes[i], 100 + i);
}

static double conv_loss(void *ctx)
{
    conv_case *c = ctx;
    conv2d_forward(CONV_REFERENCE, &c->s, c->out, c->in, c->weight, c->bias, &c->buf);
    return gradcheck_dot(c->out, c->g, c->n_out);
}

/* The forward is linear in each buffer (no ReLU here), so the central
 * difference is exact up to float rounding: 1e-3 absolute + relative. */
static void expect_reference_gradients_match_finite_differences(conv_shape s, uint64_t seed)
{
    s.relu = 0;
    conv_case *c = conv_case_new(s, CONV_REFERENCE, seed);
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

static void test_reference_gradients_match_finite_differences(void)
{
    expect_reference_gradients_match_finite_differences(shapes[0], 1);
}

/* Where strides skip pixels, padding is lopsided or the kernel is larger
 * than the image, every input pixel and tap still gets its own gradient. */
static void test_reference_gradients_match_finite_differences_on_general_shapes(void)
{
    const conv_shape cases[] = {
        SHAPE(2, 2, 3, 7, 6, 0, 7, 7, 2, 2, CONV_SAME),   /* 3 + 3 rows, 2 + 3 columns */
        SHAPE(1, 3, 2, 9, 7, 0, 3, 1, 2, 1, CONV_VALID),  /* the last input row unread */
        SHAPE(2, 2, 3, 6, 7, 0, 2, 4, 1, 1, CONV_SAME),   /* even kernel, the odd pad after */
        SHAPE(1, 3, 2, 8, 9, 0, 1, 1, 3, 2, CONV_SAME),   /* 1x1 skipping pixels */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_reference_gradients_match_finite_differences(cases[i], 200 + i);
}

/* One algorithm's forward and backward on one shape, against the reference's. */
static void compare_with_reference(conv_algorithm a, const conv_shape *shape, uint64_t seed)
{
    const conv_shape resolved_shape = resolved(*shape), *s = &resolved_shape;
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

static void print_worst_errors(void)
{
    for (int a = CONV_DIRECT; a < CONV_ALGORITHMS; a++)
        if (compared[a])
            printf("  %s: worst relative error %.2g over %d tensors (tolerance %.0e)\n",
                   conv2d_algorithm_name((conv_algorithm)a), worst_error[a], compared[a],
                   tolerance((conv_algorithm)a));
    memset(worst_error, 0, sizeof worst_error);
    memset(compared, 0, sizeof compared);
}

static void test_every_algorithm_matches_the_reference_on_odd_shapes(void)
{
    for (int a = CONV_DIRECT; a < CONV_ALGORITHMS; a++)
        for (size_t i = 0; i < N_SHAPES; i++) {
            const conv_shape s = resolved(shapes[i]);
            EXPECT(conv2d_supports((conv_algorithm)a, &s), "%s refuses 3x3 'same'",
                   conv2d_algorithm_name((conv_algorithm)a));
            compare_with_reference((conv_algorithm)a, &s, 10 + i);
        }
    print_worst_errors();
}

/* im2col computes every shape; the 3x3 kernels claim none of these (and
 * conv2d_forward would stop them rather than compute something else). */
static void test_every_algorithm_that_supports_a_general_shape_matches_the_reference(void)
{
    for (size_t i = 0; i < N_GENERAL; i++) {
        const conv_shape s = resolved(general_shapes[i]);
        EXPECT(conv2d_supports(CONV_IM2COL, &s) && conv2d_supports(CONV_REFERENCE, &s),
               "general shape %zu refused", i);
        EXPECT(!conv2d_supports(CONV_DIRECT, &s) && !conv2d_supports(CONV_WINOGRAD, &s),
               "a 3x3 kernel claims general shape %zu", i);
        for (int a = CONV_DIRECT; a < CONV_ALGORITHMS; a++)
            if (conv2d_supports((conv_algorithm)a, &s))
                compare_with_reference((conv_algorithm)a, &s, 300 + i);
    }
    print_worst_errors();
}

/* With ReLU fused no output is negative, and a fair share are zero
 * (the gradients through the mask are compared above, on shapes with
 * relu set). */
static void expect_fused_relu_zeroes_negative_outputs(conv_shape s)
{
    s = resolved(s);
    s.relu = 1;
    for (int a = CONV_DIRECT; a < CONV_ALGORITHMS; a++) {
        if (!conv2d_supports((conv_algorithm)a, &s))
            continue;
        conv_case *c = conv_case_new(s, (conv_algorithm)a, 5);
        conv2d_forward((conv_algorithm)a, &s, c->out, c->in, c->weight, c->bias, &c->buf);
        size_t zeros = 0, negative = 0;
        for (size_t i = 0; i < c->n_out; i++) {
            zeros += c->out[i] == 0.0f;
            negative += c->out[i] < 0.0f;
        }
        EXPECT(negative == 0 && zeros > c->n_out / 10, "%s on kernel %dx%d: %zu negative, %zu "
               "zero of %zu", conv2d_algorithm_name((conv_algorithm)a), s.kh, s.kw, negative,
               zeros, c->n_out);
        conv_case_free(c);
    }
}

static void test_fused_relu_zeroes_negative_outputs(void)
{
    expect_fused_relu_zeroes_negative_outputs(shapes[2]);
    expect_fused_relu_zeroes_negative_outputs(general_shapes[4]);
}

static void expect_backward_accepts_null_din_and_is_bit_identical(const conv_shape *shape)
{
    const conv_shape resolved_shape = resolved(*shape), *s = &resolved_shape;
    for (int a = CONV_DIRECT; a < CONV_ALGORITHMS; a++) {
        if (!conv2d_supports((conv_algorithm)a, s))
            continue;
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

static void test_backward_accepts_null_din_and_is_bit_identical_run_to_run(void)
{
    expect_backward_accepts_null_din_and_is_bit_identical(&shapes[4]);
    expect_backward_accepts_null_din_and_is_bit_identical(&general_shapes[4]);
    expect_backward_accepts_null_din_and_is_bit_identical(&general_shapes[8]);
}

/* Padding is zeros, so a zero image gives the bias at every output,
 * border pixels included, whatever the padding. */
static void expect_zero_image_gives_each_channels_bias(const conv_shape *shape)
{
    const conv_shape resolved_shape = resolved(*shape), *s = &resolved_shape;
    for (int a = CONV_REFERENCE; a < CONV_ALGORITHMS; a++) {
        if (!conv2d_supports((conv_algorithm)a, s))
            continue;
        conv_case *c = conv_case_new(*s, (conv_algorithm)a, 9);
        memset(c->in, 0, sizeof(float) * c->n_in);
        conv2d_forward((conv_algorithm)a, s, c->out, c->in, c->weight, c->bias, &c->buf);
        size_t wrong = 0, HW = (size_t)s->out_h * s->out_w;
        for (size_t i = 0; i < c->n_out; i++) {
            float want = c->bias[(i / HW) % s->c_out];
            wrong += c->out[i] != (!s->relu || want > 0.0f ? want : 0.0f);
        }
        EXPECT(wrong == 0, "%s: %zu outputs of a zero image are not their channel's bias",
               conv2d_algorithm_name((conv_algorithm)a), wrong);
        conv_case_free(c);
    }
}

static void test_zero_image_gives_each_channels_bias(void)
{
    expect_zero_image_gives_each_channels_bias(&shapes[5]);
    expect_zero_image_gives_each_channels_bias(&general_shapes[5]);
    expect_zero_image_gives_each_channels_bias(&general_shapes[12]);
}

/* One axis of conv_shape_resolve: input size, kernel, stride, padding,
 * and what Keras/TensorFlow give (out, zeros before the image). */
typedef struct {
    int in, k, stride;
    conv_padding padding;
    int out, before;
} axis_case;

static const axis_case axis_cases[] = {
    { 299, 3, 2, CONV_VALID, 149, 0 },   /* Inception's stem */
    { 28, 3, 2, CONV_SAME, 14, 0 },      /* total 1: the one zero row is at the bottom */
    { 7, 7, 2, CONV_SAME, 4, 3 },        /* total 6 */
    { 28, 3, 1, CONV_SAME, 28, 1 },      /* the fast kernels' case */
    { 224, 7, 2, CONV_SAME, 112, 2 },    /* ResNet's stem: total 5, 2 before and 3 after */
    { 7, 7, 1, CONV_VALID, 1, 0 },
    { 6, 2, 1, CONV_SAME, 6, 0 },        /* even kernel: total 1 */
    { 7, 4, 1, CONV_SAME, 7, 1 },        /* total 3 */
    { 8, 1, 3, CONV_SAME, 3, 0 },        /* (3-1)3 + 1 - 8 < 0: no padding */
    { 13, 3, 2, CONV_VALID, 6, 0 },
    { 1, 3, 1, CONV_SAME, 1, 1 },
    { 3, 7, 2, CONV_SAME, 2, 3 },        /* kernel over the image: total 6 */
};
#define N_AXIS_CASES (sizeof axis_cases / sizeof axis_cases[0])

/* Each case down the rows with another across the columns, so an axis
 * mixed up with the other shows. */
static void test_shape_rule_is_keras(void)
{
    for (size_t i = 0; i < N_AXIS_CASES; i++) {
        const axis_case *v = &axis_cases[i], *h = &axis_cases[(i + 5) % N_AXIS_CASES];
        if (v->padding != h->padding)
            continue;   /* one padding per layer */
        conv_shape s = SHAPE(1, 1, 1, v->in, h->in, 0, v->k, h->k, v->stride, h->stride,
                             v->padding);
        EXPECT(conv_shape_resolve(&s) == 0, "case %zu refused", i);
        EXPECT(s.out_h == v->out && s.pad_top == v->before, "H %d k %d s %d: out %d pad_top %d, "
               "Keras %d and %d", v->in, v->k, v->stride, s.out_h, s.pad_top, v->out, v->before);
        EXPECT(s.out_w == h->out && s.pad_left == h->before, "W %d k %d s %d: out %d pad_left "
               "%d, Keras %d and %d", h->in, h->k, h->stride, s.out_w, s.pad_left, h->out,
               h->before);
    }
    for (size_t i = 0; i < N_AXIS_CASES; i++) {   /* and each on both axes of a square */
        const axis_case *v = &axis_cases[i];
        conv_shape s = SHAPE(1, 1, 1, v->in, v->in, 0, v->k, v->k, v->stride, v->stride,
                             v->padding);
        EXPECT(conv_shape_resolve(&s) == 0 && s.out_h == v->out && s.out_w == v->out &&
               s.pad_top == v->before && s.pad_left == v->before, "square case %zu", i);
    }
}

static void test_shape_rule_refuses_an_empty_output(void)
{
    const conv_shape empty[] = {
        SHAPE(1, 1, 1, 5, 9, 0, 7, 3, 1, 1, CONV_VALID),   /* kernel taller than the image */
        SHAPE(1, 1, 1, 9, 5, 0, 3, 7, 1, 1, CONV_VALID),   /* and wider */
        SHAPE(1, 1, 1, 0, 5, 0, 3, 3, 1, 1, CONV_SAME),    /* no rows */
        SHAPE(1, 1, 1, 5, 5, 0, 3, 3, 0, 1, CONV_SAME),    /* stride 0 */
        SHAPE(1, 1, 1, 5, 5, 0, 3, 0, 1, 1, CONV_SAME),    /* no kernel */
    };
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        conv_shape s = empty[i];
        EXPECT(conv_shape_resolve(&s) == -1 && s.out_h == 0 && s.out_w == 0,
               "empty case %zu: %d, out %dx%d", i, conv_shape_resolve(&s), s.out_h, s.out_w);
    }
}

/* A 3x3 kernel handed another shape stops the program instead of
 * computing another convolution (checked in a child process). */
static void test_forward_stops_an_algorithm_on_a_shape_it_does_not_compute(void)
{
    const conv_shape s = resolved(general_shapes[8]);
    conv_case *c = conv_case_new(s, CONV_IM2COL, 11);
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        int null = open("/dev/null", O_WRONLY);   /* its message is expected */
        dup2(null, STDERR_FILENO);
        conv2d_forward(CONV_DIRECT, &s, c->out, c->in, c->weight, c->bias, &c->buf);
        _exit(0);
    }
    int status = 0;
    EXPECT(child > 0 && waitpid(child, &status, 0) == child, "fork or wait failed");
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) != 0, "direct ran a 3x3 stride 2 'valid' "
           "layer (status %d)", status);
    conv_case_free(c);
}

static void test_choice_by_shape(void)
{
    conv_shape first = SAME3(0, 1, 128, 28, 28, 1), wide = SAME3(0, 128, 256, 14, 14, 1);
    conv_shape narrow = SAME3(0, 8, 8, 14, 14, 1);
    EXPECT(conv2d_choose(&first) == CONV_DIRECT, "first layer");
    EXPECT(conv2d_choose(&wide) == CONV_WINOGRAD, "wide layer");
    EXPECT(conv2d_choose(&narrow) == CONV_IM2COL, "narrow layer");
    conv_shape first_valid = SHAPE(0, 1, 128, 28, 28, 1, 3, 3, 1, 1, CONV_VALID);
    conv_shape wide_strided = SHAPE(0, 128, 256, 14, 14, 1, 3, 3, 2, 2, CONV_SAME);
    conv_shape wide_5x5 = SHAPE(0, 128, 256, 14, 14, 1, 5, 5, 1, 1, CONV_SAME);
    EXPECT(conv2d_choose(&first_valid) == CONV_IM2COL, "first layer, 'valid'");
    EXPECT(conv2d_choose(&wide_strided) == CONV_IM2COL, "wide layer, stride 2");
    EXPECT(conv2d_choose(&wide_5x5) == CONV_IM2COL, "wide layer, 5x5");
    for (size_t i = 0; i < N_GENERAL; i++) {
        const conv_shape s = resolved(general_shapes[i]);
        EXPECT(conv2d_supports(conv2d_choose(&s), &s), "the choice for general shape %zu "
               "refuses it", i);
    }
}

/* ---- PyTorch (tests/make_conv_fixtures.py) ------------------------------ */

static const fixture_tensor *fixture_tensor_of(const fixture_file *f, const char *name,
                                               const char *what)
{
    char full[96];
    snprintf(full, sizeof full, "conv/%s/%s", name, what);
    const fixture_tensor *t = fixture_find(f, full);
    EXPECT(t != NULL, "%s: no tensor %s", FIXTURE, full);
    return t;
}

/* max |got - want| / max |want| within 1e-5, as against the reference. */
static void expect_matches_torch(const char *what, conv_algorithm a, const char *name,
                                 const float *got, const fixture_tensor *want)
{
    size_t at;
    const double e = relative_error(got, want->data, (size_t)want->size, &at);
    EXPECT(e <= 1e-5, "%s %s on %s: relative error %.3g against torch at %zu (%.9g, torch "
           "%.9g)", conv2d_algorithm_name(a), what, name, e, at, got[at], want->data[at]);
}

static void expect_case_matches_torch(const fixture_file *f, const char *name)
{
    const fixture_tensor *geometry = fixture_tensor_of(f, name, "geometry");
    const fixture_tensor *in = fixture_tensor_of(f, name, "in");
    const fixture_tensor *weight = fixture_tensor_of(f, name, "weight");
    const fixture_tensor *bias = fixture_tensor_of(f, name, "bias");
    const fixture_tensor *out = fixture_tensor_of(f, name, "out");
    const fixture_tensor *dout = fixture_tensor_of(f, name, "dout");
    const fixture_tensor *din = fixture_tensor_of(f, name, "din");
    const fixture_tensor *dweight = fixture_tensor_of(f, name, "dweight");
    const fixture_tensor *dbias = fixture_tensor_of(f, name, "dbias");
    if (!geometry || !in || !weight || !bias || !out || !dout || !din || !dweight || !dbias)
        return;
    const float *g = geometry->data;
    conv_shape s = SHAPE(in->dims[0], in->dims[1], weight->dims[0], in->dims[2], in->dims[3],
                         (int)g[5], (int)g[0], (int)g[1], (int)g[2], (int)g[3],
                         g[4] != 0.0f ? CONV_SAME : CONV_VALID);
    EXPECT(conv_shape_resolve(&s) == 0 && s.out_h == out->dims[2] && s.out_w == out->dims[3],
           "%s: output %dx%d, torch %dx%d", name, s.out_h, s.out_w, out->dims[2], out->dims[3]);
    if (s.out_h != out->dims[2] || s.out_w != out->dims[3])
        return;
    for (int a = CONV_REFERENCE; a < CONV_ALGORITHMS; a++) {
        if (!conv2d_supports((conv_algorithm)a, &s))
            continue;
        conv_buffers buf = {
            .workspace = xcalloc(conv2d_workspace_floats((conv_algorithm)a, &s) + 1, sizeof(float)),
            .kernel_cache = xcalloc(conv2d_kernel_cache_floats((conv_algorithm)a, &s) + 1,
                                    sizeof(float)),
        };
        float *y = xcalloc((size_t)out->size, sizeof(float));
        float *dy = xcalloc((size_t)dout->size, sizeof(float));
        float *dx = xcalloc((size_t)din->size, sizeof(float));
        float *dw = xcalloc((size_t)dweight->size, sizeof(float));
        float *db = xcalloc((size_t)dbias->size, sizeof(float));
        memcpy(dy, dout->data, sizeof(float) * (size_t)dout->size);
        conv2d_forward((conv_algorithm)a, &s, y, in->data, weight->data, bias->data, &buf);
        conv2d_backward((conv_algorithm)a, &s, dx, dw, db, dy, y, in->data, weight->data, &buf);
        expect_matches_torch("forward", (conv_algorithm)a, name, y, out);
        expect_matches_torch("din", (conv_algorithm)a, name, dx, din);
        expect_matches_torch("dweight", (conv_algorithm)a, name, dw, dweight);
        expect_matches_torch("dbias", (conv_algorithm)a, name, db, dbias);
        free(y);
        free(dy);
        free(dx);
        free(dw);
        free(db);
        free(buf.workspace);
        free(buf.kernel_cache);
    }
}

/* An oracle written apart from this code: TF's 'same' with the odd row
 * and column after the image, strides, a 'valid' that leaves pixels unread. */
static void test_general_shapes_match_pytorch(void)
{
    fixture_file *f = fixture_load(FIXTURE);
    EXPECT(f != NULL, "cannot load %s", FIXTURE);
    if (!f)
        return;
    const char *cases[] = { "same_k5s2", "same_k2x4s1", "valid_k3s2" };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_case_matches_torch(f, cases[i]);
    fixture_free(f);
}

int main(void)
{
    RUN_TEST(test_reference_forward_is_the_zero_padded_convolution);
    RUN_TEST(test_reference_gradients_match_finite_differences);
    RUN_TEST(test_reference_gradients_match_finite_differences_on_general_shapes);
    RUN_TEST(test_every_algorithm_matches_the_reference_on_odd_shapes);
    RUN_TEST(test_every_algorithm_that_supports_a_general_shape_matches_the_reference);
    RUN_TEST(test_fused_relu_zeroes_negative_outputs);
    RUN_TEST(test_backward_accepts_null_din_and_is_bit_identical_run_to_run);
    RUN_TEST(test_zero_image_gives_each_channels_bias);
    RUN_TEST(test_shape_rule_is_keras);
    RUN_TEST(test_shape_rule_refuses_an_empty_output);
    RUN_TEST(test_forward_stops_an_algorithm_on_a_shape_it_does_not_compute);
    RUN_TEST(test_choice_by_shape);
    RUN_TEST(test_general_shapes_match_pytorch);
    return testing_finish("test_conv2d");
}
