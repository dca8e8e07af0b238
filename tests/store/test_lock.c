/* test_lock: the results lock lets one job at a time write a results file.
 * A lock held by a live process (a forked child here, so the owner is a
 * real other process) or by a process on another host is refused with one
 * line naming the file, the PID and the host; a lock left by a process that
 * has exited is taken over with a warning, and when several jobs race for
 * it exactly one wins; a half-written lock is respected until it is old;
 * release removes only our own lock and is safe to repeat. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/lock.h"
#include "testing.h"

static char dir[64], results[128], lock_path[160], host[256];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    EXPECT(f != NULL, "cannot write %s", path);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void read_file(const char *path, char *text, size_t size)
{
    text[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(text, 1, size - 1, f);
    text[n] = '\0';
    fclose(f);
}

/* Writes a lock file as the job (host, pid, Slurm job or "-", restart
 * count) would have. */
static void write_lock(const char *owner_host, long pid, const char *slurm_job, int restart)
{
    char text[400];
    snprintf(text, sizeof text, "host=%s\npid=%ld\nslurm_job=%s\nslurm_restart=%d\n", owner_host,
             pid, slurm_job, restart);
    write_file(lock_path, text);
}

/* The PID of a process that has exited and been reaped. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

/* Runs lock_acquire with stderr going to a file; what it printed is left
 * in printed. */
