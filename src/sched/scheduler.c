/* scheduler: rank 0 hands trials to worker groups; workers train them. */
#include "sched/scheduler.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/blas_core.h"
#include "train/checkpoint.h"
#include "store/recorder.h"
#include "report/report.h"
#include "data/data.h"
#include "train/group.h"
#include "sched/progress.h"
#include "core/signals.h"
#include "config/settings_table.h"
#include "core/util.h"

/* Message tags between a group's leader and rank 0. */
enum sched_tag {
    TAG_READY = 1, TAG_ASSIGN, TAG_EPOCH, TAG_RESULT, TAG_RESULT_DATA, TAG_STOP, TAG_PROGRESS
};

typedef struct {
    int index;                   /* into the sweep's trials; -1 = stop */
    char settings_text[TRIAL_TEXT_MAX];   /* trial_settings_to_text: a worker
                                           * rebuilds the trial from it */
    char checkpoint_dir[TRIAL_PATH_MAX];
    double progress_seconds;     /* between progress messages; 0 = none (or --quiet) */
} assign_msg;

typedef struct {
    int group_size;
    char host[MPI_MAX_PROCESSOR_NAME];   /* the leader's node */
    char blas_core[RESULTS_CORE_MAX];    /* the leader's OpenBLAS kernels */
} ready_msg;

typedef struct {
    int index;
    epoch_record record;
    int replayed;                /* restored from a checkpoint, not trained now */
} epoch_msg;

typedef struct {
    int index;
    trial_outcome outcome;
} result_msg;

typedef struct {
    int index;
    progress_figures figures;
} progress_msg;

static int stop_requested_anywhere(void);

/* What every rank must know before the work starts. */
typedef struct {
    int status;                  /* 0, or the exit status every rank returns */
    int n_trials, ranks_per_trial, n_groups;
} sweep_layout;

/* ---- costs and data --------------------------------------------------- */

double trial_cost(const trial_settings *t)
{
    double per_image = 0.0;
    int c = 1, side = IMAGE_SIDE;
    for (int b = 0; b < t->n_blocks; b++) {
        for (int i = 0; i < t->block_convs[b]; i++) {
            per_image += (double)side * side * c * t->block_filters[b][i] * 9;
            c = t->block_filters[b][i];
        }
        side /= 2;
    }
    int features = c * side * side;
    for (int j = 0; j < t->n_dense; j++) {
        per_image += (double)features * t->dense_units[j];
        features = t->dense_units[j];
    }
    per_image += (double)features * N_CLASSES;
    double images = t->train_limit > 0 && t->train_limit < 60000 ? t->train_limit : 60000;
    return per_image * images * t->epochs;
}

/* What is left of a trial's cost when it starts from epoch `from`: the
 * ETA of a resumed sweep counts only the epochs still to train. */
static double cost_from_epoch(const trial_settings *t, int from)
{
    return t->epochs > 0 && from < t->epochs ? trial_cost(t) * (t->epochs - from) / t->epochs : 0;
}

/* The cost of everything this run has to train. */
static double cost_to_run(const sweep_config *c, recorder *rec)
{
    double cost = 0;
    for (int i = 0; i < c->n_trials; i++) {
        const trial_record *r = results_trial(&rec->results, i);
        if (results_needs_run(r))
            cost += cost_from_epoch(&c->trials[i], r->epochs_run);
    }
    return cost;
}

static int same_data(const trial_settings *a, const trial_settings *b)
{
    return strcmp(a->data_dir, b->data_dir) == 0 && a->validation_split == b->validation_split &&
           a->train_limit == b->train_limit && a->test_limit == b->test_limit;
}

/* Keeps the last dataset loaded: trials that share data settings share it. */
typedef struct {
    dataset data;
    trial_settings loaded_for;
    int loaded;
} dataset_cache;

static int cache_load(dataset_cache *cache, const trial_settings *t, char *err, int err_size)
{
    if (cache->loaded && same_data(&cache->loaded_for, t))
        return 0;
    dataset_free(&cache->data);
    cache->loaded = 0;
    if (dataset_load(&cache->data, t->data_dir, t->validation_split, t->train_limit,
                     t->test_limit, err, err_size) != 0)
        return -1;
    cache->loaded_for = *t;
    cache->loaded = 1;
    return 0;
}

static void cache_free(dataset_cache *cache)
{
    dataset_free(&cache->data);
    cache->loaded = 0;
}

/* Every distinct data setting is loaded once before the first trial, so a
 * missing or corrupt file ends the run before hours of training. The last
 * one loaded stays in `keep` (NULL: none stays), which the first trial of
 * a one-data sweep then uses as it is. Returns 0 or EXIT_DATA with the
 * message printed. */
