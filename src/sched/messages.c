/* messages: an idle rank's wait for a message, without spinning. */
#include "sched/messages.h"

#include <time.h>

/* Open MPI's blocking calls poll at full speed; an idle rank instead tests
 * its request every millisecond and sleeps in between. */
void wait_patiently(MPI_Request *request)
{
    const struct timespec pause = { 0, 1000000 };
    int done = 0;
    for (;;) {
        MPI_Test(request, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        nanosleep(&pause, NULL);
    }
}
