/* test_keras_weights: the Keras weight file reader against files written
 * by h5py as Keras writes them (tests/make_keras_fixtures.py). Each good
 * file NAME.h5 has a manifest NAME.txt beside it, written by the script
 * from the same arrays: every layer, array name, shape and value the
 * reader must give, and each array's sum in double in file order. Broken
 * files must give one line naming the file and the fault, and HDF5 must
 * print nothing. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "store/keras_weights.h"
#include "testing.h"

#define DIR "tests/fixtures/keras/"

/* ---- the manifest --------------------------------------------------------- */

/* What a manifest says the reader gives: the expected result, built as a
 * keras_weights (so keras_weights_free frees it), and each array's sum. */
typedef struct {
    keras_weights *want;
    int *declared;          /* per layer: arrays the "layer" line announced */
    double *sums;           /* per array, over all layers in order */
    int n_sums;
} manifest;

static void manifest_free(manifest *m)
{
    keras_weights_free(m->want);
    free(m->declared);
    free(m->sums);
}

/* "array NAME RANK D.. count N sum S values V.." into the last layer. */
static int parse_array(manifest *m, char **save)
{
    keras_weights *w = m->want;
    if (w->n_layers == 0)
        return -1;
    keras_layer *l = &w->layers[w->n_layers - 1];
    l->arrays = xrealloc(l->arrays, (size_t)(l->n_arrays + 1) * sizeof *l->arrays);
    keras_array *a = &l->arrays[l->n_arrays++];
    memset(a, 0, sizeof *a);
    const char *name = strtok_r(NULL, " \n", save), *rank = strtok_r(NULL, " \n", save);
    if (!name || !rank || strlen(name) >= sizeof a->name || atoi(rank) > KERAS_MAX_RANK)
        return -1;
    snprintf(a->name, sizeof a->name, "%s", name);
    a->rank = atoi(rank);
    for (int i = 0; i < a->rank; i++) {
        const char *d = strtok_r(NULL, " \n", save);
        if (!d)
            return -1;
        a->dims[i] = atoi(d);
    }
    const char *count_word = strtok_r(NULL, " \n", save), *count = strtok_r(NULL, " \n", save);
    if (!count_word || strcmp(count_word, "count") != 0 || !count)
        return -1;
    a->count = (size_t)strtoull(count, NULL, 10);
    const char *sum_word = strtok_r(NULL, " \n", save), *sum = strtok_r(NULL, " \n", save);
    const char *values_word = strtok_r(NULL, " \n", save);
    if (!sum_word || strcmp(sum_word, "sum") != 0 || !sum || !values_word ||
        strcmp(values_word, "values") != 0)
        return -1;
    m->sums = xrealloc(m->sums, (size_t)(m->n_sums + 1) * sizeof *m->sums);
    m->sums[m->n_sums++] = strtod(sum, NULL);
    a->values = xcalloc(a->count + 1, sizeof(float));
    for (size_t i = 0; i < a->count; i++) {
        const char *v = strtok_r(NULL, " \n", save);
        if (!v)
            return -1;
        a->values[i] = strtof(v, NULL);   /* exact: the reprs are of float32 values */
    }
    return strtok_r(NULL, " \n", save) ? -1 : 0;
}

/* One line: format, keras_version, backend, layer, array; '#' a comment. */
static int parse_line(manifest *m, char *line)
{
    keras_weights *w = m->want;
    char *save = NULL, *key = strtok_r(line, " \n", &save);
    if (!key || key[0] == '#')
        return 0;
    if (strcmp(key, "array") == 0)
        return parse_array(m, &save);
    const char *value = strtok_r(NULL, " \n", &save);
    if (!value)
        return -1;
    if (strcmp(key, "format") == 0)
        w->format = atoi(value);
    else if (strcmp(key, "keras_version") == 0 || strcmp(key, "backend") == 0)
        snprintf(key[0] == 'k' ? w->keras_version : w->backend, sizeof w->backend, "%s",
                 strcmp(value, "-") == 0 ? "" : value);
    else if (strcmp(key, "layer") == 0) {
        const char *n = strtok_r(NULL, " \n", &save);
        if (!n || strlen(value) >= KERAS_NAME_SIZE)
            return -1;
        w->layers = xrealloc(w->layers, (size_t)(w->n_layers + 1) * sizeof *w->layers);
        m->declared = xrealloc(m->declared, (size_t)(w->n_layers + 1) * sizeof *m->declared);
        memset(&w->layers[w->n_layers], 0, sizeof *w->layers);
        snprintf(w->layers[w->n_layers].name, KERAS_NAME_SIZE, "%s", value);
        m->declared[w->n_layers++] = atoi(n);
    } else
        return -1;
    return 0;
}

