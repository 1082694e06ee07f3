#pragma once

#include "task.h"

#include <QtGlobal>

#include <sys/types.h>

#include <vector>

namespace shoal {

class ProcessGuard;
class ProcessTree;
class ProcessWatcher;

// One started process group (a command task's, or a service worker's) and its stop policy,
// reproc-style: SIGTERM to the group, a grace period, then SIGKILL; and the one sequence that
// ends and reaps it: everything the task left (in its group or not) is ended while the zombie
// leader still reserves the group id, the leader is reaped, its pidfd unwatched and closed, and
// the guard told to forget the group.
class TaskProcess
{
public:
    bool isLive() const { return m_pidfd >= 0; }
    pid_t pid() const { return m_pid; }
    int pidfd() const { return m_pidfd; }
    bool isFrozen() const { return m_frozen; }
    int lastSignal() const { return m_lastSignal; }
    qint64 killAtMs() const { return m_killAtMs; } // -1: no KILL scheduled

    // A new process: pid leads its group; pidfd refers to it. `alone`: a process that is only
    // ever signalled by itself, never its group, and whose end leaves its group be (srun:
    // its group holds the helper that cancels its job step when srun is killed).
    void adopt(pid_t pid, int pidfd, bool alone = false);
    // A start that failed after clone(): close what was opened, tell the guard to forget.
    static void abandon(pid_t pid, int pidfd, ProcessGuard &guard);
    // Whether the leader has exited (not reaped yet).
    bool hasExited() const;

    // TERM the group (CONT too when it is stopped, so that it can act on TERM) and schedule a
    // KILL graceMs later; with no grace, KILL now. True if a KILL was scheduled.
    bool terminate(int graceMs, qint64 nowMs);
    // SIGKILL the group now (the scheduled KILL, a garbage-writing worker).
    void kill();
    void stop(); // SIGSTOP to the group
    void cont(); // SIGCONT
    void setFrozen(bool frozen) { m_frozen = frozen; }
    void setLastSignal(int sig) { m_lastSignal = sig; }
    void clearKill() { m_killAtMs = -1; }
    void scheduleKill(qint64 atMs) { m_killAtMs = atMs; } // it was told to exit another way

    // Ends what the task left and reaps the leader (waits for it: call once it has exited, or
    // after a KILL). The handle is empty afterwards.
    ExitStatus reap(ProcessTree &tree, ProcessGuard &guard, ProcessWatcher &watcher);

    // At destruction: TERM every group, wait out the grace period (or until all exited), then
    // reap them all, KILLing what is left.
    static void endAll(const std::vector<TaskProcess *> &processes, int graceMs, ProcessTree &tree,
                       ProcessGuard &guard, ProcessWatcher &watcher);

private:
    pid_t m_pid = -1;
    int m_pidfd = -1;
    int target() const { return m_alone ? m_pid : -m_pid; } // for kill()
    static constexpr int kGroupEndMs = 3000;
    static void awaitGroupEnd(pid_t pgid);
    bool m_alone = false;
    bool m_frozen = false; // SIGSTOP sent
    mutable bool m_exited = false; // seen by hasExited(): a zombie stays one until reaped
    int m_lastSignal = 0;
    qint64 m_killAtMs = -1;
};

} // namespace shoal
