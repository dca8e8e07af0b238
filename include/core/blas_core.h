/* blas_core: makes sure OpenBLAS runs the kernel set the CPU deserves.
 * A DYNAMIC_ARCH OpenBLAS picks its kernels ("core") from cpuid at load
 * time, and a CPU newer than the library's release is often not
 * recognised: Debian 12's 0.3.21 runs its SSE3 Prescott kernels on Intel
 * family 6 model 207, a sixth of the speed of its SkylakeX ones there.
 * At start-up, before MPI_Init, main asks blas_core_plan whether the
 * running core is below what the CPU supports; if so it sets
 * OPENBLAS_CORETYPE to the best set that is correct on this CPU and
 * re-executes itself once. A user's own OPENBLAS_CORETYPE is never
 * overridden. Under mpirun every rank decides for itself (nodes differ). */
#ifndef SWEEP_BLAS_CORE_H
#define SWEEP_BLAS_CORE_H

/* What the CPU can run, from cpuid (blas_cpu_read) or a test's table. */
typedef struct {
    int amd;        /* vendor AuthenticAMD (Zen kernels are tuned for it) */
    int avx2_fma;   /* AVX2 and FMA3 */
    int avx512;     /* AVX-512 F, BW, VL and DQ: what SkylakeX kernels use */
} blas_cpu;

blas_cpu blas_cpu_read(void);

/* The kernel set for a CPU: "SkylakeX", "Zen", "Haswell", or NULL when the
 * CPU has no AVX2 (then OpenBLAS's own choice is as good as any). */
const char *blas_core_best(blas_cpu cpu);

/* Whether the running core `core` (openblas_get_corename()) falls short of
 * this CPU: a core whose kernels use neither AVX2 nor AVX-512 on a CPU
 * that has AVX2. Returns the core to switch to, or NULL to keep it. */
const char *blas_core_replacement(const char *core, blas_cpu cpu);

/* The decision at start-up, from the environment and the running core.
 * Returns the core to set (then the caller sets OPENBLAS_CORETYPE and
 * re-executes), or NULL; `why` always gets one line for --verbose, which
 * starts with the running core's name. `user_core` is OPENBLAS_CORETYPE
 * as found (NULL if unset); `retried` says this process is the
 * re-execution, which never re-executes again. */
const char *blas_core_plan(const char *running_core, const char *user_core, int retried,
                           blas_cpu cpu, char *why, int why_size);

/* The running core's name (openblas_get_corename()). */
const char *blas_core_running(void);

/* Set across sweep's own re-execution: it marks the second process. */
#define BLAS_CORE_RETRY_ENV "SWEEP_BLAS_CORE_SET"

/* blas_core_plan on this process: remembers its line (blas_core_why) and,
 * where a switch is due, sets OPENBLAS_CORETYPE and BLAS_CORE_RETRY_ENV.
 * Returns 1 when the caller must re-execute for it to take effect. */
int blas_core_prepare_environment(void);

/* The start-up decision's line, for --verbose. */
const char *blas_core_why(void);

#endif
