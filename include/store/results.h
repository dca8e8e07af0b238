/* results: the sweep's results store. Rank 0 keeps every trial's record in
 * memory (settings, status, history, test figures, predictions, and where
 * its best weights are: a file of their own, weights_file.h, written once
 * when the trial ends; rank 0 keeps no weights) and publishes the whole of
 * it as RESULTS.h5 -- a complete new
 * file written under RESULTS.h5.tmp, flushed, fsynced and renamed over the
 * old one -- so the file a reader opens is never one that is open for
 * writing, and a kill at any moment leaves the last published file whole.
 * A rerun reads that file back (results_read), matches its records to the
 * configuration's trials by resolved settings (results_adopt_grid) and
 * runs only what is not done. The file's layout is the README's "Results
 * file" section; results_file.c writes and reads it, this file holds the
 * rules. Workers never touch it: they send rank 0 messages (scheduler.c). */
#ifndef SWEEP_RESULTS_H
#define SWEEP_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "train/pretrained.h"
#include "config/config.h"
#include "train/train.h"

/* /sweep's `format` attribute and its number, `format_version`. Format 1
 * (before 2026-12) kept each done trial's weights inside the results file
 * at /trials/NAME/weights; format 2 links them there from their own file.
 * Both are read; only format 2 is written. */
#define RESULTS_FORMAT "sweep results 2"
#define RESULTS_FORMAT_VERSION 2
#define RESULTS_FORMAT_PREFIX "sweep results "
#define RESULTS_WEIGHTS_PATH_MAX 1152   /* a results path and a weights link */
#define RESULTS_TIME_MAX 32                /* "2026-11-25T10:44:06Z" */
#define RESULTS_HOST_MAX 64
#define RESULTS_CORE_MAX 32   /* an OpenBLAS core name, "SkylakeX" */

/* Values of /summary's `status` enum; the names are the enum's names.
 * New statuses go last, so a value keeps its number in every file:
 * TRIAL_PRUNED (a successive-halving rung's budget reached, not promoted;
 * its checkpoint stays) came after the first five. */
typedef enum {
    TRIAL_PENDING, TRIAL_RUNNING, TRIAL_DONE, TRIAL_FAILED, TRIAL_INTERRUPTED, TRIAL_PRUNED
} trial_status;
#define TRIAL_STATUS_COUNT 6
extern const char *const trial_status_names[TRIAL_STATUS_COUNT];

typedef struct {
    trial_settings settings;
    trial_status status;
    int in_grid;                 /* 0: from an earlier configuration, kept */
    int epochs_run, best_epoch;
    int rung;                    /* sha/asha: the rung it was last sent to, 0-based
                                  * (halving.h); grid and random: 0 */
    double val_accuracy;         /* the best epoch's; NaN until one is done */
    test_result test;            /* NaN figures until done */
    double train_seconds;        /* sum of the history's epoch seconds */
    int ranks;                   /* group size that last trained it */
    char host[RESULTS_HOST_MAX]; /* its leader's node */
    char blas_core[RESULTS_CORE_MAX];  /* the OpenBLAS kernels its leader ran */
    char started[RESULTS_TIME_MAX], finished[RESULTS_TIME_MAX];  /* UTC, "" if not */
    int n_history;
    epoch_record *history;       /* settings.epochs slots */
    int n_predictions;           /* test images; 0 until done */
    uint8_t *predictions;
    /* Done: where its best weights are, as a path openable from here (a
     * weights file, or a format-1 results file itself) and the group in it
     * ("/weights", or "/trials/NAME/weights" in format 1). "" until done. */
    char weights_file[RESULTS_WEIGHTS_PATH_MAX];
    char weights_object[TRIAL_NAME_MAX + 24];
    /* A base's trial: the weights file it started from (path "none": random),
     * its size and checksum; path "" until known. */
    pretrained_source base_source;
} trial_record;

typedef struct {
    char path[TRIAL_PATH_MAX];   /* as found in the trial's data directory */
    uint64_t size;
    uint32_t crc32;              /* zlib's CRC-32 of the file's bytes */
} data_file_info;

