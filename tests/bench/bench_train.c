/* bench_train: images per second of one training step (forward, backward,
 * Adam) and of inference, for one experiment of a configuration file, on
 * real Fashion-MNIST batches. tests/bench.sh runs it beside the same model
 * in PyTorch (tests/bench_torch.py) and prints the comparison.
 *   bench_train CFG EXPERIMENT BATCH STEPS [--layers]
 * Prints one line of "key=value" fields (train_img_s, eval_img_s,
 * train_gflop_s, sgemm_gflop_s, rss_mb) and, with --layers, a line per
 * layer: its forward and backward milliseconds per training step and its
 * milliseconds per inference batch. */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config/config.h"
#include "nn/layers/conv2d.h"
#include "train/train.h"
#include "core/util.h"

/* Multiply-adds x 2 of one image's forward pass through conv and dense
 * layers (the rest is memory traffic); training counts three passes. */
static double forward_flops(const net *n)
{
    double flops = 0.0;
    for (int i = 0; i < n->n_layers; i++) {
        const layer *L = &n->layers[i];
        if (L->ops == &conv_ops)
            flops += 2.0 * L->in_c * L->out_c * L->spec.kh * L->spec.kw * L->out_h * L->out_w;
        else if (L->ops == &dense_ops)
            flops += 2.0 * L->in_c * L->in_h * L->in_w * L->out_c;
    }
    return flops;
}

/* This machine's sgemm rate on conv3 of s1e6 at batch 64. */
static double sgemm_gflop_s(void)
{
    const int M = 512, N = 3136, K = 2304;
    float *A = xcalloc((size_t)M * K, sizeof(float)), *B = xcalloc((size_t)K * N, sizeof(float));
    float *C = xcalloc((size_t)M * N, sizeof(float));
    for (size_t i = 0; i < (size_t)M * K; i++)
        A[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < (size_t)K * N; i++)
        B[i] = (float)(i % 5) * 0.1f;
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t = omp_get_wtime();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
        t = omp_get_wtime() - t;
        best = t < best ? t : best;
    }
    free(A);
    free(B);
    free(C);
    return 2.0 * M * N * K / best / 1e9;
}

static const trial_settings *find_experiment(const sweep_config *c, const char *name)
{
    for (int i = 0; i < c->n_trials; i++)
        if (strcmp(c->trials[i].experiment, name) == 0)
            return &c->trials[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench_train CFG EXPERIMENT BATCH STEPS [--layers]\n");
        return 2;
    }
    const int batch = atoi(argv[3]), steps = atoi(argv[4]);
    const int layers = argc > 5 && strcmp(argv[5], "--layers") == 0;
    char err[1024];
    sweep_config *c = config_load(argv[1], err, sizeof err);
    CHECK(c, "%s", err);
    const trial_settings *found = find_experiment(c, argv[2]);
    CHECK(found, "%s: no experiment %s", argv[1], argv[2]);
    trial_settings t = *found;
    t.batch_size = batch;
    const int images = batch * (steps + 2);
    dataset d;
    CHECK(dataset_load(&d, t.data_dir, 0.0, images, images, err, sizeof err) == 0, "%s", err);
    trainer *tr = trainer_new(&t, &d, err, sizeof err);
    CHECK(tr, "%s", err);
    net *n = tr->net;
    double *seconds = xcalloc(2 * (size_t)n->n_layers, sizeof(double));
    int *indices = xcalloc((size_t)images, sizeof(int));
    for (int i = 0; i < images; i++)
        indices[i] = i;

    /* two warm-up steps (first touches of every buffer), then the timed ones */
    for (int s = 0; s < 2; s++)
        trainer_train_batch(tr, &d.train, indices + s * batch, batch, batch, 1);
    n->layer_seconds = seconds;
    double start = omp_get_wtime();
    for (int s = 2; s < steps + 2; s++)
        trainer_train_batch(tr, &d.train, indices + s * batch, batch, batch, 1);
    double train_s = omp_get_wtime() - start;
    n->layer_seconds = NULL;

    double loss, accuracy;
    image_set warm = { batch, d.test.images, d.test.labels };
    trainer_evaluate(tr, &warm, &loss, &accuracy, NULL);
    double *eval_seconds = xcalloc(2 * (size_t)n->n_layers, sizeof(double));
    n->layer_seconds = eval_seconds;
    start = omp_get_wtime();
    trainer_evaluate(tr, &d.test, &loss, &accuracy, NULL);
    double eval_s = omp_get_wtime() - start;
    n->layer_seconds = NULL;
    const int eval_batches = (d.test.count + batch - 1) / batch;

    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    const double train_img_s = steps ? (double)batch * steps / train_s : 0.0;
    printf("model=%s batch=%d threads=%d train_img_s=%.2f eval_img_s=%.2f train_gflop_s=%.1f "
           "sgemm_gflop_s=%.1f rss_mb=%.1f\n", argv[2], batch, omp_get_max_threads(), train_img_s,
           d.test.count / eval_s, 3.0 * forward_flops(n) * train_img_s / 1e9, sgemm_gflop_s(),
           usage.ru_maxrss / 1024.0);
    char blocks[512], dense[256];
    trial_blocks_text(&t, blocks, sizeof blocks);
    trial_dense_text(&t, dense, sizeof dense);
    printf("arch --blocks %s --dense %s --bn %d --dropout %g --l2 %g\n", blocks, dense,
           t.batch_norm, t.dropout, t.l2);
    if (layers)
        for (int i = 0; i < n->n_layers; i++)
            printf("layer %-16s %-10s %-9s fwd_ms=%.3f bwd_ms=%.3f eval_ms=%.3f\n",
                   n->layers[i].name, n->layers[i].ops->name,
                   layer_algorithm(&n->layers[i]), steps ? 1e3 * seconds[i] / steps : 0.0,
                   steps ? 1e3 * seconds[n->n_layers + i] / steps : 0.0,
                   1e3 * eval_seconds[i] / eval_batches);
    free(seconds);
    free(eval_seconds);
    free(indices);
    trainer_free(tr);
    dataset_free(&d);
    config_free(c);
    return 0;
}
