/* test_resize: bilinear resize with half-pixel centres (TF2's
 * tf.image.resize, antialias=False), up, down and to the same size, the
 * edge cells taken whole past the edges, and the grey channel copied to
 * every output channel of every sample -- by hand and against torch
 * (tests/fixtures/layers.bin, from tests/make_layer_fixtures.py). */
#include <string.h>

#include "fixture.h"
#include "gradcheck.h"
#include "nn/layers/resize.h"
#include "testing.h"

#define FIXTURE "tests/fixtures/layers.bin"

static fixture_file *fixture;

static void test_resize_to_the_same_size_is_the_identity(void)
{
    enum { B = 2, H = 28, W = 21, N = B * H * W };
    static float in[N], out[N];
    gradcheck_fill(in, N, 0.0f, 1.0f, 91);
    resize_forward(out, in, B, H, W, 1, H, W);
    EXPECT(memcmp(in, out, sizeof in) == 0, "28x21 -> 28x21 changed the image");
}

/* 2x2 -> 4x4: output cell d samples source (d + 0.5) / 2 - 0.5 = -0.25,
 * 0.25, 0.75, 1.25 on each axis, so the outer cells repeat the edge and
 * the inner ones weigh 3:1. (Corner alignment would give 0, 1/3, 2/3, 1.) */
static void test_resize_doubling_follows_half_pixel_centres(void)
{
    const float in[4] = { 0, 4, 8, 12 };
    const float expected[16] = {
        0, 1, 3, 4,
        2, 3, 5, 6,
        6, 7, 9, 10,
        8, 9, 11, 12,
    };
    float out[16];
    resize_forward(out, in, 1, 2, 2, 1, 4, 4);
    for (int i = 0; i < 16; i++)
        EXPECT_NEAR(out[i], expected[i], 1e-6, 0);
}

/* 4x4 -> 2x2: sources 0.5 and 2.5, halfway between pairs of cells: each
 * output is the mean of a 2x2 block (no antialiasing needed to get it). */
static void test_resize_halving_samples_between_cell_pairs(void)
{
    float in[16];
    for (int i = 0; i < 16; i++)
        in[i] = (float)i;
    const float expected[4] = { 2.5f, 4.5f, 10.5f, 12.5f };
    float out[4];
    resize_forward(out, in, 1, 4, 4, 1, 2, 2);
    for (int i = 0; i < 4; i++)
        EXPECT_NEAR(out[i], expected[i], 1e-6, 0);
}

/* B = 2, C = 3: sample 1's first channel starts after sample 0's three. */
static void test_resize_copies_grey_to_every_channel_of_every_sample(void)
{
    enum { B = 2, H = 5, W = 4, C = 3, OH = 7, OW = 6, PLANE = OH * OW };
    float in[B * H * W], grey[B * PLANE], out[B * C * PLANE + 8];
    gradcheck_fill(in, B * H * W, 0.0f, 1.0f, 92);
    for (int i = 0; i < B * C * PLANE + 8; i++)
        out[i] = -7.0f;
    resize_forward(grey, in, B, H, W, 1, OH, OW);
    resize_forward(out, in, B, H, W, C, OH, OW);
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            EXPECT(memcmp(out + (b * C + c) * PLANE, grey + b * PLANE, sizeof(float) * PLANE)
                   == 0, "sample %d channel %d is not the grey image", b, c);
    for (int i = B * C * PLANE; i < B * C * PLANE + 8; i++)
        EXPECT(out[i] == -7.0f, "out[%d] written past the end", i);
}

/* Values in [0, 1]; the weights are computed in double here and in
 * torch: only float32 rounding of the lerps remains (< 1e-6). */
static void check_against_torch(const char *name)
{
    char in_name[64], out_name[64];
    snprintf(in_name, sizeof in_name, "resize/%s/in", name);
    snprintf(out_name, sizeof out_name, "resize/%s/out", name);
    const fixture_tensor *in = fixture_find(fixture, in_name), *want = fixture_find(fixture, out_name);
    EXPECT(in && want, "%s: no %s or %s", FIXTURE, in_name, out_name);
    if (!in || !want)
        return;
    enum { C = 3 };
    const int B = in->dims[0], H = in->dims[2], W = in->dims[3];
    const int OH = want->dims[2], OW = want->dims[3];
    const size_t plane = (size_t)OH * OW;
    float *out = malloc(sizeof(float) * B * C * plane);
    resize_forward(out, in->data, B, H, W, C, OH, OW);
    int far = 0;
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            for (size_t i = 0; i < plane; i++)
                far += !(fabsf(out[(b * C + c) * plane + i] - want->data[b * plane + i]) <= 1e-6f);
    EXPECT(far == 0, "%s: %d of %zu values differ from torch by more than 1e-6", name, far,
           (size_t)B * C * plane);
    free(out);
}

static void test_resize_matches_torch_bilinear_up_and_down(void)
{
    static const char *const cases[] = { "28_to_32", "28_to_75", "28_to_20", "28x21_to_20x40" };
    EXPECT(fixture != NULL, "cannot load %s", FIXTURE);
    for (size_t i = 0; fixture && i < sizeof cases / sizeof cases[0]; i++)
        check_against_torch(cases[i]);
}

int main(void)
{
    fixture = fixture_load(FIXTURE);
    RUN_TEST(test_resize_to_the_same_size_is_the_identity);
    RUN_TEST(test_resize_doubling_follows_half_pixel_centres);
    RUN_TEST(test_resize_halving_samples_between_cell_pairs);
    RUN_TEST(test_resize_copies_grey_to_every_channel_of_every_sample);
    RUN_TEST(test_resize_matches_torch_bilinear_up_and_down);
    fixture_free(fixture);
    return testing_finish("test_resize");
}
