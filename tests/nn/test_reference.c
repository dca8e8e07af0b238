/* test_reference: agreement with an independent implementation. The
 * fixture tests/fixtures/reference_net.bin was written by
 * tests/make_fixtures.py with PyTorch in float64 for a small net (two conv
 * blocks with batch norm, a hidden dense layer with L2 0.01 and batch norm,
 * the output layer; batch of 5) following Keras's conventions. Each stage
 * starts from the reference's own state for the stage before, so a float32
 * rounding difference in one stage is not amplified into the next (see
 * the script for why end-to-end comparison is unfair to float32). */
#include <math.h>
#include <string.h>

#include "optim/adam.h"
#include "fixture.h"
#include "nn/net.h"
#include "settings.h"
#include "testing.h"

#define FIXTURE "tests/fixtures/reference_net.bin"

/* The net make_fixtures.py builds: no dropout (its masks can't be matched). */
static trial_settings fixture_settings(void)
{
    return settings_from_text("[sweep]\nname = reference\n[train]\nbatch_size = 5\n"
                              "[model]\ngroups = 4/6, 8\ndense = 16\nbatch_norm = yes\n"
                              "dropout = 0\nl2 = 0.01\n");
}

static const fixture_tensor *need(const fixture_file *f, const char *prefix, const char *name)
{
    char full[160];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    const fixture_tensor *t = fixture_find(f, full);
    if (!t) {
        fprintf(stderr, "%s: no tensor %s\n", FIXTURE, full);
        exit(1);
    }
    return t;
}

/* Loads every parameter and moving statistic from "<stage>/NAME". */
static void load_state(net *n, const fixture_file *f, const char *stage)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%s/", stage);
    for (int i = 0; i < n->n_tensors; i++) {
        const net_tensor *t = &n->tensors[i];
        const fixture_tensor *ref = need(f, prefix, t->name);
        EXPECT((size_t)ref->size == t->count, "%s: %ld values, net has %zu", t->name, ref->size, t->count);
        memcpy(net_tensor_data(n, t, 0), ref->data, sizeof(float) * t->count);
    }
}

static void load_batch(net *n, const fixture_file *f, const char *input, const char *labels)
{
    const fixture_tensor *x = need(f, "", input), *y = need(f, "", labels);
    memcpy(n->input, x->data, sizeof(float) * (size_t)x->size);
    for (int b = 0; b < y->size; b++) {
        n->labels[b] = (uint8_t)y->data[b];
        n->sample_ids[b] = b;
    }
}

/* |ours - ref| <= rel * max|ref| + abs over the tensor; returns the worst. */
static void expect_close(const char *what, const float *ours, const fixture_tensor *ref,
                         double rel, double abs_tol)
{
    double scale = 0, worst = 0;
    long at = 0;
    for (long i = 0; i < ref->size; i++)
        scale = fabs(ref->data[i]) > scale ? fabs(ref->data[i]) : scale;
    for (long i = 0; i < ref->size; i++) {
        double d = fabs((double)ours[i] - ref->data[i]);
        if (d > worst) {
            worst = d;
            at = i;
        }
    }
    EXPECT(worst <= rel * scale + abs_tol, "%s[%ld]: ours %.8g, reference %.8g (max |ref| %.3g)",
           what, at, ours[at], ref->data[at], scale);
}

static double training_forward_backward(net *n, int B)
{
    forward_mode mode = { 1, B, 0, 1, 0 };
    double loss = net_forward(n, B, &mode) / B + net_l2_penalty(n);
    net_zero_grads(n);
    net_backward(n, B, B);
    net_add_l2_gradient(n);
    return loss;
}

/* Gradient tolerance: 1e-4 of the tensor's largest value (float32 against
 * float64 through ~10 layers); everything else to about 1e-6. */