static int check_all_data(const sweep_config *c, dataset_cache *keep)
{
    for (int i = 0; i < c->n_trials; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = same_data(&c->trials[j], &c->trials[i]);
        if (seen)
            continue;
        dataset_cache local = { 0 }, *cache = keep ? keep : &local;
        char err[1024];
        int rc = cache_load(cache, &c->trials[i], err, sizeof err);
        cache_free(&local);
        if (rc != 0) {
            fprintf(stderr, "sweep: %s\n", err);
            return EXIT_DATA;
        }
    }
    return 0;
}

/* ---- printing (rank 0) --------------------------------------------------- */

static void print_epoch_line(const trial_settings *t, const epoch_record *r)
{
    printf("%s epoch %d/%d loss %.4f accuracy %.4f val_loss %.4f val_accuracy %.4f %.1fs\n",
           t->name, r->epoch, t->epochs, r->loss, r->accuracy, r->val_loss, r->val_accuracy,
           r->seconds);
    fflush(stdout);
}

static void print_trial_done(const trial_settings *t, const trial_outcome *o, verbosity v);

/* Each line is printed whole and flushed, so lines from many groups never
 * interleave. A failed trial counts as finished. */
static void print_trial_end(const trial_settings *t, const trial_outcome *o, int done, int total,
                            double elapsed, double cost_done, double cost_total, verbosity v)
{
    if (o->status == OUTCOME_FAILED)
        printf("%s failed: the training loss is not finite at epoch %d\n", t->name, o->epochs_run);
    else
        print_trial_done(t, o, v);
    double eta = cost_done > 0 ? elapsed * (cost_total - cost_done) / cost_done : 0;
    printf("progress %d/%d trials done, %.0fs elapsed, ETA %.0fs\n", done, total, elapsed, eta);
    fflush(stdout);
}

static void print_trial_done(const trial_settings *t, const trial_outcome *o, verbosity v)
{
    if (v == VERBOSITY_VERBOSE)
        printf("%s: %ld parameters, %d train / %d validation / %d test images, %s\n", t->name,
               o->parameters, o->train_images, o->validation_images, o->test_images,
               o->resumed_from_epoch ? "resumed from a checkpoint" : "trained from scratch");
    printf("%s: tested the weights of epoch %d, fingerprint %016" PRIx64 "\n", t->name,
           o->best_epoch, o->fingerprint);
    printf("%s done: test_accuracy %.4f, %d epochs, %.1fs\n", t->name,
           o->test.metrics.accuracy, o->epochs_run, o->seconds);
}

static void print_resume_line(const recorder *rec, int n_trials)
{
    if (rec->already_done > 0)
        printf("%s: %d of %d trials already done; running the other %d\n", rec->path,
               rec->already_done, n_trials, n_trials - rec->already_done);
    fflush(stdout);
}

/* --verbose: which convolution algorithm each conv layer runs (conv2d.h). */
static void print_convolutions(const trial_settings *t, verbosity v)
{
    char text[2048];
    if (v == VERBOSITY_VERBOSE && net_conv_algorithms_text(t, text, sizeof text) > 0)
        printf("%s: convolutions %s\n", t->name, text);
    fflush(stdout);
}

/* ---- where a trial's events go ------------------------------------------ */

/* A trial's leader reports through a sink: straight into rank 0's
 * recorder when one rank does everything, as messages to rank 0 otherwise.
 * `replayed` epochs come from a checkpoint: recorded again, not printed. */
typedef struct trial_sink {
    void (*epoch)(struct trial_sink *s, int index, const epoch_record *r, int replayed);
    void (*finished)(struct trial_sink *s, int index, const trial_outcome *o, const trainer *tr);
    recorder *rec;               /* one rank only */
    const sweep_config *config;
    const sched_options *options;
    int done;
    double start, cost_done, cost_total;
    int error_status;            /* rank 0: the first worker error's exit status, or 0 */
    /* A progress line within an epoch (progress.h); NULL: none (--quiet). */
    void (*progress)(struct trial_sink *s, int index, const progress_figures *f);
    double progress_seconds;     /* between plain lines (or messages); 0 = none */
    int live;                    /* one process, stdout a terminal: redrawn in place */
    int live_shown;              /* a live line is on the screen, not yet cleared */
} trial_sink;

/* ---- the progress line within an epoch ---------------------------------- */

static int terminal_columns(void)
{
    struct winsize w;
    return ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0 ? w.ws_col : 80;
}

/* Rank 0. On a terminal the line is drawn over itself (carriage return,
 * the line, clear what a longer earlier one left) and never wraps; in a
 * log it is a line of its own. Either is written whole and flushed. */
