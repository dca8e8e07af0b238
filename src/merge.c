/* merge: joins results files of one sweep into one (see merge.h). */
#include "merge.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "report.h"
#include "results.h"
#include "util.h"

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Everything read before anything is written: a bad input leaves OUT as
 * it was. */
static int merge_inputs(sweep_results *out, const char *out_path, char *const *inputs,
                        int n_inputs)
{
    char err[2048];
    if (access(out_path, F_OK) == 0 && results_read(out, out_path, err, sizeof err) != 0) {
        fprintf(stderr, "sweep: %s\n", err);
        return EXIT_IO;
    }
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
        results_merge(out, &in);
        results_free(&in);
    }
    return 0;
}

int merge_command(const char *out_path, char *const *inputs, int n_inputs)
{
    results_lock lock = { 0 };
    char err[2048];
    if (lock_acquire(&lock, out_path, err, sizeof err) != 0) {
        fprintf(stderr, "sweep: %s\n", err);
        return EXIT_IO;
    }
    sweep_results out;
    results_init(&out);
    int rc = merge_inputs(&out, out_path, inputs, n_inputs);
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
