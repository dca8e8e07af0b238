/* dry_run: `sweep --dry-run`'s table of the expanded trials, one line a
 * trial, its columns taken from the settings table; then, for a search
 * other than a plain grid, one line saying what it will do. */
#include "config/config.h"

#include <inttypes.h>
#include <string.h>

#include "config/settings_table.h"
#include "search/halving.h"

/* "search: sha, 27 configurations x 1 seed, rungs 1, 3, 9, 27 epochs":
 * nothing for a grid of one seed per configuration, the sweeps there
 * always were. Rungs (search/halving.h's) follow [train] epochs, which
 * experiments may vary: then the line gives the rungs of the shortest and
 * the longest trials. */
static void print_search(const sweep_config *c, FILE *out)
{
    const search_options *o = &c->search;
    if (o->method == SEARCH_GRID && o->repeats == 1)
        return;
    /* a configuration's repeats stand together, in a shard too */
    int configurations = c->n_trials;
    for (int i = 1; o->repeats > 1 && i < c->n_trials; i++)
        configurations -= c->trials[i].configuration == c->trials[i - 1].configuration;
    fprintf(out, "search: %s, %d configuration%s x %d seed%s", search_method_names[o->method],
            configurations, configurations == 1 ? "" : "s", o->repeats, o->repeats == 1 ? "" : "s");
    if (o->method == SEARCH_SHA || o->method == SEARCH_ASHA) {
        int shortest = c->trials[0].epochs, longest = shortest;
        for (int i = 1; i < c->n_trials; i++) {
            shortest = c->trials[i].epochs < shortest ? c->trials[i].epochs : shortest;
            longest = c->trials[i].epochs > longest ? c->trials[i].epochs : longest;
        }
        for (int pass = 0; pass < (shortest == longest ? 1 : 2); pass++) {
            const int epochs = pass ? longest : shortest;
            fprintf(out, pass ? "; " : ", ");
            if (shortest != longest)
                fprintf(out, "trials of %d epochs: ", epochs);
            fprintf(out, "rungs");
            for (int r = 0; r <= halving_last_rung(o, epochs); r++)
                fprintf(out, "%s %d", r ? "," : "", halving_budget(o, epochs, r));
            fprintf(out, " epochs");
        }
    }
    fputc('\n', out);
}

/* The dry run's columns: the trial's name and hash, then every setting
 * that has a dry-run label (settings_table.h), each as wide as its widest
 * value. */
void config_print_trials(const sweep_config *c, FILE *out)
{
    char value[TRIAL_PATH_MAX];
    int name_w = 5, width[64] = {0};
    for (int k = 0; k < n_settings; k++)
        width[k] = (int)strlen(setting_table[k].dry_run_label);
    for (int i = 0; i < c->n_trials; i++) {
        int n = (int)strlen(c->trials[i].name);
        name_w = n > name_w ? n : name_w;
        for (int k = 0; k < n_settings; k++) {
            n = setting_display(&setting_table[k], &c->trials[i], value, sizeof value);
            width[k] = n > width[k] ? n : width[k];
        }
    }
    fprintf(out, "%-*s  %-16s", name_w, "trial", "hash");
    for (int k = 0; k < n_settings; k++)
        if (setting_table[k].dry_run_label[0])
            fprintf(out, "  %-*s", width[k], setting_table[k].dry_run_label);
    fputc('\n', out);
    for (int i = 0; i < c->n_trials; i++) {
        const trial_settings *t = &c->trials[i];
        fprintf(out, "%-*s  %016" PRIx64, name_w, t->name, t->hash);
        for (int k = 0; k < n_settings; k++)
            if (setting_table[k].dry_run_label[0]) {
                setting_display(&setting_table[k], t, value, sizeof value);
                fprintf(out, "  %-*s", width[k], value);
            }
        fputc('\n', out);
    }
    print_search(c, out);
}
