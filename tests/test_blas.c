/* test_blas: the BLAS that is linked and loaded is OpenBLAS's OpenMP build
 * (Debian's libopenblas-openmp-dev), so GEMM threads and the layers' own
 * OpenMP loops share one thread pool instead of oversubscribing the cores.
 * Debian's alternatives system could swap in the pthreads build or the
 * reference BLAS under the same names; this catches that. */
#include <cblas.h>
#include <stdio.h>
#include <string.h>

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

int main(void)
{
    RUN_TEST(test_openblas_is_the_openmp_build);
    RUN_TEST(test_loaded_library_comes_from_openblas_openmp);
    return testing_finish("test_blas");
}
