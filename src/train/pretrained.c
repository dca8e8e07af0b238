/* pretrained: Keras weights onto a trial's base. */
#include "train/pretrained.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "nn/models/bases.h"
#include "store/keras_weights.h"

int pretrained_wanted(const trial_settings *t)
{
    return t->base && t->base[0] && strcmp(t->base_weights, "none") != 0;
}

int pretrained_path(const trial_settings *t, char *path, int size)
{
    const base_info *b = base_named(t->base);
    if (t->base_weights[0])
        return snprintf(path, (size_t)size, "%s", t->base_weights) < size ? 0 : -1;
    const char *keras_home = getenv("KERAS_HOME"), *home = getenv("HOME");
    int n = keras_home && keras_home[0]
                ? snprintf(path, (size_t)size, "%s/models/%s", keras_home, b->keras_file)
                : snprintf(path, (size_t)size, "%s/.keras/models/%s", home ? home : "", b->keras_file);
    return n < size ? 0 : -1;
}

int pretrained_checksum(const char *path, pretrained_source *source, char *err, int err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return snprintf(err, (size_t)err_size, "%s: cannot open: %s", path, strerror(errno)), -1;
    uint64_t hash = FNV1A64_START;
    long long bytes = 0;
    unsigned char buffer[1 << 16];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, f)) > 0) {
        hash = fnv1a64_update(hash, buffer, got);
        bytes += (long long)got;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return snprintf(err, (size_t)err_size, "%s: cannot read", path), -1;
    snprintf(source->path, sizeof source->path, "%s", path);
    source->bytes = bytes;
    source->checksum = hash;
    return 0;
}

/* ------------------------------------------------------------ matching */

static int fail(char *err, int err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, int err_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, (size_t)err_size, fmt, ap);
    va_end(ap);
    return -1;
}

/* "conv2d_12" -> class "conv2d", counter 12; "conv2d" -> counter 0. */
static int split_counter(const char *name, char *family, size_t size)
{
    const char *end = name + strlen(name), *digits = end;
    while (digits > name && isdigit((unsigned char)digits[-1]))
        digits--;
    if (digits == end || digits == name || digits[-1] != '_') {
        snprintf(family, size, "%s", name);
        return 0;
    }
    snprintf(family, size, "%.*s", (int)(digits - 1 - name), name);
    return atoi(digits);
}

/* The rank of name among names[0..n) of its class, by counter. */
static int rank_in_class(const char *name, const char *const *names, int n)
{
    char family[KERAS_NAME_SIZE], other[KERAS_NAME_SIZE];
    int counter = split_counter(name, family, sizeof family), rank = 0;
    for (int i = 0; i < n; i++)
        if (split_counter(names[i], other, sizeof other) < counter && strcmp(other, family) == 0)
            rank++;
    return rank;
}

/* How many of names[0..n) are of the class of name. */
static int class_size(const char *name, const char *const *names, int n)
{
    char family[KERAS_NAME_SIZE], other[KERAS_NAME_SIZE];
    split_counter(name, family, sizeof family);
    int count = 0;
    for (int i = 0; i < n; i++) {
        split_counter(names[i], other, sizeof other);
        count += strcmp(other, family) == 0;
    }
    return count;
}

/* The file's layer for ours. Keras numbers unnamed layers by class in the
 * order it made them, from wherever its counter stood (tf.keras: conv2d,
 * conv2d_1, ...; Keras 2.0: conv2d_1, ...), so where the file has as many
 * layers of our layer's class as we do, the one of the same rank in the
 * class is ours, whatever its number; else the one of our name. */
