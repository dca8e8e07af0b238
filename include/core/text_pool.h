/* text_pool: one process-wide copy of each distinct long text a trial's
 * settings point at (a network's canonical text), so trial_settings stay
 * plain values that copy by assignment, and a thousand trials of one
 * network hold it once. The pool lives until the process exits (it frees
 * itself then); nothing in it ever changes. */
#ifndef SWEEP_TEXT_POOL_H
#define SWEEP_TEXT_POOL_H

/* The pool's copy of text (equal texts give the same pointer). */
const char *text_pool_intern(const char *text);

#endif
