/* features: penultimate activations and their PCA. */
#include "plot/features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "nn/net.h"
#include "core/util.h"
#include "store/weights_file.h"

#define FEATURE_BATCH 100

/* The values the output layer reads after an inference forward (its
 * first input's, with a skipped dropout passing its own input on). */
static const float *penultimate(const net *n)
{
    int from = n->layers[n->n_layers - 1].inputs[0];
    return from >= 0 ? n->values[from] : n->input;
}

int features_of_trial(const trial_record *t, const uint8_t *images, int n, float **features,
                      int *dims, char *err, int err_size)
{
    *features = NULL;
    net *m = net_new(&t->settings, FEATURE_BATCH, err, err_size);
    if (!m)
        return -1;
    if (weights_file_read(t->weights_file, t->weights_object, m, err, err_size) != 0) {
        net_free(m);
        return -1;
    }
    const layer *out = &m->layers[m->n_layers - 1];
    int d = out->in_c * out->in_h * out->in_w;
    float *f = xcalloc((size_t)n * (size_t)d + 1, sizeof *f);
    for (int first = 0; first < n; first += FEATURE_BATCH) {
        int B = n - first < FEATURE_BATCH ? n - first : FEATURE_BATCH;
        for (size_t i = 0; i < (size_t)B * IMAGE_PIXELS; i++)
            m->input[i] = images[(size_t)first * IMAGE_PIXELS + i] / 255.0f;
        memset(m->labels, 0, (size_t)B);
        forward_mode inference = { 0, B, 0, 0, 0 };
        net_forward(m, B, &inference);
        memcpy(f + (size_t)first * d, penultimate(m), sizeof *f * (size_t)B * (size_t)d);
    }
    net_free(m);
    *features = f;
    *dims = d;
    return 0;
}

/* v = C u for the d x d covariance C. */
static void multiply(const double *C, const double *u, double *v, int d)
{
    for (int i = 0; i < d; i++) {
        double s = 0;
        for (int j = 0; j < d; j++)
            s += C[(size_t)i * d + j] * u[j];
        v[i] = s;
    }
}

/* The leading eigenvector of C into u (unit length), its eigenvalue returned. */
static double leading_eigenvector(const double *C, int d, double *u)
{
    double *v = xcalloc((size_t)d, sizeof *v), lambda = 0;
    for (int j = 0; j < d; j++)
        u[j] = 1.0 / sqrt(d) * (1 + 0.01 * (j % 7));   /* fixed, not orthogonal to much */
    for (int iteration = 0; iteration < 300; iteration++) {
        multiply(C, u, v, d);
        double norm = 0;
        for (int j = 0; j < d; j++)
            norm += v[j] * v[j];
        norm = sqrt(norm);
        if (!(norm > 0))
            break;
        for (int j = 0; j < d; j++)
            u[j] = v[j] / norm;
        lambda = norm;
    }
    int largest = 0;
    for (int j = 1; j < d; j++)
        if (fabs(u[j]) > fabs(u[largest]))
            largest = j;
    if (u[largest] < 0)
        for (int j = 0; j < d; j++)
            u[j] = -u[j];
    free(v);
    return lambda;
}

void features_pca_2d(const float *features, int n, int d, double *xy, double explained[2])
{
    double *mean = xcalloc((size_t)d, sizeof *mean);
    double *C = xcalloc((size_t)d * (size_t)d, sizeof *C);
    double *u = xcalloc((size_t)d * 2, sizeof *u);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            mean[j] += features[(size_t)i * d + j] / n;
    double total = 0;
    for (int i = 0; i < n; i++) {
        const float *row = features + (size_t)i * d;
        for (int j = 0; j < d; j++) {
            double a = row[j] - mean[j];
            if (a == 0)
                continue;   /* adds nothing to row j of C (common: dead ReLU units) */
            for (int k = j; k < d; k++)
                C[(size_t)j * d + k] += a * (row[k] - mean[k]);
        }
    }
    for (int j = 0; j < d; j++)
        for (int k = j; k < d; k++) {
            C[(size_t)j * d + k] /= n > 1 ? n - 1 : 1;
            C[(size_t)k * d + j] = C[(size_t)j * d + k];
        }
    for (int j = 0; j < d; j++)
        total += C[(size_t)j * d + j];
    for (int c = 0; c < 2; c++) {
        double lambda = leading_eigenvector(C, d, u + (size_t)c * d);
        explained[c] = total > 0 ? lambda / total : 0;
        /* deflate: C -= lambda u u^T, so the next vector is the second */
        for (int j = 0; j < d; j++)
            for (int k = 0; k < d; k++)
                C[(size_t)j * d + k] -= lambda * u[(size_t)c * d + j] * u[(size_t)c * d + k];
    }
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 2; c++) {
            double s = 0;
            for (int j = 0; j < d; j++)
                s += (features[(size_t)i * d + j] - mean[j]) * u[(size_t)c * d + j];
            xy[2 * i + c] = s;
        }
    free(mean);
    free(C);
    free(u);
}
