/* test_graph_reference: the graph engine against an independent
 * implementation. tests/make_graph_fixture.py reads the network text
 * tests/fixtures/graph_net.net with a parser of its own, runs it in PyTorch
 * in float64 with Keras's meaning and writes tests/fixtures/graph_net.bin;
 * this test builds the engine from the same text. The network has a
 * strided 'same' conv with uneven padding, 1x1 and 1x3 convs, a batch norm
 * read by three layers, a residual add, a concat, 'same' average pooling,
 * zero padding, 'valid' conv and max pooling, global average pooling, a
 * hidden dense layer with the trial's L2, a 2-D batch norm and the output
 * dense layer with an L2 of its own; batch of 4.
 *
 * Two cases: grey28 (the file as it is) and rgb32 (the file behind an
 * [input] section resizing to 3 x 32 x 32). Each stage starts from the
 * reference's own values: the training step from CASE/init/, inference
 * from CASE/init/ with the reference's updated moving statistics. */
#include <math.h>
#include <string.h>

#include "fixture.h"
#include "nn/net.h"
#include "testing.h"

#define FIXTURE "tests/fixtures/graph_net.bin"
#define NETWORK "tests/fixtures/graph_net.net"
#define BATCH 4

/* What make_graph_fixture.py puts in front of the file for rgb32. */
#define RGB32_INPUT "[input]\nchannels = 3\nsize = 32\n\n"

typedef struct {
    const char *name;            /* the fixture's prefix: "grey28", "rgb32" */
    const char *input_section;   /* put in front of the network file */
    char *text;
    net *model;
} graph_case;

