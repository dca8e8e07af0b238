/* test_bases: the four pretrained bases as the graph builder makes them
 * have keras.applications' parameter counts (trainable and moving
 * statistics, notop, width 1), Keras's layer names where Keras names
 * them, and its output shapes at the default and minimum inputs; a
 * frozen base is all front. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/models/bases.h"
#include "nn/net.h"
#include "testing.h"

static net *build_base(const base_info *b, int input_size, double width, int frozen, char *err,
                       int err_size)
{
    layer_spec *specs = calloc(NET_MAX_LAYERS, sizeof *specs);
    spec_list l = { specs, 0, NET_MAX_LAYERS };
    base_options o = { .width = width, .frozen = frozen };
    base_add_specs(&l, b, input_size, &o);
    layer_spec *flat = spec_add(&l, &flatten_ops, "flatten");
    (void)flat;
    layer_spec *out = spec_add(&l, &dense_ops, "output");
    if (out) {
        out->units = 10;
        out->l2 = 0;
    }
    int n = spec_count(&l);
    net *net = n > 0 ? net_layout_specs(specs, n, err, err_size) : NULL;
    free(specs);
    return net;
}

/* The base's own layers: everything before "flatten". */
static const layer *flatten_of(const net *n)
{
    for (int i = 0; i < n->n_layers; i++)
        if (strcmp(n->layers[i].name, "flatten") == 0)
            return &n->layers[i];
    return NULL;
}

static void expect_base(const char *name, int c, int h_default, int h_min)
{
    const base_info *b = base_named(name);
    EXPECT(b != NULL, "%s is in the table", name);
    if (!b)
        return;
    char err[512] = "";
    net *n = build_base(b, b->default_input, 1.0, 1, err, sizeof err);
    EXPECT(n != NULL, "%s builds: %s", name, err);
    if (!n)
        return;
    const layer *flat = flatten_of(n);
    const layer *base_out = flat ? &n->layers[flat->inputs[0]] : NULL;
    const layer *head = &n->layers[n->n_layers - 1];
    size_t head_params = head->out_c * (size_t)(head->in_c * head->in_h * head->in_w) + 10;
    EXPECT((long)(n->n_params + n->n_state - head_params) == b->keras_params,
           "%s: %zu parameters and moving statistics, Keras counts %ld", name,
           n->n_params + n->n_state - head_params, b->keras_params);
    EXPECT(base_out && base_out->out_c == c && base_out->out_h == h_default && base_out->out_w == h_default,
           "%s at %d: %dx%dx%d out, Keras gives %dx%dx%d", name, b->default_input,
           base_out ? base_out->out_c : 0, base_out ? base_out->out_h : 0,
           base_out ? base_out->out_w : 0, c, h_default, h_default);
    EXPECT(base_out && base_out->in_frozen_front && !head->in_frozen_front,
           "%s frozen: the base is the front, the head trains", name);
    net_free(n);
    n = build_base(b, b->min_input, 1.0, 0, err, sizeof err);
    EXPECT(n != NULL, "%s builds at its minimum %d: %s", name, b->min_input, err);
    if (n) {
        flat = flatten_of(n);
        base_out = flat ? &n->layers[flat->inputs[0]] : NULL;
        EXPECT(base_out && base_out->out_h == h_min, "%s at %d: %d rows out, expected %d", name,
               b->min_input, base_out ? base_out->out_h : 0, h_min);
        EXPECT(!n->layers[1].in_frozen_front || n->layers[1].ops != &conv_ops,
               "%s trainable: its first conv trains", name);
    }
    net_free(n);
}

static void test_vgg16_is_kerass(void) { expect_base("vgg16", 512, 1, 1); }
static void test_vgg19_is_kerass(void) { expect_base("vgg19", 512, 1, 1); }
static void test_inception_v3_is_kerass(void) { expect_base("inception_v3", 2048, 1, 1); }
static void test_resnet152_v2_is_kerass(void) { expect_base("resnet152_v2", 2048, 3, 1); }

static int count_kind(const net *n, const layer_ops *ops)
{
    int k = 0;
    for (int i = 0; i < n->n_layers; i++)
        k += n->layers[i].ops == ops;
    return k;
}

static const layer *named(const net *n, const char *name)
{
    for (int i = 0; i < n->n_layers; i++)
        if (strcmp(n->layers[i].name, name) == 0)
            return &n->layers[i];
    return NULL;
}

/* Names a weight file's layers are matched by, and the kinds' counts. */
static void test_layer_names_and_counts_follow_keras(void)
{
    char err[512] = "";
    net *n = build_base(base_named("vgg19"), 32, 1.0, 1, err, sizeof err);
    EXPECT(n && named(n, "block5_conv4") && named(n, "block5_pool") && count_kind(n, &conv_ops) == 16,
           "VGG19: 16 convs, block5_conv4: %s", err);
    net_free(n);
    n = build_base(base_named("inception_v3"), 75, 1.0, 1, err, sizeof err);
    EXPECT(n && count_kind(n, &conv_ops) == 94 && named(n, "conv2d_94") && named(n, "batch_normalization_94") &&
           named(n, "mixed10") && named(n, "mixed9_1") && named(n, "concatenate_2"),
           "InceptionV3: 94 conv2d_bn, mixed0-10: %s", err);
    const layer *seven = n ? named(n, "conv2d_33") : NULL;
    EXPECT(seven && seven->spec.kh == 1 && seven->spec.kw == 7, "conv2d_33 is mixed4's first 1x7");
    net_free(n);
    n = build_base(base_named("resnet152_v2"), 75, 1.0, 1, err, sizeof err);
    EXPECT(n && named(n, "conv4_block36_out") && named(n, "post_relu") && named(n, "conv2_block1_0_conv") &&
           named(n, "max_pooling2d_3") && !named(n, "max_pooling2d_4") && count_kind(n, &add_ops) == 50,
           "ResNet152V2: 50 blocks, three strided shortcuts: %s", err);
    const layer *bn = n ? named(n, "conv3_block2_1_bn") : NULL;
    EXPECT(bn && bn->spec.epsilon == 1.001e-5, "ResNetV2's batch norm epsilon");
    net_free(n);
}

int main(void)
{
    RUN_TEST(test_vgg16_is_kerass);
    RUN_TEST(test_vgg19_is_kerass);
    RUN_TEST(test_inception_v3_is_kerass);
    RUN_TEST(test_resnet152_v2_is_kerass);
    RUN_TEST(test_layer_names_and_counts_follow_keras);
    return testing_finish("test_bases");
}
