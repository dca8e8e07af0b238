/* image: pictures from disk made to look like Fashion-MNIST, for `sweep
 * predict`. A file's format is told by its first bytes. PGM and PNG decode
 * to one grey picture in [0,1] (0 black) that image_to_fashion_mnist fits
 * into 28x28; IDX files already hold Fashion-MNIST images and are only
 * scaled by 1/255, exactly as data.c scales the sets the model trained on.
 * A file is decoded completely before anything is appended, so a fault
 * (one line, "PATH: fault") leaves the batch as it was. */
#include "data/image.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* A side beyond this is far more likely a corrupt header than a photo, and
 * would take gigabytes to decode. */
#define MAX_SIDE 20000

typedef struct {
    int width, height;
    float *grey;   /* width x height, row-major, [0,1], 0 black; the caller
                    * frees it, also after a failed read that allocated it */
} picture;


static int check_size(const char *path, unsigned long width, unsigned long height,
                      char *err, int err_size)
{
    if (width == 0 || height == 0)
        return set_error(err, err_size, "%s: zero %s", path, width == 0 ? "width" : "height");
    if (width > MAX_SIDE || height > MAX_SIDE)
        return set_error(err, err_size, "%s: %lux%lu pixels is too large (at most %d "
                    "per side)", path, width, height, MAX_SIDE);
    return 0;
}

/* ---- the conversion ---- */

/* The mean of the pixels on the picture's edge: a photo's backdrop. */
static float border_mean(const float *grey, int width, int height)
{
    double sum = 0;
    long n = 0;
    for (int y = 0; y < height; y++) {
        /* Inner rows contribute their first and last pixel only. */
        int step = y == 0 || y == height - 1 || width == 1 ? 1 : width - 1;
        for (int x = 0; x < width; x += step, n++)
            sum += grey[(size_t)y * width + x];
    }
    return (float)(sum / n);
}

/* Averages n samples of src (src_stride apart) into m samples of dst:
 * output i covers source [i n/m, (i+1) n/m), each source pixel weighted by
 * how much of it lies inside. Shrinking averages (a 2:1 shrink is an exact
 * mean of pairs); enlarging repeats. */
static void area_average(const float *src, int n, int src_stride,
                         float *dst, int m, int dst_stride)
{
    for (int i = 0; i < m; i++) {
        double lo = (double)i * n / m, hi = (double)(i + 1) * n / m, sum = 0;
        for (int x = (int)lo; x < n && x < hi; x++)
            sum += (fmin(hi, x + 1) - fmax(lo, x)) * src[(size_t)x * src_stride];
        dst[(size_t)i * dst_stride] = (float)(sum / (hi - lo));
    }
}

/* A side scaled so the longer one becomes 28, rounded, never 0. */
static int scaled_side(int side, int longer)
{
    long s = lround((double)side * IMAGE_SIDE / longer);
    return s < 1 ? 1 : (int)s;
}

void image_to_fashion_mnist(const float *grey, int width, int height, float *out)
{
    CHECK(width > 0 && height > 0, "image_to_fashion_mnist: %dx%d picture",
          width, height);
    int longer = width > height ? width : height;
    /* Each axis is scaled on its own, so the picture fills its rounded box
     * exactly; the aspect ratio is off by less than half a pixel. */
    int box_w = scaled_side(width, longer), box_h = scaled_side(height, longer);
    int left = (IMAGE_SIDE - box_w) / 2, top = (IMAGE_SIDE - box_h) / 2;
    float background = border_mean(grey, width, height);
    for (int i = 0; i < IMAGE_PIXELS; i++)
        out[i] = background;
    /* Rows first: the intermediate is height x box_w, small for any picture. */
    float *rows = xcalloc((size_t)height * box_w, sizeof *rows);
    for (int y = 0; y < height; y++)
        area_average(grey + (size_t)y * width, width, 1, rows + (size_t)y * box_w,
                     box_w, 1);
    for (int x = 0; x < box_w; x++)
        area_average(rows + x, height, box_w, out + top * IMAGE_SIDE + left + x,
                     box_h, IMAGE_SIDE);
    free(rows);
    /* Fashion-MNIST shows light garments on black; a catalogue photo shows
     * them on white, and the model has never seen that. */
    int invert = background > 0.5f;
    for (int i = 0; i < IMAGE_PIXELS; i++) {
        float v = invert ? 1.0f - out[i] : out[i];
        out[i] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;  /* rounding only */
    }
}

