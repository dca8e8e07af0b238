/* test_data: the IDX loader on the real Fashion-MNIST files (counts, the
 * Keras-style split, scaling, limits) and on bad files written into a
 * scratch directory under /tmp, one fault each, checking that the message
 * names the exact file and the fault. The full training file is loaded
 * once; everything else is small. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "data/data.h"
#include "testing.h"
#include "core/util.h"

#define REAL_DIR "/usr/share/datasets/fashion-mnist"
#define TRAIN_IMAGES "train-images-idx3-ubyte"
#define TRAIN_LABELS "train-labels-idx1-ubyte"
#define TEST_IMAGES "t10k-images-idx3-ubyte"
#define TEST_LABELS "t10k-labels-idx1-ubyte"
#define IMAGES_MAGIC 0x00000803u
#define LABELS_MAGIC 0x00000801u

/* Synthetic sets: small, with the standard split of 0.1 leaving 18 + 2. */
#define N_TRAIN 20
#define N_TEST 5

/* ---- scratch directory and file builders ---- */

static void scratch_new(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/test_data.XXXXXX");
    CHECK(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void scratch_remove(const char *dir)
{
    CHECK(nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) == 0,
          "cannot remove %s", dir);
}

/* Pseudo-random pixels, so gzip barely shrinks them: a cut or a corruption
 * in the middle of the .gz file then lands in the middle of the data. */
static uint8_t synthetic_pixel(int image, int pixel)
{
    uint32_t x = (uint32_t)image * 2654435761u ^ (uint32_t)pixel * 40503u;
    x ^= x >> 13;
    x *= 0x5bd1e995u;
    x ^= x >> 15;
    return (uint8_t)x;
}

static uint8_t synthetic_label(int i)
{
    return (uint8_t)(i * 3 % N_CLASSES);
}

/* An IDX file's bytes in memory (open_memstream), to write plain or gzip. */
typedef struct {
    char *bytes;
    size_t size;
} blob;

static void put_u32(FILE *f, uint32_t v)
{
    fputc((int)(v >> 24), f); fputc((int)(v >> 16 & 0xff), f);
    fputc((int)(v >> 8 & 0xff), f); fputc((int)(v & 0xff), f);
}

/* Header says `count` images of rows x cols; `written` images follow. */
static blob images_blob(uint32_t magic, uint32_t count, uint32_t rows,
                        uint32_t cols, int written)
{
    blob b;
    FILE *f = open_memstream(&b.bytes, &b.size);
    CHECK(f, "open_memstream");
    put_u32(f, magic); put_u32(f, count); put_u32(f, rows); put_u32(f, cols);
    for (int i = 0; i < written; i++)
        for (uint32_t p = 0; p < rows * cols; p++)
            fputc(synthetic_pixel(i, (int)p), f);
    fclose(f);
    return b;
}

/* Header says `count` labels; `written` follow; label 12 at index bad_at. */
static blob labels_blob(uint32_t magic, uint32_t count, int written, int bad_at)
{
    blob b;
    FILE *f = open_memstream(&b.bytes, &b.size);
    CHECK(f, "open_memstream");
    put_u32(f, magic); put_u32(f, count);
    for (int i = 0; i < written; i++)
        fputc(i == bad_at ? 12 : synthetic_label(i), f);
    fclose(f);
    return b;
}

static void path_in(char *out, size_t size, const char *dir, const char *name,
                    int gz)
{
    snprintf(out, size, "%s/%s%s", dir, name, gz ? ".gz" : "");
}

/* Writes DIR/NAME (or DIR/NAME.gz through zlib) and frees the blob. */
static void write_blob(const char *dir, const char *name, int gz, blob b)
{
    char path[512];
    path_in(path, sizeof path, dir, name, gz);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        CHECK(f, "gzopen %s", path);
        CHECK(gzwrite(f, b.bytes, (unsigned)b.size) == (int)b.size, "gzwrite %s", path);
        CHECK(gzclose(f) == Z_OK, "gzclose %s", path);
    } else {
        FILE *f = fopen(path, "wb");
        CHECK(f, "fopen %s", path);
        CHECK(fwrite(b.bytes, 1, b.size, f) == b.size, "fwrite %s", path);
        CHECK(fclose(f) == 0, "fclose %s", path);
    }
    free(b.bytes);
}

