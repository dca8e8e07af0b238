/* group: the ranks that train one trial together, data-parallel. Every rank
 * of a group holds the same model and takes a contiguous share of each
 * global mini-batch; the group sums batch-norm statistics (so normalisation
 * sees the whole global batch) and, once per step, the whole gradient
 * buffer. A NULL group is one process training alone: every function is
 * then a no-op, and the trainer runs exactly the single-process path.
 * Created by whoever splits MPI_COMM_WORLD (the scheduler); used by train.c. */
#ifndef SWEEP_GROUP_H
#define SWEEP_GROUP_H

#include <mpi.h>
#include <stddef.h>

typedef struct {
    MPI_Comm comm;      /* the group's ranks; owned by the creator */
    int rank, size;     /* rank 0 is the group's leader */
} trial_group;

/* Fills rank and size from comm. */
void group_init(trial_group *g, MPI_Comm comm);

/* This rank's rows [*first, *first + *count) of a global batch of `rows`:
 * balanced, the first rows % size ranks get one more. A rank may get none
 * when rows < size (the last short batch of an epoch); it still takes part
 * in every collective of the step. */
void group_share(const trial_group *g, int rows, int *first, int *count);

/* In-place sums across the group. group_sum_doubles has the signature of
 * batchnorm.h's group_reducer, with the trial_group as ctx. */
void group_sum_doubles(double *values, int count, void *ctx);
void group_sum_floats(const trial_group *g, float *values, size_t count);

/* Whether any rank of the group passes a non-zero flag: the group agrees
 * on stopping at the same step. */
int group_any(const trial_group *g, int flag);

/* Copies bytes from the leader to every rank of the group. */
void group_broadcast(const trial_group *g, void *buffer, size_t bytes);

#endif
