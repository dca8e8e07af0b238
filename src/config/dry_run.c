/* dry_run: `sweep --dry-run`'s table of the expanded trials, one line a
 * trial, its columns taken from the settings table. */
#include "config/config.h"

#include <inttypes.h>
#include <string.h>

#include "config/settings_table.h"

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
}