static void write_good_set(const char *dir, const char *images, const char *labels,
                           int n, int gz)
{
    write_blob(dir, images, gz,
               images_blob(IMAGES_MAGIC, (uint32_t)n, IMAGE_SIDE, IMAGE_SIDE, n));
    write_blob(dir, labels, gz, labels_blob(LABELS_MAGIC, (uint32_t)n, n, -1));
}

static void write_good_dataset(const char *dir, int gz)
{
    write_good_set(dir, TRAIN_IMAGES, TRAIN_LABELS, N_TRAIN, gz);
    write_good_set(dir, TEST_IMAGES, TEST_LABELS, N_TEST, gz);
}

static off_t file_size(const char *path)
{
    struct stat st;
    CHECK(stat(path, &st) == 0, "stat %s", path);
    return st.st_size;
}

/* err is "PATH: ..." for exactly this path and mentions the fault. */
static int names_fault(const char *err, const char *path, const char *fault)
{
    size_t n = strlen(path);
    return strncmp(err, path, n) == 0 && strncmp(err + n, ": ", 2) == 0 &&
           strstr(err + n, fault) != NULL && strchr(err, '\n') == NULL;
}

/* Loads a synthetic directory expecting failure; d must come back empty. */
static void load_expecting_error(const char *dir, char *err, int err_size)
{
    dataset d;
    err[0] = '\0';
    int rc = dataset_load(&d, dir, 0.1, 0, 0, err, err_size);
    EXPECT(rc == -1, "dataset_load returned %d", rc);
    EXPECT(d.train.images == NULL && d.validation.images == NULL &&
           d.test.images == NULL && d.train.labels == NULL && d.test.labels == NULL,
           "nothing left allocated after an error");
    dataset_free(&d);
}

static int floats_equal_bytes(const float *x, const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != bytes[i] / 255.0f)
            return 0;
    return 1;
}

/* ---- the real dataset ---- */

static void test_real_dataset_loads_54000_6000_10000_scaled_to_unit_range(void)
{
    dataset d;
    char err[512] = "";
    int rc = dataset_load(&d, REAL_DIR, 0.1, 0, 0, err, sizeof err);
    EXPECT(rc == 0, "dataset_load: %s", err);
    if (rc != 0)
        return;
    EXPECT(d.train.count == 54000, "train.count = %d", d.train.count);
    EXPECT(d.validation.count == 6000, "validation.count = %d", d.validation.count);
    EXPECT(d.test.count == 10000, "test.count = %d", d.test.count);
    /* `zcat train-labels-idx1-ubyte.gz | od -t u1` starts 9 0 0 3 0 2 after
     * its 8-byte header; t10k's starts 9 2 1 1. Class 9 is Ankle boot. */
    EXPECT(d.train.labels[0] == 9 && d.train.labels[1] == 0 && d.train.labels[3] == 3,
           "train labels start %d %d %d", d.train.labels[0], d.train.labels[1],
           d.train.labels[3]);
    EXPECT(d.test.labels[0] == 9 && d.test.labels[1] == 2, "test labels start %d %d",
           d.test.labels[0], d.test.labels[1]);
    EXPECT(strcmp(class_names[9], "Ankle boot") == 0, "class 9 = %s", class_names[9]);
    float lo = 1, hi = 0;
    image_set *sets[] = {&d.train, &d.validation, &d.test};
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < (size_t)sets[s]->count * IMAGE_PIXELS; i++) {
            float v = sets[s]->images[i];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    EXPECT(lo == 0.0f && hi == 1.0f, "pixels span [%g, %g], expected exactly [0, 1]",
           lo, hi);
    /* The validation set is the LAST 6000 of the file, as Keras takes it. */
    uint8_t *labels = NULL;
    int n = 0;
    EXPECT(idx_read(REAL_DIR "/" TRAIN_LABELS ".gz", 1, 0, &labels, &n, err,
                    sizeof err) == 0, "idx_read: %s", err);
    EXPECT(n == 60000 && labels &&
           memcmp(d.validation.labels, labels + 54000, 6000) == 0 &&
           memcmp(d.train.labels, labels, 54000) == 0,
           "train = file labels [0, 54000), validation = [54000, 60000)");
    free(labels);
    dataset_free(&d);
}

