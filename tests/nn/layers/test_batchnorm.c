/* test_batchnorm: Keras's BatchNormalization on (B, C, S) tensors -- the
 * training forward's per-channel statistics (epsilon 1e-3 inside the
 * square root), the moving averages (momentum 0.99, the Keras variance),
 * inference on the moving statistics, the full backward through the batch
 * statistics against finite differences for S = 1 (after a dense layer)
 * and S > 1 (after a conv), and a batch split across two simulated ranks
 * whose group_reducer sums match a single process on the whole batch. */
#include <omp.h>
#include <pthread.h>
#include <string.h>

#include "nn/layers/batchnorm.h"
#include "gradcheck.h"
#include "testing.h"
#include "core/util.h"

/* One (B, C, S) problem with its own buffers, so the loss function used
 * by the gradient check does not disturb the saved xhat and invstd. */
typedef struct {
    int B, C, S;
    size_t n;                               /* B * C * S */
    float *in, *out, *g, *xhat;
    float *gamma, *beta, *invstd, *moving_mean, *moving_var;
    int unbiased_moving_var;   /* 1 after a conv block, 0 after a dense layer */
    double *scratch;
} bn_case;

/* Channel c gets its own centre and spread, channel 0 a small one
 * (variance ~ 1e-3, the size of epsilon) so that where epsilon goes shows. */
static bn_case *bn_case_new(int B, int C, int S, uint64_t seed)
{
    bn_case *c = xcalloc(1, sizeof *c);
    c->B = B, c->C = C, c->S = S;
    c->n = (size_t)B * C * S;
    c->in = xcalloc(c->n, sizeof(float));
    c->out = xcalloc(c->n, sizeof(float));
    c->g = xcalloc(c->n, sizeof(float));
    c->xhat = xcalloc(c->n, sizeof(float));
    c->gamma = xcalloc(C, sizeof(float));
    c->beta = xcalloc(C, sizeof(float));
    c->invstd = xcalloc(C, sizeof(float));
    c->moving_mean = xcalloc(C, sizeof(float));
    c->moving_var = xcalloc(C, sizeof(float));
    c->scratch = xcalloc(2 * (size_t)C, sizeof(double));
    gradcheck_fill(c->in, c->n, -1.0f, 1.0f, seed);
    for (int b = 0; b < B; b++)
        for (int ch = 0; ch < C; ch++)
            for (int s = 0; s < S; s++) {
                float *x = &c->in[((size_t)b * C + ch) * S + s];
                *x = (ch == 0 ? 0.05f : 0.5f + 0.75f * ch) * *x + 0.7f * ch - 0.4f;
            }
    gradcheck_fill(c->g, c->n, -1.0f, 1.0f, seed + 1);
    gradcheck_fill(c->gamma, C, 0.5f, 1.5f, seed + 2);
    gradcheck_fill(c->beta, C, -0.5f, 0.5f, seed + 3);
    for (int ch = 0; ch < C; ch++)
        c->moving_var[ch] = 1.0f;   /* Keras's initial moving statistics */
    c->unbiased_moving_var = 1;
    return c;
}

static void bn_case_free(bn_case *c)
{
    free(c->in); free(c->out); free(c->g); free(c->xhat);
    free(c->gamma); free(c->beta); free(c->invstd);
    free(c->moving_mean); free(c->moving_var); free(c->scratch);
    free(c);
}

static void bn_train(bn_case *c)
{
    batchnorm_forward_train(c->out, c->xhat, c->invstd, c->moving_mean, c->moving_var,
                            c->in, c->gamma, c->beta, c->scratch, c->B, c->C, c->S,
                            (long)c->B * c->S, c->unbiased_moving_var, BATCHNORM_EPSILON, NULL);
}

/* Per-channel mean and biased variance of x (B, C, S), in double. */
static void channel_stats(double *mean, double *var, const float *x, int B, int C, int S)
{
    for (int ch = 0; ch < C; ch++) {
        double sum = 0.0, sq = 0.0;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++)
                sum += x[((size_t)b * C + ch) * S + s];
        mean[ch] = sum / ((double)B * S);
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                double d = x[((size_t)b * C + ch) * S + s] - mean[ch];
                sq += d * d;
            }
        var[ch] = sq / ((double)B * S);
    }
}

/* With gamma 1 and beta 0 each channel of the output has mean 0 and
 * biased variance var / (var + eps): epsilon sits inside the square root. */
