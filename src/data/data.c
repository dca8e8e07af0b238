/* data: reads Fashion-MNIST's IDX files through zlib, which also reads an
 * uncompressed file transparently, so NAME.gz and NAME share one reader.
 * Every fault in a file comes back as one line "PATH: fault"; nothing here
 * exits on bad input. Each file is read once, front to back, and a limited
 * read stops after the items it keeps (the 47 MB training file is not
 * decompressed to keep 1000 images). */
#include "data/data.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <zlib.h>

#include "core/util.h"

const char *const class_names[N_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

const char *const dataset_file_names[DATASET_FILES] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
};

/* Where Debian's dataset-fashion-mnist installs the files; when this is the
 * directory that is missing, the message names the package to install. */
static const char debian_dir[] = "/usr/share/datasets/fashion-mnist";

/* IDX magic: two zero bytes, the type (0x08 = unsigned byte), the dims. */
#define IDX_UBYTE_MAGIC(dims) (0x00000800u | (uint32_t)(dims))

/* Reading grows the buffer from this size instead of allocating what the
 * header promises, so a corrupt count (up to 4e9 images) cannot ask for a
 * terabyte before the file turns out to be short. */
#define GROW_START_BYTES ((size_t)1 << 20)
#define READ_CHUNK_BYTES ((size_t)1 << 24)

/* One IDX file in memory: what its header promised and the items kept. */
typedef struct {
    int header_count;   /* items the header promises */
    int count;          /* items read: the first `limit`, or all */
    size_t item_bytes;  /* 784 for an image, 1 for a label */
    uint8_t *bytes;     /* count x item_bytes */
} idx_items;


static const char *item_noun(int dims)
{
    return dims == 3 ? "images of 28x28" : "labels";
}

/* gzerror's message starts with the name zlib was given, "<fd:N>: " since
 * the file is opened with gzdopen; drop it, the caller names the path. */
static const char *zlib_reason(gzFile f, int *errnum)
{
    const char *msg = gzerror(f, errnum);
    const char *colon = strstr(msg, ">: ");
    if (strncmp(msg, "<fd:", 4) == 0 && colon)
        msg = colon + 3;
    return msg;
}

/* A gzread that returned -1: corrupt deflate data, a bad CRC, or I/O. */
static int zlib_fail(gzFile f, const char *path, char *err, int err_size)
{
    int errnum;
    const char *why = zlib_reason(f, &errnum);
    if (errnum == Z_DATA_ERROR)
        return set_error(err, err_size, "%s: corrupt gzip data (%s)", path, why);
    return set_error(err, err_size, "%s: read error: %s", path, why);
}

/* zlib reports a gzip stream that stops mid-way as a short read with
 * Z_BUF_ERROR ("unexpected end of file"), not as a failed gzread. */
static int gzip_cut_off(gzFile f)
{
    int errnum;
    gzerror(f, &errnum);
    return errnum == Z_BUF_ERROR;
}

/* Reads up to `want` bytes; gzread may return less than asked. Returns the
 * bytes read (fewer at end of file), or -1 on a zlib or I/O error. */
