/* checkpoint: trainer state to and from HDF5, written atomically.
 * Layout: root attributes format, trial_hash, adam_step, epochs_done,
 * best_epoch, epochs_since_best, stopped, best_val_accuracy; 1-D float
 * datasets params, state, adam_m, adam_v, best_params, best_state; and
 * history, (epochs_done x 6) doubles: epoch, loss, accuracy, val_loss,
 * val_accuracy, seconds. */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define CHECKPOINT_FORMAT 1
#define HISTORY_COLUMNS 6

/* ---- writing ------------------------------------------------------------ */

static int write_array(hid_t file, const char *name, hid_t type, const void *data,
                       int rank, const hsize_t *dims)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    if (space < 0)
        return -1;
    hid_t set = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = set < 0 ? -1 : H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (set >= 0)
        H5Dclose(set);
    H5Sclose(space);
    return rc < 0 ? -1 : 0;
}

static int write_floats(hid_t file, const char *name, const float *data, size_t count)
{
    hsize_t dims[1] = { count };
    return write_array(file, name, H5T_NATIVE_FLOAT, data, 1, dims);
}

static int write_scalar_attribute(hid_t file, const char *name, hid_t type, const void *value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    if (space < 0)
        return -1;
    hid_t attr = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = attr < 0 ? -1 : H5Awrite(attr, type, value);
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    return rc < 0 ? -1 : 0;
}

static int write_counters(hid_t file, const trainer *tr)
{
    const long long format = CHECKPOINT_FORMAT, step = tr->adam->step;
    const unsigned long long hash = tr->settings.hash;
    const int counters[4] = { tr->epochs_done, tr->best_epoch, tr->epochs_since_best, tr->stopped };
    const char *names[4] = { "epochs_done", "best_epoch", "epochs_since_best", "stopped" };
    int rc = write_scalar_attribute(file, "format", H5T_NATIVE_LLONG, &format);
    rc |= write_scalar_attribute(file, "trial_hash", H5T_NATIVE_ULLONG, &hash);
    rc |= write_scalar_attribute(file, "adam_step", H5T_NATIVE_LLONG, &step);
    rc |= write_scalar_attribute(file, "best_val_accuracy", H5T_NATIVE_DOUBLE, &tr->best_val_accuracy);
    for (int i = 0; i < 4; i++)
        rc |= write_scalar_attribute(file, names[i], H5T_NATIVE_INT, &counters[i]);
    return rc;
}

static int write_history(hid_t file, const trainer *tr)
{
    const int rows = tr->epochs_done;
    double *table = xcalloc((size_t)(rows ? rows : 1) * HISTORY_COLUMNS, sizeof(double));
    for (int e = 0; e < rows; e++) {
        const epoch_record *r = &tr->history[e];
        double *row = table + (size_t)e * HISTORY_COLUMNS;
        row[0] = r->epoch;
        row[1] = r->loss;
        row[2] = r->accuracy;
        row[3] = r->val_loss;
        row[4] = r->val_accuracy;
        row[5] = r->seconds;
    }
    hsize_t dims[2] = { (hsize_t)rows, HISTORY_COLUMNS };
    int rc = write_array(file, "history", H5T_NATIVE_DOUBLE, table, 2, dims);
    free(table);
    return rc;
}

static int write_contents(hid_t file, const trainer *tr)
{
    const net *n = tr->net;
    int rc = write_counters(file, tr);
    rc |= write_floats(file, "params", n->params, n->n_params);
    rc |= write_floats(file, "state", n->state, n->n_state);
    rc |= write_floats(file, "adam_m", tr->adam->m, n->n_params);
    rc |= write_floats(file, "adam_v", tr->adam->v, n->n_params);
    rc |= write_floats(file, "best_params", tr->best_params, n->n_params);
    rc |= write_floats(file, "best_state", tr->best_state, n->n_state);
    rc |= write_history(file, tr);
    return rc;
}

