/* test_plot: the parts of `sweep plot` that are arithmetic or text --
 * the PCA recovers known principal axes; the page lists every trial in
 * the table's order with one best mark and each state shown as such.
 * (tests/test_plot.sh draws real pictures from real sweeps.) */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "config/config.h"
#include "plot/features.h"
#include "plot/page.h"
#include "report/report.h"
#include "store/results.h"
#include "core/rng.h"
#include "records_fixture.h"
#include "testing.h"

static char dir[64];

/* 600 points in 6 dimensions spread 3 along u, 1 along v (orthonormal,
 * not axis-aligned), 0.05 in every direction, around an offset: the
 * components must be u and v, in that order, with the variance shares
 * 9 : 1 of the total. */
static void test_pca_recovers_known_principal_axes(void)
{
    enum { N = 600, D = 6 };
    const double u[D] = { 0.5, 0.5, 0.5, 0.5, 0, 0 };
    const double v[D] = { 0.5, -0.5, 0.5, -0.5, 0, 0 };
    static float x[N * D];
    static double a[N], b[N], xy[2 * N];
    rng_stream state = rng_stream_new(12345);
    for (int i = 0; i < N; i++) {
        /* uniform on [-sqrt3, sqrt3]: unit variance */
        a[i] = 3 * (2 * rng_uniform(&state) - 1) * sqrt(3.0);
        b[i] = 1 * (2 * rng_uniform(&state) - 1) * sqrt(3.0);
        for (int j = 0; j < D; j++)
            x[i * D + j] = (float)(7 + a[i] * u[j] + b[i] * v[j] +
                                   0.05 * (2 * rng_uniform(&state) - 1) * sqrt(3.0));
    }
    double explained[2];
    features_pca_2d(x, N, D, xy, explained);
    double saa = 0, sbb = 0, s1 = 0, s2 = 0, s11 = 0, s22 = 0, s1a = 0, s2b = 0;
    for (int i = 0; i < N; i++) {
        saa += a[i] * a[i]; sbb += b[i] * b[i];
        s1 += xy[2 * i]; s2 += xy[2 * i + 1];
        s11 += xy[2 * i] * xy[2 * i]; s22 += xy[2 * i + 1] * xy[2 * i + 1];
        s1a += xy[2 * i] * a[i]; s2b += xy[2 * i + 1] * b[i];
    }
    EXPECT(fabs(s1 / N) < 1e-3 && fabs(s2 / N) < 1e-3, "components not centred: %g %g", s1 / N, s2 / N);
    /* each component is its axis's coordinate up to sign (and the small noise) */
    EXPECT(fabs(s1a) / sqrt(s11 * saa) > 0.995, "pc1 is not along u: corr %g", s1a / sqrt(s11 * saa));
    EXPECT(fabs(s2b) / sqrt(s22 * sbb) > 0.98, "pc2 is not along v: corr %g", s2b / sqrt(s22 * sbb));
    double total = 9 + 1 + D * 0.05 * 0.05;
    EXPECT_NEAR(explained[0], 9 / total, 0.03, 0);
    EXPECT_NEAR(explained[1], 1 / total, 0.01, 0);
    /* the same input, the same picture */
    static double again[2 * N];
    double explained_again[2];
    features_pca_2d(x, N, D, again, explained_again);
    EXPECT(memcmp(xy, again, sizeof xy) == 0, "a second PCA differs");
}

/* The position of the first occurrence of needle in text, or -1. */
static long at(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    return p ? (long)(p - text) : -1;
}

static void test_page_lists_trials_in_table_order_with_states(void)
{
    char err[512];
    sweep_results r;
    sweep_config *c = records_fixture_make(&r, err, sizeof err);
    EXPECT(c, "%s", err);
    if (!c)
        return;
    const trial_record **order = report_order(&r);
    page_trial trials[7];
    memset(trials, 0, sizeof trials);
    for (int i = 0; i < 7; i++) {
        trials[i].trial = order[i];
        trials[i].best = i == 0;
        trials[i].reference_accuracy = i == 0 ? 0.8806 : NAN;
    }
    page_content p = { &r, "pg.h5", 7, trials, 0, NULL, 0, NULL };
    char path[128];
    snprintf(path, sizeof path, "%s/index.html", dir);
    EXPECT(page_write(&p, path, err, sizeof err) == 0, "%s", err);
    FILE *f = fopen(path, "r");
    static char html[1 << 16];
    size_t n = f ? fread(html, 1, sizeof html - 1, f) : 0;
    html[n] = 0;
    if (f)
        fclose(f);
    EXPECT(n > 0, "nothing written to %s", path);
    /* rows in the table's order: done by accuracy, then running,
     * interrupted, pending, failed */
    const char *const *expected = records_fixture_order, *const *state = records_fixture_state;
    long last = -1;
    for (int i = 0; i < 7; i++) {
        char row[256];
        snprintf(row, sizeof row, "<a href=\"#%s\">%s</a></td><td class=\"%s\">%s</td>", expected[i],
                 expected[i], state[i], state[i]);
        long pos = at(html, row);
        EXPECT(pos > last, "row %d (%s, %s) missing or out of order", i, expected[i], state[i]);
        last = pos;
    }
    /* one best row, and the reference shown beside it */
    long best = at(html, "<tr class=\"best\">");
    EXPECT(best >= 0 && at(html + best + 1, "<tr class=\"best\">") < 0, "not exactly one best row");
    EXPECT(at(html, "<td>0.9000</td><td>0.8806</td>") > best, "the best row lacks its accuracy and reference");
    /* a section per trial; an unfinished trial without figures says so */
    for (int i = 0; i < 7; i++) {
        char section[160];
        snprintf(section, sizeof section, "<h3 id=\"%s\">", expected[i]);
        EXPECT(at(html, section) >= 0, "no section for %s", expected[i]);
    }
    EXPECT(at(html, "the trial is pending and has no finished epoch") >= 0, "the pending trial's section");
    EXPECT(at(html, "7 trials: 3 done, 1 running, 1 interrupted, 1 pending, 1 failed") >= 0, "the counts line");
    EXPECT(at(html, "http") < 0, "the page refers to the network");
    free(order);
    results_free(&r);
    config_free(c);
}

int main(void)
{
    if (testing_make_dir(dir, "plot") != 0)
        return 1;
    RUN_TEST(test_pca_recovers_known_principal_axes);
    RUN_TEST(test_page_lists_trials_in_table_order_with_states);
    if (testing_remove_dir(dir) != 0)
        return 1;
    return testing_finish("test_plot");
}
