/* results: the records rank 0 keeps, and the rules that carry them from
 * one run of a sweep to the next. */
#include "store/results.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <zlib.h>

#include "data/data.h"
#include "store/weights_file.h"
#include "core/util.h"

const char *const trial_status_names[TRIAL_STATUS_COUNT] = {
    "pending", "running", "done", "failed", "interrupted", "pruned",
};

void results_init(sweep_results *r)
{
    memset(r, 0, sizeof *r);
    /* a grid, as every file written before /sweep recorded its search */
    r->search = (search_options){ SEARCH_GRID, 0, 1, 3, 1, METRIC_VAL_ACCURACY };
}

static void record_free(trial_record *t)
{
    free(t->history);
    free(t->predictions);
    memset(t, 0, sizeof *t);
}

void results_free(sweep_results *r)
{
    for (int i = 0; i < r->n_records; i++)
        record_free(&r->records[i]);
    free(r->records);
    free(r->config_text);
    free(r->data_files);
    memset(r, 0, sizeof *r);
}

void results_now(char out[RESULTS_TIME_MAX])
{
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(out, RESULTS_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

/* A record with nothing measured yet: figures are NaN, not 0, so a reader
 * cannot mistake "not yet" for "zero accuracy". */
static void record_pending(trial_record *t, const trial_settings *s)
{
    memset(t, 0, sizeof *t);
    t->settings = *s;
    t->status = TRIAL_PENDING;
    t->in_grid = 1;
    t->val_accuracy = NAN;
    t->test.loss = NAN;
    t->test.metrics.accuracy = t->test.metrics.precision = t->test.metrics.recall = NAN;
    t->test.metrics.f1 = t->test.metrics.rmse = NAN;
    t->history = xcalloc((size_t)s->epochs, sizeof *t->history);
}

/* ---- carrying records over to a (possibly changed) grid -------------- */

/* The unclaimed record among records[0..n) for trial s: same name and
 * settings first, then same settings under another name. -1 if none. */
static int find_match(const trial_record *records, int n, const int *claimed,
                      const trial_settings *s)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            const trial_settings *o = &records[i].settings;
            if (!claimed[i] && o->hash == s->hash &&
                (pass == 1 || strcmp(o->name, s->name) == 0))
                return i;
        }
    return -1;
}

static int name_taken(const trial_record *records, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(records[i].settings.name, name) == 0)
            return 1;
    return 0;
}

/* A record whose name another trial already uses becomes NAME~HASH: both
 * stay in the file, neither overwrites the other. */
static void rename_if_taken(trial_record *t, const trial_record *records, int n)
{
    if (!name_taken(records, n, t->settings.name))
        return;
    char *name = t->settings.name;
    size_t stem = strlen(name) < TRIAL_NAME_MAX - 18 ? strlen(name) : TRIAL_NAME_MAX - 18;
    snprintf(name + stem, TRIAL_NAME_MAX - stem, "~%016" PRIx64, t->settings.hash);
}

static void keep_out_of_grid(trial_record *kept, const trial_record *records, int n)
{
    kept->in_grid = 0;
    rename_if_taken(kept, records, n);
}

int results_adopt_grid(sweep_results *r, const sweep_config *c)
{
    int n_old = r->n_records, done = 0, n = 0;
    int *claimed = xcalloc((size_t)n_old + 1, sizeof *claimed);
    trial_record *records = xcalloc((size_t)(c->n_trials + n_old) + 1, sizeof *records);
    for (int i = 0; i < c->n_trials; i++) {
        int m = find_match(r->records, r->n_records, claimed, &c->trials[i]);
        if (m < 0) {
            record_pending(&records[n++], &c->trials[i]);
            continue;
        }
        claimed[m] = 1;
        records[n] = r->records[m];
        records[n].settings = c->trials[i];   /* the name may have changed */
        records[n].in_grid = 1;
        done += records[n].status == TRIAL_DONE || records[n].status == TRIAL_FAILED;
        n++;
    }
    for (int i = 0; i < n_old; i++)
        if (!claimed[i]) {
            records[n] = r->records[i];
            keep_out_of_grid(&records[n], records, n);
            n++;
        }
    /* Whatever the file says is running, the job that ran it is gone. */
    for (int i = 0; i < n; i++)
        if (records[i].status == TRIAL_RUNNING)
            records[i].status = TRIAL_INTERRUPTED;
    free(claimed);
    free(r->records);   /* the records' buffers moved into `records` */
    r->records = records;
    r->n_records = n;
    return done;
}

/* ---- merging files of one sweep (sweep merge) ------------------------ */

/* How far a record got; of two records of one trial the further is kept. */
static int progress_rank(const trial_record *t)
{
    switch (t->status) {
    case TRIAL_DONE: return 3;
    case TRIAL_FAILED: return 2;
    case TRIAL_RUNNING: case TRIAL_INTERRUPTED: case TRIAL_PRUNED: return 1;
    default: return 0;
    }
}

