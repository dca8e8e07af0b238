/* results_write: publishes the in-memory results as a complete new file
 * (layout: README "Results file"; types: results_schema.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/h5io.h"
#include "store/results.h"
#include "store/results_schema.h"
#include "core/util.h"

/* ---- /sweep and /classes ------------------------------------------------ */

/* /sweep/data_files: a table, as long as the grid's data directories make
 * it (format 1 kept at most 16 rows in an attribute). */
static int write_data_files(hid_t group, const sweep_results *r)
{
    data_file_row *rows = xcalloc((size_t)r->n_data_files + 1, sizeof *rows);
    for (int i = 0; i < r->n_data_files; i++) {
        snprintf(rows[i].path, sizeof rows[i].path, "%s", r->data_files[i].path);
        rows[i].size = r->data_files[i].size;
        rows[i].crc32 = r->data_files[i].crc32;
    }
    int rc = h5io_write_table(group, "data_files", schema_data_file_type(), rows,
                              (size_t)r->n_data_files);
    free(rows);
    return rc;
}

/* The search that chose the trials and how far each trained: the method
 * and metric by name, the numbers as int32 (results_schema.h names them). */
static int write_search(hid_t group, const search_options *s)
{
    int rc = h5io_write_string_attribute(group, "search_method", search_method_names[s->method]);
    rc |= h5io_write_string_attribute(group, "metric", search_metric_names[s->metric]);
    search_options values = *s;
    for (int i = 0; i < SCHEMA_SEARCH_NUMBERS; i++)
        rc |= h5io_write_attribute(group, schema_search_numbers[i], H5T_NATIVE_INT,
                                   schema_search_number(&values, i));
    return rc;
}

