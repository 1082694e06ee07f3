#pragma once

namespace shoal::cgroupfs {

// The few cgroup v2 file operations both Shoal (TaskCgroups) and its process guard need:
// system calls only, no allocation (the guard may be a fork() of a threaded Shoal).

// SIGKILLs every process in folder and below it (cgroup.kill); false when refused.
bool kill(const char *folder);
// Whether a process lives in folder or below it (cgroup.events "populated 1").
bool isPopulated(const char *folder);
// Waits up to waitMs for folder to empty (killed processes take a moment to go), then removes
// it and every folder below it, deepest first. What something still lives in stays.
void removeTree(const char *folder, int waitMs);

} // namespace shoal::cgroupfs