static void check_train_output_is_normalised(int B, int C, int S)
{
    bn_case *c = bn_case_new(B, C, S, 31);
    for (int ch = 0; ch < C; ch++)
        c->gamma[ch] = 1.0f, c->beta[ch] = 0.0f;
    bn_train(c);
    double in_mean[8], in_var[8], out_mean[8], out_var[8];
    channel_stats(in_mean, in_var, c->in, B, C, S);
    channel_stats(out_mean, out_var, c->out, B, C, S);
    for (int ch = 0; ch < C; ch++) {
        const double expected_var = in_var[ch] / (in_var[ch] + BATCHNORM_EPSILON);
        EXPECT_NEAR(out_mean[ch], 0.0, 1e-5, 0.0);
        EXPECT_NEAR(out_var[ch], expected_var, 0.0, 1e-5);
        EXPECT_NEAR(c->invstd[ch], 1.0 / sqrt(in_var[ch] + BATCHNORM_EPSILON), 0.0, 1e-6);
    }
    bn_case_free(c);
}

static void test_batchnorm_train_output_has_zero_mean_and_variance_var_over_var_plus_eps(void)
{
    check_train_output_is_normalised(7, 3, 1);    /* after a dense layer */
    check_train_output_is_normalised(3, 3, 35);   /* after a conv, 5 x 7 */
}

/* out = gamma (x - mean) / sqrt(var + eps) + beta, and xhat is the part
 * before gamma and beta. */
static void test_batchnorm_train_applies_gamma_and_beta_to_xhat(void)
{
    enum { B = 3, C = 4, S = 5 };
    bn_case *c = bn_case_new(B, C, S, 41);
    bn_train(c);
    double mean[C], var[C];
    channel_stats(mean, var, c->in, B, C, S);
    for (int b = 0; b < B; b++)
        for (int ch = 0; ch < C; ch++)
            for (int s = 0; s < S; s++) {
                const size_t i = ((size_t)b * C + ch) * S + s;
                const double xhat = (c->in[i] - mean[ch]) / sqrt(var[ch] + BATCHNORM_EPSILON);
                EXPECT_NEAR(c->xhat[i], xhat, 1e-5, 1e-5);
                EXPECT_NEAR(c->out[i], c->gamma[ch] * xhat + c->beta[ch], 1e-5, 1e-5);
            }
    bn_case_free(c);
}

/* moving = 0.99 moving + 0.01 batch, the variance term unbiased (divided
 * by B*S - 1) after a conv block and biased (divided by B*S) after a dense
 * layer, as Keras 2. Small B*S makes the biased/unbiased difference
 * 1/(N-1), far above the tolerance. */
static void check_moving_statistics(int B, int C, int S, int unbiased)
{
    bn_case *c = bn_case_new(B, C, S, 51);
    c->unbiased_moving_var = unbiased;
    for (int ch = 0; ch < C; ch++) {
        c->moving_mean[ch] = 0.5f - 0.75f * ch;
        c->moving_var[ch] = 2.0f - 0.5f * ch;
    }
    double mean[8], var[8];
    channel_stats(mean, var, c->in, B, C, S);
    const double n = (double)B * S;
    for (int round = 0; round < 2; round++) {
        double expected_mean[8], expected_var[8];
        for (int ch = 0; ch < C; ch++) {
            expected_mean[ch] = 0.99 * c->moving_mean[ch] + 0.01 * mean[ch];
            expected_var[ch] = 0.99 * c->moving_var[ch] + 0.01 * var[ch] * (unbiased ? n / (n - 1.0) : 1.0);
        }
        bn_train(c);
        for (int ch = 0; ch < C; ch++) {
            EXPECT_NEAR(c->moving_mean[ch], expected_mean[ch], 1e-7, 1e-6);
            EXPECT_NEAR(c->moving_var[ch], expected_var[ch], 1e-7, 1e-6);
        }
    }
    bn_case_free(c);
}

static void test_batchnorm_moving_statistics_use_momentum_and_keras_variance(void)
{
    check_moving_statistics(2, 3, 3, 1);   /* after a conv block */
    check_moving_statistics(4, 3, 1, 1);   /* a conv block pooled to 1x1 */
    check_moving_statistics(4, 3, 1, 0);   /* after a dense layer */
}

