/* results_read: reads a published results file back into memory, for a
 * rerun that resumes, for `sweep report` and for `sweep predict`. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/h5io.h"
#include "store/results.h"
#include "store/results_schema.h"
#include "core/util.h"

/* ---- /sweep --------------------------------------------------------------- */

/* The rows of /sweep/data_files: a dataset in format 2, an attribute in
 * format 1. -1 if missing or damaged. */
static int read_data_file_rows(hid_t g, data_file_row **rows, long long *n)
{
    hid_t type = schema_data_file_type();
    int rc = -1;
    if (H5Lexists(g, "data_files", H5P_DEFAULT) > 0) {
        *n = h5io_dataset_size(g, "data_files");
        *rows = xcalloc((size_t)(*n > 0 ? *n : 1), sizeof **rows);
        rc = *n < 0 || type < 0 ? -1 : h5io_read_exact(g, "data_files", type, *rows, (hsize_t)*n);
    } else if (H5Aexists(g, "data_files") > 0) {
        hid_t attr = H5Aopen(g, "data_files", H5P_DEFAULT);
        hid_t space = attr < 0 ? -1 : H5Aget_space(attr);
        *n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
        *rows = xcalloc((size_t)(*n > 0 ? *n : 1), sizeof **rows);
        rc = *n < 0 || type < 0 || H5Aread(attr, type, *rows) < 0 ? -1 : 0;
        if (space >= 0)
            H5Sclose(space);
        if (attr >= 0)
            H5Aclose(attr);
    }
    if (type >= 0)
        H5Tclose(type);
    return rc;
}

static int read_data_files(hid_t g, sweep_results *r)
{
    data_file_row *rows = NULL;
    long long n = 0;
    int rc = read_data_file_rows(g, &rows, &n);
    r->data_files = xcalloc((size_t)(n > 0 ? n : 1), sizeof *r->data_files);
    for (long long i = 0; rc == 0 && i < n; i++) {
        memcpy(r->data_files[i].path, rows[i].path, sizeof rows[i].path);
        r->data_files[i].path[sizeof r->data_files[i].path - 1] = '\0';
        r->data_files[i].size = rows[i].size;
        r->data_files[i].crc32 = rows[i].crc32;
    }
    r->n_data_files = rc == 0 ? (int)n : 0;
    free(rows);
    return rc;
}

/* The index of `name` among n names, or -1. */
static int name_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

/* /sweep's search attributes; a file written before they were (a grid)
 * keeps results_init's. 0, or -1 if damaged or naming an unknown method. */
static int read_search(hid_t g, search_options *s)
{
    if (H5Aexists(g, "search_method") <= 0)
        return 0;
    char method[32], metric[32];
    int rc = h5io_read_string_attribute(g, "search_method", method, sizeof method);
    rc |= h5io_read_string_attribute(g, "metric", metric, sizeof metric);
    for (int i = 0; i < SCHEMA_SEARCH_NUMBERS; i++)
        rc |= h5io_read_attribute(g, schema_search_numbers[i], H5T_NATIVE_INT,
                                  schema_search_number(s, i));
#define N_NAMES(a) ((int)(sizeof a / sizeof *a))
    int m = name_index(search_method_names, N_NAMES(search_method_names), method);
    int k = name_index(search_metric_names, N_NAMES(search_metric_names), metric);
#undef N_NAMES
    if (rc != 0 || m < 0 || k < 0)
        return -1;
    s->method = (search_method)m;
    s->metric = (search_metric)k;
    return 0;
}

