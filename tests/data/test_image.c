/* test_image: pictures made to look like Fashion-MNIST. PGM (P2, P5, 8 and
 * 16 bit) and PNG (written here with libpng's write API, in every colour
 * type) of a known pattern read back to exact 28x28 values; the conversion's
 * background, inversion, centring and 1x1 cases; IDX files, plain and gzip,
 * and the real test set against dataset_load; and one bad file per fault,
 * each refused with "PATH: fault" and the batch left as it was. Files go to
 * one scratch directory under /tmp, removed at the end. */
#include <errno.h>
#include <ftw.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data/data.h"
#include "data/image.h"
#include "testing.h"
#include "core/util.h"

#define REAL_DIR "/usr/share/datasets/fashion-mnist"
#define REAL_TEST_IMAGES REAL_DIR "/t10k-images-idx3-ubyte.gz"

/* The pattern: a SIDE x SIDE picture lit inside the square [lo, hi) on both
 * axes. Shrunk 2:1 to 28x28, output pixel i averages source pixels 2i and
 * 2i+1, so its expected value is exact: the lit value times the fraction of
 * each axis's pair inside the square. An even square gives only 0 and 1; an
 * odd one also gives 1/2 on its edges and 1/4 at its corners. */
#define SIDE 56
#define EVEN_LO 16
#define EVEN_HI 40
#define ODD_LO 17
#define ODD_HI 39

static char scratch[64];

/* ---- scratch files ---- */

static void scratch_new(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/test_image.XXXXXX");
    CHECK(mkdtemp(scratch), "mkdtemp: %s", strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void scratch_remove(void)
{
    CHECK(nftw(scratch, remove_entry, 8, FTW_DEPTH | FTW_PHYS) == 0,
          "cannot remove %s", scratch);
}

/* out = SCRATCH/name */
static void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", scratch, name);
}

static void write_bytes(const char *path, const void *bytes, size_t size)
{
    FILE *f = fopen(path, "wb");
    CHECK(f, "fopen %s", path);
    CHECK(fwrite(bytes, 1, size, f) == size, "fwrite %s", path);
    CHECK(fclose(f) == 0, "fclose %s", path);
}

static void write_text(const char *path, const char *text)
{
    write_bytes(path, text, strlen(text));
}

/* The whole file, malloc'd; *size its length. */
static uint8_t *read_bytes(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    CHECK(f, "fopen %s", path);
    CHECK(fseek(f, 0, SEEK_END) == 0, "fseek %s", path);
    long n = ftell(f);
    rewind(f);
    uint8_t *bytes = xcalloc((size_t)n, 1);
    CHECK(fread(bytes, 1, (size_t)n, f) == (size_t)n, "fread %s", path);
    fclose(f);
    *size = (size_t)n;
    return bytes;
}

static int in_square(int x, int y, int lo, int hi)
{
    return x >= lo && x < hi && y >= lo && y < hi;
}

/* ---- PGM and PNG writers ---- */

/* A SIDE x SIDE PGM: `lit` inside the square, `dark` outside. P5 takes one
 * byte per sample when maxval < 256, else two big-endian; P2 gets comments
 * in the header, where the format allows them. */
static void write_square_pgm(const char *path, int binary, unsigned maxval,
                             unsigned lit, unsigned dark, int lo, int hi)
{
    FILE *f = fopen(path, "wb");
    CHECK(f, "fopen %s", path);
    if (binary)
        fprintf(f, "P5\n# binary\n%d %d\n%u\n", SIDE, SIDE, maxval);
    else
        fprintf(f, "P2 # ascii\n%d # width\n%d\n# maxval:\n%u\n", SIDE, SIDE, maxval);
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            unsigned v = in_square(x, y, lo, hi) ? lit : dark;
            if (!binary)
                fprintf(f, "%u%c", v, x == SIDE - 1 ? '\n' : ' ');
            else if (maxval < 256)
                fputc((int)v, f);
            else {
                fputc((int)(v >> 8), f);
                fputc((int)(v & 0xff), f);
            }
        }
    CHECK(fclose(f) == 0, "fclose %s", path);
}

