/* test_config: the sweep file format -- defaults, grid expansion, experiment
 * inheritance, trial names and hashes, every error message with its
 * FILE:LINE -- and the two shipped sweeps, sweep/quick.cfg and
 * sweep/report.cfg (run from the repository top). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/trial.h"
#include "config_testing.h"
#include "core/util.h"
#include "testing.h"

static void blocks_text(const trial_settings *t, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int b = 0; b < t->n_blocks; b++)
        for (int i = 0; i < t->block_convs[b]; i++)
            n += (size_t)snprintf(buf + n, size - n, "%s%d", i ? "/" : (b ? "," : ""),
                                  t->block_filters[b][i]);
}

/* ------------------------------------------------------------ defaults */

static void test_defaults_match_keras(void)
{
    trial_settings t;
    trial_defaults(&t);
    EXPECT(strcmp(t.data_dir, "/usr/share/datasets/fashion-mnist") == 0, "%s", t.data_dir);
    EXPECT(t.validation_split == 0.1, "%g", t.validation_split);
    EXPECT(t.train_limit == 0 && t.test_limit == 0, "limits %d %d", t.train_limit, t.test_limit);
    EXPECT(t.batch_size == 32, "%d", t.batch_size);
    EXPECT(t.epochs == 50, "%d", t.epochs);
    EXPECT(t.patience == 5, "%d", t.patience);
    EXPECT(t.learning_rate == 0.001, "%g", t.learning_rate);
    EXPECT(t.seed == 43, "%" PRIu64, t.seed);
    char blocks[256];
    blocks_text(&t, blocks, sizeof blocks);
    EXPECT(strcmp(blocks, "128,256,512") == 0, "%s", blocks);
    EXPECT(t.n_dense == 2 && t.dense_units[0] == 384 && t.dense_units[1] == 768, "dense");
    EXPECT(t.batch_norm == 0 && t.dropout == 0 && t.l2 == 0, "regularisation off");
}

static void test_empty_file_is_one_default_trial_named_after_file(void)
{
    char err[ERR_SIZE] = "";
    sweep_config *c = config_parse("# nothing but a comment\n", "sweeps/basic.cfg", err,
                                   sizeof err);
    EXPECT(c != NULL, "%s", err);
    if (!c)
        return;
    EXPECT(strcmp(c->name, "basic") == 0, "name %s", c->name);
    EXPECT(strcmp(c->output, "results/basic.h5") == 0, "output %s", c->output);
    EXPECT(strcmp(c->path, "sweeps/basic.cfg") == 0, "path %s", c->path);
    EXPECT(c->n_trials == 1, "%d trials", c->n_trials);
    trial_settings d;
    trial_defaults(&d);
    EXPECT(strcmp(c->trials[0].name, "basic") == 0, "%s", c->trials[0].name);
    EXPECT(strcmp(c->trials[0].experiment, "basic") == 0, "%s", c->trials[0].experiment);
    EXPECT(c->trials[0].hash == d.hash, "default trial hash");
    config_free(c);
}

static void test_sweep_name_and_output_can_be_set(void)
{
    sweep_config *c = parse("[sweep]\nname = my-run.2\noutput = /tmp/x/out.h5\n");
    EXPECT(c && strcmp(c->name, "my-run.2") == 0, "name");
    EXPECT(c && strcmp(c->output, "/tmp/x/out.h5") == 0, "output");
    EXPECT(c && strcmp(c->trials[0].name, "my-run.2") == 0, "trial named after sweep");
    config_free(c);
    c = parse("[sweep]\nname = other\n");
    EXPECT(c && strcmp(c->output, "results/other.h5") == 0, "default output follows name");
    config_free(c);
}

static void test_relative_paths_are_kept_as_written(void)
{
    sweep_config *c = parse("[sweep]\noutput = out/r.h5\n[data]\ndir = data/fm\n");
    EXPECT(c && strcmp(c->output, "out/r.h5") == 0, "output");
    EXPECT(c && strcmp(c->trials[0].data_dir, "data/fm") == 0, "dir");
    config_free(c);
}

static void test_comments_whitespace_and_crlf_are_ignored(void)
{
    sweep_config *c = parse("# head\r\n\r\n  [ model ]  # the model\r\n"
                            "\tdropout\t=\t0.25   # trailing\r\n   l2=0.5\r\n");
    EXPECT(c && c->n_trials == 1, "one trial");
    EXPECT(c && c->trials[0].dropout == 0.25, "dropout");
    EXPECT(c && c->trials[0].l2 == 0.5, "l2");
    config_free(c);
}

static void test_every_key_sets_its_field(void)
{
    sweep_config *c = parse("[sweep]\nseed = 7\n"
                            "[data]\ndir = d\nvalidation_split = 0\ntrain_limit = 100\n"
                            "test_limit = 50\n"
                            "[train]\nbatch_size = 8\nepochs = 2\npatience = 0\n"
                            "learning_rate = 1e-4\n"
                            "[model]\nconv = 8\ndense = 16\nbatch_norm = true\n"
                            "dropout = 0.5\nl2 = 0.01\n");
    if (!c)
        return;
    const trial_settings *t = &c->trials[0];
    EXPECT(t->seed == 7, "seed");
    EXPECT(strcmp(t->data_dir, "d") == 0 && t->validation_split == 0, "data");
    EXPECT(t->train_limit == 100 && t->test_limit == 50, "limits");
    EXPECT(t->batch_size == 8 && t->epochs == 2 && t->patience == 0, "train ints");
    EXPECT(t->learning_rate == 1e-4, "lr");
    EXPECT(t->n_blocks == 1 && t->block_convs[0] == 1 && t->block_filters[0][0] == 8, "conv");
    EXPECT(t->n_dense == 1 && t->dense_units[0] == 16, "dense");
    EXPECT(t->batch_norm == 1 && t->dropout == 0.5 && t->l2 == 0.01, "model");
    config_free(c);
}

/* reference_accuracy labels a trial for the plots; it is no setting: the
 * hash is that of the same trial without it. */
