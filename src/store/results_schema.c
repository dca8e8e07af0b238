/* results_schema: the compound and enum types of the results file. */
#include "store/results_schema.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store/h5io.h"

hid_t schema_status_type(int statuses)
{
    hid_t type = H5Tenum_create(H5T_NATIVE_SCHAR);
    /* every value keeps its number: a file written before `pruned` was
     * added reads with the whole type, as HDF5 converts enums by name */
    for (int8_t v = TRIAL_PENDING; type >= 0 && v < statuses; v++)
        if (H5Tenum_insert(type, trial_status_names[v], &v) < 0) {
            H5Tclose(type);
            return -1;
        }
    return type;
}

const char *const schema_search_numbers[SCHEMA_SEARCH_NUMBERS] = {
    "samples", "repeats", "reduction", "min_epochs",
};

int *schema_search_number(search_options *s, int i)
{
    int *numbers[SCHEMA_SEARCH_NUMBERS] = { &s->samples, &s->repeats, &s->reduction,
                                            &s->min_epochs };
    return numbers[i];
}

/* One field of a compound; strings get a fixed-length type of their size. */
typedef struct {
    const char *name;
    size_t offset;
    hid_t type;                  /* a native type, or 0 for a string */
    size_t string_size;
} field;

static hid_t compound_of(size_t size, const field *fields, int n)
{
    hid_t type = H5Tcreate(H5T_COMPOUND, size);
    int ok = type >= 0;
    for (int i = 0; ok && i < n; i++) {
        hid_t member = fields[i].type ? fields[i].type : h5io_string_type(fields[i].string_size);
        ok = member >= 0 && H5Tinsert(type, fields[i].name, fields[i].offset, member) >= 0;
        if (!fields[i].type && member >= 0)
            H5Tclose(member);
    }
    if (!ok && type >= 0) {
        H5Tclose(type);
        return -1;
    }
    return type;
}

#define STR(s, f) { #f, offsetof(s, f), 0, sizeof(((s *)0)->f) }
#define NUM(s, f, t) { #f, offsetof(s, f), t, 0 }

/* Where each setting's first /summary column is in summary_row
 * (SIZE_MAX: not in the summary), in setting_table's order. */
#define SUMMARY_OFFSET(field, kind, hashed, in_summary, def, label) \
    SUMMARY_OFFSET_##in_summary(kind, field),
#define SUMMARY_OFFSET_0(kind, field) SIZE_MAX
#define SUMMARY_OFFSET_1(kind, field) offsetof(summary_row, SUMMARY_FIRST_##kind(field))
#define SUMMARY_FIRST_PATH(field) field
#define SUMMARY_FIRST_REAL(field) field
#define SUMMARY_FIRST_INT(field) field
#define SUMMARY_FIRST_LIMIT(field) field
#define SUMMARY_FIRST_U64(field) field
#define SUMMARY_FIRST_BOOL(field) field
#define SUMMARY_FIRST_UNITS(field) field
#define SUMMARY_FIRST_BLOCKS(field) conv
static const size_t summary_offset[] = { TRIAL_SETTINGS(SUMMARY_OFFSET) };

hid_t schema_setting_type(setting_kind kind)
{
    switch (kind) {
    case SETTING_REAL: return H5T_NATIVE_DOUBLE;
    case SETTING_INT:
    case SETTING_LIMIT:
    case SETTING_BOOL: return H5T_NATIVE_INT;
    case SETTING_U64: return H5T_NATIVE_UINT64;
    default: return 0;
    }
}

/* A setting's /summary columns: its attribute's type, narrowed where
 * the summary always stored them narrower (int32, a uint8 flag). */
