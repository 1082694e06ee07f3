#pragma once

#include <shared_mutex>

#include <sys/types.h>

namespace shoal {

// Which children of this process someone already waits for through a pidfd (task leaders,
// service workers, guards), process-wide because several pools may share one process (the
// window) and one pool's sweep of adopted orphans must never reap another pool's leader.
// A bit per possible pid, set and cleared with one atomic operation: cheap enough for every
// launch.
namespace ChildRegistry {

void claim(pid_t pid);
void release(pid_t pid); // after the owner reaped it
bool isClaimed(pid_t pid);

// Held shared from clone() until the new child is claimed, and exclusively while a sweep
// decides which unclaimed children are orphans: a child between the two is never mistaken
// for one.
std::shared_mutex &launchLock();

} // namespace ChildRegistry

} // namespace shoal
