/* trial_sink: rank 0's side of a trial's events -- recorded, printed, counted for the ETA. */
#include "sched/trial_sink.h"

#include <stdio.h>

#include "core/util.h"
#include "sched/console.h"
#include "sched/search_plan.h"
#include "search/cost.h"

/* The progress line's count of trials finished, and the ETA's costs. A
 * grid counts as it goes against the cost it had at the start; a search
 * in rungs asks its plan, since a promotion can add epochs nobody
 * counted on and a rung's decision can settle many trials at once. */
static int count_progress(trial_sink *s, const trial_settings *t, const trial_outcome *o)
{
    if (!search_plan_in_rungs(s->plan)) {
        s->cost_done += cost_from_epoch(t, o->resumed_from_epoch);
        return s->rec->already_done + ++s->done;
    }
    double to_run;
    int settled = search_plan_settled(s->plan, &to_run);
    s->cost_done += cost_of_epochs(t, o->resumed_from_epoch, o->epochs_run);
    s->cost_total = s->cost_done + to_run;
    return settled;
}

trial_sink rank0_sink(const sweep_config *c, const sched_options *o, recorder *rec,
                      search_plan *plan)
{
    double cost_total;
    search_plan_settled(plan, &cost_total);
    return (trial_sink){ .epoch = record_epoch, .rec = rec, .config = c, .options = o,
                         .start = wall_seconds(), .cost_total = cost_total,
                         .progress = o->verbosity != VERBOSITY_QUIET ? print_progress : NULL,
                         .progress_seconds = c->progress_seconds, .plan = plan };
}

/* Rank 0: what a finished trial hands over, wherever it came from. */
void record_outcome(trial_sink *s, int index, const trial_outcome *o,
                    const uint8_t *predictions, const float *params, const float *state)
{
    const trial_settings *t = &s->config->trials[index];
    clear_live_line(s);
    if (o->status == OUTCOME_INTERRUPTED || o->status == OUTCOME_ERROR) {
        /* its checkpoint (if any) resumes it on the next run */
        recorder_stopped(s->rec, index);
        search_plan_hold(s->plan, index);
        if (o->status == OUTCOME_ERROR && !s->error_status) {
            /* the first error says why the sweep stops; later ones (other
             * groups meeting the same fault) would only repeat it */
            fprintf(stderr, "sweep: %s\n", o->message);
            s->error_status = o->exit_status;
        }
        return;
    }
    if (o->status == OUTCOME_FAILED) {
        recorder_failed(s->rec, index, o->epochs_run);   /* finished: it is not run again */
    } else if (o->status == OUTCOME_PAUSED) {
        recorder_pruned(s->rec, index, o->epochs_run);   /* until the search promotes it */
    } else {
        if (t->base && t->base[0])
            recorder_base_source(s->rec, index, &o->base_source);
        recorder_done(s->rec, index, o->epochs_run, o->best_epoch, &o->test, predictions,
                      o->test_images, params, (size_t)o->parameters, state,
                      (size_t)o->state_values);
    }
    search_plan_update(s->plan, index);
    if (o->status == OUTCOME_PAUSED)
        print_rung_end(t, results_trial(&s->rec->results, index)->rung, o->epochs_run,
                       s->config->search.metric, search_plan_metric(s->plan, index));
    else
        print_trial_end(t, o, s->options->verbosity);
    int done = count_progress(s, t, o);
    print_sweep_progress(done, s->config->n_trials, search_plan_in_rungs(s->plan),
                         wall_seconds() - s->start, s->cost_done, s->cost_total);
}

void record_epoch(trial_sink *s, int index, const epoch_record *r, int replayed)
{
    clear_live_line(s);
    if (!replayed && s->options->verbosity != VERBOSITY_QUIET)
        print_epoch_line(&s->config->trials[index], r);
    recorder_epoch(s->rec, index, r);
    search_plan_update(s->plan, index);
}

void finished_here(trial_sink *s, int index, const trial_outcome *o, const trainer *tr)
{
    if (o->status == OUTCOME_DONE)
        record_outcome(s, index, o, tr->test_predictions, tr->net->params, tr->net->state);
    else
        record_outcome(s, index, o, NULL, NULL, NULL);
}