static void test_real_dataset_limits_keep_the_first_images(void)
{
    dataset d;
    char err[512] = "";
    int rc = dataset_load(&d, REAL_DIR, 0.2, 1000, 500, err, sizeof err);
    EXPECT(rc == 0, "dataset_load: %s", err);
    if (rc != 0)
        return;
    /* 1000 kept, floor(1000 * 0.8) = 800 train, 200 validation. */
    EXPECT(d.train.count == 800 && d.validation.count == 200 && d.test.count == 500,
           "counts %d / %d / %d", d.train.count, d.validation.count, d.test.count);
    uint8_t *images = NULL, *labels = NULL;
    int n_images = 0, n_labels = 0;
    EXPECT(idx_read(REAL_DIR "/" TEST_IMAGES ".gz", 3, 500, &images, &n_images, err,
                    sizeof err) == 0, "idx_read: %s", err);
    EXPECT(idx_read(REAL_DIR "/" TRAIN_LABELS ".gz", 1, 1000, &labels, &n_labels,
                    err, sizeof err) == 0, "idx_read: %s", err);
    EXPECT(n_images == 500 && n_labels == 1000, "idx_read kept %d images, %d labels",
           n_images, n_labels);
    if (images && labels) {
        EXPECT(floats_equal_bytes(d.test.images, images, 500 * (size_t)IMAGE_PIXELS),
               "test images = first 500 of the file, / 255");
        EXPECT(memcmp(d.train.labels, labels, 800) == 0 &&
               memcmp(d.validation.labels, labels + 800, 200) == 0,
               "train = labels [0, 800), validation = [800, 1000)");
    }
    free(images);
    free(labels);
    dataset_free(&d);
}

static void test_real_uncompressed_file_reads_equal_to_compressed(void)
{
    char dir[64], plain[512], err[512] = "";
    scratch_new(dir, sizeof dir);
    uint8_t *gz_items = NULL, *plain_items = NULL;
    int gz_count = 0, plain_count = 0;
    /* Decompress the real t10k images into a plain file with zlib itself. */
    gzFile in = gzopen(REAL_DIR "/" TEST_IMAGES ".gz", "rb");
    path_in(plain, sizeof plain, dir, TEST_IMAGES, 0);
    FILE *out = fopen(plain, "wb");
    CHECK(in && out, "cannot copy the real t10k images to %s", plain);
    char buf[1 << 16];
    int n;
    while ((n = gzread(in, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, out);
    gzclose(in);
    fclose(out);
    EXPECT(idx_read(REAL_DIR "/" TEST_IMAGES ".gz", 3, 0, &gz_items, &gz_count, err,
                    sizeof err) == 0, "%s", err);
    EXPECT(idx_read(plain, 3, 0, &plain_items, &plain_count, err, sizeof err) == 0,
           "%s", err);
    EXPECT(gz_count == 10000 && plain_count == 10000 && gz_items && plain_items &&
           memcmp(gz_items, plain_items, 10000 * (size_t)IMAGE_PIXELS) == 0,
           "plain and .gz give the same 10000 images");
    free(gz_items);
    free(plain_items);
    scratch_remove(dir);
}

/* ---- split and limits on synthetic files ---- */

static void test_split_takes_the_last_fraction_with_keras_rounding(void)
{
    char dir[64], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 1);
    dataset d;
    /* Keras: split_at = floor(15 * (1 - 0.1)) = floor(13.5) = 13, so 2 images
     * validate, where (int)(15 * 0.1) would have given 1. */
    int rc = dataset_load(&d, dir, 0.1, 15, 0, err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    EXPECT(d.train.count == 13 && d.validation.count == 2 && d.test.count == N_TEST,
           "counts %d / %d / %d", d.train.count, d.validation.count, d.test.count);
    if (rc == 0) {
        EXPECT(d.validation.images[0] == synthetic_pixel(13, 0) / 255.0f &&
               d.validation.images[IMAGE_PIXELS + 5] == synthetic_pixel(14, 5) / 255.0f &&
               d.validation.labels[1] == synthetic_label(14),
               "validation holds images 13 and 14");
        EXPECT(d.train.images[12 * IMAGE_PIXELS + 783] == synthetic_pixel(12, 783) / 255.0f &&
               d.train.labels[12] == synthetic_label(12), "train ends with image 12");
    }
    dataset_free(&d);
    /* A split of 0 keeps everything for training and no validation set. */
    rc = dataset_load(&d, dir, 0.0, 0, 3, err, sizeof err);
    EXPECT(rc == 0 && d.train.count == N_TRAIN && d.validation.count == 0 &&
           d.validation.images == NULL && d.test.count == 3,
           "split 0: %d / %d / %d (%s)", d.train.count, d.validation.count,
           d.test.count, err);
    dataset_free(&d);
    scratch_remove(dir);
}

static void test_split_leaving_an_empty_side_is_an_error(void)
{
    char dir[64], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 1);
    dataset d;
    /* One image, split 0.5: floor(0.5) = 0 training images. */
    EXPECT(dataset_load(&d, dir, 0.5, 1, 0, err, sizeof err) == -1 &&
           names_fault(err, dir, "leaves 0 for training"), "err = %s", err);
    EXPECT(d.validation.images == NULL && d.train.images == NULL, "freed");
    /* 1 - 1e-17 rounds to 1: no validation image, which Keras also refuses. */
    EXPECT(dataset_load(&d, dir, 1e-17, 0, 0, err, sizeof err) == -1 &&
           names_fault(err, dir, "and 0 for validation"), "err = %s", err);
    EXPECT(dataset_load(&d, dir, 1.0, 0, 0, err, sizeof err) == -1 &&
           names_fault(err, dir, "not in [0, 1)"), "err = %s", err);
    scratch_remove(dir);
}

/* A limited read stops at its last item: a fault further on goes unseen,
 * which is also what keeps a 1000-image run from inflating 47 MB. */
static void test_limited_read_stops_before_a_later_fault(void)
{
    char dir[64], path[512], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 1);
    /* The header promises 200 images, only 150 follow (117 KB into the data,
     * well past zlib's read-ahead of the first 3 images). */
    write_blob(dir, TRAIN_IMAGES, 1,
               images_blob(IMAGES_MAGIC, 200, IMAGE_SIDE, IMAGE_SIDE, 150));
    write_blob(dir, TRAIN_LABELS, 1, labels_blob(LABELS_MAGIC, 200, 200, -1));
    dataset d;
    int rc = dataset_load(&d, dir, 0.0, 3, 0, err, sizeof err);
    EXPECT(rc == 0 && d.train.count == 3, "limit 3: rc %d, %s", rc, err);
    dataset_free(&d);
    path_in(path, sizeof path, dir, TRAIN_IMAGES, 1);
    load_expecting_error(dir, err, sizeof err);
    EXPECT(names_fault(err, path, "truncated: header promises 200 images"),
           "without a limit: %s", err);
    scratch_remove(dir);
}

