/* image: the pictures `sweep predict` classifies, made to look like
 * Fashion-MNIST. Reads IDX image files (idx3, many 28x28 images, .gz or
 * plain, through data.h's idx_read), PGM (P2 and P5, maxval up to 65535)
 * and PNG (any colour type and bit depth, through libpng) of any size, and
 * turns each picture into one 28x28 grey image with values in [0,1]:
 * colour becomes luma (0.299 R + 0.587 G + 0.114 B, alpha composited on
 * white), the picture is scaled by area averaging so its longer side is
 * 28 and centred on a background-coloured square, and, because
 * Fashion-MNIST shows light garments on black while catalogue photos show
 * them on white, a picture whose border is mostly light is inverted. */
#ifndef SWEEP_IMAGE_H
#define SWEEP_IMAGE_H

#include <stdint.h>

#include "data/data.h"

typedef struct {
    int count;
    float *pixels;      /* count x IMAGE_PIXELS, row-major, [0,1], light object on dark */
    char **labels;      /* count strings: "FILE" for a picture, "FILE[i]" for IDX image i */
} image_batch;

/* Appends every image of one file to b (zeroed before the first call).
 * The format is told by content (IDX magic, "P2"/"P5", PNG signature,
 * gzip magic for IDX .gz), not by the name. IDX images are Fashion-MNIST's
 * own and are only scaled by 1/255, exactly as dataset_load does; PGM and
 * PNG pictures go through image_to_fashion_mnist. Returns 0, or -1 with
 * err set to one line "PATH: fault" (missing, unknown format, truncated,
 * corrupt, zero size, more than 20000 pixels a side) and b unchanged. */
int image_batch_add_file(image_batch *b, const char *path, char *err, int err_size);

/* Frees what b owns and zeroes it; safe on a zeroed batch and on NULL. */
void image_batch_free(image_batch *b);

/* The conversion itself, for any grey picture held in memory: grey is
 * width x height values in [0,1] (0 black), row-major, both sides >= 1.
 * Writes IMAGE_PIXELS values to out. The background is the mean of the
 * picture's border pixels; above 0.5 the whole result is inverted. */
void image_to_fashion_mnist(const float *grey, int width, int height, float *out);

#endif
