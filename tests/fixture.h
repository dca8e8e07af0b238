/* fixture: reads the reference tensors written by tests/make_fixtures.py
 * (tests/fixtures/reference_net.bin) so that tests compare sweep with
 * PyTorch without needing torch. Header-only; tests are its only callers.
 *
 * Format SWFX version 1, little-endian: "SWFX", uint32 version, uint32
 * tensor count; per tensor uint32 name length, the name (no NUL), uint32
 * ndim, ndim uint32 dims, then the float32 data (1 element when ndim is 0). */
#ifndef SWEEP_FIXTURE_H
#define SWEEP_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* dims beyond ndim are 0; size is the element count (1 for a scalar). */
typedef struct {
    char name[96];
    int ndim;
    int dims[4];
    long size;
    float *data;
} fixture_tensor;

typedef struct {
    int count;
    fixture_tensor *tensors;
} fixture_file;

static inline void fixture_free(fixture_file *f)
{
    if (!f) return;
    for (int i = 0; i < f->count; i++) free(f->tensors[i].data);
    free(f->tensors);
    free(f);
}

/* The file is little-endian whatever the host is. */
static inline int fixture_read_u32(FILE *fp, uint32_t *out)
{
    unsigned char b[4];
    if (fread(b, 1, 4, fp) != 4) return 0;
    *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 1;
}

/* Loads the whole file, or returns NULL after printing "PATH: FAULT" on one
 * line of stderr (missing, not a fixture, corrupt or truncated). */
static inline fixture_file *fixture_load(const char *path)
{
    const char *fault = NULL;
    fixture_file *f = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) { fault = "cannot open"; goto done; }

    /* Every length read from the file is checked against the bytes left,
     * so a corrupt header cannot ask for a huge allocation. */
    long file_bytes = -1;
    if (fseek(fp, 0, SEEK_END) == 0) file_bytes = ftell(fp);
    if (file_bytes < 0 || fseek(fp, 0, SEEK_SET) != 0) { fault = "cannot seek"; goto done; }

    char magic[4];
    uint32_t version, count;
    if (fread(magic, 1, 4, fp) != 4 || !fixture_read_u32(fp, &version)
        || !fixture_read_u32(fp, &count)) { fault = "truncated header"; goto done; }
    if (memcmp(magic, "SWFX", 4) != 0) { fault = "not a fixture file (bad magic)"; goto done; }
    if (version != 1) { fault = "unsupported version"; goto done; }
    /* The smallest tensor takes 13 bytes: a 1-byte name and a scalar. */
    if (count > (uint32_t)(file_bytes / 13)) { fault = "truncated or corrupt (more tensors than the file can hold)"; goto done; }

    f = calloc(1, sizeof *f);
    if (!f || !(f->tensors = calloc(count ? count : 1, sizeof *f->tensors))) {
        fault = "out of memory"; goto done;
    }
    for (uint32_t i = 0; i < count; i++) {
        fixture_tensor *t = &f->tensors[i];
        uint32_t name_bytes, ndim;
        if (!fixture_read_u32(fp, &name_bytes)) { fault = "truncated"; goto done; }
        if (name_bytes == 0 || name_bytes >= sizeof t->name) { fault = "corrupt name length"; goto done; }
        if (fread(t->name, 1, name_bytes, fp) != name_bytes) { fault = "truncated"; goto done; }
        t->name[name_bytes] = '\0';
        if (strlen(t->name) != name_bytes) { fault = "corrupt name"; goto done; }
        if (!fixture_read_u32(fp, &ndim)) { fault = "truncated"; goto done; }
        if (ndim > 4) { fault = "corrupt ndim"; goto done; }
        t->ndim = (int)ndim;
        t->size = 1;
        for (int d = 0; d < t->ndim; d++) {
            uint32_t dim;
            if (!fixture_read_u32(fp, &dim)) { fault = "truncated"; goto done; }
            if (dim == 0 || dim > (uint32_t)(file_bytes / 4)
                || t->size > file_bytes / 4 / (long)dim) { fault = "corrupt shape"; goto done; }
            t->dims[d] = (int)dim;
            t->size *= (long)dim;
        }
        long left = file_bytes - ftell(fp);
        if (t->size > left / 4) { fault = "truncated"; goto done; }
        if (!(t->data = malloc((size_t)t->size * sizeof(float)))) { fault = "out of memory"; goto done; }
        f->count = (int)i + 1;  /* from here fixture_free owns t->data */
        if (fread(t->data, sizeof(float), (size_t)t->size, fp) != (size_t)t->size) {
            fault = "truncated"; goto done;
        }
        const uint32_t one = 1;
        if (*(const unsigned char *)&one == 0) {  /* big-endian host: swap each float */
            unsigned char *b = (unsigned char *)t->data;
            for (long k = 0; k < t->size; k++, b += 4) {
                unsigned char s0 = b[0], s1 = b[1];
                b[0] = b[3]; b[1] = b[2]; b[2] = s1; b[3] = s0;
            }
        }
    }
    if (fgetc(fp) != EOF) fault = "trailing bytes after the last tensor";

done:
    if (fp) fclose(fp);
    if (fault) {
        fprintf(stderr, "%s: %s\n", path, fault);
        fixture_free(f);
        return NULL;
    }
    return f;
}

/* The tensor called name, or NULL if the file has none. */
static inline const fixture_tensor *fixture_find(const fixture_file *f, const char *name)
{
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

#endif
