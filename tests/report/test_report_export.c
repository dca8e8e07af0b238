/* test_report_export: `sweep report`'s three views of one sweep in memory
 * with a trial in every state (records_fixture.h) -- the text table and
 * the CSV and JSON rows share one order, one best mark, each state shown
 * as such, unfinished figures as "-", an empty field and null; the CSV
 * columns are /summary's, by name, in order; quoting and escaping; a
 * successive-halving sweep's rung column and pruned trials.
 * (tests/test_report_formats.sh parses real files' output with Python.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records_fixture.h"
#include "report/report.h"
#include "report/report_export.h"
#include "testing.h"

/* What writer wrote to a memory stream, NUL-terminated; free it. */
static char *captured(void (*writer)(const sweep_results *, FILE *), const sweep_results *r)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    writer(r, f);
    fclose(f);
    return text;
}

static void write_table(const sweep_results *r, FILE *f) { report_table(r, f); }
static void write_csv(const sweep_results *r, FILE *f) { report_export(r, "pg.h5", EXPORT_CSV, f); }
static void write_json(const sweep_results *r, FILE *f) { report_export(r, "pg.h5", EXPORT_JSON, f); }

/* Line i (0-based) of text into buf. */
static int line_of(const char *text, int i, char *buf, size_t size)
{
    for (; i > 0 && text; i--) {
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    if (!text || !*text)
        return -1;
    size_t n = strcspn(text, "\r\n");
    snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), text);
    return 0;
}

/* records_fixture_make, its failure a failed expectation. */
static sweep_config *fixture(sweep_results *r)
{
    char err[512];
    sweep_config *c = records_fixture_make(r, err, sizeof err);
    EXPECT(c, "%s", err);
    return c;
}

static void test_table_csv_and_json_share_order_marks_and_states(void)
{
    char line[4096];
    sweep_results r;
    sweep_config *c = fixture(&r);
    if (!c)
        return;
    char *table = captured(write_table, &r), *csv = captured(write_csv, &r), *json = captured(write_json, &r);
    EXPECT(line_of(csv, 0, line, sizeof line) == 0 &&
           strncmp(line, "name,hash,status,in_grid,experiment,", 36) == 0 &&
           strstr(line, ",conv,groups,dense,batch_norm,dropout,l2,") &&
           strstr(line, ",test_accuracy,test_loss,precision,recall,f1,rmse,") &&
           strcmp(line + strlen(line) - 5, ",best") == 0, "CSV header: %s", line);
    int bests = 0;
    const char *json_at = json;
    for (int i = 0; i < 7; i++) {
        const char *name = records_fixture_order[i], *state = records_fixture_state[i];
        int best = strcmp(state, "best") == 0;
        /* the table: name first, the state (or best) last */
        EXPECT(line_of(table, i + 1, line, sizeof line) == 0 && strncmp(line, name, strlen(name)) == 0 &&
               line[strlen(name)] == ' ' && strcmp(line + strlen(line) - strlen(state), state) == 0,
               "table row %d: %s", i, line);
        if (i >= 3)
            EXPECT(strstr(line, " - "), "an unfinished row shows its figures as -: %s", line);
        /* CSV: name, hash, status (best is a column of its own) */
        EXPECT(line_of(csv, i + 1, line, sizeof line) == 0, "CSV row %d missing", i);
        EXPECT(strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == ',' &&
               strstr(line, best ? ",done,1," : state) != NULL, "CSV row %d: %s", i, line);
        EXPECT(line[strlen(line) - 1] == (best ? '1' : '0'), "CSV row %d's best: %s", i, line);
        if (i >= 3)
            EXPECT(strstr(line, ",,,,,,,") != NULL, "CSV row %d: NaN figures not empty: %s", i, line);
        bests += line[strlen(line) - 1] == '1';
        /* JSON: the rows in the same order */
        char key[160];
        snprintf(key, sizeof key, "{\"name\": \"%s\"", name);
        const char *found = strstr(json_at, key);
        EXPECT(found != NULL, "JSON row %d (%s) missing or out of order", i, name);
        if (found) {
            const char *end = strchr(found, '}');
            EXPECT(end && (best ? strstr(found, "\"best\": true}") == end - 12
                                : strstr(found, "\"best\": false}") == end - 13),
                   "JSON row %d's best", i);
            if (i >= 3)
                EXPECT(strstr(found, "\"test_accuracy\": null") && strstr(found, "\"test_accuracy\": null") < end,
                       "JSON row %d: NaN is not null", i);
            json_at = found + 1;
        }
    }
    EXPECT(bests == 1, "%d best rows in the CSV", bests);
    EXPECT(strstr(json, "\"done\": 3, \"failed\": 1, \"interrupted\": 1") != NULL, "JSON counts");
    free(table);
    free(csv);
    free(json);
    results_free(&r);
    config_free(c);
}