static int acquire_capturing_stderr(results_lock *l, char *err, int err_size,
                                    char *printed, size_t printed_size)
{
    char capture[200];
    snprintf(capture, sizeof capture, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(2), fd = open(capture, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    dup2(fd, 2);
    close(fd);
    int rc = lock_acquire(l, results, err, err_size);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    read_file(capture, printed, printed_size);
    unlink(capture);
    return rc;
}

/* A job in a child process: it waits for the parent to close start, tries
 * the lock, writes 'y' or 'n' to answer, then holds what it got until the
 * parent closes go. */
typedef struct {
    int start[2], answer[2], go[2];
} job_pipes;

static pid_t spawn_job(const job_pipes *p)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* The parent's ends, or reads here would never see end of file. */
    close(p->start[1]), close(p->answer[0]), close(p->go[1]);
    char c, err[512];
    while (read(p->start[0], &c, 1) > 0) {}
    results_lock l = {0};
    c = lock_acquire(&l, results, err, sizeof err) == 0 ? 'y' : 'n';
    int ok = write(p->answer[1], &c, 1) == 1;
    while (read(p->go[0], &c, 1) > 0) {}
    lock_release(&l);
    _exit(ok ? 0 : 1);
}

static int open_pipes(job_pipes *p)
{
    return pipe(p->start) == 0 && pipe(p->answer) == 0 && pipe(p->go) == 0 ? 0 : -1;
}

/* After forking the jobs: keep only the parent's ends, and let them start. */
static void start_jobs(job_pipes *p)
{
    close(p->start[0]), close(p->answer[1]), close(p->go[0]);
    close(p->start[1]);
}

static void test_acquire_writes_our_host_and_pid(void)
{
    results_lock l = {0};
    char err[512] = "", text[400], want[600];
    EXPECT(lock_acquire(&l, results, err, sizeof err) == 0, "%s", err);
    EXPECT(l.held && strcmp(l.path, lock_path) == 0, "held %d, path '%s'", l.held, l.path);
    read_file(lock_path, text, sizeof text);
    snprintf(want, sizeof want, "host=%s\npid=%ld\nslurm_job=-\nslurm_restart=0\n", host, (long)getpid());
    EXPECT(strcmp(text, want) == 0, "lock file holds '%s', wanted '%s'", text, want);
    lock_release(&l);
}

static void test_lock_held_by_a_live_job_is_refused_naming_path_pid_and_host(void)
{
    job_pipes p;
    if (open_pipes(&p) != 0)
        return;
    pid_t child = spawn_job(&p);
    start_jobs(&p);
    char c = 0, err[512] = "", want[600];
    EXPECT(read(p.answer[0], &c, 1) == 1 && c == 'y', "the child did not get the lock");
    results_lock l = {0};
    EXPECT(lock_acquire(&l, results, err, sizeof err) != 0 && !l.held, "a second job took the lock");
    snprintf(want, sizeof want, "%s: in use by process %ld on %s; ", lock_path, (long)child, host);
    EXPECT(strstr(err, want) == err, "err = '%s', wanted it to start '%s'", err, want);
    snprintf(want, sizeof want, "remove %s)", lock_path);
    EXPECT(strstr(err, want) != NULL, "err = '%s' does not say how to remove it", err);
    close(p.go[1]);
    int status = -1;
    waitpid(child, &status, 0);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    EXPECT(access(lock_path, F_OK) != 0, "the child's release left %s", lock_path);
    close(p.answer[0]);
}

static void test_release_lets_the_next_job_take_the_lock(void)
{
    results_lock first = {0}, second = {0};
    char err[512] = "";
    EXPECT(lock_acquire(&first, results, err, sizeof err) == 0, "%s", err);
    lock_release(&first);
    EXPECT(!first.held && access(lock_path, F_OK) != 0, "release left %s", lock_path);
    EXPECT(lock_acquire(&second, results, err, sizeof err) == 0, "%s", err);
    lock_release(&second);
}

static void test_stale_lock_of_an_exited_process_is_taken_over_with_a_warning(void)
{
    pid_t gone = dead_pid();
    write_lock(host, gone, "-", 0);
    results_lock l = {0};
    char err[512] = "", printed[1024], want[600];
    int rc = acquire_capturing_stderr(&l, err, sizeof err, printed, sizeof printed);
    EXPECT(rc == 0 && l.held, "%s", err);
    snprintf(want, sizeof want, "sweep: warning: %s: removing a stale lock left by PID %ld on %s "
             "(no longer running)\n", lock_path, (long)gone, host);
    EXPECT(strcmp(printed, want) == 0, "stderr = '%s', wanted '%s'", printed, want);
    char text[400];
    read_file(lock_path, text, sizeof text);
    snprintf(want, sizeof want, "host=%s\npid=%ld\nslurm_job=-\nslurm_restart=0\n", host, (long)getpid());
    EXPECT(strcmp(text, want) == 0, "lock file holds '%s'", text);
    lock_release(&l);
}

/* A restarted container can have the same host name and hand out the same
 * PID; our own PID cannot be a live owner, since we have not taken it. */
static void test_lock_naming_our_own_pid_is_stale(void)
{
    write_lock(host, (long)getpid(), "-", 0);
    results_lock l = {0};
    char err[512] = "", printed[1024];
    EXPECT(acquire_capturing_stderr(&l, err, sizeof err, printed, sizeof printed) == 0, "%s", err);
    EXPECT(strstr(printed, "removing a stale lock") != NULL, "stderr = '%s'", printed);
    lock_release(&l);
}

static void test_jobs_racing_for_a_stale_lock_let_exactly_one_win(void)
{
    enum { JOBS = 8, ROUNDS = 5 };
    for (int round = 0; round < ROUNDS; round++) {
        write_lock(host, dead_pid(), "-", 0);
        job_pipes p;
        if (open_pipes(&p) != 0)
            return;
        char capture[200], printed[4096];
        snprintf(capture, sizeof capture, "%s/stderr.txt", dir);
        fflush(stderr);
        int saved = dup(2), fd = open(capture, O_CREAT | O_TRUNC | O_WRONLY, 0644);
        dup2(fd, 2);
        close(fd);
        pid_t jobs[JOBS];
        for (int j = 0; j < JOBS; j++)
            jobs[j] = spawn_job(&p);
        dup2(saved, 2);
        close(saved);
        start_jobs(&p);
        int winners = 0, answers = 0;
        char c;
        while (answers < JOBS && read(p.answer[0], &c, 1) == 1) {
            answers++;
            winners += c == 'y';
        }
        close(p.go[1]);
        for (int j = 0; j < JOBS; j++) {
            int status = -1;
            waitpid(jobs[j], &status, 0);
            EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "job %d status %d", j, status);
        }
        close(p.answer[0]);
        read_file(capture, printed, sizeof printed);
        unlink(capture);
        int warnings = 0;
        for (const char *p = printed; (p = strstr(p, "removing a stale lock")); p++)
            warnings++;
        EXPECT(answers == JOBS && winners == 1, "round %d: %d of %d jobs took the lock",
               round, winners, answers);
        EXPECT(warnings == 1, "round %d: %d warnings: '%s'", round, warnings, printed);
        EXPECT(access(lock_path, F_OK) != 0, "round %d: the winner's release left the lock", round);
    }
}

