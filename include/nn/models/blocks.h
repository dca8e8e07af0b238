/* blocks: the report's Sections 1 and 2 models, from a trial's short keys
 * (conv or groups, dense, batch_norm, dropout, l2), as a list of layer
 * specs for the graph builder -- the same builder a network file goes
 * through. Layer names and order are those every earlier results file and
 * checkpoint used ("block0.conv0", "block0.pool", "dense0.bn", "output"),
 * so their weights still load and dropout masks stay where they were. */
#ifndef SWEEP_MODELS_BLOCKS_H
#define SWEEP_MODELS_BLOCKS_H

#include "config/trial.h"
#include "nn/layer.h"
#include "nn/models/spec_list.h"

/* The specs into out (room for max); the count, or -1 if max is too few. */
int blocks_model_specs(const trial_settings *t, layer_spec *out, int max);

/* The dense part alone: per hidden dense -> ReLU -> [batch norm] ->
 * [dropout], then Dense(10) "output"; also the head on a pretrained base. */
void blocks_head_specs(spec_list *l, const trial_settings *t);

#endif
