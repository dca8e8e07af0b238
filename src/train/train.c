/* train: the epoch loop, early stopping and the final test. */
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/util.h"

trainer *trainer_new(const trial_settings *t, const dataset *d, char *err, int err_size)
{
    return trainer_new_in_group(t, d, NULL, err, err_size);
}

trainer *trainer_new_in_group(const trial_settings *t, const dataset *d,
                              const trial_group *group, char *err, int err_size)
{
    /* A rank's largest share of a global batch, and no batch is larger than
     * the training set: bigger buffers would never be filled. Evaluation
     * (the leader's) uses the same size. */
    int global = t->batch_size < d->train.count ? t->batch_size : d->train.count;
    int ranks = group ? group->size : 1;
    int max_batch = (global + ranks - 1) / ranks;
    net *n = net_new(t, max_batch > 0 ? max_batch : 1, err, err_size);
    if (!n)
        return NULL;
    trainer *tr = xcalloc(1, sizeof *tr);
    tr->settings = *t;
    tr->data = d;
    tr->group = group;
    tr->net = n;
    if (group)
        n->reduce = (group_reducer){ group_sum_doubles, (void *)group };
    net_init(n, t->seed);
    if (pretrained_load(n, t, &tr->pretrained, err, err_size) != 0) {
        net_free(n);
        free(tr);
        return NULL;
    }
    tr->adam = adam_new(n->n_params - n->trained_from, (float)t->learning_rate);
    tr->best_params = xcalloc(n->n_params, sizeof(float));
    tr->best_state = xcalloc(n->n_state, sizeof(float));
    tr->history = xcalloc((size_t)t->epochs, sizeof(epoch_record));
    tr->order = xcalloc((size_t)d->train.count, sizeof(int));
    tr->eval_indices = xcalloc((size_t)n->max_batch, sizeof(int));
    tr->test_predictions = xcalloc((size_t)d->test.count, sizeof(uint8_t));
    tr->features.layer = -1;
    return tr;
}

void trainer_free(trainer *tr)
{
    if (!tr)
        return;
    net_free(tr->net);
    adam_free(tr->adam);
    free(tr->best_params);
    free(tr->best_state);
    free(tr->history);
    free(tr->order);
    free(tr->eval_indices);
    free(tr->test_predictions);
    frozen_features_free(&tr->features);
    free(tr);
}

/* Keras reshuffles the training set before every epoch. Each epoch starts
 * from the identity, so the order depends on (seed, epoch) alone. */
