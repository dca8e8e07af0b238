/* report_export: the results table for other tools -- `sweep report
 * --csv` (RFC 4180) and `sweep report --json` -- one row per trial in the
 * text table's order (report_order), with every column of /summary under
 * its /summary name, taken from the same compound type the results file
 * is written with (results_schema.h), so the three cannot drift apart;
 * plus `best`. With --configurations, the configurations table of a
 * sweep with repeats (repeats.h) instead. Called by report.c. */
#ifndef SWEEP_REPORT_EXPORT_H
#define SWEEP_REPORT_EXPORT_H

#include <stdio.h>

#include "store/results.h"

typedef enum { EXPORT_CSV, EXPORT_JSON } export_format;

/* Writes r (read from path) to out. Returns 0, or -1 if the schema
 * cannot be built (an HDF5 fault). */
int report_export(const sweep_results *r, const char *path, export_format format, FILE *out);

/* `sweep report --configurations --csv | --json`: one row (CSV) or
 * object (a JSON array) per configuration in repeats.h's order, best
 * first, with the columns
 *   configuration, n, test_accuracy_mean, test_accuracy_sd, test_loss_mean,
 *   test_loss_sd, precision_*, recall_*, f1_*, rmse_*, val_accuracy_*,
 *   t, df, p_value, vs_best
 * n: done repeats; t, df, p_value: Welch's test of its test accuracies
 * against the best's; vs_best: "best", "~best" (p >= 0.05), "worse", or
 * (no test) an empty field / null. NaN (no figure, no test) is an empty
 * field or null; numbers as in report_export. */
void report_export_configurations(const sweep_results *r, export_format format, FILE *out);

/* The shortest text (15 to 17 significant digits) that reads back as v. */
void export_double_text(double v, char *buf, size_t size);

/* A CSV field: as is, or quoted with inner quotes doubled when it holds a
 * comma, a quote, or a line break. */
void export_csv_field(const char *text, FILE *out);

/* A JSON string, quoted, with ", \ and control characters escaped;
 * UTF-8 passes through. */
void export_json_string(const char *text, FILE *out);

#endif