static int write_sweep_group(hid_t file, const sweep_results *r)
{
    hid_t g = H5Gcreate2(file, "sweep", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    char hash[SCHEMA_HASH_LEN], updated[RESULTS_TIME_MAX];
    snprintf(hash, sizeof hash, "%016" PRIx64, r->config_hash);
    results_now(updated);
    int version = RESULTS_FORMAT_VERSION;
    int rc = h5io_write_string_attribute(g, "format", RESULTS_FORMAT);
    rc |= h5io_write_attribute(g, "format_version", H5T_NATIVE_INT, &version);
    rc |= h5io_write_string_attribute(g, "config_path", r->config_path);
    /* a dataset: a grid file of any size (an attribute must fit in 64 KB) */
    rc |= h5io_write_string_dataset(g, "config_text", r->config_text ? r->config_text : "");
    rc |= h5io_write_string_attribute(g, "config_hash", hash);
    rc |= h5io_write_string_attribute(g, "version", r->version);
    rc |= h5io_write_attribute(g, "mpi_size", H5T_NATIVE_INT, &r->mpi_size);
    rc |= h5io_write_attribute(g, "ranks_per_trial", H5T_NATIVE_INT, &r->ranks_per_trial);
    rc |= h5io_write_attribute(g, "omp_threads", H5T_NATIVE_INT, &r->omp_threads);
    rc |= h5io_write_string_attribute(g, "started", r->started);
    rc |= h5io_write_string_attribute(g, "updated", updated);
    rc |= write_search(g, &r->search);
    rc |= write_data_files(g, r);
    H5Gclose(g);
    return rc;
}

static int write_classes(hid_t file)
{
    char names[N_CLASSES][SCHEMA_CLASS_NAME_MAX];
    memset(names, 0, sizeof names);
    for (int k = 0; k < N_CLASSES; k++)
        snprintf(names[k], sizeof names[k], "%s", class_names[k]);
    return h5io_write_table(file, "classes", h5io_string_type(SCHEMA_CLASS_NAME_MAX), names,
                            N_CLASSES);
}

/* ---- /summary ----------------------------------------------------------- */

static int write_summary(hid_t file, const sweep_results *r)
{
    summary_row *rows = xcalloc((size_t)r->n_records + 1, sizeof *rows);
    int statuses = TRIAL_INTERRUPTED + 1;   /* the enum every sweep reads */
    for (int i = 0; i < r->n_records; i++) {
        schema_summary_from_record(&rows[i], &r->records[i]);
        statuses = (int)r->records[i].status >= statuses ? (int)r->records[i].status + 1 : statuses;
    }
    int rc = h5io_write_table(file, "summary", schema_summary_type_with(statuses), rows,
                              (size_t)r->n_records);
    free(rows);
    return rc;
}

/* ---- /trials/NAME --------------------------------------------------------- */

/* One setting as an attribute of its name: a number of its kind's type,
 * or its text form. */
static int write_setting(hid_t g, const setting_info *info, const trial_settings *s)
{
    hid_t type = schema_setting_type(info->kind);
    if (type)
        return h5io_write_attribute(g, info->name, type, setting_field_const(info, s));
    if (info->kind == SETTING_TEXT) {
        const char *text = *(const char *const *)setting_field_const(info, s);
        return h5io_write_string_attribute(g, info->name, text ? text : "");
    }
    char text[TRIAL_PATH_MAX + SCHEMA_ARCH_MAX];
    setting_format(info, s, text, sizeof text);
    return h5io_write_string_attribute(g, info->name, text);
}

/* Every resolved setting as its own typed attribute, and the canonical
 * text the hash is taken of. */
static int write_settings(hid_t g, const trial_settings *s)
{
    char text[TRIAL_TEXT_MAX], hash[SCHEMA_HASH_LEN];
    trial_canonical_text(s, text, sizeof text);
    snprintf(hash, sizeof hash, "%016" PRIx64, s->hash);
    int rc = h5io_write_string_attribute(g, "name", s->name);
    rc |= h5io_write_string_attribute(g, "experiment", s->experiment);
    rc |= h5io_write_string_attribute(g, "hash", hash);
    rc |= h5io_write_string_attribute(g, "settings_text", text);
    for (int i = 0; i < n_settings; i++)
        rc |= write_setting(g, &setting_table[i], s);
    return rc;
}

static int write_history(hid_t g, const trial_record *t)
{
    history_row *rows = xcalloc((size_t)t->n_history + 1, sizeof *rows);
    for (int e = 0; e < t->n_history; e++) {
        const epoch_record *h = &t->history[e];
        rows[e] = (history_row){ h->epoch, h->loss, h->accuracy, h->val_loss, h->val_accuracy,
                                 h->seconds };
    }
    int rc = h5io_write_table(g, "history", schema_history_type(), rows, (size_t)t->n_history);
    free(rows);
    return rc;
}

static int write_test_figures(hid_t g, const trial_record *t)
{
    const class_metrics *m = &t->test.metrics;
    per_class_row rows[N_CLASSES];
    memset(rows, 0, sizeof rows);
    for (int k = 0; k < N_CLASSES; k++) {
        snprintf(rows[k].class_name, sizeof rows[k].class_name, "%s", class_names[k]);
        rows[k].precision = m->class_precision[k];
        rows[k].recall = m->class_recall[k];
        rows[k].f1 = m->class_f1[k];
        rows[k].support = m->class_support[k];
    }
    hsize_t square[2] = { N_CLASSES, N_CLASSES }, tests[1] = { (hsize_t)t->n_predictions };
    int rc = h5io_write_table(g, "per_class", schema_per_class_type(), rows, N_CLASSES);
    rc |= h5io_write_array(g, "confusion_matrix", H5T_NATIVE_LONG, m->confusion, 2, square);
    rc |= h5io_write_array(g, "predictions", H5T_NATIVE_UINT8, t->predictions, 1, tests);
    return rc;
}

/* /trials/NAME/weights: an external link to the trial's weights file,
 * relative to the results file's directory (HDF5 looks there first), so
 * the pair can be moved together. */
static int write_weights_link(hid_t g, const trial_record *t, const char *results_path)
{
    const char *slash = strrchr(results_path, '/');
    size_t dir_len = slash ? (size_t)(slash - results_path) + 1 : 0;
    const char *target = t->weights_file;
    if (dir_len > 0 && strncmp(target, results_path, dir_len) == 0)
        target += dir_len;
    else if (dir_len > 0 && target[0] != '/')
        return -1;   /* not placed beside this file (results_place_weights) */
    if (strcmp(t->weights_file, results_path) == 0)
        return -1;   /* format-1 weights inside the file being replaced */
    return H5Lcreate_external(target, t->weights_object, g, "weights", H5P_DEFAULT,
                              H5P_DEFAULT) < 0 ? -1 : 0;
}

/* The weights file a base's trial started from: its path ("none" for
 * random weights), size in bytes and FNV-1a 64 checksum (hex). */
static int write_base_source(hid_t g, const pretrained_source *s)
{
    char checksum[SCHEMA_HASH_LEN];
    snprintf(checksum, sizeof checksum, "%016" PRIx64, s->checksum);
    int rc = h5io_write_string_attribute(g, "base_weights_file", s->path);
    rc |= h5io_write_attribute(g, "base_weights_bytes", H5T_NATIVE_LLONG, &s->bytes);
    rc |= h5io_write_string_attribute(g, "base_weights_checksum", checksum);
    return rc;
}

static int write_trial(hid_t trials, const trial_record *t, const char *results_path)
{
    hid_t g = H5Gcreate2(trials, t->settings.name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    int rc = write_settings(g, &t->settings);
    rc |= write_history(g, t);
    if (t->status == TRIAL_DONE)
        rc |= write_test_figures(g, t) | write_weights_link(g, t, results_path);
    if (t->base_source.path[0])
        rc |= write_base_source(g, &t->base_source);
    H5Gclose(g);
    return rc;
}

static int write_contents(hid_t file, const sweep_results *r, const char *path)
{
    int rc = write_sweep_group(file, r);
    rc |= write_classes(file);
    rc |= write_summary(file, r);
    hid_t trials = H5Gcreate2(file, "trials", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (trials < 0)
        return -1;
    for (int i = 0; rc == 0 && i < r->n_records; i++)
        rc = write_trial(trials, &r->records[i], path);
    H5Gclose(trials);
    return rc;
}

int results_publish(const sweep_results *r, const char *path, char *err, int err_size)
{
    char tmp[TRIAL_PATH_MAX + 8];
    hid_t file = h5io_create_temp(path, tmp, sizeof tmp, err, err_size);
    if (file < 0)
        return -1;
    return h5io_commit(file, write_contents(file, r, path), tmp, path, err, err_size);
}
