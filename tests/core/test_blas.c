/* test_blas: the BLAS that is linked and loaded is OpenBLAS's OpenMP build
 * (Debian's libopenblas-openmp-dev), so GEMM threads and the layers' own
 * OpenMP loops share one thread pool instead of oversubscribing the cores.
 * Debian's alternatives system could swap in the pthreads build or the
 * reference BLAS under the same names; this catches that.
 * Then the kernel set (blas_core.h): this program re-executes itself as
 * sweep does, so it runs the core sweep would run, checks that core is not
 * a generic one on a CPU with AVX2, and checks that its sgemm agrees with
 * a double-precision reference on the report's layer shapes: a kernel set
 * that runs but computes wrong results on a CPU it was not written for
 * fails here. */
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/blas_core.h"
#include "core/rng.h"
#include "testing.h"

static void test_openblas_is_the_openmp_build(void)
{
    EXPECT(openblas_get_parallel() == OPENBLAS_OPENMP, "openblas_get_parallel() = %d (%s)",
           openblas_get_parallel(), openblas_get_config());
}

static void test_loaded_library_comes_from_openblas_openmp(void)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    EXPECT(maps != NULL, "cannot read /proc/self/maps");
    if (!maps)
        return;
    char line[1024], found[1024] = "";
    while (fgets(line, sizeof line, maps))
        if (strstr(line, "libopenblas") || strstr(line, "libblas")) {
            snprintf(found, sizeof found, "%s", strchr(line, '/') ? strchr(line, '/') : line);
            break;
        }
    fclose(maps);
    EXPECT(strstr(found, "openblas-openmp/") != NULL, "BLAS loaded from %s", found[0] ? found : "nowhere");
}

static const blas_cpu SSE_ONLY = { 0, 0, 0 }, INTEL_AVX2 = { 0, 1, 0 },
                      AMD_AVX2 = { 1, 1, 0 }, AVX512 = { 0, 1, 1 }, AMD_AVX512 = { 1, 1, 1 };

static const char *plan(const char *running, const char *user, int retried, blas_cpu cpu)
{
    char why[256] = "";
    const char *core = blas_core_plan(running, user, retried, cpu, why, sizeof why);
    EXPECT(strncmp(why, running, strlen(running)) == 0 || (core && strstr(why, running)),
           "the line names the running core: '%s'", why);
    return core ? core : "keep";
}

static void test_generic_core_on_a_vector_cpu_is_replaced_by_the_best_set(void)
{
    EXPECT(strcmp(plan("Prescott", NULL, 0, AVX512), "SkylakeX") == 0, "AVX-512");
    EXPECT(strcmp(plan("Prescott", NULL, 0, AMD_AVX512), "SkylakeX") == 0, "AMD AVX-512");
    EXPECT(strcmp(plan("Prescott", NULL, 0, INTEL_AVX2), "Haswell") == 0, "Intel AVX2");
    EXPECT(strcmp(plan("Nehalem", NULL, 0, AMD_AVX2), "Zen") == 0, "AMD AVX2");
    EXPECT(strcmp(plan("Sandybridge", NULL, 0, INTEL_AVX2), "Haswell") == 0, "AVX without FMA");
}

static void test_vector_cores_and_old_cpus_are_kept(void)
{
    EXPECT(strcmp(plan("Haswell", NULL, 0, AVX512), "keep") == 0, "Haswell on AVX-512");
    EXPECT(strcmp(plan("Cooperlake", NULL, 0, AVX512), "keep") == 0, "Cooperlake");
    EXPECT(strcmp(plan("Zen", NULL, 0, AMD_AVX2), "keep") == 0, "Zen");
    EXPECT(strcmp(plan("Prescott", NULL, 0, SSE_ONLY), "keep") == 0, "a CPU without AVX2");
}

static void test_the_users_coretype_is_never_overridden_and_no_second_restart(void)
{
    EXPECT(strcmp(plan("Prescott", "Prescott", 0, AVX512), "keep") == 0, "user's choice");
    EXPECT(strcmp(plan("Prescott", NULL, 1, AVX512), "keep") == 0, "already re-executed");
}