static const keras_layer *match_layer(const keras_weights *w, const char *ours,
                                      const char *const *our_names, int n_ours)
{
    const char **theirs = xcalloc((size_t)w->n_layers + 1, sizeof *theirs);
    int n_theirs = 0;
    for (int i = 0; i < w->n_layers; i++)
        if (w->layers[i].n_arrays > 0)
            theirs[n_theirs++] = w->layers[i].name;
    const keras_layer *found = NULL;
    if (class_size(ours, theirs, n_theirs) == class_size(ours, our_names, n_ours)) {
        char family[KERAS_NAME_SIZE], other[KERAS_NAME_SIZE];
        split_counter(ours, family, sizeof family);
        const int rank = rank_in_class(ours, our_names, n_ours);
        for (int i = 0; i < n_theirs && !found; i++) {
            split_counter(theirs[i], other, sizeof other);
            if (strcmp(other, family) == 0 && rank_in_class(theirs[i], theirs, n_theirs) == rank)
                found = keras_weights_find(w, theirs[i]);
        }
    }
    free(theirs);
    return found ? found : keras_weights_find(w, ours);
}

static void shape_text(const int *dims, int rank, char *buf, int size)
{
    int len = 0;
    buf[0] = '\0';
    for (int i = 0; i < rank; i++)
        text_append(buf, size, &len, "%s%d", i ? "x" : "", dims[i]);
    if (rank == 0)
        snprintf(buf, (size_t)size, "a scalar");
}

/* Keras's shapes of our layer's arrays, in Keras's order. */
static int keras_shapes(const layer *L, int dims[4][4], int ranks[4])
{
    if (L->ops == &conv_ops) {
        const layer_spec *s = &L->spec;
        ranks[0] = 4;
        dims[0][0] = s->kh, dims[0][1] = s->kw, dims[0][2] = L->in_c, dims[0][3] = L->out_c;
        if (L->bias == NO_TENSOR)
            return 1;
        ranks[1] = 1, dims[1][0] = L->out_c;
        return 2;
    }
    int k = 0;   /* batch norm: [gamma], beta, moving mean, moving variance */
    for (int i = L->weight == NO_TENSOR ? 1 : 0; i < 4; i++, k++)
        ranks[k] = 1, dims[k][0] = L->out_c;
    return k;
}

/* Where each Keras array goes in ours (NULL: check only). */
static void copy_arrays(net *n, const layer *L, const keras_layer *k)
{
    if (L->ops == &conv_ops) {
        const keras_array *kernel = &k->arrays[0];
        float *w = n->params + L->weight;
        const int KH = kernel->dims[0], KW = kernel->dims[1], I = kernel->dims[2], O = kernel->dims[3];
        for (int y = 0; y < KH; y++)   /* HWIO to OIHW */
            for (int x = 0; x < KW; x++)
                for (int i = 0; i < I; i++)
                    for (int o = 0; o < O; o++)
                        w[(((size_t)o * I + i) * KH + y) * KW + x] =
                            kernel->values[(((size_t)y * KW + x) * I + i) * O + o];
        if (L->bias != NO_TENSOR)
            memcpy(n->params + L->bias, k->arrays[1].values, sizeof(float) * (size_t)O);
        return;
    }
    const size_t C = (size_t)L->out_c;
    float *targets[4] = { n->params + L->weight, n->params + L->bias, n->state + L->moving_mean,
                          n->state + L->moving_var };
    for (int i = L->weight == NO_TENSOR ? 1 : 0, a = 0; i < 4; i++, a++)
        memcpy(targets[i], k->arrays[a].values, sizeof(float) * C);
}

static int is_base_layer(const layer *L)
{
    return L->ops == &conv_ops || L->ops == &batch_norm_ops;
}

/* The base's weighted layers (all before "flatten"). */
static int base_layers(const net *n, const layer **out)
{
    int count = 0;
    for (int i = 0; i < n->n_layers && strcmp(n->layers[i].name, "flatten") != 0; i++)
        if (is_base_layer(&n->layers[i]))
            out[count++] = &n->layers[i];
    return count;
}