static void test_csv_quoting_and_json_escaping(void)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    export_csv_field("plain", f);
    fputc('|', f);
    export_csv_field("128,256", f);
    fputc('|', f);
    export_csv_field("say \"hi\"", f);
    fputc('|', f);
    export_json_string("a\"b\\c\nd\x01 \xc3\xa9", f);
    fclose(f);
    EXPECT(strcmp(text, "plain|\"128,256\"|\"say \"\"hi\"\"\"|\"a\\\"b\\\\c\\nd\\u0001 \xc3\xa9\"") == 0,
           "got %s", text);
    free(text);
}

/* Successive halving: pruned trials after the interrupted ones, the
 * furthest rung first; a rung column before the status; the count line
 * says how many were pruned. */
static void test_halving_table_shows_rungs_and_pruned_trials(void)
{
    char line[4096];
    sweep_results r;
    sweep_config *c = fixture(&r);
    if (!c)
        return;
    r.search.method = SEARCH_SHA;
    results_trial_rung(&r.records[0], 1);          /* pg_dropout-0: rung 1, stopped there */
    results_trial_pruned(&r.records[0], 2);
    results_trial_pruned(&r.records[6], 1);        /* pg_dropout-0.6: rung 0 */
    results_trial_rung(&r.records[1], 2);          /* the best went on to rung 2 */
    char *table = captured(write_table, &r);
    EXPECT(line_of(table, 0, line, sizeof line) == 0 && strstr(line, " seconds rung  status"), "header: %s", line);
    const char *order[] = { "pg_dropout-0.1", "pg_dropout-0.2", "pg_dropout-0.3", "pg_dropout-0.4",
                            "pg_dropout-0", "pg_dropout-0.6", "pg_dropout-0.5" };
    const char *ends[] = { "2  best", "0  done", "0  running", "0  interrupted", "1  pruned", "0  pruned", "0  failed" };
    for (int i = 0; i < 7; i++)
        EXPECT(line_of(table, i + 1, line, sizeof line) == 0 && strncmp(line, order[i], strlen(order[i])) == 0 &&
               line[strlen(order[i])] == ' ' && strcmp(line + strlen(line) - strlen(ends[i]), ends[i]) == 0,
               "row %d: %s (want %s ... %s)", i, line, order[i], ends[i]);
    free(table);
    char *counts = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&counts, &size);
    report_counts(&r, "pg.h5", f);
    fclose(f);
    EXPECT(strstr(counts, "2 done, 1 running, 1 interrupted, 2 pruned, 0 pending, 1 failed"), "%s", counts);
    free(counts);
    results_free(&r);
    config_free(c);
}

int main(void)
{
    RUN_TEST(test_table_csv_and_json_share_order_marks_and_states);
    RUN_TEST(test_halving_table_shows_rungs_and_pruned_trials);
    RUN_TEST(test_csv_quoting_and_json_escaping);
    return testing_finish("test_report_export");
}