/* ---- PGM ---- */

/* The next decimal number after whitespace and # comments: 0, or -1 at end
 * of file, -2 at anything else. Eats the one whitespace character after it
 * (in P5, the one before the raster). Saturates near 1e9, a refused size. */
static int pgm_number(FILE *f, unsigned long *out)
{
    int c = getc(f);
    while (isspace(c) || c == '#') {
        if (c == '#')
            while (c != '\n' && c != EOF)
                c = getc(f);
        c = getc(f);
    }
    if (c == EOF)
        return -1;
    if (!isdigit(c))
        return -2;
    unsigned long v = 0;
    for (; isdigit(c); c = getc(f))
        if (v < 100000000)
            v = v * 10 + (unsigned long)(c - '0');
    if (c != EOF && !isspace(c))
        ungetc(c, f);
    *out = v;
    return 0;
}

/* One sample: P5 holds one byte when maxval < 256, else two, big-endian;
 * P2 holds decimal numbers. Returns as pgm_number does. */
static int pgm_sample(FILE *f, int binary, unsigned long maxval, unsigned long *v)
{
    if (!binary)
        return pgm_number(f, v);
    int high = maxval < 256 ? 0 : getc(f), low = getc(f);
    if (high == EOF || low == EOF)
        return -1;
    *v = (unsigned long)high << 8 | (unsigned long)low;
    return 0;
}

static int pgm_pixels(FILE *f, int binary, unsigned long maxval, const char *path,
                      picture *pic, char *err, int err_size)
{
    size_t n = (size_t)pic->width * pic->height;
    for (size_t i = 0; i < n; i++) {
        unsigned long v;
        int got = pgm_sample(f, binary, maxval, &v);
        if (got == -1)
            return set_error(err, err_size, "%s: truncated pixel data (%zu of %zu "
                        "values)", path, i, n);
        if (got == -2)
            return set_error(err, err_size, "%s: malformed pixel data (value %zu is "
                        "not a number)", path, i + 1);
        /* Netpbm forbids samples above maxval; one means a damaged file. */
        if (v > maxval)
            return set_error(err, err_size, "%s: pixel value %lu above maxval %lu",
                        path, v, maxval);
        pic->grey[i] = (float)v / (float)maxval;  /* as data.c's byte / 255.0f */
    }
    return 0;
}

static int read_pgm(FILE *f, const char *path, picture *pic, char *err, int err_size)
{
    char magic[2];
    unsigned long width, height, maxval;
    if (fread(magic, 1, 2, f) != 2 || pgm_number(f, &width) != 0 ||
        pgm_number(f, &height) != 0 || pgm_number(f, &maxval) != 0)
        return set_error(err, err_size, "%s: truncated or malformed PGM header", path);
    if (check_size(path, width, height, err, err_size) != 0)
        return -1;
    if (maxval == 0 || maxval > 65535)
        return set_error(err, err_size, "%s: PGM maxval %lu is not in 1..65535", path,
                    maxval);
    pic->width = (int)width;
    pic->height = (int)height;
    pic->grey = xcalloc(width * height, sizeof *pic->grey);
    return pgm_pixels(f, magic[1] == '5', maxval, path, pic, err, err_size);
}

/* ---- PNG ---- */

/* What libpng's callbacks need, and what must be freed if it longjmps. */
typedef struct {
    const char *path;
    char *err;
    int err_size;
    FILE *file;
    png_structp png;
    png_infop info;
    uint8_t *rgba;
    png_bytep *rows;
} png_job;

