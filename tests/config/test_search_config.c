/* test_search_config: the configuration side of [search] -- its keys and
 * their checks, distributions as values, the configurations random, sha
 * and asha draw (ranges, laws, determinism, what the draws depend on),
 * repeats with successive seeds, the dry run's search line and the
 * shipped sweep/search.cfg (run from the repository top).
 *
 * The statistical tests draw thousands of configurations from a fixed
 * seed, so each gives the same answer every run; the bounds are chosen so
 * that a correct sampler passes them for all but about one seed in a
 * thousand (or far fewer), while a wrong law (linear instead of log, a
 * bias towards one end, a missing value) fails them by a wide margin. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/trial.h"
#include "config_testing.h"
#include "core/util.h"
#include "testing.h"

#define DRAWS 2000

/* A sweep of one experiment and DRAWS random configurations, with the
 * [model] lines given (and any other section after them). */
static sweep_config *draws(const char *model_lines)
{
    char text[1024];
    snprintf(text, sizeof text, "[search]\nmethod = random\nsamples = %d\n[model]\n%s", DRAWS,
             model_lines);
    return parse(text);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The Kolmogorov-Smirnov statistic of values (sorted in place) against
 * the uniform law on [0, 1]. */
static double ks_uniform(double *values, int n)
{
    qsort(values, (size_t)n, sizeof *values, compare_doubles);
    double d = 0;
    for (int i = 0; i < n; i++) {
        double above = (double)(i + 1) / n - values[i], below = values[i] - (double)i / n;
        d = fmax(d, fmax(above, below));
    }
    return d;
}

/* KS's critical value at 0.1%: a uniform sample of n exceeds
 * sqrt(-ln(0.0005) / 2) / sqrt(n) = 1.949 / sqrt(n) with probability
 * 0.001 (0.0436 for 2000 draws). A law off by that much in its cumulative
 * distribution anywhere -- u^2 instead of u is off by 0.25 -- fails. */
static double ks_bound(int n)
{
    return sqrt(-log(0.0005) / 2) / sqrt(n);
}

/* |count - n p| within 5 standard deviations of a binomial(n, p): a
 * correct sampler misses it with probability below 6e-7 per count. */
static int count_plausible(int count, int n, double p)
{
    return fabs(count - n * p) <= 5 * sqrt(n * p * (1 - p));
}

/* ------------------------------------------------------------- [search] */

static void test_search_defaults_are_a_grid_of_one_seed(void)
{
    sweep_config *c = parse("[model]\ndropout = 0 | 0.2\n");
    EXPECT(c && c->search.method == SEARCH_GRID && c->search.samples == 0 &&
           c->search.repeats == 1 && c->search.reduction == 3 && c->search.min_epochs == 1 &&
           c->search.metric == METRIC_VAL_ACCURACY, "defaults");
    EXPECT(c && c->n_trials == 2 && c->trials[0].configuration == NULL, "a plain grid");
    config_free(c);
}

static void test_search_keys_set_the_search_options(void)
{
    sweep_config *c = parse("[train]\nepochs = 9\n[search]\nmethod = asha\nsamples = 5\n"
                            "repeats = 2\nreduction = 4\nmin_epochs = 2\nmetric = val_loss\n");
    EXPECT(c && c->search.method == SEARCH_ASHA && c->search.samples == 5 &&
           c->search.repeats == 2 && c->search.reduction == 4 && c->search.min_epochs == 2 &&
           c->search.metric == METRIC_VAL_LOSS, "every key");
    EXPECT(c && c->n_trials == 10, "5 configurations x 2 seeds: %d", c ? c->n_trials : -1);
    config_free(c);
    c = parse("[search]\nmethod = sha\nsamples = 3\n");
    EXPECT(c && c->search.method == SEARCH_SHA && c->n_trials == 3, "sha");
    config_free(c);
}

static void test_search_keys_errors(void)
{
    EXPECT_ERROR("[search]\nmethd = random\n",
                 "t.cfg:2: unknown key 'methd' in [search]; did you mean 'method'?");
    EXPECT_ERROR("[model]\nsample = 3\n",
                 "t.cfg:2: unknown key 'sample' in [model]; did you mean 'samples' in [search]?");
    EXPECT_ERROR("[search]\nzzzzzzzz = 1\n", "t.cfg:2: unknown key 'zzzzzzzz' in [search]; valid "
                 "keys: method, samples, repeats, reduction, min_epochs, metric");
    EXPECT_ERROR("[search]\nmethod = bayes\n",
                 "t.cfg:2: method: 'bayes' is not a search method; use grid, random, sha or asha");
    EXPECT_ERROR("[search]\nmetric = accuracy\n",
                 "t.cfg:2: metric: 'accuracy' is not a metric; use val_accuracy or val_loss");
    EXPECT_ERROR("[search]\nmethod = random\nsamples = 0\n",
                 "t.cfg:3: samples must be in [1,100000], got 0");
    EXPECT_ERROR("[search]\nmethod = random\nsamples = 100001\n",
                 "t.cfg:3: samples must be in [1,100000], got 100001");
    EXPECT_ERROR("[search]\nmethod = random\nsamples = 2.5\n",
                 "t.cfg:3: samples: '2.5' is not an integer");
    EXPECT_ERROR("[search]\nrepeats = 0\n", "t.cfg:2: repeats must be in [1,1000], got 0");
    EXPECT_ERROR("[search]\nrepeats = 1001\n", "t.cfg:2: repeats must be in [1,1000], got 1001");
    EXPECT_ERROR("[search]\nmethod = sha\nsamples = 3\nreduction = 1\n",
                 "t.cfg:4: reduction must be in [2,100], got 1");
    EXPECT_ERROR("[search]\nmethod = sha\nsamples = 3\nreduction = 101\n",
                 "t.cfg:4: reduction must be in [2,100], got 101");
    EXPECT_ERROR("[search]\nmethod = sha\nsamples = 3\nmin_epochs = 0\n",
                 "t.cfg:4: min_epochs must be in [1,100000], got 0");
    EXPECT_ERROR("[search]\nmethod = random | sha\n",
                 "t.cfg:2: method cannot have alternatives: it applies to the whole sweep");
    EXPECT_ERROR("[experiment a]\nsamples = 3\n",
                 "t.cfg:2: 'samples' can only be set in [search]: it applies to the whole sweep");
    EXPECT_ERROR("[search]\nmethod = random\n[search]\n",
                 "t.cfg:3: duplicate section [search] (first on line 1)");
}

static void test_search_keys_that_go_together(void)
{
    EXPECT_ERROR("[search]\nmethod = random\n",
                 "t.cfg:2: method = random needs samples = N, the configurations each "
                 "experiment draws");
    EXPECT_ERROR("[search]\nsamples = 3\n", "t.cfg:2: samples is for [search] method = random, "
                 "sha or asha; a grid tries every combination of its axes");
    EXPECT_ERROR("[search]\nmethod = random\nsamples = 3\nreduction = 2\n",
                 "t.cfg:4: reduction is for [search] method = sha or asha (successive halving), "
                 "not random");
    EXPECT_ERROR("[search]\nmin_epochs = 2\n",
                 "t.cfg:2: min_epochs is for [search] method = sha or asha (successive halving), "
                 "not grid");
    EXPECT_ERROR("[train]\nepochs = 3\n[search]\nmethod = sha\nsamples = 2\nmin_epochs = 4\n",
                 "t.cfg:6: min_epochs: 4 is more than the 3 epochs ([train] epochs) of trial "
                 "'t_sample-0'; the first rung must fit in the training");
    sweep_config *c = parse("[train]\nepochs = 4\n[search]\nmethod = sha\nsamples = 2\n"
                            "min_epochs = 4\n");
    EXPECT(c != NULL, "min_epochs = epochs is one rung");
    config_free(c);
}

/* ------------------------------------------------------- distributions */

static void test_distribution_errors_name_the_key(void)
{
    const char *head = "[search]\nmethod = random\nsamples = 3\n[model]\n";
    static const struct { const char *line, *message; } cases[] = {
        {"dropout = uniform(0.5, 0.1)",
         "dropout: uniform(0.5, 0.1): the low bound 0.5 is above the high bound 0.1"},
        {"dropout = uniform(0, 1.5)",
         "dropout: uniform(0, 1.5): dropout must be in [0,1), got 1.5"},
        {"dropout = uniform(0, x)", "dropout: uniform(0, x): 'x' is not a number"},
        {"dropout = uniform(0)", "dropout: uniform takes two bounds, uniform(a, b); got "
                                 "'uniform(0)'"},
        {"dropout = uniform(0, 0.1, 0.2)", "dropout: uniform takes two bounds, uniform(a, b); "
                                           "got 'uniform(0, 0.1, 0.2)'"},
        {"dropout = uniform(0, 0.5", "dropout: 'uniform(0, 0.5' is not uniform(a, b): it must "
                                     "end in ')'"},
        {"dropout = normal(0, 1)", "dropout: 'normal(0, 1)' is neither a value nor a "
         "distribution; the distributions are uniform(a, b), loguniform(a, b) and randint(a, b)"},
        {"dropout = choice(0, 0.2)", "dropout: write a choice as alternatives, a | b | c"},
        {"dropout = 0 | uniform(0, 0.5)", "dropout: the distribution 'uniform(0, 0.5)' cannot be "
                                          "one of several alternatives; write it alone"},
        {"l2 = loguniform(0, 0.01)",
         "l2: loguniform(0, 0.01): loguniform needs a low bound > 0, got 0"},
        {"dropout = randint(0, 1)", "dropout: randint(0, 1): randint draws integers, and dropout "
                                    "is not an integer setting; use uniform(a, b)"},
        {"conv = uniform(16, 32)", "conv: 'uniform(16, 32)': only numeric keys take a "
                                   "distribution; write conv's choices as alternatives, a | b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[512], want[512];
        snprintf(text, sizeof text, "%s%s\n", head, cases[i].line);
        snprintf(want, sizeof want, "t.cfg:5: %s", cases[i].message);
        EXPECT_ERROR(text, want);
    }
    EXPECT_ERROR("[train]\nbatch_size = randint(0, 64)\n",
                 "t.cfg:2: batch_size: randint(0, 64): batch_size must be in [1,8192], got 0");
    EXPECT_ERROR("[train]\nbatch_size = randint(8, 16.5)\n",
                 "t.cfg:2: batch_size: randint(8, 16.5): '16.5' is not an integer");
    EXPECT_ERROR("[sweep]\nseed = uniform(1, 9)\n",
                 "t.cfg:2: seed: uniform(1, 9): a seed is drawn with randint(a, b)");
    EXPECT_ERROR("[sweep]\nseed = randint(9, 1)\n",
                 "t.cfg:2: seed: randint(9, 1): the low bound 9 is above the high bound 1");
    EXPECT_ERROR("[search]\nmethod = random\nsamples = randint(1, 9)\n",
                 "t.cfg:3: samples: 'randint(1, 9)': samples takes one value, not a distribution: "
                 "it applies to the whole sweep");
}

static void test_distribution_in_a_grid_needs_a_random_method(void)
{
    EXPECT_ERROR("[model]\ndropout = 0 | 0.2\nl2 = loguniform(1e-5, 1e-2)\n",
                 "t.cfg:3: l2: loguniform(1e-5, 1e-2) is drawn at random, which needs [search] "
                 "method = random, sha or asha (a grid tries listed values: a | b)");
    /* the first in the file, an experiment's too */
    EXPECT_ERROR("[model]\nl2 = 0\n[experiment a]\ndropout = uniform(0, 0.2)\n"
                 "[experiment b]\nl2 = uniform(0, 1)\n",
                 "t.cfg:4: dropout: uniform(0, 0.2) is drawn at random, which needs [search] "
                 "method = random, sha or asha (a grid tries listed values: a | b)");
    sweep_config *c = parse("[model]\ndropout = uniform(0, 0.2)\n[search]\nmethod = random\n"
                            "samples = 2\n");
    EXPECT(c && c->n_trials == 2, "[search] after the distribution");
    config_free(c);
}

/* ------------------------------------------------------------ the draws */

static void test_random_configurations_are_named_to_sort(void)
{
    sweep_config *c = parse("[sweep]\nname = quick\n[model]\ndropout = uniform(0, 0.5)\n"
                            "[search]\nmethod = random\nsamples = 27\n");
    EXPECT(c && c->n_trials == 27, "27 configurations");
    for (int i = 0; c && i < c->n_trials; i++) {
        char want[32];
        snprintf(want, sizeof want, "quick_sample-%02d", i);
        EXPECT(strcmp(c->trials[i].name, want) == 0, "%s, want %s", c->trials[i].name, want);
        EXPECT(strcmp(c->trials[i].experiment, "quick") == 0, "%s", c->trials[i].experiment);
        EXPECT(c->trials[i].configuration == NULL, "one repeat: no label");
    }
    EXPECT(c && find_trial(c, "quick_sample-07") == 7, "quick_sample-07");
    config_free(c);
    c = parse("[sweep]\nname = q\n[search]\nmethod = random\nsamples = 10\n");
    EXPECT(c && strcmp(c->trials[9].name, "q_sample-9") == 0, "width of 9 is 1");
    config_free(c);
    c = parse("[sweep]\nname = q\n[search]\nmethod = random\nsamples = 101\n");
    EXPECT(c && strcmp(c->trials[3].name, "q_sample-003") == 0, "width of 100 is 3");
    config_free(c);
}

static void test_draws_stay_inside_their_ranges(void)
{
    sweep_config *c = draws("dropout = uniform(0.1, 0.3)\nl2 = loguniform(1e-5, 1e-2)\n"
                            "conv = 8 | 16 | 8,16\n[train]\nbatch_size = randint(16, 64)\n"
                            "patience = uniform(2, 4)\nepochs = loguniform(1, 10)\n"
                            "[data]\nvalidation_split = uniform(0, 0.5)\n");
    EXPECT(c && c->n_trials == DRAWS, "%d", c ? c->n_trials : -1);
    for (int i = 0; c && i < c->n_trials; i++) {
        const trial_settings *t = &c->trials[i];
        EXPECT(t->dropout >= 0.1 && t->dropout <= 0.3, "%s dropout %.17g", t->name, t->dropout);
        EXPECT(t->l2 >= 1e-5 && t->l2 <= 1e-2, "%s l2 %.17g", t->name, t->l2);
        EXPECT(t->batch_size >= 16 && t->batch_size <= 64, "%s batch %d", t->name, t->batch_size);
        EXPECT(t->patience >= 2 && t->patience <= 4, "%s patience %d", t->name, t->patience);
        EXPECT(t->epochs >= 1 && t->epochs <= 10, "%s epochs %d", t->name, t->epochs);
        EXPECT(t->validation_split >= 0 && t->validation_split <= 0.5, "%s", t->name);
        EXPECT(t->n_blocks == 1 || (t->n_blocks == 2 && t->block_filters[1][0] == 16), "%s",
               t->name);
    }
    config_free(c);
}

static void test_uniform_draws_are_uniform(void)
{
    sweep_config *c = draws("dropout = uniform(0.1, 0.3)\n");
    double *u = xcalloc(DRAWS, sizeof *u);
    for (int i = 0; c && i < DRAWS; i++)
        u[i] = (c->trials[i].dropout - 0.1) / 0.2;
    double d = ks_uniform(u, DRAWS);
    EXPECT(c && d < ks_bound(DRAWS), "KS statistic %.4f, bound %.4f", d, ks_bound(DRAWS));
    free(u);
    config_free(c);
}

static void test_loguniform_logs_are_uniform(void)
{
    sweep_config *c = draws("l2 = loguniform(1e-5, 1e-2)\n");
    double *u = xcalloc(DRAWS, sizeof *u);
    int below_1e_4 = 0;
    for (int i = 0; c && i < DRAWS; i++) {
        u[i] = (log10(c->trials[i].l2) + 5) / 3;
        below_1e_4 += c->trials[i].l2 < 1e-4;
    }
    double d = ks_uniform(u, DRAWS);
    EXPECT(c && d < ks_bound(DRAWS), "KS statistic of the logs %.4f, bound %.4f", d,
           ks_bound(DRAWS));
    /* a third of the decades, so a third of the draws (uniform: 1.8%) */
    EXPECT(count_plausible(below_1e_4, DRAWS, 1.0 / 3), "%d below 1e-4", below_1e_4);
    free(u);
    config_free(c);
}

static void test_randint_covers_every_integer(void)
{
    sweep_config *c = draws("[train]\npatience = randint(1, 6)\n");
    int counts[8] = {0};
    for (int i = 0; c && i < DRAWS; i++) {
        int v = c->trials[i].patience;
        EXPECT(v >= 1 && v <= 6, "patience %d", v);
        counts[v >= 1 && v <= 6 ? v : 0]++;
    }
    for (int v = 1; v <= 6; v++)
        EXPECT(count_plausible(counts[v], DRAWS, 1.0 / 6), "%d drawn %d times of %d", v,
               counts[v], DRAWS);
    config_free(c);
}

/* On an integer key loguniform rounds a log-uniform draw on [a - 0.5,
 * b + 0.5]: P(n <= 63) = ln(63.5 / 15.5) / ln(256.5 / 15.5) = 0.5025 for
 * loguniform(16, 256), where a uniform law would give 0.2. */
static void test_loguniform_on_an_integer_key_rounds_in_log_scale(void)
{
    sweep_config *c = draws("[train]\nbatch_size = loguniform(16, 256)\n");
    int low = 0, smallest = 1 << 30, largest = 0;
    for (int i = 0; c && i < DRAWS; i++) {
        int v = c->trials[i].batch_size;
        low += v <= 63;
        smallest = v < smallest ? v : smallest;
        largest = v > largest ? v : largest;
    }
    EXPECT(smallest >= 16 && largest <= 256, "drawn %d..%d", smallest, largest);
    EXPECT(count_plausible(low, DRAWS, log(63.5 / 15.5) / log(256.5 / 15.5)), "%d of %d <= 63",
           low, DRAWS);
    config_free(c);
}

static void test_choice_picks_every_alternative(void)
{
    sweep_config *c = draws("conv = 16,32 | 32,64 | 64,128\ndropout = 0 | 0.5\n");
    int counts[3] = {0}, zero = 0;
    for (int i = 0; c && i < DRAWS; i++) {
        int first = c->trials[i].block_filters[0][0];
        counts[first == 16 ? 0 : first == 32 ? 1 : 2]++;
        EXPECT(first == 16 || first == 32 || first == 64, "conv %d", first);
        zero += c->trials[i].dropout == 0;
    }
    for (int a = 0; a < 3; a++)
        EXPECT(count_plausible(counts[a], DRAWS, 1.0 / 3), "alternative %d drawn %d times", a,
               counts[a]);
    EXPECT(count_plausible(zero, DRAWS, 0.5), "dropout 0 drawn %d times", zero);
    config_free(c);
}

static void test_seed_may_be_drawn(void)
{
    sweep_config *c = draws("[sweep]\nseed = randint(1000, 1999)\n");
    int distinct_neighbours = 0;
    for (int i = 0; c && i < DRAWS; i++) {
        EXPECT(c->trials[i].seed >= 1000 && c->trials[i].seed <= 1999, "%" PRIu64,
               c->trials[i].seed);
        distinct_neighbours += i > 0 && c->trials[i].seed != c->trials[i - 1].seed;
    }
    EXPECT(distinct_neighbours > DRAWS * 9 / 10, "%d", distinct_neighbours);
    config_free(c);
}

static void test_drawn_values_are_hashed_as_drawn(void)
{
    sweep_config *c = parse("[model]\ndropout = uniform(0, 0.5)\n[search]\nmethod = random\n"
                            "samples = 3\n");
    for (int i = 0; c && i < c->n_trials; i++) {
        const trial_settings *t = &c->trials[i];
        char text[TRIAL_TEXT_MAX], line[64];
        trial_canonical_text(t, text, sizeof text);
        snprintf(line, sizeof line, "dropout = %.17g\n", t->dropout);
        EXPECT(strstr(text, line) != NULL, "%s lacks %s", t->name, line);
        EXPECT(t->hash == fnv1a64(text, strlen(text)), "%s hash", t->name);
        EXPECT(t->dropout != 0 && t->dropout != 0.5, "%s drew %.17g", t->name, t->dropout);
    }
    EXPECT(c && c->trials[0].hash != c->trials[1].hash, "two configurations, two hashes");
    config_free(c);
}

/* ----------------------------------------------- what the draws depend on */

static const char *const search_text =
    "[sweep]\nname = quick\n[model]\ndropout = uniform(0, 0.5)\nl2 = loguniform(1e-5, 1e-2)\n"
    "conv = 16,32 | 32,64\n[search]\nmethod = sha\nsamples = 27\n[train]\nepochs = 9\n";

static void test_same_file_gives_same_trials(void)
{
    sweep_config *a = parse(search_text), *b = parse(search_text);
    EXPECT(a && b && a->n_trials == 27 && b->n_trials == 27, "27 each");
    for (int i = 0; a && b && i < a->n_trials; i++) {
        EXPECT(strcmp(a->trials[i].name, b->trials[i].name) == 0, "%s", a->trials[i].name);
        EXPECT(a->trials[i].hash == b->trials[i].hash, "%s hash", a->trials[i].name);
        EXPECT(a->trials[i].dropout == b->trials[i].dropout, "%s", a->trials[i].name);
    }
    config_free(a);
    config_free(b);
}

static void test_another_sweep_seed_gives_other_draws(void)
{
    char text[1024];
    /* search_text has its [sweep]: the seed comes as --set would bring it */
    snprintf(text, sizeof text, "%s[set]\nsweep.seed = 44\n", search_text);
    sweep_config *a = parse(search_text), *b = parse(text);
    int same = 0;
    for (int i = 0; a && b && i < a->n_trials; i++)
        same += a->trials[i].dropout == b->trials[i].dropout ||
                a->trials[i].l2 == b->trials[i].l2;
    EXPECT(a && b && same == 0, "%d of 27 draws unchanged", same);
    EXPECT(b && b->trials[0].seed == 44, "the configurations' seed too");
    config_free(a);
    config_free(b);
}

/* A key's draw is its own: another key gaining an axis, or the order of
 * the lines, moves no other key's values. */
static void test_draws_do_not_depend_on_other_keys(void)
{
    sweep_config *a = parse(search_text);
    char text[1024];
    snprintf(text, sizeof text, "%s[data]\ntrain_limit = 600 | 1200\n[set]\n"
             "model.conv = 8 | 16 | 32\n", search_text);
    sweep_config *b = parse(text);
    for (int i = 0; a && b && i < a->n_trials; i++) {
        EXPECT(a->trials[i].dropout == b->trials[i].dropout, "%s dropout", a->trials[i].name);
        EXPECT(a->trials[i].l2 == b->trials[i].l2, "%s l2", a->trials[i].name);
    }
    config_free(a);
    config_free(b);
    a = parse("[sweep]\nname = q\n[model]\nl2 = uniform(0, 1)\ndropout = uniform(0, 0.5)\n"
              "[search]\nmethod = random\nsamples = 5\n");
    b = parse("[search]\nsamples = 5\nmethod = random\n[model]\ndropout = uniform(0, 0.5)\n"
              "l2 = uniform(0, 1)\n[sweep]\nname = q\n");
    for (int i = 0; a && b && i < 5; i++)
        EXPECT(a->trials[i].hash == b->trials[i].hash, "line order, trial %d", i);
    config_free(a);
    config_free(b);
}

static void test_experiments_and_configurations_draw_apart(void)
{
    sweep_config *c = parse("[model]\ndropout = uniform(0, 0.5)\n[search]\nmethod = random\n"
                            "samples = 50\n[experiment a]\n[experiment b]\n");
    EXPECT(c && c->n_trials == 100, "%d", c ? c->n_trials : -1);
    EXPECT(c && strcmp(c->trials[50].name, "b_sample-00") == 0, "%s", c ? c->trials[50].name : "");
    int same = 0, repeated = 0;
    for (int i = 0; c && i < 50; i++) {
        same += c->trials[i].dropout == c->trials[50 + i].dropout;
        repeated += i > 0 && c->trials[i].dropout == c->trials[i - 1].dropout;
    }
    EXPECT(same == 0 && repeated == 0, "%d equal across experiments, %d in a row", same, repeated);
    config_free(c);
}

/* ------------------------------------------------------------- repeats */

static void test_repeats_give_successive_seeds(void)
{
    sweep_config *c = parse("[sweep]\nname = quick\nseed = 43\n[model]\ndropout = 0 | 0.2\n"
                            "[search]\nrepeats = 3\n");
    EXPECT(c && c->n_trials == 6, "%d", c ? c->n_trials : -1);
    static const char *const names[6] = {
        "quick_dropout-0_seed-43", "quick_dropout-0_seed-44", "quick_dropout-0_seed-45",
        "quick_dropout-0.2_seed-43", "quick_dropout-0.2_seed-44", "quick_dropout-0.2_seed-45",
    };
    for (int i = 0; c && i < 6; i++) {
        const trial_settings *t = &c->trials[i];
        EXPECT(strcmp(t->name, names[i]) == 0, "%s, want %s", t->name, names[i]);
        EXPECT(t->seed == 43 + (uint64_t)(i % 3), "%s seed %" PRIu64, t->name, t->seed);
        EXPECT(t->configuration && strcmp(t->configuration, i < 3 ? "quick_dropout-0"
                                                                  : "quick_dropout-0.2") == 0,
               "%s configuration %s", t->name, t->configuration ? t->configuration : "(none)");
        for (int j = 0; j < i; j++)
            EXPECT(t->hash != c->trials[j].hash, "%s and %s share a hash", t->name,
                   c->trials[j].name);
    }
    /* the label changes no hash: the repeat is the trial of its seed */
    sweep_config *single = parse("[sweep]\nname = quick\nseed = 44\n[model]\ndropout = 0.2\n");
    EXPECT(c && single && single->trials[0].hash == c->trials[4].hash, "hash of seed 44");
    config_free(single);
    config_free(c);
}

static void test_repeats_of_drawn_configurations_start_at_their_seed(void)
{
    sweep_config *c = parse("[sweep]\nname = quick\n[model]\ndropout = uniform(0, 0.5)\n"
                            "[search]\nmethod = random\nsamples = 27\nrepeats = 2\n"
                            "[experiment quick]\nseed = 100\n");
    EXPECT(c && c->n_trials == 54, "%d", c ? c->n_trials : -1);
    int at = find_trial(c, "quick_sample-07_seed-101");
    EXPECT(at == 15, "quick_sample-07_seed-101 at %d", at);
    if (at == 15) {
        const trial_settings *t = &c->trials[at], *first = &c->trials[at - 1];
        EXPECT(strcmp(first->name, "quick_sample-07_seed-100") == 0, "%s", first->name);
        EXPECT(t->seed == 101 && first->seed == 100, "seeds");
        EXPECT(t->dropout == first->dropout, "one configuration");
        EXPECT(t->configuration && strcmp(t->configuration, "quick_sample-07") == 0, "label");
        EXPECT(t->configuration == first->configuration, "one pooled label");
    }
    config_free(c);
}

static void test_one_repeat_keeps_names_and_hashes(void)
{
    const char *grid = "[sweep]\nname = quick\n[model]\ndropout = 0 | 0.2\nl2 = 0 | 0.001\n";
    char text[512];
    snprintf(text, sizeof text, "%s[search]\nmethod = grid\nrepeats = 1\n", grid);
    sweep_config *a = parse(grid), *b = parse(text);
    EXPECT(a && b && a->n_trials == 4 && b->n_trials == 4, "4 trials");
    for (int i = 0; a && b && i < 4; i++) {
        EXPECT(strcmp(a->trials[i].name, b->trials[i].name) == 0, "%s", b->trials[i].name);
        EXPECT(a->trials[i].hash == b->trials[i].hash, "%s", b->trials[i].name);
        EXPECT(b->trials[i].configuration == NULL, "%s labelled", b->trials[i].name);
    }
    config_free(a);
    config_free(b);
}

static void test_repeat_names_and_settings_must_be_unique(void)
{
    EXPECT_ERROR("[experiment a]\ndropout = 0.2 | 0\n[experiment a_dropout-0.2]\ndropout = 0.2\n"
                 "[search]\nrepeats = 2\n",
                 "t.cfg:3: duplicate trial name 'a_dropout-0.2_seed-43' (also made by experiment "
                 "'a' on line 1)");
    EXPECT_ERROR("[sweep]\nname = q\nseed = 43 | 44\n[search]\nrepeats = 2\n",
                 "t.cfg:5: repeats: trials 'q_seed-43_seed-44' and 'q_seed-44_seed-44' would "
                 "train the same settings (seed 44); the seeds of configurations must be at "
                 "least 2 apart");
    sweep_config *c = parse("[sweep]\nname = q\nseed = 43 | 53\n[search]\nrepeats = 10\n");
    EXPECT(c && c->n_trials == 20, "seeds 10 apart are fine");
    config_free(c);
    char text[256], want[256];
    snprintf(text, sizeof text, "[experiment %0120d]\n[search]\nrepeats = 2\n", 0);
    snprintf(want, sizeof want, "t.cfg:1: trial names of experiment '%0120d' would be longer "
             "than 127 characters; shorten the name or the axes", 0);
    EXPECT_ERROR(text, want);
}

static void test_trial_count_includes_repeats(void)
{
    EXPECT_ERROR("[search]\nmethod = random\nsamples = 1000\nrepeats = 101\n",
                 "t.cfg:1: the sweep has more than 100000 trials");
}

/* --------------------------------------------- --set, dry run, shipped file */

static void test_search_keys_take_set_options(void)
{
    char dir[64], path[128], err[ERR_SIZE] = "";
    EXPECT(testing_make_dir(dir, "search-config") == 0, "scratch dir");
    snprintf(path, sizeof path, "%s/s.cfg", dir);
    FILE *f = fopen(path, "w");
    EXPECT(f != NULL, "%s", path);
    if (!f)
        return;
    fputs("[model]\ndropout = 0 | 0.2\n", f);
    fclose(f);
    const char *const options[] = {"search.method=random", "search.samples=4",
                                   "model.l2=loguniform(1e-4, 1e-2)"};
    sweep_config *c = config_load_with(path, options, 3, err, sizeof err);
    EXPECT(c && c->search.method == SEARCH_RANDOM && c->n_trials == 4, "%s", err);
    EXPECT(c && c->trials[0].l2 >= 1e-4 && c->trials[0].l2 <= 1e-2, "drawn l2");
    config_free(c);
    const char *const bad[] = {"search.samples=4"};
    c = config_load_with(path, bad, 1, err, sizeof err);
    EXPECT(!c && strcmp(err, "--set search.samples=4: samples is for [search] method = random, "
                              "sha or asha; a grid tries every combination of its axes") == 0,
           "%s", err);
    config_free(c);
    testing_remove_dir(dir);
}

/* The dry run as text: the table, then the search line. */
static char *dry_run(const sweep_config *c)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    config_print_trials(c, out);
    fclose(out);
    return text;
}

static const char *last_line(const char *text)
{
    const char *end = text + strlen(text) - 1, *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    return start;
}

static void test_dry_run_lists_draws_and_says_the_search(void)
{
    sweep_config *c = parse(search_text);
    char *text = c ? dry_run(c) : NULL;
    EXPECT(text && strcmp(last_line(text), "search: sha, 27 configurations x 1 seed, rungs 1, 3, "
                                           "9 epochs\n") == 0, "%s", text ? last_line(text) : "");
    char drawn[64];
    snprintf(drawn, sizeof drawn, "%g", c ? c->trials[26].dropout : 0.0);
    EXPECT(text && strstr(strstr(text, "quick_sample-26"), drawn), "row 26 shows dropout %s",
           drawn);
    free(text);
    config_free(c);
    c = parse("[model]\ndropout = 0 | 0.2\n[search]\nrepeats = 3\n");
    text = c ? dry_run(c) : NULL;
    EXPECT(text && strcmp(last_line(text), "search: grid, 2 configurations x 3 seeds\n") == 0,
           "%s", text ? last_line(text) : "");
    free(text);
    config_free(c);
    c = parse("[train]\nepochs = 10\n[search]\nmethod = asha\nsamples = 1\nreduction = 2\n"
              "min_epochs = 3\n[experiment a]\n[experiment b]\nepochs = 3\n");
    text = c ? dry_run(c) : NULL;
    EXPECT(text && strcmp(last_line(text), "search: asha, 2 configurations x 1 seed, trials of 3 "
                          "epochs: rungs 3 epochs; trials of 10 epochs: rungs 3, 6, 10 epochs\n")
                       == 0, "%s", text ? last_line(text) : "");
    free(text);
    config_free(c);
    c = parse("[model]\ndropout = 0 | 0.2\n");
    text = c ? dry_run(c) : NULL;
    EXPECT(text && strncmp(last_line(text), "t_dropout-0.2 ", 14) == 0, "a grid says nothing: %s",
           text ? last_line(text) : "");
    free(text);
    config_free(c);
}

static void test_shipped_search_cfg_is_a_small_sha(void)
{
    char err[ERR_SIZE] = "";
    sweep_config *c = config_load("sweep/search.cfg", err, sizeof err);
    EXPECT(c != NULL, "%s", err);
    if (!c)
        return;
    EXPECT(c->search.method == SEARCH_SHA && c->search.reduction == 3 &&
           c->search.min_epochs == 1 && c->search.repeats == 1, "sha, 3, 1");
    EXPECT(c->n_trials >= 6 && c->n_trials <= 12, "%d configurations", c->n_trials);
    EXPECT(strcmp(c->trials[0].name, "search_sample-0") == 0, "%s", c->trials[0].name);
    for (int i = 0; i < c->n_trials; i++) {
        const trial_settings *t = &c->trials[i];
        EXPECT(t->train_limit > 0 && t->train_limit <= 12000 && t->epochs <= 9, "%s small",
               t->name);
        EXPECT(t->dropout >= 0 && t->dropout <= 0.5 && t->l2 >= 1e-5 && t->l2 <= 1e-2, "%s",
               t->name);
        EXPECT(t->block_filters[0][0] == 16 || t->block_filters[0][0] == 32, "%s", t->name);
    }
    config_free(c);
}

int main(void)
{
    RUN_TEST(test_search_defaults_are_a_grid_of_one_seed);
    RUN_TEST(test_search_keys_set_the_search_options);
    RUN_TEST(test_search_keys_errors);
    RUN_TEST(test_search_keys_that_go_together);
    RUN_TEST(test_distribution_errors_name_the_key);
    RUN_TEST(test_distribution_in_a_grid_needs_a_random_method);
    RUN_TEST(test_random_configurations_are_named_to_sort);
    RUN_TEST(test_draws_stay_inside_their_ranges);
    RUN_TEST(test_uniform_draws_are_uniform);
    RUN_TEST(test_loguniform_logs_are_uniform);
    RUN_TEST(test_randint_covers_every_integer);
    RUN_TEST(test_loguniform_on_an_integer_key_rounds_in_log_scale);
    RUN_TEST(test_choice_picks_every_alternative);
    RUN_TEST(test_seed_may_be_drawn);
    RUN_TEST(test_drawn_values_are_hashed_as_drawn);
    RUN_TEST(test_same_file_gives_same_trials);
    RUN_TEST(test_another_sweep_seed_gives_other_draws);
    RUN_TEST(test_draws_do_not_depend_on_other_keys);
    RUN_TEST(test_experiments_and_configurations_draw_apart);
    RUN_TEST(test_repeats_give_successive_seeds);
    RUN_TEST(test_repeats_of_drawn_configurations_start_at_their_seed);
    RUN_TEST(test_one_repeat_keeps_names_and_hashes);
    RUN_TEST(test_repeat_names_and_settings_must_be_unique);
    RUN_TEST(test_trial_count_includes_repeats);
    RUN_TEST(test_search_keys_take_set_options);
    RUN_TEST(test_dry_run_lists_draws_and_says_the_search);
    RUN_TEST(test_shipped_search_cfg_is_a_small_sha);
    return testing_finish("test_search_config");
}
