/* test_results: the results file's contract. A trained trial, recorded and
 * published, reads back through the plain HDF5 C API with every documented
 * field present, of the documented type, and equal to what the trainer
 * computed (the schema test); results_read gives back the same records; a
 * publish replaces the file whole and a failed one leaves it untouched; a
 * rerun's grid keeps, renames, adds and retires records by the rules in
 * results.h; and files that are missing, not HDF5, another program's or
 * damaged are refused with one line naming them. Uses the real dataset. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/results.h"
#include "settings.h"
#include "testing.h"
#include "store/weights_file.h"

static dataset data;
static char dir[64], path[128];

static const char *const tiny_grid =
    "[sweep]\nname = rt\n[data]\ntrain_limit = 1000\ntest_limit = 200\n"
    "[train]\nepochs = 2\n[model]\nconv = 4\ndense = 8\nbatch_norm = yes\n"
    "dropout = 0 | 0.25\n";

static sweep_config *grid(const char *text)
{
    char err[512];
    sweep_config *c = config_parse(text, "rt.cfg", err, sizeof err);
    EXPECT(c != NULL, "%s", err);
    return c;
}

/* Trains c's trial i to the end and records it as the scheduler does. */
static trainer *train_and_record(sweep_results *r, const sweep_config *c, int i)
{
    trainer *tr = new_test_trainer(&c->trials[i], &data);
    trial_record *t = results_trial(r, i);
    results_trial_started(t, 2, "node7", "SkylakeX");
    while (!tr->stopped)
        results_epoch(t, trainer_epoch(tr));
    test_result test;
    trainer_test(tr, &test);
    char weights[RESULTS_WEIGHTS_PATH_MAX], link[RESULTS_WEIGHTS_PATH_MAX], err[512];
    EXPECT(weights_file_place(path, r->started, &t->settings, weights, sizeof weights, link,
                              sizeof link) == 0, "weights path");
    EXPECT(weights_file_write(weights, &t->settings, tr->net->params, tr->net->n_params,
                              tr->net->state, tr->net->n_state, err, sizeof err) == 0, "%s", err);
    results_trial_done(t, tr->epochs_done, tr->best_epoch, &test, tr->test_predictions,
                       data.test.count, weights);
    return tr;
}

/* ---- reading the file with nothing but HDF5 ---------------------------- */

/* The member's type class, or -1 if the compound has no such member. */
static int member_class(hid_t compound, const char *name)
{
    int i = H5Tget_member_index(compound, name);
    return i < 0 ? -1 : (int)H5Tget_member_class(compound, (unsigned)i);
}

static double summary_double(hid_t file, const char *field)
{
    hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(double));
    H5Tinsert(mem, field, 0, H5T_NATIVE_DOUBLE);
    double values[2] = { NAN, NAN };
    hid_t set = H5Dopen2(file, "summary", H5P_DEFAULT);
    EXPECT(H5Dread(set, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0, "reading %s", field);
    H5Dclose(set);
    H5Tclose(mem);
    return values[0];
}

static void test_summary_has_every_documented_field_with_its_type(void)
{
    static const char *const strings[] = { "name", "hash", "experiment", "conv", "groups",
                                           "dense", "host", "blas_core", "started", "finished" };
    static const char *const integers[] = { "in_grid", "batch_norm", "batch_size", "epochs",
                                            "patience", "seed", "train_limit", "test_limit",
                                            "epochs_run", "best_epoch", "ranks" };
    static const char *const floats[] = { "dropout", "l2", "learning_rate", "validation_split",
                                          "val_accuracy", "test_accuracy", "test_loss",
                                          "precision", "recall", "f1", "rmse", "train_seconds" };
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t set = H5Dopen2(file, "summary", H5P_DEFAULT);
    hid_t type = H5Dget_type(set);
    EXPECT(H5Tget_class(type) == H5T_COMPOUND, "/summary is a compound dataset");
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        EXPECT(member_class(type, strings[i]) == H5T_STRING, "%s is a string", strings[i]);
    for (size_t i = 0; i < sizeof integers / sizeof *integers; i++)
        EXPECT(member_class(type, integers[i]) == H5T_INTEGER, "%s is an integer", integers[i]);
    for (size_t i = 0; i < sizeof floats / sizeof *floats; i++)
        EXPECT(member_class(type, floats[i]) == H5T_FLOAT, "%s is a float", floats[i]);
    EXPECT(member_class(type, "status") == H5T_ENUM, "status is an enum");
    hid_t status = H5Tget_member_type(type, (unsigned)H5Tget_member_index(type, "status"));
    for (int v = TRIAL_PENDING; v <= TRIAL_INTERRUPTED; v++) {
        char name[32] = "";
        signed char value = (signed char)v;
        H5Tenum_nameof(status, &value, name, sizeof name);
        EXPECT(strcmp(name, trial_status_names[v]) == 0, "enum value %d is %s", v, name);
    }
    H5Tclose(status);
    H5Tclose(type);
    H5Dclose(set);
    H5Fclose(file);
}

