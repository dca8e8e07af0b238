/* merge: joins results files of one sweep into one (see merge.h). */
#include "store/merge.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/lock.h"
#include "report/report.h"
#include "store/results.h"
#include "core/util.h"

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Files of one sweep share its configuration (the text hash: shards of a
 * job array run one file); a file of another sweep is refused unless
 * --force, naming both. `first` is the file the merge is described by. */
static int same_sweep(const sweep_results *first, const char *first_path,
                      const sweep_results *in, const char *in_path, int force)
{
    if (force || !first->config_text || first->config_hash == in->config_hash)
        return 1;
    fprintf(stderr, "sweep: %s: from another sweep than %s (configuration %s, hash %016llx; "
            "%s has %s, hash %016llx); nothing was written; give --force to merge anyway\n",
            in_path, first_path, in->config_path, (unsigned long long)in->config_hash,
            first_path, first->config_path, (unsigned long long)first->config_hash);
    return 0;
}

/* Successive halving (sha, asha) decides each rung over the whole
 * population: shards of one would each have decided alone, so their files
 * are refused, naming why. */
static int merges_whole(const sweep_results *r, const char *path)
{
    if (r->search.method != SEARCH_SHA && r->search.method != SEARCH_ASHA)
        return 1;
    fprintf(stderr, "sweep: %s: a %s search cannot be merged: its rungs are decided over "
            "every configuration of the sweep, which no shard holds; nothing was written\n",
            path, search_method_names[r->search.method]);
    return 0;
}

/* Everything read before anything is written: a bad input leaves OUT as
 * it was. */
static int merge_inputs(sweep_results *out, const char *out_path, char *const *inputs,
                        int n_inputs, int force)
{
    char err[2048];
    int out_existed = access(out_path, F_OK) == 0;
    if (out_existed && results_read(out, out_path, err, sizeof err) != 0) {
        fprintf(stderr, "sweep: %s\n", err);
        return EXIT_IO;
    }
    if (out_existed && !merges_whole(out, out_path))
        return EXIT_USAGE;
    for (int i = 0; i < n_inputs; i++) {
        if (same_file(inputs[i], out_path)) {
            fprintf(stderr, "sweep: %s: is the output of this merge; give it once, as OUT\n",
                    inputs[i]);
            return EXIT_USAGE;
        }
        sweep_results in;
        if (results_read(&in, inputs[i], err, sizeof err) != 0) {
            fprintf(stderr, "sweep: %s\n", err);
            return EXIT_IO;
        }
        if (!merges_whole(&in, inputs[i])) {
            results_free(&in);
            return EXIT_USAGE;
        }
        const char *first_path = out_existed ? out_path : inputs[0];
        if (!same_sweep(out, first_path, &in, inputs[i], force)) {
            results_free(&in);
            return EXIT_USAGE;
        }
        results_merge(out, &in);
        results_free(&in);
    }
    /* the inputs' weights files are copied beside OUT, which links them */
    if (results_place_weights(out, out_path, err, sizeof err) < 0) {
        fprintf(stderr, "sweep: %s\n", err);
        return EXIT_IO;
    }
    return 0;
}

int merge_command(const char *out_path, char *const *inputs, int n_inputs, int force)
{
    results_lock lock = { 0 };
    char err[2048];
    if (make_parent_directories(out_path, err, sizeof err) != 0 ||
        lock_acquire(&lock, out_path, err, sizeof err) != 0) {
        fprintf(stderr, "sweep: %s\n", err);
        return EXIT_IO;
    }
    sweep_results out;
    results_init(&out);
    int rc = merge_inputs(&out, out_path, inputs, n_inputs, force);
    if (rc == 0) {
        results_now(out.updated);
        if (results_publish(&out, out_path, err, sizeof err) != 0) {
            fprintf(stderr, "sweep: %s\n", err);
            rc = EXIT_IO;
        } else {
            report_counts(&out, out_path, stdout);
        }
    }
    results_free(&out);
    lock_release(&lock);
    return rc;
}
