/* report: the results as a table people read -- `sweep report RESULTS.h5`,
 * and the table a sweep prints when it ends. Done trials come first,
 * sorted by test accuracy with the best marked; running, interrupted,
 * pending and failed trials follow, shown as such; trials kept from an
 * earlier configuration are marked "not in grid". Reads results.h only. */
#ifndef SWEEP_REPORT_H
#define SWEEP_REPORT_H

#include <stdio.h>

#include "store/results.h"

void report_table(const sweep_results *r, FILE *out);

/* The records in the table's order (done by test accuracy, best first;
 * then running, interrupted, pending, failed), as a malloc'd array of
 * r->n_records pointers for the caller to free: the one order every view
 * of the results (table, CSV, JSON, plots) shares. */
const trial_record **report_order(const sweep_results *r);

/* "PATH: N trials: N done, N running, ...; started T, updated T" */
void report_counts(const sweep_results *r, const char *path, FILE *out);

/* How `sweep report` writes: the table people read, or CSV or JSON for
 * other tools (report_export.h). */
typedef enum { REPORT_TABLE, REPORT_CSV, REPORT_JSON } report_style;

/* `sweep report [--csv | --json] PATH`: a line about the sweep, then the
 * table; or the CSV or JSON alone. Returns 0, or EXIT_IO with one line
 * "PATH: fault" on stderr. */
int report_command(const char *path, report_style style);

#endif