static void test_running_core_is_not_generic_on_a_cpu_with_avx2(void)
{
    blas_cpu cpu = blas_cpu_read();
    const char *core = blas_core_running();
    printf("  CPU: AVX2+FMA %d, AVX-512 %d, AMD %d; running core %s (%s)\n", cpu.avx2_fma,
           cpu.avx512, cpu.amd, core, blas_core_why());
    if (getenv("OPENBLAS_CORETYPE") && !getenv(BLAS_CORE_RETRY_ENV))
        return;   /* the user chose; nothing to check */
    EXPECT(blas_core_replacement(core, cpu) == NULL, "core %s on this CPU", core);
}

/* C = op(A) op(B) checked entry by entry, on a sample of entries, against
 * a double-precision sum: |c - ref| <= 1e-5 * sum |a_k b_k| + 1e-30. A
 * wrong kernel is off by O(1) of that scale, rounding by about 1e-7. */
static int sgemm_agrees(int trans_a, int trans_b, int M, int N, int K, uint64_t seed)
{
    float *A = malloc(sizeof(float) * (size_t)M * K), *B = malloc(sizeof(float) * (size_t)K * N);
    float *C = malloc(sizeof(float) * (size_t)M * N);
    rng_stream s = rng_stream_new(seed);
    for (size_t i = 0; i < (size_t)M * K; i++)
        A[i] = 2.0f * rng_uniform(&s) - 1.0f;
    for (size_t i = 0; i < (size_t)K * N; i++)
        B[i] = 2.0f * rng_uniform(&s) - 1.0f;
    const int lda = trans_a ? M : K, ldb = trans_b ? K : N;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, N);
    int bad = 0;
    for (int sample = 0; sample < 3000 && !bad; sample++) {
        /* the corners (edge tiles of the kernel) first, then random entries */
        int i = sample < 4 ? (sample & 1) * (M - 1) : (int)rng_below(&s, (uint32_t)M);
        int j = sample < 4 ? (sample >> 1) * (N - 1) : (int)rng_below(&s, (uint32_t)N);
        double ref = 0.0, scale = 0.0;
        for (int k = 0; k < K; k++) {
            double a = trans_a ? A[(size_t)k * M + i] : A[(size_t)i * K + k];
            double b = trans_b ? B[(size_t)j * K + k] : B[(size_t)k * N + j];
            ref += a * b;
            scale += fabs(a * b);
        }
        double c = C[(size_t)i * N + j];
        if (fabs(c - ref) > 1e-5 * scale + 1e-30) {
            fprintf(stderr, "  sgemm %c%c %dx%dx%d: C[%d][%d] = %.9g, reference %.9g\n",
                    trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, i, j, c, ref);
            bad = 1;
        }
    }
    free(A);
    free(B);
    free(C);
    return !bad;
}

static void test_sgemm_agrees_with_double_reference_on_layer_shapes(void)
{
    /* (M, N, K) of the report's layers at batch 32, as conv2d, Winograd
     * and dense call them, then odd sizes that hit every edge kernel. */
    static const int shapes[][5] = {
        { 0, 0, 128, 25088, 9 },   { 0, 0, 256, 6272, 1152 }, { 0, 0, 512, 1568, 2304 },
        { 0, 1, 256, 1152, 6272 }, { 1, 0, 1152, 6272, 256 }, { 0, 1, 32, 384, 4608 },
        { 1, 0, 384, 4608, 32 },   { 0, 0, 128, 1568, 256 },  { 0, 0, 1, 1, 1 },
        { 0, 0, 17, 31, 13 },      { 1, 1, 33, 7, 65 },       { 0, 1, 5, 1000, 3 },
        { 1, 0, 97, 19, 301 },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const int *q = shapes[i];
        EXPECT(sgemm_agrees(q[0], q[1], q[2], q[3], q[4], 1000 + i), "shape %zu", i);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    if (blas_core_prepare_environment())   /* as sweep's main does */
        execv("/proc/self/exe", argv);
    RUN_TEST(test_openblas_is_the_openmp_build);
    RUN_TEST(test_loaded_library_comes_from_openblas_openmp);
    RUN_TEST(test_generic_core_on_a_vector_cpu_is_replaced_by_the_best_set);
    RUN_TEST(test_vector_cores_and_old_cpus_are_kept);
    RUN_TEST(test_the_users_coretype_is_never_overridden_and_no_second_restart);
    RUN_TEST(test_running_core_is_not_generic_on_a_cpu_with_avx2);
    RUN_TEST(test_sgemm_agrees_with_double_reference_on_layer_shapes);
    return testing_finish("test_blas");
}