/* ---- missing things ---- */

/* Hides the default directory from this process only: a private mount
 * namespace with an empty tmpfs over /usr/share/datasets. Returns 0, or -1
 * when the kernel or container does not allow namespaces. */
static int hide_debian_dir(void)
{
    if (unshare(CLONE_NEWNS) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
        return -1;
    /* Private first, or the tmpfs would propagate back to the real system. */
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        return -1;
    struct stat st;
    if (stat("/usr/share/datasets", &st) != 0)
        return 0;
    return mount("tmpfs", "/usr/share/datasets", "tmpfs", 0, NULL);
}

static void test_missing_default_directory_names_the_debian_package(void)
{
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        char err[512] = "SKIP";
        close(fds[0]);
        if (hide_debian_dir() == 0) {
            dataset d;
            dataset_load(&d, REAL_DIR, 0.1, 0, 0, err, sizeof err);
        }
        ssize_t w = write(fds[1], err, strlen(err));
        _exit(w < 0);
    }
    close(fds[1]);
    char got[512] = "";
    ssize_t n = read(fds[0], got, sizeof got - 1);
    got[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    waitpid(pid, NULL, 0);
    if (strcmp(got, "SKIP") == 0) {
        fprintf(stderr, "  skipped: cannot hide %s here (no mount namespaces)\n",
                REAL_DIR);
        return;
    }
    EXPECT(strcmp(got, REAL_DIR ": no such directory (install the Debian package "
                  "dataset-fashion-mnist)") == 0, "err = %s", got);
}

static void test_missing_other_directory_says_no_such_directory(void)
{
    char dir[64], missing[128], err[512] = "";
    scratch_new(dir, sizeof dir);
    snprintf(missing, sizeof missing, "%s/absent", dir);
    load_expecting_error(missing, err, sizeof err);
    char expected[256];
    snprintf(expected, sizeof expected, "%s: no such directory", missing);
    EXPECT(strcmp(err, expected) == 0, "err = %s", err);
    scratch_remove(dir);
}

static void test_missing_file_names_the_gz_path(void)
{
    char dir[64], path[512], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 1);
    path_in(path, sizeof path, dir, TEST_LABELS, 1);
    CHECK(unlink(path) == 0, "unlink");
    load_expecting_error(dir, err, sizeof err);
    char expected[600];
    snprintf(expected, sizeof expected, "%s: cannot open: No such file or directory",
             path);
    EXPECT(strcmp(err, expected) == 0, "err = %s", err);
    scratch_remove(dir);
}

