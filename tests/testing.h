/* testing: the tiny harness every tests/test_*.c uses. A test is a
 * function named after the behaviour it protects; EXPECT records a failure
 * with file and line and lets the test go on; RUN_TEST prints "ok NAME" or
 * "FAIL NAME"; testing_finish prints "NAME: N passed, N failed" (tests/run.sh
 * adds the totals) and returns the exit code. */
#ifndef SWEEP_TESTING_H
#define SWEEP_TESTING_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int testing_failures_in_test, testing_passed, testing_failed;

#define EXPECT(cond, ...) do { \
    if (!(cond)) { \
        testing_failures_in_test++; \
        fprintf(stderr, "  %s:%d: expected %s: ", __FILE__, __LINE__, #cond); \
        fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); \
    } } while (0)

/* |a - b| <= abs_tol + rel_tol * |b| */
#define EXPECT_NEAR(a, b, abs_tol, rel_tol) do { \
    double ea_ = (double)(a), eb_ = (double)(b); \
    EXPECT(fabs(ea_ - eb_) <= (abs_tol) + (rel_tol) * fabs(eb_), \
           "%s = %.9g, %s = %.9g", #a, ea_, #b, eb_); } while (0)

#define RUN_TEST(fn) do { \
    testing_failures_in_test = 0; \
    fn(); \
    if (testing_failures_in_test) { testing_failed++; printf("FAIL %s\n", #fn); } \
    else { testing_passed++; printf("ok %s\n", #fn); } \
    fflush(stdout); } while (0)

/* A fresh scratch directory /tmp/sweep-NAME.XXXXXX into dir (64 bytes),
 * and its removal with everything in it; each returns 0 or -1. */
static inline int testing_make_dir(char dir[64], const char *name)
{
    snprintf(dir, 64, "/tmp/sweep-%s.XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

static inline int testing_remove_dir(const char *dir)
{
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    return system(command) == 0 ? 0 : -1;
}

static inline int testing_finish(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, testing_passed, testing_failed);
    return testing_failed ? 1 : 0;
}

#endif