static fixture_file *fixture;
static graph_case cases[] = {
    { "grey28", "", NULL, NULL },
    { "rgb32", RGB32_INPUT, NULL, NULL },
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static const fixture_tensor *need(const char *prefix, const char *name)
{
    char full[160];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    const fixture_tensor *t = fixture_find(fixture, full);
    if (!t) {
        fprintf(stderr, "%s: no tensor %s\n", FIXTURE, full);
        exit(1);
    }
    return t;
}

/* The network file with `before` in front; NULL (and a message) if the
 * file cannot be read. */
static char *read_network(const char *before)
{
    FILE *fp = fopen(NETWORK, "rb");
    if (!fp) {
        perror(NETWORK);
        return NULL;
    }
    char *text = NULL;
    long bytes = -1;
    if (fseek(fp, 0, SEEK_END) == 0)
        bytes = ftell(fp);
    size_t head = strlen(before);
    if (bytes >= 0 && fseek(fp, 0, SEEK_SET) == 0 && (text = malloc(head + (size_t)bytes + 1))) {
        memcpy(text, before, head);
        if (fread(text + head, 1, (size_t)bytes, fp) != (size_t)bytes) {
            free(text);
            text = NULL;
        } else {
            text[head + (size_t)bytes] = '\0';
        }
    }
    if (!text)
        fprintf(stderr, "%s: cannot read\n", NETWORK);
    fclose(fp);
    return text;
}

static int same_shape(const net_tensor *t, const fixture_tensor *ref)
{
    if (t->ndim != ref->ndim)
        return 0;
    for (int d = 0; d < t->ndim; d++)
        if (t->dims[d] != ref->dims[d])
            return 0;
    return 1;
}

static const char *shape_text(char buf[64], int ndim, const int *dims)
{
    int n = snprintf(buf, 64, "(");
    for (int d = 0; d < ndim && n < 64; d++)
        n += snprintf(buf + n, (size_t)(64 - n), d ? ", %d" : "%d", dims[d]);
    if (n < 64)
        snprintf(buf + n, (size_t)(64 - n), ")");
    return buf;
}

/* Every fixture tensor under "CASE/STAGE/" is an engine tensor of the same
 * name and shape (of the given home when home >= 0), and every engine
 * tensor of that home is in the fixture under that stage. */
static void expect_same_tensors(const graph_case *c, const char *stage, int home)
{
    char prefix[64], a[64], b[64];
    snprintf(prefix, sizeof prefix, "%s/%s/", c->name, stage);
    size_t len = strlen(prefix);
    for (int i = 0; i < fixture->count; i++) {
        const fixture_tensor *ref = &fixture->tensors[i];
        if (strncmp(ref->name, prefix, len) != 0)
            continue;
        const net_tensor *t = net_find_tensor(c->model, ref->name + len);
        EXPECT(t != NULL, "%s: the engine has no tensor %s", ref->name, ref->name + len);
        if (!t)
            continue;
        EXPECT(home < 0 || (int)t->home == home, "%s: engine tensor %s is %s", ref->name, t->name,
               t->home == TENSOR_PARAM ? "a parameter" : "state");
        EXPECT(same_shape(t, ref), "%s: engine %s, fixture %s", ref->name,
               shape_text(a, t->ndim, t->dims), shape_text(b, ref->ndim, ref->dims));
    }
    for (int i = 0; i < c->model->n_tensors; i++) {
        const net_tensor *t = &c->model->tensors[i];
        if (home >= 0 && (int)t->home != home)
            continue;
        char full[160];
        snprintf(full, sizeof full, "%s%s", prefix, t->name);
        EXPECT(fixture_find(fixture, full) != NULL, "engine tensor %s: the fixture has no %s",
               t->name, full);
    }
}

/* Loads every engine tensor from "CASE/STAGE2/NAME", or "CASE/STAGE/NAME"
 * where stage2 is NULL or lacks it. Returns 0 (a failure recorded) if a
 * tensor is missing or has another shape: nothing then is worth comparing. */
static int load_state(const graph_case *c, const char *stage, const char *stage2)
{
    int ok = 1;
    char prefix[64], prefix2[64], full[160];
    snprintf(prefix, sizeof prefix, "%s/%s/", c->name, stage);
    snprintf(prefix2, sizeof prefix2, "%s/%s/", c->name, stage2 ? stage2 : stage);
    for (int i = 0; i < c->model->n_tensors; i++) {
        const net_tensor *t = &c->model->tensors[i];
        snprintf(full, sizeof full, "%s%s", prefix2, t->name);
        const fixture_tensor *ref = fixture_find(fixture, full);
        if (!ref) {
            snprintf(full, sizeof full, "%s%s", prefix, t->name);
            ref = fixture_find(fixture, full);
        }
        EXPECT(ref && same_shape(t, ref) && (size_t)ref->size == t->count,
               "%s: engine tensor %s is not in the fixture with its shape", c->name, t->name);
        if (!ref || !same_shape(t, ref) || (size_t)ref->size != t->count) {
            ok = 0;
            continue;
        }
        memcpy(net_tensor_data(c->model, t, 0), ref->data, sizeof(float) * t->count);
    }
    return ok;
}

static void load_batch(net *n)
{
    const fixture_tensor *x = need("", "input"), *y = need("", "labels");
    memcpy(n->input, x->data, sizeof(float) * (size_t)x->size);
    for (int b = 0; b < y->size; b++) {
        n->labels[b] = (uint8_t)y->data[b];
        n->sample_ids[b] = b;
    }
}

/* |ours - ref| <= rel * max|ref| + abs over the tensor; reports the worst. */
static void expect_close(const char *case_name, const char *what, const float *ours,
                         const fixture_tensor *ref, double rel, double abs_tol)
{
    double scale = 0, worst = 0;
    long at = 0;
    for (long i = 0; i < ref->size; i++)
        scale = fabs(ref->data[i]) > scale ? fabs(ref->data[i]) : scale;
    for (long i = 0; i < ref->size; i++) {
        double d = fabs((double)ours[i] - ref->data[i]);
        if (!(d <= worst)) {   /* a NaN is the worst of all */
            worst = d;
            at = i;
        }
    }
    EXPECT(worst <= rel * scale + abs_tol,
           "%s %s[%ld]: ours %.8g, reference %.8g (difference %.3g, max |ref| %.3g)",
           case_name, what, at, ours[at], ref->data[at], worst, scale);
}

/* From CASE/init/: the loss as Keras reports it, gradients with L2.
 * Returns NAN if the state could not be loaded. */
static double training_step(graph_case *c)
{
    if (!load_state(c, "init", NULL))
        return NAN;
    load_batch(c->model);
    forward_mode mode = { 1, BATCH, 0, 1, 0 };
    double loss = net_forward(c->model, BATCH, &mode) / BATCH + net_l2_penalty(c->model);
    net_zero_grads(c->model);
    net_backward(c->model, BATCH, BATCH);
    net_add_l2_gradient(c->model);
    return loss;
}

static const float *logits(const net *n)
{
    return n->layers[n->n_layers - 1].out;
}

static void test_graph_tensors_have_the_fixtures_names_and_shapes(void)
{
    for (int k = 0; k < N_CASES; k++) {
        expect_same_tensors(&cases[k], "init", -1);
        expect_same_tensors(&cases[k], "grad", TENSOR_PARAM);
        expect_same_tensors(&cases[k], "moving", TENSOR_STATE);
    }
}

static void test_graph_training_logits_and_loss_with_l2_match_torch(void)
{
    char prefix[32];
    for (int k = 0; k < N_CASES; k++) {
        graph_case *c = &cases[k];
        snprintf(prefix, sizeof prefix, "%s/", c->name);
        double loss = training_step(c);
        if (isnan(loss))
            continue;
        expect_close(c->name, "logits", logits(c->model), need(prefix, "logits"), 1e-6, 1e-6);
        double ce = loss - net_l2_penalty(c->model), ref_ce = need(prefix, "ce_loss")->data[0];
        double ref_loss = need(prefix, "loss")->data[0];
        EXPECT(fabs(ce - ref_ce) <= 1e-6 * fabs(ref_ce), "%s cross-entropy: ours %.9g, reference %.9g",
               c->name, ce, ref_ce);
        EXPECT(fabs(loss - ref_loss) <= 1e-6 * fabs(ref_loss), "%s loss: ours %.9g, reference %.9g",
               c->name, loss, ref_loss);
    }
}

/* Gradient tolerance: 1e-4 of the tensor's largest value, as
 * test_reference.c (float32 against float64 through ~18 layers). */
static void test_graph_gradients_of_every_parameter_match_torch(void)
{
    char prefix[32];
    for (int k = 0; k < N_CASES; k++) {
        graph_case *c = &cases[k];
        snprintf(prefix, sizeof prefix, "%s/grad/", c->name);
        if (isnan(training_step(c)))
            continue;
        for (int i = 0; i < c->model->n_tensors; i++) {
            const net_tensor *t = &c->model->tensors[i];
            if (t->home != TENSOR_PARAM)
                continue;
            char full[160];
            snprintf(full, sizeof full, "%s%s", prefix, t->name);
            const fixture_tensor *ref = fixture_find(fixture, full);
            EXPECT(ref != NULL, "%s: the fixture has no %s", c->name, full);
            if (ref)
                expect_close(c->name, t->name, net_tensor_data(c->model, t, 1), ref, 1e-4, 1e-6);
        }
    }
}

/* The moving update is momentum * old + (1 - momentum) * the batch's
 * statistic, so the stored moving value checks the batch's 1% share only
 * to about 1e-4 of itself. The statistic it implies, (new - momentum * old)
 * / (1 - momentum), is checked to 1e-4 of its largest value: enough to tell
 * the unbiased batch variance after a conv (n/(n-1) of the biased one, n =
 * 784 values a channel in grey28, 1024 in rgb32) from the biased one. */
static void expect_batch_statistic(const graph_case *c, const net_tensor *t, const fixture_tensor *ref)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s/init/", c->name);
    const fixture_tensor *old = need(prefix, t->name);
    const float *ours = net_tensor_data(c->model, t, 0);
    double m = need("", "bn_momentum")->data[0], scale = 0, worst = 0, at_ours = 0, at_ref = 0;
    long at = 0;
    for (long i = 0; i < ref->size; i++)
        scale = fmax(scale, fabs((ref->data[i] - m * old->data[i]) / (1 - m)));
    for (long i = 0; i < ref->size; i++) {
        double a = (ours[i] - m * old->data[i]) / (1 - m), b = (ref->data[i] - m * old->data[i]) / (1 - m);
        if (!(fabs(a - b) <= worst)) {
            worst = fabs(a - b);
            at = i;
            at_ours = a;
            at_ref = b;
        }
    }
    EXPECT(worst <= 1e-4 * scale + 1e-7,
           "%s %s[%ld]: the batch statistic it took is %.8g, the reference's %.8g (max %.3g)",
           c->name, t->name, at, at_ours, at_ref, scale);
}