static void expect_gradients(net *n, const fixture_file *f, const char *stage)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%s/", stage);
    for (int i = 0; i < n->n_tensors; i++) {
        const net_tensor *t = &n->tensors[i];
        if (t->home != TENSOR_PARAM)
            continue;
        expect_close(t->name, net_tensor_data(n, t, 1), need(f, prefix, t->name), 1e-4, 1e-6);
    }
}

static void expect_moving_statistics(net *n, const fixture_file *f, const char *stage)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%s/", stage);
    for (int i = 0; i < n->n_tensors; i++) {
        const net_tensor *t = &n->tensors[i];
        if (t->home == TENSOR_STATE)
            expect_close(t->name, net_tensor_data(n, t, 0), need(f, prefix, t->name), 1e-6, 1e-6);
    }
}

static fixture_file *fixture;
static net *model;

static void test_first_step_logits_loss_and_gradients_match_torch(void)
{
    load_state(model, fixture, "init");
    load_batch(model, fixture, "input", "labels");
    double loss = training_forward_backward(model, 5);
    expect_close("logits", model->layers[model->n_layers - 1].out, need(fixture, "", "logits"), 1e-6, 1e-6);
    EXPECT_NEAR(loss, need(fixture, "", "loss")->data[0], 0, 1e-6);
    expect_gradients(model, fixture, "grad");
    expect_moving_statistics(model, fixture, "step1");
}

static void test_second_step_from_reference_state_matches_torch(void)
{
    load_state(model, fixture, "step1");
    load_batch(model, fixture, "input2", "labels2");
    double loss = training_forward_backward(model, 5);
    EXPECT_NEAR(loss, need(fixture, "", "loss2")->data[0], 0, 1e-6);
    expect_gradients(model, fixture, "grad2");
    expect_moving_statistics(model, fixture, "step2");
}

/* Adam fed the reference gradients must land on the reference weights. */
static void test_two_adam_steps_match_keras_formula(void)
{
    load_state(model, fixture, "init");
    adam_state *adam = adam_new(model->n_params, need(fixture, "", "lr")->data[0]);
    const char *grads[2] = { "grad/", "grad2/" }, *after[2] = { "step1/", "step2/" };
    for (int step = 0; step < 2; step++) {
        for (int i = 0; i < model->n_tensors; i++) {
            const net_tensor *t = &model->tensors[i];
            if (t->home == TENSOR_PARAM)
                memcpy(net_tensor_data(model, t, 1), need(fixture, grads[step], t->name)->data,
                       sizeof(float) * t->count);
        }
        adam_update(adam, model->params, model->grads);
        for (int i = 0; i < model->n_tensors; i++) {
            const net_tensor *t = &model->tensors[i];
            if (t->home == TENSOR_PARAM)
                expect_close(t->name, net_tensor_data(model, t, 0),
                             need(fixture, after[step], t->name), 1e-6, 1e-7);
        }
    }
    adam_free(adam);
}

static void test_inference_uses_moving_statistics_like_torch(void)
{
    load_state(model, fixture, "step2");
    load_batch(model, fixture, "input", "labels");
    forward_mode mode = { 0, 5, 0, 0, 0 };
    net_forward(model, 5, &mode);
    expect_close("eval_logits", model->layers[model->n_layers - 1].out,
                 need(fixture, "", "eval_logits"), 1e-6, 1e-6);
}

int main(void)
{
    fixture = fixture_load(FIXTURE);
    if (!fixture)
        return 1;
    trial_settings t = fixture_settings();
    char err[256];
    model = net_new(&t, 5, err, sizeof err);
    if (!model) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    RUN_TEST(test_first_step_logits_loss_and_gradients_match_torch);
    RUN_TEST(test_second_step_from_reference_state_matches_torch);
    RUN_TEST(test_two_adam_steps_match_keras_formula);
    RUN_TEST(test_inference_uses_moving_statistics_like_torch);
    net_free(model);
    fixture_free(fixture);
    return testing_finish("test_reference");
}
