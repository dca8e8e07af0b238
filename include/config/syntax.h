/* syntax: the parse state of a sweep file -- the base scope and each
 * [experiment]'s, every key set in it with its line and alternatives (or
 * distribution) -- which the syntax (config.c) fills and the grid
 * (search/grid.c, search/sample.c) expands into trials; and what else of
 * config.c the value kinds (values.c) and the grid share: the error
 * message, the splitting of a value into its items, the reading of a
 * text file. Internal to config_parse. */
#ifndef SWEEP_CONFIG_SYNTAX_H
#define SWEEP_CONFIG_SYNTAX_H

#include "config/config.h"
#include "config/distribution.h"
#include "config/values.h"

typedef struct {
    int line;       /* 0: not set in this scope */
    int n_alts;     /* 1, or more for a grid axis */
    char **alts;    /* trimmed alternatives, pointing into parser.copy */
    distribution dist;   /* DIST_NONE, or the one alternative is drawn from this */
} setting;

typedef struct {
    const char *name;       /* experiment name; NULL for the base */
    int line;               /* its header line */
    setting set[N_KEYS];
} scope;

typedef struct {
    const char *label;      /* the file name in messages */
    char *err;
    int err_size;
    sweep_config *config;
    char *copy;             /* the text, cut in place into lines and values */
    scope base;             /* [sweep], [data], [train], [model] together */
    scope *exps;
    int n_exps, cap_exps;
    int section_line[SEC_EXPERIMENT];   /* where each base section opened */
    int section;            /* current section; -1 before the first header */
    int set_line;           /* the [set] header's line, 0 if none */
    int first_option_line;  /* lines from here on are --set options (0: none) */
    const char *const *options;   /* their text, for messages */
} parser;

/* Writes "LABEL:LINE: message" (or "LABEL: message" for line 0, or
 * "--set OPTION: message" for a line of an option) into p->err; returns -1,
 * so that a caller can return it. */
int config_fail(parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* s without its leading and trailing white space (the end cut in place). */
char *config_trim(char *s);

/* A copy of s (xcalloc'd) for the caller to free. */
char *config_dup_text(const char *s);

/* The items of s separated by sep, and s cut in place at each sep into
 * exactly n trimmed items. */
int config_count_items(const char *s, char sep);
void config_split_items(char *s, char sep, char **items, int n);

/* The whole text file at path, NUL-terminated, for the caller to free;
 * NULL with err set when it is no regular file, unreadable, too large for
 * a sweep file or holds a NUL byte. */
char *config_read_file(const char *path, char *err, int err_size);

#endif