static void test_reference_accuracy_labels_a_trial_without_changing_its_hash(void)
{
    sweep_config *with = parse("[experiment a]\nreference_accuracy = 0.9190\n[experiment b]\ndropout = 0.2\n");
    sweep_config *without = parse("[experiment a]\n[experiment b]\ndropout = 0.2\n");
    EXPECT(with && without && with->n_trials == 2 && without->n_trials == 2, "two trials each");
    if (with && without && with->n_trials == 2 && without->n_trials == 2) {
        EXPECT(with->trials[0].reference_accuracy == 0.9190, "a: %g", with->trials[0].reference_accuracy);
        EXPECT(isnan(with->trials[1].reference_accuracy), "b has none: %g", with->trials[1].reference_accuracy);
        EXPECT(with->trials[0].hash == without->trials[0].hash, "the label changed the hash");
    }
    config_free(with);
    config_free(without);
    EXPECT_ERROR("[experiment a]\nreference_accuracy = 1.5\n",
                 "t.cfg:2: reference_accuracy must be in [0,1], got 1.5");
}

static void test_batch_norm_accepts_yes_no_true_false_1_0(void)
{
    const char *yes[] = {"yes", "true", "1", "YES", "True"}, *no[] = {"no", "false", "0", "No"};
    char text[64];
    for (int i = 0; i < 5; i++) {
        snprintf(text, sizeof text, "[model]\nbatch_norm = %s\n", yes[i]);
        sweep_config *c = parse(text);
        EXPECT(c && c->trials[0].batch_norm == 1, "%s", yes[i]);
        config_free(c);
    }
    for (int i = 0; i < 4; i++) {
        snprintf(text, sizeof text, "[model]\nbatch_norm = %s\n", no[i]);
        sweep_config *c = parse(text);
        EXPECT(c && c->trials[0].batch_norm == 0, "%s", no[i]);
        config_free(c);
    }
}

static void test_dense_none_means_no_hidden_layer(void)
{
    sweep_config *c = parse("[model]\ndense = none\n");
    EXPECT(c && c->trials[0].n_dense == 0, "n_dense");
    config_free(c);
}

/* ---------------------------------------------------------- architecture */

static void test_groups_parse_into_blocks(void)
{
    sweep_config *c = parse("[model]\ngroups = 256/128/256, 128/64/128, 256/128/32\n");
    if (!c)
        return;
    const trial_settings *t = &c->trials[0];
    EXPECT(t->n_blocks == 3, "%d blocks", t->n_blocks);
    int want[3][3] = {{256, 128, 256}, {128, 64, 128}, {256, 128, 32}};
    for (int b = 0; b < 3; b++) {
        EXPECT(t->block_convs[b] == 3, "block %d has %d convs", b, t->block_convs[b]);
        for (int i = 0; i < 3; i++)
            EXPECT(t->block_filters[b][i] == want[b][i], "block %d conv %d", b, i);
    }
    config_free(c);
}

static void test_conv_list_equals_single_conv_groups(void)
{
    sweep_config *a = parse("[model]\nconv = 32, 64\n");
    sweep_config *b = parse("[model]\ngroups = 32,64\n");
    EXPECT(a && b && a->trials[0].hash == b->trials[0].hash, "same hash");
    EXPECT(a && a->trials[0].n_blocks == 2 && a->trials[0].block_convs[1] == 1 &&
           a->trials[0].block_filters[1][0] == 64, "blocks");
    config_free(a);
    config_free(b);
}

static void test_four_blocks_is_the_most_28x28_allows(void)
{
    sweep_config *c = parse("[model]\nconv = 8,8,8,8\n");
    EXPECT(c && c->trials[0].n_blocks == 4, "four blocks build");
    config_free(c);
    EXPECT_ERROR("[model]\nconv = 8,8,8,8,8\n",
                 "t.cfg:2: conv: 5 blocks, but 28x28 input pooled 2x2 per block allows at most "
                 "4 (28->14->7->3->1)");
}

static void test_layer_count_limits(void)
{
    sweep_config *c = parse("[model]\ngroups = 1/2/3/4/5/6/7/8\ndense = 1,2,3,4,5,6,7,8\n");
    EXPECT(c && c->trials[0].block_convs[0] == TRIAL_MAX_STACK, "8 convs in a group");
    EXPECT(c && c->trials[0].n_dense == TRIAL_MAX_DENSE, "8 dense layers");
    config_free(c);
    EXPECT_ERROR("[model]\ngroups = 1/2/3/4/5/6/7/8/9\n",
                 "t.cfg:2: groups: 9 convs in the group '1/2/3/4/5/6/7/8/9'; at most 8");
    EXPECT_ERROR("[model]\ndense = 1,2,3,4,5,6,7,8,9\n", "t.cfg:2: dense: 9 layers; at most 8");
}

/* ------------------------------------------------------------ grid axes */

static void test_grid_axes_expand_as_cartesian_product(void)
{
    sweep_config *c = parse("[sweep]\nname = quick\n[model]\n"
                            "dropout = 0 | 0.2\nl2 = 0 | 0.01 | 0.1\n");
    if (!c)
        return;
    EXPECT(c->n_trials == 6, "%d trials", c->n_trials);
    /* dropout comes first in the fixed key order, so it varies slowest */
    const char *names[6] = {"quick_dropout-0_l2-0", "quick_dropout-0_l2-0.01",
                            "quick_dropout-0_l2-0.1", "quick_dropout-0.2_l2-0",
                            "quick_dropout-0.2_l2-0.01", "quick_dropout-0.2_l2-0.1"};
    double dropout[6] = {0, 0, 0, 0.2, 0.2, 0.2}, l2[6] = {0, 0.01, 0.1, 0, 0.01, 0.1};
    for (int i = 0; i < 6 && i < c->n_trials; i++) {
        EXPECT(strcmp(c->trials[i].name, names[i]) == 0, "trial %d is %s", i,
               c->trials[i].name);
        EXPECT(c->trials[i].dropout == dropout[i] && c->trials[i].l2 == l2[i], "trial %d", i);
        EXPECT(strcmp(c->trials[i].experiment, "quick") == 0, "experiment");
    }
    config_free(c);
}