static long read_some(gzFile f, uint8_t *buf, size_t want)
{
    size_t got = 0;
    while (got < want) {
        size_t ask = want - got < READ_CHUNK_BYTES ? want - got : READ_CHUNK_BYTES;
        int n = gzread(f, buf + got, (unsigned)ask);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (long)got;
}

static uint32_t big_endian_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int read_header(gzFile f, const char *path, int dims, idx_items *items,
                       char *err, int err_size)
{
    uint8_t raw[4 + 4 * 3];
    long want = 4 + 4L * dims, got = read_some(f, raw, (size_t)want);
    if (got < 0)
        return zlib_fail(f, path, err, err_size);
    if (got < want)
        return set_error(err, err_size, "%s: truncated: file ends after %ld bytes of its "
                    "%ld-byte IDX header%s", path, got, want,
                    gzip_cut_off(f) ? " (gzip stream cut off)" : "");
    uint32_t magic = big_endian_u32(raw), expected = IDX_UBYTE_MAGIC(dims);
    if (magic != expected)
        return set_error(err, err_size, "%s: bad magic 0x%08X, expected 0x%08X "
                    "(IDX unsigned-byte, %d dim%s)", path, magic, expected, dims,
                    dims == 1 ? "" : "s");
    uint32_t count = big_endian_u32(raw + 4);
    if (dims == 3) {
        uint32_t rows = big_endian_u32(raw + 8), cols = big_endian_u32(raw + 12);
        if (rows != IMAGE_SIDE || cols != IMAGE_SIDE)
            return set_error(err, err_size, "%s: images are %ux%u, expected %dx%d",
                        path, rows, cols, IMAGE_SIDE, IMAGE_SIDE);
    }
    if (count == 0)
        return set_error(err, err_size, "%s: header promises 0 %s; a set needs at "
                    "least one", path, item_noun(dims));
    if (count > INT_MAX)
        return set_error(err, err_size, "%s: header promises %u %s, more than the "
                    "%d this program handles", path, count, item_noun(dims), INT_MAX);
    items->header_count = (int)count;
    items->item_bytes = dims == 3 ? IMAGE_PIXELS : 1;
    return 0;
}

/* The data after the header: the first `keep` items, read into a buffer
 * that grows with what actually arrives (see GROW_START_BYTES). */
static int read_data(gzFile f, const char *path, int dims, int keep,
                     idx_items *items, char *err, int err_size)
{
    size_t want = (size_t)keep * items->item_bytes, got = 0;
    size_t cap = want < GROW_START_BYTES ? want : GROW_START_BYTES;
    uint8_t *buf = xcalloc(cap, 1);
    for (;;) {
        long n = read_some(f, buf + got, cap - got);
        if (n < 0) {
            free(buf);
            return zlib_fail(f, path, err, err_size);
        }
        got += (size_t)n;
        if (got < cap || cap == want)
            break;
        cap = 2 * cap < want ? 2 * cap : want;
        buf = xrealloc(buf, cap);
    }
    if (got < want) {
        free(buf);
        return set_error(err, err_size, "%s: truncated: header promises %d %s, file "
                    "ends after %zu bytes of data%s", path, items->header_count,
                    item_noun(dims), got,
                    gzip_cut_off(f) ? " (gzip stream cut off)" : "");
    }
    items->bytes = buf;
    items->count = keep;
    return 0;
}

/* After every item the header promises, read once more. This lets zlib
 * finish the stream even when inflate stopped at the last data byte: the
 * gzip trailer (CRC-32 and length) is checked, and a stream cut inside its
 * trailer is noticed (zlib reports that only through gzerror, as
 * Z_BUF_ERROR after a short read). Bytes beyond the promised items mean
 * the header's count is wrong. Only done on full reads, so a limited read
 * stays short. */
static int check_file_end(gzFile f, const char *path, int dims,
                          const idx_items *items, char *err, int err_size)
{
    uint8_t extra;
    int n = gzread(f, &extra, 1);
    if (n < 0)
        return zlib_fail(f, path, err, err_size);
    if (n > 0)
        return set_error(err, err_size, "%s: more data than the header's %d %s",
                    path, items->header_count, item_noun(dims));
    if (gzip_cut_off(f))
        return set_error(err, err_size, "%s: truncated: gzip stream cut off after "
                    "the data (its CRC trailer is missing)", path);
    return 0;
}

/* open + gzdopen rather than gzopen, so errno is the open's own. */
static gzFile open_idx(const char *path, char *err, int err_size)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) { /* a FIFO would block forever */
        set_error(err, err_size, "%s: not a regular file", path);
        return NULL;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        set_error(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
        close(fd);
        set_error(err, err_size, "%s: cannot open: out of memory in zlib", path);
    }
    return f;
}

static int idx_load(const char *path, int dims, int limit, idx_items *items,
                    char *err, int err_size)
{
    CHECK(dims == 1 || dims == 3, "IDX files here have 1 or 3 dims, not %d", dims);
    memset(items, 0, sizeof *items);
    gzFile f = open_idx(path, err, err_size);
    if (!f)
        return -1;
    int rc = read_header(f, path, dims, items, err, err_size);
    int keep = limit > 0 && limit < items->header_count ? limit : items->header_count;
    if (rc == 0)
        rc = read_data(f, path, dims, keep, items, err, err_size);
    if (rc == 0 && keep == items->header_count)
        rc = check_file_end(f, path, dims, items, err, err_size);
    gzclose(f);
    if (rc != 0) {
        free(items->bytes);
        memset(items, 0, sizeof *items);
    }
    return rc;
}

int idx_read(const char *path, int dims, int limit, uint8_t **out, int *count,
             char *err, int err_size)
{
    idx_items items;
    if (idx_load(path, dims, limit, &items, err, err_size) != 0)
        return -1;
    *out = items.bytes;
    *count = items.count;
    return 0;
}

/* DIR/NAME.gz if it exists, else DIR/NAME if that exists, else DIR/NAME.gz
 * (the name the Debian package installs, so the one a missing-file message
 * should show). */
int dataset_file_path(char *out, size_t size, const char *dir, const char *name,
                      char *err, int err_size)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;  /* "dir/" must not give "dir//name" in messages */
    int n = snprintf(out, size, "%.*s/%s.gz", (int)len, dir, name);
    if (n < 0 || (size_t)n >= size)
        return set_error(err, err_size, "%s: path too long", dir);
    if (access(out, F_OK) == 0)
        return 0;
    out[n - 3] = '\0';
    if (access(out, F_OK) == 0)
        return 0;
    out[n - 3] = '.';
    return 0;
}

static int same_dir(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la > 1 && a[la - 1] == '/')
        la--;
    while (lb > 1 && b[lb - 1] == '/')
        lb--;
    return la == lb && strncmp(a, b, la) == 0;
}

