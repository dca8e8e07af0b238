/* report: the results as a table people read -- `sweep report RESULTS.h5`,
 * and the table a sweep prints when it ends. Done trials come first,
 * sorted by test accuracy with the best marked; running, interrupted,
 * pruned, pending and failed trials follow, shown as such; trials kept
 * from an earlier configuration are marked "not in grid". A sha or asha
 * sweep's table has a `rung` column before the status: the rung each
 * trial was last sent to. A sweep with repeats gets a second table, one
 * row per configuration (repeats.h). Reads results.h only. */
#ifndef SWEEP_REPORT_H
#define SWEEP_REPORT_H

#include <stdio.h>

#include "store/results.h"

void report_table(const sweep_results *r, FILE *out);

/* Whether r's search trains in rungs (sha, asha): its views show each
 * trial's rung. */
int report_shows_rungs(const sweep_results *r);

/* The records in the table's order (done by test accuracy, best first;
 * then running, interrupted, pruned by rung (the furthest first),
 * pending, failed), as a malloc'd array of r->n_records pointers for the
 * caller to free: the one order every view of the results (table, CSV,
 * JSON, plots) shares. */
const trial_record **report_order(const sweep_results *r);

/* "PATH: N trials: N done, N running, ...; started T, updated T" */
void report_counts(const sweep_results *r, const char *path, FILE *out);

/* The configurations table (repeats.h), after a blank line:
 *   configurations (mean ± sd over repeats; ...)
 *   configuration  n  test_accuracy  test_loss  f1  vs_best
 * then a row per configuration, best first: its name, its done repeats,
 * "MEAN ± SD" of three figures ("-" for none, "MEAN ± -" for one), and
 * vs_best: `best`, `~best p=P` (not distinguishable: Welch's p >= 0.05),
 * `p=P`, or `-` (no test: fewer than two done repeats on a side). */
void report_configurations_table(const sweep_results *r, FILE *out);

/* How `sweep report` writes: the table people read, or CSV or JSON for
 * other tools (report_export.h). */
typedef enum { REPORT_TABLE, REPORT_CSV, REPORT_JSON } report_style;

/* `sweep report [--csv | --json] [--configurations] PATH`: a line about
 * the sweep, then the table, then the configurations table if the sweep
 * has repeats; or the CSV or JSON rows alone. With configurations, the
 * configurations table takes the place of the trials' table, rows or
 * array. Returns 0, or EXIT_IO with one line "PATH: fault" on stderr. */
int report_command(const char *path, report_style style, int configurations);

/* `sweep report`'s arguments (after "report"), options before or after
 * the file; then report_command. A bad command line: EXIT_USAGE, one line. */
int report_main(int argc, char **argv);

#endif
