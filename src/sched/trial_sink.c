/* trial_sink: rank 0's side of a trial's events -- recorded, printed, counted for the ETA. */
#include "sched/trial_sink.h"

#include <stdio.h>

#include "core/util.h"
#include "sched/console.h"
#include "search/cost.h"

/* Rank 0: what a finished trial hands over, wherever it came from. */
void record_outcome(trial_sink *s, int index, const trial_outcome *o,
                    const uint8_t *predictions, const float *params, const float *state)
{
    const trial_settings *t = &s->config->trials[index];
    clear_live_line(s);
    if (o->status == OUTCOME_INTERRUPTED || o->status == OUTCOME_ERROR) {
        /* its checkpoint (if any) resumes it on the next run */
        recorder_stopped(s->rec, index);
        if (o->status == OUTCOME_ERROR && !s->error_status) {
            /* the first error says why the sweep stops; later ones (other
             * groups meeting the same fault) would only repeat it */
            fprintf(stderr, "sweep: %s\n", o->message);
            s->error_status = o->exit_status;
        }
        return;
    }
    if (o->status == OUTCOME_FAILED) {
        recorder_failed(s->rec, index, o->epochs_run);
        s->done++;   /* finished: it is not run again */
    } else {
        if (t->base && t->base[0])
            recorder_base_source(s->rec, index, &o->base_source);
        recorder_done(s->rec, index, o->epochs_run, o->best_epoch, &o->test, predictions,
                      o->test_images, params, (size_t)o->parameters, state,
                      (size_t)o->state_values);
        s->done++;
    }
    s->cost_done += cost_from_epoch(t, o->resumed_from_epoch);
    print_trial_end(t, o, s->rec->already_done + s->done, s->config->n_trials,
                    wall_seconds() - s->start, s->cost_done, s->cost_total,
                    s->options->verbosity);
}

void record_epoch(trial_sink *s, int index, const epoch_record *r, int replayed)
{
    clear_live_line(s);
    if (!replayed && s->options->verbosity != VERBOSITY_QUIET)
        print_epoch_line(&s->config->trials[index], r);
    recorder_epoch(s->rec, index, r);
}

void finished_here(trial_sink *s, int index, const trial_outcome *o, const trainer *tr)
{
    if (o->status == OUTCOME_DONE)
        record_outcome(s, index, o, tr->test_predictions, tr->net->params, tr->net->state);
    else
        record_outcome(s, index, o, NULL, NULL, NULL);
}
