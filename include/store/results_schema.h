/* results_schema: the HDF5 types of the results file, shared by its writer
 * (results_write.c) and its reader (results_read.c) so the two cannot
 * drift apart: the /summary row and its compound type with the `status`
 * enum, the /trials/NAME/history row, the /trials/NAME/per_class row, and
 * the /sweep/data_files row. Field names are the file's contract and are
 * listed in the README ("Results file"). */
#ifndef SWEEP_RESULTS_SCHEMA_H
#define SWEEP_RESULTS_SCHEMA_H

#include <hdf5.h>
#include <stdint.h>

#include "config/settings_table.h"
#include "store/results.h"

#define SCHEMA_HASH_LEN 17          /* 16 hex digits and a NUL */
#define SCHEMA_ARCH_MAX 400         /* conv / groups / dense text */
#define SCHEMA_CLASS_NAME_MAX 16

/* The /summary columns of a setting, from its row in settings_table.h:
 * none unless it is marked in_summary; one column of the setting's name
 * and a type by its kind (BLOCKS: two, `conv` and `groups`). */
#define SUMMARY_SETTING(field, kind, hashed, in_summary, def, label) \
    SUMMARY_COLUMNS_##in_summary(kind, field)
#define SUMMARY_COLUMNS_0(kind, field)
#define SUMMARY_COLUMNS_1(kind, field) SUMMARY_COLUMN_##kind(field)
#define SUMMARY_COLUMN_PATH(field) char field[TRIAL_PATH_MAX];
#define SUMMARY_COLUMN_REAL(field) double field;
#define SUMMARY_COLUMN_INT(field) int32_t field;
#define SUMMARY_COLUMN_LIMIT(field) int32_t field;
#define SUMMARY_COLUMN_U64(field) uint64_t field;
#define SUMMARY_COLUMN_BOOL(field) uint8_t field;
#define SUMMARY_COLUMN_UNITS(field) char field[SCHEMA_ARCH_MAX];
#define SUMMARY_COLUMN_BLOCKS(field) char conv[SCHEMA_ARCH_MAX], groups[SCHEMA_ARCH_MAX];

typedef struct {
    char name[TRIAL_NAME_MAX];
    char hash[SCHEMA_HASH_LEN];
    int8_t status;                  /* trial_status, stored as an HDF5 enum */
    uint8_t in_grid;
    char experiment[TRIAL_NAME_MAX];
    TRIAL_SETTINGS(SUMMARY_SETTING)   /* the settings marked in_summary, in table order */
    int32_t epochs_run, best_epoch;
    int32_t rung;                   /* absent from files written before it: read as 0 */
    double val_accuracy, test_accuracy, test_loss, precision, recall, f1, rmse;
    double train_seconds;
    int32_t ranks;
    char host[RESULTS_HOST_MAX];
    char blas_core[RESULTS_CORE_MAX];
    char started[RESULTS_TIME_MAX], finished[RESULTS_TIME_MAX];
} summary_row;

typedef struct {
    int32_t epoch;
    double loss, accuracy, val_loss, val_accuracy, seconds;
} history_row;

typedef struct {
    char class_name[SCHEMA_CLASS_NAME_MAX];
    double precision, recall, f1;
    int64_t support;
} per_class_row;

typedef struct {
    char path[TRIAL_PATH_MAX];
    uint64_t size;
    uint32_t crc32;
} data_file_row;

/* /sweep's numeric attributes of the search (besides search_method and
 * metric, strings): samples, repeats, reduction, min_epochs, int32 each,
 * and where search_options keeps each. */
#define SCHEMA_SEARCH_NUMBERS 4
extern const char *const schema_search_numbers[SCHEMA_SEARCH_NUMBERS];
int *schema_search_number(search_options *s, int i);

/* Each returns a new type the caller closes with H5Tclose, or -1. The
 * memory types describe the structs above; HDF5 matches compound fields
 * by name when reading, so a file with extra fields still reads. */
hid_t schema_status_type(int statuses);   /* the first `statuses` of trial_status */
hid_t schema_summary_type(void);          /* with every status: for reading */
/* With the first `statuses` of the status enum only. HDF5 converts an
 * enum only into one holding all of its names, so a file whose enum
 * lacks `pruned` is one a sweep from before `pruned` can still read: the
 * writer names the statuses its records use, at least the first five. */
hid_t schema_summary_type_with(int statuses);
hid_t schema_history_type(void);
hid_t schema_per_class_type(void);
hid_t schema_data_file_type(void);

/* The HDF5 type a setting's attribute (and /summary column) has by its
 * kind: a native number type, or 0 for text (a string of its text form). */
hid_t schema_setting_type(setting_kind kind);

/* The record <-> row conversions. */
void schema_summary_from_record(summary_row *row, const trial_record *t);
void schema_record_from_summary(trial_record *t, const summary_row *row);

#endif