static void expect_same_floats(hid_t file, const char *name, const float *want, size_t count)
{
    float *got = calloc(count, sizeof *got);
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    EXPECT(set >= 0 && H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, got) >= 0,
           "reading %s", name);
    EXPECT(memcmp(got, want, count * sizeof *got) == 0, "%s equals the trained tensor", name);
    if (set >= 0)
        H5Dclose(set);
    free(got);
}

/* The published numbers are the trainer's own: test figures, confusion
 * matrix, predictions, history, and every weight tensor by layer name. */
static void test_published_values_are_what_the_trainer_computed(void)
{
    sweep_config *c = grid(tiny_grid);
    sweep_results r;
    results_init(&r);
    results_adopt_grid(&r, c);
    trainer *tr = train_and_record(&r, c, 0);
    char err[512];
    EXPECT(results_publish(&r, path, err, sizeof err) == 0, "%s", err);
    EXPECT(access(path, F_OK) == 0, "published");
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    EXPECT(access(tmp, F_OK) != 0, "no %s left", tmp);

    const trial_record *t = results_trial(&r, 0);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    EXPECT(summary_double(file, "test_accuracy") == t->test.metrics.accuracy, "test_accuracy");
    EXPECT(summary_double(file, "test_loss") == t->test.loss, "test_loss");
    EXPECT(summary_double(file, "f1") == t->test.metrics.f1, "f1");
    EXPECT(summary_double(file, "val_accuracy") == tr->best_val_accuracy, "val_accuracy");

    long confusion[N_CLASSES][N_CLASSES];
    hid_t set = H5Dopen2(file, "trials/rt_dropout-0/confusion_matrix", H5P_DEFAULT);
    EXPECT(H5Dread(set, H5T_NATIVE_LONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, confusion) >= 0, "cm");
    EXPECT(memcmp(confusion, t->test.metrics.confusion, sizeof confusion) == 0, "confusion");
    H5Dclose(set);

    uint8_t *predictions = calloc((size_t)data.test.count, 1);
    set = H5Dopen2(file, "trials/rt_dropout-0/predictions", H5P_DEFAULT);
    EXPECT(H5Dread(set, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, predictions) >= 0, "p");
    EXPECT(memcmp(predictions, tr->test_predictions, (size_t)data.test.count) == 0, "predictions");
    H5Dclose(set);
    free(predictions);

    /* tr's net holds the best weights after trainer_test; the results file
     * reaches them through an external link to their own file. */
    H5L_info_t link;
    EXPECT(H5Lget_info(file, "trials/rt_dropout-0/weights", &link, H5P_DEFAULT) >= 0 &&
           link.type == H5L_TYPE_EXTERNAL, "/trials/rt_dropout-0/weights is not an external link");
    for (int i = 0; i < tr->net->n_tensors; i++) {
        const net_tensor *nt = &tr->net->tensors[i];
        char name[160];
        snprintf(name, sizeof name, "trials/rt_dropout-0/weights/%s", nt->name);
        *strrchr(name, '.') = '/';
        expect_same_floats(file, name, net_tensor_data(tr->net, nt, 0), nt->count);
    }
    H5Fclose(file);
    trainer_free(tr);
    results_free(&r);
    config_free(c);
}

/* ---- reading it back ----------------------------------------------------- */

