#pragma once

#include <QHash>

#include <sys/types.h>

namespace shoal {

class ProcessTree;

// CPU time and resident memory of whole task trees, read from /proc in one pass, so a task's
// grandchildren (`sh -c 'heavy'`) count toward its worker, and so do processes that left its
// group (setsid, a daemon's double fork): their ancestry, or for orphans the task token in
// their environment (ProcessTree), still names the task.
struct GroupUsage
{
    qint64 cpuTicks = 0; // utime + stime, in clock ticks
    qint64 rssBytes = 0;
};

class ProcStats
{
public:
    // tree: attributes adopted orphans and learns of the processes found outside their group;
    // null: process groups and their descendants only.
    explicit ProcStats(ProcessTree *tree = nullptr);
    // Usage summed per task, for the tasks asked for only (keyed by the process group id of
    // the task, which is its leader's pid).
    QHash<pid_t, GroupUsage> sampleGroups(const QHash<pid_t, int> &groups) const;
    double ticksPerSecond() const { return m_hz; }

private:
    ProcessTree *m_tree = nullptr;
    double m_hz = 100;
    qint64 m_pageSize = 4096;
    mutable QHash<quint64, pid_t> m_orphanOwners; // (pid, start time) hash -> leader
};

} // namespace shoal
