// shoal-guard: the process guard as its own tiny program (see processguard.h). Shoal starts it
// as `shoal-guard SHOAL_PID TOKEN_PREFIX [CGROUP_FOLDER]` with the registration pipe on fd 0 and
// the wake pipe on fd 1; exec'ing it costs far less than fork()ing a large Shoal and paying
// copy-on-write faults for the rest of the batch.
#include "guardloop.h"

#include <cstdlib>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    syscall(SYS_close_range, 3u, ~0u, 0u); // hold nothing of Shoal's open
    const pid_t shoal = argc > 1 ? pid_t(std::atol(argv[1])) : 0;
    const auto given = [&](int i) { return argc > i && argv[i][0] ? argv[i] : nullptr; };
    shoal::runGuard(0, 1, shoal, given(2), given(3));
}