/* ---- bad headers ---- */

static void test_bad_magic_is_reported_for_its_file(void)
{
    char dir[64], path[512], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 1);
    write_blob(dir, TRAIN_IMAGES, 1,
               images_blob(0x12345678u, N_TRAIN, IMAGE_SIDE, IMAGE_SIDE, N_TRAIN));
    path_in(path, sizeof path, dir, TRAIN_IMAGES, 1);
    load_expecting_error(dir, err, sizeof err);
    char expected[700];
    snprintf(expected, sizeof expected, "%s: bad magic 0x12345678, expected "
             "0x00000803 (IDX unsigned-byte, 3 dims)", path);
    EXPECT(strcmp(err, expected) == 0, "err = %s", err);
    /* A labels file with the images' magic: right type, wrong dims. */
    write_good_dataset(dir, 1);
    write_blob(dir, TEST_LABELS, 1, labels_blob(IMAGES_MAGIC, N_TEST, N_TEST, -1));
    path_in(path, sizeof path, dir, TEST_LABELS, 1);
    load_expecting_error(dir, err, sizeof err);
    EXPECT(names_fault(err, path, "bad magic 0x00000803, expected 0x00000801"),
           "err = %s", err);
    scratch_remove(dir);
}

static void test_wrong_image_size_is_reported(void)
{
    char dir[64], path[512], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 1);
    write_blob(dir, TEST_IMAGES, 1, images_blob(IMAGES_MAGIC, N_TEST, 27, 28, N_TEST));
    path_in(path, sizeof path, dir, TEST_IMAGES, 1);
    load_expecting_error(dir, err, sizeof err);
    EXPECT(names_fault(err, path, "images are 27x28, expected 28x28"), "err = %s", err);
    scratch_remove(dir);
}

static void test_zero_count_is_reported(void)
{
    char dir[64], path[512], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 1);
    write_blob(dir, TRAIN_LABELS, 1, labels_blob(LABELS_MAGIC, 0, 0, -1));
    path_in(path, sizeof path, dir, TRAIN_LABELS, 1);
    load_expecting_error(dir, err, sizeof err);
    EXPECT(names_fault(err, path, "header promises 0 labels"), "err = %s", err);
    scratch_remove(dir);
}

/* ---- bad data ---- */

static void test_truncated_plain_file_is_reported(void)
{
    char dir[64], path[512], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 0);
    write_blob(dir, TRAIN_IMAGES, 0,
               images_blob(IMAGES_MAGIC, N_TRAIN, IMAGE_SIDE, IMAGE_SIDE, 12));
    path_in(path, sizeof path, dir, TRAIN_IMAGES, 0);
    load_expecting_error(dir, err, sizeof err);
    char expected[700];
    snprintf(expected, sizeof expected, "%s: truncated: header promises 20 images of "
             "28x28, file ends after %d bytes of data", path, 12 * IMAGE_PIXELS);
    EXPECT(strcmp(err, expected) == 0, "err = %s", err);
    /* A header cut short is truncation too. */
    write_good_dataset(dir, 0);
    path_in(path, sizeof path, dir, TEST_LABELS, 0);
    CHECK(truncate(path, 6) == 0, "truncate");
    load_expecting_error(dir, err, sizeof err);
    EXPECT(names_fault(err, path, "truncated: file ends after 6 bytes of its 8-byte "
                       "IDX header"), "err = %s", err);
    scratch_remove(dir);
}

