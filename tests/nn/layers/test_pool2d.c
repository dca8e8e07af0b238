/* test_pool2d: max and average pooling with any window and stride and
 * TensorFlow's 'same' / 'valid' padding -- the output sizes and the odd
 * padded cell going after the input, padding that never wins a max and
 * never counts in an average, argmax as an index into the whole batch,
 * backwards that add where windows overlap and overwrite din -- against
 * hand-computed cases, a naive loop over many shapes, finite differences
 * and torch (tests/fixtures/layers.bin, from tests/make_layer_fixtures.py). */
#include <string.h>

#include "fixture.h"
#include "gradcheck.h"
#include "nn/layers/pool2d.h"
#include "testing.h"

#define FIXTURE "tests/fixtures/layers.bin"

static fixture_file *fixture;

static void test_pool2d_shape_follows_tensorflow_same_and_valid_rules(void)
{
    /* H, k, s, padding -> out, pad before; the same numbers on the columns
     * with the rows held trivial, so a swapped axis shows. */
    static const struct { int H, k, s; pool2d_padding padding; int out, before; } cases[] = {
        { 7, 3, 2, POOL2D_VALID, 3, 0 },   /* floor((7 - 3) / 2) + 1 */
        { 8, 3, 2, POOL2D_VALID, 3, 0 },
        { 9, 3, 3, POOL2D_VALID, 3, 0 },
        { 3, 3, 1, POOL2D_VALID, 1, 0 },
        { 7, 3, 2, POOL2D_SAME, 4, 1 },    /* ceil(7 / 2); 2 padded: 1 + 1 */
        { 8, 3, 2, POOL2D_SAME, 4, 0 },    /* 1 padded: 0 before, 1 after */
        { 6, 2, 1, POOL2D_SAME, 6, 0 },    /* 1 padded, after */
        { 5, 3, 1, POOL2D_SAME, 5, 1 },
        { 7, 3, 3, POOL2D_SAME, 3, 1 },    /* (3 - 1) 3 + 3 - 7 = 2 */
        { 8, 3, 3, POOL2D_SAME, 3, 0 },    /* 1 padded, after */
        { 4, 1, 3, POOL2D_SAME, 2, 0 },    /* (2 - 1) 3 + 1 - 4 = 0 */
        { 5, 2, 3, POOL2D_SAME, 2, 0 },    /* 3 + 2 - 5 = 0 */
        { 1, 3, 1, POOL2D_SAME, 1, 1 },    /* a window wider than the input */
        { 2, 5, 2, POOL2D_SAME, 1, 1 },    /* 0 + 5 - 2 = 3: 1 before, 2 after */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pool2d_shape rows, cols;
        const int rc_rows = pool2d_shape_init(&rows, 2, 3, cases[i].H, 4, cases[i].k, 1,
                                              cases[i].s, 1, cases[i].padding);
        const int rc_cols = pool2d_shape_init(&cols, 2, 3, 4, cases[i].H, 1, cases[i].k, 1,
                                              cases[i].s, cases[i].padding);
        EXPECT(rc_rows == 0 && rc_cols == 0, "case %zu rejected", i);
        EXPECT(rows.out_h == cases[i].out && rows.pad_top == cases[i].before && rows.out_w == 4
               && rows.pad_left == 0, "case %zu rows: out %d pad %d, expected %d and %d", i,
               rows.out_h, rows.pad_top, cases[i].out, cases[i].before);
        EXPECT(cols.out_w == cases[i].out && cols.pad_left == cases[i].before && cols.out_h == 4
               && cols.pad_top == 0, "case %zu columns: out %d pad %d, expected %d and %d", i,
               cols.out_w, cols.pad_left, cases[i].out, cases[i].before);
    }
}

