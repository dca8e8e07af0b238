/* progress: the within-epoch progress line, its figures, text and timing. */
#include "sched/progress.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BAR_WIDTH 20            /* Keras draws 30; names here are longer */
#define BAR_WIDTH_MIN 8         /* narrower says nothing the step count does not */
/* The room the figures after the bar are given when the bar is sized, so
 * the bar keeps its width while their digits come and go. */
#define TAIL_ROOM 44

progress_figures progress_figures_from(const step_report *r, double seconds)
{
    progress_figures f;
    memset(&f, 0, sizeof f);
    f.epoch = r->epoch;
    f.step = r->step;
    f.steps = r->steps;
    f.images = r->images;
    f.seconds = seconds;
    f.loss = r->rows > 0 ? r->loss_sum / (double)r->rows : NAN;
    f.accuracy = r->rows > 0 ? (double)r->correct / (double)r->rows : NAN;
    return f;
}

/* Keras's [=====>.....] of `width` inside the brackets: '=' for what is
 * done, '>' at its head. */
static void format_bar(char *out, int width, int step, int steps)
{
    int filled = steps > 0 ? (int)((long)width * step / steps) : 0;
    out[0] = '[';
    for (int i = 0; i < width; i++)
        out[1 + i] = i < filled ? '=' : '.';
    if (filled > 0 && filled < width)
        out[filled] = '>';
    out[1 + width] = ']';
    out[2 + width] = '\0';
}

/* As Keras writes an ETA: 12s, 7:58, 1:02:03. */
static void format_eta(char *out, size_t size, double seconds)
{
    if (!(seconds >= 0) || seconds > 360000.0) {
        snprintf(out, size, "-");
        return;
    }
    long s = lround(seconds);
    if (s < 60)
        snprintf(out, size, "%lds", s);
    else if (s < 3600)
        snprintf(out, size, "%ld:%02ld", s / 60, s % 60);
    else
        snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

int progress_format(char *out, size_t size, const char *name, int epochs,
                    const progress_figures *f, int columns)
{
    char bar[BAR_WIDTH + 3], eta[32], rate[32];
    double eta_seconds = f->step > 0 ? f->seconds * (f->steps - f->step) / f->step : NAN;
    format_eta(eta, sizeof eta, eta_seconds);
    if (f->seconds > 0)
        snprintf(rate, sizeof rate, "%.0f", (double)f->images / f->seconds);
    else
        snprintf(rate, sizeof rate, "-");
    char head[256], tail[256];
    /* the step padded to the width of the total, as Keras pads it */
    int digits = snprintf(NULL, 0, "%d", f->steps);
    snprintf(head, sizeof head, "%s epoch %d/%d  %*d/%d", name, f->epoch, epochs, digits,
             f->step, f->steps);
    snprintf(tail, sizeof tail, "%s img/s  loss %.4f  acc %.4f  ETA %s", rate, f->loss,
             f->accuracy, eta);
    /* on a terminal the bar takes what room is left, within its bounds */
    int width = BAR_WIDTH, n;
    if (columns > 0) {
        int room = columns - 1 - (int)strlen(head) - TAIL_ROOM - 5;
        width = room < BAR_WIDTH ? room : BAR_WIDTH;
    }
    if (width >= BAR_WIDTH_MIN) {
        format_bar(bar, width, f->step, f->steps);
        n = snprintf(out, size, "%s %s  %s", head, bar, tail);
    } else {
        n = snprintf(out, size, "%s  %s", head, tail);
    }
    /* the last column stays empty: some terminals wrap on writing it */
    if (columns > 0 && n >= columns && (size_t)columns <= size) {
        out[columns - 1] = '\0';
        n = columns - 1;
    }
    return n < (int)size ? n : (int)size - 1;
}

void progress_timer_start(progress_timer *t, double interval, double now)
{
    t->interval = interval;
    t->next = now + interval;
}

int progress_timer_due(progress_timer *t, double now)
{
    if (!(t->interval > 0) || now < t->next)
        return 0;
    t->next = now + t->interval;
    return 1;
}
