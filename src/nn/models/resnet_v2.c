/* resnet_v2: ResNet152V2 (He et al., "Identity Mappings in Deep Residual
 * Networks"), keras.applications' notop: pre-activation bottleneck
 * blocks (batch norm and ReLU before each convolution, epsilon 1.001e-5),
 * stages of 3, 8, 36 and 3 blocks; a stage's first block projects its
 * shortcut with a 1x1 conv, its last block strides (the last stage does
 * not), with a 1x1 max pooling as the shortcut. Layer names are Keras's
 * (conv1_conv, conv2_block1_preact_bn, ..., post_relu); the unnamed
 * shortcut poolings are max_pooling2d_N in creation order. */
#include <stdio.h>

#include "nn/models/bases.h"

#define RESNET_V2_EPSILON 1.001e-5

typedef char name_t[LAYER_NAME_MAX];

static void bn_relu(spec_list *l, const char *prefix, const char *from)
{
    layer_spec *n = spec_add(l, &batch_norm_ops, "%s_bn", prefix);
    spec_from(n, from, NULL);
    if (n)
        n->epsilon = RESNET_V2_EPSILON;
    spec_add(l, &relu_ops, "%s_relu", prefix);
}

static layer_spec *conv(spec_list *l, const char *name, const char *suffix, int filters, int size,
                        int stride, int bias, const base_options *o)
{
    layer_spec *c = spec_add(l, &conv_ops, "%s%s", name, suffix);
    if (c) {
        c->filters = base_filters(filters, o);
        c->kh = c->kw = size;
        c->sh = c->sw = stride;
        c->valid = 1;   /* Conv2D's default padding; the 3x3 is padded by a layer of its own */
        c->bias = bias;
    }
    return c;
}

static void zero_pad(spec_list *l, const char *name, int pad)
{
    layer_spec *p = spec_add(l, &zero_pad_ops, "%s", name);
    if (p)
        p->pad[0] = p->pad[1] = p->pad[2] = p->pad[3] = pad;
}

/* block2: x is the block's input, replaced by its output's name. */
static void block2(spec_list *l, name_t x, int filters, int stride, int conv_shortcut,
                   int *pools, const char *name, const base_options *o)
{
    name_t prefix, preact, shortcut;
    snprintf(prefix, sizeof prefix, "%s_preact", name);
    bn_relu(l, prefix, x);
    snprintf(preact, sizeof preact, "%s", spec_last_name(l));
    if (conv_shortcut) {
        layer_spec *c = conv(l, name, "_0_conv", 4 * filters, 1, stride, 1, o);
        spec_from(c, preact, NULL);
        snprintf(shortcut, sizeof shortcut, "%s", spec_last_name(l));
    } else if (stride > 1) {
        layer_spec *p = spec_add(l, &max_pool_ops, "max_pooling2d_%d", ++*pools);
        spec_from(p, x, NULL);
        if (p) {
            p->kh = p->kw = 1;
            p->sh = p->sw = stride;
        }
        snprintf(shortcut, sizeof shortcut, "%s", spec_last_name(l));
    } else {
        snprintf(shortcut, sizeof shortcut, "%s", x);
    }
    spec_from(conv(l, name, "_1_conv", filters, 1, 1, 0, o), preact, NULL);
    snprintf(prefix, sizeof prefix, "%s_1", name);
    bn_relu(l, prefix, spec_last_name(l));
    name_t pad;
    snprintf(pad, sizeof pad, "%s_2_pad", name);
    zero_pad(l, pad, 1);
    conv(l, name, "_2_conv", filters, 3, stride, 0, o);
    snprintf(prefix, sizeof prefix, "%s_2", name);
    bn_relu(l, prefix, spec_last_name(l));
    conv(l, name, "_3_conv", 4 * filters, 1, 1, 1, o);
    name_t last;
    snprintf(last, sizeof last, "%s", spec_last_name(l));
    layer_spec *add = spec_add(l, &add_ops, "%s_out", name);
    spec_from(add, shortcut, last, NULL);
    snprintf(x, LAYER_NAME_MAX, "%s", spec_last_name(l));
}

static void stack2(spec_list *l, name_t x, int filters, int blocks, int stride, int *pools,
                   const char *name, const base_options *o)
{
    name_t block;
    snprintf(block, sizeof block, "%s_block1", name);
    block2(l, x, filters, 1, 1, pools, block, o);
    for (int i = 2; i < blocks; i++) {
        snprintf(block, sizeof block, "%s_block%d", name, i);
        block2(l, x, filters, 1, 0, pools, block, o);
    }
    snprintf(block, sizeof block, "%s_block%d", name, blocks);
    block2(l, x, filters, stride, 0, pools, block, o);
}

void resnet152_v2_specs(spec_list *l, const base_options *o)
{
    int pools = 0;
    name_t x;
    zero_pad(l, "conv1_pad", 3);
    conv(l, "conv1", "_conv", 64, 7, 2, 1, o);
    zero_pad(l, "pool1_pad", 1);
    layer_spec *p = spec_add(l, &max_pool_ops, "pool1_pool");
    if (p) {
        p->kh = p->kw = 3;
        p->sh = p->sw = 2;
    }
    snprintf(x, sizeof x, "%s", spec_last_name(l));
    stack2(l, x, 64, 3, 2, &pools, "conv2", o);
    stack2(l, x, 128, 8, 2, &pools, "conv3", o);
    stack2(l, x, 256, 36, 2, &pools, "conv4", o);
    stack2(l, x, 512, 3, 1, &pools, "conv5", o);
    bn_relu(l, "post", x);
}
