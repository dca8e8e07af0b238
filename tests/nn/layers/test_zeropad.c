/* test_zeropad: Keras ZeroPadding2D with four different sides (a swapped
 * top/bottom or left/right shows), zeros everywhere but the input's place,
 * and a backward that crops dout to that place, overwriting din. */
#include "gradcheck.h"
#include "nn/layers/zeropad.h"
#include "testing.h"

/* One 2x2 plane padded (top 1, bottom 2, left 0, right 3) to 5x5. */
static void test_zeropad_places_input_after_top_and_left_sides(void)
{
    const float in[4] = { 1, 2, 3, 4 };
    const float expected[25] = {
        0, 0, 0, 0, 0,
        1, 2, 0, 0, 0,
        3, 4, 0, 0, 0,
        0, 0, 0, 0, 0,
        0, 0, 0, 0, 0,
    };
    float out[25 + 4];
    for (int i = 0; i < 29; i++)
        out[i] = -7.0f;
    zeropad_forward(out, in, 1, 1, 2, 2, (zeropad_sides){ 1, 2, 0, 3 });
    for (int i = 0; i < 25; i++)
        EXPECT(out[i] == expected[i], "out[%d] = %g, expected %g", i, out[i], expected[i]);
    for (int i = 25; i < 29; i++)
        EXPECT(out[i] == -7.0f, "out[%d] written past the end", i);
}

/* B = 2, C = 2: each plane padded on its own; the padding of the previous
 * plane is zero however the output buffer started. */
static void test_zeropad_pads_every_plane(void)
{
    enum { P = 4, H = 2, W = 3, OH = 2 + 3, OW = 3 + 3 };
    float in[P * H * W], out[P * OH * OW];
    for (int i = 0; i < P * H * W; i++)
        in[i] = (float)(i + 1);
    for (int i = 0; i < P * OH * OW; i++)
        out[i] = 1e3f;
    const zeropad_sides pad = { 3, 0, 2, 1 };
    zeropad_forward(out, in, 2, 2, H, W, pad);
    int wrong = 0;
    for (int p = 0; p < P; p++)
        for (int y = 0; y < OH; y++)
            for (int x = 0; x < OW; x++) {
                const int iy = y - pad.top, ix = x - pad.left;
                const float want = iy >= 0 && iy < H && ix >= 0 && ix < W
                                   ? in[(p * H + iy) * W + ix] : 0.0f;
                wrong += out[(p * OH + y) * OW + x] != want;
            }
    EXPECT(wrong == 0, "%d of %d cells wrong", wrong, P * OH * OW);
}

static void test_zeropad_backward_crops_dout(void)
{
    /* 1 plane of 2x2, padded (0, 1, 2, 1) to 3x5. */
    const float dout[15] = { 1, 2, 3, 4, 5,
                             6, 7, 8, 9, 10,
                             11, 12, 13, 14, 15 };
    float din[4] = { 1e3f, 1e3f, 1e3f, 1e3f };
    zeropad_backward(din, dout, 1, 1, 2, 2, (zeropad_sides){ 0, 1, 2, 1 });
    const float expected[4] = { 3, 4, 8, 9 };
    for (int i = 0; i < 4; i++)
        EXPECT(din[i] == expected[i], "din[%d] = %g, expected %g", i, din[i], expected[i]);
}

enum { GB = 2, GC = 2, GH = 3, GW = 4, GOH = GH + 1 + 2, GOW = GW + 3 + 0 };

typedef struct {
    float in[GB * GC * GH * GW], out[GB * GC * GOH * GOW], g[GB * GC * GOH * GOW];
} zeropad_case;

static const zeropad_sides case_pad = { 1, 2, 3, 0 };

static double zeropad_loss(void *ctx)
{
    zeropad_case *c = ctx;
    zeropad_forward(c->out, c->in, GB, GC, GH, GW, case_pad);
    return gradcheck_dot(c->out, c->g, GB * GC * GOH * GOW);
}

static void test_zeropad_gradient_matches_finite_differences(void)
{
    enum { N_IN = GB * GC * GH * GW };
    zeropad_case c;
    gradcheck_fill(c.in, N_IN, -1.0f, 1.0f, 81);
    gradcheck_fill(c.g, GB * GC * GOH * GOW, -1.0f, 1.0f, 82);
    float din[N_IN];
    zeropad_backward(din, c.g, GB, GC, GH, GW, case_pad);
    EXPECT_GRADIENT("din", c.in, din, N_IN, 1e-2f, 1e-4, 1e-3, zeropad_loss, &c);
}

int main(void)
{
    RUN_TEST(test_zeropad_places_input_after_top_and_left_sides);
    RUN_TEST(test_zeropad_pads_every_plane);
    RUN_TEST(test_zeropad_backward_crops_dout);
    RUN_TEST(test_zeropad_gradient_matches_finite_differences);
    return testing_finish("test_zeropad");
}