/* Checks every base layer against the file (and copies when buffers exist). */
static int map_weights(net *n, const keras_weights *w, const char *path, const char *base,
                       int copy, char *err, int err_size)
{
    const layer **ours = xcalloc((size_t)n->n_layers, sizeof *ours);
    const char **names = xcalloc((size_t)n->n_layers, sizeof *names);
    int count = base_layers(n, ours), rc = 0;
    for (int i = 0; i < count; i++)
        names[i] = ours[i]->name;
    char *used = xcalloc((size_t)w->n_layers + 1, 1);
    for (int i = 0; i < count && rc == 0; i++) {
        const keras_layer *k = match_layer(w, ours[i]->name, names, count);
        if (!k) {
            rc = fail(err, err_size, "%s: no layer %s, which %s needs: the weights of "
                          "another architecture?", path, ours[i]->name, base);
            break;
        }
        if (used[k - w->layers]) {
            rc = fail(err, err_size, "%s: layer %s would give its weights to two of %s's layers "
                      "(the second %s)", path, k->name, base, ours[i]->name);
            break;
        }
        used[k - w->layers] = 1;
        int dims[4][4], ranks[4];
        int want = keras_shapes(ours[i], dims, ranks);
        if (k->n_arrays != want) {
            rc = fail(err, err_size, "%s: layer %s has %d weights, %s's %s has %d", path,
                          k->name, k->n_arrays, base, ours[i]->name, want);
            break;
        }
        for (int a = 0; a < want && rc == 0; a++) {
            const keras_array *arr = &k->arrays[a];
            int same = arr->rank == ranks[a];
            for (int d = 0; same && d < ranks[a]; d++)
                same = arr->dims[d] == dims[a][d];
            if (!same) {
                char file_shape[64], our_shape[64];
                shape_text(arr->dims, arr->rank, file_shape, sizeof file_shape);
                shape_text(dims[a], ranks[a], our_shape, sizeof our_shape);
                rc = fail(err, err_size, "%s: layer %s: %s is %s in the file, %s's %s "
                              "takes %s", path, k->name, arr->name, file_shape, base,
                              ours[i]->name, our_shape);
            }
        }
        if (rc == 0 && copy)
            copy_arrays(n, ours[i], k);
    }
    for (int j = 0; j < w->n_layers && rc == 0; j++)
        if (w->layers[j].n_arrays > 0 && !used[j])
            rc = fail(err, err_size, "%s: layer %s has weights %s has no place for: "
                          "the weights of another architecture (or not a notop file)?", path,
                          w->layers[j].name, base);
    free(used);
    free(names);
    free(ours);
    return rc;
}

static int read_and_map(net *n, const trial_settings *t, int copy, pretrained_source *source,
                        char *err, int err_size)
{
    if (!pretrained_wanted(t))
        return 0;
    const base_info *b = base_named(t->base);
    char path[TRIAL_PATH_MAX];
    if (pretrained_path(t, path, sizeof path) != 0)
        return snprintf(err, (size_t)err_size, "%s: base_weights path too long", t->name), -1;
    struct stat st;
    if (stat(path, &st) != 0)
        return snprintf(err, (size_t)err_size, "%s: %s; base %s reads Keras's %s, which Keras "
                        "keeps in ~/.keras/models/ (keras.applications.%s(weights='imagenet', "
                        "include_top=False) downloads it); or base_weights = none", path,
                        strerror(errno), b->name, b->keras_file, b->keras_name), -1;
    keras_weights *w = keras_weights_read(path, err, err_size);
    if (!w)
        return -1;
    int rc = map_weights(n, w, path, b->name, copy, err, err_size);
    keras_weights_free(w);
    if (rc == 0 && source)
        rc = pretrained_checksum(path, source, err, err_size);
    return rc;
}

int pretrained_load(net *n, const trial_settings *t, pretrained_source *source, char *err,
                    int err_size)
{
    if (source)
        snprintf(source->path, sizeof source->path, "none"), source->bytes = 0, source->checksum = 0;
    return read_and_map(n, t, 1, source, err, err_size);
}

int pretrained_check(const trial_settings *t, char *err, int err_size)
{
    if (!pretrained_wanted(t))
        return 0;
    net *layout = net_layout(t, err, err_size);
    if (!layout)
        return -1;
    int rc = read_and_map(layout, t, 0, NULL, err, err_size);
    net_free(layout);
    return rc;
}
