/* progress: the line that shows how far an epoch has got, as Keras's
 * progress bar shows it -- what it says (progress_format) and when the
 * next one is due (progress_timer). The scheduler feeds it the trainer's
 * step reports (train.h) and prints it: redrawn in place on a terminal,
 * as a line of its own every progress_seconds otherwise. It reads no clock
 * and writes nothing itself, so a test drives it with made-up times. */
#ifndef SWEEP_PROGRESS_H
#define SWEEP_PROGRESS_H

#include <stddef.h>

#include "train/train.h"

/* How often a terminal's line is redrawn: about four times a second, as
 * often as a reader can follow and rare enough to cost nothing. */
#define PROGRESS_LIVE_SECONDS 0.25

/* What a progress line says: a plain value (it travels to rank 0 as bytes). */
typedef struct {
    int epoch, step, steps;
    long images;                /* trained so far this epoch, the whole group's */
    double seconds;             /* since the epoch began */
    double loss, accuracy;      /* running means of the epoch so far; NaN before a step */
} progress_figures;

progress_figures progress_figures_from(const step_report *r, double seconds);

/* "NAME epoch E/N  k/K [=====>....]  2150 img/s  loss 0.4123  acc 0.8512  ETA 12s"
 * into out (no newline). columns > 0: the width of the terminal; the bar
 * is dropped, then the end cut off, so the line never wraps (a wrapped
 * line cannot be redrawn with a carriage return). Returns its length. */
int progress_format(char *out, size_t size, const char *name, int epochs,
                    const progress_figures *f, int columns);

/* When a line is due within one epoch: the first `interval` seconds after
 * the epoch began, then every `interval` seconds after the last one shown.
 * An interval of 0 is never due. */
typedef struct {
    double interval;
    double next;                /* the time the next line is due */
} progress_timer;

void progress_timer_start(progress_timer *t, double interval, double now);

/* Whether a line is due at `now`; if so the next one is due an interval later. */
int progress_timer_due(progress_timer *t, double now);

#endif
