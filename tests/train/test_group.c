/* test_group: data-parallel training inside a trial group matches a single
 * rank on the same global batches -- one step's gradients and weights with
 * G = 2 and G = 3 (a global batch of 7 splits 4/3 and 3/2/2), and a short
 * training with G = 2 and G = 3. Run as a plain program it starts itself
 * under `mpirun --oversubscribe -np 3`; the three ranks form one G = 3
 * group, and also a G = 2 group {0, 1} beside a G = 1 group {2}. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "optim/adam.h"
#include "train/group.h"
#include "nn/net.h"
#include "core/rng.h"
#include "settings.h"
#include "testing.h"
#include "train/train.h"

#define GLOBAL_BATCH 7

static int world_rank;

static trial_settings step_settings(void)
{
    return settings_from_text("[sweep]\nname = dp\nseed = 5\n[train]\nbatch_size = 7\n"
                              "[model]\ngroups = 3/4, 5\ndense = 6\nbatch_norm = yes\n"
                              "dropout = 0.25\nl2 = 0.05\n");
}

/* Sample i of a synthetic set, the same on every rank. */
static void synthetic_sample(float *image, uint8_t *label, int i)
{
    rng_stream s = rng_stream_new(rng_key(99, 7, (uint64_t)i, 0));
    for (int p = 0; p < 784; p++)
        image[p] = rng_uniform(&s);
    *label = (uint8_t)rng_below(&s, 10);
}

/* One training step of `n` on global rows [first, first + count) of the
 * batch; returns nothing, leaves gradients and updated weights in n. */
static void one_step(net *n, adam_state *adam, const trial_group *g)
{
    int first, count;
    group_share(g, GLOBAL_BATCH, &first, &count);
    for (int b = 0; b < count; b++) {
        synthetic_sample(n->input + (size_t)b * 784, &n->labels[b], first + b);
        n->sample_ids[b] = 1000 + first + b;
    }
    forward_mode mode = { 1, GLOBAL_BATCH, 5, 2, 0 };
    net_forward(n, count, &mode);
    net_zero_grads(n);
    net_backward(n, count, GLOBAL_BATCH);
    group_sum_floats(g, n->grads, n->n_params);
    net_add_l2_gradient(n);
    adam_update(adam, n->params, n->grads);
}

static net *fresh_net(const trial_settings *t, const trial_group *g)
{
    char err[256];
    net *n = net_new(t, GLOBAL_BATCH, err, sizeof err);
    net_init(n, t->seed);
    if (g)
        n->reduce = (group_reducer){ group_sum_doubles, (void *)g };
    return n;
}

/* Gradients to 1e-5 of the largest (float sums in another order); weights
 * to 1e-6 wherever the gradient is not within rounding of zero -- there
 * Adam's first step is lr * sign(g) and rounding picks the sign. */
static void expect_same_step(const net *ours, const net *ref, int G)
{
    double gmax = 0;
    for (size_t i = 0; i < ref->n_params; i++)
        gmax = fmax(gmax, fabs(ref->grads[i]));
    int grad_off = 0, weight_off = 0;
    for (size_t i = 0; i < ref->n_params; i++) {
        grad_off += fabs(ours->grads[i] - ref->grads[i]) > 1e-5 * gmax + 1e-8;
        if (fabs(ref->grads[i]) > 1e-4 * gmax)
            weight_off += fabs(ours->params[i] - ref->params[i]) > 1e-6;
    }
    EXPECT(grad_off == 0, "G=%d: %d gradients differ from one rank's", G, grad_off);
    EXPECT(weight_off == 0, "G=%d: %d weights differ from one rank's", G, weight_off);
    int state_off = 0;
    for (size_t i = 0; i < ref->n_state; i++)
        state_off += fabs(ours->state[i] - ref->state[i]) > 1e-6 * (1 + fabs(ref->state[i]));
    EXPECT(state_off == 0, "G=%d: %d moving statistics differ", G, state_off);
}

static void check_one_step(const trial_group *g)
{
    trial_settings t = step_settings();
    net *ref = fresh_net(&t, NULL), *ours = fresh_net(&t, g);
    adam_state *ref_adam = adam_new(ref->n_params, 0.001f), *our_adam = adam_new(ours->n_params, 0.001f);
    one_step(ref, ref_adam, NULL);
    one_step(ours, our_adam, g);
    expect_same_step(ours, ref, g->size);
    adam_free(ref_adam);
    adam_free(our_adam);
    net_free(ref);
    net_free(ours);
}

