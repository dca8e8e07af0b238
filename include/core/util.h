/* util: the few helpers every module uses -- error exits that name the
 * source file and line (so a call site stays one line), checked allocation,
 * and a wall clock. Nothing here holds state. */
#ifndef SWEEP_UTIL_H
#define SWEEP_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Print "sweep: <message>" to stderr and exit(code). Used for faults that
 * the user can fix (a bad file, a bad argument): the message says which. */
void fatal_user(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* A programming or resource fault: names the C source file and line. */
void fatal_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
#define FATAL(...) fatal_at(__FILE__, __LINE__, __VA_ARGS__)
#define CHECK(cond, ...) do { if (!(cond)) FATAL(__VA_ARGS__); } while (0)

/* Writes one formatted line into err (if err is not NULL) and returns -1,
 * so a failing function can end with `return set_error(err, size, ...)`. */
int set_error(char *err, int err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* calloc that never returns NULL: out of memory is reported with the
 * caller's file and line. Memory is zeroed. */
void *calloc_at(size_t count, size_t size, const char *file, int line);
#define xcalloc(count, size) calloc_at((count), (size), __FILE__, __LINE__)

/* realloc that never returns NULL (the old block is kept on failure only to
 * be reported). New bytes are not zeroed. */
void *realloc_at(void *p, size_t size, const char *file, int line);
#define xrealloc(p, size) realloc_at((p), (size), __FILE__, __LINE__)

/* snprintf at buf + *len that adds the length written to *len and keeps
 * counting past the end of buf, so a caller building text piece by piece
 * learns the length it would have needed (as snprintf tells). */
void text_append(char *buf, int size, int *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* FNV-1a 64-bit hash: trial hashes, the configuration file's hash, and the
 * fingerprint of a trained model's weights. */
uint64_t fnv1a64(const void *data, size_t size);

/* The same over data arriving in pieces: h = FNV1A64_START, then each
 * piece; the result equals fnv1a64 of the pieces joined. */
#define FNV1A64_START 14695981039346656037ULL   /* FNV-1a 64 offset basis */
uint64_t fnv1a64_update(uint64_t h, const void *data, size_t size);

/* 0 if path is a regular file; otherwise -1 with err set to "PATH: fault"
 * (missing, a directory, a FIFO that would block a reader forever...). */
int check_regular_file(const char *path, char *err, int err_size);

/* mkdir -p: 0, or -1 with err set to "PATH: fault". */
int make_directories(const char *path, char *err, int err_size);

/* make_directories for the directory a file path is in (none: 0). */
int make_parent_directories(const char *file_path, char *err, int err_size);

/* Seconds from an arbitrary fixed point, monotonic. */
double wall_seconds(void);

/* Exit codes shared by every command (documented in the README). */
enum {
    EXIT_USAGE = 2,       /* bad command line or configuration file */
    EXIT_DATA = 3,        /* missing or corrupt dataset file */
    EXIT_IO = 4,          /* the results file or a checkpoint: cannot read, write or lock */
};

#endif
