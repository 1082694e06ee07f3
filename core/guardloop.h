#pragma once

#include <sys/types.h>

namespace shoal {

// The process guard's whole life (see processguard.h), shared by the `shoal-guard` helper and
// the fork() fallback: system calls only, no allocation but a few lazily touched mmaps.
// registrationFd carries GuardRecords; wakeFd is the read end of a pipe nobody writes to, so
// that its closing (Shoal shut down or died) ends the guard's batching naps at once.
//
// On EOF after a goodbye record (an orderly shutdown) it SIGKILLs what is still registered.
// On EOF without one, Shoal died: the guard waits until Shoal is gone (its children are then
// re-parented), then scans /proc, round after round until a round finds nothing new, for
// processes in a registered group, registered processes (pid and start time), processes whose
// environment carries tokenPrefix (every process a task started, unless it cleared its
// environment) and descendants of all these; it stops each as found (so it cannot fork any
// more), then kills them all. Before that, when the run's tasks have cgroups (cgroupFolder,
// see TaskCgroups), it kills them whole (cgroup.kill), and after it removes their folders.
[[noreturn]] void runGuard(int registrationFd, int wakeFd, pid_t shoalPid, const char *tokenPrefix,
                           const char *cgroupFolder);

} // namespace shoal