static int manifest_read(const char *path, manifest *m)
{
    memset(m, 0, sizeof *m);
    m->want = xcalloc(1, sizeof *m->want);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t size = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &size, f) >= 0)
        rc = parse_line(m, line);
    free(line);
    fclose(f);
    for (int i = 0; rc == 0 && i < m->want->n_layers; i++)
        if (m->declared[i] != m->want->layers[i].n_arrays)
            rc = -1;
    return rc;
}

/* ---- comparing ------------------------------------------------------------ */

static double sum_in_order(const keras_array *a)
{
    double s = 0;
    for (size_t i = 0; i < a->count; i++)
        s += (double)a->values[i];
    return s;
}

static void expect_same_array(const char *file, const keras_array *got, const keras_array *want,
                              double want_sum)
{
    EXPECT(strcmp(got->name, want->name) == 0, "%s: array '%s', wanted '%s'", file, got->name,
           want->name);
    EXPECT(got->rank == want->rank && got->count == want->count,
           "%s: %s: rank %d count %zu, wanted rank %d count %zu", file, want->name, got->rank,
           got->count, want->rank, want->count);
    if (got->rank != want->rank || got->count != want->count)
        return;
    for (int i = 0; i < want->rank; i++)
        EXPECT(got->dims[i] == want->dims[i], "%s: %s: dim %d is %d, wanted %d", file,
               want->name, i, got->dims[i], want->dims[i]);
    EXPECT(want->count == 0 || got->values != NULL, "%s: %s: no values", file, want->name);
    if (want->count > 0 && !got->values)
        return;
    size_t differ = 0, first = 0;
    for (size_t i = 0; i < want->count; i++)
        if (got->values[i] != want->values[i] && differ++ == 0)
            first = i;
    EXPECT(differ == 0, "%s: %s: %zu values differ, the first [%zu] %.9g, wanted %.9g", file,
           want->name, differ, first, got->values[first], want->values[first]);
    EXPECT(sum_in_order(got) == want_sum, "%s: %s: sum %.17g, wanted %.17g", file, want->name,
           sum_in_order(got), want_sum);
}

/* Reads DIR NAME.h5 and checks it against DIR NAME.txt; returns the
 * result (the caller frees) for the test's own checks, or NULL. */
static keras_weights *read_and_check_manifest(const char *name)
{
    char h5[256], txt[256], err[1024] = "";
    snprintf(h5, sizeof h5, DIR "%s.h5", name);
    snprintf(txt, sizeof txt, DIR "%s.txt", name);
    manifest m;
    int manifest_ok = manifest_read(txt, &m) == 0;
    EXPECT(manifest_ok, "cannot read the manifest %s", txt);
    /* a manifest with nothing in it would let an empty result pass */
    EXPECT(m.want->n_layers > 0 && m.n_sums > 0, "%s: %d layers, %d arrays", txt,
           m.want->n_layers, m.n_sums);
    keras_weights *got = keras_weights_read(h5, err, sizeof err);
    EXPECT(got != NULL, "%s", err);
    if (!got || !manifest_ok) {
        manifest_free(&m);
        return got;
    }
    const keras_weights *want = m.want;
    EXPECT(got->format == want->format, "%s: format %d, wanted %d", h5, got->format, want->format);
    EXPECT(strcmp(got->keras_version, want->keras_version) == 0, "%s: keras_version '%s', "
           "wanted '%s'", h5, got->keras_version, want->keras_version);
    EXPECT(strcmp(got->backend, want->backend) == 0, "%s: backend '%s', wanted '%s'", h5,
           got->backend, want->backend);
    EXPECT(got->n_layers == want->n_layers, "%s: %d layers, wanted %d", h5, got->n_layers,
           want->n_layers);
    int sum_index = 0;
    for (int i = 0; i < got->n_layers && i < want->n_layers; i++) {
        const keras_layer *g = &got->layers[i], *w = &want->layers[i];
        EXPECT(strcmp(g->name, w->name) == 0, "%s: layer %d is '%s', wanted '%s'", h5, i,
               g->name, w->name);
        EXPECT(g->n_arrays == w->n_arrays, "%s: layer %s has %d arrays, wanted %d", h5, w->name,
               g->n_arrays, w->n_arrays);
        for (int j = 0; j < g->n_arrays && j < w->n_arrays; j++)
            expect_same_array(h5, &g->arrays[j], &w->arrays[j], m.sums[sum_index + j]);
        sum_index += w->n_arrays;
    }
    manifest_free(&m);
    return got;
}

