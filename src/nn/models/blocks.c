/* blocks: the report's block models as layer specs. */
#include "nn/models/blocks.h"

#include <stdio.h>

#include "data/data.h"
#include "nn/models/spec_list.h"

/* Batch norm then dropout, as the report places them after each pooled
 * block and each hidden dense layer. */
static void add_regularisers(spec_list *l, const trial_settings *t, const char *prefix)
{
    if (t->batch_norm)
        spec_add(l, &batch_norm_ops, "%.40s.bn", prefix);
    if (t->dropout > 0) {
        layer_spec *s = spec_add(l, &dropout_ops, "%.38s.dropout", prefix);
        if (s)
            s->rate = t->dropout;
    }
}

void blocks_head_specs(spec_list *l, const trial_settings *t)
{
    char name[LAYER_NAME_MAX];
    for (int j = 0; j < t->n_dense; j++) {
        layer_spec *s = spec_add(l, &dense_ops, "dense%d", j);
        if (s) {
            s->units = t->dense_units[j];
            s->l2 = t->l2;
        }
        spec_add(l, &relu_ops, "dense%d.relu", j);
        snprintf(name, sizeof name, "dense%d", j);
        add_regularisers(l, t, name);
    }
    layer_spec *s = spec_add(l, &dense_ops, "output");
    if (s) {
        s->units = N_CLASSES;
        s->l2 = 0;   /* the report regularises the hidden layers only */
    }
}

int blocks_model_specs(const trial_settings *t, layer_spec *out, int max)
{
    spec_list l = { out, 0, max };
    char name[LAYER_NAME_MAX];
    for (int b = 0; b < t->n_blocks; b++) {
        for (int i = 0; i < t->block_convs[b]; i++) {
            layer_spec *s = spec_add(&l, &conv_ops, "block%d.conv%d", b, i);
            if (s) {
                s->filters = t->block_filters[b][i];
                s->relu = 1;            /* Conv2D(activation='relu'), 3x3 'same' */
            }
        }
        spec_add(&l, &max_pool_ops, "block%d.pool", b);   /* Keras's 2x2, stride 2, 'valid' */
        snprintf(name, sizeof name, "block%d", b);
        add_regularisers(&l, t, name);
    }
    blocks_head_specs(&l, t);
    return spec_count(&l);
}
