#pragma once

#include "outputcapture.h"
#include "task.h"
#include "taskprocess.h"

#include <memory>

namespace shoal {

struct ServiceSlot; // servicelaunching.h

// Why Shoal is ending a worker's process. Garbage and ClosedOutput: service workers only (a bad
// line; EOF on stdout).
enum class EndReason : quint8 { None, Timeout, Cancel, Requeue, Garbage, Memory, ClosedOutput };

// One worker slot ({%}, numbered from 1): the user's view of a worker, whatever launches its
// processes. The pool steers it (pause, park, drain, timeouts, sampling); a Launching runs tasks
// on it.
struct WorkerSlot
{
    int number = 0;
    quint32 generation = 0; // a new one per slot: events of a replaced slot are told apart
    bool paused = false; // by the user
    bool parked = false; // surplus under DrainPolicy::Pause
    bool draining = false; // leaves the pool when its work ends
    bool crashed = false; // its worker kept failing to start or exiting: nothing more runs here
    OutputCapture capture;

    TaskProcess process; // the live process (a task's, or a service program's)
    EndReason endReason = EndReason::None;
    qint64 processStartedMs = 0;
    qint64 segmentStartMs = 0; // when the process last started or thawed
    qint64 accumulatedMs = 0; // running time before that
    qint64 progressActiveMs = 0; // running time at the last sign of progress (hang timeout)
    TaskId task = -1; // one process per task: the task it runs
    qint64 remotePid = 0; // its process on a worker host (-S), 0: none or not known yet

    int tasksDone = 0;
    int failures = 0; // failed attempts

    // Usage sampling of the process group.
    pid_t statsGroup = 0;
    qint64 lastTicks = 0;
    qint64 lastSampleMs = 0;
    double cpuPercent = 0;
    qint64 rssBytes = 0;

    std::unique_ptr<ServiceSlot> service; // service workers: the program and its tasks in flight

    WorkerSlot();
    ~WorkerSlot();
};

// How a task (or a service worker's) ends when Shoal ended its group for resident memory over
// limitBytes: the sampled size against the limit.
inline ExitStatus memoryLimitExit(const WorkerSlot &slot, qint64 limitBytes)
{
    return ExitStatus::memoryLimit(int(slot.rssBytes >> 20), int(limitBytes >> 20));
}

} // namespace shoal
