/* predict: `sweep predict RESULTS.h5 TRIAL IMAGE...` -- classifies
 * pictures with a finished trial's best weights, read back from the
 * results file, and prints one line per image: the image, the class name
 * and its softmax probability. TRIAL may be `best`, the done trial with
 * the highest test accuracy. Images are read by image.h (IDX, PGM, PNG). */
#ifndef SWEEP_PREDICT_H
#define SWEEP_PREDICT_H

/* Returns 0, or EXIT_IO (results file), EXIT_USAGE (no such trial, or not
 * done) or EXIT_DATA (an image) with one line on stderr. */
int predict_command(const char *results_path, const char *trial, char *const *images,
                    int n_images);

#endif
