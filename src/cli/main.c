/* main: the command line.
 *   sweep [options] FILE        train every trial of the grid (resuming)
 *   mpirun -np N sweep FILE     the same across N ranks: rank 0 schedules
 *   sweep --dry-run FILE        list the expanded trials and exit
 *   sweep report RESULTS.h5     the results table, also while a sweep runs
 *   sweep predict RESULTS.h5 TRIAL IMAGE...   classify pictures
 *   sweep merge OUT.h5 IN.h5... join results files (shards) into one
 *   sweep plot RESULTS.h5       pictures and an HTML page of the results
 * Only rank 0 reads the configuration file; every rank learns from it
 * whether to go on, so a bad file ends every rank with the same status. */
#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <mpi.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/blas_core.h"
#include "config/config.h"
#include "store/merge.h"
#ifdef SWEEP_PLOT
#include "plot/plot.h"
#endif
#include "report/predict.h"
#include "report/report.h"
#include "sched/scheduler.h"
#include "search/halving.h"
#include "core/signals.h"
#include "core/util.h"

#define SWEEP_VERSION "0.3.0"

typedef struct {
    int dry_run;
    int ranks_given;             /* --ranks-per-trial beats [sweep] ranks_per_trial */
    int shard_index, shard_count;   /* --shard I/N; count 0 = the whole grid */
    char shard_output[TRIAL_PATH_MAX];   /* the results file made PATH.shard-I-of-N.h5 */
    const char *path;
    const char *overrides[64];   /* --set SECTION.KEY=VALUE, in order */
    int n_overrides;
    sched_options sched;
} command_line;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sweep [options] FILE      (or: mpirun -np N sweep [options] FILE)\n"
            "       sweep report [--csv | --json] [--configurations] RESULTS.h5   the results table, or CSV\n"
            "                              or JSON (--configurations: each configuration's mean and sd over its repeats)\n"
            "       sweep predict RESULTS.h5 TRIAL|best IMAGE...   (IDX, PGM or PNG files)\n"
            "       sweep merge [--force] OUT.h5 IN.h5...  join results files of one sweep into OUT.h5\n"
            "       sweep plot RESULTS.h5 [-o DIR] [--points N]  pictures and index.html (default DIR:\n"
            "                              RESULTS without .h5; N test images in the feature scatter, 1000)\n"
            "  FILE                   grid configuration (see README, e.g. sweep/quick.cfg)\n"
            "  --set SECTION.KEY=VALUE  override a key of FILE for every trial (repeatable),\n"
            "                         e.g. --set train.epochs=1 --set data.train_limit=600\n"
            "  --output PATH          results file (default: [sweep] output, results/NAME.h5)\n"
            "  --fresh                move the old results file and checkpoints aside, start over\n"
            "  --dry-run              list the trials the grid expands to, train nothing\n"
            "  --ranks-per-trial G    train each trial data-parallel on G ranks (default 1)\n"
            "  --shard I/N            only the grid's trials with hash %% N == I (0 <= I < N),\n"
            "                         into RESULTS.shard-I-of-N.h5 (for job arrays)\n"
            "  --quiet                no per-epoch lines\n"
            "  --verbose              also parameter and image counts, and resumes\n"
            "  --version              print the version and the BLAS build\n");
}

/* The BLAS build matters for speed and reproducibility: say which it is. */
static void print_version(void)
{
    printf("sweep %s\nBLAS: %s (%s threading)\nBLAS core: %s\n", SWEEP_VERSION,
           openblas_get_config(), openblas_get_parallel() == OPENBLAS_OPENMP ? "OpenMP" : "not OpenMP",
           blas_core_running());
}

/* Both of these are read once, when the process starts, so a change means
 * re-executing ourselves (once; if exec fails, carry on as we are):
 * - libgomp's OMP_WAIT_POLICY. Its default spins at every barrier, and a
 *   training step has dozens of small parallel loops: with another process
 *   on a core (a shared node, oversubscribed MPI ranks) that made training
 *   up to 16x slower here. Unless the user chose a policy, wait passively.
 * - OpenBLAS's kernel set, where it fell back to generic kernels on a CPU
 *   it does not know (blas_core.h); a user's OPENBLAS_CORETYPE is kept. */