static const char *array_name(const keras_weights *w, const char *layer, int i)
{
    const keras_layer *l = keras_weights_find(w, layer);
    return l && i < l->n_arrays ? l->arrays[i].name : "(none)";
}

/* ---- faults --------------------------------------------------------------- */

/* Reads path expecting a fault: err gets the message; also checks that it
 * is one line beginning with the path and that nothing reached stderr. */
static void read_expecting_fault(const char *path, char *err, int err_size)
{
    char captured[] = "/tmp/sweep-keras-stderr.XXXXXX";
    int fd = mkstemp(captured);
    fflush(stderr);
    int saved = dup(2);
    EXPECT(fd >= 0 && saved >= 0 && dup2(fd, 2) >= 0, "cannot capture stderr");
    err[0] = '\0';
    keras_weights *w = keras_weights_read(path, err, err_size);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char printed[512] = "";
    ssize_t n = pread(fd, printed, sizeof printed - 1, 0);
    close(fd);
    unlink(captured);
    EXPECT(w == NULL, "%s was read", path);
    keras_weights_free(w);
    EXPECT(n == 0, "stderr got '%s'", n > 0 ? printed : "(unreadable)");
    EXPECT(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':',
           "err does not begin with '%s:': '%s'", path, err);
    EXPECT(strchr(err, '\n') == NULL, "err is more than one line: '%s'", err);
}

/* ---- the tests ------------------------------------------------------------ */

static void test_keras2_notop_base_gives_every_layer_in_order_with_its_values(void)
{
    keras_weights *w = read_and_check_manifest("keras2_notop");
    if (!w)
        return;
    EXPECT(w->n_layers == 6, "%d layers (top_level_model_weights is no layer)", w->n_layers);
    EXPECT(strcmp(w->layers[0].name, "input_1") == 0 && w->layers[0].n_arrays == 0,
           "layer 0 '%s' with %d arrays", w->layers[0].name, w->layers[0].n_arrays);
    const keras_layer *conv = keras_weights_find(w, "block1_conv1");
    EXPECT(conv && conv == &w->layers[1] && conv->n_arrays == 2, "block1_conv1");
    if (conv && conv->n_arrays == 2) {
        const keras_array *k = &conv->arrays[0];
        EXPECT(strcmp(k->name, "block1_conv1/kernel:0") == 0, "kernel '%s'", k->name);
        EXPECT(k->rank == 4 && k->dims[0] == 3 && k->dims[1] == 3 && k->dims[2] == 3 &&
               k->dims[3] == 2 && k->count == 54, "HWIO kernel rank %d (%d, %d, %d, %d)",
               k->rank, k->dims[0], k->dims[1], k->dims[2], k->dims[3]);
        EXPECT(conv->arrays[1].rank == 1 && conv->arrays[1].dims[0] == 2, "bias");
    }
    const keras_layer *pool = keras_weights_find(w, "block1_pool");
    EXPECT(pool && pool->n_arrays == 0 && pool->arrays == NULL, "block1_pool");
    EXPECT(keras_weights_find(w, "top_level_model_weights") == NULL, "a group not in layer_names");
    EXPECT(keras_weights_find(w, "block9_conv1") == NULL, "found a missing layer");
    EXPECT(keras_weights_count_with_arrays(w) == 4, "%d layers with weights",
           keras_weights_count_with_arrays(w));
    EXPECT(strcmp(w->keras_version, "2.15.0") == 0 && strcmp(w->backend, "tensorflow") == 0,
           "'%s' '%s'", w->keras_version, w->backend);
    keras_weights_free(w);
}