static void test_axis_order_is_fixed_not_file_order(void)
{
    sweep_config *a = parse("[model]\ndropout = 0 | 0.2\nl2 = 0 | 0.01\n");
    sweep_config *b = parse("[model]\nl2 = 0 | 0.01\ndropout = 0 | 0.2\n");
    for (int i = 0; a && b && i < 4; i++)
        EXPECT(strcmp(a->trials[i].name, b->trials[i].name) == 0 &&
               a->trials[i].hash == b->trials[i].hash, "trial %d: %s vs %s", i,
               a->trials[i].name, b->trials[i].name);
    config_free(a);
    config_free(b);
}

static void test_list_values_as_axes_read_as_names(void)
{
    sweep_config *c = parse("[sweep]\nname = n\n[model]\nconv = 16,32 | 32, 64\n"
                            "dense = none | 64\n");
    EXPECT(c && c->n_trials == 4, "4 trials");
    EXPECT(find_trial(c, "n_conv-16x32_dense-none") == 0, "first");
    EXPECT(find_trial(c, "n_conv-32x64_dense-64") == 3, "last");
    config_free(c);
    c = parse("[sweep]\nname = g\n[model]\ngroups = 8/16, 32 | 8\n");
    EXPECT(find_trial(c, "g_groups-8.16x32") == 0, "groups part");
    EXPECT(find_trial(c, "g_groups-8") == 1, "single group");
    config_free(c);
}

static void test_numbers_in_names_are_normalised(void)
{
    sweep_config *c = parse("[sweep]\nname = n\n[train]\nlearning_rate = 1e-3 | 0.0005\n"
                            "[model]\ndropout = 0.20 | .1\n");
    EXPECT(find_trial(c, "n_learning_rate-0.001_dropout-0.2") == 0, "first");
    EXPECT(find_trial(c, "n_learning_rate-0.0005_dropout-0.1") == 3, "last");
    config_free(c);
}

static void test_equal_alternatives_are_rejected(void)
{
    EXPECT_ERROR("[model]\ndropout = 0.2 | 0.20\n",
                 "t.cfg:2: dropout: alternatives '0.2' and '0.20' give the same trial name "
                 "part 'dropout-0.2'");
}

static void test_seed_may_be_an_axis(void)
{
    sweep_config *c = parse("[sweep]\nname = s\nseed = 43 | 44\n");
    EXPECT(c && c->n_trials == 2, "2 trials");
    EXPECT(find_trial(c, "s_seed-43") == 0 && find_trial(c, "s_seed-44") == 1, "names");
    EXPECT(c && c->trials[1].seed == 44, "seed");
    EXPECT(c && c->trials[0].hash != c->trials[1].hash, "seed changes hash");
    config_free(c);
}

/* ---------------------------------------------------------- experiments */

static void test_experiment_overrides_base(void)
{
    sweep_config *c = parse("[train]\nepochs = 7\n[model]\ndropout = 0.1\nl2 = 0.5\n"
                            "[experiment a]\ndropout = 0.3\nepochs = 9\n"
                            "[experiment b]\n");
    if (!c)
        return;
    EXPECT(c->n_trials == 2, "%d trials", c->n_trials);
    EXPECT(strcmp(c->trials[0].name, "a") == 0 && strcmp(c->trials[1].name, "b") == 0,
           "names are the experiments' names");
    EXPECT(c->trials[0].dropout == 0.3 && c->trials[0].epochs == 9, "a overrides");
    EXPECT(c->trials[0].l2 == 0.5, "a inherits l2");
    EXPECT(c->trials[1].dropout == 0.1 && c->trials[1].epochs == 7, "b inherits");
    config_free(c);
}

static void test_experiment_seed_overrides_sweep_seed(void)
{
    sweep_config *c = parse("[sweep]\nseed = 1\n[experiment a]\nseed = 2\n[experiment b]\n");
    EXPECT(c && c->trials[0].seed == 2 && c->trials[1].seed == 1, "seeds");
    config_free(c);
}

static void test_base_axis_applies_to_every_experiment_unless_overridden(void)
{
    sweep_config *c = parse("[model]\ndropout = 0 | 0.5\n"
                            "[experiment a]\nl2 = 0.1\n"
                            "[experiment b]\ndropout = 0.3\n"
                            "[experiment c]\nl2 = 0 | 1\n");
    if (!c)
        return;
    EXPECT(c->n_trials == 2 + 1 + 4, "%d trials", c->n_trials);
    const char *names[] = {"a_dropout-0", "a_dropout-0.5", "b", "c_dropout-0_l2-0",
                           "c_dropout-0_l2-1", "c_dropout-0.5_l2-0", "c_dropout-0.5_l2-1"};
    for (int i = 0; i < 7 && i < c->n_trials; i++)
        EXPECT(strcmp(c->trials[i].name, names[i]) == 0, "trial %d is %s", i,
               c->trials[i].name);
    EXPECT(c->n_trials > 2 && c->trials[2].dropout == 0.3, "b's own dropout");
    config_free(c);
}

static void test_experiment_conv_replaces_inherited_groups(void)
{
    sweep_config *c = parse("[model]\ngroups = 8/8, 16\n"
                            "[experiment a]\nconv = 4\n[experiment b]\n");
    EXPECT(c && c->trials[0].n_blocks == 1 && c->trials[0].block_filters[0][0] == 4, "a");
    EXPECT(c && c->trials[1].n_blocks == 2 && c->trials[1].block_convs[0] == 2, "b");
    config_free(c);
}

/* ---------------------------------------------------- names and hashes */

static int is_hdf5_safe_name(const char *s)
{
    if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
           strlen(s);
}

static void test_trial_names_are_unique_valid_hdf5_names(void)
{
    sweep_config *c = parse("[sweep]\nname = n\n[data]\ndir = /a b/c | d,e\n"
                            "[model]\nconv = 8,16 | 16\nl2 = 1e-5 | 1e+20\n");
    EXPECT(c && c->n_trials == 8, "8 trials");
    for (int i = 0; c && i < c->n_trials; i++) {
        EXPECT(is_hdf5_safe_name(c->trials[i].name), "'%s'", c->trials[i].name);
        for (int j = 0; j < i; j++)
            EXPECT(strcmp(c->trials[i].name, c->trials[j].name) != 0, "%s twice",
                   c->trials[i].name);
    }
    EXPECT(find_trial(c, "n_dir-.ab.c_conv-8x16_l2-1e-05") == 0, "first name");
    EXPECT(find_trial(c, "n_dir-dxe_conv-16_l2-1e20") == 7, "last name");
    config_free(c);
}

