/* test_progress: the within-epoch progress line -- its text (fields, the
 * bar, a width it never passes), its timing (live every quarter second,
 * plain lines every interval, none at 0), and the trainer's step reports
 * it is built from (step 0, then every batch; after the last one the
 * running means are the epoch's own loss and accuracy, bit for bit).
 * Needs /usr/share/datasets/fashion-mnist for the last. */
#include <math.h>
#include <string.h>

#include "data/data.h"
#include "sched/progress.h"
#include "settings.h"
#include "testing.h"
#include "train/train.h"

#define DATA_DIR "/usr/share/datasets/fashion-mnist"

static dataset data;   /* 2,700 / 300 / 100 images */

static progress_figures figures_312_of_844(void)
{
    progress_figures f = { 3, 312, 844, 312L * 32, 4.6428, 0.41234, 0.85117 };
    return f;
}

static void test_line_says_step_rate_means_and_eta(void)
{
    progress_figures f = figures_312_of_844();
    char line[256];
    int n = progress_format(line, sizeof line, "s1e6", 20, &f, 0);
    /* 9984 images in 4.6428 s; 532 steps left at 4.6428/312 s each */
    const char *want = "s1e6 epoch 3/20  312/844 [======>.............]  2150 img/s  "
                       "loss 0.4123  acc 0.8512  ETA 8s";
    EXPECT(strcmp(line, want) == 0, "got '%s'", line);
    EXPECT(n == (int)strlen(line), "length %d of '%s'", n, line);
}

static void test_eta_is_written_as_keras_writes_it(void)
{
    progress_figures f = figures_312_of_844();
    char line[256];
    f.seconds = 312.0 * 478 / 532;   /* 478 s left: 7:58 */
    progress_format(line, sizeof line, "t", 1, &f, 0);
    EXPECT(strstr(line, "ETA 7:58") != NULL, "got '%s'", line);
    f.seconds = 312.0 * 3723 / 532;  /* 1:02:03 */
    progress_format(line, sizeof line, "t", 1, &f, 0);
    EXPECT(strstr(line, "ETA 1:02:03") != NULL, "got '%s'", line);
}

static void test_step_zero_has_no_means_and_no_eta(void)
{
    step_report r = { 1, 0, 10, 0, 0, 0.0, 0 };
    progress_figures f = progress_figures_from(&r, 0.0);
    char line[256];
    progress_format(line, sizeof line, "t", 1, &f, 0);
    EXPECT(strstr(line, "  0/10 [....") && strstr(line, "- img/s") && strstr(line, "ETA -"),
           "got '%s'", line);
}

static void test_last_step_fills_the_bar(void)
{
    progress_figures f = figures_312_of_844();
    f.step = f.steps;
    char line[256];
    progress_format(line, sizeof line, "t", 20, &f, 0);
    EXPECT(strstr(line, "[====================]") && strstr(line, "ETA 0s"), "got '%s'", line);
}

/* A line wider than the terminal wraps, and a carriage return then
 * redraws only its last row: the bar shrinks, then goes, then the end is cut. */
static void test_line_never_fills_the_terminal_width(void)
{
    progress_figures f = figures_312_of_844();
    char line[256];
    const char *name = "quick_dropout-0.2_l2-0.001";
    int columns[] = { 200, 110, 100, 80, 60, 20, 1 };
    for (int i = 0; i < 7; i++) {
        int n = progress_format(line, sizeof line, name, 20, &f, columns[i]);
        EXPECT(n < columns[i] && n == (int)strlen(line), "%d columns: %d '%s'", columns[i], n,
               line);
    }
    progress_format(line, sizeof line, name, 20, &f, 200);
    EXPECT(strstr(line, "[======>.............]"), "wide: '%s'", line);
    progress_format(line, sizeof line, name, 20, &f, 110);
    EXPECT(strstr(line, " 312/844 [====>.........]  2150 img/s"), "110: '%s'", line);
    progress_format(line, sizeof line, name, 20, &f, 100);
    EXPECT(!strchr(line, '[') && strstr(line, " 312/844  2150 img/s") && strstr(line, "ETA 8s"),
           "100: '%s'", line);
    progress_format(line, sizeof line, name, 20, &f, 80);
    EXPECT(strncmp(line, "quick_dropout-0.2_l2-0.001 epoch 3/20  312/844  2150 img/s", 58) == 0,
           "80: '%s'", line);
}

static void test_timer_is_due_once_per_interval(void)
{
    progress_timer t;
    progress_timer_start(&t, 0.25, 100.0);
    EXPECT(!progress_timer_due(&t, 100.0) && !progress_timer_due(&t, 100.24), "early");
    EXPECT(progress_timer_due(&t, 100.26), "not due after an interval");
    EXPECT(!progress_timer_due(&t, 100.30), "due twice within an interval");
    int shown = 0;
    for (double now = 100.30; now < 110.0; now += 0.001)  /* a step every millisecond */
        shown += progress_timer_due(&t, now);
    EXPECT(shown >= 38 && shown <= 40, "%d lines in 9.7 s at 4 a second", shown);
}

