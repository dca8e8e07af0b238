/* scheduler: rank 0 hands trials to worker groups; workers train them. */
#include "scheduler.h"

#include <inttypes.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "data.h"
#include "group.h"
#include "signals.h"
#include "util.h"

/* Message tags between a group's leader and rank 0. */
enum sched_tag { TAG_READY = 1, TAG_ASSIGN, TAG_EPOCH, TAG_RESULT };

typedef struct {
    int index;                   /* into the sweep's trials; -1 = stop */
    trial_settings settings;
    char checkpoint_dir[TRIAL_PATH_MAX];
} assign_msg;

typedef struct {
    int group_size;
    char host[MPI_MAX_PROCESSOR_NAME];   /* the leader's node */
} ready_msg;

typedef struct {
    int index;
    epoch_record record;
} epoch_msg;

typedef struct {
    int index;
    trial_outcome outcome;
} result_msg;

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
 * missing or corrupt file ends the run before hours of training. Returns 0
 * or EXIT_DATA with the message printed. */
static int check_all_data(const sweep_config *c)
{
    for (int i = 0; i < c->n_trials; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = same_data(&c->trials[j], &c->trials[i]);
        if (seen)
            continue;
        dataset_cache cache = { 0 };
        char err[1024];
        int rc = cache_load(&cache, &c->trials[i], err, sizeof err);
        cache_free(&cache);
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

static void print_table(const sweep_config *c, const trial_outcome *o)
{
    printf("%-32s %13s %9s %9s %9s %9s %9s %6s %10s %9s\n", "name", "test_accuracy",
           "test_loss", "precision", "recall", "f1", "rmse", "epochs", "best_epoch", "seconds");
    for (int i = 0; i < c->n_trials; i++) {
        const class_metrics *m = &o[i].test.metrics;
        if (o[i].status != OUTCOME_DONE) {
            printf("%-32s %13s\n", c->trials[i].name,
                   o[i].status == OUTCOME_INTERRUPTED ? "interrupted" : "pending");
            continue;
        }
        printf("%-32s %13.4f %9.4f %9.4f %9.4f %9.4f %9.4f %6d %10d %9.1f\n", c->trials[i].name,
               m->accuracy, o[i].test.loss, m->precision, m->recall, m->f1, m->rmse,
               o[i].epochs_run, o[i].best_epoch, o[i].seconds);
    }
}

/* Each line is printed whole and flushed, so lines from many groups never
 * interleave. */
static void print_trial_end(const trial_settings *t, const trial_outcome *o, int done, int total,
                            double elapsed, double cost_done, double cost_total, verbosity v)
{
    if (v == VERBOSITY_VERBOSE)
        printf("%s: %ld parameters, %d train / %d validation / %d test images, %s\n", t->name,
               o->parameters, o->train_images, o->validation_images, o->test_images,
               o->resumed_from_epoch ? "resumed from a checkpoint" : "trained from scratch");
    printf("%s: tested the weights of epoch %d, fingerprint %016" PRIx64 "\n", t->name,
           o->best_epoch, o->fingerprint);
    printf("%s done: test_accuracy %.4f, %d epochs, %.1fs\n", t->name,
           o->test.metrics.accuracy, o->epochs_run, o->seconds);
    double eta = cost_done > 0 ? elapsed * (cost_total - cost_done) / cost_done : 0;
    printf("progress %d/%d trials done, %.0fs elapsed, ETA %.0fs\n", done, total, elapsed, eta);
    fflush(stdout);
}

/* ---- training one trial (any rank of a group, or rank 0 alone) ---------- */

static uint64_t weights_fingerprint(const net *n)
{
    uint64_t params = fnv1a64(n->params, sizeof(float) * n->n_params);
    uint64_t state = fnv1a64(n->state, sizeof(float) * n->n_state);
    return params ^ (state * 0x9e3779b97f4a7c15ULL);
}

/* Called on the leader after each epoch: prints it, or sends it to rank 0. */
typedef void (*epoch_report)(const void *ctx, int index, const trial_settings *t,
                             const epoch_record *r);

/* Continues from an earlier run's checkpoint when there is one; a bad one
 * is set aside with a warning and the trial starts over. */
static void resume_if_checkpointed(trainer *tr, const char *path, int leader)
{
    char err[1024];
    if (access(path, F_OK) != 0)
        return;
    if (checkpoint_read(tr, path, err, sizeof err) != 0 && leader)
        fprintf(stderr, "sweep: warning: %s; starting %s from scratch\n", err, tr->settings.name);
}

static int write_checkpoint(const trainer *tr, const char *path)
{
    char err[1024];
    if (checkpoint_write(tr, path, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "sweep: %s\n", err);
    return EXIT_IO;
}

/* Returns 0, or an exit status with the message printed. The outcome is
 * filled on the group's leader (or the lone rank): done, or interrupted
 * with the last epoch's checkpoint on disk. */
static int train_trial(int index, const trial_settings *t, const trial_group *g,
                       const char *checkpoint_dir, dataset_cache *cache, epoch_report report,
                       const void *report_ctx, trial_outcome *o)
{
    char err[1024], path[2 * TRIAL_PATH_MAX];
    const int leader = !g || g->rank == 0;
    memset(o, 0, sizeof *o);
    if (cache_load(cache, t, err, sizeof err) != 0) {
        fprintf(stderr, "sweep: %s\n", err);
        return EXIT_DATA;
    }
    if (leader && make_directories(checkpoint_dir, err, sizeof err) != 0) {
        fprintf(stderr, "sweep: %s\n", err);
        return EXIT_IO;
    }
    trainer *tr = trainer_new_in_group(t, &cache->data, g, err, sizeof err);
    if (!tr) {
        fprintf(stderr, "sweep: %s\n", err);
        return EXIT_USAGE;
    }
    snprintf(path, sizeof path, "%s/%s.h5", checkpoint_dir, t->name);
    resume_if_checkpointed(tr, path, leader);
    o->resumed_from_epoch = tr->epochs_done;
    int rc = 0;
    /* From its first step on, every running trial has a checkpoint, even
     * one stopped before its first epoch ends. */
    if (leader && tr->epochs_done == 0)
        rc = write_checkpoint(tr, path);
    tr->stop_requested = signals_stop_requested;
    const double start = wall_seconds();
    while (!tr->stopped && rc == 0) {
        const epoch_record *r = trainer_epoch(tr);
        if (!r)
            break;
        if (leader && report)
            report(report_ctx, index, t, r);
        if (leader)
            rc = write_checkpoint(tr, path);
    }
    if (leader && rc == 0 && tr->interrupted) {
        o->status = OUTCOME_INTERRUPTED;
    } else if (leader && rc == 0) {
        o->status = OUTCOME_DONE;
        trainer_test(tr, &o->test);
        o->seconds = wall_seconds() - start;
        o->epochs_run = tr->epochs_done;
        o->best_epoch = tr->best_epoch;
        o->fingerprint = weights_fingerprint(tr->net);
        o->parameters = (long)tr->net->n_params;
        o->train_images = cache->data.train.count;
        o->validation_images = cache->data.validation.count;
        o->test_images = cache->data.test.count;
    }
    trainer_free(tr);
    return rc;
}

/* ---- one rank alone --------------------------------------------------- */

/* 0 when every trial is done; EXIT_INTERRUPTED, with a line saying how to
 * resume, when a stop signal left some undone. */
static int sweep_status(const sweep_config *c, const trial_outcome *o)
{
    int undone = 0;
    for (int i = 0; i < c->n_trials; i++)
        undone += o[i].status != OUTCOME_DONE;
    if (!undone)
        return 0;
    fprintf(stderr, "sweep: interrupted by signal %d with %d of %d trials not done; "
            "run the same command again to resume\n", signals_stop_requested(), undone, c->n_trials);
    return EXIT_INTERRUPTED;
}

static void report_alone(const void *ctx, int index, const trial_settings *t,
                         const epoch_record *r)
{
    const sched_options *opt = ctx;
    (void)index;
    if (opt->verbosity != VERBOSITY_QUIET)
        print_epoch_line(t, r);
}

static int run_alone(const sweep_config *c, const sched_options *opt)
{
    dataset_cache cache = { 0 };
    trial_outcome *outcomes = xcalloc((size_t)c->n_trials, sizeof *outcomes);
    double cost_total = 0, cost_done = 0, start = wall_seconds();
    for (int i = 0; i < c->n_trials; i++)
        cost_total += trial_cost(&c->trials[i]);
    char checkpoint_dir[TRIAL_PATH_MAX];
    snprintf(checkpoint_dir, sizeof checkpoint_dir, "jobs/%s", c->name);
    int rc = 0;
    for (int i = 0; i < c->n_trials && rc == 0 && !signals_stop_requested(); i++) {
        printf("start %s\n", c->trials[i].name);
        rc = train_trial(i, &c->trials[i], NULL, checkpoint_dir, &cache, report_alone, opt,
                         &outcomes[i]);
        cost_done += trial_cost(&c->trials[i]);
        if (rc == 0 && outcomes[i].status == OUTCOME_DONE)
            print_trial_end(&c->trials[i], &outcomes[i], i + 1, c->n_trials,
                            wall_seconds() - start, cost_done, cost_total, opt->verbosity);
    }
    if (rc == 0) {
        print_table(c, outcomes);
        rc = sweep_status(c, outcomes);
    }
    free(outcomes);
    cache_free(&cache);
    return rc;
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
    const sweep_config *config;
    const sched_options *options;
    int *order, next, done, groups_stopped;
    trial_outcome *outcomes;
    double start, cost_total, cost_done;
} dispatcher;

static void answer_ready(dispatcher *d, int leader, const ready_msg *ready)
{
    assign_msg a;
    memset(&a, 0, sizeof a);
    const int more = d->next < d->config->n_trials && !signals_stop_requested();
    a.index = more ? d->order[d->next++] : -1;
    if (a.index >= 0) {
        a.settings = d->config->trials[a.index];
        snprintf(a.checkpoint_dir, sizeof a.checkpoint_dir, "jobs/%s", d->config->name);
        printf("start %s on %d rank%s led by rank %d on %s\n", a.settings.name, ready->group_size,
               ready->group_size > 1 ? "s" : "", leader, ready->host);
        fflush(stdout);
    } else {
        d->groups_stopped++;
    }
    MPI_Send(&a, sizeof a, MPI_BYTE, leader, TAG_ASSIGN, MPI_COMM_WORLD);
}

/* Rank 0: answers leaders until every group has been told to stop. */
static void dispatch(dispatcher *d, int n_groups)
{
    const struct timespec pause = { 0, 1000000 };
    while (d->groups_stopped < n_groups) {
        int waiting = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &waiting, &st);
        if (!waiting) {
            nanosleep(&pause, NULL);
            continue;
        }
        if (st.MPI_TAG == TAG_READY) {
            ready_msg ready;
            MPI_Recv(&ready, sizeof ready, MPI_BYTE, st.MPI_SOURCE, TAG_READY, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            answer_ready(d, st.MPI_SOURCE, &ready);
        } else if (st.MPI_TAG == TAG_EPOCH) {
            epoch_msg m;
            MPI_Recv(&m, sizeof m, MPI_BYTE, st.MPI_SOURCE, TAG_EPOCH, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (d->options->verbosity != VERBOSITY_QUIET)
                print_epoch_line(&d->config->trials[m.index], &m.record);
        } else {
            CHECK(st.MPI_TAG == TAG_RESULT, "unexpected tag %d from rank %d", st.MPI_TAG, st.MPI_SOURCE);
            result_msg m;
            MPI_Recv(&m, sizeof m, MPI_BYTE, st.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            d->outcomes[m.index] = m.outcome;
            if (m.outcome.status != OUTCOME_DONE)
                continue;
            d->done++;
            d->cost_done += trial_cost(&d->config->trials[m.index]);
            print_trial_end(&d->config->trials[m.index], &m.outcome, d->done, d->config->n_trials,
                            wall_seconds() - d->start, d->cost_done, d->cost_total,
                            d->options->verbosity);
        }
    }
}

static void report_to_rank0(const void *ctx, int index, const trial_settings *t,
                            const epoch_record *r)
{
    (void)ctx;
    (void)t;
    epoch_msg m = { index, *r };
    MPI_Send(&m, sizeof m, MPI_BYTE, 0, TAG_EPOCH, MPI_COMM_WORLD);
}

/* A group's ranks: the leader asks for work and reports; the group trains. */
static int work_in_group(const trial_group *g)
{
    dataset_cache cache = { 0 };
    int rc = 0;
    for (;;) {
        assign_msg a;
        if (g->rank == 0) {
            ready_msg ready = { g->size, "" };
            int length;
            MPI_Get_processor_name(ready.host, &length);
            MPI_Send(&ready, sizeof ready, MPI_BYTE, 0, TAG_READY, MPI_COMM_WORLD);
            recv_patiently(&a, sizeof a, 0, TAG_ASSIGN);
        }
        MPI_Request request;
        MPI_Ibcast(&a, sizeof a, MPI_BYTE, 0, g->comm, &request);
        wait_patiently(&request);
        if (a.index < 0)
            break;
        result_msg m = { a.index, { 0 } };
        rc = train_trial(a.index, &a.settings, g, a.checkpoint_dir, &cache, report_to_rank0, NULL,
                         &m.outcome);
        if (rc != 0)
            break;
        if (g->rank == 0)
            MPI_Send(&m, sizeof m, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    }
    cache_free(&cache);
    return rc;
}

static sweep_layout plan_layout(const sweep_config *c, const sched_options *o, int world_size)
{
    sweep_layout l = { 0, c->n_trials, o->ranks_per_trial, 0 };
    if (world_size - 1 < o->ranks_per_trial) {
        fprintf(stderr, "sweep: %d ranks per trial need at least %d ranks (one schedules), "
                "the job has %d\n", o->ranks_per_trial, o->ranks_per_trial + 1, world_size);
        l.status = EXIT_USAGE;
        return l;
    }
    l.status = check_all_data(c);
    int groups = (world_size - 1) / o->ranks_per_trial;
    l.n_groups = groups < c->n_trials ? groups : c->n_trials;
    return l;
}

static int run_scheduler(const sweep_config *c, const sched_options *o, const sweep_layout *l)
{
    dispatcher d = { c, o, xcalloc((size_t)c->n_trials, sizeof(int)), 0, 0, 0,
                     xcalloc((size_t)c->n_trials, sizeof(trial_outcome)), wall_seconds(), 0, 0 };
    costed_trial *costed = xcalloc((size_t)c->n_trials, sizeof *costed);
    for (int i = 0; i < c->n_trials; i++) {
        costed[i] = (costed_trial){ trial_cost(&c->trials[i]), i };
        d.cost_total += costed[i].cost;
    }
    qsort(costed, (size_t)c->n_trials, sizeof *costed, by_cost_descending);
    for (int i = 0; i < c->n_trials; i++)
        d.order[i] = costed[i].index;
    free(costed);
    dispatch(&d, l->n_groups);
    print_table(c, d.outcomes);
    int rc = sweep_status(c, d.outcomes);
    free(d.order);
    free(d.outcomes);
    return rc;
}

int sched_run(const sweep_config *c, const sched_options *o)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size == 1)
        return check_all_data(c) ? EXIT_DATA : run_alone(c, o);
    sweep_layout l = { 0 };
    if (rank == 0)
        l = plan_layout(c, o, size);
    MPI_Bcast(&l, sizeof l, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (l.status != 0)
        return l.status;
    /* Ranks 1.. form groups of G in order; the rest have nothing to do. */
    int group_index = rank == 0 ? -1 : (rank - 1) / l.ranks_per_trial;
    int color = group_index >= 0 && group_index < l.n_groups ? group_index : MPI_UNDEFINED;
    MPI_Comm comm;
    MPI_Comm_split(MPI_COMM_WORLD, color, rank, &comm);
    int rc = 0;
    if (rank == 0) {
        rc = run_scheduler(c, o, &l);
    } else if (comm != MPI_COMM_NULL) {
        trial_group g;
        group_init(&g, comm);
        rc = work_in_group(&g);
    }
    if (comm != MPI_COMM_NULL)
        MPI_Comm_free(&comm);
    /* Everyone, spare ranks included, waits here for the end without spinning. */
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    wait_patiently(&request);
    return rc;
}
