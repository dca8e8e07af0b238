/* signals: SIGINT, SIGTERM and SIGUSR1 (what Slurm sends before a time
 * limit, with --signal) ask the sweep to stop: training stops at the next
 * step boundary, every trial keeps its last epoch's checkpoint, and the job
 * exits with EXIT_INTERRUPTED, meaning "interrupted, run the same command
 * again to resume". A second SIGINT ends the process at once. The flag set
 * here is the one piece of global state outside MPI: a signal handler can
 * reach nothing else. */
#ifndef SWEEP_SIGNALS_H
#define SWEEP_SIGNALS_H

#define EXIT_INTERRUPTED 75   /* EX_TEMPFAIL: try again, it will resume */

void signals_install(void);

/* The signal number that asked to stop, or 0. */
int signals_stop_requested(void);

#endif
