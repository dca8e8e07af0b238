/* test_util: the helpers every module leans on -- make_directories makes
 * a path of any length (no silent cut at a buffer's size) and says which
 * component stands in the way; make_parent_directories makes a file's
 * directory only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testing.h"
#include "core/util.h"

static char dir[64];

static int is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_make_directories_makes_a_path_of_any_length(void)
{
    /* 7 components of 200 bytes: 1,400 bytes and more, past any fixed buffer */
    char *path = calloc(2048, 1), component[201], err[512];
    memset(component, 'd', 200);
    component[200] = '\0';
    int len = snprintf(path, 2048, "%s", dir);
    for (int i = 0; i < 7; i++)
        len += snprintf(path + len, 2048 - (size_t)len, "/%d%s", i, component);
    EXPECT(len > 1400, "only %d bytes", len);
    EXPECT(make_directories(path, err, sizeof err) == 0, "%s", err);
    EXPECT(is_directory(path), "the %d-byte path is not a directory", len);
    path[len - 1] = '\0';   /* the path cut by one byte must not exist */
    EXPECT(!is_directory(path), "a shorter path was made too");
    free(path);
}

static void test_a_file_in_the_way_is_named(void)
{
    char file[128], path[192], err[512];
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    EXPECT(f != NULL, "cannot create %s", file);
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "%s/inner/deeper", file);
    EXPECT(make_directories(path, err, sizeof err) == -1, "made a directory under a file");
    EXPECT(strstr(err, file) && strstr(err, strerror(ENOTDIR)), "message: %s", err);
    snprintf(path, sizeof path, "%s/out/results.h5", dir);
    EXPECT(make_parent_directories(path, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/out", dir);
    EXPECT(is_directory(path), "%s not made", path);
    snprintf(path, sizeof path, "%s/out/results.h5", dir);
    EXPECT(!is_directory(path), "the file's own name was made a directory");
}

int main(void)
{
    if (testing_make_dir(dir, "util") != 0)
        return 1;
    RUN_TEST(test_make_directories_makes_a_path_of_any_length);
    RUN_TEST(test_a_file_in_the_way_is_named);
    if (testing_remove_dir(dir) != 0)
        return 1;
    return testing_finish("test_util");
}