static void test_batch_norm_gives_keras_order_and_scale_false_has_no_gamma(void)
{
    keras_weights *w = read_and_check_manifest("keras2_notop");
    if (!w)
        return;
    const char *full[] = { "gamma:0", "beta:0", "moving_mean:0", "moving_variance:0" };
    const keras_layer *bn = keras_weights_find(w, "batch_normalization");
    const keras_layer *noscale = keras_weights_find(w, "batch_normalization_1");
    EXPECT(bn && bn->n_arrays == 4, "batch_normalization");
    EXPECT(noscale && noscale->n_arrays == 3, "batch_normalization_1");
    for (int i = 0; i < 4; i++) {
        char want[128];
        snprintf(want, sizeof want, "batch_normalization/%s", full[i]);
        EXPECT(strcmp(array_name(w, "batch_normalization", i), want) == 0, "%d: '%s'", i,
               array_name(w, "batch_normalization", i));
        if (i == 3)
            break;
        snprintf(want, sizeof want, "batch_normalization_1/%s", full[i + 1]);
        EXPECT(strcmp(array_name(w, "batch_normalization_1", i), want) == 0, "%d: '%s'", i,
               array_name(w, "batch_normalization_1", i));
    }
    keras_weights_free(w);
}

static void test_keras1_flat_names_read_and_missing_versions_are_empty(void)
{
    keras_weights *w = read_and_check_manifest("keras1_notop");
    if (!w)
        return;
    EXPECT(strcmp(array_name(w, "block1_conv1", 0), "block1_conv1_W_1:0") == 0, "'%s'",
           array_name(w, "block1_conv1", 0));
    EXPECT(strcmp(array_name(w, "block1_conv2", 1), "block1_conv2_b_1:0") == 0, "'%s'",
           array_name(w, "block1_conv2", 1));
    EXPECT(w->keras_version[0] == '\0' && w->backend[0] == '\0', "'%s' '%s'", w->keras_version,
           w->backend);
    EXPECT(keras_weights_count_with_arrays(w) == 4, "%d", keras_weights_count_with_arrays(w));
    keras_weights_free(w);
}

static void test_whole_model_file_is_read_from_model_weights(void)
{
    keras_weights *w = read_and_check_manifest("keras2_model");
    if (!w)
        return;
    EXPECT(w->n_layers == 6 && keras_weights_find(w, "model_weights") == NULL &&
           keras_weights_find(w, "optimizer_weights") == NULL, "%d layers", w->n_layers);
    EXPECT(strcmp(w->keras_version, "2.15.0") == 0, "'%s'", w->keras_version);
    keras_weights_free(w);
}

static void test_split_name_lists_are_joined_in_order(void)
{
    keras_weights *w = read_and_check_manifest("split_names");
    if (!w)
        return;
    const char *order[] = { "input_1", "block1_conv1", "batch_normalization" };
    EXPECT(w->n_layers == 3, "%d layers from layer_names0..2", w->n_layers);
    for (int i = 0; i < 3 && i < w->n_layers; i++)
        EXPECT(strcmp(w->layers[i].name, order[i]) == 0, "layer %d '%s'", i, w->layers[i].name);
    EXPECT(strcmp(array_name(w, "batch_normalization", 2), "batch_normalization/moving_mean:0")
           == 0, "weight_names0 then weight_names1: '%s'", array_name(w, "batch_normalization", 2));
    keras_weights_free(w);
}

static void test_other_writers_strings_and_number_types_are_read(void)
{
    keras_weights *w = read_and_check_manifest("other_writers");
    if (!w)
        return;
    const keras_layer *flatten = keras_weights_find(w, "flatten");
    EXPECT(flatten && flatten->n_arrays == 0, "a null-dataspace weight_names is empty");
    const keras_layer *dropout = keras_weights_find(w, "dropout");
    EXPECT(dropout && dropout->n_arrays == 0, "no weight_names is no weights");
    const keras_layer *placeholder = keras_weights_find(w, "placeholder");
    EXPECT(placeholder && placeholder->n_arrays == 1 && placeholder->arrays[0].count == 0 &&
           placeholder->arrays[0].values == NULL, "a null-dataspace dataset has no values");
    const keras_layer *counter = keras_weights_find(w, "counter");
    EXPECT(counter && counter->n_arrays == 1 && counter->arrays[0].rank == 0 &&
           counter->arrays[0].count == 1 && counter->arrays[0].values[0] == 7.0f,
           "an int32 scalar");
    EXPECT(strcmp(w->backend, "jax") == 0, "variable-length backend '%s'", w->backend);
    keras_weights_free(w);
}