static void test_duplicate_trial_name_reports_second_experiment(void)
{
    EXPECT_ERROR("[model]\ndropout = 0 | 0.5\n[experiment a]\n[experiment b]\n"
                 "[experiment a_dropout-0.5]\ndropout = 0.5\n",
                 "t.cfg:5: duplicate trial name 'a_dropout-0.5' (also made by experiment 'a' "
                 "on line 3)");
}

static void test_hash_changes_with_settings_not_name(void)
{
    sweep_config *a = parse("[sweep]\nname = one\n[model]\ndropout = 0.2\n");
    sweep_config *b = parse("[sweep]\nname = two\n[experiment other]\ndropout = 0.2\n");
    sweep_config *d = parse("[sweep]\nname = one\n[model]\ndropout = 0.3\n");
    if (!a || !b || !d)
        goto done;
    EXPECT(a->trials[0].hash == b->trials[0].hash, "name and experiment do not count");
    EXPECT(a->trials[0].hash != d->trials[0].hash, "dropout counts");
    const char *changes[] = {"[data]\ndir = x\n", "[data]\nvalidation_split = 0.2\n",
                             "[data]\ntrain_limit = 5\n", "[data]\ntest_limit = 5\n",
                             "[train]\nbatch_size = 5\n", "[train]\nepochs = 5\n",
                             "[train]\npatience = 1\n", "[train]\nlearning_rate = 0.01\n",
                             "[sweep]\nseed = 1\n", "[model]\nconv = 8\n",
                             "[model]\ndense = none\n", "[model]\nbatch_norm = yes\n",
                             "[model]\nl2 = 0.1\n"};
    trial_settings base;
    trial_defaults(&base);
    for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
        sweep_config *c = parse(changes[i]);
        EXPECT(c && c->trials[0].hash != base.hash, "%s", changes[i]);
        config_free(c);
    }
done:
    config_free(a);
    config_free(b);
    config_free(d);
}

static void test_canonical_text_is_fixed_order_full_precision(void)
{
    trial_settings t;
    trial_defaults(&t);
    snprintf(t.name, sizeof t.name, "ignored");
    t.dropout = 0.1;
    char text[2048];
    int n = trial_canonical_text(&t, text, sizeof text);
    const char *want =
        "data_dir = /usr/share/datasets/fashion-mnist\n"
        "validation_split = 0.10000000000000001\n"
        "train_limit = 0\ntest_limit = 0\nbatch_size = 32\nepochs = 50\npatience = 5\n"
        "learning_rate = 0.001\nseed = 43\nblocks = 128,256,512\ndense = 384,768\n"
        "batch_norm = 0\ndropout = 0.10000000000000001\nl2 = 0\n";
    EXPECT(strcmp(text, want) == 0, "\n%s", text);
    EXPECT(n == (int)strlen(want), "length %d", n);
    char small[10];
    EXPECT(trial_canonical_text(&t, small, sizeof small) == n, "length past a short buffer");
    EXPECT(strlen(small) == 9 && strncmp(small, want, 9) == 0, "truncated like snprintf");
}

static void test_fnv1a64_known_vectors(void)
{
    EXPECT(fnv1a64("", 0) == 0xcbf29ce484222325ULL, "empty");
    EXPECT(fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL, "a");
    EXPECT(fnv1a64("foobar", 6) == 0x85944171f73967e8ULL, "foobar");
}

static void test_text_hash_covers_the_whole_file(void)
{
    const char *text = "[model]\ndropout = 0.2   # a comment\n";
    sweep_config *a = parse(text);
    sweep_config *b = parse("[model]\ndropout = 0.2   # another comment\n");
    EXPECT(a && a->text_hash == fnv1a64(text, strlen(text)), "hash of the text");
    EXPECT(a && strcmp(a->text, text) == 0, "text kept");
    EXPECT(a && b && a->text_hash != b->text_hash, "comments count");
    EXPECT(a && b && a->trials[0].hash == b->trials[0].hash, "trial hash ignores comments");
    config_free(a);
    config_free(b);
}

/* -------------------------------------------------------------- errors */

static void test_unknown_key_suggests_nearest(void)
{
    char err[ERR_SIZE] = "";
    sweep_config *c = config_parse("[sweep]\n\n[model]\nconv = 8\n\n\ndropuot = 0.1\n",
                                   "quick.cfg", err, sizeof err);
    EXPECT(c == NULL, "fails");
    EXPECT(strcmp(err, "quick.cfg:7: unknown key 'dropuot' in [model]; did you mean "
                       "'dropout'?") == 0, "%s", err);
    config_free(c);
    EXPECT_ERROR("[model]\nepoch = 3\n",
                 "t.cfg:2: unknown key 'epoch' in [model]; did you mean 'epochs' in [train]?");
    EXPECT_ERROR("[experiment x]\nlearningrate = 1\n",
                 "t.cfg:2: unknown key 'learningrate' in [experiment x]; did you mean "
                 "'learning_rate'?");
    EXPECT_ERROR("[train]\nzzzzzzzz = 1\n",
                 "t.cfg:2: unknown key 'zzzzzzzz' in [train]; valid keys: batch_size, epochs, "
                 "patience, learning_rate");
}

static void test_key_in_the_wrong_section(void)
{
    EXPECT_ERROR("[model]\nepochs = 3\n", "t.cfg:2: 'epochs' belongs in [train], not [model]");
    EXPECT_ERROR("[experiment x]\noutput = a.h5\n",
                 "t.cfg:2: 'output' can only be set in [sweep]: it applies to the whole sweep");
    EXPECT_ERROR("[experiment x]\nmodel.dropout = 0.1\n",
                 "t.cfg:2: unknown key 'model.dropout' in [experiment x]; write 'dropout' "
                 "(experiment keys take no section prefix)");
}

