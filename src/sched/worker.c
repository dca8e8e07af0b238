/* worker: a group's loop -- ask rank 0 for a trial, train it, send back what it did. */
#include "sched/worker.h"

#include <mpi.h>
#include <stdio.h>

#include "config/settings_table.h"
#include "core/blas_core.h"
#include "core/util.h"
#include "sched/data_cache.h"
#include "sched/messages.h"
#include "sched/run_trial.h"
#include "sched/trial_sink.h"

static void recv_patiently(void *buffer, int bytes, int source, int tag)
{
    MPI_Request request;
    MPI_Irecv(buffer, bytes, MPI_BYTE, source, tag, MPI_COMM_WORLD, &request);
    wait_patiently(&request);
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
int work_in_group(const trial_group *g)
{
    dataset_cache cache = { 0 };
    trial_sink sink = { .epoch = send_epoch, .finished = send_finished,
                        .progress = send_progress };
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
        train_trial(a.index, &settings, g, a.checkpoint_dir, a.epochs, &cache, &sink);
    }
    cache_free(&cache);
    return rc;
}
