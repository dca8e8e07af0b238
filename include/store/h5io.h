/* h5io: the HDF5 calls the checkpoint and the results file share -- typed
 * datasets and attributes written and read with every call checked and
 * every handle closed, and atomic publication: a file is written under
 * PATH.tmp, closed, fsynced and renamed over PATH, then the directory is
 * fsynced, so PATH is always a whole file (old or new) whenever the
 * writer is killed, and no reader ever opens a file still being written.
 * Functions return 0 (or a valid hid_t) on success and -1 on failure;
 * the caller names the file in its message. */
#ifndef SWEEP_H5IO_H
#define SWEEP_H5IO_H

#include <hdf5.h>
#include <stddef.h>

/* ---- writing ---- */
int h5io_write_array(hid_t loc, const char *name, hid_t type, const void *data, int rank,
                     const hsize_t *dims);

/* A 1-D dataset of count rows of a type made for it (a compound, a
 * string), which this closes; -1 also if type is (a failed create). */
int h5io_write_table(hid_t loc, const char *name, hid_t type, const void *rows, size_t count);
int h5io_write_floats(hid_t loc, const char *name, const float *data, size_t count);
int h5io_write_attribute(hid_t loc, const char *name, hid_t type, const void *value);
int h5io_write_string_attribute(hid_t loc, const char *name, const char *value);
/* A scalar string dataset: for text of any length (an attribute must fit
 * in its object's 64 KB header). */
int h5io_write_string_dataset(hid_t loc, const char *name, const char *value);

/* A fixed-length, NUL-terminated ASCII string type of `size` bytes (the
 * caller closes it): the form h5dump prints as a plain quoted string. */
hid_t h5io_string_type(size_t size);

/* ---- reading ---- */
int h5io_read_attribute(hid_t loc, const char *name, hid_t type, void *value);
/* Any string attribute (fixed or variable length) into buf, truncated to
 * size - 1 bytes; returns -1 if missing or not a string. */
int h5io_read_string_attribute(hid_t loc, const char *name, char *buf, size_t size);
/* The same, into a malloc'd string of the whole length (caller frees). */
char *h5io_read_string_attribute_alloc(hid_t loc, const char *name);
/* A scalar string dataset, fixed or variable length, malloc'd; NULL if
 * missing or not a string. */
char *h5io_read_string_dataset_alloc(hid_t loc, const char *name);
/* Reads dataset `name` into data, which holds exactly `count` values of
 * `type`; a dataset of another size is a fault. */
int h5io_read_exact(hid_t loc, const char *name, hid_t type, void *data, hsize_t count);

/* The number of elements of dataset `name`, or -1 if there is none. */
long long h5io_dataset_size(hid_t loc, const char *name);

/* Opens an existing file read-only: -1 with err "PATH: fault" if it is
 * missing, not a regular file or not HDF5. */
hid_t h5io_open_read(const char *path, char *err, int err_size);

/* ---- atomic publication ---- */
/* Creates the file that will become PATH, in memory (tmp receives the
 * name PATH.tmp it is written under). -1 with err on failure. */
hid_t h5io_create_temp(const char *path, char *tmp, size_t tmp_size, char *err, int err_size);

/* Closes file; if write_rc is 0, writes its bytes to PATH.tmp, fsyncs
 * it, renames it over path and fsyncs the directory. On any failure
 * PATH.tmp is removed, path is left as it was, and err says "PATH: fault".
 * For the kill tests only: SWEEP_TEST_COMMIT_PAUSE_MS=N in the
 * environment sleeps N ms between writing and renaming, so a test can
 * kill the writer while a temporary file exists. */
int h5io_commit(hid_t file, int write_rc, const char *tmp, const char *path, char *err,
                int err_size);

#endif