static void shuffle_for_epoch(int *order, int count, uint64_t seed, int epoch)
{
    rng_stream s = rng_stream_new(rng_key(seed, RNG_SHUFFLE, (uint64_t)epoch, 0));
    for (int i = 0; i < count; i++)
        order[i] = i;
    for (int i = count - 1; i > 0; i--) {
        int j = (int)rng_below(&s, (uint32_t)i + 1);
        int tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
}

static void load_batch(const trainer *tr, const image_set *s, const int *indices, int B)
{
    net *n = tr->net;
    const int features = frozen_features_load(tr, s, indices, B);
    for (int b = 0; b < B; b++) {
        if (!features)
            memcpy(n->input + (size_t)b * IMAGE_PIXELS, s->images + (size_t)indices[b] * IMAGE_PIXELS,
                   sizeof(float) * IMAGE_PIXELS);
        n->labels[b] = s->labels[indices[b]];
        n->sample_ids[b] = indices[b];
    }
}

static int argmax_class(const float *p)
{
    int best = 0;
    for (int c = 1; c < N_CLASSES; c++)
        if (p[c] > p[best])
            best = c;
    return best;
}

static int count_correct(const net *n, int B)
{
    int correct = 0;
    for (int b = 0; b < B; b++)
        correct += argmax_class(n->probs + (size_t)b * N_CLASSES) == n->labels[b];
    return correct;
}

/* One optimisation step on this rank's B rows (already in n) of a global
 * batch of global_B. The loss gradient is scaled by the global batch, so
 * the group's sum is the gradient of the global mean: one allreduce over
 * the whole gradient buffer. L2 is added after it, once. Returns this
 * rank's sum of cross-entropies. */
static double train_step(trainer *tr, int B, int global_B, int epoch)
{
    net *n = tr->net;
    forward_mode mode = { 1, global_B, tr->settings.seed, epoch, 0 };
    double ce_sum = net_forward(n, B, &mode);
    net_zero_grads(n);
    net_backward(n, B, global_B);
    /* A frozen front's parameters come first and never change: the sum
     * and the update cover the trained ones only. */
    const size_t from = n->trained_from;
    group_sum_floats(tr->group, n->grads + from, n->n_params - from);
    net_add_l2_gradient(n);
    adam_update(tr->adam, n->params + from, n->grads + from);
    return ce_sum;
}

double trainer_train_batch(trainer *tr, const image_set *s, const int *indices, int B,
                           int global_B, int epoch)
{
    load_batch(tr, s, indices, B);
    return train_step(tr, B, global_B, epoch);
}

/* Returns -1 if the group agreed to stop before the epoch was done. */
static int train_one_epoch(trainer *tr, int epoch, epoch_record *r)
{
    const image_set *train = &tr->data->train;
    const int bs = tr->settings.batch_size;
    shuffle_for_epoch(tr->order, train->count, tr->settings.seed, epoch);
    /* [0] cross-entropy sum, [1] correct predictions: this rank's rows,
     * summed over the group once at the end of the epoch. */
    double sums[2] = { 0.0, 0.0 }, penalty_sum = 0.0;
    /* The progress report's own copy of the penalty: this rank's rows only. */
    double rows_penalty_sum = 0.0;
    step_report report = { epoch, 0, (train->count + bs - 1) / bs, 0, 0, 0.0, 0 };
    if (tr->on_step)
        tr->on_step(&report, tr->on_step_ctx);
    for (int start = 0; start < train->count; start += bs) {
        /* Keras keeps the short last batch. */
        int wants_stop = tr->stop_requested ? tr->stop_requested() : 0;
        if (group_any(tr->group, wants_stop))
            return -1;
        int global_B = train->count - start < bs ? train->count - start : bs;
        int first, B;
        group_share(tr->group, global_B, &first, &B);
        /* Keras reports each batch's loss before its update. */
        const double penalty = net_l2_penalty(tr->net);
        penalty_sum += penalty * global_B;
        sums[0] += trainer_train_batch(tr, train, tr->order + start + first, B, global_B, epoch);
        sums[1] += count_correct(tr->net, B);
        if (tr->on_step) {
            rows_penalty_sum += penalty * B;
            report.step++;
            report.images = start + global_B;
            report.rows += B;
            report.loss_sum = sums[0] + rows_penalty_sum;
            report.correct = (long)sums[1];
            tr->on_step(&report, tr->on_step_ctx);
        }
    }
    group_sum_doubles(sums, 2, (void *)tr->group);
    r->loss = (sums[0] + penalty_sum) / train->count;
    r->accuracy = sums[1] / train->count;
    return 0;
}

/* The leader validates and tells the group. The leader's weights are also
 * copied to every rank: an allreduce need not hand every rank the same
 * float sum, and ranks whose weights drifted apart by an ulp would train
 * different models from there on. */
static void validate_in_group(trainer *tr, epoch_record *r)
{
    const trial_group *g = tr->group;
    if (!g || g->rank == 0)
        trainer_evaluate(tr, &tr->data->validation, &r->val_loss, &r->val_accuracy, NULL);
    if (!g)
        return;
    double measured[2] = { r->val_loss, r->val_accuracy };
    group_broadcast(g, measured, sizeof measured);
    r->val_loss = measured[0];
    r->val_accuracy = measured[1];
    group_broadcast(g, tr->net->params, sizeof(float) * tr->net->n_params);
    group_broadcast(g, tr->net->state, sizeof(float) * tr->net->n_state);
}

void trainer_evaluate(trainer *tr, const image_set *s, double *loss, double *accuracy,
                      uint8_t *predictions)
{
    net *n = tr->net;
    if (s->count == 0) { /* validation_split = 0: nothing to measure */
        *loss = *accuracy = NAN;
        return;
    }
    forward_mode mode = { 0, 0, 0, 0, 0 };
    double ce_sum = 0.0;
    long correct = 0;
    for (int start = 0; start < s->count; start += n->max_batch) {
        mode.weights_unchanged = start > 0;   /* conv layers keep their transformed kernels */
        int B = s->count - start < n->max_batch ? s->count - start : n->max_batch;
        for (int b = 0; b < B; b++)
            tr->eval_indices[b] = start + b;
        load_batch(tr, s, tr->eval_indices, B);
        mode.global_batch = B;
        ce_sum += net_forward(n, B, &mode);
        correct += count_correct(n, B);
        if (predictions)
            for (int b = 0; b < B; b++)
                predictions[start + b] = (uint8_t)argmax_class(n->probs + (size_t)b * N_CLASSES);
    }
    *loss = ce_sum / s->count + net_l2_penalty(n);
    *accuracy = (double)correct / s->count;
}

/* Keras EarlyStopping(monitor='val_accuracy', patience, restore_best_weights):
 * an epoch improves when it beats the best strictly; training stops once
 * `patience` epochs in a row have not. */
static void update_early_stopping(trainer *tr, const epoch_record *r)
{
    net *n = tr->net;
    /* Without a validation set every epoch counts as the best, as Keras
     * ignores an EarlyStopping whose monitored value is missing. */
    int no_validation = tr->data->validation.count == 0;
    if (tr->best_epoch == 0 || no_validation || r->val_accuracy > tr->best_val_accuracy) {
        tr->best_epoch = r->epoch;
        tr->best_val_accuracy = r->val_accuracy;
        tr->epochs_since_best = 0;
        memcpy(tr->best_params, n->params, sizeof(float) * n->n_params);
        memcpy(tr->best_state, n->state, sizeof(float) * n->n_state);
    } else {
        tr->epochs_since_best++;
    }
    if (tr->epochs_since_best >= tr->settings.patience && tr->epochs_since_best > 0)
        tr->stopped = 1;
    if (tr->epochs_done >= tr->settings.epochs)
        tr->stopped = 1;
}

const epoch_record *trainer_epoch(trainer *tr)
{
    if (tr->features.layer < 0 && tr->net->frozen_output >= 0)
        trainer_use_frozen_features(tr, NULL);   /* in memory only */
    CHECK(!tr->stopped && !tr->interrupted, "trainer_epoch called after training stopped");
    const double start = wall_seconds();
    epoch_record *r = &tr->history[tr->epochs_done];
    r->epoch = tr->epochs_done + 1;
    if (train_one_epoch(tr, r->epoch, r) != 0) {
        tr->interrupted = 1;
        return NULL;
    }
    validate_in_group(tr, r);
    r->seconds = wall_seconds() - start;
    tr->epochs_done++;
    update_early_stopping(tr, r);
    return r;
}

void trainer_fit(trainer *tr, epoch_callback on_epoch, void *ctx)
{
    while (!tr->stopped) {
        const epoch_record *r = trainer_epoch(tr);
        if (!r)
            return;
        if (on_epoch)
            on_epoch(r, ctx);
    }
}

void trainer_test(trainer *tr, test_result *result)
{
    net *n = tr->net;
    /* Keras restores the best weights only when early stopping fires; we
     * always do, so the reported model is the best validated one. */
    if (tr->best_epoch > 0) {
        memcpy(n->params, tr->best_params, sizeof(float) * n->n_params);
        memcpy(n->state, tr->best_state, sizeof(float) * n->n_state);
    }
    double accuracy;
    const image_set *test = &tr->data->test;
    trainer_evaluate(tr, test, &result->loss, &accuracy, tr->test_predictions);
    metrics_from_predictions(&result->metrics, test->labels, tr->test_predictions, test->count);
}

/* Where a trainer stands, as (buffer, bytes) pairs: what a checkpoint
 * saves, trainer_copy_state copies and trainer_broadcast_state sends. The
 * counters travel packed as doubles in `counters` (pack_counters and
 * unpack_counters). */
enum { STATE_BUFFERS = 8, STATE_COUNTERS = 6 };
typedef struct { void *data; size_t bytes; } state_buffer;

static void state_buffers(trainer *tr, double *counters, state_buffer out[STATE_BUFFERS])
{
    net *n = tr->net;
    const size_t params = sizeof(float) * n->n_params, state = sizeof(float) * n->n_state;
    out[0] = (state_buffer){ n->params, params };
    out[1] = (state_buffer){ n->state, state };
    out[2] = (state_buffer){ tr->adam->m, sizeof(float) * tr->adam->count };
    out[3] = (state_buffer){ tr->adam->v, sizeof(float) * tr->adam->count };
    out[4] = (state_buffer){ tr->best_params, params };
    out[5] = (state_buffer){ tr->best_state, state };
    out[6] = (state_buffer){ tr->history, sizeof(epoch_record) * (size_t)tr->settings.epochs };
    out[7] = (state_buffer){ counters, sizeof(double) * STATE_COUNTERS };
}

static void pack_counters(const trainer *tr, double c[STATE_COUNTERS])
{
    c[0] = (double)tr->adam->step;
    c[1] = tr->epochs_done;
    c[2] = tr->best_epoch;
    c[3] = tr->best_val_accuracy;
    c[4] = tr->epochs_since_best;
    c[5] = tr->stopped;
}

static void unpack_counters(trainer *tr, const double c[STATE_COUNTERS])
{
    tr->adam->step = (long)c[0];
    tr->epochs_done = (int)c[1];
    tr->best_epoch = (int)c[2];
    tr->best_val_accuracy = c[3];
    tr->epochs_since_best = (int)c[4];
    tr->stopped = (int)c[5];
}

void trainer_broadcast_state(trainer *tr, const trial_group *g)
{
    double counters[STATE_COUNTERS];
    state_buffer buffers[STATE_BUFFERS];
    pack_counters(tr, counters);
    state_buffers(tr, counters, buffers);
    for (int i = 0; i < STATE_BUFFERS; i++)
        group_broadcast(g, buffers[i].data, buffers[i].bytes);
    unpack_counters(tr, counters);
}

void trainer_copy_state(trainer *dst, const trainer *src)
{
    CHECK(dst->net->n_params == src->net->n_params && dst->net->n_state == src->net->n_state &&
          dst->settings.epochs == src->settings.epochs, "trainers of different shapes");
    double from_counters[STATE_COUNTERS], to_counters[STATE_COUNTERS];
    state_buffer from[STATE_BUFFERS], to[STATE_BUFFERS];
    pack_counters(src, from_counters);
    state_buffers((trainer *)src, from_counters, from);
    state_buffers(dst, to_counters, to);
    for (int i = 0; i < STATE_BUFFERS; i++)
        memcpy(to[i].data, from[i].data, from[i].bytes);
    unpack_counters(dst, to_counters);
}
