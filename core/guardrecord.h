#pragma once

#include <cstdint>

namespace shoal {

// One record on the pipe from Shoal (and from each task before its exec) to the process guard.
// 16 bytes, always written with one write(): atomic on a pipe, so the guard reads whole records.
struct GuardRecord
{
    enum Kind : std::int32_t {
        kWatchGroup = 1, // pid: a task's process group, ended if Shoal dies
        kForgetGroup = 2, // the group ended: never signal that id again
        kWatchProcess = 3, // pid + startTime: a task's process outside its group
        kForgetProcess = 4,
        kGoodbye = 5, // an orderly shutdown: Shoal ended everything itself
    };
    std::int32_t kind;
    std::int32_t pid;
    std::uint64_t startTime; // clock ticks after boot (/proc/PID/stat), kWatchProcess only
};
static_assert(sizeof(GuardRecord) == 16);

} // namespace shoal