static void test_unknown_section_suggests_nearest(void)
{
    EXPECT_ERROR("[modle]\n", "t.cfg:1: unknown section [modle]; did you mean [model]?");
    EXPECT_ERROR("[colour]\n", "t.cfg:1: unknown section [colour]; sections are [sweep], "
                 "[data], [train], [model], [search], [experiment NAME] and [set]");
}

static void test_bad_number_is_reported(void)
{
    EXPECT_ERROR("[model]\ndropout = 0.2x\n", "t.cfg:2: dropout: '0.2x' is not a number");
    EXPECT_ERROR("[model]\nl2 = nan\n", "t.cfg:2: l2: 'nan' is not a number");
    EXPECT_ERROR("[train]\nlearning_rate = 1e999\n",
                 "t.cfg:2: learning_rate: '1e999' is not a number");
}

static void test_integers_must_be_integers(void)
{
    EXPECT_ERROR("[train]\nepochs = 2.5\n", "t.cfg:2: epochs: '2.5' is not an integer");
    EXPECT_ERROR("[data]\ntrain_limit = 99999999999\n",
                 "t.cfg:2: train_limit: '99999999999' is too large");
    EXPECT_ERROR("[sweep]\nseed = -1\n", "t.cfg:2: seed: '-1' is not a non-negative integer");
    EXPECT_ERROR("[model]\nconv = 8, x\n", "t.cfg:2: conv: 'x' is not an integer");
    EXPECT_ERROR("[model]\nconv = 8/16\n",
                 "t.cfg:2: conv: '8/16' stacks convs with '/'; use groups for that");
    EXPECT_ERROR("[model]\nbatch_norm = maybe\n",
                 "t.cfg:2: batch_norm: 'maybe' is not yes/no (or true/false, 1/0)");
}

static void test_dropout_outside_0_1_is_rejected(void)
{
    EXPECT_ERROR("[model]\ndropout = 1\n", "t.cfg:2: dropout must be in [0,1), got 1");
    EXPECT_ERROR("[model]\ndropout = -0.1\n", "t.cfg:2: dropout must be in [0,1), got -0.1");
    EXPECT_ERROR("[model]\ndropout = 0.1 | 1.5\n",
                 "t.cfg:2: dropout must be in [0,1), got 1.5");
}

static void test_negative_l2_is_rejected(void)
{
    EXPECT_ERROR("\n[model]\nl2 = -0.01\n", "t.cfg:3: l2 must be >= 0, got -0.01");
}

static void test_other_ranges_are_checked(void)
{
    EXPECT_ERROR("[data]\nvalidation_split = 1\n",
                 "t.cfg:2: validation_split must be in [0,1), got 1");
    EXPECT_ERROR("[data]\ntest_limit = -5\n", "t.cfg:2: test_limit must be >= 0, got -5");
    EXPECT_ERROR("[train]\nepochs = 0\n", "t.cfg:2: epochs must be in [1,100000], got 0");
    EXPECT_ERROR("[train]\nbatch_size = 0\n", "t.cfg:2: batch_size must be in [1,8192], got 0");
    EXPECT_ERROR("[train]\npatience = -1\n", "t.cfg:2: patience must be in [0,100000], got -1");
    EXPECT_ERROR("[train]\nlearning_rate = 0\n",
                 "t.cfg:2: learning_rate must be > 0, got 0");
}

static void test_zero_filters_is_rejected(void)
{
    EXPECT_ERROR("[model]\nconv = 16, 0\n",
                 "t.cfg:2: conv: 0 filters in '16, 0'; every layer needs at least 1");
    EXPECT_ERROR("[model]\ngroups = 8/0\n",
                 "t.cfg:2: groups: 0 filters in '8/0'; every layer needs at least 1");
    EXPECT_ERROR("[model]\ndense = 0\n",
                 "t.cfg:2: dense: 0 units in '0'; every layer needs at least 1");
    EXPECT_ERROR("[model]\ndense = 100000\n",
                 "t.cfg:2: dense: 100000 units in '100000'; at most 65536");
}

static void test_empty_grid_is_rejected(void)
{
    EXPECT_ERROR("[model]\ndropout = 0.1 || 0.2\n",
                 "t.cfg:2: dropout: empty alternative (nothing between '|' and its neighbour)");
    EXPECT_ERROR("[model]\ndropout = 0.1 |\n",
                 "t.cfg:2: dropout: empty alternative (nothing between '|' and its neighbour)");
    EXPECT_ERROR("[model]\nconv = 8,,16\n", "t.cfg:2: conv: empty item in '8,,16'");
    EXPECT_ERROR("[model]\ndense = \n", "t.cfg:2: dense: empty value");
    EXPECT_ERROR("[model]\nconv = ,\n", "t.cfg:2: conv: empty item in ','");
}

static void test_duplicate_experiment_is_rejected(void)
{
    EXPECT_ERROR("[experiment a]\n[experiment b]\n\n[experiment a]\n",
                 "t.cfg:4: duplicate experiment 'a' (first on line 1)");
}

static void test_experiment_needs_a_valid_name(void)
{
    EXPECT_ERROR("[experiment]\n", "t.cfg:1: malformed section header: expected "
                 "[experiment NAME]");
    EXPECT_ERROR("[experiment a b]\n", "t.cfg:1: experiment name 'a b' must be 1-127 "
                 "characters of [A-Za-z0-9._-]");
    EXPECT_ERROR("[experiment ..]\n", "t.cfg:1: experiment name '..' must be 1-127 "
                 "characters of [A-Za-z0-9._-]");
}

static void test_key_outside_any_section_is_rejected(void)
{
    EXPECT_ERROR("# top\ndropout = 0.1\n[model]\n",
                 "t.cfg:2: 'dropout = 0.1' is outside any section; start one first, "
                 "e.g. [model]");
}

static void test_missing_equals_is_rejected(void)
{
    EXPECT_ERROR("[model]\ndropout 0.1\n",
                 "t.cfg:2: missing '=' in 'dropout 0.1'; expected key = value");
    EXPECT_ERROR("[model]\n= 0.1\n", "t.cfg:2: missing key before '='");
}