/* libpng's error handler must not return: it leaves through the jmp_buf. */
static void png_fault(png_structp png, png_const_charp msg)
{
    png_job *job = png_get_error_ptr(png);
    set_error(job->err, job->err_size, "%s: corrupt PNG: %s", job->path, msg);
    png_longjmp(png, 1);
}

/* Warnings (a known-incorrect sRGB profile...) do not stop decoding, and
 * stderr is not the place to report them. */
static void png_warning_ignored(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg;
}

/* libpng's own reader says only "Read Error" when the file ends early. */
static void png_read_file(png_structp png, png_bytep data, size_t size)
{
    png_job *job = png_get_io_ptr(png);
    if (fread(data, 1, size, job->file) != size)
        png_error(png, "truncated");
}

/* Luma of one 8-bit RGBA pixel, composited on white. Grey pixels skip the
 * weights, which in float do not sum to exactly 1. */
static float rgba_grey(const uint8_t *p)
{
    float luma = p[0] == p[1] && p[1] == p[2] ? p[0] / 255.0f
                 : (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) / 255.0f;
    float alpha = p[3] / 255.0f;
    return alpha * luma + (1.0f - alpha);
}

static void png_decode(png_job *job, picture *pic)
{
    png_structp png = job->png;
    png_set_read_fn(png, job, png_read_file);
    png_read_info(png, job->info);
    png_uint_32 width = png_get_image_width(png, job->info);
    png_uint_32 height = png_get_image_height(png, job->info);
    if (check_size(job->path, width, height, job->err, job->err_size) != 0)
        png_longjmp(png, 1);
    /* Every colour type and depth becomes 8-bit RGBA (palette and low
     * depths expanded, tRNS made alpha, opaque alpha added), so one loop
     * below handles them all. */
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
    png_set_interlace_handling(png);
    png_read_update_info(png, job->info);
    size_t row_bytes = png_get_rowbytes(png, job->info);
    if (row_bytes != 4 * (size_t)width)
        png_error(png, "unexpected row layout after conversion to RGBA");
    job->rgba = xcalloc(height, row_bytes);
    job->rows = xcalloc(height, sizeof *job->rows);
    for (png_uint_32 y = 0; y < height; y++)
        job->rows[y] = job->rgba + y * row_bytes;
    png_read_image(png, job->rows);
    png_read_end(png, NULL);  /* checks the chunks after the pixels too */
    pic->width = (int)width;
    pic->height = (int)height;
    pic->grey = xcalloc((size_t)width * height, sizeof *pic->grey);
    for (size_t i = 0; i < (size_t)width * height; i++)
        pic->grey[i] = rgba_grey(job->rgba + 4 * i);
}

/* The setjmp lives here, apart from the locals of read_png, so nothing it
 * returns to can have been clobbered by the longjmp. */
static int png_guarded(png_job *job, picture *pic)
{
    if (setjmp(png_jmpbuf(job->png)))
        return -1;
    png_decode(job, pic);
    return 0;
}

static int read_png(FILE *f, const char *path, picture *pic, char *err, int err_size)
{
    png_job job = {.path = path, .err = err, .err_size = err_size, .file = f};
    job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, png_fault,
                                     png_warning_ignored);
    job.info = job.png ? png_create_info_struct(job.png) : NULL;
    if (!job.info) {
        png_destroy_read_struct(&job.png, NULL, NULL);
        return set_error(err, err_size, "%s: out of memory in libpng", path);
    }
    int rc = png_guarded(&job, pic);
    free(job.rgba);
    free(job.rows);
    png_destroy_read_struct(&job.png, &job.info, NULL);
    return rc;
}

/* ---- the batch ---- */

/* Makes room for n more images labelled "PATH" or, indexed (IDX),
 * "PATH[i]"; returns where their pixels go. */
