/* frozen_features: a frozen base's output per image, computed once. */
#include "train/frozen_features.h"

#include <hdf5.h>
#include <inttypes.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "nn/models/bases.h"
#include "store/h5io.h"
#include "train/train.h"

/* What the features depend on, as text: its hash names the cache file and
 * the text itself is kept in it, so a reused file is the right one. */
static void cache_key(const trainer *tr, char *buf, int size)
{
    const trial_settings *t = &tr->settings;
    const layer *L = &tr->net->layers[tr->features.layer];
    int len = 0;
    buf[0] = '\0';
    text_append(buf, size, &len, "base = %s\nbase_width = %.17g\ninput_size = %d\n",
                t->base ? t->base : "", t->base_width, tr->net->layers[0].out_h);
    text_append(buf, size, &len, "layer = %s\nfloats = %zu\n", L->name, tr->features.floats);
    if (tr->pretrained.checksum)
        text_append(buf, size, &len, "weights_checksum = %016" PRIx64 "\nweights_bytes = %lld\n",
                    tr->pretrained.checksum, tr->pretrained.bytes);
    else   /* random weights: the seed drew them */
        text_append(buf, size, &len, "weights = none\nseed = %" PRIu64 "\n", t->seed);
    if (t->network)   /* a network file's front: its layers say the transform */
        text_append(buf, size, &len, "network = %s\n", t->network);
    text_append(buf, size, &len, "data_dir = %s\nvalidation_split = %.17g\ntrain_limit = %d\n"
                "test_limit = %d\n", t->data_dir, t->validation_split, t->train_limit, t->test_limit);
}

static const image_set *set_of(const trainer *tr, int which)
{
    return which == 0 ? &tr->data->train : which == 1 ? &tr->data->validation : &tr->data->test;
}

static float **rows_of(frozen_features *f, int which)
{
    return which == 0 ? &f->train : which == 1 ? &f->validation : &f->test;
}

static const char *const set_names[3] = { "train", "validation", "test" };

/* This rank's share of every set through the front, then one sum. */
static void compute(trainer *tr)
{
    net *n = tr->net;
    frozen_features *f = &tr->features;
    const layer *out = &n->layers[f->layer];
    forward_mode mode = { 0, 0, 0, 0, 0 };
    for (int which = 0; which < 3; which++) {
        const image_set *s = set_of(tr, which);
        float *rows = xcalloc((size_t)s->count * f->floats + 1, sizeof(float));
        int first = 0, count = s->count;
        if (tr->group)
            group_share(tr->group, s->count, &first, &count);
        for (int start = first; start < first + count; start += n->max_batch) {
            int B = first + count - start < n->max_batch ? first + count - start : n->max_batch;
            memcpy(n->input, s->images + (size_t)start * IMAGE_PIXELS,
                   sizeof(float) * (size_t)B * IMAGE_PIXELS);
            mode.global_batch = B;
            mode.weights_unchanged = start > first;
            net_forward_front(n, B, &mode);
            memcpy(rows + (size_t)start * f->floats, out->out, sizeof(float) * (size_t)B * f->floats);
        }
        if (tr->group)   /* zeros elsewhere: the sum is every rank's share, exactly */
            group_sum_floats(tr->group, rows, (size_t)s->count * f->floats);
        *rows_of(f, which) = rows;
    }
}

/* The cache file's sets, if it holds this key: 0, or -1 (absent or other). */
static int read_cache(frozen_features *f, const trainer *tr, const char *key)
{
    char err[512];
    H5E_auto2_t old_func;
    void *old_data;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = h5io_open_read(f->path, err, sizeof err);
    int rc = file < 0 ? -1 : 0;
    char *stored = rc == 0 ? h5io_read_string_attribute_alloc(file, "key") : NULL;
    if (!stored || strcmp(stored, key) != 0)
        rc = -1;
    for (int which = 0; which < 3 && rc == 0; which++) {
        const size_t count = (size_t)set_of(tr, which)->count * f->floats;
        float *rows = xcalloc(count + 1, sizeof(float));
        if (h5io_dataset_size(file, set_names[which]) != (long long)count ||
            h5io_read_exact(file, set_names[which], H5T_NATIVE_FLOAT, rows, count) != 0) {
            free(rows);
            rc = -1;
        } else {
            *rows_of(f, which) = rows;
        }
    }
    free(stored);
    if (file >= 0)
        H5Fclose(file);
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    if (rc != 0)
        for (int which = 0; which < 3; which++) {
            free(*rows_of(f, which));
            *rows_of(f, which) = NULL;
        }
    return rc;
}

