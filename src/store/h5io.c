/* h5io: checked HDF5 helpers and write-then-rename publication. */
#include "store/h5io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

/* ---- writing ------------------------------------------------------------ */

int h5io_write_array(hid_t loc, const char *name, hid_t type, const void *data, int rank,
                     const hsize_t *dims)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    if (space < 0)
        return -1;
    hid_t set = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = set < 0 ? -1 : H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (set >= 0)
        H5Dclose(set);
    H5Sclose(space);
    return rc < 0 ? -1 : 0;
}

int h5io_write_table(hid_t loc, const char *name, hid_t type, const void *rows, size_t count)
{
    hsize_t dims[1] = { (hsize_t)count };
    int rc = type < 0 ? -1 : h5io_write_array(loc, name, type, rows, 1, dims);
    if (type >= 0)
        H5Tclose(type);
    return rc;
}

int h5io_write_floats(hid_t loc, const char *name, const float *data, size_t count)
{
    hsize_t dims[1] = { count };
    return h5io_write_array(loc, name, H5T_NATIVE_FLOAT, data, 1, dims);
}

int h5io_write_attribute(hid_t loc, const char *name, hid_t type, const void *value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    if (space < 0)
        return -1;
    hid_t attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = attr < 0 ? -1 : H5Awrite(attr, type, value);
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    return rc < 0 ? -1 : 0;
}

hid_t h5io_string_type(size_t size)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type < 0)
        return -1;
    if (H5Tset_size(type, size ? size : 1) < 0 || H5Tset_strpad(type, H5T_STR_NULLTERM) < 0) {
        H5Tclose(type);
        return -1;
    }
    return type;
}

int h5io_write_string_attribute(hid_t loc, const char *name, const char *value)
{
    hid_t type = h5io_string_type(strlen(value) + 1);
    if (type < 0)
        return -1;
    int rc = h5io_write_attribute(loc, name, type, value);
    H5Tclose(type);
    return rc;
}

int h5io_write_string_dataset(hid_t loc, const char *name, const char *value)
{
    hid_t type = h5io_string_type(strlen(value) + 1);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t set = type < 0 || space < 0 ? -1 :
                H5Dcreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = set < 0 || H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value) < 0 ? -1 : 0;
    if (set >= 0)
        H5Dclose(set);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

int h5io_read_attribute(hid_t loc, const char *name, hid_t type, void *value)
{
    if (H5Aexists(loc, name) <= 0)
        return -1;
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    if (attr < 0)
        return -1;
    herr_t rc = H5Aread(attr, type, value);
    H5Aclose(attr);
    return rc < 0 ? -1 : 0;
}

/* One string, fixed or variable length, from an attribute or a dataset
 * (obj) whose stored type is `stored`: a malloc'd copy, or NULL. */
static char *read_one_string(hid_t obj, hid_t stored, int is_dataset)
{
    if (H5Tget_class(stored) != H5T_STRING)
        return NULL;
    int variable = H5Tis_variable_str(stored) > 0;
    size_t size = variable ? 0 : H5Tget_size(stored);
    hid_t mem = variable ? H5Tcopy(H5T_C_S1) : h5io_string_type(size + 1);
    /* HDF5 converts no strings between character sets: read a UTF-8
     * string (h5py writes them) as UTF-8 */
    if (mem < 0 || (variable && H5Tset_size(mem, H5T_VARIABLE) < 0) ||
        H5Tset_cset(mem, H5Tget_cset(stored)) < 0) {
        if (mem >= 0)
            H5Tclose(mem);
        return NULL;
    }
    char *vlen = NULL, *text = variable ? NULL : xcalloc(size + 2, 1);
    void *into = variable ? (void *)&vlen : (void *)text;
    herr_t rc = is_dataset ? H5Dread(obj, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, into)
                           : H5Aread(obj, mem, into);
    if (variable && rc >= 0 && vlen) {
        text = xcalloc(strlen(vlen) + 1, 1);
        memcpy(text, vlen, strlen(vlen));
    }
    if (vlen)
        H5free_memory(vlen);
    if (rc < 0) {
        free(text);
        text = NULL;
    }
    H5Tclose(mem);
    return text;
}

/* The one string of an open attribute or dataset OBJ (negative: NULL). */
static char *read_string_of(hid_t obj, int is_dataset)
{
    if (obj < 0)
        return NULL;
    hid_t stored = is_dataset ? H5Dget_type(obj) : H5Aget_type(obj);
    char *text = stored < 0 ? NULL : read_one_string(obj, stored, is_dataset);
    if (stored >= 0)
        H5Tclose(stored);
    return text;
}

char *h5io_read_string_attribute_alloc(hid_t loc, const char *name)
{
    if (H5Aexists(loc, name) <= 0)
        return NULL;
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    char *text = read_string_of(attr, 0);
    if (attr >= 0)
        H5Aclose(attr);
    return text;
}

char *h5io_read_string_dataset_alloc(hid_t loc, const char *name)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return NULL;
    hid_t set = H5Dopen2(loc, name, H5P_DEFAULT);
    char *text = read_string_of(set, 1);
    if (set >= 0)
        H5Dclose(set);
    return text;
}

int h5io_read_string_attribute(hid_t loc, const char *name, char *buf, size_t size)
{
    char *text = h5io_read_string_attribute_alloc(loc, name);
    if (!text)
        return -1;
    snprintf(buf, size, "%s", text);
    free(text);
    return 0;
}

