/* group: collectives inside one trial's data-parallel group. MPI errors
 * abort the job (MPI_ERRORS_ARE_FATAL, the default), which is what a lost
 * rank must do: Open MPI then ends every process of the job. */
#include "train/group.h"

#include <limits.h>

#include "core/util.h"

void group_init(trial_group *g, MPI_Comm comm)
{
    g->comm = comm;
    MPI_Comm_rank(comm, &g->rank);
    MPI_Comm_size(comm, &g->size);
}

void group_share(const trial_group *g, int rows, int *first, int *count)
{
    if (!g) {
        *first = 0;
        *count = rows;
        return;
    }
    const int base = rows / g->size, extra = rows % g->size;
    *count = base + (g->rank < extra);
    *first = g->rank * base + (g->rank < extra ? g->rank : extra);
}

void group_sum_doubles(double *values, int count, void *ctx)
{
    const trial_group *g = ctx;
    if (g && g->size > 1)
        MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, g->comm);
}

void group_sum_floats(const trial_group *g, float *values, size_t count)
{
    if (!g || g->size == 1)
        return;
    CHECK(count <= INT_MAX, "%zu floats in one allreduce", count);
    MPI_Allreduce(MPI_IN_PLACE, values, (int)count, MPI_FLOAT, MPI_SUM, g->comm);
}

int group_any(const trial_group *g, int flag)
{
    if (!g || g->size == 1)
        return flag != 0;
    int any = flag != 0;
    MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, g->comm);
    return any;
}

void group_broadcast(const trial_group *g, void *buffer, size_t bytes)
{
    if (!g || g->size == 1)
        return;
    CHECK(bytes <= INT_MAX, "%zu bytes in one broadcast", bytes);
    MPI_Bcast(buffer, (int)bytes, MPI_BYTE, 0, g->comm);
}
