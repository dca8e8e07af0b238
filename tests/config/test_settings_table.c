/* test_settings_table: the one table of trial settings drives the text a
 * trial travels in, the hash, and the /summary columns, for every setting
 * in it -- a setting added to the table is covered here without a line
 * of this file changing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings_table.h"
#include "store/results_schema.h"
#include "testing.h"

/* A value of the setting's kind unlike its default. */
static const char *other_value(const setting_info *s)
{
    switch (s->kind) {
    case SETTING_PATH: return "/tmp/elsewhere";
    case SETTING_REAL: return "0.0625";
    case SETTING_INT: return "7";
    case SETTING_LIMIT: return "600";
    case SETTING_U64: return "18446744073709551615";
    case SETTING_BOOL: return "1";
    case SETTING_BLOCKS: return "16/16,32";
    case SETTING_UNITS: return "none";
    case SETTING_TEXT: return "[dense]; units = 10";
    }
    return "";
}

static void test_every_setting_round_trips_through_the_trial_text(void)
{
    for (int i = 0; i < n_settings; i++) {
        const setting_info *s = &setting_table[i];
        trial_settings t, back;
        trial_defaults(&t);
        snprintf(t.name, sizeof t.name, "t%d", i);
        snprintf(t.experiment, sizeof t.experiment, "e%d", i);
        EXPECT(setting_parse(s, &t, other_value(s)) == 0, "%s takes %s", s->name, other_value(s));
        trial_rehash(&t);
        char text[TRIAL_TEXT_MAX], err[256], want[TRIAL_PATH_MAX], got[TRIAL_PATH_MAX];
        int n = trial_settings_to_text(&t, text, sizeof text);
        EXPECT(n > 0 && n < (int)sizeof text, "%s: text of %d bytes", s->name, n);
        EXPECT(trial_settings_from_text(&back, text, err, sizeof err) == 0, "%s: %s", s->name, err);
        setting_format(s, &t, want, sizeof want);
        setting_format(s, &back, got, sizeof got);
        EXPECT(strcmp(want, got) == 0, "%s: sent %s, arrived %s", s->name, want, got);
        EXPECT(back.hash == t.hash && strcmp(back.name, t.name) == 0 &&
               strcmp(back.experiment, t.experiment) == 0, "%s: hash, name and experiment kept",
               s->name);
    }
}

static void test_a_hashed_setting_changes_the_hash_and_a_label_does_not(void)
{
    trial_settings base;
    trial_defaults(&base);
    for (int i = 0; i < n_settings; i++) {
        const setting_info *s = &setting_table[i];
        trial_settings t = base;
        EXPECT(setting_parse(s, &t, other_value(s)) == 0, "%s parses", s->name);
        trial_rehash(&t);
        if (s->hashed)
            EXPECT(t.hash != base.hash, "%s changes the hash", s->name);
        else
            EXPECT(t.hash == base.hash, "%s (a label) leaves the hash", s->name);
    }
}

static void test_every_default_is_a_value_of_its_kind_and_formats_back(void)
{
    trial_settings t;
    trial_defaults(&t);
    for (int i = 0; i < n_settings; i++) {
        const setting_info *s = &setting_table[i];
        char text[TRIAL_PATH_MAX];
        setting_format(s, &t, text, sizeof text);
        trial_settings again = t;
        EXPECT(setting_parse(s, &again, text) == 0, "%s: its own text %s parses", s->name, text);
        EXPECT(s->kind != SETTING_REAL || strcmp(text, "nan") == 0 ||
               strtod(text, NULL) == strtod(s->default_text, NULL),
               "%s: default %s prints as %s", s->name, s->default_text, text);
    }
}

static void test_damaged_trial_text_names_the_line(void)
{
    trial_settings t;
    char err[256];
    EXPECT(trial_settings_from_text(&t, "name = a\nno_such_key = 1\n", err, sizeof err) == -1 &&
           strstr(err, "line 2"), "unknown key refused at line 2: %s", err);
    EXPECT(trial_settings_from_text(&t, "epochs = many\n", err, sizeof err) == -1 &&
           strstr(err, "line 1"), "bad value refused at line 1: %s", err);
    EXPECT(trial_settings_from_text(&t, "batch_norm = 2\n", err, sizeof err) == -1,
           "a flag of 2 is refused");
}

/* The summary's compound type has a column of each in_summary setting's
 * name (conv and groups for the blocks), and none of the others. */
static void test_summary_columns_are_the_tables_settings(void)
{
    hid_t type = schema_summary_type();
    EXPECT(type >= 0, "summary type");
    if (type < 0)
        return;
    for (int i = 0; i < n_settings; i++) {
        const setting_info *s = &setting_table[i];
        const char *column = s->kind == SETTING_BLOCKS ? "conv" : s->name;
        int present = H5Tget_member_index(type, column) >= 0;
        EXPECT(present == s->in_summary, "%s: in /summary %d, table says %d", s->name, present,
               s->in_summary);
        if (s->kind == SETTING_BLOCKS)
            EXPECT(H5Tget_member_index(type, "groups") >= 0, "groups column beside conv");
    }
    H5Tclose(type);
}

int main(void)
{
    RUN_TEST(test_every_setting_round_trips_through_the_trial_text);
    RUN_TEST(test_a_hashed_setting_changes_the_hash_and_a_label_does_not);
    RUN_TEST(test_every_default_is_a_value_of_its_kind_and_formats_back);
    RUN_TEST(test_damaged_trial_text_names_the_line);
    RUN_TEST(test_summary_columns_are_the_tables_settings);
    return testing_finish("test_settings_table");
}
