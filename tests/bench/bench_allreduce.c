/* bench_allreduce: what the per-step gradient allreduce of a data-parallel
 * group costs here -- one MPI_Allreduce (MPI_SUM, float) over a buffer the
 * size of each report model's parameters. Run under mpirun with the group
 * size as -np; prints bytes and milliseconds per call (median of 20). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* Parameter counts of the report's models (test_net checks s1e1's). */
    const struct { const char *model; long params; } models[] = {
        { "s1e6", 3553930 }, { "s1e10", 6899338 }, { "s2e1", 2080042 },
    };
    if (rank == 0)
        printf("%-6s %10s %12s %8s\n", "model", "ranks", "bytes", "ms");
    for (int m = 0; m < 3; m++) {
        float *buffer = calloc((size_t)models[m].params, sizeof(float));
        double ms[20];
        for (int i = 0; i < 22; i++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, buffer, (int)models[m].params, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            if (i >= 2) /* the first calls set up shared-memory segments */
                ms[i - 2] = 1e3 * (MPI_Wtime() - t);
        }
        qsort(ms, 20, sizeof ms[0], by_value);
        if (rank == 0)
            printf("%-6s %10d %12ld %8.2f\n", models[m].model, size, 4 * models[m].params, ms[10]);
        free(buffer);
    }
    MPI_Finalize();
    return 0;
}
