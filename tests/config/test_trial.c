/* test_trial: the architecture text of a trial (what /summary and
 * /trials/NAME store) reads back into the same settings, and text that is
 * not of that form is refused without touching the settings. */
#include <string.h>

#include "settings.h"
#include "testing.h"

static void expect_round_trip(const char *model)
{
    char text[512], blocks[256], dense[256];
    snprintf(text, sizeof text, "[model]\n%s\n", model);
    trial_settings t = settings_from_text(text), back;
    trial_defaults(&back);
    trial_blocks_text(&t, blocks, sizeof blocks);
    trial_dense_text(&t, dense, sizeof dense);
    EXPECT(trial_parse_blocks(&back, blocks) == 0 && trial_parse_dense(&back, dense) == 0,
           "'%s' / '%s' parse", blocks, dense);
    EXPECT(back.n_blocks == t.n_blocks && back.n_dense == t.n_dense, "%s: counts", model);
    char want[2048], got[2048];   /* canonical text: every setting that counts */
    trial_canonical_text(&t, want, sizeof want);
    trial_canonical_text(&back, got, sizeof got);
    EXPECT(strcmp(want, got) == 0, "%s: the same layers:\n%s\n%s", model, want, got);
}

static void test_architecture_text_reads_back_into_the_same_layers(void)
{
    expect_round_trip("conv = 32, 64\ndense = 128");
    expect_round_trip("groups = 32/32/32, 64/64/64\ndense = 384, 768");
    expect_round_trip("conv = 8\ndense = none");
}

static void test_malformed_architecture_text_is_refused(void)
{
    static const char *const bad_blocks[] = { "", "a", "32,", "32//64", "0", "32,x", "9/9/9/9/9/9/9/9/9" };
    static const char *const bad_dense[] = { "", "12,", "-3", "big", "1,2,3,4,5,6,7,8,9" };
    trial_settings t, before;
    trial_defaults(&t);
    before = t;
    for (size_t i = 0; i < sizeof bad_blocks / sizeof *bad_blocks; i++)
        EXPECT(trial_parse_blocks(&t, bad_blocks[i]) == -1, "blocks '%s' refused", bad_blocks[i]);
    for (size_t i = 0; i < sizeof bad_dense / sizeof *bad_dense; i++)
        EXPECT(trial_parse_dense(&t, bad_dense[i]) == -1, "dense '%s' refused", bad_dense[i]);
    EXPECT(memcmp(&t, &before, sizeof t) == 0, "settings untouched");
}

int main(void)
{
    RUN_TEST(test_architecture_text_reads_back_into_the_same_layers);
    RUN_TEST(test_malformed_architecture_text_is_refused);
    return testing_finish("test_trial");
}