static void restart_with_tuned_environment(char **argv)
{
    int restart = 0;
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "passive", 1);
        restart = 1;
    }
    if (blas_core_prepare_environment())
        restart = 1;
    if (restart)
        execv("/proc/self/exe", argv);
}

/* A table lost to a full disk or a closed pipe must not look like success. */
/* What made an earlier write to standard output fail, once errno has
 * moved on: a pipe whose reader has gone says so to poll. */
static const char *earlier_output_fault(void)
{
    struct pollfd out = { STDOUT_FILENO, POLLOUT, 0 };
    if (poll(&out, 1, 0) == 1 && (out.revents & POLLERR))
        return strerror(EPIPE);
    return "an earlier write failed";
}

static int finish_output(void)
{
    int had_failed = ferror(stdout);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "sweep: writing standard output: %s\n", strerror(errno));
        return 1;
    }
    if (had_failed) {
        fprintf(stderr, "sweep: writing standard output: %s\n", earlier_output_fault());
        return 1;
    }
    return 0;
}

/* "I/N" with 0 <= I < N: 0, else -1. */
static int parse_shard(const char *text, int *index, int *count)
{
    char *slash, *end;
    errno = 0;
    long i = strtol(text, &slash, 10);
    if (slash == text || *slash != '/')
        return -1;
    long n = strtol(slash + 1, &end, 10);
    if (errno || end == slash + 1 || *end || n < 1 || n > 1000000 || i < 0 || i >= n)
        return -1;
    *index = (int)i;
    *count = (int)n;
    return 0;
}

