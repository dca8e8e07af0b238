/* report: the results as a table people read -- `sweep report RESULTS.h5`,
 * and the table a sweep prints when it ends. Done trials come first,
 * sorted by test accuracy with the best marked; running, interrupted,
 * pending and failed trials follow, shown as such; trials kept from an
 * earlier configuration are marked "not in grid". Reads results.h only. */
#ifndef SWEEP_REPORT_H
#define SWEEP_REPORT_H

#include <stdio.h>

#include "results.h"

void report_table(const sweep_results *r, FILE *out);

/* "PATH: N trials: N done, N running, ...; started T, updated T" */
void report_counts(const sweep_results *r, const char *path, FILE *out);

/* `sweep report PATH`: a line about the sweep, then the table. Returns 0,
 * or EXIT_IO with one line "PATH: fault" on stderr. */
int report_command(const char *path);

#endif