typedef struct {
    int color_type, bit_depth, interlaced;
    const png_color *palette;
    int n_palette;
} png_spec;

static int png_channels(int color_type)
{
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1;  /* grey, palette */
    }
}

/* n samples of `depth` bits into PNG's packing: several per byte below 8
 * bits (first in the high bits), two bytes big-endian at 16. */
static void pack_row(png_bytep row, size_t row_bytes, const unsigned *s, int n,
                     int depth)
{
    memset(row, 0, row_bytes);
    for (int i = 0; i < n; i++) {
        if (depth == 16) {
            row[2 * i] = (png_byte)(s[i] >> 8);
            row[2 * i + 1] = (png_byte)(s[i] & 0xff);
        } else {
            int per_byte = 8 / depth;
            row[i / per_byte] |= (png_byte)(s[i] << (8 - depth * (i % per_byte + 1)));
        }
    }
}

/* Writing here cannot fail but for a bug or a full /tmp; either ends the
 * test program, so no setjmp is needed. */
static void png_write_fault(png_structp png, png_const_charp msg)
{
    (void)png;
    FATAL("libpng could not write a test file: %s", msg);
}

/* samples: width x height x channels values of spec.bit_depth bits. */
static void write_png(const char *path, int width, int height, png_spec spec,
                      const unsigned *samples)
{
    int channels = png_channels(spec.color_type);
    size_t row_bytes = ((size_t)width * channels * spec.bit_depth + 7) / 8;
    png_bytep row = xcalloc(row_bytes, 1);
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
                                              png_write_fault, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    CHECK(f && info, "cannot start writing %s", path);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, spec.bit_depth,
                 spec.color_type,
                 spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (spec.palette)
        png_set_PLTE(png, info, spec.palette, spec.n_palette);
    png_write_info(png, info);
    /* Interlaced, libpng takes every full row once per pass. */
    int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < height; y++) {
            pack_row(row, row_bytes, samples + (size_t)y * width * channels,
                     width * channels, spec.bit_depth);
            png_write_row(png, row);
        }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    CHECK(fclose(f) == 0, "fclose %s", path);
}

/* SIDE x SIDE samples: the channels of `inside` within the square, of
 * `outside` elsewhere. */
static unsigned *square_samples(int channels, const unsigned *inside,
                                const unsigned *outside, int lo, int hi)
{
    unsigned *s = xcalloc((size_t)SIDE * SIDE * channels, sizeof *s);
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++)
            memcpy(s + ((size_t)y * SIDE + x) * channels,
                   in_square(x, y, lo, hi) ? inside : outside,
                   (size_t)channels * sizeof *s);
    return s;
}

static void write_square_png(const char *path, png_spec spec, const unsigned *inside,
                             const unsigned *outside, int lo, int hi)
{
    unsigned *s = square_samples(png_channels(spec.color_type), inside, outside, lo, hi);
    write_png(path, SIDE, SIDE, spec, s);
    free(s);
}

/* ---- checks ---- */

/* The fraction of source pixels 2i and 2i+1 inside [lo, hi). */
static double pair_inside(int i, int lo, int hi)
{
    return ((2 * i >= lo && 2 * i < hi) + (2 * i + 1 >= lo && 2 * i + 1 < hi)) / 2.0;
}

/* Pixels of img differing from the shrunk square (`lit` on 0) by more than
 * tol; the first is printed. */
static int square_mismatches(const float *img, int lo, int hi, double lit, double tol)
{
    int bad = 0;
    for (int y = 0; y < IMAGE_SIDE; y++)
        for (int x = 0; x < IMAGE_SIDE; x++) {
            double want = lit * pair_inside(x, lo, hi) * pair_inside(y, lo, hi);
            float got = img[y * IMAGE_SIDE + x];
            if (fabs(got - want) > tol && bad++ == 0)
                fprintf(stderr, "  pixel (%d, %d) = %.9g, expected %.9g\n", x, y,
                        got, want);
        }
    return bad;
}