static void test_lock_from_another_host_is_respected(void)
{
    write_lock("elsewhere.example", 1, "-", 0);
    results_lock l = {0};
    char err[512] = "", want[600];
    EXPECT(lock_acquire(&l, results, err, sizeof err) != 0 && !l.held, "took another host's lock");
    snprintf(want, sizeof want, "%s: in use by process 1 on elsewhere.example; ", lock_path);
    EXPECT(strstr(err, want) == err, "err = '%s'", err);
    EXPECT(access(lock_path, F_OK) == 0, "the other host's lock was removed");
    unlink(lock_path);
}

/* A requeued Slurm job keeps its job ID and may start on another node:
 * the lock its earlier allocation left there is its own. */
static void test_lock_of_our_requeued_slurm_job_on_another_host_is_taken_over(void)
{
    setenv("SLURM_JOB_ID", "4242", 1);
    setenv("SLURM_RESTART_COUNT", "1", 1);
    write_lock("elsewhere.example", 1, "4242", 0);
    results_lock l = {0};
    char err[512] = "", printed[1024], text[400], want[600];
    int rc = acquire_capturing_stderr(&l, err, sizeof err, printed, sizeof printed);
    EXPECT(rc == 0 && l.held, "%s", err);
    snprintf(want, sizeof want, "sweep: warning: %s: removing a stale lock left by PID 1 on "
             "elsewhere.example (an earlier run of this Slurm job)\n", lock_path);
    EXPECT(strcmp(printed, want) == 0, "stderr = '%s', wanted '%s'", printed, want);
    read_file(lock_path, text, sizeof text);
    snprintf(want, sizeof want, "host=%s\npid=%ld\nslurm_job=4242\nslurm_restart=1\n", host,
             (long)getpid());
    EXPECT(strcmp(text, want) == 0, "lock file holds '%s', wanted '%s'", text, want);
    lock_release(&l);
    unsetenv("SLURM_JOB_ID");
    unsetenv("SLURM_RESTART_COUNT");
}

/* Another step of the same allocation (a second srun, a merge) may hold
 * it on another node, alive. */
static void test_lock_of_our_slurm_job_at_the_same_restart_is_respected(void)
{
    setenv("SLURM_JOB_ID", "4242", 1);
    setenv("SLURM_RESTART_COUNT", "1", 1);
    write_lock("elsewhere.example", 1, "4242", 1);
    results_lock l = {0};
    char err[512] = "";
    EXPECT(lock_acquire(&l, results, err, sizeof err) != 0 && !l.held, "took a live step's lock");
    EXPECT(access(lock_path, F_OK) == 0, "the lock was removed");
    unlink(lock_path);
    unsetenv("SLURM_JOB_ID");
    unsetenv("SLURM_RESTART_COUNT");
}

static void test_lock_of_another_slurm_job_on_another_host_is_respected(void)
{
    setenv("SLURM_JOB_ID", "4242", 1);
    write_lock("elsewhere.example", 1, "4243", 0);
    results_lock l = {0};
    char err[512] = "";
    EXPECT(lock_acquire(&l, results, err, sizeof err) != 0 && !l.held, "took job 4243's lock");
    EXPECT(strstr(err, "in use by process 1 on elsewhere.example") != NULL, "err = '%s'", err);
    EXPECT(access(lock_path, F_OK) == 0, "job 4243's lock was removed");
    unlink(lock_path);
    unsetenv("SLURM_JOB_ID");
}

/* A job that has just created its lock may not have written it yet. */
static void test_unreadable_lock_is_respected_until_it_is_a_minute_old(void)
{
    write_file(lock_path, "host=");
    results_lock l = {0};
    char err[512] = "", printed[1024];
    EXPECT(lock_acquire(&l, results, err, sizeof err) != 0, "took a lock still being written");
    EXPECT(strstr(err, lock_path) == err && strstr(err, "in use"), "err = '%s'", err);
    struct timespec old[2] = {{time(NULL) - 120, 0}, {time(NULL) - 120, 0}};
    EXPECT(utimensat(AT_FDCWD, lock_path, old, 0) == 0, "utimensat");
    EXPECT(acquire_capturing_stderr(&l, err, sizeof err, printed, sizeof printed) == 0, "%s", err);
    EXPECT(strstr(printed, "removing an unreadable lock") != NULL, "stderr = '%s'", printed);
    lock_release(&l);
}