/* Returns NULL, or what is wrong. */
static const char *read_sweep_group(hid_t file, sweep_results *r)
{
    char format[64] = "", hash[SCHEMA_HASH_LEN] = "";
    if (H5Lexists(file, "sweep", H5P_DEFAULT) <= 0)
        return "an HDF5 file, but not a sweep results file (no /sweep group)";
    hid_t g = H5Gopen2(file, "sweep", H5P_DEFAULT);
    if (g < 0)
        return "cannot open /sweep";
    const size_t prefix = strlen(RESULTS_FORMAT_PREFIX);
    if (h5io_read_string_attribute(g, "format", format, sizeof format) != 0 ||
        strncmp(format, RESULTS_FORMAT_PREFIX, prefix) != 0) {
        H5Gclose(g);
        return "an HDF5 file, but not a sweep results file (/sweep has no format "
               "\"" RESULTS_FORMAT_PREFIX "N\")";
    }
    r->format_version = atoi(format + prefix);
    if (r->format_version < 1 || r->format_version > RESULTS_FORMAT_VERSION) {
        H5Gclose(g);
        return "a sweep results file of a format this version cannot read (/sweep format "
               "is not \"" RESULTS_FORMAT_PREFIX "1\" or \"" RESULTS_FORMAT "\"; a newer "
               "sweep wrote it?)";
    }
    r->config_text = r->format_version >= 2 ? h5io_read_string_dataset_alloc(g, "config_text")
                                            : h5io_read_string_attribute_alloc(g, "config_text");
    int rc = r->config_text ? 0 : -1;
    rc |= h5io_read_string_attribute(g, "config_path", r->config_path, sizeof r->config_path);
    rc |= h5io_read_string_attribute(g, "config_hash", hash, sizeof hash);
    rc |= h5io_read_string_attribute(g, "version", r->version, sizeof r->version);
    rc |= h5io_read_attribute(g, "mpi_size", H5T_NATIVE_INT, &r->mpi_size);
    rc |= h5io_read_attribute(g, "ranks_per_trial", H5T_NATIVE_INT, &r->ranks_per_trial);
    rc |= h5io_read_attribute(g, "omp_threads", H5T_NATIVE_INT, &r->omp_threads);
    rc |= h5io_read_string_attribute(g, "started", r->started, sizeof r->started);
    rc |= h5io_read_string_attribute(g, "updated", r->updated, sizeof r->updated);
    rc |= read_data_files(g, r);
    rc |= read_search(g, &r->search);
    r->config_hash = strtoull(hash, NULL, 16);
    H5Gclose(g);
    return rc ? "/sweep: an attribute is missing or damaged" : NULL;
}

/* ---- /trials/NAME ----------------------------------------------------------- */

/* One setting from the attribute of its name: 0, or -1 if it is missing
 * or not a value of its kind. A label (not hashed), a setting hashed only
 * when set, or a text may be missing: files written before it was stored
 * keep the default. */
static int read_setting(hid_t g, const setting_info *info, trial_settings *s)
{
    if ((info->hashed != 1 || info->kind == SETTING_TEXT) && H5Aexists(g, info->name) <= 0)
        return 0;
    if (info->kind == SETTING_TEXT) {
        char *text = h5io_read_string_attribute_alloc(g, info->name);
        int rc = text ? setting_parse(info, s, text) : -1;
        free(text);
        return rc;
    }
    hid_t type = schema_setting_type(info->kind);
    if (type)
        return h5io_read_attribute(g, info->name, type, setting_field(info, s));
    char text[TRIAL_PATH_MAX + SCHEMA_ARCH_MAX];
    if (h5io_read_string_attribute(g, info->name, text, sizeof text) != 0)
        return -1;
    return setting_parse(info, s, text);
}

/* Settings from the group's attributes; NULL, or what is wrong. */
static const char *read_settings(hid_t g, trial_settings *s)
{
    char hash[SCHEMA_HASH_LEN];
    trial_defaults(s);
    int rc = h5io_read_string_attribute(g, "name", s->name, sizeof s->name);
    rc |= h5io_read_string_attribute(g, "experiment", s->experiment, sizeof s->experiment);
    rc |= h5io_read_string_attribute(g, "hash", hash, sizeof hash);
    for (int i = 0; i < n_settings; i++)
        rc |= read_setting(g, &setting_table[i], s);
    if (rc != 0)
        return "a settings attribute is missing or damaged";
    if (s->epochs < 1 || s->epochs > 100000 || s->batch_size < 1)
        return "impossible settings";
    /* The settings must be the ones the hash was taken of, or every rule
     * that matches trials by settings would be misled. */
    trial_rehash(s);
    return s->hash == strtoull(hash, NULL, 16) ? NULL : "settings do not match their hash";
}

