/* text_pool: a list of interned texts, freed at exit. */
#include "core/text_pool.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

typedef struct pooled {
    struct pooled *next;
    char text[];
} pooled;

static pooled *pool;

static void text_pool_free(void)
{
    while (pool) {
        pooled *next = pool->next;
        free(pool);
        pool = next;
    }
}

const char *text_pool_intern(const char *text)
{
    for (const pooled *p = pool; p; p = p->next)
        if (strcmp(p->text, text) == 0)
            return p->text;
    if (!pool)
        atexit(text_pool_free);
    size_t n = strlen(text);
    pooled *p = xcalloc(1, sizeof *p + n + 1);
    memcpy(p->text, text, n);
    p->next = pool;
    pool = p;
    return p->text;
}
