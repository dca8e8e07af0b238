/* test_network_text: network files read into layer specs (defaults, the
 * trial's dropout and l2, comments, ';'), written back canonically, and
 * built into graphs whose faults are named; a graph's parameters all sit
 * in the one buffer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/trial.h"
#include "core/util.h"
#include "nn/net.h"
#include "nn/network_text.h"
#include "optim/adam.h"
#include "testing.h"

#define MAX_SPECS 64

static const char residual[] =
    "# a comment; with a semicolon\n"
    "[conv]\nname = stem\nfilters = 4\nactivation = relu\n"
    "[conv]\nfilters = 4\nsize = 1x3   # trailing comment\n"
    "[batch_norm]\n"
    "[add]\nfrom = -1, stem\n"
    "[max_pool]\n"
    "[avg_pool]; size = 3; stride = 1; padding = same\n"
    "[dropout]\n"
    "[dense]\nunits = 10\n"
    "[softmax]\n";

static void test_defaults_and_the_trials_dropout_and_l2_fill_what_is_unsaid(void)
{
    layer_spec s[MAX_SPECS];
    char err[256] = "";
    int n = network_parse(residual, s, MAX_SPECS, 0.25, 0.001, err, sizeof err);
    EXPECT(n == 8, "8 layers (softmax is the loss's), got %d: %s", n, err);
    if (n != 8)
        return;
    EXPECT(s[0].ops == &conv_ops && strcmp(s[0].name, "stem") == 0 && s[0].relu && s[0].kh == 3 &&
           s[0].kw == 3 && s[0].sh == 1 && !s[0].valid, "conv defaults: 3x3, stride 1, same");
    EXPECT(s[1].kh == 1 && s[1].kw == 3 && !s[1].relu, "1x3 kernel, linear");
    EXPECT(s[3].n_from == 2 && strcmp(s[3].from[0], "-1") == 0 && strcmp(s[3].from[1], "stem") == 0,
           "add's inputs as written");
    EXPECT(s[4].kh == 2 && s[4].sh == 2 && s[4].valid, "max_pool: Keras's 2x2, stride 2, valid");
    EXPECT(s[5].kh == 3 && s[5].sh == 1 && !s[5].valid, "avg_pool keys after ';'");
    EXPECT(s[6].rate == 0.25, "dropout takes the trial's rate: %g", s[6].rate);
    EXPECT(s[7].l2 == 0.001, "dense takes the trial's l2: %g", s[7].l2);
}

static void test_canonical_text_reads_back_to_itself(void)
{
    layer_spec a[MAX_SPECS], b[MAX_SPECS];
    char err[256] = "", first[4096], second[4096];
    int n = network_parse(residual, a, MAX_SPECS, 0.25, 0.001, err, sizeof err);
    int length = network_canonical(a, n, first, sizeof first);
    EXPECT(length > 0 && length < (int)sizeof first && !strchr(first, '\n'), "one line: %s", first);
    int m = network_parse(first, b, MAX_SPECS, 0.5, 0.5, err, sizeof err);
    network_canonical(b, m, second, sizeof second);
    EXPECT(m == n && strcmp(first, second) == 0, "again:\n  %s\n  %s", first, second);
    EXPECT(strstr(first, "rate = 0.25") && strstr(first, "l2 = 0.001"),
           "the trial's values written out: %s", first);
    /* the canonical text needs the network's own count for a short buffer */
    EXPECT(network_canonical(a, n, first, 8) == length, "length past a short buffer");
}

static void expect_parse_error(const char *text, const char *want)
{
    layer_spec s[MAX_SPECS];
    char err[512] = "";
    int n = network_parse(text, s, MAX_SPECS, 0, 0, err, sizeof err);
    EXPECT(n == -1 && strstr(err, want), "'%s':\n    got  %s\n    want %s", text, err, want);
}

