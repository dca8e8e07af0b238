/* bases: the table of pretrained bases. */
#include "nn/models/bases.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Parameter counts are keras.applications' model.count_params() of the
 * notop models at their default input (facts of Keras's, checked against
 * our builder by test_bases). */
static const base_info bases[] = {
    { "vgg16", "VGG16", "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", 32, 32,
      PREPROCESS_CAFFE, 14714688, vgg16_specs },
    { "vgg19", "VGG19", "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", 32, 32,
      PREPROCESS_CAFFE, 20024384, vgg19_specs },
    { "inception_v3", "InceptionV3", "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
      75, 75, PREPROCESS_TF, 21802784, inception_v3_specs },
    { "resnet152_v2", "ResNet152V2", "resnet152v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
      32, 75, PREPROCESS_TF, 58331648, resnet152_v2_specs },
};
#define N_BASES ((int)(sizeof bases / sizeof *bases))

const base_info *base_named(const char *name)
{
    for (int i = 0; i < N_BASES; i++)
        if (strcmp(bases[i].name, name) == 0)
            return &bases[i];
    return NULL;
}

const char *base_name_list(void)
{
    static char list[128];
    if (!list[0])
        for (int i = 0, n = 0; i < N_BASES; i++)
            n += snprintf(list + n, sizeof list - (size_t)n, "%s%s", i ? ", " : "", bases[i].name);
    return list;
}

int base_filters(int filters, const base_options *o)
{
    int scaled = (int)lround(filters * o->width);
    return scaled < 1 ? 1 : scaled;
}

void base_add_specs(spec_list *l, const base_info *b, int input_size, const base_options *o)
{
    layer_spec *in = spec_add(l, &input_ops, "input_1");
    if (in) {
        in->channels = 3;
        in->size = input_size;
        in->preprocess = b->preprocess;
    }
    const int first = l->n;
    b->specs(l, o);
    for (int i = first; i < l->n && i < l->max; i++)
        l->specs[i].frozen = o->frozen && (l->specs[i].ops == &conv_ops ||
                                           l->specs[i].ops == &dense_ops ||
                                           l->specs[i].ops == &batch_norm_ops);
}