/* err is "PATH: ..." for exactly this path, mentions the fault, one line. */
static int names_fault(const char *err, const char *path, const char *fault)
{
    size_t n = strlen(path);
    return strncmp(err, path, n) == 0 && strncmp(err + n, ": ", 2) == 0 &&
           strstr(err + n, fault) != NULL && strchr(err, '\n') == NULL;
}

/* Reads one file expected to give exactly one image into a fresh batch,
 * checks its label, and compares it with the square. */
static void expect_square(const char *path, int lo, int hi, double lit, double tol)
{
    image_batch b = {0};
    char err[512] = "";
    int rc = image_batch_add_file(&b, path, err, sizeof err);
    EXPECT(rc == 0 && b.count == 1, "%s: rc %d, count %d, %s", path, rc, b.count, err);
    if (rc == 0 && b.count == 1) {
        EXPECT(strcmp(b.labels[0], path) == 0, "label %s", b.labels[0]);
        EXPECT(square_mismatches(b.pixels, lo, hi, lit, tol) == 0,
               "%s matches the square [%d, %d) lit %g", path, lo, hi, lit);
    }
    image_batch_free(&b);
}

/* A batch holding one good picture, then the bad file: refused with a
 * message naming path and fault, the batch exactly as it was. */
static void expect_refused(const char *path, const char *fault)
{
    char good[512], err[512] = "";
    path_in(good, sizeof good, "good.pgm");
    write_square_pgm(good, 1, 255, 255, 0, EVEN_LO, EVEN_HI);
    image_batch b = {0};
    CHECK(image_batch_add_file(&b, good, err, sizeof err) == 0, "%s", err);
    float before[IMAGE_PIXELS];
    memcpy(before, b.pixels, sizeof before);
    float *pixels = b.pixels;
    char **labels = b.labels;
    err[0] = '\0';
    int rc = image_batch_add_file(&b, path, err, sizeof err);
    EXPECT(rc == -1, "%s: rc %d", path, rc);
    EXPECT(names_fault(err, path, fault), "expected \"%s: ...%s...\", err = %s", path,
           fault, err);
    EXPECT(b.count == 1 && b.pixels == pixels && b.labels == labels &&
           memcmp(b.pixels, before, sizeof before) == 0 &&
           strcmp(b.labels[0], good) == 0, "batch unchanged, count %d", b.count);
    image_batch_free(&b);
}

/* ---- PGM ---- */

static void test_pgm_p5_square_shrinks_by_exact_2x2_averages(void)
{
    char path[512];
    path_in(path, sizeof path, "even.pgm");
    write_square_pgm(path, 1, 255, 255, 0, EVEN_LO, EVEN_HI);
    expect_square(path, EVEN_LO, EVEN_HI, 1.0, 0.0);
    path_in(path, sizeof path, "odd.pgm");
    write_square_pgm(path, 1, 255, 255, 0, ODD_LO, ODD_HI);
    expect_square(path, ODD_LO, ODD_HI, 1.0, 0.0);
}

static void test_pgm_p2_with_comments_reads_like_p5(void)
{
    char p2[512], p5[512], err[512] = "";
    path_in(p2, sizeof p2, "ascii.pgm");
    path_in(p5, sizeof p5, "binary.pgm");
    write_square_pgm(p2, 0, 255, 200, 0, ODD_LO, ODD_HI);
    write_square_pgm(p5, 1, 255, 200, 0, ODD_LO, ODD_HI);
    expect_square(p2, ODD_LO, ODD_HI, 200 / 255.0, 1e-6);
    image_batch b = {0};
    EXPECT(image_batch_add_file(&b, p2, err, sizeof err) == 0 &&
           image_batch_add_file(&b, p5, err, sizeof err) == 0, "%s", err);
    EXPECT(b.count == 2 && memcmp(b.pixels, b.pixels + IMAGE_PIXELS,
                                  IMAGE_PIXELS * sizeof *b.pixels) == 0,
           "P2 and P5 of one picture give identical images");
    image_batch_free(&b);
}

