/* checkpoint: where a trainer stands, in one HDF5 file -- weights, moving
 * statistics, Adam's moments and step, the epoch counters, the best
 * weights and the history -- so a trial stopped at an epoch boundary
 * continues exactly as if it had never stopped (train.c keys every random
 * draw by seed and epoch, so nothing else is needed). The file is written
 * under PATH.tmp, synced and renamed over PATH: the file at PATH is always
 * a whole checkpoint, old or new, whenever the writer is killed. Written
 * by a group's leader; read by every rank of the group that resumes. */
#ifndef SWEEP_CHECKPOINT_H
#define SWEEP_CHECKPOINT_H

#include "train/train.h"

int checkpoint_write(const trainer *tr, const char *path, char *err, int err_size);

/* Restores tr, built from the same settings and data. Returns 0, or -1
 * with err set to one line "PATH: fault" (missing, not HDF5, written for
 * another trial's settings, sizes that do not match); tr is then
 * unchanged. */
int checkpoint_read(trainer *tr, const char *path, char *err, int err_size);

#endif
