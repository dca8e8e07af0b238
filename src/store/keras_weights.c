/* keras_weights: Keras's legacy HDF5 weight files, read layer by layer (see
 * keras_weights.h). Every HDF5 call is checked and every handle closed on
 * every path; a fault is one line in err, HDF5's own error stack silenced
 * (h5io_open_read turns its printing off). */
#include "store/keras_weights.h"

#include <hdf5.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "store/h5io.h"

/* The file being read, for messages. */
typedef struct {
    const char *path;
    char *err;
    int err_size;
} reader;

/* The names of one of Keras's name lists, each a malloc'd copy. */
typedef struct {
    int count;
    char **names;
} name_list;

static void name_list_add(name_list *list, const char *text, size_t length)
{
    list->names = xrealloc(list->names, (size_t)(list->count + 1) * sizeof *list->names);
    char *copy = xcalloc(length + 1, 1);
    memcpy(copy, text, length);
    list->names[list->count++] = copy;
}

static void name_list_free(name_list *list)
{
    for (int i = 0; i < list->count; i++)
        free(list->names[i]);
    free(list->names);
    *list = (name_list){0};
}

/* Fixed-length strings (numpy 'S', as h5py 2 stored Keras's lists): n
 * entries of `size` bytes each, NUL-padded, a full-length entry with no NUL. */
static int add_fixed_strings(hid_t attr, hid_t stored, hssize_t n, name_list *list)
{
    size_t size = H5Tget_size(stored);
    hid_t mem = size == 0 ? -1 : H5Tcopy(stored);
    if (mem < 0)
        return -1;
    char *text = xcalloc((size_t)n, size);
    int rc = H5Aread(attr, mem, text) < 0 ? -1 : 0;
    for (hssize_t i = 0; rc == 0 && i < n; i++) {
        const char *entry = text + (size_t)i * size;
        name_list_add(list, entry, strnlen(entry, size));
    }
    free(text);
    H5Tclose(mem);
    return rc;
}

/* Variable-length strings (h5py 3's form for Keras's list). HDF5 converts
 * no strings between character sets: read them in the set they are in. */
static int add_variable_strings(hid_t attr, hid_t stored, hssize_t n, name_list *list)
{
    hid_t mem = H5Tcopy(H5T_C_S1);
    if (mem < 0)
        return -1;
    char **texts = xcalloc((size_t)n, sizeof *texts);
    int rc = H5Tset_size(mem, H5T_VARIABLE) < 0 || H5Tset_cset(mem, H5Tget_cset(stored)) < 0 ||
             H5Aread(attr, mem, texts) < 0 ? -1 : 0;
    for (hssize_t i = 0; i < n; i++) {
        if (rc == 0)
            name_list_add(list, texts[i] ? texts[i] : "", texts[i] ? strlen(texts[i]) : 0);
        if (texts[i])
            H5free_memory(texts[i]);
    }
    free(texts);
    H5Tclose(mem);
    return rc;
}

/* Appends the strings of attribute `name` of loc. An attribute of no
 * elements is an empty list whatever its type: h5py stores Keras's [] as
 * float64 values of shape (0,), other writers as a null dataspace. */
static int add_attribute_strings(hid_t loc, const char *name, name_list *list)
{
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t space = attr < 0 ? -1 : H5Aget_space(attr);
    hid_t stored = attr < 0 ? -1 : H5Aget_type(attr);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    int rc = -1;
    if (n == 0 && stored >= 0)
        rc = 0;
    else if (n > 0 && stored >= 0 && H5Tget_class(stored) == H5T_STRING)
        rc = H5Tis_variable_str(stored) > 0 ? add_variable_strings(attr, stored, n, list)
                                            : add_fixed_strings(attr, stored, n, list);
    if (stored >= 0)
        H5Tclose(stored);
    if (space >= 0)
        H5Sclose(space);
    if (attr >= 0)
        H5Aclose(attr);
    return rc;
}

/* Keras's load_attributes_from_hdf5_group: attribute NAME, or, if it is
 * missing, NAME0, NAME1, ... until one is missing. 1 if found, 0 if there
 * is neither, -1 if one is not a list of strings. */
static int read_name_list(hid_t loc, const char *name, name_list *list)
{
    if (H5Aexists(loc, name) > 0)
        return add_attribute_strings(loc, name, list) == 0 ? 1 : -1;
    int chunks = 0;
    for (;; chunks++) {
        char chunk[64];
        snprintf(chunk, sizeof chunk, "%s%d", name, chunks);
        if (H5Aexists(loc, chunk) <= 0)
            break;
        if (add_attribute_strings(loc, chunk, list) != 0)
            return -1;
    }
    return chunks > 0 ? 1 : 0;
}

/* Group `name` of loc, or -1 if there is none (or it is not a group). */
static hid_t open_group(hid_t loc, const char *name)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return -1;
    return H5Gopen2(loc, name, H5P_DEFAULT);
}