static void test_duplicate_key_in_one_section_is_rejected(void)
{
    EXPECT_ERROR("[model]\ndropout = 0.1\nl2 = 0\ndropout = 0.2\n",
                 "t.cfg:4: duplicate key 'dropout' in [model] (first set on line 2)");
    EXPECT_ERROR("[experiment e]\nl2 = 0\nl2 = 1\n",
                 "t.cfg:3: duplicate key 'l2' in [experiment e] (first set on line 2)");
}

static void test_conv_and_groups_in_one_section_are_rejected(void)
{
    EXPECT_ERROR("[model]\nconv = 8\ngroups = 8/8\n",
                 "t.cfg:3: both conv and groups in [model] (conv on line 2): they describe "
                 "the same blocks, keep one");
}

static void test_malformed_section_header_is_rejected(void)
{
    EXPECT_ERROR("[model\n", "t.cfg:1: malformed section header '[model': expected [NAME] "
                 "alone on the line");
    EXPECT_ERROR("[model] dropout = 1\n", "t.cfg:1: malformed section header "
                 "'[model] dropout = 1': expected [NAME] alone on the line");
    EXPECT_ERROR("[model x]\n", "t.cfg:1: malformed section header: [model] takes no name");
    EXPECT_ERROR("[model]\n[model]\n", "t.cfg:2: duplicate section [model] (first on line 1)");
}

static void test_sweep_settings_cannot_be_axes(void)
{
    EXPECT_ERROR("[sweep]\nname = a | b\n",
                 "t.cfg:2: name cannot have alternatives: it applies to the whole sweep");
    EXPECT_ERROR("[sweep]\nname = a/b\n",
                 "t.cfg:2: name: 'a/b' must be 1-127 characters of [A-Za-z0-9._-]");
}

static void test_file_name_that_is_no_sweep_name_is_rejected(void)
{
    char err[ERR_SIZE] = "";
    sweep_config *c = config_parse("", "dir/my sweep.cfg", err, sizeof err);
    EXPECT(c == NULL, "fails");
    EXPECT(strcmp(err, "dir/my sweep.cfg: the file name does not make a valid sweep name "
                       "('my sweep' is not [A-Za-z0-9._-]+); set name in [sweep]") == 0,
           "%s", err);
    config_free(c);
    c = config_parse("[sweep]\nname = ok\n", "dir/my sweep.cfg", err, sizeof err);
    EXPECT(c != NULL, "name in [sweep] fixes it");
    config_free(c);
}

static void test_too_long_trial_name_is_rejected(void)
{
    char text[512];
    snprintf(text, sizeof text, "[experiment %0120d]\ndropout = 0 | 0.25\n", 0);
    char want[256];
    snprintf(want, sizeof want, "t.cfg:1: trial names of experiment '%0120d' would be longer "
             "than 127 characters; shorten the name or the axes", 0);
    EXPECT_ERROR(text, want);
}

static void test_missing_file_reports_cannot_open(void)
{
    char err[ERR_SIZE] = "";
    sweep_config *c = config_load("sweep/no-such-file.cfg", err, sizeof err);
    EXPECT(c == NULL, "fails");
    EXPECT(strcmp(err, "sweep/no-such-file.cfg: cannot open: No such file or directory") == 0,
           "%s", err);
    c = config_load("sweep", err, sizeof err);
    EXPECT(c == NULL && strcmp(err, "sweep: not a regular file") == 0, "%s", err);
}

/* --------------------------------------------------------- shipped files */

static void test_quick_cfg_is_a_small_grid(void)
{
    char err[ERR_SIZE] = "";
    sweep_config *c = config_load("sweep/quick.cfg", err, sizeof err);
    EXPECT(c != NULL, "%s", err);
    if (!c)
        return;
    EXPECT(strcmp(c->name, "quick") == 0 && strcmp(c->output, "results/quick.h5") == 0,
           "%s %s", c->name, c->output);
    EXPECT(c->n_trials >= 2 && c->n_trials <= 4, "%d trials", c->n_trials);
    for (int i = 0; i < c->n_trials; i++) {
        const trial_settings *t = &c->trials[i];
        EXPECT(t->train_limit > 0 && t->train_limit <= 20000, "%s small", t->name);
        EXPECT(t->test_limit > 0 && t->epochs <= 5, "%s short", t->name);
    }
    EXPECT(find_trial(c, "quick_dropout-0.2_l2-0.001") >= 0, "quick_dropout-0.2_l2-0.001");
    config_free(c);
}

typedef struct {
    const char *name;
    const char *blocks;
    double l2;
    int batch_norm;
    double dropout;
} report_row;

/* The rows of seed-results.tsv, Sections 1 and 2, copied here because the
 * reference file is not part of the repository. */
static const report_row report_rows[15] = {
    {"s1e1", "128,256,512", 0, 0, 0},
    {"s1e2", "128,256,512", 0.001, 0, 0},
    {"s1e3", "128,256,512", 0.001, 1, 0.3},
    {"s1e4", "128,256,512", 0.001, 1, 0.2},
    {"s1e5", "128,256,512", 0.001, 1, 0.1},
    {"s1e6", "128,256,512", 0.01, 1, 0.2},
    {"s1e7", "128,256,512", 0.1, 1, 0.2},
    {"s1e8", "128,256,512", 0.0001, 1, 0.2},
    {"s1e9", "128,256,512", 0.01, 1, 0.5},
    {"s1e10", "128,256,512,1024", 0.01, 1, 0.2},
    {"s2e1", "256/128/256,128/64/128,256/128/32", 0.01, 1, 0.2},
    {"s2e2", "256/128/256,128/64/128,256/128/32", 0.001, 1, 0.2},
    {"s2e3", "256/128/256,128/64/128,256/128/32", 0.1, 1, 0.2},
    {"s2e4", "256/128/256,128/64/128,256/128/32", 0.01, 1, 0.3},
    {"s2e5", "256/128/256,128/64/128,256/128/32", 0.01, 1, 0.1},
};

/* Section 3: the base, the size its images are resized to, frozen, the
 * same head, no regularisation (the report's table says None). */