static void test_faults_in_the_text_name_the_line(void)
{
    expect_parse_error("[conv]\nfilters = 4\n[convolution]\n", "line 3: unknown layer [convolution]; the kinds are input, conv,");
    expect_parse_error("[conv]\nunits = 4\n", "line 2: [conv] takes no key 'units'");
    expect_parse_error("[conv]\nfilters = many\n", "line 2: filters: 'many' is not a value it takes");
    expect_parse_error("filters = 4\n", "line 1: 'filters = 4' before any [layer]");
    expect_parse_error("[dense]\nunits = 10\n[softmax]\n[relu]\n", "line 4: [softmax] ends the network");
    expect_parse_error("[conv]\n", "line 1: [conv] needs filters = N");
    expect_parse_error("[max_pool]\npadding = full\n", "line 2: padding: 'full'");
    expect_parse_error("[dropout]\nrate = 1\n", "line 2: rate: '1'");
    expect_parse_error("# nothing\n", "no layers");
}

static net *build(const char *text, char *err, int err_size)
{
    trial_settings t;
    trial_defaults(&t);
    snprintf(t.name, sizeof t.name, "g");
    t.network = text;
    return net_new(&t, 2, err, err_size);
}

/* The net of text, or NULL with the builder's message as a failure. */
static net *build_or_say(const char *text)
{
    char err[512] = "";
    net *n = build(text, err, sizeof err);
    EXPECT(n, "built: %s", err);
    return n;
}

static void expect_build_error(const char *text, const char *want)
{
    char err[768] = "";
    net *n = build(text, err, sizeof err);
    EXPECT(!n && strstr(err, want), "build:\n    got  %s\n    want %s", err, want);
    net_free(n);
}

static void test_faults_in_the_graph_name_the_layer(void)
{
    expect_build_error("[conv]; filters = 4; [conv]; filters = 8; [add]; from = -1, -2; [dense]; units = 10",
                       "g: network line 1 ([add]): add: conv0 is 4x28x28, conv1 is 8x28x28");
    expect_build_error("[conv]; filters = 4; [dense]; units = 10; from = nowhere",
                       "from nowhere: no earlier layer has that name");
    expect_build_error("[conv]; filters = 4; [dense]; units = 10; from = -3",
                       "from -3: only 1 layers come before");
    expect_build_error("[conv]; filters = 4; name = a; [conv]; filters = 4; name = a; [dense]; units = 10",
                       "a second layer named a");
    expect_build_error("[conv]; filters = 4; [dense]; units = 7", "the last layer dense1 gives 7 values an image");
    expect_build_error("[conv]; filters = 4; size = 29; padding = valid; [dense]; units = 10",
                       "conv: a 29x29 kernel at stride 1x1 leaves nothing of a 28x28 input");
    expect_build_error("[concat]; from = -1; [dense]; units = 10", "concat takes 2 to 8 inputs, not 1");
}

/* Every kind's tensors share the one parameter buffer, back to back,
 * and the shapes follow the graph: concat adds channels, the strided
 * conv halves the map, global pooling leaves one value a channel. */
static void test_a_graph_lays_its_tensors_in_the_one_buffer(void)
{
    static const char text[] =
        "[input]; channels = 3; size = 32\n"
        "[conv]; name = a; filters = 4; stride = 2\n"
        "[conv]; name = b; filters = 6; size = 1; from = a\n"
        "[avg_pool]; name = c; size = 3; stride = 1; padding = same; from = a\n"
        "[concat]; from = b, c\n"
        "[zero_pad]; pad = 1, 0, 2, 0\n"
        "[batch_norm]\n"
        "[global_avg_pool]\n"
        "[flatten]\n"
        "[dense]; units = 10\n";
    net *n = build_or_say(text);
    if (!n)
        return;
    const layer *L = n->layers;
    EXPECT(L[0].out_c == 3 && L[0].out_h == 32, "input resized to 3x32x32");
    EXPECT(L[1].out_c == 4 && L[1].out_h == 16 && L[1].out_w == 16, "strided conv: 4x16x16");
    EXPECT(L[4].out_c == 10 && L[4].out_h == 16, "concat: 6 + 4 channels");
    EXPECT(L[5].out_h == 17 && L[5].out_w == 18, "zero_pad: 17x18");
    EXPECT(L[7].out_c == 10 && L[7].out_h == 1 && L[7].flat, "global pooling: 10 values");
    EXPECT(L[1].consumers == 2, "a is read by b and c");
    size_t next = 0;
    for (int i = 0; i < n->n_tensors; i++)
        if (n->tensors[i].home == TENSOR_PARAM) {
            EXPECT(n->tensors[i].offset == next, "%s at %zu, expected %zu", n->tensors[i].name,
                   n->tensors[i].offset, next);
            next += n->tensors[i].count;
        }
    EXPECT(next == n->n_params && n->n_params == 4 * 3 * 9 + 4 + 6 * 4 + 6 + 10 + 10 + 10 * 10 + 10,
           "%zu parameters", n->n_params);
    EXPECT(net_find_tensor(n, "b.weight") && net_find_tensor(n, "batch_norm6.moving_var"),
           "tensors named by their layers");
    net_free(n);
}

