/* fsync_fails: a fault for the tests to inject with LD_PRELOAD -- fsync of
 * a directory fails with the errno FSYNC_FAILS_ERRNO names (EINVAL, EIO),
 * as on filesystems that refuse to fsync directories; fsync of a file
 * works as always. Lets test_cli.sh show that a publish whose rename has
 * succeeded is never undone or stopped by its directory's fsync. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int fsync(int fd)
{
    static int (*real_fsync)(int);
    if (!real_fsync)
        real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    struct stat st;
    const char *name = getenv("FSYNC_FAILS_ERRNO");
    if (name && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = strcmp(name, "EIO") == 0 ? EIO : EINVAL;
        return -1;
    }
    return real_fsync(fd);
}