static void print_progress(trial_sink *s, int index, const progress_figures *f)
{
    const trial_settings *t = &s->config->trials[index];
    char line[512];
    if (s->live) {
        progress_format(line, sizeof line, t->name, t->epochs, f, terminal_columns());
        printf("\r%s\033[K", line);
        s->live_shown = 1;
    } else {
        progress_format(line, sizeof line, t->name, t->epochs, f, 0);
        printf("%s\n", line);
    }
    fflush(stdout);
}

/* Before any other output: the line that follows starts at column 0 and
 * no stale progress is left behind it. */
static void clear_live_line(trial_sink *s)
{
    if (!s->live_shown)
        return;
    fputs("\r\033[K", stdout);
    fflush(stdout);
    s->live_shown = 0;
}

/* The leader's eye on its trainer: one clock read per step, and a line
 * (or a message to rank 0) only when one is due. */
typedef struct {
    trial_sink *sink;
    int index;
    double epoch_start;
    progress_timer timer;
} step_watch;

static void watch_step(const step_report *r, void *ctx)
{
    step_watch *w = ctx;
    const double now = wall_seconds();
    if (r->step == 0) {
        w->epoch_start = now;
        progress_timer_start(&w->timer,
                             w->sink->live ? PROGRESS_LIVE_SECONDS : w->sink->progress_seconds,
                             now);
        return;
    }
    /* a terminal also shows the last step: it stands while validation runs */
    if (progress_timer_due(&w->timer, now) || (w->sink->live && r->step == r->steps)) {
        progress_figures f = progress_figures_from(r, now - w->epoch_start);
        w->sink->progress(w->sink, w->index, &f);
    }
}

/* Rank 0: what a finished trial hands over, wherever it came from. */
static void record_outcome(trial_sink *s, int index, const trial_outcome *o,
                           const uint8_t *predictions, const float *params, const float *state)
{
    const trial_settings *t = &s->config->trials[index];
    clear_live_line(s);
    if (o->status == OUTCOME_INTERRUPTED || o->status == OUTCOME_ERROR) {
        /* its checkpoint (if any) resumes it on the next run */
        recorder_stopped(s->rec, index);
        if (o->status == OUTCOME_ERROR && !s->error_status) {
            /* the first error says why the sweep stops; later ones (other
             * groups meeting the same fault) would only repeat it */
            fprintf(stderr, "sweep: %s\n", o->message);
            s->error_status = o->exit_status;
        }
        return;
    }
    if (o->status == OUTCOME_FAILED) {
        recorder_failed(s->rec, index, o->epochs_run);
        s->done++;   /* finished: it is not run again */
    } else {
        recorder_done(s->rec, index, o->epochs_run, o->best_epoch, &o->test, predictions,
                      o->test_images, params, (size_t)o->parameters, state,
                      (size_t)o->state_values);
        s->done++;
    }
    s->cost_done += cost_from_epoch(t, o->resumed_from_epoch);
    print_trial_end(t, o, s->rec->already_done + s->done, s->config->n_trials,
                    wall_seconds() - s->start, s->cost_done, s->cost_total,
                    s->options->verbosity);
}

static void record_epoch(trial_sink *s, int index, const epoch_record *r, int replayed)
{
    clear_live_line(s);
    if (!replayed && s->options->verbosity != VERBOSITY_QUIET)
        print_epoch_line(&s->config->trials[index], r);
    recorder_epoch(s->rec, index, r);
}

static void finished_here(trial_sink *s, int index, const trial_outcome *o, const trainer *tr)
{
    if (o->status == OUTCOME_DONE)
        record_outcome(s, index, o, tr->test_predictions, tr->net->params, tr->net->state);
    else
        record_outcome(s, index, o, NULL, NULL, NULL);
}

/* ---- training one trial (any rank of a group, or rank 0 alone) ---------- */

static uint64_t weights_fingerprint(const net *n)
{
    uint64_t params = fnv1a64(n->params, sizeof(float) * n->n_params);
    uint64_t state = fnv1a64(n->state, sizeof(float) * n->n_state);
    return params ^ (state * 0x9e3779b97f4a7c15ULL);
}

/* Continues from an earlier run's checkpoint when there is one; a bad one
 * is set aside with a warning and the trial starts over. The leader alone
 * reads it and hands the whole trainer state to its group: on several
 * nodes another rank may see a missing or stale copy of the file (a
 * node-local jobs/, an NFS attribute cache). */
static void resume_in_group(trainer *tr, const trial_group *g, const char *path)
{
    char err[1024];
    if ((!g || g->rank == 0) && access(path, F_OK) == 0 &&
        checkpoint_read(tr, path, err, sizeof err) != 0)
        fprintf(stderr, "sweep: warning: %s; starting %s from scratch\n", err, tr->settings.name);
    if (g)
        trainer_broadcast_state(tr, g);
}