static int check_dir(const char *dir, char *err, int err_size)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : set_error(err, err_size, "%s: not a directory", dir);
    if (errno != ENOENT)
        return set_error(err, err_size, "%s: cannot open: %s", dir, strerror(errno));
    if (same_dir(dir, debian_dir))
        return set_error(err, err_size, "%s: no such directory (install the Debian "
                    "package dataset-fashion-mnist)", dir);
    return set_error(err, err_size, "%s: no such directory", dir);
}

static int check_labels(const char *path, const idx_items *labels,
                        char *err, int err_size)
{
    for (int i = 0; i < labels->count; i++)
        if (labels->bytes[i] >= N_CLASSES)
            return set_error(err, err_size, "%s: label %d at index %d is not a class 0-9",
                        path, labels->bytes[i], i);
    return 0;
}

/* The two files of one set (train or t10k): images scaled to [0,1] the way
 * the study's Keras code does it (x / 255.0), labels checked < 10. */
static int load_set(const char *dir, const char *prefix, int limit,
                    image_set *set, char *err, int err_size)
{
    char images_path[PATH_MAX], labels_path[PATH_MAX], name[64];
    idx_items images = {0}, labels = {0};
    int rc = -1;
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    if (dataset_file_path(images_path, sizeof images_path, dir, name, err, err_size) != 0)
        goto out;
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    if (dataset_file_path(labels_path, sizeof labels_path, dir, name, err, err_size) != 0)
        goto out;
    if (idx_load(images_path, 3, limit, &images, err, err_size) != 0 ||
        idx_load(labels_path, 1, limit, &labels, err, err_size) != 0)
        goto out;
    /* Headers are compared, not kept counts: a mismatched pair is a fault
     * even when the limit keeps fewer items than either file holds. */
    if (images.header_count != labels.header_count) {
        set_error(err, err_size, "%s: %d images but %s has %d labels", images_path,
             images.header_count, labels_path, labels.header_count);
        goto out;
    }
    if (check_labels(labels_path, &labels, err, err_size) != 0)
        goto out;
    size_t n_values = (size_t)images.count * IMAGE_PIXELS;
    set->images = xcalloc(n_values, sizeof *set->images);
    for (size_t i = 0; i < n_values; i++)
        set->images[i] = images.bytes[i] / 255.0f;
    set->labels = labels.bytes;
    labels.bytes = NULL;
    set->count = images.count;
    rc = 0;
out:
    free(images.bytes);
    free(labels.bytes);
    return rc;
}

/* Keras's validation_split: train = [0, split_at), validation = [split_at, n)
 * with split_at = floor(n * (1 - split)), Keras's exact arithmetic. Note the
 * validation count n - split_at is not always (int)(n * split): n = 15,
 * split = 0.1 gives 13 + 2. Keras refuses a split that leaves either side
 * empty, and so does this. */
static int split_validation(dataset *d, const char *dir, double split,
                            char *err, int err_size)
{
    if (split == 0.0)
        return 0;  /* Keras skips the split entirely */
    int n = d->train.count;
    int split_at = (int)floor((double)n * (1.0 - split));
    if (split_at <= 0 || split_at >= n)
        return set_error(err, err_size, "%s: validation split %g of %d training images "
                    "leaves %d for training and %d for validation; each needs "
                    "at least one", dir, split, n, split_at, n - split_at);
    image_set *train = &d->train, *val = &d->validation;
    val->count = n - split_at;
    val->images = xcalloc((size_t)val->count * IMAGE_PIXELS, sizeof *val->images);
    val->labels = xcalloc((size_t)val->count, 1);
    memcpy(val->images, train->images + (size_t)split_at * IMAGE_PIXELS,
           (size_t)val->count * IMAGE_PIXELS * sizeof *val->images);
    memcpy(val->labels, train->labels + split_at, (size_t)val->count);
    train->count = split_at;
    /* Shrinking in place; if realloc declines, the larger block still works. */
    float *images = realloc(train->images, (size_t)split_at * IMAGE_PIXELS * sizeof *images);
    if (images)
        train->images = images;
    return 0;
}

int dataset_load(dataset *d, const char *dir, double validation_split,
                 int train_limit, int test_limit, char *err, int err_size)
{
    memset(d, 0, sizeof *d);
    if (!(validation_split >= 0.0 && validation_split < 1.0))
        return set_error(err, err_size, "%s: validation split %g is not in [0, 1)",
                    dir, validation_split);
    if (train_limit < 0 || test_limit < 0)
        return set_error(err, err_size, "%s: negative image limit (train %d, test %d)",
                    dir, train_limit, test_limit);
    if (check_dir(dir, err, err_size) != 0)
        return -1;
    if (load_set(dir, "train", train_limit, &d->train, err, err_size) != 0 ||
        split_validation(d, dir, validation_split, err, err_size) != 0 ||
        load_set(dir, "t10k", test_limit, &d->test, err, err_size) != 0) {
        dataset_free(d);
        return -1;
    }
    return 0;
}

static void image_set_free(image_set *s)
{
    free(s->images);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

void dataset_free(dataset *d)
{
    if (!d)
        return;
    image_set_free(&d->train);
    image_set_free(&d->validation);
    image_set_free(&d->test);
}
