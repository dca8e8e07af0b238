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
#include "sched/search_plan.h"
#include "sched/trial_sink.h"

/* A leader that asked for work while the search could not yet say what
 * (a rung waiting on its last members): answered when a result comes. */
typedef struct {
    int leader;
    ready_msg ready;
} waiting_leader;

typedef struct {
    trial_sink sink;             /* rank 0's recorder and printing */
    search_plan *plan;
    waiting_leader *waiting;     /* in the order they asked */
    int n_waiting, groups_stopped;
    int world_size, stopping;
} dispatcher;

static void stop_everyone(dispatcher *d)
{
    const int stop = 1;
    d->stopping = 1;
    for (int r = 1; r < d->world_size; r++)
        MPI_Send(&stop, 1, MPI_INT, r, TAG_STOP, MPI_COMM_WORLD);
}

/* step: the trial the leader's group trains, how far; NULL: stop. */
static void send_assign(dispatcher *d, int leader, const ready_msg *ready,
                        const halving_step *step)
{
    assign_msg a;
    memset(&a, 0, sizeof a);
    a.index = step ? step->trial : -1;
    if (step) {
        const sweep_config *c = d->sink.config;
        const trial_settings *t = &c->trials[a.index];
        int length = trial_settings_to_text(t, a.settings_text, sizeof a.settings_text);
        CHECK(length < (int)sizeof a.settings_text, "%s: settings exceed %d bytes of text",
              t->name, TRIAL_TEXT_MAX);
        snprintf(a.checkpoint_dir, sizeof a.checkpoint_dir, "%s", d->sink.rec->checkpoint_dir);
        a.epochs = step->epochs;
        a.progress_seconds = d->sink.progress ? c->progress_seconds : 0;
        char where[MPI_MAX_PROCESSOR_NAME + 64];
        snprintf(where, sizeof where, " on %d rank%s led by rank %d on %s", ready->group_size,
                 ready->group_size > 1 ? "s" : "", leader, ready->host);
        print_start(t, where, step, search_plan_in_rungs(d->plan));
        print_convolutions(t, d->sink.options->verbosity);
        search_plan_begin(d->plan, step, ready->group_size, ready->host, ready->blas_core);
    } else {
        d->groups_stopped++;
    }
    MPI_Send(&a, sizeof a, MPI_BYTE, leader, TAG_ASSIGN, MPI_COMM_WORLD);
}

/* The next trial for this leader, a stop, or (0) nothing yet. */
static int answer(dispatcher *d, int leader, const ready_msg *ready)
{
    halving_step step = { HALVING_DONE, -1, 0, 0 };
    if (!d->stopping)
        step = search_plan_next(d->plan);
    if (step.action == HALVING_WAIT)
        return 0;
    send_assign(d, leader, ready, step.action == HALVING_RUN ? &step : NULL);
    return 1;
}

static void answer_ready(dispatcher *d, int leader, const ready_msg *ready)
{
    if (!answer(d, leader, ready))
        d->waiting[d->n_waiting++] = (waiting_leader){ leader, *ready };
}

/* After a result or a stop: the waiting leaders in turn, until the search
 * says wait again (it would say so to the rest too). */
static void answer_waiting(dispatcher *d)
{
    int answered = 0;
    while (answered < d->n_waiting &&
           answer(d, d->waiting[answered].leader, &d->waiting[answered].ready))
        answered++;
    memmove(d->waiting, d->waiting + answered, sizeof *d->waiting * (size_t)(d->n_waiting - answered));
    d->n_waiting -= answered;
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
    answer_waiting(d);
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
                             d->sink.error_status)) {
            stop_everyone(d);
            answer_waiting(d);
        }
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

int run_scheduler(const sweep_config *c, const sched_options *o, const sweep_layout *l,
                  recorder *rec, int world_size, int *error_status, int *search_done)
{
    search_plan plan;
    search_plan_init(&plan, c, rec, 1);
    dispatcher d;
    memset(&d, 0, sizeof d);
    d.sink = rank0_sink(c, o, rec, &plan);
    d.plan = &plan;
    d.waiting = xcalloc((size_t)l->n_groups + 1, sizeof *d.waiting);
    d.world_size = world_size;
    print_resume_line(rec, c->n_trials, search_plan_in_rungs(&plan));
    dispatch(&d, l->n_groups);
    free(d.waiting);
    *error_status = d.sink.error_status;
    *search_done = search_plan_finish(&plan);
    search_plan_free(&plan);
    return d.stopping;
}