/* Inference ignores the batch: out = gamma (x - moving_mean) /
 * sqrt(moving_var + eps) + beta, and a sample alone gives what it gives
 * inside a batch. */
static void test_batchnorm_inference_uses_moving_statistics(void)
{
    enum { B = 3, C = 2, S = 5 };
    bn_case *c = bn_case_new(B, C, S, 61);
    const float moving_mean[C] = { 0.25f, -1.5f }, moving_var[C] = { 0.5f, 3.0f };
    batchnorm_forward_infer(c->out, c->in, c->gamma, c->beta, moving_mean, moving_var,
                            B, C, S, BATCHNORM_EPSILON);
    for (int b = 0; b < B; b++)
        for (int ch = 0; ch < C; ch++)
            for (int s = 0; s < S; s++) {
                const size_t i = ((size_t)b * C + ch) * S + s;
                const double expected = c->gamma[ch] * (c->in[i] - moving_mean[ch]) /
                                        sqrt(moving_var[ch] + BATCHNORM_EPSILON) + c->beta[ch];
                EXPECT_NEAR(c->out[i], expected, 1e-6, 1e-5);
            }
    float alone[C * S];
    const size_t last = (size_t)(B - 1) * C * S;
    batchnorm_forward_infer(alone, c->in + last, c->gamma, c->beta, moving_mean, moving_var,
                            1, C, S, BATCHNORM_EPSILON);
    EXPECT(memcmp(alone, c->out + last, sizeof alone) == 0,
           "the last sample's inference output depends on the rest of the batch");
    bn_case_free(c);
}

/* The statistics survive a mean large against the spread (two passes in
 * double; one pass of sum and sum of squares in float would cancel). */
static void test_batchnorm_statistics_survive_a_large_mean(void)
{
    enum { B = 16, C = 2, S = 9 };
    bn_case *c = bn_case_new(B, C, S, 71);
    for (size_t i = 0; i < c->n; i++)
        c->in[i] += 1000.0f;
    for (int ch = 0; ch < C; ch++)
        c->gamma[ch] = 1.0f, c->beta[ch] = 0.0f;
    bn_train(c);
    double in_mean[C], in_var[C], out_mean[C], out_var[C];
    channel_stats(in_mean, in_var, c->in, B, C, S);
    channel_stats(out_mean, out_var, c->out, B, C, S);
    for (int ch = 0; ch < C; ch++) {
        EXPECT_NEAR(out_mean[ch], 0.0, 1e-3, 0.0);
        EXPECT_NEAR(out_var[ch], in_var[ch] / (in_var[ch] + BATCHNORM_EPSILON), 0.0, 1e-3);
    }
    bn_case_free(c);
}

static double bn_loss(void *ctx)
{
    bn_case *c = ctx;
    bn_train(c);
    return gradcheck_dot(c->out, c->g, c->n);
}

/* f = sum(out * g) with out computed from the batch's own mean and
 * variance, so each din element also carries the statistics' dependence
 * on every input. f is smooth but not linear, curving on the scale of a
 * channel's standard deviation (~0.03 for channel 0, ~1 for the others):
 * h = 2e-3 keeps the O((h / std)^2) truncation below 1% there, and 2h
 * large against the float rounding of f (~1e-6). Tolerance 2e-3 absolute
 * + 1e-2 relative; the worst element uses a few percent of it. */
static void check_gradients(int B, int C, int S)
{
    bn_case *c = bn_case_new(B, C, S, 81);
    bn_train(c);
    float *din = xcalloc(c->n, sizeof(float));
    float *xhat = xcalloc(c->n, sizeof(float));
    float *invstd = xcalloc(C, sizeof(float));
    float *dgamma = xcalloc(C, sizeof(float)), *dbeta = xcalloc(C, sizeof(float));
    memcpy(xhat, c->xhat, sizeof(float) * c->n);
    memcpy(invstd, c->invstd, sizeof(float) * C);
    batchnorm_backward(din, dgamma, dbeta, c->g, xhat, invstd, c->gamma, c->scratch,
                       B, C, S, (long)B * S, NULL);
    EXPECT_GRADIENT("din", c->in, din, c->n, 2e-3f, 2e-3, 1e-2, bn_loss, c);
    EXPECT_GRADIENT("dgamma", c->gamma, dgamma, (size_t)C, 2e-3f, 2e-3, 1e-2, bn_loss, c);
    EXPECT_GRADIENT("dbeta", c->beta, dbeta, (size_t)C, 2e-3f, 2e-3, 1e-2, bn_loss, c);
    free(din); free(xhat); free(invstd); free(dgamma); free(dbeta);
    bn_case_free(c);
}

