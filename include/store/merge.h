/* merge: `sweep merge OUT.h5 IN.h5...` joins results files of one sweep --
 * the shards of a job array (`sweep --shard I/N`), or runs that wrote to
 * different files -- into OUT.h5 with the rerun's exactly-once rules: one
 * record per trial (resolved-settings hash), the one that got furthest
 * (results_merge). OUT.h5 may already exist (merging again is harmless);
 * it is locked while written and published by write-then-rename, so an
 * error leaves it as it was. Files of different sweeps (configuration
 * hashes) are refused unless force. Each done trial's weights file is
 * copied beside OUT.h5 (OUT.weights/STARTED/), so OUT stands alone. */
#ifndef SWEEP_MERGE_H
#define SWEEP_MERGE_H

/* Returns 0, EXIT_USAGE, or EXIT_IO with one line "PATH: fault" on
 * stderr; prints OUT's counts line on success. */
int merge_command(const char *out_path, char *const *inputs, int n_inputs, int force);

#endif