static void test_timer_of_zero_is_never_due(void)
{
    progress_timer t;
    progress_timer_start(&t, 0.0, 5.0);
    int shown = 0;
    for (double now = 5.0; now < 1e5; now += 7.0)
        shown += progress_timer_due(&t, now);
    EXPECT(shown == 0, "%d lines", shown);
}

/* An epoch shorter than the interval prints no plain line at all. */
static void test_timer_waits_a_whole_interval_first(void)
{
    progress_timer t;
    progress_timer_start(&t, 60.0, 0.0);
    EXPECT(!progress_timer_due(&t, 59.9), "a line before 60 s");
    EXPECT(progress_timer_due(&t, 60.0), "no line at 60 s");
}

typedef struct {
    step_report reports[64];
    int n;
} report_log;

static void keep_report(const step_report *r, void *ctx)
{
    report_log *log = ctx;
    if (log->n < 64)
        log->reports[log->n] = *r;
    log->n++;
}

static void test_trainer_reports_every_step_and_the_epoch_means(void)
{
    trial_settings t = settings_from_text("[sweep]\nname = p\n[train]\nepochs = 2\n"
                                          "batch_size = 100\n[model]\nconv = 4\ndense = 8\n"
                                          "l2 = 0.001\n");
    trainer *tr = new_test_trainer(&t, &data);
    report_log log = { .n = 0 };
    tr->on_step = keep_report;
    tr->on_step_ctx = &log;
    const int steps = (data.train.count + 99) / 100;
    for (int epoch = 1; epoch <= 2; epoch++) {
        log.n = 0;
        const epoch_record *r = trainer_epoch(tr);
        EXPECT(r && log.n == steps + 1, "epoch %d: %d reports for %d steps", epoch, log.n, steps);
        if (!r || log.n != steps + 1 || steps + 1 > 64)
            break;
        for (int k = 0; k <= steps; k++) {
            const step_report *s = &log.reports[k];
            int images = k * 100 < data.train.count ? k * 100 : data.train.count;
            EXPECT(s->epoch == epoch && s->step == k && s->steps == steps &&
                   s->images == images && s->rows == images,
                   "report %d: epoch %d step %d/%d images %ld rows %ld", k, s->epoch, s->step,
                   s->steps, s->images, s->rows);
        }
        const step_report *last = &log.reports[steps];
        EXPECT(last->loss_sum / last->rows == r->loss, "running loss %.17g, epoch %.17g",
               last->loss_sum / last->rows, r->loss);
        EXPECT((double)last->correct / last->rows == r->accuracy, "running accuracy %.17g, "
               "epoch %.17g", (double)last->correct / last->rows, r->accuracy);
    }
    trainer_free(tr);
}

/* The callback changes nothing the trainer computes. */
static void test_trainer_with_a_step_callback_trains_bit_identically(void)
{
    trial_settings t = settings_from_text("[sweep]\nname = p\n[train]\nepochs = 1\n"
                                          "batch_size = 100\n[model]\nconv = 4\ndense = 8\n");
    trainer *a = new_test_trainer(&t, &data), *b = new_test_trainer(&t, &data);
    report_log log = { .n = 0 };
    b->on_step = keep_report;
    b->on_step_ctx = &log;
    trainer_fit(a, NULL, NULL);
    trainer_fit(b, NULL, NULL);
    EXPECT(memcmp(a->net->params, b->net->params, sizeof(float) * a->net->n_params) == 0,
           "weights differ");
    EXPECT(log.n > 0, "no reports");
    trainer_free(a);
    trainer_free(b);
}


int main(void)
{
    RUN_TEST(test_line_says_step_rate_means_and_eta);
    RUN_TEST(test_eta_is_written_as_keras_writes_it);
    RUN_TEST(test_step_zero_has_no_means_and_no_eta);
    RUN_TEST(test_last_step_fills_the_bar);
    RUN_TEST(test_line_never_fills_the_terminal_width);
    RUN_TEST(test_timer_is_due_once_per_interval);
    RUN_TEST(test_timer_of_zero_is_never_due);
    RUN_TEST(test_timer_waits_a_whole_interval_first);
    char err[512];
    if (dataset_load(&data, DATA_DIR, 0.1, 3000, 100, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    RUN_TEST(test_trainer_reports_every_step_and_the_epoch_means);
    RUN_TEST(test_trainer_with_a_step_callback_trains_bit_identically);
    dataset_free(&data);
    return testing_finish("test_progress");
}
