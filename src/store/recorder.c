/* recorder: rank 0 keeps the results and publishes them. */
#include "store/recorder.h"

#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "store/weights_file.h"

/* A publish rewrites the whole file, whose cost grows with the number of
 * records; waiting this many times a publish's own duration before the
 * next keeps publishing under 1/(1 + PUBLISH_WAIT_FACTOR) of rank 0's time
 * (5%) whatever the sweep's size. */
enum { PUBLISH_WAIT_FACTOR = 19 };

static void fail_once(recorder *rec, const char *err)
{
    if (!rec->failed_publish)
        fprintf(stderr, "sweep: %s\n", err);
    rec->failed_publish = 1;
}

static void publish_now(recorder *rec)
{
    char err[1024];
    double start = wall_seconds();
    if (results_publish(&rec->results, rec->path, err, sizeof err) == 0) {
        rec->dirty = rec->trial_ended = 0;
        rec->publishes++;
    } else {
        fail_once(rec, err);
    }
    rec->last_publish = wall_seconds();
    rec->last_publish_seconds = rec->last_publish - start;
    rec->publish_seconds += rec->last_publish_seconds;
}

/* --fresh: the old results and checkpoints get a dated name beside the
 * originals; nothing is deleted. */
static int move_aside(const char *path, const char *suffix, char *err, int err_size)
{
    if (access(path, F_OK) != 0)
        return 0;
    char stamp[RESULTS_TIME_MAX], moved[TRIAL_PATH_MAX + 64];
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
    size_t len = strlen(path), keep = suffix ? strlen(suffix) : 0;
    const char *ext = keep && len > keep && strcmp(path + len - keep, suffix) == 0
                          ? path + len - keep : "";
    snprintf(moved, sizeof moved, "%.*s.old-%s%s", (int)(len - strlen(ext)), path, stamp, ext);
    errno = 0;
    if (access(moved, F_OK) == 0 || rename(path, moved) != 0) {
        snprintf(err, (size_t)err_size, "%s: cannot move aside to %s: %s", path, moved,
                 errno ? strerror(errno) : "exists");
        return -1;
    }
    printf("moved %s aside to %s\n", path, moved);
    return 0;
}

static void describe_sweep(recorder *rec, const sweep_config *c, const recorder_options *o)
{
    sweep_results *r = &rec->results;
    snprintf(r->config_path, sizeof r->config_path, "%s", c->path);
    free(r->config_text);
    r->config_text = xcalloc(strlen(c->text) + 1, 1);
    memcpy(r->config_text, c->text, strlen(c->text));
    r->config_hash = c->text_hash;
    snprintf(r->version, sizeof r->version, "%s", o->version);
    r->mpi_size = o->mpi_size;
    r->ranks_per_trial = o->ranks_per_trial;
    r->omp_threads = omp_get_max_threads();
    r->search = c->search;
    if (!r->started[0])   /* a resumed sweep keeps its first start */
        results_now(r->started);
}

/* Everything before the first publish; returns 0 or an exit status. */
static int load_earlier_run(recorder *rec, const sweep_config *c, const recorder_options *o,
                            char *err, int err_size)
{
    if (make_parent_directories(rec->path, err, err_size) != 0)
        return EXIT_IO;
    if (lock_acquire(&rec->lock, rec->path, err, err_size) != 0)
        return EXIT_IO;
    if (o->fresh && (move_aside(rec->path, ".h5", err, err_size) != 0 ||
                     move_aside(rec->checkpoint_dir, NULL, err, err_size) != 0))
        return EXIT_IO;
    if (access(rec->path, F_OK) == 0 &&
        results_read(&rec->results, rec->path, err, err_size) != 0) {
        size_t len = strlen(err);
        snprintf(err + len, (size_t)err_size - len, " (nothing was changed; use --fresh "
                 "to move it aside and start over, or another output)");
        return EXIT_IO;
    }
    describe_sweep(rec, c, o);
    /* before the first publish replaces a format-1 file holding them */
    if (results_place_weights(&rec->results, rec->path, err, err_size) < 0)
        return EXIT_IO;
    rec->already_done = results_adopt_grid(&rec->results, c);
    if (results_describe_data(&rec->results, c, err, err_size) != 0)
        return EXIT_DATA;
    return 0;
}