static void test_pgm_16_bit_samples_are_big_endian(void)
{
    char path[512];
    path_in(path, sizeof path, "deep.pgm");
    /* 500 = 0x01F4; read little-endian it would be 62465, above maxval. */
    write_square_pgm(path, 1, 1000, 500, 0, EVEN_LO, EVEN_HI);
    expect_square(path, EVEN_LO, EVEN_HI, 0.5, 0.0);
    path_in(path, sizeof path, "deep_ascii.pgm");
    write_square_pgm(path, 0, 65535, 65535, 0, ODD_LO, ODD_HI);
    expect_square(path, ODD_LO, ODD_HI, 1.0, 0.0);
}

/* ---- PNG ---- */

static void test_png_grey_8_1_and_16_bit_read_to_the_square(void)
{
    char path[512];
    path_in(path, sizeof path, "grey8.png");
    write_square_png(path, (png_spec){PNG_COLOR_TYPE_GRAY, 8, 0, NULL, 0},
                     (unsigned[]){255}, (unsigned[]){0}, ODD_LO, ODD_HI);
    expect_square(path, ODD_LO, ODD_HI, 1.0, 0.0);
    path_in(path, sizeof path, "grey1.png");
    write_square_png(path, (png_spec){PNG_COLOR_TYPE_GRAY, 1, 0, NULL, 0},
                     (unsigned[]){1}, (unsigned[]){0}, ODD_LO, ODD_HI);
    expect_square(path, ODD_LO, ODD_HI, 1.0, 0.0);
    /* 0x8080 is 128 in 8 bits whether libpng drops or rounds the low byte. */
    path_in(path, sizeof path, "grey16.png");
    write_square_png(path, (png_spec){PNG_COLOR_TYPE_GRAY, 16, 0, NULL, 0},
                     (unsigned[]){0x8080}, (unsigned[]){0}, EVEN_LO, EVEN_HI);
    expect_square(path, EVEN_LO, EVEN_HI, 128 / 255.0, 1e-7);
}

static void test_png_rgb_becomes_luma_also_interlaced(void)
{
    char path[512];
    /* Pure red has luma 0.299; green 0.587. */
    path_in(path, sizeof path, "red.png");
    write_square_png(path, (png_spec){PNG_COLOR_TYPE_RGB, 8, 0, NULL, 0},
                     (unsigned[]){255, 0, 0}, (unsigned[]){0, 0, 0}, ODD_LO, ODD_HI);
    expect_square(path, ODD_LO, ODD_HI, 0.299, 1e-6);
    path_in(path, sizeof path, "green_adam7.png");
    write_square_png(path, (png_spec){PNG_COLOR_TYPE_RGB, 8, 1, NULL, 0},
                     (unsigned[]){0, 255, 0}, (unsigned[]){0, 0, 0}, ODD_LO, ODD_HI);
    expect_square(path, ODD_LO, ODD_HI, 0.587, 1e-6);
}

static void test_png_alpha_is_composited_on_white(void)
{
    char path[512];
    /* Transparent background (its colour ignored) is white, so the picture
     * is inverted; the square, black at alpha 102/255, is 1 - 102/255 grey
     * on white and comes out 102/255 on black. */
    path_in(path, sizeof path, "rgba.png");
    write_square_png(path, (png_spec){PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, NULL, 0},
                     (unsigned[]){0, 0, 0, 102}, (unsigned[]){40, 80, 120, 0},
                     ODD_LO, ODD_HI);
    expect_square(path, ODD_LO, ODD_HI, 102 / 255.0, 1e-6);
    path_in(path, sizeof path, "grey_alpha.png");
    write_square_png(path, (png_spec){PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, NULL, 0},
                     (unsigned[]){0, 255}, (unsigned[]){0, 0}, EVEN_LO, EVEN_HI);
    expect_square(path, EVEN_LO, EVEN_HI, 1.0, 1e-6);
}