static void test_graph_moving_statistics_after_training_forward_match_torch(void)
{
    char prefix[32];
    for (int k = 0; k < N_CASES; k++) {
        graph_case *c = &cases[k];
        snprintf(prefix, sizeof prefix, "%s/moving/", c->name);
        if (isnan(training_step(c)))
            continue;
        for (int i = 0; i < c->model->n_tensors; i++) {
            const net_tensor *t = &c->model->tensors[i];
            if (t->home != TENSOR_STATE)
                continue;
            char full[160];
            snprintf(full, sizeof full, "%s%s", prefix, t->name);
            const fixture_tensor *ref = fixture_find(fixture, full);
            EXPECT(ref != NULL, "%s: the fixture has no %s", c->name, full);
            if (!ref)
                continue;
            expect_close(c->name, t->name, net_tensor_data(c->model, t, 0), ref, 1e-6, 1e-6);
            expect_batch_statistic(c, t, ref);
        }
    }
}

static void test_graph_inference_uses_moving_statistics_like_torch(void)
{
    char prefix[32];
    for (int k = 0; k < N_CASES; k++) {
        graph_case *c = &cases[k];
        snprintf(prefix, sizeof prefix, "%s/", c->name);
        if (!load_state(c, "init", "moving"))
            continue;
        load_batch(c->model);
        forward_mode mode = { 0, BATCH, 0, 0, 0 };
        net_forward(c->model, BATCH, &mode);
        expect_close(c->name, "eval_logits", logits(c->model), need(prefix, "eval_logits"), 1e-5, 1e-6);
    }
}

