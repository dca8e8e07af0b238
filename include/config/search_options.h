/* search_options: the [search] keys checked together and against the
 * trials, once each alone has been read (values.c): which keys each
 * method takes, that a grid draws nothing, that the first rung fits in
 * every trial's epochs. Called by config_parse. Internal to it. */
#ifndef SWEEP_CONFIG_SEARCH_OPTIONS_H
#define SWEEP_CONFIG_SEARCH_OPTIONS_H

#include "config/syntax.h"

/* After the file is read: samples for random, sha and asha only (and
 * required there), reduction and min_epochs for sha and asha only, and no
 * distribution in a grid. 0, or -1 after config_fail. */
int config_check_search(parser *p);

/* After the trials are made: min_epochs <= every trial's epochs. */
int config_check_search_trials(parser *p);

#endif