/* Why a rank cannot go on with its trial: an exit status and one line. */
typedef struct {
    int status;                  /* 0, EXIT_USAGE, EXIT_DATA or EXIT_IO */
    char message[1024];
} trial_error;

static void write_checkpoint(const trainer *tr, const char *path, trial_error *e)
{
    if (checkpoint_write(tr, path, e->message, sizeof e->message) != 0)
        e->status = EXIT_IO;
}

/* Whether any rank of the group has an error; then every rank holds the
 * lowest failing rank's. A collective: every rank of the group calls it at
 * the same points, so a failure on any one of them (its node's copy of the
 * data, the leader's checkpoint) stops the whole group together and no rank
 * is left waiting in a collective of the training step. */
static int group_error(const trial_group *g, trial_error *e)
{
    if (!g)
        return e->status != 0;
    int mine = e->status ? g->rank : INT_MAX, first = INT_MAX;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, g->comm);
    if (first == INT_MAX)
        return 0;
    if (g->rank == first && strncmp(e->message, "rank ", 5) != 0) {
        /* which rank and node: the fault may be that node's alone */
        char host[MPI_MAX_PROCESSOR_NAME], line[sizeof e->message];
        int length, world_rank;
        MPI_Get_processor_name(host, &length);
        MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
        snprintf(line, sizeof line, "rank %d on %.64s: %.900s", world_rank, host, e->message);
        memcpy(e->message, line, sizeof line);
    }
    MPI_Bcast(e, sizeof *e, MPI_BYTE, first, g->comm);
    return 1;
}

static void fill_outcome(trial_outcome *o, trainer *tr, const dataset *data)
{
    trainer_test(tr, &o->test);
    o->epochs_run = tr->epochs_done;
    o->best_epoch = tr->best_epoch;
    o->fingerprint = weights_fingerprint(tr->net);
    o->parameters = (long)tr->net->n_params;
    o->state_values = (long)tr->net->n_state;
    o->train_images = data->train.count;
    o->validation_images = data->validation.count;
    o->test_images = data->test.count;
}

/* Epochs until the trial stops, is interrupted, fails or cannot be
 * checkpointed (e set, on every rank of the group); the leader reports
 * each and checkpoints after it. */
static void train_epochs(trainer *tr, const trial_group *g, int index, const char *path,
                         trial_sink *sink, int *failed, trial_error *e)
{
    const int leader = !g || g->rank == 0;
    while (!tr->stopped) {
        const epoch_record *r = trainer_epoch(tr);
        if (!r)
            break;
        if (leader)
            sink->epoch(sink, index, r, 0);
        /* Keras's TerminateOnNaN: nothing after a non-finite loss is worth
         * training or keeping. The loss is the group's sum, so every rank
         * agrees. */
        if (!isfinite(r->loss)) {
            *failed = 1;
            break;
        }
        if (leader)
            write_checkpoint(tr, path, e);
        if (group_error(g, e))
            break;
    }
}

/* The leader tells rank 0 (through the sink) that the trial could not be
 * trained here; rank 0 prints the line and stops the sweep with its status. */
static void report_error(trial_sink *sink, int index, int leader, const trial_error *e)
{
    if (!leader)
        return;
    trial_outcome o;
    memset(&o, 0, sizeof o);
    o.status = OUTCOME_ERROR;
    o.exit_status = e->status;
    snprintf(o.message, sizeof o.message, "%s", e->message);
    sink->finished(sink, index, &o, NULL);
}

/* Sets the trial up on every rank of the group: data, checkpoint
 * directory (the leader's), trainer. NULL with e set on every rank when
 * any rank could not. */
static trainer *set_up_trial(const trial_settings *t, const trial_group *g,
                             const char *checkpoint_dir, dataset_cache *cache, trial_error *e)
{
    const int leader = !g || g->rank == 0;
    trainer *tr = NULL;
    if (cache_load(cache, t, e->message, sizeof e->message) != 0)
        e->status = EXIT_DATA;
    else if (leader && make_directories(checkpoint_dir, e->message, sizeof e->message) != 0)
        e->status = EXIT_IO;
    else if (!(tr = trainer_new_in_group(t, &cache->data, g, e->message, sizeof e->message)))
        e->status = EXIT_USAGE;
    if (group_error(g, e)) {
        trainer_free(tr);
        return NULL;
    }
    return tr;
}

/* The leader (or the lone rank) reports every epoch and how the trial
 * ended: done, failed, interrupted with the last epoch's checkpoint on
 * disk, or an error (OUTCOME_ERROR: rank 0 stops the sweep). */
