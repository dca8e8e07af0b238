/* vgg: VGG16 and VGG19 (Simonyan and Zisserman), keras.applications'
 * notop: five blocks of 3x3 'same' convolutions with ReLU, each closed by
 * 2x2 max pooling; layers named blockB_convK and blockB_pool. */
#include "nn/models/bases.h"

static void vgg_specs(spec_list *l, const base_options *o, const int convs_per_block[5])
{
    static const int filters[5] = { 64, 128, 256, 512, 512 };
    for (int b = 0; b < 5; b++) {
        for (int k = 0; k < convs_per_block[b]; k++) {
            layer_spec *s = spec_add(l, &conv_ops, "block%d_conv%d", b + 1, k + 1);
            if (s) {
                s->filters = base_filters(filters[b], o);
                s->relu = 1;
            }
        }
        spec_add(l, &max_pool_ops, "block%d_pool", b + 1);   /* 2x2, stride 2, 'valid' */
    }
}

void vgg16_specs(spec_list *l, const base_options *o)
{
    static const int convs[5] = { 2, 2, 3, 3, 3 };
    vgg_specs(l, o, convs);
}

void vgg19_specs(spec_list *l, const base_options *o)
{
    static const int convs[5] = { 2, 2, 4, 4, 4 };
    vgg_specs(l, o, convs);
}
