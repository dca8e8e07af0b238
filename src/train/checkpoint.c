/* checkpoint: trainer state to and from HDF5, written atomically.
 * Layout: root attributes format, trial_hash, adam_step, epochs_done,
 * best_epoch, epochs_since_best, stopped, best_val_accuracy; 1-D float
 * datasets params, state, adam_m, adam_v, best_params, best_state; and
 * history, (epochs_done x 6) doubles: epoch, loss, accuracy, val_loss,
 * val_accuracy, seconds. */
#include "train/checkpoint.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/h5io.h"
#include "core/util.h"

#define CHECKPOINT_FORMAT 1
#define HISTORY_COLUMNS 6

/* ---- writing ------------------------------------------------------------ */

static int write_counters(hid_t file, const trainer *tr)
{
    const long long format = CHECKPOINT_FORMAT, step = tr->adam->step;
    const unsigned long long hash = tr->settings.hash;
    const int counters[4] = { tr->epochs_done, tr->best_epoch, tr->epochs_since_best, tr->stopped };
    const char *names[4] = { "epochs_done", "best_epoch", "epochs_since_best", "stopped" };
    int rc = h5io_write_attribute(file, "format", H5T_NATIVE_LLONG, &format);
    rc |= h5io_write_attribute(file, "trial_hash", H5T_NATIVE_ULLONG, &hash);
    rc |= h5io_write_attribute(file, "adam_step", H5T_NATIVE_LLONG, &step);
    rc |= h5io_write_attribute(file, "best_val_accuracy", H5T_NATIVE_DOUBLE, &tr->best_val_accuracy);
    for (int i = 0; i < 4; i++)
        rc |= h5io_write_attribute(file, names[i], H5T_NATIVE_INT, &counters[i]);
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
    int rc = h5io_write_array(file, "history", H5T_NATIVE_DOUBLE, table, 2, dims);
    free(table);
    return rc;
}

static int write_contents(hid_t file, const trainer *tr)
{
    const net *n = tr->net;
    int rc = write_counters(file, tr);
    rc |= h5io_write_floats(file, "params", n->params, n->n_params);
    rc |= h5io_write_floats(file, "state", n->state, n->n_state);
    rc |= h5io_write_floats(file, "adam_m", tr->adam->m, tr->adam->count);
    rc |= h5io_write_floats(file, "adam_v", tr->adam->v, tr->adam->count);
    rc |= h5io_write_floats(file, "best_params", tr->best_params, n->n_params);
    rc |= h5io_write_floats(file, "best_state", tr->best_state, n->n_state);
    rc |= write_history(file, tr);
    return rc;
}

int checkpoint_write(const trainer *tr, const char *path, char *err, int err_size)
{
    char tmp[TRIAL_PATH_MAX + 8];
    hid_t file = h5io_create_temp(path, tmp, sizeof tmp, err, err_size);
    if (file < 0)
        return -1;
    return h5io_commit(file, write_contents(file, tr), tmp, path, err, err_size);
}

/* ---- reading ------------------------------------------------------------ */

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
    if (h5io_read_attribute(file, "format", H5T_NATIVE_LLONG, &c->format) != 0 ||
        c->format != CHECKPOINT_FORMAT)
        return "not a sweep checkpoint (no format 1 attribute)";
    if (h5io_read_attribute(file, "trial_hash", H5T_NATIVE_ULLONG, &c->hash) != 0 ||
        c->hash != tr->settings.hash)
        return "written for other trial settings (hash differs)";
    int rc = h5io_read_attribute(file, "adam_step", H5T_NATIVE_LLONG, &c->adam_step);
    rc |= h5io_read_attribute(file, "best_val_accuracy", H5T_NATIVE_DOUBLE, &c->best_val_accuracy);
    for (int i = 0; i < 4; i++)
        rc |= h5io_read_attribute(file, names[i], H5T_NATIVE_INT, &c->counters[i]);
    if (rc != 0 || c->counters[0] < 0 || c->counters[0] > tr->settings.epochs)
        return "missing or impossible counters";
    const size_t np = tr->net->n_params, ns = tr->net->n_state, na = tr->adam->count;
    const hsize_t rows = (hsize_t)c->counters[0];
    c->params = xcalloc(np, sizeof(float));
    c->m = xcalloc(na + 1, sizeof(float));
    c->v = xcalloc(na + 1, sizeof(float));
    c->best_params = xcalloc(np, sizeof(float));
    c->state = xcalloc(ns, sizeof(float));
    c->best_state = xcalloc(ns, sizeof(float));
    c->history = xcalloc((size_t)(rows ? rows : 1) * HISTORY_COLUMNS, sizeof(double));
    rc = h5io_read_exact(file, "params", H5T_NATIVE_FLOAT, c->params, np);
    rc |= h5io_read_exact(file, "adam_m", H5T_NATIVE_FLOAT, c->m, na);
    rc |= h5io_read_exact(file, "adam_v", H5T_NATIVE_FLOAT, c->v, na);
    rc |= h5io_read_exact(file, "best_params", H5T_NATIVE_FLOAT, c->best_params, np);
    rc |= h5io_read_exact(file, "state", H5T_NATIVE_FLOAT, c->state, ns);
    rc |= h5io_read_exact(file, "best_state", H5T_NATIVE_FLOAT, c->best_state, ns);
    rc |= h5io_read_exact(file, "history", H5T_NATIVE_DOUBLE, c->history, rows * HISTORY_COLUMNS);
    return rc != 0 ? "a dataset is missing or has the wrong size" : NULL;
}

static void restore(trainer *tr, const checkpoint_contents *c)
{
    net *n = tr->net;
    memcpy(n->params, c->params, sizeof(float) * n->n_params);
    memcpy(n->state, c->state, sizeof(float) * n->n_state);
    memcpy(tr->adam->m, c->m, sizeof(float) * tr->adam->count);
    memcpy(tr->adam->v, c->v, sizeof(float) * tr->adam->count);
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
    hid_t file = h5io_open_read(path, err, err_size);
    if (file < 0)
        return -1;
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