static void test_png_palette_is_expanded(void)
{
    char path[512];
    const png_color palette[3] = {{0, 0, 0}, {255, 0, 0}, {255, 255, 255}};
    path_in(path, sizeof path, "palette2.png");
    write_square_png(path, (png_spec){PNG_COLOR_TYPE_PALETTE, 2, 0, palette, 3},
                     (unsigned[]){2}, (unsigned[]){0}, ODD_LO, ODD_HI);
    expect_square(path, ODD_LO, ODD_HI, 1.0, 0.0);
    path_in(path, sizeof path, "palette8.png");
    write_square_png(path, (png_spec){PNG_COLOR_TYPE_PALETTE, 8, 0, palette, 3},
                     (unsigned[]){1}, (unsigned[]){0}, EVEN_LO, EVEN_HI);
    expect_square(path, EVEN_LO, EVEN_HI, 0.299, 1e-6);
}

/* ---- the conversion ---- */

static void test_light_background_is_inverted_to_light_on_black(void)
{
    char path[512];
    path_in(path, sizeof path, "catalogue.pgm");
    write_square_pgm(path, 1, 255, 0, 255, ODD_LO, ODD_HI);  /* black on white */
    expect_square(path, ODD_LO, ODD_HI, 1.0, 0.0);
}

/* Border 0.3, inside 0.9: `pic` is width x height. */
static float *framed_picture(int width, int height)
{
    float *pic = xcalloc((size_t)width * height, sizeof *pic);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            pic[y * width + x] = x == 0 || y == 0 || x == width - 1 || y == height - 1
                                 ? 0.3f : 0.9f;
    return pic;
}

/* The box [left, left + box_w) x [top, top + box_h) keeps the picture's
 * mean (area averaging moves no light); everything else is background. */
static void expect_centred(const float *out, int left, int top, int box_w, int box_h,
                           double background, double mean)
{
    double sum = 0;
    int bad = 0;
    for (int y = 0; y < IMAGE_SIDE; y++)
        for (int x = 0; x < IMAGE_SIDE; x++) {
            float v = out[y * IMAGE_SIDE + x];
            if (x >= left && x < left + box_w && y >= top && y < top + box_h)
                sum += v;
            else
                bad += fabs(v - background) > 1e-6;
        }
    EXPECT(bad == 0, "%d padding pixels differ from the background %g", bad, background);
    EXPECT_NEAR(sum / (box_w * box_h), mean, 1e-5, 0);
    EXPECT_NEAR(out[(top + box_h / 2) * IMAGE_SIDE + left + box_w / 2], 0.9, 1e-6, 0);
}

static void test_non_square_picture_is_centred_on_its_background(void)
{
    char path[512], err[512] = "";
    /* 10 wide, 40 tall: scaled by 0.7 to 7x28, 10 columns of padding left
     * and 11 right. Through a P2 file. */
    path_in(path, sizeof path, "tall.pgm");
    FILE *f = fopen(path, "w");
    CHECK(f, "fopen %s", path);
    fprintf(f, "P2\n10 40\n10\n");
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 10; x++)
            fprintf(f, "%d\n", x == 0 || y == 0 || x == 9 || y == 39 ? 3 : 9);
    fclose(f);
    double mean = (0.3 * (2 * 10 + 2 * 38) + 0.9 * 8 * 38) / 400;
    image_batch b = {0};
    EXPECT(image_batch_add_file(&b, path, err, sizeof err) == 0, "%s", err);
    if (b.count == 1)
        expect_centred(b.pixels, 10, 0, 7, 28, 0.3, mean);
    image_batch_free(&b);
    /* 40 wide, 10 tall, in memory: padding above and below instead. */
    float *pic = framed_picture(40, 10), out[IMAGE_PIXELS];
    image_to_fashion_mnist(pic, 40, 10, out);
    expect_centred(out, 0, 10, 28, 7, 0.3, mean);
    free(pic);
}