static void train_trial(int index, const trial_settings *t, const trial_group *g,
                        const char *checkpoint_dir, dataset_cache *cache, trial_sink *sink)
{
    char path[2 * TRIAL_PATH_MAX];
    const int leader = !g || g->rank == 0;
    trial_error e = { 0, "" };
    trainer *tr = set_up_trial(t, g, checkpoint_dir, cache, &e);
    if (!tr) {
        report_error(sink, index, leader, &e);
        return;
    }
    snprintf(path, sizeof path, "%s/%s.h5", checkpoint_dir, t->name);
    resume_in_group(tr, g, path);
    tr->stop_requested = g ? stop_requested_anywhere : signals_stop_requested;
    step_watch watch = { sink, index, 0, { 0, 0 } };
    if (leader && sink->progress && (sink->live || sink->progress_seconds > 0)) {
        tr->on_step = watch_step;
        tr->on_step_ctx = &watch;
    }
    trial_outcome o;
    memset(&o, 0, sizeof o);
    o.resumed_from_epoch = tr->epochs_done;
    for (int k = 0; leader && k < tr->epochs_done; k++)
        sink->epoch(sink, index, &tr->history[k], 1);
    int failed = 0;
    /* From its first step on, every running trial has a checkpoint, even
     * one stopped before its first epoch ends. */
    if (leader && tr->epochs_done == 0)
        write_checkpoint(tr, path, &e);
    const double start = wall_seconds();
    if (!group_error(g, &e))
        train_epochs(tr, g, index, path, sink, &failed, &e);
    if (e.status) {
        report_error(sink, index, leader, &e);
    } else if (leader) {
        o.status = failed ? OUTCOME_FAILED : tr->interrupted ? OUTCOME_INTERRUPTED : OUTCOME_DONE;
        o.epochs_run = tr->epochs_done;   /* a failed epoch is counted: its record holds the NaN */
        if (o.status == OUTCOME_DONE)
            fill_outcome(&o, tr, &cache->data);
        o.seconds = wall_seconds() - start;
        sink->finished(sink, index, &o, tr);
    }
    trainer_free(tr);
}

/* ---- one rank alone --------------------------------------------------- */

/* 0 when every trial of the grid has ended (done or failed);
 * EXIT_INTERRUPTED, with a line saying how to resume, when a stop signal
 * left some undone. */
static int sweep_status(const recorder *rec)
{
    int undone = 0, in_grid = 0;
    for (int i = 0; i < rec->results.n_records; i++) {
        const trial_record *t = &rec->results.records[i];
        in_grid += t->in_grid;
        undone += t->in_grid && t->status != TRIAL_DONE && t->status != TRIAL_FAILED;
    }
    if (!undone)
        return 0;
    if (rec->failed_publish)
        return EXIT_IO;
    fprintf(stderr, "sweep: interrupted by signal %d with %d of %d trials not done; "
            "run the same command again to resume\n", signals_stop_requested(), undone, in_grid);
    return EXIT_INTERRUPTED;
}

static recorder_options recorder_options_for(const sched_options *o, int mpi_size)
{
    return (recorder_options){ o->output, o->fresh, o->version, mpi_size, o->ranks_per_trial };
}

/* The table, the exit status, and the last publish. */
static int finish_sweep(recorder *rec, int rc)
{
    report_table(&rec->results, stdout);
    int status = rc ? rc : sweep_status(rec);
    int closed = recorder_close(rec);
    return status ? status : closed;
}

static int run_alone(const sweep_config *c, const sched_options *opt, dataset_cache *cache)
{
    recorder rec;
    recorder_options ro = recorder_options_for(opt, 1);
    int rc = recorder_open(&rec, c, &ro);
    if (rc != 0)
        return rc;
    print_resume_line(&rec, c->n_trials);
    trial_sink sink = { record_epoch, finished_here, &rec, c, opt, 0, wall_seconds(), 0,
                        cost_to_run(c, &rec), 0, NULL, c->progress_seconds,
                        isatty(STDOUT_FILENO), 0 };
    if (opt->verbosity != VERBOSITY_QUIET)
        sink.progress = print_progress;
    char checkpoint_dir[TRIAL_PATH_MAX], host[MPI_MAX_PROCESSOR_NAME];
    int length;
    MPI_Get_processor_name(host, &length);
    snprintf(checkpoint_dir, sizeof checkpoint_dir, "jobs/%s", c->name);
    for (int i = 0; i < c->n_trials && rc == 0 && !signals_stop_requested(); i++) {
        if (!results_needs_run(results_trial(&rec.results, i)))
            continue;
        if (rec.failed_publish)
            break;
        printf("start %s\n", c->trials[i].name);
        print_convolutions(&c->trials[i], opt->verbosity);   /* flushes both lines */
        recorder_started(&rec, i, 1, host, blas_core_running());
        train_trial(i, &c->trials[i], NULL, checkpoint_dir, cache, &sink);
        recorder_publish_if_due(&rec);
        rc = sink.error_status;
    }
    return finish_sweep(&rec, rc);
}

