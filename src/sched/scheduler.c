/* scheduler: how a sweep's ranks are laid out -- one rank alone trains the
 * trials in turn; with more, rank 0 dispatches (dispatcher.c) and the rest
 * train in groups (worker.c) -- and how every rank meets at the end. */
#include "sched/scheduler.h"

#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

#include "core/blas_core.h"
#include "core/signals.h"
#include "core/util.h"
#include "report/repeats.h"
#include "report/report.h"
#include "sched/console.h"
#include "sched/data_cache.h"
#include "sched/dispatcher.h"
#include "sched/messages.h"
#include "sched/run_trial.h"
#include "sched/search_plan.h"
#include "sched/trial_sink.h"
#include "sched/worker.h"
#include "store/recorder.h"
#include "train/group.h"

/* 0 when the search is done (every trial of the grid done, failed or
 * pruned); EXIT_INTERRUPTED, with a line saying how to resume, when a
 * stop signal left some undone (a pruned trial counts as undone while the
 * search may still promote it). */
static int sweep_status(const recorder *rec, int search_done)
{
    if (search_done)
        return 0;
    int undone = 0, in_grid = 0;
    for (int i = 0; i < rec->results.n_records; i++) {
        const trial_record *t = &rec->results.records[i];
        in_grid += t->in_grid;
        undone += t->in_grid && t->status != TRIAL_DONE && t->status != TRIAL_FAILED;
    }
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
static int finish_sweep(recorder *rec, int rc, int search_done)
{
    report_table(&rec->results, stdout);
    if (repeats_present(&rec->results))   /* mean and spread of each configuration */
        report_configurations_table(&rec->results, stdout);
    int status = rc ? rc : sweep_status(rec, search_done);
    int closed = recorder_close(rec);
    return status ? status : closed;
}

/* The planner says what runs next, and how far; alone, nothing else runs
 * meanwhile, so it never has to wait. */
static int run_alone(const sweep_config *c, const sched_options *opt, dataset_cache *cache)
{
    recorder rec;
    recorder_options ro = recorder_options_for(opt, 1);
    int rc = recorder_open(&rec, c, &ro);
    if (rc != 0)
        return rc;
    search_plan plan;
    search_plan_init(&plan, c, &rec, 0);
    print_resume_line(&rec, c->n_trials, search_plan_in_rungs(&plan));
    trial_sink sink = rank0_sink(c, opt, &rec, &plan);
    sink.finished = finished_here;
    sink.live = isatty(STDOUT_FILENO);
    char checkpoint_dir[TRIAL_PATH_MAX], host[MPI_MAX_PROCESSOR_NAME];
    int length;
    MPI_Get_processor_name(host, &length);
    snprintf(checkpoint_dir, sizeof checkpoint_dir, "jobs/%s", c->name);
    while (rc == 0 && !signals_stop_requested() && !rec.failed_publish) {
        halving_step step = search_plan_next(&plan);
        CHECK(step.action != HALVING_WAIT, "the search waits with nothing running");
        if (step.action == HALVING_DONE)
            break;
        const trial_settings *t = &c->trials[step.trial];
        print_start(t, "", &step, search_plan_in_rungs(&plan));
        print_convolutions(t, opt->verbosity);   /* flushes both lines */
        search_plan_begin(&plan, &step, 1, host, blas_core_running());
        train_trial(step.trial, t, NULL, checkpoint_dir, step.epochs, cache, &sink);
        recorder_publish_if_due(&rec);
        rc = sink.error_status;
    }
    int search_done = search_plan_finish(&plan);
    search_plan_free(&plan);
    return finish_sweep(&rec, rc, search_done);
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
    /* every trial that has not ended may still train (a pruned one if it is promoted) */
    int to_run = 0;
    for (int i = 0; i < c->n_trials; i++) {
        trial_status status = results_trial(&rec->results, i)->status;
        to_run += status != TRIAL_DONE && status != TRIAL_FAILED;
    }
    int groups = (world_size - 1) / o->ranks_per_trial;
    l.n_groups = groups < to_run ? groups : to_run;
    return l;
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
    int rc = 0, stops_sent = 0, search_done = 0;
    if (rank == 0) {
        stops_sent = run_scheduler(c, o, &l, &rec, size, &rc, &search_done);
    } else if (comm != MPI_COMM_NULL) {
        trial_group g;
        group_init(&g, comm);
        rc = work_in_group(&g);
    }
    if (comm != MPI_COMM_NULL)
        MPI_Comm_free(&comm);
    meet_at_the_end(rank, stops_sent);
    return rank == 0 ? finish_sweep(&rec, rc, search_done) : rc;
}
