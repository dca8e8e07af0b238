/* spec_list: layer specs appended one by one. */
#include "nn/models/spec_list.h"

#include <stdarg.h>
#include <stdio.h>

layer_spec *spec_add(spec_list *l, const layer_ops *ops, const char *name_format, ...)
{
    if (l->n >= l->max) {
        l->n = l->max + 1;   /* remembered as too many */
        return NULL;
    }
    layer_spec *s = &l->specs[l->n++];
    layer_spec_defaults(s, ops);
    va_list ap;
    va_start(ap, name_format);
    vsnprintf(s->name, sizeof s->name, name_format, ap);
    va_end(ap);
    return s;
}

void spec_from(layer_spec *s, const char *first, ...)
{
    if (!s)
        return;
    s->n_from = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *name = first; name && s->n_from < LAYER_MAX_INPUTS; name = va_arg(ap, const char *))
        snprintf(s->from[s->n_from++], LAYER_NAME_MAX, "%s", name);
    va_end(ap);
}

const char *spec_last_name(const spec_list *l)
{
    return l->n > 0 && l->n <= l->max ? l->specs[l->n - 1].name : "";
}

int spec_count(const spec_list *l)
{
    return l->n > l->max ? -1 : l->n;
}