static void test_read_back_gives_the_same_records(void)
{
    sweep_config *c = grid(tiny_grid);
    sweep_results r, back;
    results_init(&r);
    results_adopt_grid(&r, c);
    trainer *tr = train_and_record(&r, c, 1);
    char err[512];
    EXPECT(results_publish(&r, path, err, sizeof err) == 0, "%s", err);
    EXPECT(results_read(&back, path, err, sizeof err) == 0, "%s", err);
    EXPECT(back.n_records == 2, "%d records", back.n_records);
    const trial_record *a = results_trial(&r, 1), *b = &back.records[1];
    EXPECT(b->status == TRIAL_DONE && back.records[0].status == TRIAL_PENDING, "statuses");
    EXPECT(b->settings.hash == a->settings.hash && strcmp(b->settings.name, a->settings.name) == 0,
           "settings");
    EXPECT(b->n_history == a->n_history &&
           memcmp(b->history, a->history, sizeof *a->history * (size_t)a->n_history) == 0,
           "history");
    EXPECT(memcmp(&b->test.metrics.confusion, &a->test.metrics.confusion,
                  sizeof a->test.metrics.confusion) == 0, "confusion");
    EXPECT(b->test.metrics.accuracy == a->test.metrics.accuracy && b->test.loss == a->test.loss,
           "figures");
    EXPECT(strcmp(b->weights_file, a->weights_file) == 0 &&
           strcmp(b->weights_object, WEIGHTS_OBJECT) == 0, "weights at %s:%s, written to %s",
           b->weights_file, b->weights_object, a->weights_file);
    net *n = net_new(&b->settings, 1, err, sizeof err);
    EXPECT(n && weights_file_read(b->weights_file, b->weights_object, n, err, sizeof err) == 0,
           "%s", err);
    EXPECT(n && memcmp(n->params, tr->net->params, n->n_params * sizeof(float)) == 0 &&
           memcmp(n->state, tr->net->state, n->n_state * sizeof(float)) == 0,
           "the weights read back differ from the trained ones");
    net_free(n);
    trainer_free(tr);
    EXPECT(strcmp(b->host, "node7") == 0 && b->ranks == 2, "host %s ranks %d", b->host, b->ranks);
    EXPECT(strcmp(b->blas_core, "SkylakeX") == 0, "blas_core %s", b->blas_core);
    EXPECT(isnan(back.records[0].test.metrics.accuracy), "pending figures are NaN");
    results_free(&back);
    results_free(&r);
    config_free(c);
}

/* The whole file's bytes, or NULL; *size set. */
static char *file_bytes(const char *file, long *size)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    rewind(f);
    char *bytes = malloc((size_t)*size + 1);
    if (fread(bytes, 1, (size_t)*size, f) != (size_t)*size) {
        free(bytes);
        bytes = NULL;
    }
    fclose(f);
    return bytes;
}

/* A publish over the same path that fails (its .tmp cannot be created:
 * a directory stands there) leaves the published file byte for byte. */
