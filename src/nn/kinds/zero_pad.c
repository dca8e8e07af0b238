/* zero_pad: Keras ZeroPadding2D, zeros around the feature map (ResNet's
 * and Inception's stems pad before a 'valid' conv or pool). */
#include <stdio.h>

#include "nn/layers/zeropad.h"
#include "nn/net.h"

static zeropad_sides sides_of(const layer *L)
{
    return (zeropad_sides){ L->spec.pad[0], L->spec.pad[1], L->spec.pad[2], L->spec.pad[3] };
}

static int zero_pad_shape(net *n, layer *L, char *err, int err_size)
{
    (void)n;
    for (int i = 0; i < 4; i++)
        if (L->spec.pad[i] < 0 || L->spec.pad[i] > 1024)
            return snprintf(err, (size_t)err_size, "zero_pad: pad is 0 to 1024 cells a side"), -1;
    L->out_c = L->in_c;
    L->out_h = L->in_h + L->spec.pad[0] + L->spec.pad[1];
    L->out_w = L->in_w + L->spec.pad[2] + L->spec.pad[3];
    return 0;
}

static void zero_pad_forward(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode)
{
    (void)n, (void)mode;
    zeropad_forward(L->out, in->x[0], B, L->in_c, L->in_h, L->in_w, sides_of(L));
}

static void zero_pad_backward(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    (void)n, (void)global_batch;
    if (in->dx[0])
        zeropad_backward(in->dx[0], L->dout, B, L->in_c, L->in_h, L->in_w, sides_of(L));
}

const layer_ops zero_pad_ops = {
    .name = "zero_pad", .keys = "pad", .min_inputs = 1, .max_inputs = 1,
    .shape = zero_pad_shape, .forward = zero_pad_forward, .backward = zero_pad_backward,
};