static void test_one_pixel_picture_fills_the_square(void)
{
    char path[512], err[512] = "";
    path_in(path, sizeof path, "dot.pgm");
    write_text(path, "P2 1 1 255 51\n");
    image_batch b = {0};
    EXPECT(image_batch_add_file(&b, path, err, sizeof err) == 0, "%s", err);
    int bad = 0;
    for (int i = 0; i < IMAGE_PIXELS && b.count == 1; i++)
        bad += b.pixels[i] != 51 / 255.0f;
    EXPECT(b.count == 1 && bad == 0, "%d of 784 pixels differ from 51/255", bad);
    image_batch_free(&b);
    /* A light pixel is its own light border: inverted. */
    float light = 0.75f, out[IMAGE_PIXELS];
    image_to_fashion_mnist(&light, 1, 1, out);
    bad = 0;
    for (int i = 0; i < IMAGE_PIXELS; i++)
        bad += out[i] != 0.25f;
    EXPECT(bad == 0, "%d of 784 pixels differ from 0.25", bad);
}

/* ---- IDX ---- */

static uint8_t idx_pixel(int image, int pixel)
{
    return (uint8_t)(image * 101 + pixel * 7);
}

/* 3 images of 28x28; gzip through zlib when gz. */
static void write_idx(const char *path, int gz)
{
    uint8_t bytes[16 + 3 * IMAGE_PIXELS] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28};
    for (int i = 0; i < 3; i++)
        for (int p = 0; p < IMAGE_PIXELS; p++)
            bytes[16 + i * IMAGE_PIXELS + p] = idx_pixel(i, p);
    if (!gz) {
        write_bytes(path, bytes, sizeof bytes);
        return;
    }
    gzFile f = gzopen(path, "wb");
    CHECK(f, "gzopen %s", path);
    CHECK(gzwrite(f, bytes, sizeof bytes) == (int)sizeof bytes, "gzwrite %s", path);
    CHECK(gzclose(f) == Z_OK, "gzclose %s", path);
}

/* Images [from, from + 3) of b are the three of write_idx, labelled path[i]. */
static void expect_idx_images(const image_batch *b, int from, const char *path)
{
    for (int i = 0; i < 3; i++) {
        char label[600];
        snprintf(label, sizeof label, "%s[%d]", path, i);
        EXPECT(strcmp(b->labels[from + i], label) == 0, "label %s, expected %s",
               b->labels[from + i], label);
        int bad = 0;
        for (int p = 0; p < IMAGE_PIXELS; p++)
            bad += b->pixels[(size_t)(from + i) * IMAGE_PIXELS + p] !=
                   idx_pixel(i, p) / 255.0f;
        EXPECT(bad == 0, "%s image %d: %d pixels differ from byte / 255", path, i, bad);
    }
}

static void test_idx_files_append_every_image_unchanged_with_indexed_labels(void)
{
    char plain[512], gz[512], pgm[512], err[512] = "";
    path_in(plain, sizeof plain, "three.idx");
    path_in(gz, sizeof gz, "three.idx.gz");
    path_in(pgm, sizeof pgm, "after.pgm");
    write_idx(plain, 0);
    write_idx(gz, 1);
    write_square_pgm(pgm, 1, 255, 255, 0, EVEN_LO, EVEN_HI);
    image_batch b = {0};
    EXPECT(image_batch_add_file(&b, plain, err, sizeof err) == 0 && b.count == 3,
           "plain: count %d, %s", b.count, err);
    EXPECT(image_batch_add_file(&b, gz, err, sizeof err) == 0 && b.count == 6,
           "gzip: count %d, %s", b.count, err);
    EXPECT(image_batch_add_file(&b, pgm, err, sizeof err) == 0 && b.count == 7,
           "pgm: count %d, %s", b.count, err);
    if (b.count == 7) {
        expect_idx_images(&b, 0, plain);
        expect_idx_images(&b, 3, gz);
        EXPECT(strcmp(b.labels[6], pgm) == 0, "label %s", b.labels[6]);
        EXPECT(square_mismatches(b.pixels + 6 * IMAGE_PIXELS, EVEN_LO, EVEN_HI, 1, 0)
               == 0, "the picture after the IDX images");
    }
    image_batch_free(&b);
}