static void test_pool2d_shape_rejects_empty_output_and_bad_sizes(void)
{
    pool2d_shape s;
    EXPECT(pool2d_shape_init(&s, 1, 1, 2, 5, 3, 3, 1, 1, POOL2D_VALID) == -1,
           "a 3-row window on 2 rows is empty under 'valid'");
    EXPECT(pool2d_shape_init(&s, 1, 1, 5, 2, 3, 3, 2, 2, POOL2D_VALID) == -1,
           "a 3-column window on 2 columns is empty under 'valid'");
    EXPECT(pool2d_shape_init(&s, 1, 1, 2, 2, 3, 3, 1, 1, POOL2D_SAME) == 0,
           "'same' never empties a non-empty input");
    EXPECT(pool2d_shape_init(&s, 1, 1, 5, 5, 0, 2, 1, 1, POOL2D_SAME) == -1, "window 0");
    EXPECT(pool2d_shape_init(&s, 1, 1, 5, 5, 2, 2, 1, 0, POOL2D_SAME) == -1, "stride 0");
    EXPECT(pool2d_shape_init(&s, 1, 0, 5, 5, 2, 2, 1, 1, POOL2D_SAME) == -1, "no channels");
    EXPECT(pool2d_shape_init(&s, 0, 1, 5, 5, 2, 2, 2, 2, POOL2D_VALID) == 0,
           "B = 0 is a rank with no samples, not an error");
    EXPECT(pool2d_shape_init(&s, 1 << 16, 1 << 8, 1 << 4, 1 << 4, 2, 2, 2, 2, POOL2D_VALID)
           == -1, "2^32 input elements do not fit argmax's ints");
}

/* 3x3 input 1..9, 2x2 window, stride 1, 'same': one padded row and column,
 * both after the input. Counting the padding as zeros would give the
 * bottom-right corner 9 / 4 instead of 9. */