typedef struct {
    const char *name, *base;
    int input_size;
    double reference;
} section3_row;

static const section3_row section3_rows[4] = {
    {"s3e1", "vgg16", 32, 0.8806},
    {"s3e2", "vgg19", 32, 0.8734},
    {"s3e3", "inception_v3", 75, 0.8427},
    {"s3e4", "resnet152_v2", 75, 0.7925},
};

static void expect_section3_trial(const trial_settings *t, const section3_row *r)
{
    EXPECT(strcmp(t->name, r->name) == 0, "trial %s, expected %s", t->name, r->name);
    EXPECT(t->base && strcmp(t->base, r->base) == 0 && t->input_size == r->input_size &&
           !t->base_trainable && t->base_width == 1 && t->base_weights[0] == '\0',
           "%s: base %s at %d, frozen, Keras's weights from their place", r->name,
           t->base ? t->base : "none", t->input_size);
    EXPECT(t->n_dense == 2 && t->dense_units[0] == 384 && t->dense_units[1] == 768 &&
           t->l2 == 0 && !t->batch_norm && t->dropout == 0, "%s head", r->name);
    EXPECT(t->reference_accuracy == r->reference, "%s reference %g", r->name, t->reference_accuracy);
}

static void test_report_cfg_matches_seed_results(void)
{
    char err[ERR_SIZE] = "";
    sweep_config *c = config_load("sweep/report.cfg", err, sizeof err);
    EXPECT(c != NULL, "%s", err);
    if (!c)
        return;
    EXPECT(c->n_trials == 19, "%d trials", c->n_trials);
    for (int i = 0; i < 19 && i < c->n_trials; i++) {
        if (i >= 15) {
            expect_section3_trial(&c->trials[i], &section3_rows[i - 15]);
            continue;
        }
        const trial_settings *t = &c->trials[i];
        const report_row *r = &report_rows[i];
        char blocks[256];
        blocks_text(t, blocks, sizeof blocks);
        EXPECT(strcmp(t->name, r->name) == 0, "trial %d is %s", i, t->name);
        EXPECT(strcmp(blocks, r->blocks) == 0, "%s blocks %s", r->name, blocks);
        EXPECT(t->l2 == r->l2 && t->batch_norm == r->batch_norm && t->dropout == r->dropout,
               "%s regularisation", r->name);
        EXPECT(t->n_dense == 2 && t->dense_units[0] == 384 && t->dense_units[1] == 768,
               "%s dense", r->name);
        EXPECT(t->seed == 43 && t->batch_size == 32 && t->epochs == 50 && t->patience == 5,
               "%s training", r->name);
        EXPECT(t->learning_rate == 0.001 && t->train_limit == 0 && t->test_limit == 0,
               "%s full data", r->name);
    }
    config_free(c);
}

/* ------------------------------------------------------------- dry run */

/* ranks_per_trial describes the job, not a trial: it does not change the
 * hash, and an experiment cannot set it. */
static void test_ranks_per_trial_is_a_sweep_setting(void)
{
    sweep_config *a = parse("[sweep]\nname = g\n");
    sweep_config *b = parse("[sweep]\nname = g\nranks_per_trial = 4\n");
    EXPECT(a && a->ranks_per_trial == 1, "default %d", a ? a->ranks_per_trial : -1);
    EXPECT(b && b->ranks_per_trial == 4, "set %d", b ? b->ranks_per_trial : -1);
    EXPECT(a && b && a->trials[0].hash == b->trials[0].hash, "the hash changed");
    config_free(a);
    config_free(b);
    EXPECT_ERROR("[sweep]\nranks_per_trial = 0\n",
                 "t.cfg:2: ranks_per_trial: '0' is not a whole number in [1,65536]");
    char err[ERR_SIZE] = "";
    sweep_config *c = config_parse("[experiment e]\nranks_per_trial = 2\n", "t.cfg", err, sizeof err);
    EXPECT(c == NULL && strncmp(err, "t.cfg:2: ", 9) == 0, "experiment set it: '%s'", err);
    config_free(c);
}

/* publish_interval, like ranks_per_trial, is about the job, not a trial. */
static void test_publish_interval_is_a_sweep_setting(void)
{
    sweep_config *a = parse("[sweep]\nname = g\n");
    sweep_config *b = parse("[sweep]\nname = g\npublish_interval = 0.5\n");
    EXPECT(a && a->publish_interval == 5.0, "default %g", a ? a->publish_interval : -1);
    EXPECT(b && b->publish_interval == 0.5, "set %g", b ? b->publish_interval : -1);
    EXPECT(a && b && a->trials[0].hash == b->trials[0].hash, "the hash changed");
    config_free(a);
    config_free(b);
    EXPECT_ERROR("[sweep]\npublish_interval = -1\n",
                 "t.cfg:2: publish_interval: '-1' is not a number of seconds in [0,86400]");
    EXPECT_ERROR("[sweep]\npublish_interval = soon\n",
                 "t.cfg:2: publish_interval: 'soon' is not a number of seconds in [0,86400]");
}

static void test_print_trials_shows_one_line_per_trial(void)
{
    sweep_config *c = parse("[sweep]\nname = p\n[data]\ntrain_limit = 600\n"
                            "[model]\ngroups = 8/8, 16\ndropout = 0 | 0.2\n");
    if (!c)
        return;
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    config_print_trials(c, f);
    fclose(f);
    int lines = 0;
    for (const char *s = out; *s; s++)
        lines += *s == '\n';
    EXPECT(lines == 1 + c->n_trials, "%d lines:\n%s", lines, out);
    EXPECT(strncmp(out, "trial ", 6) == 0, "header first:\n%s", out);
    char hash[32];
    snprintf(hash, sizeof hash, "%016" PRIx64, c->trials[1].hash);
    const char *row = strstr(out, "p_dropout-0.2 ");
    EXPECT(row && strstr(row, hash) != NULL, "name and hash on one line:\n%s", out);
    EXPECT(row && strstr(row, " 8/8,16 ") != NULL, "blocks:\n%s", out);
    EXPECT(row && strstr(row, " 600 ") != NULL, "train limit:\n%s", out);
    free(out);
    config_free(c);
}