/* The data must be on disk before the rename makes it the checkpoint. */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static void directory_of(const char *path, char *dir, size_t size)
{
    snprintf(dir, size, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, size, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
}

int checkpoint_write(const trainer *tr, const char *path, char *err, int err_size)
{
    char tmp[TRIAL_PATH_MAX + 8], dir[TRIAL_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);   /* our message, not HDF5's stack dump */
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        snprintf(err, (size_t)err_size, "%s: cannot create: %s", tmp, strerror(errno));
        return -1;
    }
    int rc = write_contents(file, tr);
    rc |= H5Fclose(file) < 0 ? -1 : 0;
    if (rc != 0) {
        snprintf(err, (size_t)err_size, "%s: cannot write the checkpoint (disk full?)", tmp);
        unlink(tmp);
        return -1;
    }
    directory_of(path, dir, sizeof dir);
    if (sync_path(tmp) != 0 || rename(tmp, path) != 0 || sync_path(dir) != 0) {
        snprintf(err, (size_t)err_size, "%s: cannot sync or rename into place: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- reading ------------------------------------------------------------ */

static int read_scalar_attribute(hid_t file, const char *name, hid_t type, void *value)
{
    hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
    if (attr < 0)
        return -1;
    herr_t rc = H5Aread(attr, type, value);
    H5Aclose(attr);
    return rc < 0 ? -1 : 0;
}

/* Reads dataset `name` into data, which holds exactly `count` values of
 * `type`; a dataset of another size is a fault. */
static int read_exact(hid_t file, const char *name, hid_t type, void *data, hsize_t count)
{
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    if (set < 0)
        return -1;
    hid_t space = H5Dget_space(set);
    hssize_t points = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    herr_t rc = points == (hssize_t)count ? H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : -1;
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(set);
    return rc < 0 ? -1 : 0;
}

/* Everything a checkpoint holds, read in full before any of it is used. */
typedef struct {
    long long format, adam_step;
    unsigned long long hash;
    int counters[4];             /* epochs_done, best_epoch, epochs_since_best, stopped */
    double best_val_accuracy;
    float *params, *state, *m, *v, *best_params, *best_state;
    double *history;
} checkpoint_contents;

static void contents_free(checkpoint_contents *c)
{
    free(c->params);
    free(c->state);
    free(c->m);
    free(c->v);
    free(c->best_params);
    free(c->best_state);
    free(c->history);
}

/* Returns NULL or what is wrong. */
static const char *read_contents(hid_t file, const trainer *tr, checkpoint_contents *c)
{
    const char *names[4] = { "epochs_done", "best_epoch", "epochs_since_best", "stopped" };
    if (read_scalar_attribute(file, "format", H5T_NATIVE_LLONG, &c->format) != 0 ||
        c->format != CHECKPOINT_FORMAT)
        return "not a sweep checkpoint (no format 1 attribute)";
    if (read_scalar_attribute(file, "trial_hash", H5T_NATIVE_ULLONG, &c->hash) != 0 ||
        c->hash != tr->settings.hash)
        return "written for other trial settings (hash differs)";
    int rc = read_scalar_attribute(file, "adam_step", H5T_NATIVE_LLONG, &c->adam_step);
    rc |= read_scalar_attribute(file, "best_val_accuracy", H5T_NATIVE_DOUBLE, &c->best_val_accuracy);
    for (int i = 0; i < 4; i++)
        rc |= read_scalar_attribute(file, names[i], H5T_NATIVE_INT, &c->counters[i]);
    if (rc != 0 || c->counters[0] < 0 || c->counters[0] > tr->settings.epochs)
        return "missing or impossible counters";
    const size_t np = tr->net->n_params, ns = tr->net->n_state;
    const hsize_t rows = (hsize_t)c->counters[0];
    c->params = xcalloc(np, sizeof(float));
    c->m = xcalloc(np, sizeof(float));
    c->v = xcalloc(np, sizeof(float));
    c->best_params = xcalloc(np, sizeof(float));
    c->state = xcalloc(ns, sizeof(float));
    c->best_state = xcalloc(ns, sizeof(float));
    c->history = xcalloc((size_t)(rows ? rows : 1) * HISTORY_COLUMNS, sizeof(double));
    rc = read_exact(file, "params", H5T_NATIVE_FLOAT, c->params, np);
    rc |= read_exact(file, "adam_m", H5T_NATIVE_FLOAT, c->m, np);
    rc |= read_exact(file, "adam_v", H5T_NATIVE_FLOAT, c->v, np);
    rc |= read_exact(file, "best_params", H5T_NATIVE_FLOAT, c->best_params, np);
    rc |= read_exact(file, "state", H5T_NATIVE_FLOAT, c->state, ns);
    rc |= read_exact(file, "best_state", H5T_NATIVE_FLOAT, c->best_state, ns);
    rc |= read_exact(file, "history", H5T_NATIVE_DOUBLE, c->history, rows * HISTORY_COLUMNS);
    return rc != 0 ? "a dataset is missing or has the wrong size" : NULL;
}

static void restore(trainer *tr, const checkpoint_contents *c)
{
    net *n = tr->net;
    memcpy(n->params, c->params, sizeof(float) * n->n_params);
    memcpy(n->state, c->state, sizeof(float) * n->n_state);
    memcpy(tr->adam->m, c->m, sizeof(float) * n->n_params);
    memcpy(tr->adam->v, c->v, sizeof(float) * n->n_params);
    memcpy(tr->best_params, c->best_params, sizeof(float) * n->n_params);
    memcpy(tr->best_state, c->best_state, sizeof(float) * n->n_state);
    tr->adam->step = c->adam_step;
    tr->epochs_done = c->counters[0];
    tr->best_epoch = c->counters[1];
    tr->epochs_since_best = c->counters[2];
    tr->stopped = c->counters[3];
    tr->best_val_accuracy = c->best_val_accuracy;
    for (int e = 0; e < tr->epochs_done; e++) {
        const double *row = c->history + (size_t)e * HISTORY_COLUMNS;
        tr->history[e] = (epoch_record){ (int)row[0], row[1], row[2], row[3], row[4], row[5] };
    }
}

int checkpoint_read(trainer *tr, const char *path, char *err, int err_size)
{
    if (check_regular_file(path, err, err_size) != 0)
        return -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Fis_hdf5(path) <= 0) {
        snprintf(err, (size_t)err_size, "%s: not an HDF5 file", path);
        return -1;
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        snprintf(err, (size_t)err_size, "%s: cannot open as HDF5", path);
        return -1;
    }
    checkpoint_contents c;
    memset(&c, 0, sizeof c);
    const char *fault = read_contents(file, tr, &c);
    H5Fclose(file);
    if (fault)
        snprintf(err, (size_t)err_size, "%s: %s", path, fault);
    else
        restore(tr, &c);
    contents_free(&c);
    return fault ? -1 : 0;
}
