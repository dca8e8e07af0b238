/* test_checkpoint: a trainer written to an HDF5 checkpoint after epoch 1
 * and read into a fresh trainer finishes bit-identical to an uninterrupted
 * run; the file at PATH is only ever a whole checkpoint (no PATH.tmp left);
 * a missing file, a file that is not HDF5, a truncated file and another
 * trial's checkpoint are refused with one line naming the file, leaving the
 * trainer unchanged. Uses the real dataset (make deps). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/checkpoint.h"
#include "settings.h"
#include "testing.h"

static dataset data;
static char dir[64], path[128];

static trial_settings model(void)
{
    return settings_from_text("[sweep]\nname = ckpt\n[train]\nepochs = 3\n"
                              "[model]\nconv = 4, 8\ndense = 16\nbatch_norm = yes\n"
                              "dropout = 0.2\nl2 = 0.01\n");
}

static void test_resumed_from_file_finishes_like_an_uninterrupted_run(void)
{
    trial_settings t = model();
    trainer *straight = new_test_trainer(&t, &data), *first = new_test_trainer(&t, &data);
    trainer *resumed = new_test_trainer(&t, &data);
    trainer_fit(straight, NULL, NULL);
    trainer_epoch(first);
    char err[512];
    EXPECT(checkpoint_write(first, path, err, sizeof err) == 0, "%s", err);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    EXPECT(access(tmp, F_OK) != 0, "%s was left behind", tmp);
    EXPECT(checkpoint_read(resumed, path, err, sizeof err) == 0, "%s", err);
    EXPECT(resumed->epochs_done == 1 && resumed->adam->step == first->adam->step, "counters");
    trainer_fit(resumed, NULL, NULL);
    EXPECT(memcmp(resumed->net->params, straight->net->params,
                  sizeof(float) * straight->net->n_params) == 0, "weights differ");
    EXPECT(memcmp(resumed->best_params, straight->best_params,
                  sizeof(float) * straight->net->n_params) == 0, "best weights differ");
    for (int e = 0; e < straight->epochs_done; e++)
        EXPECT(resumed->history[e].val_accuracy == straight->history[e].val_accuracy &&
               resumed->history[e].loss == straight->history[e].loss, "epoch %d differs", e + 1);
    trainer_free(straight);
    trainer_free(first);
    trainer_free(resumed);
}

/* Each bad file must be refused with its path in the message, and the
 * trainer must be as it was. */
static void expect_refused(const char *file, const char *fault)
{
    trial_settings t = model();
    trainer *tr = new_test_trainer(&t, &data);
    float before = tr->net->params[0];
    char err[512] = "";
    EXPECT(checkpoint_read(tr, file, err, sizeof err) != 0, "%s was accepted", file);
    EXPECT(strstr(err, file) == err && strstr(err, fault), "err = '%s', wanted '%s'", err, fault);
    EXPECT(tr->epochs_done == 0 && tr->net->params[0] == before, "trainer changed");
    trainer_free(tr);
}

static void test_bad_checkpoints_are_refused_with_the_file_named(void)
{
    char file[160];
    snprintf(file, sizeof file, "%s/missing.h5", dir);
    expect_refused(file, "No such file");
    snprintf(file, sizeof file, "%s/text.h5", dir);
    FILE *f = fopen(file, "w");
    fputs("not hdf5\n", f);
    fclose(f);
    expect_refused(file, "not an HDF5 file");
    /* A checkpoint cut in half, as a crash without the rename would leave. */
    snprintf(file, sizeof file, "%s/cut.h5", dir);
    char command[400];
    snprintf(command, sizeof command, "head -c 3000 %s > %s", path, file);
    EXPECT(system(command) == 0, "%s", command);
    expect_refused(file, "damaged");
    /* Another trial's settings. */
    trial_settings other = model();
    other.hash ^= 1;
    trainer *stranger = new_test_trainer(&other, &data);
    char err[512];
    snprintf(file, sizeof file, "%s/other.h5", dir);
    EXPECT(checkpoint_write(stranger, file, err, sizeof err) == 0, "%s", err);
    trainer_free(stranger);
    expect_refused(file, "other trial settings");
}

static void test_unwritable_directory_is_reported(void)
{
    trial_settings t = model();
    trainer *tr = new_test_trainer(&t, &data);
    char err[512] = "";
    EXPECT(checkpoint_write(tr, "/nonexistent/dir/ckpt.h5", err, sizeof err) != 0, "written");
    EXPECT(strstr(err, "/nonexistent/dir/ckpt.h5.tmp: cannot create") == err, "err = '%s'", err);
    trainer_free(tr);
}

int main(void)
{
    char err[512];
    if (dataset_load(&data, "/usr/share/datasets/fashion-mnist", 0.1, 1000, 200, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    snprintf(dir, sizeof dir, "/tmp/sweep-ckpt.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/ckpt.h5", dir);
    RUN_TEST(test_resumed_from_file_finishes_like_an_uninterrupted_run);
    RUN_TEST(test_bad_checkpoints_are_refused_with_the_file_named);
    RUN_TEST(test_unwritable_directory_is_reported);
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    dataset_free(&data);
    return testing_finish("test_checkpoint");
}
