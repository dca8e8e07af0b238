/* lock: one job per results file (see lock.h). The lock is a small text
 * file made with O_CREAT|O_EXCL; what needs care is replacing a stale one
 * when two new jobs find it at once (see remove_if_stale). */
#include "store/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A lock file without a readable owner is respected this long: its writer
 * may be between the open and the write. */
enum { UNREADABLE_STALE_SECONDS = 60 };

/* slurm_job is the owner's SLURM_JOB_ID, or "-" outside Slurm;
 * slurm_restart its SLURM_RESTART_COUNT, how often it was requeued. */
typedef struct { char host[256]; long pid; char slurm_job[64]; long slurm_restart; } lock_owner;

static const char *this_slurm_job(void)
{
    const char *job = getenv("SLURM_JOB_ID");
    return job && *job && strlen(job) < sizeof((lock_owner *)0)->slurm_job ? job : "-";
}

static long this_slurm_restart(void)
{
    const char *count = getenv("SLURM_RESTART_COUNT");
    return count ? atol(count) : 0;
}

static int fault(const char *path, char *err, int err_size)
{
    snprintf(err, (size_t)err_size, "%s: %s", path, strerror(errno));
    return -1;
}

static void this_host(char *host, size_t size)
{
    if (gethostname(host, size) != 0)
        snprintf(host, size, "unknown");
    host[size - 1] = '\0';
}

/* Whether pid is a live process on this host. A zombie (killed, not yet
 * reaped by its parent) answers kill(pid, 0) but holds nothing: a job
 * killed outright leaves its ranks as zombies until their reaper runs. */
static int process_alive(pid_t pid)
{
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return 0;
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;   /* no /proc: trust kill */
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = 0;
    const char *close_paren = strrchr(stat, ')');   /* "pid (comm) S ..." */
    return !(close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z');
}

/* 0 if fd holds "host=NAME\npid=N\nslurm_job=ID\nslurm_restart=N\n"
 * whole (the last newline proves the writer finished), else -1. */
static int read_owner(int fd, lock_owner *o)
{
    char text[512], end = 0;
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    if (sscanf(text, "host=%255[^\n]\npid=%ld\nslurm_job=%63[^\n]\nslurm_restart=%ld%c",
               o->host, &o->pid, o->slurm_job, &o->slurm_restart, &end) != 5 || end != '\n')
        return -1;
    return o->pid > 0 ? 0 : -1;   /* kill(0 or -1, ...) would mean a process group */
}

/* 0 if the lock was created and is ours, 1 if a lock exists, -1 on a fault. */
static int create_lock(const char *path, char *err, int err_size)
{
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EEXIST ? 1 : fault(path, err, err_size);
    char host[256], text[400];
    this_host(host, sizeof host);
    int n = snprintf(text, sizeof text, "host=%s\npid=%ld\nslurm_job=%s\nslurm_restart=%ld\n",
                     host, (long)getpid(), this_slurm_job(), this_slurm_restart());
    ssize_t written = write(fd, text, (size_t)n);
    if (written >= 0 && written < n)
        errno = ENOSPC;   /* a short write sets no errno */
    int rc = written == n && fsync(fd) == 0 ? 0 : fault(path, err, err_size);
    if (close(fd) != 0 && rc == 0)
        rc = fault(path, err, err_size);
    if (rc != 0)
        unlink(path);
    return rc;
}

/* The lock at path existed a moment ago. Returns 0 if it is gone now
 * (released, or stale and removed here with a warning on stderr): try to
 * create it again. Returns -1 with err set if it is held or on a fault. */
static int remove_if_stale(const char *path, char *err, int err_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : fault(path, err, err_size);
    /* Two jobs can find the same stale lock. If both simply unlinked and
     * retried, the slower one could unlink the fresh lock the faster one
     * had just made. So each one takes flock on the file it opened and
     * unlinks the path only while it still names that file; the second
     * then finds the path gone or new and starts over. */
    int rc = -1;
    struct stat opened, now;
    if (flock(fd, LOCK_EX) != 0 || fstat(fd, &opened) != 0) {
        fault(path, err, err_size);
        goto done;
    }
    if (stat(path, &now) != 0) {
        rc = errno == ENOENT ? 0 : fault(path, err, err_size);
        goto done;
    }
    if (now.st_ino != opened.st_ino || now.st_dev != opened.st_dev) {
        rc = 0;   /* replaced since we opened it: look again */
        goto done;
    }
    lock_owner o;
    char host[256];
    this_host(host, sizeof host);
    if (read_owner(fd, &o) == 0) {
        /* Our own PID in the file cannot be a live owner: this process has
         * not taken the lock (a restarted container can reuse both the
         * host name and the PID). EPERM means alive, another user's. */
        int dead = strcmp(o.host, host) == 0 &&
                   (o.pid == (long)getpid() || !process_alive((pid_t)o.pid));
        /* A requeue ends a Slurm job's allocation before the next starts
         * (perhaps on another node): a lock from our own job at a lower
         * restart count is an earlier allocation's. At the same count it
         * may be another step of this one, alive. */
        int requeued = strcmp(o.slurm_job, "-") != 0 &&
                       strcmp(o.slurm_job, this_slurm_job()) == 0 &&
                       o.slurm_restart < this_slurm_restart();
        if (!dead && !requeued) {
            snprintf(err, (size_t)err_size, "%s: in use by process %ld on %s; another sweep is "
                     "writing this results file (if that job is gone, remove %s)",
                     path, o.pid, o.host, path);
            goto done;
        }
        fprintf(stderr, "sweep: warning: %s: removing a stale lock left by PID %ld on %s (%s)\n",
                path, o.pid, o.host,
                requeued ? "an earlier run of this Slurm job" : "no longer running");
    } else if (time(NULL) - opened.st_mtime < UNREADABLE_STALE_SECONDS) {
        snprintf(err, (size_t)err_size, "%s: in use by another sweep that is still writing it "
                 "(if no other sweep is running, remove %s)", path, path);
        goto done;
    } else {
        fprintf(stderr, "sweep: warning: %s: removing an unreadable lock file older than %d "
                "seconds\n", path, UNREADABLE_STALE_SECONDS);
    }
    rc = unlink(path) == 0 || errno == ENOENT ? 0 : fault(path, err, err_size);
done:
    close(fd);   /* releases the flock */
    return rc;
}

int lock_acquire(results_lock *l, const char *results_path, char *err, int err_size)
{
    l->held = 0;
    if (snprintf(l->path, sizeof l->path, "%s.lock", results_path) >= (int)sizeof l->path) {
        snprintf(err, (size_t)err_size, "%s: path too long", results_path);
        return -1;
    }
    /* Another job may take the lock between our look and our retry; after
     * a few rounds its lock is found live and reported as in use. */
    for (int attempt = 0; attempt < 3; attempt++) {
        int rc = create_lock(l->path, err, err_size);
        if (rc <= 0) {
            l->held = rc == 0;
            return rc;
        }
        if (remove_if_stale(l->path, err, err_size) != 0)
            return -1;
    }
    snprintf(err, (size_t)err_size, "%s: in use; other sweeps keep taking and dropping this lock",
             l->path);
    return -1;
}

void lock_release(results_lock *l)
{
    if (!l->held)
        return;
    l->held = 0;
    /* Only our own file: if the lock was removed by hand and another job
     * has taken it since, it is that job's. */
    int fd = open(l->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    lock_owner o;
    char host[256];
    this_host(host, sizeof host);
    if (read_owner(fd, &o) == 0 && o.pid == (long)getpid() && strcmp(o.host, host) == 0)
        unlink(l->path);
    close(fd);
}