static void test_real_test_images_match_dataset_load(void)
{
    dataset d;
    char err[512] = "";
    int rc = dataset_load(&d, REAL_DIR, 0.0, 1, 5, err, sizeof err);
    EXPECT(rc == 0 && d.test.count == 5, "dataset_load: %s", err);
    image_batch b = {0};
    EXPECT(image_batch_add_file(&b, REAL_TEST_IMAGES, err, sizeof err) == 0,
           "%s", err);
    EXPECT(b.count == 10000, "count %d", b.count);
    if (rc == 0 && b.count == 10000) {
        EXPECT(memcmp(b.pixels, d.test.images, 5 * IMAGE_PIXELS * sizeof(float)) == 0,
               "the first 5 images equal dataset_load's, bit for bit");
        EXPECT(strcmp(b.labels[0], REAL_TEST_IMAGES "[0]") == 0 &&
               strcmp(b.labels[9999], REAL_TEST_IMAGES "[9999]") == 0,
               "labels %s ... %s", b.labels[0], b.labels[9999]);
    }
    image_batch_free(&b);
    dataset_free(&d);
}

/* ---- bad files ---- */

static void test_missing_file_and_directory_are_refused(void)
{
    char path[512];
    path_in(path, sizeof path, "absent.png");
    expect_refused(path, "No such file");
    expect_refused(scratch, "not a regular file");
}

static void test_empty_and_text_files_are_refused(void)
{
    char path[512];
    path_in(path, sizeof path, "empty.pgm");
    write_text(path, "");
    expect_refused(path, "empty file");
    path_in(path, sizeof path, "notes.png");
    write_text(path, "a shirt, probably\n");
    expect_refused(path, "not an IDX, PGM or PNG file");
}

static void test_truncated_pgm_is_refused(void)
{
    char path[512];
    path_in(path, sizeof path, "cut.pgm");
    write_square_pgm(path, 1, 255, 255, 0, EVEN_LO, EVEN_HI);
    CHECK(truncate(path, 1000) == 0, "truncate");
    expect_refused(path, "truncated pixel data");
    path_in(path, sizeof path, "cut_ascii.pgm");
    write_text(path, "P2 3 2 255\n1 2 3\n4 5\n");
    expect_refused(path, "truncated pixel data (5 of 6 values)");
    write_text(path, "P2 3 2\n");
    expect_refused(path, "truncated or malformed PGM header");
}

static void test_pgm_with_zero_or_absurd_size_is_refused(void)
{
    char path[512];
    path_in(path, sizeof path, "size.pgm");
    write_text(path, "P5\n0 10\n255\n");
    expect_refused(path, "zero width");
    write_text(path, "P2\n10 0\n255\n");
    expect_refused(path, "zero height");
    write_text(path, "P5\n30000 10\n255\n");
    expect_refused(path, "30000x10 pixels is too large");
    write_text(path, "P5\n10 99999999999999\n255\n");
    expect_refused(path, "too large");
}

static void test_pgm_with_bad_samples_is_refused(void)
{
    char path[512];
    path_in(path, sizeof path, "samples.pgm");
    write_text(path, "P2 2 1 0\n0 0\n");
    expect_refused(path, "maxval 0 is not in 1..65535");
    write_text(path, "P2 2 1 70000\n0 0\n");
    expect_refused(path, "maxval 70000");
    write_text(path, "P2 2 1 100\n50 101\n");
    expect_refused(path, "pixel value 101 above maxval 100");
    write_text(path, "P2 2 1 100\n50 x\n");
    expect_refused(path, "malformed pixel data");
}

/* Noise, so the compressed pixels fill most of the file and its middle
 * lies inside the IDAT chunk. */