static void test_config_free_accepts_null(void)
{
    config_free(NULL);
}

/* [set] (what `sweep --set` appends): SECTION.KEY = VALUE replaces the
 * key for every trial, an experiment's own value and the conv/groups twin
 * included, and the trial is the one the file would give with the value
 * written in. */
static void test_set_section_overrides_every_trial(void)
{
    sweep_config *c = parse("[train]\nepochs = 2\n[model]\ngroups = 8/8\n"
                            "[experiment a]\nepochs = 4\nconv = 16\n[experiment b]\n"
                            "[set]\ntrain.epochs = 1\nmodel.conv = 4\n");
    sweep_config *w = parse("[train]\nepochs = 1\n[model]\nconv = 4\n"
                            "[experiment a]\n[experiment b]\n");
    EXPECT(c && w && c->n_trials == 2 && w->n_trials == 2, "two trials each");
    for (int i = 0; c && w && i < 2; i++) {
        EXPECT(c->trials[i].epochs == 1 && c->trials[i].n_blocks == 1 &&
               c->trials[i].block_filters[0][0] == 4, "%s overridden", c->trials[i].name);
        EXPECT(c->trials[i].hash == w->trials[i].hash, "%s: the hash of the written value",
               c->trials[i].name);
    }
    config_free(c);
    config_free(w);
}

static void test_set_section_errors_are_the_keys_errors(void)
{
    EXPECT_ERROR("[set]\nepochs = 1\n",
                 "t.cfg:2: 'epochs': an override is SECTION.KEY=VALUE, e.g. train.epochs=1");
    EXPECT_ERROR("[set]\ntrain.epoch = 1\n",
                 "t.cfg:2: unknown key 'epoch' in [train]; did you mean 'epochs'?");
    EXPECT_ERROR("[set]\nmodel.epochs = 1\n", "t.cfg:2: 'epochs' belongs in [train], not [model]");
    EXPECT_ERROR("[set]\ntrain.epochs = 1\n[model]\n",
                 "t.cfg:3: [model] after [set] (line 1): [set] overrides the whole file and "
                 "comes last");
}

int main(void)
{
    RUN_TEST(test_defaults_match_keras);
    RUN_TEST(test_empty_file_is_one_default_trial_named_after_file);
    RUN_TEST(test_sweep_name_and_output_can_be_set);
    RUN_TEST(test_relative_paths_are_kept_as_written);
    RUN_TEST(test_comments_whitespace_and_crlf_are_ignored);
    RUN_TEST(test_every_key_sets_its_field);
    RUN_TEST(test_reference_accuracy_labels_a_trial_without_changing_its_hash);
    RUN_TEST(test_batch_norm_accepts_yes_no_true_false_1_0);
    RUN_TEST(test_dense_none_means_no_hidden_layer);
    RUN_TEST(test_groups_parse_into_blocks);
    RUN_TEST(test_conv_list_equals_single_conv_groups);
    RUN_TEST(test_four_blocks_is_the_most_28x28_allows);
    RUN_TEST(test_layer_count_limits);
    RUN_TEST(test_grid_axes_expand_as_cartesian_product);
    RUN_TEST(test_axis_order_is_fixed_not_file_order);
    RUN_TEST(test_list_values_as_axes_read_as_names);
    RUN_TEST(test_numbers_in_names_are_normalised);
    RUN_TEST(test_equal_alternatives_are_rejected);
    RUN_TEST(test_seed_may_be_an_axis);
    RUN_TEST(test_experiment_overrides_base);
    RUN_TEST(test_experiment_seed_overrides_sweep_seed);
    RUN_TEST(test_base_axis_applies_to_every_experiment_unless_overridden);
    RUN_TEST(test_experiment_conv_replaces_inherited_groups);
    RUN_TEST(test_trial_names_are_unique_valid_hdf5_names);
    RUN_TEST(test_duplicate_trial_name_reports_second_experiment);
    RUN_TEST(test_hash_changes_with_settings_not_name);
    RUN_TEST(test_canonical_text_is_fixed_order_full_precision);
    RUN_TEST(test_fnv1a64_known_vectors);
    RUN_TEST(test_text_hash_covers_the_whole_file);
    RUN_TEST(test_unknown_key_suggests_nearest);
    RUN_TEST(test_key_in_the_wrong_section);
    RUN_TEST(test_unknown_section_suggests_nearest);
    RUN_TEST(test_bad_number_is_reported);
    RUN_TEST(test_integers_must_be_integers);
    RUN_TEST(test_dropout_outside_0_1_is_rejected);
    RUN_TEST(test_negative_l2_is_rejected);
    RUN_TEST(test_other_ranges_are_checked);
    RUN_TEST(test_zero_filters_is_rejected);
    RUN_TEST(test_empty_grid_is_rejected);
    RUN_TEST(test_duplicate_experiment_is_rejected);
    RUN_TEST(test_experiment_needs_a_valid_name);
    RUN_TEST(test_key_outside_any_section_is_rejected);
    RUN_TEST(test_missing_equals_is_rejected);
    RUN_TEST(test_duplicate_key_in_one_section_is_rejected);
    RUN_TEST(test_conv_and_groups_in_one_section_are_rejected);
    RUN_TEST(test_malformed_section_header_is_rejected);
    RUN_TEST(test_sweep_settings_cannot_be_axes);
    RUN_TEST(test_file_name_that_is_no_sweep_name_is_rejected);
    RUN_TEST(test_too_long_trial_name_is_rejected);
    RUN_TEST(test_missing_file_reports_cannot_open);
    RUN_TEST(test_quick_cfg_is_a_small_grid);
    RUN_TEST(test_report_cfg_matches_seed_results);
    RUN_TEST(test_ranks_per_trial_is_a_sweep_setting);
    RUN_TEST(test_publish_interval_is_a_sweep_setting);
    RUN_TEST(test_print_trials_shows_one_line_per_trial);
    RUN_TEST(test_config_free_accepts_null);
    RUN_TEST(test_set_section_overrides_every_trial);
    RUN_TEST(test_set_section_errors_are_the_keys_errors);
    return testing_finish("test_config");
}