int main(void)
{
    fixture = fixture_load(FIXTURE);
    if (!fixture)
        return 1;
    double l2 = need("", "l2")->data[0];
    for (int k = 0; k < N_CASES; k++) {
        graph_case *c = &cases[k];
        if (!(c->text = read_network(c->input_section)))
            return 1;
        trial_settings t;
        trial_defaults(&t);
        t.network = c->text;
        t.l2 = l2;
        t.dropout = 0;
        char err[256];
        c->model = net_new(&t, BATCH, err, sizeof err);
        if (!c->model) {
            fprintf(stderr, "%s (%s): %s\n", NETWORK, c->name, err);
            return 1;
        }
    }
    RUN_TEST(test_graph_tensors_have_the_fixtures_names_and_shapes);
    RUN_TEST(test_graph_training_logits_and_loss_with_l2_match_torch);
    RUN_TEST(test_graph_gradients_of_every_parameter_match_torch);
    RUN_TEST(test_graph_moving_statistics_after_training_forward_match_torch);
    RUN_TEST(test_graph_inference_uses_moving_statistics_like_torch);
    for (int k = 0; k < N_CASES; k++) {
        net_free(cases[k].model);
        free(cases[k].text);
    }
    fixture_free(fixture);
    return testing_finish("test_graph_reference");
}
