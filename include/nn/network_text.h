/* network_text: a model written as text, one section a layer in the order
 * the data flows (Darknet's habit of text network files):
 *
 *   [conv]                     # each key on its own line; '#' comments
 *   name = stem                # default: the kind and its index, "conv0"
 *   filters = 32
 *   size = 3                   # or 1x7; stride likewise
 *   activation = relu
 *   [add]
 *   from = -1, stem            # inputs: earlier names, or -N layers back
 *
 * The kinds and their keys are layer.h's table (README, "Networks"). ';'
 * also ends a line, so a network fits on one: network_canonical writes it
 * that way with every key explicit, and that text is what a trial hashes
 * and carries between ranks. */
#ifndef SWEEP_NETWORK_TEXT_H
#define SWEEP_NETWORK_TEXT_H

#include "nn/layer.h"

/* Reads text into specs (room for max). A layer's dropout rate or L2 left
 * unsaid is the trial's (dropout, l2). Returns the count, or -1 with
 * "line N: message" in err. */
int network_parse(const char *text, layer_spec *specs, int max, double dropout, double l2,
                  char *err, int err_size);

/* The specs as one line, every key explicit, rates and L2 left to the
 * trial written "trial". Returns the length, like snprintf. */
int network_canonical(const layer_spec *specs, int n, char *buf, int size);

#endif
