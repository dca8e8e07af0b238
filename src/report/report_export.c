/* report_export: CSV and JSON from /summary's own compound type. */
#include "report/report_export.h"

#include <hdf5.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/repeats.h"
#include "report/report.h"
#include "store/results_schema.h"
#include "core/util.h"

void export_csv_field(const char *text, FILE *out)
{
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

void export_json_string(const char *text, FILE *out)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void export_double_text(double v, char *buf, size_t size)
{
    /* the shortest text that reads back as the same double: 0.3, not
     * 0.29999999999999999 */
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, size, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
}

/* One member of /summary's compound: its name, where it is in a
 * summary_row, and how to print it. */
typedef struct {
    char name[64];
    size_t offset, size;
    H5T_class_t kind;
    int is_signed;
    size_t string_size;
} column;

/* The columns of schema_summary_type(), in its order; NULL on an HDF5 fault. */
static column *summary_columns(int *n)
{
    hid_t type = schema_summary_type();
    int count = type < 0 ? -1 : H5Tget_nmembers(type);
    if (count < 0) {
        if (type >= 0)
            H5Tclose(type);
        return NULL;
    }
    column *c = xcalloc((size_t)count + 1, sizeof *c);
    for (int i = 0; i < count; i++) {
        char *name = H5Tget_member_name(type, (unsigned)i);
        hid_t member = H5Tget_member_type(type, (unsigned)i);
        snprintf(c[i].name, sizeof c[i].name, "%s", name ? name : "?");
        H5free_memory(name);
        c[i].offset = H5Tget_member_offset(type, (unsigned)i);
        c[i].kind = H5Tget_class(member);
        c[i].size = H5Tget_size(member);
        c[i].is_signed = c[i].kind == H5T_INTEGER && H5Tget_sign(member) == H5T_SGN_2;
        H5Tclose(member);
    }
    H5Tclose(type);
    *n = count;
    return c;
}

/* A field's value as text; *is_text for strings and enum names, *is_null
 * for NaN (an unfinished trial's figures). */
static void field_text(const column *c, const summary_row *row, char *buf, size_t size,
                       int *is_text, int *is_null)
{
    const char *at = (const char *)row + c->offset;
    *is_text = 0;
    *is_null = 0;
    switch (c->kind) {
    case H5T_STRING:
        snprintf(buf, size, "%.*s", (int)c->size, at);
        *is_text = 1;
        return;
    case H5T_ENUM:
        snprintf(buf, size, "%s", trial_status_names[*(const int8_t *)at]);
        *is_text = 1;
        return;
    case H5T_FLOAT: {
        double v = *(const double *)at;
        *is_null = !isfinite(v);
        export_double_text(v, buf, size);
        return;
    }
    default:
        if (c->is_signed)
            snprintf(buf, size, "%" PRId64, c->size == 1 ? (int64_t)*(const int8_t *)at
                                            : c->size == 4 ? (int64_t)*(const int32_t *)at
                                                           : *(const int64_t *)at);
        else
            snprintf(buf, size, "%" PRIu64, c->size == 1 ? (uint64_t)*(const uint8_t *)at
                                            : c->size == 4 ? (uint64_t)*(const uint32_t *)at
                                                           : *(const uint64_t *)at);
    }
}

static void csv_row(const column *c, int n, const summary_row *row, int best, FILE *out)
{
    char text[SCHEMA_ARCH_MAX + 64];
    int is_text, is_null;
    for (int i = 0; i < n; i++) {
        field_text(&c[i], row, text, sizeof text, &is_text, &is_null);
        if (!is_null)
            export_csv_field(text, out);
        fputc(',', out);
    }
    fprintf(out, "%d\r\n", best);
}

static void json_row(const column *c, int n, const summary_row *row, int best, FILE *out)
{
    char text[SCHEMA_ARCH_MAX + 64];
    int is_text, is_null;
    fputs("    {", out);
    for (int i = 0; i < n; i++) {
        field_text(&c[i], row, text, sizeof text, &is_text, &is_null);
        export_json_string(c[i].name, out);
        fputs(": ", out);
        if (is_null)
            fputs("null", out);
        else if (is_text)
            export_json_string(text, out);
        else
            fputs(text, out);
        fputs(", ", out);
    }
    fprintf(out, "\"best\": %s}", best ? "true" : "false");
}

static void json_head(const sweep_results *r, const char *path, FILE *out)
{
    int count[TRIAL_STATUS_COUNT] = { 0 };
    for (int i = 0; i < r->n_records; i++)
        count[r->records[i].status]++;
    fputs("{\n  \"file\": ", out);
    export_json_string(path, out);
    fputs(",\n  \"sweep\": {\"config_path\": ", out);
    export_json_string(r->config_path, out);
    fprintf(out, ", \"config_hash\": \"%016" PRIx64 "\", \"version\": ", r->config_hash);
    export_json_string(r->version, out);
    fprintf(out, ", \"format_version\": %d, \"started\": \"%s\", \"updated\": \"%s\", \"trials\": %d",
            r->format_version, r->started, r->updated, r->n_records);
    for (int s = 0; s < TRIAL_STATUS_COUNT; s++)
        fprintf(out, ", \"%s\": %d", trial_status_names[s], count[s]);
    fputs("},\n  \"trials\": [\n", out);
}

int report_export(const sweep_results *r, const char *path, export_format format, FILE *out)
{
    int n;
    column *c = summary_columns(&n);
    if (!c)
        return -1;
    const trial_record **order = report_order(r);
    summary_row *row = xcalloc(1, sizeof *row);
    if (format == EXPORT_CSV) {
        for (int i = 0; i < n; i++) {
            export_csv_field(c[i].name, out);
            fputc(',', out);
        }
        fputs("best\r\n", out);
    } else {
        json_head(r, path, out);
    }
    for (int i = 0; i < r->n_records; i++) {
        int best = i == 0 && order[i]->status == TRIAL_DONE;
        schema_summary_from_record(row, order[i]);
        if (format == EXPORT_CSV)
            csv_row(c, n, row, best, out);
        else {
            json_row(c, n, row, best, out);
            fputs(i + 1 < r->n_records ? ",\n" : "\n", out);
        }
    }
    if (format == EXPORT_JSON)
        fputs("  ]\n}\n", out);
    free(row);
    free(order);
    free(c);
    fflush(out);
    return 0;
}

/* ---- the configurations (repeats.h) ---------------------------------------- */

/* A configuration's columns after its name, as (name, value) pairs: n,
 * each figure's mean and sd, Welch's t, df and p; the verdict last. */
typedef struct {
    char name[48];
    double value;
    int whole;                   /* a count, printed as an integer */
} configuration_column;

#define CONFIGURATION_COLUMNS_MAX (1 + 2 * REPEAT_N_FIGURES + 3)

static int configuration_columns(const repeat_configuration *c, configuration_column *col)
{
    memset(col, 0, sizeof *col * CONFIGURATION_COLUMNS_MAX);
    int n = 0;
    snprintf(col[n].name, sizeof col[n].name, "n");
    col[n].value = c->n_done;
    col[n++].whole = 1;
    for (int f = 0; f < REPEAT_N_FIGURES; f++) {
        snprintf(col[n].name, sizeof col[n].name, "%s_mean", repeat_figure_names[f]);
        col[n++].value = c->figures[f].mean;
        snprintf(col[n].name, sizeof col[n].name, "%s_sd", repeat_figure_names[f]);
        col[n++].value = c->figures[f].sd;
    }
    const char *const welch[3] = { "t", "df", "p_value" };
    const double values[3] = { c->vs_best.t, c->vs_best.df, c->vs_best.p };
    for (int k = 0; k < 3; k++) {
        snprintf(col[n].name, sizeof col[n].name, "%s", welch[k]);
        col[n++].value = values[k];
    }
    return n;
}

/* A column's value as text; "" for NaN (an infinite t is a number to
 * neither format: it is "" too, its p says 0). */
static const char *column_text(const configuration_column *col, char *buf, size_t size)
{
    if (!isfinite(col->value))
        return "";
    if (col->whole)
        snprintf(buf, size, "%.0f", col->value);
    else
        export_double_text(col->value, buf, size);
    return buf;
}

void report_export_configurations(const sweep_results *r, export_format format, FILE *out)
{
    repeat_table t;
    repeats_group(r, &t);
    configuration_column col[CONFIGURATION_COLUMNS_MAX];
    char text[64];
    if (format == EXPORT_CSV) {
        repeat_configuration none;
        memset(&none, 0, sizeof none);
        int n = configuration_columns(&none, col);
        fputs("configuration,", out);
        for (int k = 0; k < n; k++)
            fprintf(out, "%s,", col[k].name);
        fputs("vs_best\r\n", out);
    } else {
        fputs("[\n", out);
    }
    for (int i = 0; i < t.n_configurations; i++) {
        const repeat_configuration *c = &t.configurations[i];
        int n = configuration_columns(c, col);
        const char *verdict = c->verdict == VERDICT_UNTESTED ? NULL : repeat_verdict_names[c->verdict];
        if (format == EXPORT_CSV) {
            export_csv_field(c->name, out);
            for (int k = 0; k < n; k++) {
                fputc(',', out);
                fputs(column_text(&col[k], text, sizeof text), out);
            }
            fprintf(out, ",%s\r\n", verdict ? verdict : "");
            continue;
        }
        fputs("  {\"configuration\": ", out);
        export_json_string(c->name, out);
        for (int k = 0; k < n; k++) {
            const char *value = column_text(&col[k], text, sizeof text);
            fprintf(out, ", \"%s\": %s", col[k].name, *value ? value : "null");
        }
        fputs(", \"vs_best\": ", out);
        if (verdict)
            export_json_string(verdict, out);
        else
            fputs("null", out);
        fputs(i + 1 < t.n_configurations ? "},\n" : "}\n", out);
    }
    if (format == EXPORT_JSON)
        fputs("]\n", out);
    repeats_free(&t);
    fflush(out);
}