typedef struct {
    int format_version;          /* of the file it was read from; 0 if new */
    char config_path[TRIAL_PATH_MAX];
    char *config_text;           /* owned */
    uint64_t config_hash;
    char version[32];
    int mpi_size, ranks_per_trial, omp_threads;
    search_options search;       /* [search]: method and parameters (grid in older files) */
    char started[RESULTS_TIME_MAX], updated[RESULTS_TIME_MAX];
    int n_data_files;
    data_file_info *data_files;  /* owned: DATASET_FILES per data directory */
    int n_records;
    trial_record *records;       /* the grid's trials in file order, then kept ones */
} sweep_results;

/* ---- the rules (results.c) ---- */

void results_init(sweep_results *r);
void results_free(sweep_results *r);

/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ". */
void results_now(char out[RESULTS_TIME_MAX]);

/* Makes r describe config c's grid, keeping what r already holds (read
 * from an earlier run's file): a record whose resolved settings (hash)
 * match one of c's trials is kept, under that trial's name; a trial with
 * no such record gets a pending one; a record matching no trial is kept
 * with in_grid = 0, renamed NAME~HASH if its name is taken. A record left
 * running by a killed job becomes interrupted: its checkpoint resumes it.
 * Returns the number of trials already finished (done or failed:
 * a failed trial is not run again). */
int results_adopt_grid(sweep_results *r, const sweep_config *c);

/* The record of c's trial i after results_adopt_grid: records[i]. */
static inline trial_record *results_trial(sweep_results *r, int i) { return &r->records[i]; }

/* `sweep merge`: moves from's records into `into`, one record per trial
 * (resolved-settings hash): a trial new to `into` is added (renamed
 * NAME~HASH if its name is taken); for a trial in both, the record that
 * got further is kept -- done, then failed, then running, interrupted or
 * pruned with more epochs, then pending; on a tie, into's -- under into's name.
 * An empty `into` takes from's description (configuration, version, data
 * files); `started` becomes the earlier. from is left with no records.
 * Returns how many records were added or replaced. */
int results_merge(sweep_results *into, sweep_results *from);

/* Whether the trial still has to run (pending, interrupted or running):
 * the grid's rule; a search asks its planner (search/halving.h). */
int results_needs_run(const trial_record *t);

/* Events, in the order a trial sees them. */
void results_trial_started(trial_record *t, int ranks, const char *host,
                           const char *blas_core);
void results_epoch(trial_record *t, const epoch_record *e);   /* replaces from e->epoch on */
void results_trial_stopped(trial_record *t);                   /* interrupted by a signal */
/* Done: figures, predictions (copied) and the weights file written for
 * it (weights_file_write), whose group is WEIGHTS_OBJECT. */
void results_trial_done(trial_record *t, int epochs_run, int best_epoch,
                        const test_result *test, const uint8_t *predictions,
                        int n_predictions, const char *weights_file);
/* The loss was not finite in epoch epochs_run (its record is in the history). */
void results_trial_failed(trial_record *t, int epochs_run);
/* Stopped at its rung's budget of epochs_run epochs, not (yet) promoted;
 * its checkpoint is that epoch's. */
void results_trial_pruned(trial_record *t, int epochs_run);
/* Sent on to `rung` (a promotion, or the rung it trains in): a pruned
 * trial is no longer finished. */
void results_trial_rung(trial_record *t, int rung);

/* Makes every done record's weights file the one the results file at
 * results_path links for it (weights_file_place, by r->started), copying
 * weights that are elsewhere: inside a format-1 results file, or beside
 * another results file (merge). A done trial whose weights cannot be found
 * becomes interrupted, with a warning on stderr: its checkpoint runs it
 * again. Returns the number of files copied, or -1 with err one line if a
 * copy cannot be written. */
int results_place_weights(sweep_results *r, const char *results_path, char *err, int err_size);

/* Sizes and CRC-32s of the data files the grid's trials read. Returns 0,
 * or -1 with err naming the file. */
int results_describe_data(sweep_results *r, const sweep_config *c, char *err, int err_size);

/* ---- the file (results_file.c) ---- */

/* Writes r to path through path.tmp, fsync and rename. Returns 0, or -1
 * with err one line naming the file and the fault; the file at path is
 * then the previous one, untouched. */
int results_publish(const sweep_results *r, const char *path, char *err, int err_size);

/* Reads a published file into r (initialised). Returns 0, or -1 with err
 * one line "PATH: fault": missing, not HDF5, HDF5 but not a sweep results
 * file, or damaged; r is then empty. */
int results_read(sweep_results *r, const char *path, char *err, int err_size);

#endif