static trial_group world, pair_or_single;

static void test_one_step_with_three_ranks_matches_one_rank(void) { check_one_step(&world); }
static void test_one_step_with_two_ranks_matches_one_rank(void) { check_one_step(&pair_or_single); }

/* A short real training: the data-parallel run ends where the single-rank
 * run does, up to float summation order (accuracies within 0.01). */
static void check_short_training(const trial_group *g, const dataset *d)
{
    trial_settings t = settings_from_text("[sweep]\nname = short\n[train]\nepochs = 2\n"
                                          "[model]\nconv = 8, 16\ndense = 32\nbatch_norm = yes\n"
                                          "dropout = 0.1\nl2 = 0.001\n");
    char err[256];
    trainer *alone = trainer_new(&t, d, err, sizeof err);
    trainer *grouped = trainer_new_in_group(&t, d, g, err, sizeof err);
    trainer_fit(alone, NULL, NULL);
    trainer_fit(grouped, NULL, NULL);
    for (int e = 0; e < 2; e++) {
        EXPECT(fabs(grouped->history[e].val_accuracy - alone->history[e].val_accuracy) <= 0.01,
               "G=%d epoch %d: val_accuracy %.4f, one rank %.4f", g->size, e + 1,
               grouped->history[e].val_accuracy, alone->history[e].val_accuracy);
        EXPECT(fabs(grouped->history[e].loss - alone->history[e].loss) <= 1e-3 * alone->history[e].loss,
               "G=%d epoch %d: loss %.6f, one rank %.6f", g->size, e + 1,
               grouped->history[e].loss, alone->history[e].loss);
    }
    trainer_free(alone);
    trainer_free(grouped);
}

static dataset data;
static void test_short_training_with_three_ranks_matches_one_rank(void) { check_short_training(&world, &data); }
static void test_short_training_with_two_ranks_matches_one_rank(void) { check_short_training(&pair_or_single, &data); }

static void test_shares_cover_the_batch_once(void)
{
    int next = 0, first, count;
    for (int r = 0; r < 3; r++) {
        trial_group g = { MPI_COMM_NULL, r, 3 };
        group_share(&g, GLOBAL_BATCH, &first, &count);
        EXPECT(first == next && count == (r == 0 ? 3 : 2), "rank %d: [%d, +%d)", r, first, count);
        next = first + count;
    }
    trial_group g = { MPI_COMM_NULL, 2, 3 };
    group_share(&g, 2, &first, &count);
    EXPECT(count == 0, "a batch of 2 over 3 ranks gives rank 2 %d rows", count);
}

/* Not under mpirun yet: become the three ranks. */
static void relaunch_under_mpirun(char **argv)
{
    if (getenv("OMPI_COMM_WORLD_SIZE"))
        return;
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    execlp("mpirun", "mpirun", "--oversubscribe", "-np", "3", argv[0], (char *)NULL);
    perror("test_group: cannot start mpirun");
    exit(1);
}

int main(int argc, char **argv)
{
    (void)argc;
    relaunch_under_mpirun(argv);
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    if (world_rank != 0) /* one rank reports; every rank checks */
        (void)!freopen("/dev/null", "w", stdout);
    group_init(&world, MPI_COMM_WORLD);
    MPI_Comm split;
    MPI_Comm_split(MPI_COMM_WORLD, world_rank < 2 ? 0 : 1, world_rank, &split);
    group_init(&pair_or_single, split);
    char err[512];
    if (dataset_load(&data, "/usr/share/datasets/fashion-mnist", 0.1, 1200, 100, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    RUN_TEST(test_shares_cover_the_batch_once);
    RUN_TEST(test_one_step_with_three_ranks_matches_one_rank);
    RUN_TEST(test_one_step_with_two_ranks_matches_one_rank);
    RUN_TEST(test_short_training_with_three_ranks_matches_one_rank);
    RUN_TEST(test_short_training_with_two_ranks_matches_one_rank);
    dataset_free(&data);
    /* A test that failed on any rank fails: rank 0 reports the most
     * failures any rank saw. */
    int failed = testing_failed;
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    testing_passed -= failed - testing_failed;
    testing_failed = failed;
    int rc = world_rank == 0 ? testing_finish("test_group") : (failed ? 1 : 0);
    MPI_Comm_free(&split);
    MPI_Finalize();
    return rc;
}