/* Keras's trainable = False: the frozen front (conv, batch norm, and the
 * pooling fed only by them) keeps its parameters and moving statistics
 * through Adam steps, and its batch norm normalises with the moving
 * statistics even in training; the layers after it train. */
static void test_a_frozen_front_keeps_its_weights_and_runs_as_in_inference(void)
{
    static const char text[] =
        "[conv]; filters = 4; trainable = no\n"
        "[batch_norm]; trainable = no\n"
        "[max_pool]\n"
        "[dropout]; rate = 0.5\n"
        "[dense]; units = 10; l2 = 0.01\n";
    net *n = build_or_say(text);
    if (!n)
        return;
    EXPECT(n->layers[0].in_frozen_front && n->layers[1].in_frozen_front && n->layers[2].in_frozen_front &&
           !n->layers[3].in_frozen_front && !n->layers[4].in_frozen_front,
           "front: conv, batch norm, pool; not dropout or dense");
    net_init(n, 7);
    float *moving = n->state;   /* let the moving statistics differ from a batch's */
    for (size_t k = 0; k < n->n_state; k++)
        moving[k] = 0.5f + 0.01f * (float)k;
    const size_t front = n->layers[4].weight;   /* the dense kernel: first trained tensor */
    float *before = xcalloc(n->n_params + n->n_state, sizeof(float));
    memcpy(before, n->params, sizeof(float) * n->n_params);
    memcpy(before + n->n_params, n->state, sizeof(float) * n->n_state);
    for (int b = 0; b < 2 * 28 * 28; b++)
        n->input[b] = (float)((b * 37) % 101) / 101.0f;
    n->labels[0] = 3, n->labels[1] = 8;
    n->sample_ids[0] = 0, n->sample_ids[1] = 1;
    forward_mode train = { .training = 1, .global_batch = 2, .seed = 1, .epoch = 0 };
    forward_mode infer = { .training = 0, .global_batch = 2 };
    net_forward(n, 2, &infer);
    const size_t pooled = 2 * layer_out_size(&n->layers[2]);
    float *inferred = xcalloc(pooled, sizeof(float));
    memcpy(inferred, n->layers[2].out, sizeof(float) * pooled);
    adam_state *adam = adam_new(n->n_params, 0.01f);
    for (int step = 0; step < 3; step++) {
        net_zero_grads(n);
        net_forward(n, 2, &train);
        net_backward(n, 2, 2);
        net_add_l2_gradient(n);
        adam_update(adam, n->params, n->grads);
    }
    EXPECT(memcmp(n->layers[2].out, inferred, sizeof(float) * pooled) == 0,
           "the front's output in training is its inference output");
    EXPECT(memcmp(n->params, before, sizeof(float) * front) == 0, "frozen parameters unchanged");
    EXPECT(memcmp(n->state, before + n->n_params, sizeof(float) * n->n_state) == 0,
           "frozen moving statistics unchanged");
    EXPECT(memcmp(n->params + front, before + front, sizeof(float) * (n->n_params - front)) != 0,
           "the dense layer trained");
    adam_free(adam);
    free(inferred);
    free(before);
    net_free(n);
    expect_build_error("[conv]; filters = 4; [conv]; filters = 4; trainable = no; [dense]; units = 10",
                       "conv1 is frozen (trainable = no) but reads conv0, which trains");
}

int main(void)
{
    RUN_TEST(test_defaults_and_the_trials_dropout_and_l2_fill_what_is_unsaid);
    RUN_TEST(test_canonical_text_reads_back_to_itself);
    RUN_TEST(test_faults_in_the_text_name_the_line);
    RUN_TEST(test_faults_in_the_graph_name_the_layer);
    RUN_TEST(test_a_graph_lays_its_tensors_in_the_one_buffer);
    RUN_TEST(test_a_frozen_front_keeps_its_weights_and_runs_as_in_inference);
    return testing_finish("test_network_text");
}
