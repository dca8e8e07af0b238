/* signals: turns the stop signals into a flag polled at step boundaries. */
#include "core/signals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_signal;

static void record_stop(int signo)
{
    stop_signal = signo;
}

void signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = record_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    /* The first Ctrl-C stops cleanly; the handler then resets itself, so a
     * second one takes the default action and ends the process at once. */
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
}

int signals_stop_requested(void)
{
    return stop_signal;
}
