/* layer: the table of layer kinds and what every kind shares. */
#include "nn/layer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define KIND_ROW(kind) &kind##_ops,
static const layer_ops *const kinds[] = { LAYER_KINDS(KIND_ROW) };
#undef KIND_ROW
#define N_KINDS ((int)(sizeof kinds / sizeof *kinds))

void layer_spec_defaults(layer_spec *s, const layer_ops *ops)
{
    memset(s, 0, sizeof *s);
    s->ops = ops;
    s->kh = s->kw = 3;            /* Keras has no default kernel; 3x3 is the report's */
    s->sh = s->sw = 1;
    s->channels = 1;
    s->size = 28;
    s->l2 = NAN;                  /* the trial's l2 */
    s->rate = NAN;                /* the trial's dropout */
    s->bias = 1;                  /* Keras's use_bias = True */
    s->scale = 1;                 /* Keras's scale = True */
    s->epsilon = 1e-3;            /* Keras's BatchNormalization epsilon */
    if (ops == &max_pool_ops || ops == &avg_pool_ops) {
        s->kh = s->kw = s->sh = s->sw = 2;   /* Keras pool_size (2, 2), strides = pool_size */
        s->valid = 1;                        /* Keras padding 'valid' */
    }
}

const layer_ops *layer_kind_named(const char *name)
{
    for (int i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

const char *layer_kind_list(void)
{
    static char list[512];
    if (!list[0])
        for (int i = 0, n = 0; i < N_KINDS; i++)
            n += snprintf(list + n, sizeof list - (size_t)n, "%s%s", i ? ", " : "", kinds[i]->name);
    return list;
}

size_t layer_out_size(const layer *L)
{
    return (size_t)L->out_c * L->out_h * L->out_w;
}

void layer_keep_shape(layer *L)
{
    L->out_c = L->in_c;
    L->out_h = L->in_h;
    L->out_w = L->in_w;
}