static void test_data_beyond_the_header_count_is_reported(void)
{
    char dir[64], path[512], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 0);
    write_blob(dir, TEST_IMAGES, 0,
               images_blob(IMAGES_MAGIC, N_TEST, IMAGE_SIDE, IMAGE_SIDE, N_TEST + 1));
    path_in(path, sizeof path, dir, TEST_IMAGES, 0);
    load_expecting_error(dir, err, sizeof err);
    EXPECT(names_fault(err, path, "more data than the header's 5 images of 28x28"),
           "err = %s", err);
    scratch_remove(dir);
}

static void test_truncated_gzip_stream_is_reported(void)
{
    char dir[64], path[512], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 1);
    path_in(path, sizeof path, dir, TRAIN_IMAGES, 1);
    CHECK(truncate(path, file_size(path) / 2) == 0, "truncate");
    load_expecting_error(dir, err, sizeof err);
    EXPECT(names_fault(err, path, "truncated: header promises 20 images of 28x28") &&
           strstr(err, "(gzip stream cut off)"), "cut mid-data: %s", err);
    /* Cut inside the 8-byte trailer: every data byte inflates, but the
     * stream never ends; only the read past the data notices. */
    write_good_dataset(dir, 1);
    CHECK(truncate(path, file_size(path) - 4) == 0, "truncate");
    load_expecting_error(dir, err, sizeof err);
    EXPECT(names_fault(err, path, "truncated: gzip stream cut off after the data"),
           "cut in trailer: %s", err);
    scratch_remove(dir);
}

static void flip_bytes(const char *path, off_t at, int n)
{
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0, "open %s", path);
    for (int i = 0; i < n; i++) {
        uint8_t byte;
        CHECK(pread(fd, &byte, 1, at + i) == 1, "pread");
        byte ^= 0x55;
        CHECK(pwrite(fd, &byte, 1, at + i) == 1, "pwrite");
    }
    close(fd);
}

static void test_corrupt_gzip_data_is_reported(void)
{
    char dir[64], path[512], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 1);
    /* Random pixels are stored, not compressed: flipped bytes inflate into
     * plausible wrong pixels, and only the gzip CRC-32 catches them. */
    path_in(path, sizeof path, dir, TRAIN_IMAGES, 1);
    flip_bytes(path, file_size(path) / 2, 64);
    load_expecting_error(dir, err, sizeof err);
    /* zlib's own "<fd:3>: " prefix would name the wrong thing: it must go. */
    EXPECT(names_fault(err, path, "corrupt gzip data (") && !strstr(err, "<fd:"),
           "err = %s", err);
    /* Corrupt the gzip header's method byte: zlib refuses it outright. */
    write_good_dataset(dir, 1);
    path_in(path, sizeof path, dir, TEST_LABELS, 1);
    flip_bytes(path, 2, 1);
    load_expecting_error(dir, err, sizeof err);
    EXPECT(names_fault(err, path, "corrupt gzip data"), "err = %s", err);
    scratch_remove(dir);
}

static void test_mismatched_image_and_label_counts_are_reported(void)
{
    char dir[64], images[512], labels[512], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 1);
    write_blob(dir, TRAIN_LABELS, 1,
               labels_blob(LABELS_MAGIC, N_TRAIN - 1, N_TRAIN - 1, -1));
    path_in(images, sizeof images, dir, TRAIN_IMAGES, 1);
    path_in(labels, sizeof labels, dir, TRAIN_LABELS, 1);
    load_expecting_error(dir, err, sizeof err);
    char expected[1200];
    snprintf(expected, sizeof expected, "%s: 20 images but %s has 19 labels",
             images, labels);
    EXPECT(strcmp(err, expected) == 0, "err = %s", err);
    /* Still a fault when a limit keeps fewer items than either file has. */
    dataset d;
    EXPECT(dataset_load(&d, dir, 0.1, 10, 0, err, sizeof err) == -1 &&
           strcmp(err, expected) == 0, "with a limit: %s", err);
    scratch_remove(dir);
}

static void test_label_out_of_range_is_reported_with_its_index(void)
{
    char dir[64], path[512], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 1);
    write_blob(dir, TEST_LABELS, 1, labels_blob(LABELS_MAGIC, N_TEST, N_TEST, 3));
    path_in(path, sizeof path, dir, TEST_LABELS, 1);
    load_expecting_error(dir, err, sizeof err);
    char expected[700];
    snprintf(expected, sizeof expected, "%s: label 12 at index 3 is not a class 0-9",
             path);
    EXPECT(strcmp(err, expected) == 0, "err = %s", err);
    scratch_remove(dir);
}