static int further_along(const trial_record *a, const trial_record *b)
{
    int ra = progress_rank(a), rb = progress_rank(b);
    return ra != rb ? ra > rb : ra == 1 && a->epochs_run > b->epochs_run;
}

/* kept gives way to t, which got further; kept's name stays, so the names
 * in the file stay unique. */
static void replace_record(trial_record *kept, trial_record *t)
{
    int in_grid = kept->in_grid || t->in_grid;
    char name[TRIAL_NAME_MAX];
    memcpy(name, kept->settings.name, sizeof name);
    record_free(kept);
    *kept = *t;
    memcpy(kept->settings.name, name, sizeof name);
    kept->in_grid = in_grid;
}

/* The sweep's description comes from the first file merged; its start is
 * the earliest. */
static void merge_description(sweep_results *into, sweep_results *from)
{
    if (!into->config_text) {
        trial_record *records = into->records;
        int n = into->n_records;
        free(into->data_files);
        *into = *from;   /* config_text and data_files move over */
        into->records = records;
        into->n_records = n;
        from->config_text = NULL;
        from->data_files = NULL;
        from->n_data_files = 0;
    } else if (from->started[0] && strcmp(from->started, into->started) < 0) {
        memcpy(into->started, from->started, sizeof into->started);
    }
}

int results_merge(sweep_results *into, sweep_results *from)
{
    merge_description(into, from);
    int changed = 0, n_before = into->n_records;
    into->records = xrealloc(into->records,
                             (size_t)(into->n_records + from->n_records + 1) * sizeof *into->records);
    /* Two trials can share settings under two names (experiments that
     * spell one model two ways): each of from's records claims its own
     * match, as a rerun's records do (find_match). */
    int *claimed = xcalloc((size_t)n_before + 1, sizeof *claimed);
    for (int i = 0; i < from->n_records; i++) {
        trial_record *t = &from->records[i];
        int m = find_match(into->records, n_before, claimed, &t->settings);
        if (m < 0) {
            trial_record *added = &into->records[into->n_records];
            *added = *t;
            rename_if_taken(added, into->records, into->n_records);
            into->n_records++;
            changed++;
            continue;
        }
        claimed[m] = 1;
        if (further_along(t, &into->records[m])) {
            replace_record(&into->records[m], t);
            changed++;
        } else {
            into->records[m].in_grid |= t->in_grid;
            record_free(t);
        }
    }
    free(claimed);
    free(from->records);   /* the records' buffers moved or were freed */
    from->records = NULL;
    from->n_records = 0;
    return changed;
}

int results_needs_run(const trial_record *t)
{
    return t->in_grid && (t->status == TRIAL_PENDING || t->status == TRIAL_RUNNING ||
                          t->status == TRIAL_INTERRUPTED);
}

/* ---- a trial's events ------------------------------------------------- */

void results_trial_started(trial_record *t, int ranks, const char *host,
                           const char *blas_core)
{
    t->status = TRIAL_RUNNING;
    t->ranks = ranks;
    snprintf(t->host, sizeof t->host, "%s", host);
    snprintf(t->blas_core, sizeof t->blas_core, "%s", blas_core);
    if (!t->started[0])
        results_now(t->started);
}

static void sum_history_seconds(trial_record *t)
{
    t->train_seconds = 0;
    for (int i = 0; i < t->n_history; i++)
        t->train_seconds += t->history[i].seconds;
}

void results_epoch(trial_record *t, const epoch_record *e)
{
    if (e->epoch < 1 || e->epoch > t->settings.epochs)
        return;
    t->history[e->epoch - 1] = *e;
    t->n_history = e->epoch;
    t->epochs_run = e->epoch;
    t->best_epoch = 0;
    t->val_accuracy = NAN;
    /* The best so far, as EarlyStopping sees it: the first maximum. */
    for (int i = 0; i < t->n_history; i++)
        if (t->best_epoch == 0 || t->history[i].val_accuracy > t->val_accuracy) {
            t->best_epoch = i + 1;
            t->val_accuracy = t->history[i].val_accuracy;
        }
    sum_history_seconds(t);
}

void results_trial_stopped(trial_record *t)
{
    t->status = TRIAL_INTERRUPTED;
}

void results_trial_failed(trial_record *t, int epochs_run)
{
    t->status = TRIAL_FAILED;
    t->epochs_run = epochs_run;
    results_now(t->finished);
}

void results_trial_pruned(trial_record *t, int epochs_run)
{
    t->status = TRIAL_PRUNED;
    t->epochs_run = epochs_run;
    results_now(t->finished);
}

void results_trial_rung(trial_record *t, int rung)
{
    if (t->status == TRIAL_PRUNED)
        t->finished[0] = '\0';
    t->rung = rung;
}

