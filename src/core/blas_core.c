/* blas_core: the OpenBLAS kernel set check (see blas_core.h). */
#include "core/blas_core.h"

#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *openblas_get_corename(void);

/* OpenBLAS's core names (openblas_get_corename) whose kernels use AVX2 or
 * AVX-512. Every other x86 core is a generic SSE-era set. */
static const char *const vector_cores[] = {
    "Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids", "Excavator",
};

blas_cpu blas_cpu_read(void)
{
    blas_cpu cpu = { 0 };
    unsigned eax, ebx, ecx, edx;
    if (__get_cpuid(0, &eax, &ebx, &ecx, &edx))
        cpu.amd = ebx == 0x68747541u;   /* "Auth" of AuthenticAMD */
    __builtin_cpu_init();
    cpu.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    cpu.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    return cpu;
}

const char *blas_core_best(blas_cpu cpu)
{
    if (cpu.avx512)
        return "SkylakeX";
    if (cpu.avx2_fma)
        return cpu.amd ? "Zen" : "Haswell";
    return NULL;
}

static int is_vector_core(const char *core)
{
    for (size_t i = 0; i < sizeof vector_cores / sizeof vector_cores[0]; i++)
        if (strcasecmp(core, vector_cores[i]) == 0)
            return 1;
    return 0;
}

const char *blas_core_replacement(const char *core, blas_cpu cpu)
{
    const char *best = blas_core_best(cpu);
    if (!best || is_vector_core(core))
        return NULL;
    return best;
}

const char *blas_core_plan(const char *running_core, const char *user_core, int retried,
                           blas_cpu cpu, char *why, int why_size)
{
    const char *best = blas_core_replacement(running_core, cpu);
    if (retried) {   /* this process is the re-execution: never a second one */
        if (best)
            snprintf(why, why_size, "%s: OpenBLAS did not take OPENBLAS_CORETYPE=%s",
                     running_core, best);
        else
            snprintf(why, why_size, "%s: set by sweep; OpenBLAS had chosen generic kernels "
                     "on a CPU with %s", running_core, cpu.avx512 ? "AVX-512" : "AVX2 and FMA");
        return NULL;
    }
    if (user_core && *user_core) {
        snprintf(why, why_size, "%s: chosen by the user's OPENBLAS_CORETYPE=%s, kept",
                 running_core, user_core);
        return NULL;
    }
    if (!best) {
        snprintf(why, why_size, "%s: OpenBLAS's own choice for this CPU", running_core);
        return NULL;
    }
    snprintf(why, why_size, "%s: OpenBLAS chose its generic kernels on a CPU with %s; "
             "switching to %s", running_core, cpu.avx512 ? "AVX-512" : "AVX2 and FMA", best);
    return best;
}

static char decision[256] = "not checked";

const char *blas_core_why(void) { return decision; }

int blas_core_prepare_environment(void)
{
    const char *core = blas_core_plan(blas_core_running(), getenv("OPENBLAS_CORETYPE"),
                                      getenv(BLAS_CORE_RETRY_ENV) != NULL, blas_cpu_read(),
                                      decision, sizeof decision);
    if (!core)
        return 0;
    setenv("OPENBLAS_CORETYPE", core, 1);
    setenv(BLAS_CORE_RETRY_ENV, core, 1);
    return 1;
}

const char *blas_core_running(void)
{
    return openblas_get_corename();
}