int recorder_open(recorder *rec, const sweep_config *c, const recorder_options *o)
{
    char err[2048];
    memset(rec, 0, sizeof *rec);
    results_init(&rec->results);
    snprintf(rec->path, sizeof rec->path, "%s", o->output ? o->output : c->output);
    snprintf(rec->checkpoint_dir, sizeof rec->checkpoint_dir, "jobs/%s", c->name);
    rec->interval = c->publish_interval;
    int rc = load_earlier_run(rec, c, o, err, sizeof err);
    if (rc == 0) {
        publish_now(rec);
        rc = rec->failed_publish ? EXIT_IO : 0;
    } else {
        fprintf(stderr, "sweep: %s\n", err);
    }
    if (rc != 0) {
        lock_release(&rec->lock);
        results_free(&rec->results);
    }
    return rc;
}

void recorder_started(recorder *rec, int i, int ranks, const char *host,
                      const char *blas_core)
{
    results_trial_started(results_trial(&rec->results, i), ranks, host, blas_core);
    rec->dirty = 1;
    recorder_publish_if_due(rec);
}

void recorder_epoch(recorder *rec, int i, const epoch_record *e)
{
    results_epoch(results_trial(&rec->results, i), e);
    rec->dirty = 1;
    recorder_publish_if_due(rec);
}

void recorder_stopped(recorder *rec, int i)
{
    results_trial_stopped(results_trial(&rec->results, i));
    rec->dirty = 1;
}

/* A trial's end is published as soon as the cost bound allows: until
 * then the trial is safe in its last checkpoint, which a rerun tests
 * again. */
static void trial_ended(recorder *rec)
{
    rec->dirty = rec->trial_ended = 1;
    recorder_publish_if_due(rec);
}

void recorder_failed(recorder *rec, int i, int epochs_run)
{
    results_trial_failed(results_trial(&rec->results, i), epochs_run);
    trial_ended(rec);
}

void recorder_pruned(recorder *rec, int i, int epochs_run)
{
    results_trial_pruned(results_trial(&rec->results, i), epochs_run);
    trial_ended(rec);
}

/* A promotion is a decision a rerun must find (asha keeps every one it
 * took): published as soon as the cost bound allows, as a trial's end is. */
void recorder_rung(recorder *rec, int i, int rung)
{
    trial_record *t = results_trial(&rec->results, i);
    if (t->rung == rung)
        return;
    results_trial_rung(t, rung);
    trial_ended(rec);
}

void recorder_done(recorder *rec, int i, int epochs_run, int best_epoch, const test_result *test,
                   const uint8_t *predictions, int n_predictions, const float *params,
                   size_t n_params, const float *state, size_t n_state)
{
    trial_record *t = results_trial(&rec->results, i);
    char path[RESULTS_WEIGHTS_PATH_MAX], link[RESULTS_WEIGHTS_PATH_MAX], err[2048];
    if (weights_file_place(rec->path, rec->results.started, &t->settings, path, sizeof path,
                           link, sizeof link) != 0) {
        snprintf(err, sizeof err, "%s: the weights path of %s is too long", rec->path,
                 t->settings.name);
        fail_once(rec, err);
        return;
    }
    if (weights_file_write(path, &t->settings, params, n_params, state, n_state, err,
                           sizeof err) != 0) {
        fail_once(rec, err);   /* the trial stays running: its checkpoint resumes it */
        return;
    }
    results_trial_done(t, epochs_run, best_epoch, test, predictions, n_predictions, path);
    trial_ended(rec);
}

void recorder_base_source(recorder *rec, int i, const pretrained_source *source)
{
    results_trial(&rec->results, i)->base_source = *source;
}

void recorder_publish_if_due(recorder *rec)
{
    if (!rec->dirty)
        return;
    double since = wall_seconds() - rec->last_publish;
    double cost_wait = PUBLISH_WAIT_FACTOR * rec->last_publish_seconds;
    double wait = rec->trial_ended || cost_wait > rec->interval ? cost_wait : rec->interval;
    if (since >= wait)
        publish_now(rec);
}

int recorder_close(recorder *rec)
{
    publish_now(rec);
    int rc = rec->failed_publish ? EXIT_IO : 0;
    lock_release(&rec->lock);
    results_free(&rec->results);
    return rc;
}