static void test_failed_publish_leaves_the_old_file_untouched(void)
{
    char tmp[200], inner[220], err[512];
    long before_size = 0, after_size = 0;
    char *before = file_bytes(path, &before_size);
    EXPECT(before && before_size > 0, "no published file at %s", path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(inner, sizeof inner, "%s/keep", tmp);
    EXPECT(mkdir(tmp, 0755) == 0 && mkdir(inner, 0755) == 0, "cannot make %s", inner);
    sweep_config *c = grid(tiny_grid);
    sweep_results r;
    results_init(&r);
    results_adopt_grid(&r, c);
    EXPECT(results_publish(&r, path, err, sizeof err) == -1, "publish over a directory .tmp");
    EXPECT(strstr(err, path) != NULL, "message names the file: %s", err);
    char *after = file_bytes(path, &after_size);
    EXPECT(after && after_size == before_size && memcmp(before, after, (size_t)before_size) == 0,
           "the old file changed (%ld bytes, was %ld)", after_size, before_size);
    rmdir(inner);
    rmdir(tmp);
    free(before);
    free(after);
    results_free(&r);
    config_free(c);
}

/* ---- a rerun's grid ------------------------------------------------------- */

static void test_changed_grid_keeps_results_by_settings(void)
{
    sweep_config *a = grid(tiny_grid);
    sweep_results r;
    results_init(&r);
    results_adopt_grid(&r, a);
    results_trial(&r, 0)->status = TRIAL_DONE;
    results_trial(&r, 1)->status = TRIAL_RUNNING;
    /* dropout 0 is renamed (a new experiment name), 0.25 is dropped, 0.5 is new. */
    sweep_config *b = grid("[sweep]\nname = rt\n[data]\ntrain_limit = 1000\ntest_limit = 200\n"
                           "[train]\nepochs = 2\n[model]\nconv = 4\ndense = 8\n"
                           "batch_norm = yes\n[experiment renamed]\ndropout = 0\n"
                           "[experiment rt_dropout-0.25]\ndropout = 0.5\n");
    int done = results_adopt_grid(&r, b);
    EXPECT(done == 1, "%d already done", done);
    EXPECT(r.n_records == 3, "%d records", r.n_records);
    EXPECT(strcmp(r.records[0].settings.name, "renamed") == 0 &&
           r.records[0].status == TRIAL_DONE && r.records[0].in_grid, "kept under its new name");
    EXPECT(r.records[1].status == TRIAL_PENDING && r.records[1].settings.dropout == 0.5, "new");
    EXPECT(!r.records[2].in_grid && r.records[2].status == TRIAL_INTERRUPTED,
           "the dropped trial is kept, out of the grid, interrupted (it was running)");
    EXPECT(strncmp(r.records[2].settings.name, "rt_dropout-0.25~", 16) == 0,
           "renamed because its name is taken: %s", r.records[2].settings.name);
    EXPECT(!results_needs_run(&r.records[2]) && results_needs_run(&r.records[1]) &&
           !results_needs_run(&r.records[0]), "only the new trial runs");
    results_free(&r);
    config_free(a);
    config_free(b);
}

static void test_running_trial_of_a_killed_job_resumes_as_interrupted(void)
{
    sweep_config *c = grid(tiny_grid);
    sweep_results r;
    results_init(&r);
    results_adopt_grid(&r, c);
    results_trial(&r, 0)->status = TRIAL_RUNNING;
    results_adopt_grid(&r, c);
    EXPECT(results_trial(&r, 0)->status == TRIAL_INTERRUPTED, "running becomes interrupted");
    EXPECT(results_needs_run(results_trial(&r, 0)), "and runs again");
    results_free(&r);
    config_free(c);
}

/* ---- files that are not ours ---------------------------------------------- */

static void expect_refused(const char *file, const char *fault)
{
    sweep_results r;
    char err[1024];
    EXPECT(results_read(&r, file, err, sizeof err) == -1, "%s refused", file);
    EXPECT(strncmp(err, file, strlen(file)) == 0 && strstr(err, fault) != NULL,
           "'%s' names %s and says '%s'", err, file, fault);
    EXPECT(r.n_records == 0 && r.records == NULL, "nothing left allocated");
}

static void test_bad_files_are_refused_with_their_name(void)
{
    char file[160];
    snprintf(file, sizeof file, "%s/missing.h5", dir);
    expect_refused(file, "No such file");

    snprintf(file, sizeof file, "%s/text.h5", dir);
    FILE *f = fopen(file, "w");
    fputs("name,accuracy\n", f);
    fclose(f);
    expect_refused(file, "not an HDF5 file");

    snprintf(file, sizeof file, "%s/foreign.h5", dir);
    hid_t h = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[1] = { 3 };
    int values[3] = { 1, 2, 3 };
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t set = H5Dcreate2(h, "x", H5T_NATIVE_INT, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(set, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    H5Dclose(set);
    H5Sclose(space);
    H5Fclose(h);
    expect_refused(file, "not a sweep results file");

    /* The published file cut to half its length. */
    snprintf(file, sizeof file, "%s/cut.h5", dir);
    f = fopen(path, "rb");
    char *bytes = calloc(1 << 20, 1);
    size_t n = fread(bytes, 1, 1 << 20, f);
    fclose(f);
    f = fopen(file, "wb");
    fwrite(bytes, 1, n / 2, f);
    fclose(f);
    free(bytes);
    sweep_results r;
    char err[1024];
    EXPECT(results_read(&r, file, err, sizeof err) == -1 && strncmp(err, file, strlen(file)) == 0,
           "a cut file is refused: %s", err);
}

int main(void)
{
    char err[512];
    if (dataset_load(&data, "/usr/share/datasets/fashion-mnist", 0.1, 1000, 200, err,
                     sizeof err) != 0) {
        fprintf(stderr, "test_results: %s\n", err);
        return 1;
    }
    snprintf(dir, sizeof dir, "/tmp/sweep-results.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/rt.h5", dir);
    RUN_TEST(test_published_values_are_what_the_trainer_computed);
    RUN_TEST(test_summary_has_every_documented_field_with_its_type);
    RUN_TEST(test_read_back_gives_the_same_records);
    RUN_TEST(test_failed_publish_leaves_the_old_file_untouched);
    RUN_TEST(test_changed_grid_keeps_results_by_settings);
    RUN_TEST(test_running_trial_of_a_killed_job_resumes_as_interrupted);
    RUN_TEST(test_bad_files_are_refused_with_their_name);
    char command[160];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    if (system(command) != 0)
        fprintf(stderr, "test_results: could not remove %s\n", dir);
    dataset_free(&data);
    return testing_finish("test_results");
}
