/* predict: a trained trial applied to new pictures. */
#include "report/predict.h"

#include <stdio.h>
#include <string.h>

#include "data/image.h"
#include "nn/net.h"
#include "store/results.h"
#include "core/util.h"
#include "store/weights_file.h"

#define PREDICT_BATCH 64

static const trial_record *best_done(const sweep_results *r)
{
    const trial_record *best = NULL;
    for (int i = 0; i < r->n_records; i++) {
        const trial_record *t = &r->records[i];
        if (t->status == TRIAL_DONE &&
            (!best || t->test.metrics.accuracy > best->test.metrics.accuracy))
            best = t;
    }
    return best;
}

/* NULL with the message printed if the trial cannot predict. */
static const trial_record *find_trial(const sweep_results *r, const char *path, const char *name)
{
    const trial_record *t = NULL;
    if (strcmp(name, "best") == 0)
        t = best_done(r);
    for (int i = 0; !t && i < r->n_records; i++)
        if (strcmp(r->records[i].settings.name, name) == 0)
            t = &r->records[i];
    if (!t)
        fprintf(stderr, "sweep: %s: no %s trial (sweep report %s lists them)\n", path,
                strcmp(name, "best") == 0 ? "done" : name, path);
    else if (t->status != TRIAL_DONE)
        fprintf(stderr, "sweep: %s: trial %s is %s; only a done trial has best weights\n", path,
                name, trial_status_names[t->status]);
    return t && t->status == TRIAL_DONE ? t : NULL;
}

static void print_predictions(net *n, const image_batch *b, int first, int count)
{
    for (int i = 0; i < count; i++) {
        const float *p = n->probs + (size_t)i * N_CLASSES;
        int k = 0;
        for (int j = 1; j < N_CLASSES; j++)
            if (p[j] > p[k])
                k = j;
        printf("%s\t%s\t%.4f\n", b->labels[first + i], class_names[k], p[k]);
    }
}

static int classify(const trial_record *t, const image_batch *b)
{
    char err[512];
    net *n = net_new(&t->settings, PREDICT_BATCH, err, sizeof err);
    CHECK(n, "%s", err);
    if (weights_file_read(t->weights_file, t->weights_object, n, err, sizeof err) != 0) {
        fprintf(stderr, "sweep: %s\n", err);
        net_free(n);
        return EXIT_IO;
    }
    for (int first = 0; first < b->count; first += PREDICT_BATCH) {
        int B = b->count - first < PREDICT_BATCH ? b->count - first : PREDICT_BATCH;
        memcpy(n->input, b->pixels + (size_t)first * IMAGE_PIXELS,
               sizeof(float) * IMAGE_PIXELS * (size_t)B);
        memset(n->labels, 0, (size_t)B);   /* the loss is not wanted, only the probabilities */
        forward_mode inference = { 0, B, 0, 0, 0 };
        net_forward(n, B, &inference);
        print_predictions(n, b, first, B);
    }
    net_free(n);
    return 0;
}

int predict_command(const char *results_path, const char *trial, char *const *images,
                    int n_images)
{
    sweep_results r;
    char err[2048];
    if (results_read(&r, results_path, err, sizeof err) != 0) {
        fprintf(stderr, "sweep: %s\n", err);
        return EXIT_IO;
    }
    int rc = 0;
    const trial_record *t = find_trial(&r, results_path, trial);
    image_batch batch;
    memset(&batch, 0, sizeof batch);
    if (!t)
        rc = EXIT_USAGE;
    for (int i = 0; rc == 0 && i < n_images; i++)
        if (image_batch_add_file(&batch, images[i], err, sizeof err) != 0) {
            fprintf(stderr, "sweep: %s\n", err);
            rc = EXIT_DATA;
        }
    if (rc == 0)
        rc = classify(t, &batch);
    image_batch_free(&batch);
    results_free(&r);
    return rc;
}
