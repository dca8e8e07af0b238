/* blocks: the report's block models as layer specs. */
#include "nn/models/blocks.h"

#include <stdio.h>

#include "data/data.h"

typedef struct {
    layer_spec *specs;
    int n, max;
} spec_list;

static layer_spec *add_spec(spec_list *l, const layer_ops *ops, const char *name)
{
    if (l->n == l->max) {
        l->n = l->max + 1;   /* remembered as too many */
        return NULL;
    }
    layer_spec *s = &l->specs[l->n++];
    layer_spec_defaults(s, ops);
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

/* Batch norm then dropout, as the report places them after each pooled
 * block and each hidden dense layer. */
static void add_regularisers(spec_list *l, const trial_settings *t, const char *prefix)
{
    char name[LAYER_NAME_MAX];
    if (t->batch_norm) {
        snprintf(name, sizeof name, "%.40s.bn", prefix);
        add_spec(l, &batch_norm_ops, name);
    }
    if (t->dropout > 0) {
        snprintf(name, sizeof name, "%.38s.dropout", prefix);
        layer_spec *s = add_spec(l, &dropout_ops, name);
        if (s)
            s->rate = t->dropout;
    }
}

int blocks_model_specs(const trial_settings *t, layer_spec *out, int max)
{
    spec_list l = { out, 0, max };
    char name[LAYER_NAME_MAX];
    for (int b = 0; b < t->n_blocks; b++) {
        for (int i = 0; i < t->block_convs[b]; i++) {
            snprintf(name, sizeof name, "block%d.conv%d", b, i);
            layer_spec *s = add_spec(&l, &conv_ops, name);
            if (s) {
                s->filters = t->block_filters[b][i];
                s->relu = 1;            /* Conv2D(activation='relu'), 3x3 'same' */
            }
        }
        snprintf(name, sizeof name, "block%d.pool", b);
        add_spec(&l, &max_pool_ops, name);   /* Keras's 2x2, stride 2, 'valid' */
        snprintf(name, sizeof name, "block%d", b);
        add_regularisers(&l, t, name);
    }
    for (int j = 0; j < t->n_dense; j++) {
        snprintf(name, sizeof name, "dense%d", j);
        layer_spec *s = add_spec(&l, &dense_ops, name);
        if (s) {
            s->units = t->dense_units[j];
            s->l2 = t->l2;
        }
        snprintf(name, sizeof name, "dense%d.relu", j);
        add_spec(&l, &relu_ops, name);
        snprintf(name, sizeof name, "dense%d", j);
        add_regularisers(&l, t, name);
    }
    layer_spec *s = add_spec(&l, &dense_ops, "output");
    if (s) {
        s->units = N_CLASSES;
        s->l2 = 0;   /* the report regularises the hidden layers only */
    }
    return l.n > max ? -1 : l.n;
}