static int copy_name(char *to, const char *from)
{
    size_t n = strlen(from);
    if (n >= KERAS_NAME_SIZE)
        return -1;
    memcpy(to, from, n + 1);
    return 0;
}

/* The shape of an open dataset into a; `where` names it in messages. */
static int read_shape(const reader *r, hid_t set, const char *where, keras_array *a)
{
    hid_t space = H5Dget_space(set);
    int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    hssize_t points = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    hsize_t dims[H5S_MAX_RANK];
    int rc = rank >= 0 && points >= 0 &&
             H5Sget_simple_extent_dims(space, dims, NULL) == rank ? 0 : -1;
    if (space >= 0)
        H5Sclose(space);
    if (rank > KERAS_MAX_RANK)
        return set_error(r->err, r->err_size, "%s: dataset %s: rank %d, over the %d this reads",
                         r->path, where, rank, KERAS_MAX_RANK);
    if (rc != 0)
        return set_error(r->err, r->err_size, "%s: dataset %s: cannot read its shape", r->path,
                         where);
    a->rank = rank;
    a->count = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] > INT_MAX || (dims[i] > 0 && a->count > SIZE_MAX / sizeof(float) / dims[i]))
            return set_error(r->err, r->err_size, "%s: dataset %s: too large", r->path, where);
        a->dims[i] = (int)dims[i];
        a->count *= (size_t)dims[i];
    }
    if (points == 0)   /* a null dataspace: rank 0 and no value */
        a->count = 0;
    return 0;
}

/* Numbers of any width (float16, float64, integers): HDF5 converts them
 * to float as it reads. */
static int is_numeric(hid_t set)
{
    hid_t type = H5Dget_type(set);
    H5T_class_t class = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    if (type >= 0)
        H5Tclose(type);
    return class == H5T_FLOAT || class == H5T_INTEGER;
}

/* Dataset `weight` of the layer's group into a, read straight into its
 * values (a 234 MB ResNet152V2 base is read once, never copied). */
static int read_array(const reader *r, hid_t group, const char *group_path, const char *layer,
                      const char *weight, keras_array *a)
{
    char where[2 * KERAS_NAME_SIZE + 80];
    snprintf(where, sizeof where, "%s/%s", group_path, weight);
    if (copy_name(a->name, weight) != 0)
        return set_error(r->err, r->err_size, "%s: layer '%s': weight name '%.60s...' is over %d "
                         "bytes", r->path, layer, weight, KERAS_NAME_SIZE - 1);
    /* a path whose inner group is missing is no dataset either */
    if (H5Lexists(group, weight, H5P_DEFAULT) <= 0)
        return set_error(r->err, r->err_size, "%s: layer '%s': weight '%s' is in weight_names "
                         "but there is no dataset %s", r->path, layer, weight, where);
    hid_t set = H5Dopen2(group, weight, H5P_DEFAULT);
    if (set < 0)
        return set_error(r->err, r->err_size, "%s: layer '%s': %s is not a readable dataset",
                         r->path, layer, where);
    int rc = read_shape(r, set, where, a);
    if (rc == 0 && !is_numeric(set))
        rc = set_error(r->err, r->err_size, "%s: dataset %s: not numbers", r->path, where);
    /* calloc, not xcalloc: the size comes from the file, and a damaged
     * shape is the file's fault, reported as such */
    if (rc == 0 && a->count > 0 && !(a->values = calloc(a->count, sizeof(float))))
        rc = set_error(r->err, r->err_size, "%s: dataset %s: cannot allocate %zu floats",
                       r->path, where, a->count);
    if (rc == 0 && a->count > 0 &&
        H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->values) < 0)
        rc = set_error(r->err, r->err_size, "%s: dataset %s: cannot read it (truncated or "
                       "damaged file?)", r->path, where);
    if (H5Dclose(set) < 0 && rc == 0)
        rc = set_error(r->err, r->err_size, "%s: dataset %s: cannot close it", r->path, where);
    return rc;
}

