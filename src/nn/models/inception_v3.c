/* inception_v3: InceptionV3 (Szegedy et al.), keras.applications' notop.
 * Every convolution is Keras's conv2d_bn: Conv2D without bias, then
 * BatchNormalization(scale=False), then ReLU. Keras names them by
 * creation order (conv2d_1, batch_normalization_1, activation_1, ...; the
 * pools and the inner concatenations likewise) and the joins mixed0 to
 * mixed10, so the names here are made in the order Keras makes them: a
 * weight file's layers match ours by name. */
#include <stdio.h>

#include "nn/models/bases.h"

typedef struct {
    spec_list *l;
    const base_options *o;
    int convs, pools_max, pools_avg, concats;   /* Keras's per-class counters */
} builder;

/* conv2d_bn(x, filters, rows, cols, padding, strides) reading `from`;
 * returns the name of its ReLU. */
static const char *conv_bn(builder *b, const char *from, int filters, int rows, int cols,
                           int stride, int valid)
{
    int k = ++b->convs;
    layer_spec *c = spec_add(b->l, &conv_ops, "conv2d_%d", k);
    spec_from(c, from, NULL);
    if (c) {
        c->filters = base_filters(filters, b->o);
        c->kh = rows, c->kw = cols;
        c->sh = c->sw = stride;
        c->valid = valid;
        c->bias = 0;
    }
    layer_spec *n = spec_add(b->l, &batch_norm_ops, "batch_normalization_%d", k);
    if (n)
        n->scale = 0;
    spec_add(b->l, &relu_ops, "activation_%d", k);
    return spec_last_name(b->l);
}

static const char *pool(builder *b, const char *from, int average)
{
    layer_spec *p = average ? spec_add(b->l, &avg_pool_ops, "average_pooling2d_%d", ++b->pools_avg)
                            : spec_add(b->l, &max_pool_ops, "max_pooling2d_%d", ++b->pools_max);
    spec_from(p, from, NULL);
    if (p) {
        p->kh = p->kw = 3;
        p->sh = p->sw = average ? 1 : 2;
        p->valid = !average;   /* AveragePooling2D((3,3), (1,1), 'same'); MaxPooling2D((3,3), (2,2)) */
    }
    return spec_last_name(b->l);
}

typedef char name_t[LAYER_NAME_MAX];

static const char *join(builder *b, const char *name, const char *a, const char *c, const char *d,
                        const char *e)
{
    layer_spec *s = name ? spec_add(b->l, &concat_ops, "%s", name)
                         : spec_add(b->l, &concat_ops, "concatenate_%d", ++b->concats);
    spec_from(s, a, c, d, e, NULL);
    return spec_last_name(b->l);
}

/* One conv2d_bn of a branch: filters, kernel rows x cols, stride, 'valid'. */
typedef struct { int filters, rows, cols, stride, valid; } step;
#define STEPS_MAX 5

/* A branch: conv2d_bn steps one after the other from `from`, its last
 * name into out; from a 3x3 pooling of `from` first when pooled (1
 * average, 2 max). */
static void branch(builder *b, const char *from, int pooled, const step *steps, int n, name_t out)
{
    name_t start;   /* out may be from itself */
    snprintf(start, sizeof start, "%s", from);
    snprintf(out, LAYER_NAME_MAX, "%s", start);
    if (pooled)
        snprintf(out, LAYER_NAME_MAX, "%s", pool(b, out, pooled == 1));
    for (int i = 0; i < n && i < STEPS_MAX; i++)
        snprintf(out, LAYER_NAME_MAX, "%s", conv_bn(b, out, steps[i].filters, steps[i].rows,
                                                    steps[i].cols, steps[i].stride,
                                                    steps[i].valid));
}

#define SAME(filters, rows, cols) { filters, rows, cols, 1, 0 }
#define VALID(filters, rows, cols, stride) { filters, rows, cols, stride, 1 }
#define BRANCH(b, from, pooled, out, ...) \
    branch(b, from, pooled, (const step[]){ __VA_ARGS__ }, \
           (int)(sizeof((const step[]){ __VA_ARGS__ }) / sizeof(step)), out)

static void mixed(builder *b, name_t x, int index, const char *p, const char *q, const char *r,
                  const char *s)
{
    name_t out;
    snprintf(out, sizeof out, "mixed%d", index);
    snprintf(x, LAYER_NAME_MAX, "%s", join(b, out, p, q, r, s));
}

