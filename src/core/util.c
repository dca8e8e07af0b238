/* util: error exits, checked allocation, the clock. */
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void fatal_user(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sweep: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

void fatal_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sweep: internal error at %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(70); /* EX_SOFTWARE */
}

int set_error(char *err, int err_size, const char *fmt, ...)
{
    if (err && err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, (size_t)err_size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void *calloc_at(size_t count, size_t size, const char *file, int line)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        fatal_at(file, line, "out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

void *realloc_at(void *p, size_t size, const char *file, int line)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        fatal_at(file, line, "out of memory growing a block to %zu bytes", size);
    return q;
}

uint64_t fnv1a64(const void *data, size_t size)
{
    return fnv1a64_update(FNV1A64_START, data, size);
}

uint64_t fnv1a64_update(uint64_t h, const void *data, size_t size)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < size; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;               /* FNV-1a 64 prime */
    }
    return h;
}

int check_regular_file(const char *path, char *err, int err_size)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, (size_t)err_size, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, (size_t)err_size, "%s: not a regular file", path);
        return -1;
    }
    return 0;
}

/* One step of make_directories: partial exists as a directory after it. */
static int make_one_directory(const char *partial, char *err, int err_size)
{
    struct stat st;
    if (mkdir(partial, 0777) == 0)
        return 0;
    if (errno != EEXIST)
        return set_error(err, err_size, "%s: cannot create directory: %s", partial,
                         strerror(errno));
    if (stat(partial, &st) != 0 || !S_ISDIR(st.st_mode))
        return set_error(err, err_size, "%s: cannot create directory: %s", partial,
                         strerror(ENOTDIR));
    return 0;
}

int make_directories(const char *path, char *err, int err_size)
{
    if (!path[0])
        return 0;
    char *partial = xcalloc(strlen(path) + 1, 1);   /* any length: no silent cut */
    memcpy(partial, path, strlen(path));
    int rc = 0;
    for (char *p = partial + 1; rc == 0 && p[-1] != '\0'; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char kept = *p;
        *p = '\0';
        rc = make_one_directory(partial, err, err_size);
        *p = kept;
    }
    free(partial);
    return rc;
}

int make_parent_directories(const char *file_path, char *err, int err_size)
{
    const char *slash = strrchr(file_path, '/');
    if (!slash || slash == file_path)
        return 0;
    char *dir = xcalloc((size_t)(slash - file_path) + 1, 1);
    memcpy(dir, file_path, (size_t)(slash - file_path));
    int rc = make_directories(dir, err, err_size);
    free(dir);
    return rc;
}

double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void text_append(char *buf, int size, int *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int room = *len < size ? size - *len : 0;
    int n = vsnprintf(room ? buf + *len : NULL, (size_t)room, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += n;
}