/* Tests run as root, so permission bits stop nothing: a path under a
 * regular file fails with ENOTDIR instead. */
static void test_unwritable_location_is_reported_with_the_path(void)
{
    char file[160], under[200], want[300], err[512] = "";
    snprintf(file, sizeof file, "%s/plain", dir);
    write_file(file, "x");
    snprintf(under, sizeof under, "%s/x.h5", file);
    results_lock l = {0};
    EXPECT(lock_acquire(&l, under, err, sizeof err) != 0 && !l.held, "locked %s", under);
    snprintf(want, sizeof want, "%s/x.h5.lock: Not a directory", file);
    EXPECT(strcmp(err, want) == 0, "err = '%s', wanted '%s'", err, want);
    EXPECT(lock_acquire(&l, "/nonexistent/dir/r.h5", err, sizeof err) != 0, "locked");
    EXPECT(strcmp(err, "/nonexistent/dir/r.h5.lock: No such file or directory") == 0, "err = '%s'", err);
    unlink(file);
}

static void test_release_twice_is_harmless(void)
{
    results_lock l = {0}, next = {0};
    char err[512] = "";
    EXPECT(lock_acquire(&l, results, err, sizeof err) == 0, "%s", err);
    lock_release(&l);
    EXPECT(lock_acquire(&next, results, err, sizeof err) == 0, "%s", err);
    lock_release(&l);
    EXPECT(access(lock_path, F_OK) == 0, "a second release removed the next job's lock");
    lock_release(&next);
}

static void test_release_without_holding_leaves_the_file_alone(void)
{
    write_lock("elsewhere.example", 1, "-", 0);
    results_lock refused = {0};
    char err[512] = "";
    EXPECT(lock_acquire(&refused, results, err, sizeof err) != 0, "took another host's lock");
    lock_release(&refused);
    EXPECT(access(lock_path, F_OK) == 0, "release of a refused lock removed it");
    unlink(lock_path);
    /* Held, but the file was removed by hand and another job took it. */
    results_lock l = {0};
    EXPECT(lock_acquire(&l, results, err, sizeof err) == 0, "%s", err);
    write_lock("elsewhere.example", 1, "-", 0);
    lock_release(&l);
    EXPECT(access(lock_path, F_OK) == 0, "release removed another job's lock");
    unlink(lock_path);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/sweep-lock.XXXXXX");
    if (!mkdtemp(dir) || gethostname(host, sizeof host) != 0)
        return 1;
    snprintf(results, sizeof results, "%s/results.h5", dir);
    snprintf(lock_path, sizeof lock_path, "%s.lock", results);
    unsetenv("SLURM_JOB_ID");   /* the tests set them where they need them */
    unsetenv("SLURM_RESTART_COUNT");
    RUN_TEST(test_acquire_writes_our_host_and_pid);
    RUN_TEST(test_lock_held_by_a_live_job_is_refused_naming_path_pid_and_host);
    RUN_TEST(test_release_lets_the_next_job_take_the_lock);
    RUN_TEST(test_stale_lock_of_an_exited_process_is_taken_over_with_a_warning);
    RUN_TEST(test_lock_naming_our_own_pid_is_stale);
    RUN_TEST(test_jobs_racing_for_a_stale_lock_let_exactly_one_win);
    RUN_TEST(test_lock_from_another_host_is_respected);
    RUN_TEST(test_lock_of_our_requeued_slurm_job_on_another_host_is_taken_over);
    RUN_TEST(test_lock_of_our_slurm_job_at_the_same_restart_is_respected);
    RUN_TEST(test_lock_of_another_slurm_job_on_another_host_is_respected);
    RUN_TEST(test_unreadable_lock_is_respected_until_it_is_a_minute_old);
    RUN_TEST(test_unwritable_location_is_reported_with_the_path);
    RUN_TEST(test_release_twice_is_harmless);
    RUN_TEST(test_release_without_holding_leaves_the_file_alone);
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return testing_finish("test_lock");
}