/* mixed0-2: 1x1, 5x5, double 3x3 and pooled branches. */
static void block_35(builder *b, name_t x, int pool_filters, int index)
{
    name_t b1, b5, b3, bp;
    BRANCH(b, x, 0, b1, SAME(64, 1, 1));
    BRANCH(b, x, 0, b5, SAME(48, 1, 1), SAME(64, 5, 5));
    BRANCH(b, x, 0, b3, SAME(64, 1, 1), SAME(96, 3, 3), SAME(96, 3, 3));
    BRANCH(b, x, 1, bp, SAME(pool_filters, 1, 1));
    mixed(b, x, index, b1, b5, b3, bp);
}

/* mixed4-7: 1x1, factorised 7x7, double factorised 7x7, pooled. */
static void block_17(builder *b, name_t x, int mid, int index)
{
    name_t b1, b7, bd, bp;
    BRANCH(b, x, 0, b1, SAME(192, 1, 1));
    BRANCH(b, x, 0, b7, SAME(mid, 1, 1), SAME(mid, 1, 7), SAME(192, 7, 1));
    BRANCH(b, x, 0, bd, SAME(mid, 1, 1), SAME(mid, 7, 1), SAME(mid, 1, 7), SAME(mid, 7, 1), SAME(192, 1, 7));
    BRANCH(b, x, 1, bp, SAME(192, 1, 1));
    mixed(b, x, index, b1, b7, bd, bp);
}

/* mixed9-10: 1x1, split 3x3, double split 3x3, pooled. */
static void block_8(builder *b, name_t x, int i)
{
    name_t b1, b3, b3a, b3b, bd, bda, bdb, bp, inner;
    BRANCH(b, x, 0, b1, SAME(320, 1, 1));
    BRANCH(b, x, 0, b3, SAME(384, 1, 1));
    BRANCH(b, b3, 0, b3a, SAME(384, 1, 3));
    BRANCH(b, b3, 0, b3b, SAME(384, 3, 1));
    snprintf(inner, sizeof inner, "mixed9_%d", i);
    snprintf(b3, sizeof b3, "%s", join(b, inner, b3a, b3b, NULL, NULL));
    BRANCH(b, x, 0, bd, SAME(448, 1, 1), SAME(384, 3, 3));
    BRANCH(b, bd, 0, bda, SAME(384, 1, 3));
    BRANCH(b, bd, 0, bdb, SAME(384, 3, 1));
    snprintf(bd, sizeof bd, "%s", join(b, NULL, bda, bdb, NULL, NULL));
    BRANCH(b, x, 1, bp, SAME(192, 1, 1));
    mixed(b, x, 9 + i, b1, b3, bd, bp);
}

/* mixed3 (35 -> 17) and mixed8 (17 -> 8): strided branches and a pool. */
static void reduction(builder *b, name_t x, int index)
{
    name_t a, d, p;
    if (index == 3) {
        BRANCH(b, x, 0, a, VALID(384, 3, 3, 2));
        BRANCH(b, x, 0, d, SAME(64, 1, 1), SAME(96, 3, 3), VALID(96, 3, 3, 2));
    } else {
        BRANCH(b, x, 0, a, SAME(192, 1, 1), VALID(320, 3, 3, 2));
        BRANCH(b, x, 0, d, SAME(192, 1, 1), SAME(192, 1, 7), SAME(192, 7, 1), VALID(192, 3, 3, 2));
    }
    snprintf(p, sizeof p, "%s", pool(b, x, 0));
    mixed(b, x, index, a, d, p, NULL);
}

void inception_v3_specs(spec_list *l, const base_options *o)
{
    builder b = { .l = l, .o = o };
    name_t x;
    snprintf(x, sizeof x, "%s", spec_last_name(l));
    BRANCH(&b, x, 0, x, VALID(32, 3, 3, 2), VALID(32, 3, 3, 1), SAME(64, 3, 3));
    snprintf(x, sizeof x, "%s", pool(&b, x, 0));
    BRANCH(&b, x, 0, x, VALID(80, 1, 1, 1), VALID(192, 3, 3, 1));
    snprintf(x, sizeof x, "%s", pool(&b, x, 0));
    block_35(&b, x, 32, 0);
    block_35(&b, x, 64, 1);
    block_35(&b, x, 64, 2);
    reduction(&b, x, 3);
    block_17(&b, x, 128, 4);
    block_17(&b, x, 160, 5);
    block_17(&b, x, 160, 6);
    block_17(&b, x, 192, 7);
    reduction(&b, x, 8);
    block_8(&b, x, 0);
    block_8(&b, x, 1);
}