/* ---- compressed or not ---- */

static void test_uncompressed_files_load_equal_to_compressed(void)
{
    char gz_dir[64], plain_dir[64], err[512] = "";
    scratch_new(gz_dir, sizeof gz_dir);
    scratch_new(plain_dir, sizeof plain_dir);
    write_good_dataset(gz_dir, 1);
    write_good_dataset(plain_dir, 0);
    dataset a, b;
    int rc_a = dataset_load(&a, gz_dir, 0.1, 0, 0, err, sizeof err);
    EXPECT(rc_a == 0, "gzip: %s", err);
    int rc_b = dataset_load(&b, plain_dir, 0.1, 0, 0, err, sizeof err);
    EXPECT(rc_b == 0, "plain: %s", err);
    if (rc_a == 0 && rc_b == 0) {
        image_set *sa[] = {&a.train, &a.validation, &a.test};
        image_set *sb[] = {&b.train, &b.validation, &b.test};
        for (int s = 0; s < 3; s++)
            EXPECT(sa[s]->count == sb[s]->count && sa[s]->count > 0 &&
                   memcmp(sa[s]->images, sb[s]->images,
                          (size_t)sa[s]->count * IMAGE_PIXELS * sizeof(float)) == 0 &&
                   memcmp(sa[s]->labels, sb[s]->labels, (size_t)sa[s]->count) == 0,
                   "set %d equal", s);
        EXPECT(a.test.images[7] == synthetic_pixel(0, 7) / 255.0f, "pixel scaled");
    }
    dataset_free(&a);
    dataset_free(&b);
    scratch_remove(gz_dir);
    scratch_remove(plain_dir);
}

static void test_gz_name_is_tried_before_the_plain_name(void)
{
    char dir[64], err[512] = "";
    scratch_new(dir, sizeof dir);
    write_good_dataset(dir, 1);
    /* A broken plain file next to a good .gz: the .gz must be the one read. */
    write_blob(dir, TRAIN_IMAGES, 0,
               images_blob(0x12345678u, N_TRAIN, IMAGE_SIDE, IMAGE_SIDE, N_TRAIN));
    dataset d;
    EXPECT(dataset_load(&d, dir, 0.1, 0, 0, err, sizeof err) == 0, "%s", err);
    dataset_free(&d);
    scratch_remove(dir);
}

static void test_dataset_free_is_safe_on_zeroed_and_freed_datasets(void)
{
    dataset d;
    memset(&d, 0, sizeof d);
    dataset_free(&d);
    dataset_free(&d);
    dataset_free(NULL);
    EXPECT(d.train.images == NULL && d.train.count == 0, "still empty");
}

int main(void)
{
    RUN_TEST(test_real_dataset_loads_54000_6000_10000_scaled_to_unit_range);
    RUN_TEST(test_real_dataset_limits_keep_the_first_images);
    RUN_TEST(test_real_uncompressed_file_reads_equal_to_compressed);
    RUN_TEST(test_split_takes_the_last_fraction_with_keras_rounding);
    RUN_TEST(test_split_leaving_an_empty_side_is_an_error);
    RUN_TEST(test_limited_read_stops_before_a_later_fault);
    RUN_TEST(test_missing_default_directory_names_the_debian_package);
    RUN_TEST(test_missing_other_directory_says_no_such_directory);
    RUN_TEST(test_missing_file_names_the_gz_path);
    RUN_TEST(test_bad_magic_is_reported_for_its_file);
    RUN_TEST(test_wrong_image_size_is_reported);
    RUN_TEST(test_zero_count_is_reported);
    RUN_TEST(test_truncated_plain_file_is_reported);
    RUN_TEST(test_data_beyond_the_header_count_is_reported);
    RUN_TEST(test_truncated_gzip_stream_is_reported);
    RUN_TEST(test_corrupt_gzip_data_is_reported);
    RUN_TEST(test_mismatched_image_and_label_counts_are_reported);
    RUN_TEST(test_label_out_of_range_is_reported_with_its_index);
    RUN_TEST(test_uncompressed_files_load_equal_to_compressed);
    RUN_TEST(test_gz_name_is_tried_before_the_plain_name);
    RUN_TEST(test_dataset_free_is_safe_on_zeroed_and_freed_datasets);
    return testing_finish("test_data");
}