static float *batch_grow(image_batch *b, int n, const char *path, int indexed)
{
    size_t total = (size_t)b->count + (size_t)n;
    b->pixels = xrealloc(b->pixels, total * IMAGE_PIXELS * sizeof *b->pixels);
    b->labels = xrealloc(b->labels, total * sizeof *b->labels);
    size_t size = strlen(path) + 16;  /* "[2147483647]" and the NUL fit */
    for (int i = 0; i < n; i++) {
        char *label = b->labels[b->count + i] = xcalloc(size, 1);
        if (indexed)
            snprintf(label, size, "%s[%d]", path, i);
        else
            snprintf(label, size, "%s", path);
    }
    float *slot = b->pixels + (size_t)b->count * IMAGE_PIXELS;
    b->count += n;
    return slot;
}

/* IDX images are Fashion-MNIST's own: no resizing, no inversion, and the
 * same / 255.0f as data.c, so a test-set file predicts like the test set. */
static int add_idx(image_batch *b, const char *path, char *err, int err_size)
{
    uint8_t *bytes = NULL;
    int count = 0;
    if (idx_read(path, 3, 0, &bytes, &count, err, err_size) != 0)
        return -1;
    float *out = batch_grow(b, count, path, 1);
    for (size_t i = 0; i < (size_t)count * IMAGE_PIXELS; i++)
        out[i] = bytes[i] / 255.0f;
    free(bytes);
    return 0;
}

typedef enum { FORMAT_UNKNOWN, FORMAT_EMPTY, FORMAT_IDX, FORMAT_PGM, FORMAT_PNG } format;

/* IDX: gzip's magic (the .gz files are IDX inside), or an unsigned-byte IDX
 * magic of any dims, so a labels file gets idx_read's "bad magic" message. */
static format format_of(const uint8_t *head, size_t n)
{
    if (n == 0)
        return FORMAT_EMPTY;
    if (n >= 3 && ((head[0] == 0x1f && head[1] == 0x8b) ||
                   (head[0] == 0 && head[1] == 0 && head[2] == 0x08)))
        return FORMAT_IDX;
    if (n >= 2 && head[0] == 'P' && (head[1] == '2' || head[1] == '5'))
        return FORMAT_PGM;
    if (n >= 8 && png_sig_cmp(head, 0, 8) == 0)
        return FORMAT_PNG;
    return FORMAT_UNKNOWN;
}

/* A picture file whose format is known from its first bytes. */
static int read_picture(FILE *f, format fmt, const char *path, picture *pic,
                        char *err, int err_size)
{
    switch (fmt) {
    case FORMAT_PGM: return read_pgm(f, path, pic, err, err_size);
    case FORMAT_PNG: return read_png(f, path, pic, err, err_size);
    case FORMAT_EMPTY: return set_error(err, err_size, "%s: empty file", path);
    default: return set_error(err, err_size, "%s: not an IDX, PGM or PNG file", path);
    }
}

int image_batch_add_file(image_batch *b, const char *path, char *err, int err_size)
{
    if (check_regular_file(path, err, err_size) != 0)
        return -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return set_error(err, err_size, "%s: cannot open: %s", path, strerror(errno));
    uint8_t head[8];
    size_t n = fread(head, 1, sizeof head, f);
    format fmt = format_of(head, n);
    picture pic = {0};
    int rc = 0;
    if (ferror(f))
        rc = set_error(err, err_size, "%s: read error: %s", path, strerror(errno));
    else if (fmt != FORMAT_IDX) {
        rewind(f);
        rc = read_picture(f, fmt, path, &pic, err, err_size);
    }
    fclose(f);  /* an IDX file is read again by idx_read, through zlib */
    if (rc == 0 && fmt == FORMAT_IDX)
        return add_idx(b, path, err, err_size);
    if (rc == 0)
        image_to_fashion_mnist(pic.grey, pic.width, pic.height,
                               batch_grow(b, 1, path, 0));
    free(pic.grey);
    return rc;
}

void image_batch_free(image_batch *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->count; i++)
        free(b->labels[i]);
    free(b->labels);
    free(b->pixels);
    memset(b, 0, sizeof *b);
}