static int setting_fields(const setting_info *s, size_t offset, field *out)
{
    switch (s->kind) {
    case SETTING_INT:
    case SETTING_LIMIT: out[0] = (field){ s->name, offset, H5T_NATIVE_INT32, 0 }; return 1;
    case SETTING_BOOL: out[0] = (field){ s->name, offset, H5T_NATIVE_UINT8, 0 }; return 1;
    case SETTING_PATH: out[0] = (field){ s->name, offset, 0, TRIAL_PATH_MAX }; return 1;
    case SETTING_UNITS: out[0] = (field){ s->name, offset, 0, SCHEMA_ARCH_MAX }; return 1;
    case SETTING_BLOCKS:
        out[0] = (field){ "conv", offset, 0, SCHEMA_ARCH_MAX };
        out[1] = (field){ "groups", offset + SCHEMA_ARCH_MAX, 0, SCHEMA_ARCH_MAX };
        return 2;
    default: out[0] = (field){ s->name, offset, schema_setting_type(s->kind), 0 }; return 1;
    }
}

hid_t schema_summary_type(void)
{
    return schema_summary_type_with(TRIAL_STATUS_COUNT);
}

hid_t schema_summary_type_with(int statuses)
{
    hid_t status = schema_status_type(statuses);
    if (status < 0)
        return -1;
    const hid_t I32 = H5T_NATIVE_INT32, F64 = H5T_NATIVE_DOUBLE, U8 = H5T_NATIVE_UINT8;
    field fields[64];
    int n = 0;
    const field head[] = {
        STR(summary_row, name), STR(summary_row, hash), NUM(summary_row, status, status),
        NUM(summary_row, in_grid, U8), STR(summary_row, experiment),
    };
    for (size_t i = 0; i < sizeof head / sizeof *head; i++)
        fields[n++] = head[i];
    for (int i = 0; i < n_settings; i++)
        if (summary_offset[i] != SIZE_MAX)
            n += setting_fields(&setting_table[i], summary_offset[i], fields + n);
    const field tail[] = {
        NUM(summary_row, epochs_run, I32),
        NUM(summary_row, best_epoch, I32), NUM(summary_row, rung, I32),
        NUM(summary_row, val_accuracy, F64),
        NUM(summary_row, test_accuracy, F64), NUM(summary_row, test_loss, F64),
        NUM(summary_row, precision, F64), NUM(summary_row, recall, F64),
        NUM(summary_row, f1, F64), NUM(summary_row, rmse, F64),
        NUM(summary_row, train_seconds, F64), NUM(summary_row, ranks, I32),
        STR(summary_row, host), STR(summary_row, blas_core), STR(summary_row, started), STR(summary_row, finished),
    };
    for (size_t i = 0; i < sizeof tail / sizeof *tail; i++)
        fields[n++] = tail[i];
    hid_t type = compound_of(sizeof(summary_row), fields, n);
    H5Tclose(status);
    return type;
}

hid_t schema_history_type(void)
{
    const hid_t F64 = H5T_NATIVE_DOUBLE;
    const field fields[] = {
        NUM(history_row, epoch, H5T_NATIVE_INT32), NUM(history_row, loss, F64),
        NUM(history_row, accuracy, F64), NUM(history_row, val_loss, F64),
        NUM(history_row, val_accuracy, F64), NUM(history_row, seconds, F64),
    };
    return compound_of(sizeof(history_row), fields, sizeof fields / sizeof *fields);
}

hid_t schema_per_class_type(void)
{
    const hid_t F64 = H5T_NATIVE_DOUBLE;
    const field fields[] = {
        STR(per_class_row, class_name), NUM(per_class_row, precision, F64),
        NUM(per_class_row, recall, F64), NUM(per_class_row, f1, F64),
        NUM(per_class_row, support, H5T_NATIVE_INT64),
    };
    return compound_of(sizeof(per_class_row), fields, sizeof fields / sizeof *fields);
}

hid_t schema_data_file_type(void)
{
    const field fields[] = {
        STR(data_file_row, path), NUM(data_file_row, size, H5T_NATIVE_UINT64),
        NUM(data_file_row, crc32, H5T_NATIVE_UINT32),
    };
    return compound_of(sizeof(data_file_row), fields, sizeof fields / sizeof *fields);
}

#undef STR
#undef NUM