int h5io_read_exact(hid_t loc, const char *name, hid_t type, void *data, hsize_t count)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return -1;
    hid_t set = H5Dopen2(loc, name, H5P_DEFAULT);
    if (set < 0)
        return -1;
    hid_t space = H5Dget_space(set);
    hssize_t points = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    herr_t rc = points == (hssize_t)count
                    ? H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : -1;
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(set);
    return rc < 0 ? -1 : 0;
}

long long h5io_dataset_size(hid_t loc, const char *name)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return -1;
    hid_t set = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t space = set < 0 ? -1 : H5Dget_space(set);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    if (space >= 0)
        H5Sclose(space);
    if (set >= 0)
        H5Dclose(set);
    return n;
}

hid_t h5io_open_read(const char *path, char *err, int err_size)
{
    if (check_regular_file(path, err, err_size) != 0)
        return -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);   /* our message, not HDF5's stack dump */
    if (H5Fis_hdf5(path) <= 0) {
        snprintf(err, (size_t)err_size, "%s: not an HDF5 file", path);
        return -1;
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        snprintf(err, (size_t)err_size, "%s: cannot open as HDF5 (damaged?)", path);
    return file;
}

/* ---- atomic publication -------------------------------------------------- */

/* The file is built in memory (the core driver, no backing store) and
 * written out by h5io_commit with write(2). HDF5 1.10 cannot recover from
 * a failed write or close of a disk file (a full disk leaves a half-closed
 * file that crashes the library at exit); an in-memory file never fails
 * that way, and a write(2) that fails says why in errno. The cost is two
 * copies of the file in memory while it is published: the core driver's
 * and the image handed to write. */
enum { CORE_INCREMENT = 1 << 20 };   /* bytes the in-memory file grows by */

hid_t h5io_create_temp(const char *path, char *tmp, size_t tmp_size, char *err, int err_size)
{
    int n = snprintf(tmp, tmp_size, "%s.tmp", path);
    if (n < 0 || (size_t)n >= tmp_size) {   /* a cut name could be another file */
        snprintf(err, (size_t)err_size, "%.200s...: path too long", path);
        return -1;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t file = -1;
    if (fapl >= 0 && H5Pset_fapl_core(fapl, CORE_INCREMENT, 0) >= 0)
        file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (file < 0)
        snprintf(err, (size_t)err_size, "%s: cannot create an HDF5 file in memory", tmp);
    return file;
}

/* Closes file, leaving its bytes in *image (the caller frees). */
static long long close_to_image(hid_t file, void **image)
{
    *image = NULL;
    ssize_t size = H5Fflush(file, H5F_SCOPE_GLOBAL) < 0 ? -1 : H5Fget_file_image(file, NULL, 0);
    if (size > 0 && (*image = malloc((size_t)size)) != NULL &&
        H5Fget_file_image(file, *image, (size_t)size) != size)
        size = -1;
    if (H5Fclose(file) < 0 || size <= 0 || !*image) {
        free(*image);
        *image = NULL;
        return -1;
    }
    return size;
}

static int write_all(int fd, const char *bytes, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, bytes, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        bytes += n;
        size -= (size_t)n;
    }
    return 0;
}

/* Writes the image to fd and makes it durable: 0, or -1 with errno. */
static int write_image(int fd, const void *image, size_t size)
{
    int rc = write_all(fd, image, size) == 0 && fsync(fd) == 0 ? 0 : -1;
    int saved = errno;
    if (close(fd) != 0 && rc == 0)
        return -1;
    errno = saved;
    return rc;
}

/* The data must be on disk before the rename makes it the file. */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static void directory_of(const char *path, char *dir, size_t size)
{
    snprintf(dir, size, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, size, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
}

/* After the rename the new file is in place and whole; the directory's
 * fsync only makes the rename itself durable. Filesystems that cannot
 * fsync a directory (EINVAL, ENOTSUP: some FUSE and network mounts) are
 * left as they are; any other failure is a warning, once per process,
 * never a reason to stop the sweep. */
static void sync_directory_of(const char *path)
{
    static int warned;
    char dir[4096];
    directory_of(path, dir, sizeof dir);
    if (sync_path(dir) == 0 || errno == EINVAL || errno == ENOTSUP || warned)
        return;
    warned = 1;
    fprintf(stderr, "sweep: warning: %s: cannot fsync the directory after renaming %s into "
            "place: %s (the file is whole; the rename may not survive a power cut)\n", dir,
            path, strerror(errno));
}

static void pause_for_kill_tests(void)
{
    const char *ms = getenv("SWEEP_TEST_COMMIT_PAUSE_MS");
    if (!ms || atoi(ms) <= 0)
        return;
    struct timespec pause = { atoi(ms) / 1000, (long)(atoi(ms) % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

int h5io_commit(hid_t file, int write_rc, const char *tmp, const char *path, char *err,
                int err_size)
{
    void *image = NULL;
    long long size = close_to_image(file, &image);
    if (write_rc != 0 || size < 0) {
        snprintf(err, (size_t)err_size, "%s: cannot build the HDF5 file in memory", tmp);
        free(image);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, (size_t)err_size, "%s: cannot create: %s", tmp, strerror(errno));
        free(image);
        return -1;
    }
    int rc = write_image(fd, image, (size_t)size);
    if (rc != 0) {
        snprintf(err, (size_t)err_size, "%s: cannot write: %s", tmp, strerror(errno));
        unlink(tmp);
    }
    free(image);
    if (rc != 0)
        return -1;
    pause_for_kill_tests();
    if (rename(tmp, path) != 0) {
        snprintf(err, (size_t)err_size, "%s: cannot rename into place: %s", path,
                 strerror(errno));
        unlink(tmp);
        return -1;
    }
    sync_directory_of(path);
    return 0;
}