/* Layer `name` of root (root_path: "" or "/model_weights") into layer. */
static int read_layer(const reader *r, hid_t root, const char *root_path, const char *name,
                      keras_layer *layer)
{
    if (copy_name(layer->name, name) != 0)
        return set_error(r->err, r->err_size, "%s: layer name '%.60s...' is over %d bytes",
                         r->path, name, KERAS_NAME_SIZE - 1);
    char group_path[KERAS_NAME_SIZE + 40];
    snprintf(group_path, sizeof group_path, "%s/%s", root_path, name);
    hid_t group = open_group(root, name);
    if (group < 0)
        return set_error(r->err, r->err_size, "%s: layer '%s' is in layer_names but there is "
                         "no group %s", r->path, name, group_path);
    name_list weights = {0};
    int rc = 0;
    /* Keras reads a missing weight_names as an empty one */
    if (read_name_list(group, "weight_names", &weights) < 0)
        rc = set_error(r->err, r->err_size, "%s: layer '%s': attribute weight_names is not a "
                       "list of strings", r->path, name);
    if (rc == 0 && weights.count > 0) {
        layer->arrays = xcalloc((size_t)weights.count, sizeof *layer->arrays);
        layer->n_arrays = weights.count;
    }
    for (int i = 0; rc == 0 && i < weights.count; i++)
        rc = read_array(r, group, group_path, name, weights.names[i], &layer->arrays[i]);
    name_list_free(&weights);
    if (H5Gclose(group) < 0 && rc == 0)
        rc = set_error(r->err, r->err_size, "%s: cannot close group %s", r->path, group_path);
    return rc;
}

/* Keras 3's saving_lib (and tf.keras 2.13+ for a .weights.h5 name): a
 * group vars for the model's own variables beside its layers' groups. */
static int is_keras3_layout(hid_t file)
{
    return H5Lexists(file, "vars", H5P_DEFAULT) > 0 &&
           (H5Lexists(file, "layers", H5P_DEFAULT) > 0 ||
            H5Lexists(file, "_layer_checkpoint_dependencies", H5P_DEFAULT) > 0);
}

/* Finds layer_names on the root or /model_weights and reads every layer. */
static int read_file(const reader *r, hid_t file, keras_weights *w)
{
    name_list layers = {0};
    const char *root_path = "";
    hid_t root = file, model_weights = -1;
    int found = read_name_list(file, "layer_names", &layers);
    if (found == 0 && (model_weights = open_group(file, "model_weights")) >= 0) {
        root = model_weights;
        root_path = "/model_weights";
        found = read_name_list(root, "layer_names", &layers);
    }
    int rc = 0;
    if (found < 0)
        rc = set_error(r->err, r->err_size, "%s: attribute layer_names at %s: not a list of "
                       "strings", r->path, root_path[0] ? root_path : "/");
    else if (found == 0 && is_keras3_layout(file))
        rc = set_error(r->err, r->err_size, "%s: a Keras 3 .weights.h5 file (layers/CLASS/vars/N, "
                       "layers named by class, not by name), which this does not read; save the "
                       "model with model.save('NAME.h5') (Keras 3 writes the legacy layout for "
                       "a name ending .h5) or with Keras 2's model.save_weights('NAME.h5')",
                       r->path);
    else if (found == 0)
        rc = set_error(r->err, r->err_size, "%s: not a Keras weights file (no layer_names "
                       "attribute at / or /model_weights)", r->path);
    if (rc == 0) {
        /* Keras writes them beside layer_names (a whole-model file on the
         * root as well); old files have none: "" */
        h5io_read_string_attribute(root, "keras_version", w->keras_version,
                                   sizeof w->keras_version);
        h5io_read_string_attribute(root, "backend", w->backend, sizeof w->backend);
        w->layers = xcalloc((size_t)layers.count + 1, sizeof *w->layers);
        w->n_layers = layers.count;   /* before reading: a fault frees what was read */
    }
    for (int i = 0; rc == 0 && i < layers.count; i++)
        rc = read_layer(r, root, root_path, layers.names[i], &w->layers[i]);
    name_list_free(&layers);
    if (model_weights >= 0 && H5Gclose(model_weights) < 0 && rc == 0)
        rc = set_error(r->err, r->err_size, "%s: cannot close /model_weights", r->path);
    return rc;
}

keras_weights *keras_weights_read(const char *path, char *err, int err_size)
{
    hid_t file = h5io_open_read(path, err, err_size);
    if (file < 0)
        return NULL;
    reader r = { path, err, err_size };
    keras_weights *w = xcalloc(1, sizeof *w);
    w->format = 2;
    int rc = read_file(&r, file, w);
    if (H5Fclose(file) < 0 && rc == 0)
        rc = set_error(err, err_size, "%s: cannot close the file", path);
    if (rc != 0) {
        keras_weights_free(w);
        return NULL;
    }
    return w;
}

void keras_weights_free(keras_weights *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n_layers; i++) {
        for (int j = 0; j < w->layers[i].n_arrays; j++)
            free(w->layers[i].arrays[j].values);
        free(w->layers[i].arrays);
    }
    free(w->layers);
    free(w);
}

const keras_layer *keras_weights_find(const keras_weights *w, const char *layer_name)
{
    for (int i = 0; w && i < w->n_layers; i++)
        if (strcmp(w->layers[i].name, layer_name) == 0)
            return &w->layers[i];
    return NULL;
}

int keras_weights_count_with_arrays(const keras_weights *w)
{
    int n = 0;
    for (int i = 0; w && i < w->n_layers; i++)
        n += w->layers[i].n_arrays > 0;
    return n;
}