static void write_cache(const frozen_features *f, const trainer *tr, const char *key)
{
    char tmp[4300], err[1024];
    hid_t file = h5io_create_temp(f->path, tmp, sizeof tmp, err, sizeof err);
    int rc = file < 0 ? -1 : h5io_write_string_attribute(file, "key", key);
    for (int which = 0; which < 3 && rc == 0; which++)
        rc = h5io_write_floats(file, set_names[which], *rows_of((frozen_features *)f, which),
                               (size_t)set_of(tr, which)->count * f->floats);
    if (file >= 0 && h5io_commit(file, rc, tmp, f->path, err, sizeof err) == 0)
        return;
    fprintf(stderr, "sweep: warning: %s: features not cached (%s); later trials compute them again\n",
            f->path, rc ? "cannot write" : err);
}

void trainer_use_frozen_features(trainer *tr, const char *cache_dir)
{
    frozen_features *f = &tr->features;
    net *n = tr->net;
    if (n->frozen_output < 0 || f->layer >= 0)
        return;
    /* For make bench's comparison only: the front runs at every step. */
    const char *off = getenv("SWEEP_NO_FROZEN_FEATURES");
    if (off && off[0] == '1')
        return;
    const double start = omp_get_wtime();
    f->layer = n->frozen_output;
    f->floats = layer_out_size(&n->layers[f->layer]);
    char key[8192];
    cache_key(tr, key, sizeof key);
    f->path[0] = '\0';
    char err[1024];
    if (cache_dir && cache_dir[0] && make_directories(cache_dir, err, sizeof err) != 0)
        fprintf(stderr, "sweep: warning: %s; features not cached\n", err);
    else if (cache_dir && cache_dir[0])
        snprintf(f->path, sizeof f->path, "%s/features-%016" PRIx64 ".h5", cache_dir,
                 fnv1a64(key, strlen(key)));
    const int leader = !tr->group || tr->group->rank == 0;
    int have = leader && f->path[0] && read_cache(f, tr, key) == 0;
    if (tr->group)
        group_broadcast(tr->group, &have, sizeof have);
    if (have) {
        for (int which = 0; tr->group && which < 3; which++) {
            const size_t count = (size_t)set_of(tr, which)->count * f->floats;
            if (!leader)
                *rows_of(f, which) = xcalloc(count + 1, sizeof(float));
            group_broadcast(tr->group, *rows_of(f, which), sizeof(float) * count);
        }
    } else {
        compute(tr);
        if (leader && f->path[0])
            write_cache(f, tr, key);
    }
    f->from_file = have;
    f->seconds = omp_get_wtime() - start;
    n->first_to_run = f->layer + 1;
}

void frozen_features_free(frozen_features *f)
{
    free(f->train);
    free(f->validation);
    free(f->test);
    f->train = f->validation = f->test = NULL;
    f->layer = -1;
}

/* Rows `indices` of the set s as the front's output, into the net. */
int frozen_features_load(const trainer *tr, const image_set *s, const int *indices, int B)
{
    const frozen_features *f = &tr->features;
    if (f->layer < 0)
        return 0;
    const float *rows = s == &tr->data->train ? f->train
                        : s == &tr->data->validation ? f->validation : f->test;
    float *out = tr->net->layers[f->layer].out;
    for (int b = 0; b < B; b++)
        memcpy(out + (size_t)b * f->floats, rows + (size_t)indices[b] * f->floats,
               sizeof(float) * f->floats);
    return 1;
}