static void write_noise_png(const char *path, int width, int height)
{
    unsigned *s = xcalloc((size_t)width * height, sizeof *s);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < (size_t)width * height; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;  /* xorshift32 */
        s[i] = x >> 24;
    }
    write_png(path, width, height, (png_spec){PNG_COLOR_TYPE_GRAY, 8, 0, NULL, 0}, s);
    free(s);
}

static void test_corrupt_or_truncated_png_is_refused(void)
{
    char path[512];
    path_in(path, sizeof path, "noise.png");
    write_noise_png(path, SIDE, SIDE);
    size_t size;
    uint8_t *bytes = read_bytes(path, &size);
    CHECK(size > 1000, "%s is only %zu bytes", path, size);
    for (size_t i = size / 2; i < size / 2 + 4; i++)
        bytes[i] ^= 0x5a;
    write_bytes(path, bytes, size);
    /* zlib's own check (or the chunk's CRC) trips first, inside IDAT. */
    expect_refused(path, "corrupt PNG: IDAT");
    for (size_t i = size / 2; i < size / 2 + 4; i++)
        bytes[i] ^= 0x5a;  /* restored, then cut in half */
    write_bytes(path, bytes, size / 2);
    expect_refused(path, "corrupt PNG: truncated");
    free(bytes);
}

static void test_png_too_wide_is_refused(void)
{
    char path[512];
    path_in(path, sizeof path, "wide.png");
    write_noise_png(path, 20001, 1);
    expect_refused(path, "20001x1 pixels is too large (at most 20000 per side)");
}

static void test_idx_labels_file_is_refused_with_its_magic(void)
{
    char path[512];
    path_in(path, sizeof path, "labels.idx");
    uint8_t labels[8 + 20] = {0, 0, 8, 1, 0, 0, 0, 20};
    write_bytes(path, labels, sizeof labels);
    expect_refused(path, "bad magic 0x00000801");
}

static void test_image_batch_free_leaves_an_empty_batch(void)
{
    image_batch b = {0};
    image_batch_free(&b);
    image_batch_free(NULL);
    char path[512], err[512] = "";
    path_in(path, sizeof path, "free.pgm");
    write_text(path, "P2 1 1 1 1\n");
    EXPECT(image_batch_add_file(&b, path, err, sizeof err) == 0, "%s", err);
    image_batch_free(&b);
    EXPECT(b.count == 0 && b.pixels == NULL && b.labels == NULL, "zeroed");
    image_batch_free(&b);
}

int main(void)
{
    scratch_new();
    RUN_TEST(test_pgm_p5_square_shrinks_by_exact_2x2_averages);
    RUN_TEST(test_pgm_p2_with_comments_reads_like_p5);
    RUN_TEST(test_pgm_16_bit_samples_are_big_endian);
    RUN_TEST(test_png_grey_8_1_and_16_bit_read_to_the_square);
    RUN_TEST(test_png_rgb_becomes_luma_also_interlaced);
    RUN_TEST(test_png_alpha_is_composited_on_white);
    RUN_TEST(test_png_palette_is_expanded);
    RUN_TEST(test_light_background_is_inverted_to_light_on_black);
    RUN_TEST(test_non_square_picture_is_centred_on_its_background);
    RUN_TEST(test_one_pixel_picture_fills_the_square);
    RUN_TEST(test_idx_files_append_every_image_unchanged_with_indexed_labels);
    RUN_TEST(test_real_test_images_match_dataset_load);
    RUN_TEST(test_missing_file_and_directory_are_refused);
    RUN_TEST(test_empty_and_text_files_are_refused);
    RUN_TEST(test_truncated_pgm_is_refused);
    RUN_TEST(test_pgm_with_zero_or_absurd_size_is_refused);
    RUN_TEST(test_pgm_with_bad_samples_is_refused);
    RUN_TEST(test_corrupt_or_truncated_png_is_refused);
    RUN_TEST(test_png_too_wide_is_refused);
    RUN_TEST(test_idx_labels_file_is_refused_with_its_magic);
    RUN_TEST(test_image_batch_free_leaves_an_empty_batch);
    scratch_remove();
    return testing_finish("test_image");
}
