/* data_cache: one dataset kept between trials that share data settings. */
#include "sched/data_cache.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "train/pretrained.h"

static int same_data(const trial_settings *a, const trial_settings *b)
{
    return strcmp(a->data_dir, b->data_dir) == 0 && a->validation_split == b->validation_split &&
           a->train_limit == b->train_limit && a->test_limit == b->test_limit;
}

int cache_load(dataset_cache *cache, const trial_settings *t, char *err, int err_size)
{
    if (cache->loaded && same_data(&cache->loaded_for, t))
        return 0;
    dataset_free(&cache->data);
    cache->loaded = 0;
    if (dataset_load(&cache->data, t->data_dir, t->validation_split, t->train_limit,
                     t->test_limit, err, err_size) != 0)
        return -1;
    cache->loaded_for = *t;
    cache->loaded = 1;
    return 0;
}

void cache_free(dataset_cache *cache)
{
    dataset_free(&cache->data);
    cache->loaded = 0;
}

/* Every distinct data setting is loaded once before the first trial, so a
 * missing or corrupt file ends the run before hours of training. The last
 * one loaded stays in `keep` (NULL: none stays), which the first trial of
 * a one-data sweep then uses as it is. Returns 0 or EXIT_DATA with the
 * message printed. */
/* Each distinct base weights file is read and matched once, too. */
static int check_all_weights(const sweep_config *c)
{
    for (int i = 0; i < c->n_trials; i++) {
        const trial_settings *t = &c->trials[i];
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) {
            const trial_settings *u = &c->trials[j];
            seen = pretrained_wanted(u) && u->base == t->base &&
                   strcmp(u->base_weights, t->base_weights) == 0 && u->base_width == t->base_width;
        }
        char err[1024];
        if (!seen && pretrained_check(t, err, sizeof err) != 0) {
            fprintf(stderr, "sweep: %s\n", err);
            return EXIT_DATA;
        }
    }
    return 0;
}

int check_all_data(const sweep_config *c, dataset_cache *keep)
{
    int weights = check_all_weights(c);
    if (weights != 0)
        return weights;
    for (int i = 0; i < c->n_trials; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = same_data(&c->trials[j], &c->trials[i]);
        if (seen)
            continue;
        dataset_cache local = { 0 }, *cache = keep ? keep : &local;
        char err[1024];
        int rc = cache_load(cache, &c->trials[i], err, sizeof err);
        cache_free(&local);
        if (rc != 0) {
            fprintf(stderr, "sweep: %s\n", err);
            return EXIT_DATA;
        }
    }
    return 0;
}