static int read_history(hid_t g, trial_record *t)
{
    long long n = h5io_dataset_size(g, "history");
    if (n < 0 || n > t->settings.epochs)
        return -1;
    history_row *rows = xcalloc((size_t)n + 1, sizeof *rows);
    hid_t type = schema_history_type();
    int rc = type < 0 ? -1 : h5io_read_exact(g, "history", type, rows, (hsize_t)n);
    for (int e = 0; rc == 0 && e < n; e++)
        t->history[e] = (epoch_record){ rows[e].epoch, rows[e].loss, rows[e].accuracy,
                                        rows[e].val_loss, rows[e].val_accuracy, rows[e].seconds };
    t->n_history = rc == 0 ? (int)n : 0;
    if (type >= 0)
        H5Tclose(type);
    free(rows);
    return rc;
}

static int read_test_figures(hid_t g, trial_record *t)
{
    class_metrics *m = &t->test.metrics;
    per_class_row rows[N_CLASSES];
    hid_t type = schema_per_class_type();
    int rc = type < 0 ? -1 : h5io_read_exact(g, "per_class", type, rows, N_CLASSES);
    if (type >= 0)
        H5Tclose(type);
    for (int k = 0; rc == 0 && k < N_CLASSES; k++) {
        m->class_precision[k] = rows[k].precision;
        m->class_recall[k] = rows[k].recall;
        m->class_f1[k] = rows[k].f1;
        m->class_support[k] = rows[k].support;
    }
    rc |= h5io_read_exact(g, "confusion_matrix", H5T_NATIVE_LONG, m->confusion,
                          N_CLASSES * N_CLASSES);
    m->count = 0;
    for (int i = 0; i < N_CLASSES; i++)
        for (int j = 0; j < N_CLASSES; j++)
            m->count += m->confusion[i][j];
    long long n = h5io_dataset_size(g, "predictions");
    if (n < 0 || n > 1LL << 30)
        return -1;
    t->n_predictions = (int)n;
    t->predictions = xcalloc((size_t)n + 1, 1);
    rc |= h5io_read_exact(g, "predictions", H5T_NATIVE_UINT8, t->predictions, (hsize_t)n);
    return rc;
}

/* Where the done trial's weights are: format 2 links a weights file (its
 * name relative to the results file's directory), format 1 holds them in
 * its own /trials/NAME/weights group. */
static int locate_weights(hid_t g, trial_record *t, const char *results_path)
{
    H5L_info_t info;
    if (H5Lexists(g, "weights", H5P_DEFAULT) <= 0 ||
        H5Lget_info(g, "weights", &info, H5P_DEFAULT) < 0)
        return -1;
    if (info.type == H5L_TYPE_HARD) {
        snprintf(t->weights_file, sizeof t->weights_file, "%s", results_path);
        snprintf(t->weights_object, sizeof t->weights_object, "/trials/%s/weights",
                 t->settings.name);
        return 0;
    }
    char value[RESULTS_WEIGHTS_PATH_MAX];
    const char *file = NULL, *object = NULL;
    unsigned flags;
    if (info.type != H5L_TYPE_EXTERNAL || info.u.val_size > sizeof value ||
        H5Lget_val(g, "weights", value, sizeof value, H5P_DEFAULT) < 0 ||
        H5Lunpack_elink_val(value, info.u.val_size, &flags, &file, &object) < 0)
        return -1;
    const char *slash = strrchr(results_path, '/');
    int dir_len = file[0] == '/' || !slash ? 0 : (int)(slash - results_path) + 1;
    int n = snprintf(t->weights_file, sizeof t->weights_file, "%.*s%s", dir_len, results_path,
                     file);
    snprintf(t->weights_object, sizeof t->weights_object, "%s", object);
    return n < 0 || (size_t)n >= sizeof t->weights_file ? -1 : 0;
}

