/* spec_list: a growing list of layer specs, for the code that writes a
 * model out layer by layer (the report's blocks, the pretrained bases).
 * Running out of room is remembered rather than reported at each call, so
 * builders read straight through and check once at the end. */
#ifndef SWEEP_MODELS_SPEC_LIST_H
#define SWEEP_MODELS_SPEC_LIST_H

#include "nn/layer.h"

typedef struct {
    layer_spec *specs;
    int n, max;                  /* n > max: ran out of room */
} spec_list;

/* A new spec of kind ops named name (printf-style), defaults set, reading
 * the layer before it; NULL when the list is full. */
layer_spec *spec_add(spec_list *l, const layer_ops *ops, const char *name_format, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets s to read the named layers (NULL-terminated), in that order. */
void spec_from(layer_spec *s, const char *first, ...);

/* The name of the last spec added ("" if none): what the next reads. */
const char *spec_last_name(const spec_list *l);

/* The count, or -1 if it ran out of room. */
int spec_count(const spec_list *l);

#endif