static void test_pool2d_avg_same_divides_by_real_cells_only(void)
{
    const float in[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    const float expected_2x2[9] = { 3, 4, 4.5f, 6, 7, 7.5f, 7.5f, 8.5f, 9 };
    /* 3x3 window, padding 1 each side: corners average 4 cells, edges 6. */
    const float expected_3x3[9] = { 3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7 };
    float out[9];
    pool2d_shape s;
    pool2d_shape_init(&s, 1, 1, 3, 3, 2, 2, 1, 1, POOL2D_SAME);
    pool2d_avg_forward(out, in, &s);
    for (int i = 0; i < 9; i++)
        EXPECT_NEAR(out[i], expected_2x2[i], 1e-6, 0);
    pool2d_shape_init(&s, 1, 1, 3, 3, 3, 3, 1, 1, POOL2D_SAME);
    pool2d_avg_forward(out, in, &s);
    for (int i = 0; i < 9; i++)
        EXPECT_NEAR(out[i], expected_3x3[i], 1e-6, 0);
}

/* The backward of the 2x2 case above with dout = 1: each cell receives
 * 1 / count from every window it is in (the bottom-right cell is in four
 * windows, of 4, 2, 2 and 1 real cells). */
static void test_pool2d_avg_backward_spreads_over_real_cells_only(void)
{
    const float dout[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
    const float q = 0.25f, h = 0.5f;
    const float expected[9] = { q, q + q, q + h,
                                q + q, 4 * q, 2 * q + 2 * h,
                                q + h, 2 * q + 2 * h, q + 2 * h + 1 };
    float din[9];
    for (int i = 0; i < 9; i++)
        din[i] = 1e3f;
    pool2d_shape s;
    pool2d_shape_init(&s, 1, 1, 3, 3, 2, 2, 1, 1, POOL2D_SAME);
    pool2d_avg_backward(din, dout, &s);
    for (int i = 0; i < 9; i++)
        EXPECT_NEAR(din[i], expected[i], 1e-6, 0);
}

/* All-negative input, 3x3 window, stride 2, 'same' (one padded row and
 * column each side): a zero pad would win every window. Two planes, so the
 * argmax of the second is offset by the first's 9 cells. */
static void test_pool2d_max_same_padding_never_wins(void)
{
    float in[18], out[8];
    int argmax[8];
    for (int i = 0; i < 18; i++)
        in[i] = -(float)(i % 9 + 1);
    pool2d_shape s;
    pool2d_shape_init(&s, 1, 2, 3, 3, 3, 3, 2, 2, POOL2D_SAME);
    EXPECT(s.out_h == 2 && s.out_w == 2 && s.pad_top == 1 && s.pad_left == 1,
           "shape %dx%d pad %d,%d", s.out_h, s.out_w, s.pad_top, s.pad_left);
    pool2d_max_forward(out, argmax, in, &s);
    const int expected_argmax[8] = { 0, 1, 3, 4, 9, 10, 12, 13 };
    for (int o = 0; o < 8; o++) {
        EXPECT(argmax[o] == expected_argmax[o], "argmax[%d] = %d, expected %d", o, argmax[o],
               expected_argmax[o]);
        EXPECT(out[o] == in[expected_argmax[o]], "out[%d] = %g", o, out[o]);
    }
}

static void test_pool2d_max_ties_pick_first_element_in_row_major_order(void)
{
    /* One 3x2 valid window per plane. */
    const float in[3][6] = {
        { 1, 1, 1, 1, 1, 1 },
        { 0, 0, 0, 2, 2, 0 },   /* (1, 1) before (2, 0) */
        { 0, 0, 0, 0, 3, 3 },
    };
    const int expected[3] = { 0, 6 + 3, 12 + 4 };
    float out[3];
    int argmax[3];
    pool2d_shape s;
    pool2d_shape_init(&s, 1, 3, 3, 2, 3, 2, 1, 1, POOL2D_VALID);
    pool2d_max_forward(out, argmax, &in[0][0], &s);
    for (int p = 0; p < 3; p++)
        EXPECT(argmax[p] == expected[p], "plane %d: argmax %d, expected %d", p, argmax[p],
               expected[p]);
}

/* 3x3 input whose centre is the largest, 2x2 window, stride 1, 'valid':
 * the centre wins all four windows and receives the sum of their
 * gradients; every other cell gets 0, whatever din held before. */
static void test_pool2d_max_backward_adds_where_windows_overlap(void)
{
    const float in[9] = { 1, 2, 3, 4, 9, 5, 6, 7, 8 };
    const float dout[4] = { 0.5f, 0.25f, 2.0f, -1.0f };
    float out[4], din[9];
    int argmax[4];
    pool2d_shape s;
    pool2d_shape_init(&s, 1, 1, 3, 3, 2, 2, 1, 1, POOL2D_VALID);
    pool2d_max_forward(out, argmax, in, &s);
    for (int i = 0; i < 9; i++)
        din[i] = 1e3f;
    pool2d_max_backward(din, dout, argmax, &s);
    for (int i = 0; i < 9; i++)
        EXPECT(din[i] == (i == 4 ? 1.75f : 0.0f), "din[%d] = %g", i, din[i]);
}

/* --------------------------------------------------- naive reference */

/* Every cell of every window visited, padded ones skipped by a bounds
 * test (the kernel clamps the window instead). */
static void naive_pool(float *out, float *din, const float *in, const float *dout,
                       const pool2d_shape *s, int is_max)
{
    const int in_plane = s->H * s->W, out_plane = s->out_h * s->out_w;
    memset(din, 0, sizeof(float) * (size_t)s->B * s->C * in_plane);
    for (int p = 0; p < s->B * s->C; p++)
        for (int oy = 0; oy < s->out_h; oy++)
            for (int ox = 0; ox < s->out_w; ox++) {
                int best = -1, count = 0;
                double sum = 0.0;
                for (int dy = 0; dy < s->kh; dy++)
                    for (int dx = 0; dx < s->kw; dx++) {
                        const int y = oy * s->sh - s->pad_top + dy;
                        const int x = ox * s->sw - s->pad_left + dx;
                        if (y < 0 || y >= s->H || x < 0 || x >= s->W)
                            continue;
                        const int i = p * in_plane + y * s->W + x;
                        if (best < 0 || in[i] > in[best])
                            best = i;
                        sum += in[i];
                        count++;
                    }
                const int o = p * out_plane + oy * s->out_w + ox;
                out[o] = is_max ? in[best] : (float)(sum / count);
                if (is_max) {
                    din[best] += dout[o];
                    continue;
                }
                for (int dy = 0; dy < s->kh; dy++)
                    for (int dx = 0; dx < s->kw; dx++) {
                        const int y = oy * s->sh - s->pad_top + dy;
                        const int x = ox * s->sw - s->pad_left + dx;
                        if (y >= 0 && y < s->H && x >= 0 && x < s->W)
                            din[p * in_plane + y * s->W + x] += dout[o] / (float)count;
                    }
            }
}

enum { MAX_IN = 2 * 3 * 11 * 10, SPARE = 32 };

/* Counts the values of kernel's outputs that differ from the naive loop's,
 * and any write past the end of out or din. */
static int compare_with_naive(const pool2d_shape *s, int is_max, const float *in,
                              const float *dout)
{
    static float out[MAX_IN + SPARE], din[MAX_IN + SPARE], ref_out[MAX_IN], ref_din[MAX_IN];
    static int argmax[MAX_IN];
    const int n_in = s->B * s->C * s->H * s->W, n_out = s->B * s->C * s->out_h * s->out_w;
    for (int i = 0; i < MAX_IN + SPARE; i++)
        out[i] = din[i] = -7.0f;
    naive_pool(ref_out, ref_din, in, dout, s, is_max);
    if (is_max) {
        pool2d_max_forward(out, argmax, in, s);
        pool2d_max_backward(din, dout, argmax, s);
    } else {
        pool2d_avg_forward(out, in, s);
        pool2d_avg_backward(din, dout, s);
    }
    int wrong = 0;
    for (int i = 0; i < n_out; i++)
        wrong += fabsf(out[i] - ref_out[i]) > 1e-6f;
    for (int i = 0; i < n_in; i++)
        wrong += fabsf(din[i] - ref_din[i]) > 1e-5f;
    for (int i = n_out; i < n_out + SPARE; i++)
        wrong += out[i] != -7.0f;
    for (int i = n_in; i < n_in + SPARE; i++)
        wrong += din[i] != -7.0f;
    return wrong;
}

static void test_pool2d_matches_naive_loop_over_windows_strides_and_odd_sizes(void)
{
    static float in[MAX_IN], dout[MAX_IN];
    gradcheck_fill(in, MAX_IN, -1.0f, 1.0f, 41);
    gradcheck_fill(dout, MAX_IN, -1.0f, 1.0f, 42);
    int shapes = 0;
    for (int H = 1; H <= 11; H += 2)
        for (int k = 1; k <= 4; k++)
            for (int stride = 1; stride <= 3; stride++)
                for (int padding = 0; padding < 2; padding++)
                    for (int is_max = 0; is_max < 2; is_max++) {
                        /* W = H - 1 (or 2) and a window one wider: rows and
                         * columns with different rules. */
                        pool2d_shape s;
                        const int W = H > 2 ? H - 1 : 2;
                        if (pool2d_shape_init(&s, 2, 3, H, W, k, k + 1, stride,
                                              stride == 3 ? 1 : stride + 1,
                                              padding ? POOL2D_SAME : POOL2D_VALID) != 0)
                            continue;
                        shapes++;
                        const int wrong = compare_with_naive(&s, is_max, in, dout);
                        EXPECT(wrong == 0, "%s %dx%d window %dx%d stride %dx%d %s: %d wrong",
                               is_max ? "max" : "avg", H, W, s.kh, s.kw, s.sh, s.sw,
                               padding ? "same" : "valid", wrong);
                    }
    EXPECT(shapes > 200, "only %d shapes compared", shapes);
}

/* Inference keeps no argmax: the same maxima, ties and NaN included. */
static void test_pool2d_max_without_argmax_gives_the_same_maxima(void)
{
    enum { N_IN = 2 * 3 * 8 * 7, N_OUT = 2 * 3 * 4 * 4 };
    float in[N_IN], with[N_OUT], without[N_OUT];
    int argmax[N_OUT];
    gradcheck_fill(in, N_IN, -1.0f, 1.0f, 43);
    for (int i = 0; i + 1 < N_IN; i += 5)
        in[i] = in[i + 1];
    in[3] = NAN;
    pool2d_shape s;
    pool2d_shape_init(&s, 2, 3, 8, 7, 3, 3, 2, 2, POOL2D_SAME);
    pool2d_max_forward(with, argmax, in, &s);
    pool2d_max_forward(without, NULL, in, &s);
    EXPECT(memcmp(with, without, sizeof with) == 0, "maxima differ without argmax");
}

/* ------------------------------------------------------------- torch */

static const fixture_tensor *need(const char *name, const char *part)
{
    char full[96];
    snprintf(full, sizeof full, "pool/%s/%s", name, part);
    const fixture_tensor *t = fixture ? fixture_find(fixture, full) : NULL;
    EXPECT(t != NULL, "%s: no tensor %s", FIXTURE, full);
    return t;
}

static int count_far(const float *got, const float *want, long n, double atol, double rtol)
{
    int far = 0;
    for (long i = 0; i < n; i++)
        far += !(fabs((double)got[i] - want[i]) <= atol + rtol * fabs(want[i]));
    return far;
}

/* One fixture case: out and din, for the input and upstream gradient that
 * torch was given. Max outputs are the inputs' own values (exact); sums
 * round in float32 (1e-6). */
static void check_against_torch(const char *name)
{
    const fixture_tensor *window = need(name, "window"), *in = need(name, "in"),
                         *out = need(name, "out"), *dout = need(name, "dout"),
                         *din = need(name, "din");
    if (!window || !in || !out || !dout || !din)
        return;
    const float *w = window->data;
    const int is_max = strncmp(name, "max", 3) == 0;
    pool2d_shape s;
    const int rc = pool2d_shape_init(&s, in->dims[0], in->dims[1], in->dims[2], in->dims[3],
                                     (int)w[0], (int)w[1], (int)w[2], (int)w[3],
                                     w[4] != 0.0f ? POOL2D_SAME : POOL2D_VALID);
    EXPECT(rc == 0 && s.out_h == out->dims[2] && s.out_w == out->dims[3],
           "%s: shape %dx%d, torch %dx%d", name, s.out_h, s.out_w, out->dims[2], out->dims[3]);
    if (rc != 0 || s.out_h != out->dims[2] || s.out_w != out->dims[3])
        return;
    float *got = malloc(sizeof(float) * out->size), *dgot = malloc(sizeof(float) * in->size);
    int *argmax = malloc(sizeof(int) * out->size);
    if (is_max) {
        pool2d_max_forward(got, argmax, in->data, &s);
        pool2d_max_backward(dgot, dout->data, argmax, &s);
    } else {
        pool2d_avg_forward(got, in->data, &s);
        pool2d_avg_backward(dgot, dout->data, &s);
    }
    const int far_out = count_far(got, out->data, out->size, is_max ? 0.0 : 1e-6, 1e-6);
    const int far_din = count_far(dgot, din->data, in->size, 1e-6, 1e-5);
    EXPECT(far_out == 0, "%s: %d of %ld outputs differ from torch", name, far_out, out->size);
    EXPECT(far_din == 0, "%s: %d of %ld din values differ from torch", name, far_din, in->size);
    free(got);
    free(dgot);
    free(argmax);
}

static void test_pool2d_matches_torch_with_tensorflow_padding(void)
{
    static const char *const cases[] = {
        "avg_same_k3s1", "avg_same_k3s2", "avg_same_k2s1", "avg_same_k3x2s3",
        "avg_valid_k3s2", "max_valid_k3s2", "max_same_k3s2", "max_same_k2s1",
    };
    EXPECT(fixture != NULL, "cannot load %s", FIXTURE);
    for (size_t i = 0; fixture && i < sizeof cases / sizeof cases[0]; i++)
        check_against_torch(cases[i]);
}

/* -------------------------------------------------- finite differences */

enum { GC_IN = 2 * 2 * 8 * 7, GC_OUT = 2 * 2 * 8 * 7 };

typedef struct {
    pool2d_shape s;
    int is_max;
    float in[GC_IN], out[GC_OUT], g[GC_OUT];
    int argmax[GC_OUT];
} pool_case;

static double pool_loss(void *ctx)
{
    pool_case *c = ctx;
    if (c->is_max)
        pool2d_max_forward(c->out, c->argmax, c->in, &c->s);
    else
        pool2d_avg_forward(c->out, c->in, &c->s);
    return gradcheck_dot(c->out, c->g, (size_t)c->s.B * c->s.C * c->s.out_h * c->s.out_w);
}

static void check_gradient(const char *label, pool_case *c)
{
    const size_t n_in = (size_t)c->s.B * c->s.C * c->s.H * c->s.W;
    float din[GC_IN];
    for (size_t i = 0; i < n_in; i++)
        din[i] = 1e3f;  /* garbage the backward must overwrite */
    gradcheck_fill(c->g, GC_OUT, -1.0f, 1.0f, 44);
    pool_loss(c);
    if (c->is_max)
        pool2d_max_backward(din, c->g, c->argmax, &c->s);
    else
        pool2d_avg_backward(din, c->g, &c->s);
    EXPECT_GRADIENT(label, c->in, din, n_in, 1e-2f, 1e-3, 1e-3, pool_loss, c);
}

/* Values 0.1 apart and h = 1e-2: a perturbation never changes which cell
 * wins, so f is locally linear. 3x3 windows at stride 2 overlap: a cell
 * that wins two windows must get both gradients. */
static void test_pool2d_max_gradient_matches_finite_differences(void)
{
    static pool_case c;
    c.is_max = 1;
    pool2d_shape_init(&c.s, 2, 2, 8, 7, 3, 3, 2, 2, POOL2D_SAME);
    for (int i = 0; i < GC_IN; i++)
        c.in[i] = 0.1f * (float)((i * 97) % GC_IN) - 0.05f * GC_IN;
    check_gradient("max 3x3 stride 2 same", &c);
}

/* Uneven padding (none above, one row below) and a non-square window. */
static void test_pool2d_avg_gradient_matches_finite_differences(void)
{
    static pool_case c;
    c.is_max = 0;
    gradcheck_fill(c.in, GC_IN, -1.0f, 1.0f, 45);
    pool2d_shape_init(&c.s, 2, 2, 8, 7, 3, 3, 2, 2, POOL2D_SAME);
    check_gradient("avg 3x3 stride 2 same", &c);
    pool2d_shape_init(&c.s, 2, 2, 8, 7, 2, 3, 1, 3, POOL2D_SAME);
    check_gradient("avg 2x3 stride 1x3 same", &c);
    pool2d_shape_init(&c.s, 2, 2, 8, 7, 3, 2, 3, 2, POOL2D_VALID);
    check_gradient("avg 3x2 stride 3x2 valid", &c);
}

int main(void)
{
    fixture = fixture_load(FIXTURE);
    RUN_TEST(test_pool2d_shape_follows_tensorflow_same_and_valid_rules);
    RUN_TEST(test_pool2d_shape_rejects_empty_output_and_bad_sizes);
    RUN_TEST(test_pool2d_avg_same_divides_by_real_cells_only);
    RUN_TEST(test_pool2d_avg_backward_spreads_over_real_cells_only);
    RUN_TEST(test_pool2d_max_same_padding_never_wins);
    RUN_TEST(test_pool2d_max_ties_pick_first_element_in_row_major_order);
    RUN_TEST(test_pool2d_max_backward_adds_where_windows_overlap);
    RUN_TEST(test_pool2d_matches_naive_loop_over_windows_strides_and_odd_sizes);
    RUN_TEST(test_pool2d_max_without_argmax_gives_the_same_maxima);
    RUN_TEST(test_pool2d_matches_torch_with_tensorflow_padding);
    RUN_TEST(test_pool2d_max_gradient_matches_finite_differences);
    RUN_TEST(test_pool2d_avg_gradient_matches_finite_differences);
    fixture_free(fixture);
    return testing_finish("test_pool2d");
}
