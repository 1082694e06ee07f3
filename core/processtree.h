#pragma once

#include <QByteArray>
#include <QHash>
#include <QObject>

#include <sys/types.h>

#include <memory>
#include <vector>

class QSocketNotifier;

namespace shoal {

class ProcessGuard;
class TaskCgroups;

// Everything a task starts, wherever it goes: a process that leaves its task's group
// (setsid, setpgid, a daemon's double fork) is still found and ended with its task.
//
// The process hosting the pool is a child subreaper, so whatever a task leaves behind when
// its parent dies is re-parented to us instead of to init. Every task process carries
// SHOAL_TASK=<run id>.<leader pid> in its environment, inherited by all it starts, so an
// adopted orphan tells whose it is; the rest of a task's tree hangs below its group members
// and adopted orphans (/proc/PID/task/*/children). Only our own children's lists are read
// when a task ends, never the whole of /proc. Processes are signalled through pidfds whose
// identity was checked after opening, so a reused pid is never hit. Where the system lets us
// make cgroups, each task also runs in a cgroup of its own (TaskCgroups), which nothing it
// starts can leave: its end kills that cgroup whole as well.
class ProcessTree : public QObject
{
public:
    explicit ProcessTree(QObject *parent = nullptr);
    ~ProcessTree() override; // reaps what it ended (waits a little for it)

    // Where remembered processes are registered (pid and start time); may be null.
    void setGuard(ProcessGuard *guard) { m_guard = guard; }

    // PR_SET_CHILD_SUBREAPER for the whole process; false when the kernel refuses.
    static bool becomeSubreaper();
    static constexpr const char kTokenName[] = "SHOAL_TASK";

    // Unique to this pool on this machine: "<pid>-<counter>-<nanoseconds>".
    const QByteArray &runId() const { return m_runId; }
    // "SHOAL_TASK=<run id>.": the leader's pid follows.
    const QByteArray &tokenPrefix() const { return m_prefix; }

    // Puts every task started from now on in a cgroup of its own (TaskCgroups); false, with
    // why set, where the system does not allow it.
    bool useCgroups(QString *why);
    const QByteArray &cgroupPath() const; // empty without cgroups
    // Around each launch: the cgroup folder the child is to be born in (-1 for none), then the
    // leader's pid (or -1 when it did not start, childRan telling whether a child was born
    // and failed to exec, or none could be), so that the cell goes with that task.
    int prepareLaunch();
    void launched(pid_t leader, bool childRan);

    // Ends (SIGKILL) the group `leader` leads and everything its task left outside it, and
    // reaps what was re-parented to us. Call while the leader is alive or an unreaped zombie
    // (its pid then still reserves the group id). A leader that has exited has no children
    // (they were re-parented to us as it exited), so theirs are looked for only while it lives.
    // True when the task was found to have left nothing running (its cell empty): then only
    // zombies of its group may be left, for reapGroupZombies() once the leader is reaped.
    bool endTask(pid_t leader, bool leaderExited = false);
    // Reaps the exited children of ours still in the group (a task's background processes,
    // re-parented to us): the leader is reaped already, and nothing of the group runs.
    static void reapGroupZombies(pid_t group);

    // Which task (leader pid) a child of this process belongs to; 0 when it carries no token
    // of this run.
    pid_t ownerOfChild(pid_t pid) const;

    // A process of the task led by `leader` seen outside its group while the task runs
    // (ProcStats): ended with the task even if it cleared its environment, and told to the
    // guard (pid and start time) so that it is ended if we die first.
    void remember(pid_t leader, pid_t pid, quint64 startTime);

    // At the batch's end: children of ours that no one waits for and that belong to no other
    // run (adopted orphans, including those that cleared their environment) are ended and
    // reaped. Processes in our own process group are left alone: the host started them.
    // Whether every child of this process that is not claimed is fair game for sweepOrphans()
    // (`shoal run`, whose only children are its tasks). Off by default: a window or any host
    // that starts programs of its own (a browser, a file manager) only has children carrying
    // this run's token ended, and an orphan that cleared its environment lives on there.
    void setOwnsAllChildren(bool owns) { m_ownsAllChildren = owns; }
    void sweepOrphans();

private:
    struct Known
    {
        pid_t pid;
        quint64 startTime;
    };
    struct Pending
    {
        pid_t pid;
        int pidfd;
        bool exited;
    };
    // Stops every process roots() names and all their descendants, round after round until
    // a round finds nothing new (a stopped process cannot fork), then kills them all.
    // roots(std::vector<Known> &) appends; a template, so that no task's end allocates for it.
    template<typename Roots> void endProcesses(pid_t group, const Roots &roots);
    void reapPending();
    void addPending(pid_t pid, int pidfd);
    // Whether the cell was seen empty (then nothing was killed).
    bool endCell(int cell);
    void onReapable();

    ProcessGuard *m_guard = nullptr;
    QByteArray m_runId;
    bool m_ownsAllChildren = false;
    QByteArray m_prefix;
    QHash<pid_t, std::vector<Known>> m_escapees; // by task leader
    std::vector<Pending> m_pending; // ended, not reaped yet
    size_t m_pendingMark = 0; // where the current endTask()'s entries begin
    std::unique_ptr<TaskCgroups> m_cgroups;
    int m_preparedCell = -1;
    QHash<pid_t, int> m_cellOf; // by task leader
    int m_epollFd = -1;
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace shoal