/* ---- many ranks ------------------------------------------------------- */

/* Open MPI's blocking calls poll at full speed; an idle rank instead tests
 * its request every millisecond and sleeps in between. */
static void wait_patiently(MPI_Request *request)
{
    const struct timespec pause = { 0, 1000000 };
    int done = 0;
    for (;;) {
        MPI_Test(request, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        nanosleep(&pause, NULL);
    }
}

static void recv_patiently(void *buffer, int bytes, int source, int tag)
{
    MPI_Request request;
    MPI_Irecv(buffer, bytes, MPI_BYTE, source, tag, MPI_COMM_WORLD, &request);
    wait_patiently(&request);
}

/* Rank 0 tells every other rank to stop (a failed publish, or a signal
 * that reached rank 0 alone); training ranks poll for it at every step. */
static int stop_requested_anywhere(void)
{
    int stop = signals_stop_requested();
    if (!stop)
        MPI_Iprobe(0, TAG_STOP, MPI_COMM_WORLD, &stop, MPI_STATUS_IGNORE);
    return stop;
}

/* Largest expected cost first, so the long trials do not finish last. */
typedef struct {
    double cost;
    int index;
} costed_trial;

static int by_cost_descending(const void *a, const void *b)
{
    const costed_trial *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? 1 : -1;
    return x->index - y->index;   /* file order among equals */
}

typedef struct {
    trial_sink sink;             /* rank 0's recorder and printing */
    int *order, n_order, next, groups_stopped;
    int world_size, stopping;
} dispatcher;

/* The trials still to run, largest expected cost first. */
static void plan_order(dispatcher *d)
{
    const sweep_config *c = d->sink.config;
    costed_trial *costed = xcalloc((size_t)c->n_trials + 1, sizeof *costed);
    d->order = xcalloc((size_t)c->n_trials + 1, sizeof(int));
    d->sink.cost_total = cost_to_run(c, d->sink.rec);
    for (int i = 0; i < c->n_trials; i++) {
        if (results_needs_run(results_trial(&d->sink.rec->results, i)))
            costed[d->n_order++] = (costed_trial){ trial_cost(&c->trials[i]), i };
    }
    qsort(costed, (size_t)d->n_order, sizeof *costed, by_cost_descending);
    for (int i = 0; i < d->n_order; i++)
        d->order[i] = costed[i].index;
    free(costed);
}

static void stop_everyone(dispatcher *d)
{
    const int stop = 1;
    d->stopping = 1;
    for (int r = 1; r < d->world_size; r++)
        MPI_Send(&stop, 1, MPI_INT, r, TAG_STOP, MPI_COMM_WORLD);
}

static void answer_ready(dispatcher *d, int leader, const ready_msg *ready)
{
    assign_msg a;
    memset(&a, 0, sizeof a);
    const sweep_config *c = d->sink.config;
    a.index = d->next < d->n_order && !d->stopping ? d->order[d->next++] : -1;
    if (a.index >= 0) {
        const trial_settings *t = &c->trials[a.index];
        int length = trial_settings_to_text(t, a.settings_text, sizeof a.settings_text);
        CHECK(length < (int)sizeof a.settings_text, "%s: settings exceed %d bytes of text",
              t->name, TRIAL_TEXT_MAX);
        snprintf(a.checkpoint_dir, sizeof a.checkpoint_dir, "%s", d->sink.rec->checkpoint_dir);
        a.progress_seconds = d->sink.progress ? c->progress_seconds : 0;
        printf("start %s on %d rank%s led by rank %d on %s\n", t->name, ready->group_size,
               ready->group_size > 1 ? "s" : "", leader, ready->host);
        print_convolutions(t, d->sink.options->verbosity);
        fflush(stdout);
        recorder_started(d->sink.rec, a.index, ready->group_size, ready->host, ready->blas_core);
    } else {
        d->groups_stopped++;
    }
    MPI_Send(&a, sizeof a, MPI_BYTE, leader, TAG_ASSIGN, MPI_COMM_WORLD);
}

/* A done trial's predictions and weights follow its result message. */
static void *recv_follow_up(int source, size_t bytes)
{
    void *buffer = xcalloc(bytes ? bytes : 1, 1);
    MPI_Recv(buffer, (int)bytes, MPI_BYTE, source, TAG_RESULT_DATA, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    return buffer;
}

static void receive_result(dispatcher *d, int source)
{
    result_msg m;
    MPI_Recv(&m, sizeof m, MPI_BYTE, source, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    uint8_t *predictions = NULL;
    float *params = NULL, *state = NULL;
    if (m.outcome.status == OUTCOME_DONE) {
        predictions = recv_follow_up(source, (size_t)m.outcome.test_images);
        params = recv_follow_up(source, sizeof(float) * (size_t)m.outcome.parameters);
        state = recv_follow_up(source, sizeof(float) * (size_t)m.outcome.state_values);
    }
    record_outcome(&d->sink, m.index, &m.outcome, predictions, params, state);
    free(predictions);
    free(params);
    free(state);
}

static void receive_one(dispatcher *d, const MPI_Status *st)
{
    if (st->MPI_TAG == TAG_READY) {
        ready_msg ready;
        MPI_Recv(&ready, sizeof ready, MPI_BYTE, st->MPI_SOURCE, TAG_READY, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        answer_ready(d, st->MPI_SOURCE, &ready);
    } else if (st->MPI_TAG == TAG_EPOCH) {
        epoch_msg m;
        MPI_Recv(&m, sizeof m, MPI_BYTE, st->MPI_SOURCE, TAG_EPOCH, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        record_epoch(&d->sink, m.index, &m.record, m.replayed);
    } else if (st->MPI_TAG == TAG_PROGRESS) {
        progress_msg m;
        MPI_Recv(&m, sizeof m, MPI_BYTE, st->MPI_SOURCE, TAG_PROGRESS, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        if (d->sink.progress)
            d->sink.progress(&d->sink, m.index, &m.figures);
    } else {
        CHECK(st->MPI_TAG == TAG_RESULT, "unexpected tag %d from rank %d", st->MPI_TAG,
              st->MPI_SOURCE);
        receive_result(d, st->MPI_SOURCE);
    }
}

/* Rank 0: answers leaders until every group has been told to stop. */
static void dispatch(dispatcher *d, int n_groups)
{
    const struct timespec pause = { 0, 1000000 };
    while (d->groups_stopped < n_groups) {
        if (!d->stopping && (signals_stop_requested() || d->sink.rec->failed_publish ||
                             d->sink.error_status))
            stop_everyone(d);
        recorder_publish_if_due(d->sink.rec);
        int waiting = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &waiting, &st);
        if (waiting)
            receive_one(d, &st);
        else
            nanosleep(&pause, NULL);
    }
}

static void send_epoch(trial_sink *s, int index, const epoch_record *r, int replayed)
{
    (void)s;
    epoch_msg m = { index, *r, replayed };
    MPI_Send(&m, sizeof m, MPI_BYTE, 0, TAG_EPOCH, MPI_COMM_WORLD);
}

/* At most one every progress_seconds per group (watch_step), so rank 0
 * prints whole lines at a rate that costs nothing. */
static void send_progress(trial_sink *s, int index, const progress_figures *f)
{
    (void)s;
    progress_msg m = { index, *f };
    MPI_Send(&m, sizeof m, MPI_BYTE, 0, TAG_PROGRESS, MPI_COMM_WORLD);
}

static void send_finished(trial_sink *s, int index, const trial_outcome *o, const trainer *tr)
{
    (void)s;
    result_msg m = { index, *o };
    MPI_Send(&m, sizeof m, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    if (o->status != OUTCOME_DONE)
        return;
    MPI_Send(tr->test_predictions, o->test_images, MPI_BYTE, 0, TAG_RESULT_DATA, MPI_COMM_WORLD);
    MPI_Send(tr->net->params, (int)(sizeof(float) * tr->net->n_params), MPI_BYTE, 0,
             TAG_RESULT_DATA, MPI_COMM_WORLD);
    MPI_Send(tr->net->state, (int)(sizeof(float) * tr->net->n_state), MPI_BYTE, 0,
             TAG_RESULT_DATA, MPI_COMM_WORLD);
}

/* A group's ranks: the leader asks for work and reports; the group trains. */
static int work_in_group(const trial_group *g)
{
    dataset_cache cache = { 0 };
    trial_sink sink = { send_epoch, send_finished, NULL, NULL, NULL, 0, 0, 0, 0, 0,
                        send_progress, 0, 0, 0 };
    int rc = 0;
    for (;;) {
        assign_msg a;
        if (g->rank == 0) {
            ready_msg ready = { g->size, "", "" };
            int length;
            MPI_Get_processor_name(ready.host, &length);
            snprintf(ready.blas_core, sizeof ready.blas_core, "%s", blas_core_running());
            MPI_Send(&ready, sizeof ready, MPI_BYTE, 0, TAG_READY, MPI_COMM_WORLD);
            recv_patiently(&a, sizeof a, 0, TAG_ASSIGN);
        }
        MPI_Request request;
        MPI_Ibcast(&a, sizeof a, MPI_BYTE, 0, g->comm, &request);
        wait_patiently(&request);
        if (a.index < 0)
            break;
        /* an error goes to rank 0, which then answers the next ready with a stop */
        sink.progress_seconds = a.progress_seconds;
        trial_settings settings;
        char err[256];
        CHECK(trial_settings_from_text(&settings, a.settings_text, err, sizeof err) == 0,
              "trial %d arrived damaged: %s", a.index, err);
        train_trial(a.index, &settings, g, a.checkpoint_dir, &cache, &sink);
    }
    cache_free(&cache);
    return rc;
}

/* Rank 0: checks the data, opens the results file. On success rec is open. */
static sweep_layout plan_layout(const sweep_config *c, const sched_options *o, int world_size,
                                recorder *rec)
{
    sweep_layout l = { 0, c->n_trials, o->ranks_per_trial, 0 };
    if (world_size - 1 < o->ranks_per_trial) {
        fprintf(stderr, "sweep: %d ranks per trial need at least %d ranks (one schedules), "
                "the job has %d\n", o->ranks_per_trial, o->ranks_per_trial + 1, world_size);
        l.status = EXIT_USAGE;
        return l;
    }
    l.status = check_all_data(c, NULL);
    recorder_options ro = recorder_options_for(o, world_size);
    if (l.status == 0)
        l.status = recorder_open(rec, c, &ro);
    if (l.status != 0)
        return l;
    int to_run = 0;
    for (int i = 0; i < c->n_trials; i++)
        to_run += results_needs_run(results_trial(&rec->results, i));
    int groups = (world_size - 1) / o->ranks_per_trial;
    l.n_groups = groups < to_run ? groups : to_run;
    return l;
}

/* Returns whether stop messages went out; *error_status is the first
 * worker error's exit status, or 0. */
static int run_scheduler(const sweep_config *c, const sched_options *o, const sweep_layout *l,
                         recorder *rec, int world_size, int *error_status)
{
    dispatcher d;
    memset(&d, 0, sizeof d);
    d.sink = (trial_sink){ record_epoch, NULL, rec, c, o, 0, wall_seconds(), 0, 0, 0,
                           o->verbosity != VERBOSITY_QUIET ? print_progress : NULL,
                           c->progress_seconds, 0, 0 };
    d.world_size = world_size;
    print_resume_line(rec, c->n_trials);
    plan_order(&d);
    dispatch(&d, l->n_groups);
    free(d.order);
    *error_status = d.sink.error_status;
    return d.stopping;
}

/* Every rank meets here at the end, without spinning; rank 0 says whether
 * it sent stop messages, which the others then receive so none is left
 * unmatched at MPI_Finalize. */
static void meet_at_the_end(int rank, int stops_sent)
{
    MPI_Request request;
    MPI_Ibcast(&stops_sent, 1, MPI_INT, 0, MPI_COMM_WORLD, &request);
    wait_patiently(&request);
    if (rank != 0 && stops_sent) {
        int stop;
        MPI_Recv(&stop, 1, MPI_INT, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
}

/* Every rank chose its OpenBLAS kernels for its own node (blas_core.h). */
static void say_blas_core(int rank)
{
    char host[MPI_MAX_PROCESSOR_NAME];
    int length;
    MPI_Get_processor_name(host, &length);
    printf("rank %d on %s: BLAS core %s\n", rank, host, blas_core_why());
    fflush(stdout);
}

int sched_run(const sweep_config *c, const sched_options *o)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (o->verbosity == VERBOSITY_VERBOSE)
        say_blas_core(rank);
    if (size == 1) {
        dataset_cache cache = { 0 };
        int status = check_all_data(c, &cache) ? EXIT_DATA : run_alone(c, o, &cache);
        cache_free(&cache);
        return status;
    }
    sweep_layout l = { 0 };
    recorder rec;
    if (rank == 0)
        l = plan_layout(c, o, size, &rec);
    MPI_Bcast(&l, sizeof l, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (l.status != 0)
        return l.status;
    /* Ranks 1.. form groups of G in order; the rest have nothing to do. */
    int group_index = rank == 0 ? -1 : (rank - 1) / l.ranks_per_trial;
    int color = group_index >= 0 && group_index < l.n_groups ? group_index : MPI_UNDEFINED;
    MPI_Comm comm;
    MPI_Comm_split(MPI_COMM_WORLD, color, rank, &comm);
    int rc = 0, stops_sent = 0;
    if (rank == 0) {
        stops_sent = run_scheduler(c, o, &l, &rec, size, &rc);
    } else if (comm != MPI_COMM_NULL) {
        trial_group g;
        group_init(&g, comm);
        rc = work_in_group(&g);
    }
    if (comm != MPI_COMM_NULL)
        MPI_Comm_free(&comm);
    meet_at_the_end(rank, stops_sent);
    return rank == 0 ? finish_sweep(&rec, rc) : rc;
}