static void test_batchnorm_gradients_match_finite_differences_after_dense(void)
{
    check_gradients(5, 4, 1);
}

static void test_batchnorm_gradients_match_finite_differences_after_conv(void)
{
    check_gradients(3, 2, 15);
}

static void test_batchnorm_backward_accumulates_dgamma_dbeta_and_overwrites_din(void)
{
    enum { B = 3, C = 2, S = 5, N = B * C * S };
    bn_case *c = bn_case_new(B, C, S, 91);
    bn_train(c);
    float din_once[N], dgamma_once[C] = { 0 }, dbeta_once[C] = { 0 };
    batchnorm_backward(din_once, dgamma_once, dbeta_once, c->g, c->xhat, c->invstd, c->gamma,
                       c->scratch, B, C, S, B * S, NULL);
    float din[N], dgamma[C] = { 0 }, dbeta[C] = { 0 };
    for (int call = 0; call < 2; call++) {
        for (int i = 0; i < N; i++)
            din[i] = 1e3f;  /* garbage the backward must overwrite */
        batchnorm_backward(din, dgamma, dbeta, c->g, c->xhat, c->invstd, c->gamma,
                           c->scratch, B, C, S, B * S, NULL);
    }
    for (int ch = 0; ch < C; ch++) {
        EXPECT_NEAR(dgamma[ch], 2.0f * dgamma_once[ch], 1e-6, 1e-6);
        EXPECT_NEAR(dbeta[ch], 2.0f * dbeta_once[ch], 1e-6, 1e-6);
    }
    EXPECT(memcmp(din, din_once, sizeof din) == 0, "din differs on the second call");
    bn_case_free(c);
}

/* ---- two ranks in one process ----
 * Each rank is a thread holding half the batch; the reducer is an
 * allreduce through shared memory: both ranks publish their buffer, meet
 * at a barrier, add the two in rank order (so both get identical sums),
 * meet again so nobody overwrites a buffer the other is still reading. */

enum { GROUP_B = 6, GROUP_C = 3, GROUP_S = 5, GROUP_HALF = GROUP_B / 2 };
#define GROUP_HALF_N ((size_t)GROUP_HALF * GROUP_C * GROUP_S)

typedef struct {
    pthread_barrier_t barrier;
    double *published[2];
} two_rank_group;

typedef struct {
    two_rank_group *group;
    int rank;
    const float *in, *dout, *gamma, *beta;      /* this rank's half */
    float out[GROUP_HALF_N], din[GROUP_HALF_N], xhat[GROUP_HALF_N];
    float invstd[GROUP_C], moving_mean[GROUP_C], moving_var[GROUP_C];
    float dgamma[GROUP_C], dbeta[GROUP_C];
    double scratch[2 * GROUP_C];
} rank_job;

static void two_rank_sum(double *values, int count, void *ctx)
{
    rank_job *job = ctx;
    two_rank_group *group = job->group;
    double sum[2 * GROUP_C];
    CHECK(count <= 2 * GROUP_C, "reducer asked to sum %d values", count);
    group->published[job->rank] = values;
    pthread_barrier_wait(&group->barrier);
    for (int i = 0; i < count; i++)
        sum[i] = group->published[0][i] + group->published[1][i];
    pthread_barrier_wait(&group->barrier);
    memcpy(values, sum, sizeof(double) * (size_t)count);
}

static void *rank_main(void *arg)
{
    rank_job *job = arg;
    const group_reducer reduce = { two_rank_sum, job };
    const long global_count = (long)GROUP_B * GROUP_S;
    /* One OpenMP thread per rank, as with one MPI rank per core: two
     * ranks, each with a spinning team, would oversubscribe a small box. */
    omp_set_num_threads(1);
    batchnorm_forward_train(job->out, job->xhat, job->invstd, job->moving_mean,
                            job->moving_var, job->in, job->gamma, job->beta, job->scratch,
                            GROUP_HALF, GROUP_C, GROUP_S, global_count, 1, BATCHNORM_EPSILON, &reduce);
    batchnorm_backward(job->din, job->dgamma, job->dbeta, job->dout, job->xhat, job->invstd,
                       job->gamma, job->scratch, GROUP_HALF, GROUP_C, GROUP_S, global_count,
                       &reduce);
    return NULL;
}

