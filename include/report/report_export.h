/* report_export: the results table for other tools -- `sweep report
 * --csv` (RFC 4180) and `sweep report --json` -- one row per trial in the
 * text table's order (report_order), with every column of /summary under
 * its /summary name, taken from the same compound type the results file
 * is written with (results_schema.h), so the three cannot drift apart;
 * plus `best`. Called by report.c. */
#ifndef SWEEP_REPORT_EXPORT_H
#define SWEEP_REPORT_EXPORT_H

#include <stdio.h>

#include "store/results.h"

typedef enum { EXPORT_CSV, EXPORT_JSON } export_format;

/* Writes r (read from path) to out. Returns 0, or -1 if the schema
 * cannot be built (an HDF5 fault). */
int report_export(const sweep_results *r, const char *path, export_format format, FILE *out);

/* A CSV field: as is, or quoted with inner quotes doubled when it holds a
 * comma, a quote, or a line break. */
void export_csv_field(const char *text, FILE *out);

/* A JSON string, quoted, with ", \ and control characters escaped;
 * UTF-8 passes through. */
void export_json_string(const char *text, FILE *out);

#endif
