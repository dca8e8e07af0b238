/* test_recorder: rank 0's recorder as the scheduler drives it. A done
 * trial's weights go to their own file at once and the results file links
 * them; publishing is bounded in rate by its own cost (a publish made slow
 * with SWEEP_TEST_COMMIT_PAUSE_MS is followed by no other for 19 times its
 * duration), a trial's end that had to wait is published once the bound
 * allows, and closing publishes everything. Uses the real dataset (the
 * recorder checks the data files) and the real HDF5 library. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/net.h"
#include "store/recorder.h"
#include "store/results.h"
#include "testing.h"
#include "core/util.h"
#include "store/weights_file.h"

static char dir[64];

/* A grid of n tiny trials writing DIR/NAME.h5, publish_interval 0. */
static sweep_config *grid(const char *name, int n)
{
    char text[4096], err[512];
    int len = snprintf(text, sizeof text, "[sweep]\nname = %s\noutput = %s/%s.h5\n"
                       "publish_interval = 0\nseed = 1", name, dir, name);
    for (int s = 2; s <= n; s++)
        len += snprintf(text + len, sizeof text - (size_t)len, " | %d", s);
    snprintf(text + len, sizeof text - (size_t)len,
             "\n[data]\ntrain_limit = 64\ntest_limit = 64\n[train]\nepochs = 1\n"
             "[model]\nconv = 2\ndense = 4\n");
    sweep_config *c = config_parse(text, "recorder.cfg", err, sizeof err);
    EXPECT(c != NULL, "%s", err);
    return c;
}

static int open_recorder(recorder *rec, const sweep_config *c)
{
    recorder_options o = { NULL, 0, "test", 1, 1 };
    return recorder_open(rec, c, &o);
}

/* Trial i from start to done, with weights of its net's size. */
static void run_trial(recorder *rec, const sweep_config *c, int i, const net *n)
{
    uint8_t predictions[64] = { 0 };
    test_result test = { 0.5, { .count = 64, .accuracy = 0.25 } };
    recorder_started(rec, i, 1, "node1", "Haswell");
    recorder_epoch(rec, i, &(epoch_record){ 1, 0.9, 0.3, 0.8, 0.25, 0.01 });
    recorder_done(rec, i, 1, 1, &test, predictions, 64, n->params, n->n_params, n->state,
                  n->n_state);
    (void)c;
}

static int done_in_file(const char *path, int n)
{
    sweep_results r;
    char err[512];
    if (results_read(&r, path, err, sizeof err) != 0)
        return -1;
    int done = 0;
    for (int i = 0; i < r.n_records && i < n; i++)
        done += r.records[i].status == TRIAL_DONE;
    results_free(&r);
    return done;
}

static void test_done_trial_weights_go_to_their_own_file_at_once(void)
{
    sweep_config *c = grid("own", 2);
    recorder rec;
    char err[512];
    EXPECT(open_recorder(&rec, c) == 0, "open");
    net *n = net_new(&c->trials[0], 1, err, sizeof err);
    for (size_t k = 0; k < n->n_params; k++)
        n->params[k] = (float)k * 0.001f;
    run_trial(&rec, c, 0, n);
    trial_record *t = results_trial(&rec.results, 0);
    EXPECT(t->status == TRIAL_DONE && access(t->weights_file, R_OK) == 0,
           "status %d, weights file '%s'", t->status, t->weights_file);
    char expected[RESULTS_WEIGHTS_PATH_MAX], link[RESULTS_WEIGHTS_PATH_MAX];
    weights_file_place(rec.path, rec.results.started, &t->settings, expected, sizeof expected,
                       link, sizeof link);
    EXPECT(strcmp(t->weights_file, expected) == 0, "%s, not %s", t->weights_file, expected);
    net *back = net_new(&c->trials[0], 1, err, sizeof err);
    EXPECT(weights_file_read(t->weights_file, WEIGHTS_OBJECT, back, err, sizeof err) == 0, "%s",
           err);
    EXPECT(memcmp(back->params, n->params, n->n_params * sizeof(float)) == 0,
           "the weights file holds other weights");
    EXPECT(recorder_close(&rec) == 0, "close");
    EXPECT(done_in_file(c->output, 2) == 1, "the closed file has %d done", done_in_file(c->output, 2));
    net_free(back);
    net_free(n);
    config_free(c);
}

/* Each publish made to take 100 ms: ten trials ending at once are not ten
 * publishes; the next publish comes no sooner than 19 times the last one's
 * duration (so publishing is at most 5% of the time) and no later than
 * the first check after that; the ends that waited are then all in the
 * file. */
static void test_publishing_is_bounded_by_its_own_cost(void)
{
    sweep_config *c = grid("bounded", 10);
    recorder rec;
    char err[512];
    setenv("SWEEP_TEST_COMMIT_PAUSE_MS", "100", 1);
    double start = wall_seconds();
    EXPECT(open_recorder(&rec, c) == 0, "open");
    net *n = net_new(&c->trials[0], 1, err, sizeof err);
    int after_open = rec.publishes;
    for (int i = 0; i < 10; i++)
        run_trial(&rec, c, i, n);
    EXPECT(rec.publishes == after_open, "%d publishes within 19 x 100 ms of the first",
           rec.publishes - after_open);
    EXPECT(done_in_file(c->output, 10) == 0, "published before the bound allowed");
    EXPECT(rec.dirty && rec.trial_ended, "the ends are not waiting");
    /* the bound: 19 times the last publish's duration */
    double wait = 19 * rec.last_publish_seconds;
    EXPECT(rec.last_publish_seconds >= 0.1, "the pause did not slow the publish: %.3f s",
           rec.last_publish_seconds);
    while (wall_seconds() - rec.last_publish < wait - 0.05)
        usleep(10000);
    recorder_publish_if_due(&rec);
    EXPECT(rec.publishes == after_open, "published %.2f s early",
           wait - (wall_seconds() - rec.last_publish));
    usleep(100000);
    recorder_publish_if_due(&rec);
    EXPECT(rec.publishes == after_open + 1, "the waiting ends were not published when due");
    EXPECT(done_in_file(c->output, 10) == 10, "%d of 10 done in the file",
           done_in_file(c->output, 10));
    EXPECT(wall_seconds() - start >= 20 * 0.1, "two 100 ms publishes within %.2f s",
           wall_seconds() - start);
    unsetenv("SWEEP_TEST_COMMIT_PAUSE_MS");
    EXPECT(recorder_close(&rec) == 0, "close");
    net_free(n);
    config_free(c);
}

int main(void)
{
    if (testing_make_dir(dir, "recorder") != 0)
        return 1;
    RUN_TEST(test_done_trial_weights_go_to_their_own_file_at_once);
    RUN_TEST(test_publishing_is_bounded_by_its_own_cost);
    if (testing_remove_dir(dir) != 0)
        return 1;
    return testing_finish("test_recorder");
}