/* NULL, or what is wrong. */
/* What write_base_source wrote, if it did: 0, or -1 if damaged. */
static int read_base_source(hid_t g, pretrained_source *s)
{
    if (H5Aexists(g, "base_weights_file") <= 0)
        return 0;
    char checksum[SCHEMA_HASH_LEN];
    int rc = h5io_read_string_attribute(g, "base_weights_file", s->path, sizeof s->path);
    rc |= h5io_read_attribute(g, "base_weights_bytes", H5T_NATIVE_LLONG, &s->bytes);
    rc |= h5io_read_string_attribute(g, "base_weights_checksum", checksum, sizeof checksum);
    s->checksum = strtoull(checksum, NULL, 16);
    return rc;
}

static const char *read_trial(hid_t trials, const summary_row *row, trial_record *t,
                              const char *results_path)
{
    if (H5Lexists(trials, row->name, H5P_DEFAULT) <= 0)
        return "group missing";
    hid_t g = H5Gopen2(trials, row->name, H5P_DEFAULT);
    if (g < 0)
        return "cannot open the group";
    const char *fault = read_settings(g, &t->settings);
    if (!fault) {
        t->history = xcalloc((size_t)t->settings.epochs, sizeof *t->history);
        schema_record_from_summary(t, row);
        if (t->status < TRIAL_PENDING || t->status >= TRIAL_STATUS_COUNT)
            fault = "status out of range";
        else if (read_history(g, t) != 0)
            fault = "history missing or damaged";
        else if (t->status == TRIAL_DONE && read_test_figures(g, t) != 0)
            fault = "test figures missing or damaged";
        else if (t->status == TRIAL_DONE && locate_weights(g, t, results_path) != 0)
            fault = "the link to the best weights is missing or damaged";
        else if (read_base_source(g, &t->base_source) != 0)
            fault = "the base's weights file attributes are damaged";
    }
    H5Gclose(g);
    return fault;
}

/* ---- the whole file -------------------------------------------------------- */

static int fail(const char *path, const char *where, const char *fault, char *err, int err_size)
{
    snprintf(err, (size_t)err_size, "%s: %s%s%s", path, where, *where ? ": " : "", fault);
    return -1;
}

static int read_records(hid_t file, sweep_results *r, const char *path, char *err, int err_size)
{
    long long n = h5io_dataset_size(file, "summary");
    hid_t type = schema_summary_type();
    /* zeroed: a column the file lacks (`rung`, in files written before
     * it) is left untouched by HDF5's compound conversion, so reads 0 */
    summary_row *rows = xcalloc((size_t)(n > 0 ? n : 1), sizeof *rows);
    int rc = n < 0 || type < 0 || h5io_read_exact(file, "summary", type, rows, (hsize_t)n) != 0
                 ? fail(path, "/summary", "missing or damaged", err, err_size) : 0;
    if (type >= 0)
        H5Tclose(type);
    hid_t trials = rc == 0 ? H5Gopen2(file, "trials", H5P_DEFAULT) : -1;
    if (rc == 0 && trials < 0)
        rc = fail(path, "/trials", "missing", err, err_size);
    r->records = xcalloc((size_t)(n > 0 ? n : 1), sizeof *r->records);
    for (int i = 0; rc == 0 && i < n; i++) {
        const char *fault = read_trial(trials, &rows[i], &r->records[i], path);
        r->n_records = i + 1;
        if (fault) {
            char where[TRIAL_NAME_MAX + 16];
            snprintf(where, sizeof where, "/trials/%s", rows[i].name);
            rc = fail(path, where, fault, err, err_size);
        }
    }
    if (trials >= 0)
        H5Gclose(trials);
    free(rows);
    return rc;
}

int results_read(sweep_results *r, const char *path, char *err, int err_size)
{
    results_init(r);
    hid_t file = h5io_open_read(path, err, err_size);
    if (file < 0)
        return -1;
    const char *fault = read_sweep_group(file, r);
    int rc = fault ? fail(path, "", fault, err, err_size)
                   : read_records(file, r, path, err, err_size);
    H5Fclose(file);
    if (rc != 0)
        results_free(r);
    return rc;
}
