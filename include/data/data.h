/* data: Fashion-MNIST from its four IDX files (gzip-compressed or plain),
 * validated and scaled to [0,1], split into train / validation / test the
 * way Keras's validation_split does it (the validation set is the last
 * fraction of the training file). Called by the trainer's owner before
 * training; errors come back as one line naming the file and the fault. */
#ifndef SWEEP_DATA_H
#define SWEEP_DATA_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_SIDE 28
#define IMAGE_PIXELS (IMAGE_SIDE * IMAGE_SIDE)
#define N_CLASSES 10

/* Names of the ten classes, index = label. */
extern const char *const class_names[N_CLASSES];

typedef struct {
    int count;
    float *images;     /* count x 784, row-major 28x28, values in [0,1] */
    uint8_t *labels;   /* count, each < 10 */
} image_set;

typedef struct {
    image_set train, validation, test;  /* each owns its buffers */
} dataset;

/* Loads dir/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] (the .gz name
 * is tried first). train_limit / test_limit keep the first N images of the
 * training / test file (0 = all); the validation split is then taken from
 * the end of the kept training images with Keras's arithmetic: train keeps
 * split_at = floor(n * (1 - validation_split)), validation the other
 * n - split_at (not always (int)(n * validation_split): 15 x 0.1 gives 2).
 * validation_split 0 = no validation set; a split leaving either side empty
 * is an error, as in Keras. d is overwritten (zeroed first).
 * Returns 0, or -1 with err set to "PATH: fault" (one line) and nothing
 * left allocated. */
int dataset_load(dataset *d, const char *dir, double validation_split,
                 int train_limit, int test_limit, char *err, int err_size);

void dataset_free(dataset *d);

/* The four files of a dataset directory, by their base names. */
#define DATASET_FILES 4
extern const char *const dataset_file_names[DATASET_FILES];

/* The path dataset_load reads for base name `name` in dir: NAME.gz if it
 * exists, else NAME if it exists, else NAME.gz (for the error message).
 * Returns 0, or -1 with err set if the path does not fit. */
int dataset_file_path(char *out, size_t size, const char *dir, const char *name,
                      char *err, int err_size);

/* One IDX file: magic 0x0000080D with D dims (D = 3 for images, 1 for
 * labels), big-endian sizes; images must be 28x28. Reads at most `limit`
 * items (0 = all). On success *out is a malloc'd buffer of the raw bytes
 * (count * item size), *count the items read. Returns 0 or -1 with err. */
int idx_read(const char *path, int dims, int limit, uint8_t **out, int *count,
             char *err, int err_size);

#endif