/* Returns -1 to go on, or the status to exit with. */
static int parse_command_line(int argc, char **argv, command_line *cl)
{
    static const struct option options[] = {
        { "dry-run", no_argument, NULL, 'n' },
        { "output", required_argument, NULL, 'o' },
        { "fresh", no_argument, NULL, 'f' },
        { "ranks-per-trial", required_argument, NULL, 'g' },
        { "shard", required_argument, NULL, 's' },
        { "set", required_argument, NULL, 'k' },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    memset(cl, 0, sizeof *cl);
    cl->sched.ranks_per_trial = 1;
    cl->sched.verbosity = VERBOSITY_NORMAL;
    cl->sched.version = SWEEP_VERSION;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "hqv", options, NULL)) != -1) {
        switch (opt) {
        case 'n': cl->dry_run = 1; break;
        case 'o':
            cl->sched.output = optarg;
            if (strlen(optarg) >= TRIAL_PATH_MAX) {   /* as the configuration's output */
                fprintf(stderr, "sweep: --output: longer than %d characters\n",
                        TRIAL_PATH_MAX - 1);
                return EXIT_USAGE;
            }
            break;
        case 'f': cl->sched.fresh = 1; break;
        case 'g':
            cl->ranks_given = 1;
            cl->sched.ranks_per_trial = (int)strtol(optarg, &end, 10);
            if (*end || cl->sched.ranks_per_trial < 1) {
                fprintf(stderr, "sweep: --ranks-per-trial wants a whole number >= 1, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 's':
            if (parse_shard(optarg, &cl->shard_index, &cl->shard_count) != 0) {
                fprintf(stderr, "sweep: --shard wants I/N with 0 <= I < N, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'k':
            if (cl->n_overrides == (int)(sizeof cl->overrides / sizeof *cl->overrides)) {
                fprintf(stderr, "sweep: --set: more than %d overrides\n", cl->n_overrides);
                return EXIT_USAGE;
            }
            cl->overrides[cl->n_overrides++] = optarg;
            break;
        case 'q': cl->sched.verbosity = VERBOSITY_QUIET; break;
        case 'v': cl->sched.verbosity = VERBOSITY_VERBOSE; break;
        case 'h': usage(stdout); return finish_output();
        case 'V': print_version(); return finish_output();
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (cl->shard_count && cl->sched.fresh) {
        /* jobs/NAME/ holds every shard's checkpoints */
        fprintf(stderr, "sweep: --fresh cannot be used with --shard: it would move the other "
                "shards' checkpoints aside\n");
        return EXIT_USAGE;
    }
    cl->path = argv[optind];
    return -1;
}

/* --shard: c keeps the shard's trials, and the results file, --output's
 * or the configuration's, gets the shard's name. */
static int keep_shard(command_line *cl, sweep_config *c)
{
    if (halving_in_rungs(&c->search)) {
        fprintf(stderr, "sweep: --shard: a %s search cannot be split: " HALVING_WHOLE_REASON "\n",
                search_method_names[c->search.method]);
        return -1;
    }
    config_keep_shard(c, cl->shard_index, cl->shard_count);
    const char *base = cl->sched.output ? cl->sched.output : c->output;
    if (config_shard_path(base, cl->shard_index, cl->shard_count, cl->shard_output,
                          sizeof cl->shard_output) != 0) {
        fprintf(stderr, "sweep: %s: results path too long for a shard's name\n", base);
        return -1;
    }
    cl->sched.output = cl->shard_output;
    return 0;
}

/* Rank 0 reads the file; *c stays NULL elsewhere. Returns -1 to go on, or
 * the status every rank exits with. */
static int load_on_rank0(command_line *cl, int rank, sweep_config **c)
{
    int status = -1;
    if (rank == 0) {
        char err[1024];
        *c = config_load_with(cl->path, cl->overrides, cl->n_overrides, err, sizeof err);
        if (!*c) {
            fprintf(stderr, "sweep: %s\n", err);
            status = EXIT_USAGE;
        } else if (!cl->ranks_given) {
            cl->sched.ranks_per_trial = (*c)->ranks_per_trial;
        }
        if (*c && cl->shard_count && keep_shard(cl, *c) != 0)
            status = EXIT_USAGE;
        if (*c && cl->dry_run && status < 0) {
            config_print_trials(*c, stdout);
            /* last, so tables stay tables; slurm/sweep.sbatch reads it */
            printf("results file: %s\n", cl->sched.output ? cl->sched.output : (*c)->output);
            status = 0;
        }
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return status;
}

/* `sweep report`, `predict`, `merge` and `plot` read results files and need no MPI.
 * Returns -1 when argv is not one of them. */
static int run_subcommand(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "report") == 0) {
        int rc = report_main(argc - 2, argv + 2);
        return rc ? rc : finish_output();
    }
    if (argc >= 2 && strcmp(argv[1], "predict") == 0) {
        if (argc < 5) {
            fprintf(stderr, "usage: sweep predict RESULTS.h5 TRIAL|best IMAGE...\n");
            return EXIT_USAGE;
        }
        int rc = predict_command(argv[2], argv[3], argv + 4, argc - 4);
        return rc ? rc : finish_output();
    }
    if (argc >= 2 && strcmp(argv[1], "merge") == 0) {
        int force = argc >= 3 && strcmp(argv[2], "--force") == 0;
        if (argc < 4 + force) {
            fprintf(stderr, "usage: sweep merge [--force] OUT.h5 IN.h5...\n");
            return EXIT_USAGE;
        }
        int rc = merge_command(argv[2 + force], argv + 3 + force, argc - 3 - force, force);
        return rc ? rc : finish_output();
    }
    if (argc >= 2 && strcmp(argv[1], "plot") == 0) {
#ifdef SWEEP_PLOT
        int rc = plot_main(argc - 2, argv + 2);
        return rc ? rc : finish_output();
#else
        fprintf(stderr, "sweep: plot: this sweep was built without cairo (install libcairo2-dev, "
                        "then make)\n");
        return EXIT_USAGE;
#endif
    }
    return -1;
}

int main(int argc, char **argv)
{
    /* A closed pipe (`sweep report f.h5 | head`) must not kill us before
     * the last publish: writes fail with EPIPE instead, and finish_output
     * says so and exits 1, as the README's exit-status table promises. */
    signal(SIGPIPE, SIG_IGN);
    restart_with_tuned_environment(argv);
    int sub = run_subcommand(argc, argv);
    if (sub >= 0)
        return sub;
    command_line cl;
    int status = parse_command_line(argc, argv, &cl);
    if (status >= 0)
        return status;
    /* Before MPI_Init, which can take seconds under srun: Slurm's warning
     * signal may come that early, and its default action would kill us. */
    signals_install();
    /* Started by hand rather than by mpirun or srun, Open MPI would start
     * an orted daemon for this one process; sweep never spawns ranks. */
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMIX_RANK") && !getenv("PMI_RANK"))
        setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    sweep_config *c = NULL;
    status = load_on_rank0(&cl, rank, &c);
    if (status < 0)
        status = sched_run(c, &cl.sched);
    config_free(c);
    int output = finish_output();
    MPI_Finalize();
    return status ? status : output;
}
