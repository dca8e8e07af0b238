/* data_cache: the dataset a rank trained its last trial on, kept for the
 * next trial with the same data settings, and the check that every data
 * setting of a sweep loads before any trial starts. Internal to the
 * scheduler (src/sched/): the lone rank and every worker keep one. */
#ifndef SWEEP_DATA_CACHE_H
#define SWEEP_DATA_CACHE_H

#include "config/config.h"
#include "data/data.h"

/* Keeps the last dataset loaded: trials that share data settings share it. */
typedef struct {
    dataset data;
    trial_settings loaded_for;
    int loaded;
} dataset_cache;

/* Loads t's data unless the cache holds it already. 0, or -1 with err set. */
int cache_load(dataset_cache *cache, const trial_settings *t, char *err, int err_size);

void cache_free(dataset_cache *cache);

/* 0, or EXIT_DATA with the message printed; `keep` (or NULL) holds the last one loaded. */
int check_all_data(const sweep_config *c, dataset_cache *keep);

#endif
