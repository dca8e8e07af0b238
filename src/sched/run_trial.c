/* run_trial: one trial on a rank or a group -- set up, resumed, trained, reported. */
#include "sched/run_trial.h"

#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/signals.h"
#include "core/util.h"
#include "sched/messages.h"
#include "sched/progress.h"
#include "train/checkpoint.h"

/* Rank 0 tells every other rank to stop (a failed publish, or a signal
 * that reached rank 0 alone); training ranks poll for it at every step. */
static int stop_requested_anywhere(void)
{
    int stop = signals_stop_requested();
    if (!stop)
        MPI_Iprobe(0, TAG_STOP, MPI_COMM_WORLD, &stop, MPI_STATUS_IGNORE);
    return stop;
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
    o->base_source = tr->pretrained;
    const frozen_features *f = &tr->features;
    o->features = f->layer < 0 ? 0 : f->from_file ? 2 : 1;
    o->features_seconds = f->seconds;
    snprintf(o->features_file, sizeof o->features_file, "%.500s", f->path);
}

/* Epochs until the trial stops, reaches `epochs`, is interrupted, fails
 * or cannot be checkpointed (e set, on every rank of the group); the
 * leader reports each and checkpoints after it. Every rank of a group
 * sees the same counters, so they leave the loop together. */
static void train_epochs(trainer *tr, const trial_group *g, int index, const char *path,
                         int epochs, trial_sink *sink, int *failed, trial_error *e)
{
    const int leader = !g || g->rank == 0;
    while (!tr->stopped && tr->epochs_done < epochs) {
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
    if (!group_error(g, e) && tr->net->frozen_output >= 0) {
        /* a frozen base's features, shared by the sweep's trials in jobs/NAME/features */
        char features_dir[TRIAL_PATH_MAX + 16];
        snprintf(features_dir, sizeof features_dir, "%s/features", checkpoint_dir);
        trainer_use_frozen_features(tr, leader ? features_dir : NULL);
    }
    if (group_error(g, e)) {
        trainer_free(tr);
        return NULL;
    }
    return tr;
}

/* The leader (or the lone rank) reports every epoch and how the trial
 * ended: done, failed, paused at its budget or interrupted with the last
 * epoch's checkpoint on disk, or an error (OUTCOME_ERROR: rank 0 stops
 * the sweep). */
void train_trial(int index, const trial_settings *t, const trial_group *g,
                 const char *checkpoint_dir, int epochs, dataset_cache *cache,
                 trial_sink *sink)
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
        train_epochs(tr, g, index, path, epochs, sink, &failed, &e);
    if (e.status) {
        report_error(sink, index, leader, &e);
    } else if (leader) {
        /* not stopped (early stopping, or all its epochs): at its budget */
        o.status = failed ? OUTCOME_FAILED : tr->interrupted ? OUTCOME_INTERRUPTED
                 : tr->stopped ? OUTCOME_DONE : OUTCOME_PAUSED;
        o.epochs_run = tr->epochs_done;   /* a failed epoch is counted: its record holds the NaN */
        o.best_epoch = tr->best_epoch;
        if (o.status == OUTCOME_DONE)
            fill_outcome(&o, tr, &cache->data);
        o.seconds = wall_seconds() - start;
        sink->finished(sink, index, &o, tr);
    }
    trainer_free(tr);
}