static void test_keras3_file_is_refused_saying_what_to_do(void)
{
    char err[1024];
    read_expecting_fault(DIR "keras3_weights.h5", err, sizeof err);
    EXPECT(strstr(err, "Keras 3") && strstr(err, "model.save('NAME.h5')") &&
           strstr(err, "model.save_weights('NAME.h5')"), "err = '%s'", err);
}

static void test_layer_without_its_group_is_named(void)
{
    char err[1024];
    read_expecting_fault(DIR "missing_layer.h5", err, sizeof err);
    EXPECT(strstr(err, "layer 'block1_conv2' is in layer_names but there is no group "
                  "/block1_conv2"), "err = '%s'", err);
}

static void test_weight_without_its_dataset_names_layer_and_weight(void)
{
    char err[1024];
    read_expecting_fault(DIR "missing_weight.h5", err, sizeof err);
    EXPECT(strstr(err, "layer 'block1_conv2': weight 'block1_conv2/bias:0' is in weight_names "
                  "but there is no dataset /block1_conv2/block1_conv2/bias:0"), "err = '%s'", err);
}

static void test_text_file_is_not_hdf5(void)
{
    char err[1024];
    read_expecting_fault(DIR "not_hdf5.h5", err, sizeof err);
    EXPECT(strcmp(err, DIR "not_hdf5.h5: not an HDF5 file") == 0, "err = '%s'", err);
}

static void test_unrelated_hdf5_file_is_not_a_keras_file(void)
{
    char err[1024];
    read_expecting_fault(DIR "unrelated.h5", err, sizeof err);
    EXPECT(strcmp(err, DIR "unrelated.h5: not a Keras weights file (no layer_names attribute "
                  "at / or /model_weights)") == 0, "err = '%s'", err);
}

static void test_truncated_file_is_refused(void)
{
    char err[1024];
    read_expecting_fault(DIR "truncated.h5", err, sizeof err);
    EXPECT(strstr(err, "cannot open as HDF5") != NULL, "err = '%s'", err);
}

static void test_dataset_that_cannot_be_read_is_named(void)
{
    char err[1024];
    read_expecting_fault(DIR "corrupt_dataset.h5", err, sizeof err);
    EXPECT(strstr(err, "dataset /block1_conv2/block1_conv2/kernel:0: cannot read it"), "err = '%s'",
           err);
}

static void test_rank_over_four_is_named(void)
{
    char err[1024];
    read_expecting_fault(DIR "rank5.h5", err, sizeof err);
    EXPECT(strstr(err, "dataset /conv3d/conv3d/kernel:0: rank 5, over the 4 this reads"),
           "err = '%s'", err);
}

static void test_missing_file_is_named(void)
{
    char err[1024];
    read_expecting_fault(DIR "no_such_file.h5", err, sizeof err);
    EXPECT(strstr(err, "No such file") != NULL, "err = '%s'", err);
}

static void test_null_is_harmless_to_free_find_and_count(void)
{
    keras_weights_free(NULL);
    EXPECT(keras_weights_find(NULL, "input_1") == NULL, "found in NULL");
    EXPECT(keras_weights_count_with_arrays(NULL) == 0, "counted NULL");
}

int main(void)
{
    RUN_TEST(test_keras2_notop_base_gives_every_layer_in_order_with_its_values);
    RUN_TEST(test_batch_norm_gives_keras_order_and_scale_false_has_no_gamma);
    RUN_TEST(test_keras1_flat_names_read_and_missing_versions_are_empty);
    RUN_TEST(test_whole_model_file_is_read_from_model_weights);
    RUN_TEST(test_split_name_lists_are_joined_in_order);
    RUN_TEST(test_other_writers_strings_and_number_types_are_read);
    RUN_TEST(test_keras3_file_is_refused_saying_what_to_do);
    RUN_TEST(test_layer_without_its_group_is_named);
    RUN_TEST(test_weight_without_its_dataset_names_layer_and_weight);
    RUN_TEST(test_text_file_is_not_hdf5);
    RUN_TEST(test_unrelated_hdf5_file_is_not_a_keras_file);
    RUN_TEST(test_truncated_file_is_refused);
    RUN_TEST(test_dataset_that_cannot_be_read_is_named);
    RUN_TEST(test_rank_over_four_is_named);
    RUN_TEST(test_missing_file_is_named);
    RUN_TEST(test_null_is_harmless_to_free_find_and_count);
    return testing_finish("test_keras_weights");
}