static void test_batchnorm_group_reducer_over_two_halves_matches_full_batch(void)
{
    bn_case *full = bn_case_new(GROUP_B, GROUP_C, GROUP_S, 101);
    float *din = xcalloc(full->n, sizeof(float));
    float dgamma[GROUP_C] = { 0 }, dbeta[GROUP_C] = { 0 };
    bn_train(full);
    batchnorm_backward(din, dgamma, dbeta, full->g, full->xhat, full->invstd, full->gamma,
                       full->scratch, GROUP_B, GROUP_C, GROUP_S, (long)GROUP_B * GROUP_S, NULL);

    two_rank_group group;
    pthread_barrier_init(&group.barrier, NULL, 2);
    rank_job *jobs = xcalloc(2, sizeof *jobs);
    pthread_t threads[2];
    for (int r = 0; r < 2; r++) {
        jobs[r].group = &group;
        jobs[r].rank = r;
        jobs[r].in = full->in + r * GROUP_HALF_N;
        jobs[r].dout = full->g + r * GROUP_HALF_N;
        jobs[r].gamma = full->gamma;
        jobs[r].beta = full->beta;
        for (int ch = 0; ch < GROUP_C; ch++)
            jobs[r].moving_var[ch] = 1.0f;
        CHECK(pthread_create(&threads[r], NULL, rank_main, &jobs[r]) == 0, "pthread_create");
    }
    for (int r = 0; r < 2; r++)
        pthread_join(threads[r], NULL);
    pthread_barrier_destroy(&group.barrier);

    for (int r = 0; r < 2; r++) {
        const size_t offset = r * GROUP_HALF_N;
        for (size_t i = 0; i < GROUP_HALF_N; i++) {
            EXPECT_NEAR(jobs[r].out[i], full->out[offset + i], 1e-5, 1e-5);
            EXPECT_NEAR(jobs[r].din[i], din[offset + i], 1e-5, 1e-4);
        }
        for (int ch = 0; ch < GROUP_C; ch++) {
            EXPECT_NEAR(jobs[r].moving_mean[ch], full->moving_mean[ch], 1e-7, 1e-6);
            EXPECT_NEAR(jobs[r].moving_var[ch], full->moving_var[ch], 1e-7, 1e-6);
            /* dgamma and dbeta stay local: the gradient allreduce adds them. */
            double local_dbeta = 0.0;
            for (int b = 0; b < GROUP_HALF; b++)
                for (int s = 0; s < GROUP_S; s++)
                    local_dbeta += jobs[r].dout[((size_t)b * GROUP_C + ch) * GROUP_S + s];
            EXPECT_NEAR(jobs[r].dbeta[ch], local_dbeta, 1e-5, 1e-5);
        }
    }
    for (int ch = 0; ch < GROUP_C; ch++) {
        EXPECT_NEAR(jobs[0].dgamma[ch] + jobs[1].dgamma[ch], dgamma[ch], 1e-5, 1e-5);
        EXPECT_NEAR(jobs[0].dbeta[ch] + jobs[1].dbeta[ch], dbeta[ch], 1e-5, 1e-5);
    }
    free(jobs);
    free(din);
    bn_case_free(full);
}

int main(void)
{
    RUN_TEST(test_batchnorm_train_output_has_zero_mean_and_variance_var_over_var_plus_eps);
    RUN_TEST(test_batchnorm_train_applies_gamma_and_beta_to_xhat);
    RUN_TEST(test_batchnorm_moving_statistics_use_momentum_and_keras_variance);
    RUN_TEST(test_batchnorm_inference_uses_moving_statistics);
    RUN_TEST(test_batchnorm_statistics_survive_a_large_mean);
    RUN_TEST(test_batchnorm_gradients_match_finite_differences_after_dense);
    RUN_TEST(test_batchnorm_gradients_match_finite_differences_after_conv);
    RUN_TEST(test_batchnorm_backward_accumulates_dgamma_dbeta_and_overwrites_din);
    RUN_TEST(test_batchnorm_group_reducer_over_two_halves_matches_full_batch);
    return testing_finish("test_batchnorm");
}
