/* pooling: what max_pool.c and avg_pool.c share -- the window's shape
 * from the layer's spec (Keras pool_size, strides, padding). Private to
 * src/nn/kinds/. */
#ifndef SWEEP_KINDS_POOLING_H
#define SWEEP_KINDS_POOLING_H

#include <stdio.h>

#include "nn/net.h"

static inline int pooling_shape(layer *L, char *err, int err_size)
{
    const layer_spec *s = &L->spec;
    pool2d_shape *p = &L->u.pool.shape;
    if (pool2d_shape_init(p, 0, L->in_c, L->in_h, L->in_w, s->kh, s->kw, s->sh, s->sw,
                          s->valid ? POOL2D_VALID : POOL2D_SAME) != 0)
        return snprintf(err, (size_t)err_size, "%s pools a %dx%d feature map to nothing",
                        L->name, L->in_h, L->in_w), -1;
    L->out_c = L->in_c;
    L->out_h = p->out_h;
    L->out_w = p->out_w;
    return 0;
}

static inline pool2d_shape pooling_for(const layer *L, int B)
{
    pool2d_shape p = L->u.pool.shape;
    p.B = B;
    return p;
}

#endif