static void *copy_of(const void *src, size_t bytes)
{
    void *dst = xcalloc(bytes ? bytes : 1, 1);
    memcpy(dst, src, bytes);
    return dst;
}

void results_trial_done(trial_record *t, int epochs_run, int best_epoch,
                        const test_result *test, const uint8_t *predictions,
                        int n_predictions, const char *weights_file)
{
    t->status = TRIAL_DONE;
    t->epochs_run = epochs_run;
    t->best_epoch = best_epoch;
    if (best_epoch >= 1 && best_epoch <= t->n_history)
        t->val_accuracy = t->history[best_epoch - 1].val_accuracy;
    t->test = *test;
    free(t->predictions);
    t->n_predictions = n_predictions;
    t->predictions = copy_of(predictions, (size_t)n_predictions);
    snprintf(t->weights_file, sizeof t->weights_file, "%s", weights_file);
    snprintf(t->weights_object, sizeof t->weights_object, "%s", WEIGHTS_OBJECT);
    sum_history_seconds(t);
    results_now(t->finished);
}

/* ---- the weights files ------------------------------------------------- */

static void demote_to_interrupted(trial_record *t, const char *why)
{
    fprintf(stderr, "sweep: warning: %s; %s will run again from its checkpoint\n", why,
            t->settings.name);
    t->status = TRIAL_INTERRUPTED;
    t->weights_file[0] = t->weights_object[0] = '\0';
}

/* 1 if t's weights were copied to their place, 0 if already there (or
 * lost: t demoted), -1 if the copy cannot be written. */
static int place_one(trial_record *t, const char *results_path, const char *started, char *err,
                     int err_size)
{
    char path[RESULTS_WEIGHTS_PATH_MAX], link[RESULTS_WEIGHTS_PATH_MAX], why[2 * 1200];
    if (weights_file_place(results_path, started, &t->settings, path, sizeof path, link,
                           sizeof link) != 0)
        return set_error(err, err_size, "%s: the weights path of %s is too long", results_path,
                         t->settings.name);
    int in_place = strcmp(t->weights_file, path) == 0 &&
                   strcmp(t->weights_object, WEIGHTS_OBJECT) == 0;
    if (access(t->weights_file, R_OK) != 0) {
        snprintf(why, sizeof why, "%s: best weights of %s: %s", t->weights_file,
                 t->settings.name, strerror(errno));
        demote_to_interrupted(t, why);
        return 0;
    }
    if (in_place)
        return 0;
    if (weights_file_copy(t->weights_file, t->weights_object, &t->settings, path, err,
                          err_size) != 0)
        return -1;
    snprintf(t->weights_file, sizeof t->weights_file, "%s", path);
    snprintf(t->weights_object, sizeof t->weights_object, "%s", WEIGHTS_OBJECT);
    return 1;
}

int results_place_weights(sweep_results *r, const char *results_path, char *err, int err_size)
{
    int copied = 0;
    for (int i = 0; i < r->n_records; i++) {
        trial_record *t = &r->records[i];
        if (t->status != TRIAL_DONE)
            continue;
        int rc = place_one(t, results_path, r->started, err, err_size);
        if (rc < 0)
            return -1;
        copied += rc;
    }
    return copied;
}

/* ---- the data files --------------------------------------------------- */

static int describe_file(data_file_info *f, const char *path, char *err, int err_size)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        snprintf(err, (size_t)err_size, "%s: cannot open: %m", path);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s", path);
    uLong crc = crc32(0L, Z_NULL, 0);
    unsigned char buf[1 << 16];
    size_t got;
    f->size = 0;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0) {
        crc = crc32(crc, buf, (uInt)got);
        f->size += got;
    }
    int bad = ferror(in);
    fclose(in);
    if (bad) {
        snprintf(err, (size_t)err_size, "%s: read error", path);
        return -1;
    }
    f->crc32 = (uint32_t)crc;
    return 0;
}

static int dir_seen(const sweep_config *c, int i)
{
    for (int j = 0; j < i; j++)
        if (strcmp(c->trials[j].data_dir, c->trials[i].data_dir) == 0)
            return 1;
    return 0;
}

int results_describe_data(sweep_results *r, const sweep_config *c, char *err, int err_size)
{
    r->n_data_files = 0;
    free(r->data_files);
    r->data_files = xcalloc((size_t)c->n_trials * DATASET_FILES, sizeof *r->data_files);
    for (int i = 0; i < c->n_trials; i++) {
        if (dir_seen(c, i))
            continue;
        for (int k = 0; k < DATASET_FILES; k++) {
            char path[TRIAL_PATH_MAX + 64];
            if (dataset_file_path(path, sizeof path, c->trials[i].data_dir,
                                  dataset_file_names[k], err, err_size) != 0 ||
                describe_file(&r->data_files[r->n_data_files], path, err, err_size) != 0)
                return -1;
            r->n_data_files++;
        }
    }
    return 0;
}
