/* dispatcher: rank 0's loop under mpirun -- trials out to leaders, their events in. */
#include "sched/dispatcher.h"

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/settings_table.h"
#include "core/signals.h"
#include "core/util.h"
#include "sched/console.h"
#include "sched/trial_sink.h"
#include "search/cost.h"

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

/* Returns whether stop messages went out; *error_status is the first
 * worker error's exit status, or 0. */
int run_scheduler(const sweep_config *c, const sched_options *o, const sweep_layout *l,
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