/* conv and groups mirror the configuration keys: a model whose blocks each
 * hold one conv is a `conv` model ("32,64"); one that stacks convs in a
 * block is a `groups` model ("32/32,64/64"). The other field is "". */
static void blocks_columns(char *conv, const trial_settings *s)
{
    if (s->network)
        return;   /* a network file's model: its attributes say what it is */
    int stacked = 0;
    for (int b = 0; b < s->n_blocks; b++)
        stacked |= s->block_convs[b] > 1;
    trial_blocks_text(s, stacked ? conv + SCHEMA_ARCH_MAX : conv, SCHEMA_ARCH_MAX);
}

/* One setting into its /summary columns at column (in the row). */
static void setting_to_columns(const setting_info *info, const trial_settings *s, char *column)
{
    const void *value = setting_field_const(info, s);
    switch (info->kind) {
    case SETTING_INT:
    case SETTING_LIMIT: *(int32_t *)column = *(const int *)value; break;
    case SETTING_BOOL: *(uint8_t *)column = (uint8_t)*(const int *)value; break;
    case SETTING_REAL: *(double *)column = *(const double *)value; break;
    case SETTING_U64: *(uint64_t *)column = *(const uint64_t *)value; break;
    case SETTING_PATH: setting_format(info, s, column, TRIAL_PATH_MAX); break;
    case SETTING_UNITS:
        if (!s->network)
            setting_format(info, s, column, SCHEMA_ARCH_MAX);
        break;
    case SETTING_BLOCKS: blocks_columns(column, s); break;
    case SETTING_TEXT: break;   /* too long for a table cell: the attribute has it */
    }
}

/* The outcome columns of /summary and where a record keeps each (t the
 * record, m its test metrics): one list for both directions. */
#define OUTCOME_NUMBERS(X) \
    X(epochs_run, t->epochs_run) X(best_epoch, t->best_epoch) X(rung, t->rung) \
    X(val_accuracy, t->val_accuracy) \
    X(test_accuracy, m->accuracy) X(test_loss, t->test.loss) X(precision, m->precision) \
    X(recall, m->recall) X(f1, m->f1) X(rmse, m->rmse) X(train_seconds, t->train_seconds) \
    X(ranks, t->ranks)
#define OUTCOME_TEXTS(X) X(host) X(blas_core) X(started) X(finished)

void schema_summary_from_record(summary_row *row, const trial_record *t)
{
    const trial_settings *s = &t->settings;
    const class_metrics *m = &t->test.metrics;
    memset(row, 0, sizeof *row);
    snprintf(row->name, sizeof row->name, "%s", s->name);
    snprintf(row->hash, sizeof row->hash, "%016" PRIx64, s->hash);
    row->status = (int8_t)t->status;
    row->in_grid = (uint8_t)t->in_grid;
    snprintf(row->experiment, sizeof row->experiment, "%s", s->experiment);
    for (int i = 0; i < n_settings; i++)
        if (summary_offset[i] != SIZE_MAX)
            setting_to_columns(&setting_table[i], s, (char *)row + summary_offset[i]);
#define TO_ROW(column, field) row->column = field;
    OUTCOME_NUMBERS(TO_ROW)
#undef TO_ROW
#define TEXT_TO_ROW(field) snprintf(row->field, sizeof row->field, "%s", t->field);
    OUTCOME_TEXTS(TEXT_TO_ROW)
#undef TEXT_TO_ROW
}

/* The outcome half of a record; the settings come from the trial's group. */
void schema_record_from_summary(trial_record *t, const summary_row *row)
{
    class_metrics *m = &t->test.metrics;
    t->status = (trial_status)row->status;
    t->in_grid = row->in_grid;
#define FROM_ROW(column, field) field = row->column;
    OUTCOME_NUMBERS(FROM_ROW)
#undef FROM_ROW
#define TEXT_FROM_ROW(field) snprintf(t->field, sizeof t->field, "%s", row->field);
    OUTCOME_TEXTS(TEXT_FROM_ROW)
#undef TEXT_FROM_ROW
}
