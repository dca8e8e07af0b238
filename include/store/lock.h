/* lock: one job per results file. Before rank 0 opens RESULTS.h5 for a
 * sweep it takes RESULTS.h5.lock, a small text file holding the owner's
 * host name, PID and Slurm job and restart count ("host=NAME\npid=N\n
 * slurm_job=ID\nslurm_restart=N\n", ID "-" outside Slurm), created with
 * O_CREAT|O_EXCL
 * so two jobs cannot both take it. A second job finds the lock and
 * refuses with one line naming the file, the owner's host and PID. A lock
 * left by a job that died (SIGKILL, node failure) is stale: on the same
 * host, the PID is no longer alive; anywhere, it names our own
 * SLURM_JOB_ID with a lower SLURM_RESTART_COUNT (a requeued job's earlier
 * allocation, which may have run on another node).
 * Such a lock is taken over with a warning. Any other lock held on another
 * host cannot be checked from here and is respected (the message says how
 * to remove it by hand). */
#ifndef SWEEP_LOCK_H
#define SWEEP_LOCK_H

typedef struct {
    char path[1100];     /* RESULTS.h5.lock */
    int held;
} results_lock;

/* Takes the lock for results_path (the lock file is results_path +
 * ".lock"). Returns 0; or -1 with err set to one line: "PATH: in use by
 * process PID on HOST; another sweep is writing this results file (if that
 * job is gone, remove PATH)", or an I/O fault ("PATH: Not a directory").
 * A stale lock is replaced and a one-line warning naming the dead owner is
 * written to stderr; when several jobs find the same stale lock, exactly
 * one takes it. A lock file with no readable owner is respected for its
 * first 60 seconds (its writer may not have written it yet), then treated
 * as stale. */
int lock_acquire(results_lock *l, const char *results_path, char *err, int err_size);

/* Removes the lock file if this process holds it and the file still names
 * this process (one removed by hand and retaken by another job is left to
 * that job). Safe to call twice, or after a refused lock_acquire. */
void lock_release(results_lock *l);

#endif
