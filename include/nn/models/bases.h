/* bases: the report's Section 3 pretrained bases -- VGG16, VGG19,
 * InceptionV3 and ResNet152V2 as keras.applications defines them with
 * include_top=False -- as layer specs for the graph builder, with Keras's
 * layer names, order, kernel shapes, paddings and batch-norm settings, so
 * that a Keras weight file of the base (keras_weights.h) maps onto them
 * layer by layer. One table lists the bases; each architecture is a file
 * (models/vgg.c, models/inception_v3.c, models/resnet_v2.c). */
#ifndef SWEEP_MODELS_BASES_H
#define SWEEP_MODELS_BASES_H

#include "nn/models/spec_list.h"

typedef struct {
    double width;                /* filter counts times this (1: Keras's; tests use less) */
    int frozen;                  /* every layer trainable = no */
} base_options;

typedef struct {
    const char *name;            /* the configuration's: "vgg16" */
    const char *keras_name;      /* keras.applications': "VGG16" */
    const char *keras_file;      /* the notop weights file Keras downloads */
    int min_input, default_input;   /* pixels: Keras's minimum; the report's size */
    int preprocess;              /* PREPROCESS_*: what the base was trained on */
    long keras_params;           /* notop parameters as Keras counts them (trainable
                                  * and moving statistics), at width 1 */
    void (*specs)(spec_list *l, const base_options *o);   /* after an input named "input_1" */
} base_info;

/* The base of that configuration name, or NULL. */
const base_info *base_named(const char *name);

/* "vgg16, vgg19, ..." for messages. */
const char *base_name_list(void);

/* The input (grey to 3 channels, resized to input_size, preprocessed) and
 * the base's layers into l. */
void base_add_specs(spec_list *l, const base_info *b, int input_size, const base_options *o);

/* A filter count at a width: round(filters x width), at least 1. */
int base_filters(int filters, const base_options *o);

void vgg16_specs(spec_list *l, const base_options *o);
void vgg19_specs(spec_list *l, const base_options *o);
void inception_v3_specs(spec_list *l, const base_options *o);
void resnet152_v2_specs(spec_list *l, const base_options *o);

#endif
