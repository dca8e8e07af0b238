/* weights_file: a trial's best weights in a file of their own (see
 * weights_file.h). */
#include "store/weights_file.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/h5io.h"
#include "core/util.h"

/* ---- where ---------------------------------------------------------------- */

/* "2026-12-02T15:00:00Z" -> "20261202T150000Z": a directory name with no
 * colons (which some filesystems and tools refuse). */
static void compact_stamp(const char *started, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = started; *p && n + 1 < size; p++)
        if (*p != '-' && *p != ':')
            out[n++] = *p;
    out[n] = '\0';
    if (n == 0)
        snprintf(out, size, "unstarted");
}

int weights_file_place(const char *results_path, const char *started,
                       const trial_settings *s, char *path, size_t path_size, char *link,
                       size_t link_size)
{
    const char *slash = strrchr(results_path, '/');
    const char *base = slash ? slash + 1 : results_path;
    size_t dir_len = slash ? (size_t)(slash - results_path) + 1 : 0;   /* with the '/' */
    size_t stem_len = strlen(base);
    if (stem_len > 3 && strcmp(base + stem_len - 3, ".h5") == 0)
        stem_len -= 3;
    char stamp[32];
    compact_stamp(started, stamp, sizeof stamp);
    int n = snprintf(link, link_size, "%.*s.weights/%s/%s-%016" PRIx64 ".h5", (int)stem_len,
                     base, stamp, s->name, s->hash);
    if (n < 0 || (size_t)n >= link_size)
        return -1;
    n = snprintf(path, path_size, "%.*s%s", (int)dir_len, results_path, link);
    return n < 0 || (size_t)n >= path_size ? -1 : 0;
}

/* ---- writing -------------------------------------------------------------- */

static int write_description(hid_t file, const trial_settings *s)
{
    char text[4096], hash[24];
    trial_canonical_text(s, text, sizeof text);
    snprintf(hash, sizeof hash, "%016" PRIx64, s->hash);
    int rc = h5io_write_string_attribute(file, "format", WEIGHTS_FORMAT);
    rc |= h5io_write_string_attribute(file, "trial", s->name);
    rc |= h5io_write_string_attribute(file, "hash", hash);
    rc |= h5io_write_string_attribute(file, "settings_text", text);
    return rc;
}

/* Opens group `name` of parent, creating it the first time. */
static hid_t open_or_create_group(hid_t parent, const char *name)
{
    if (H5Lexists(parent, name, H5P_DEFAULT) > 0)
        return H5Gopen2(parent, name, H5P_DEFAULT);
    return H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

/* "block0.conv0.weight" -> layer "block0.conv0", tensor "weight". */
static int split_tensor_name(const char *name, char *layer, size_t size, const char **tensor)
{
    snprintf(layer, size, "%s", name);
    char *dot = strrchr(layer, '.');
    if (!dot)
        return -1;
    *dot = '\0';
    *tensor = name + (dot - layer) + 1;
    return 0;
}

static int write_one_tensor(hid_t weights, const net_tensor *nt, const float *data)
{
    char layer[64];
    const char *tensor;
    if (split_tensor_name(nt->name, layer, sizeof layer, &tensor) != 0)
        return -1;
    hid_t g = open_or_create_group(weights, layer);
    if (g < 0)
        return -1;
    hsize_t dims[4];
    for (int d = 0; d < nt->ndim; d++)
        dims[d] = (hsize_t)nt->dims[d];
    int rc = h5io_write_array(g, tensor, H5T_NATIVE_FLOAT, data, nt->ndim, dims);
    H5Gclose(g);
    return rc;
}

static int write_tensors(hid_t file, const net *layout, const float *params, const float *state)
{
    hid_t weights = H5Gcreate2(file, WEIGHTS_OBJECT + 1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = weights < 0 ? -1 : 0;
    for (int i = 0; rc == 0 && i < layout->n_tensors; i++) {
        const net_tensor *nt = &layout->tensors[i];
        const float *base = nt->home == TENSOR_PARAM ? params : state;
        rc = write_one_tensor(weights, nt, base + nt->offset);
    }
    if (weights >= 0)
        H5Gclose(weights);
    return rc;
}

int weights_file_write(const char *path, const trial_settings *s, const float *params,
                       size_t n_params, const float *state, size_t n_state, char *err,
                       int err_size)
{
    net *layout = net_layout(s, err, err_size);
    if (!layout)
        return -1;
    if (layout->n_params != n_params || layout->n_state != n_state) {
        net_free(layout);
        return set_error(err, err_size, "%s: %zu weights and %zu statistics do not fit %s's net",
                         path, n_params, n_state, s->name);
    }
    char tmp[TRIAL_PATH_MAX * 2 + 8];
    hid_t file = make_parent_directories(path, err, err_size) != 0
                     ? -1 : h5io_create_temp(path, tmp, sizeof tmp, err, err_size);
    int rc = -1;
    if (file >= 0) {
        int written = write_description(file, s) | write_tensors(file, layout, params, state);
        rc = h5io_commit(file, written, tmp, path, err, err_size);
    }
    net_free(layout);
    return rc;
}

/* ---- copying and reading ---------------------------------------------------- */

static int fault(char *err, int err_size, const char *path, const char *object, const char *what)
{
    return set_error(err, err_size, "%s: %s: %s", path, object, what);
}

int weights_file_copy(const char *from, const char *object, const trial_settings *s,
                      const char *path, char *err, int err_size)
{
    hid_t source = h5io_open_read(from, err, err_size);
    if (source < 0)
        return -1;
    if (H5Lexists(source, object, H5P_DEFAULT) <= 0) {
        H5Fclose(source);
        return fault(err, err_size, from, object, "best weights missing");
    }
    char tmp[TRIAL_PATH_MAX * 2 + 8];
    hid_t file = make_parent_directories(path, err, err_size) != 0
                     ? -1 : h5io_create_temp(path, tmp, sizeof tmp, err, err_size);
    int rc = -1;
    if (file >= 0) {
        int copied = write_description(file, s);
        copied |= H5Ocopy(source, object, file, WEIGHTS_OBJECT + 1, H5P_DEFAULT, H5P_DEFAULT) < 0;
        rc = h5io_commit(file, copied, tmp, path, err, err_size);
    }
    H5Fclose(source);
    return rc;
}

static int read_tensors(hid_t weights, net *n)
{
    char layer[64], where[160];
    const char *tensor;
    for (int i = 0; i < n->n_tensors; i++) {
        const net_tensor *nt = &n->tensors[i];
        if (split_tensor_name(nt->name, layer, sizeof layer, &tensor) != 0)
            return -1;
        snprintf(where, sizeof where, "%s/%s", layer, tensor);
        float *base = nt->home == TENSOR_PARAM ? n->params : n->state;
        if (H5Lexists(weights, layer, H5P_DEFAULT) <= 0 ||
            h5io_read_exact(weights, where, H5T_NATIVE_FLOAT, base + nt->offset, nt->count) != 0)
            return -1;
    }
    return 0;
}

int weights_file_read(const char *path, const char *object, net *n, char *err, int err_size)
{
    hid_t file = h5io_open_read(path, err, err_size);
    if (file < 0)
        return -1;
    hid_t weights = H5Lexists(file, object, H5P_DEFAULT) > 0
                        ? H5Gopen2(file, object, H5P_DEFAULT) : -1;
    int rc = weights >= 0 ? read_tensors(weights, n) : -1;
    if (weights >= 0)
        H5Gclose(weights);
    H5Fclose(file);
    return rc == 0 ? 0
                   : fault(err, err_size, path, object,
                           "best weights missing, damaged or not of this trial's net");
}
