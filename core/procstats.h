#pragma once

#include <QHash>

#include <sys/types.h>

namespace shoal {

// CPU time and resident memory of whole process groups, read from /proc in one pass, so a task's
// grandchildren (`sh -c 'heavy'`) count toward its worker.
struct GroupUsage
{
    qint64 cpuTicks = 0; // utime + stime, in clock ticks
    qint64 rssBytes = 0;
};

class ProcStats
{
public:
    ProcStats();
    // Usage summed per process group, for the groups asked for only.
    QHash<pid_t, GroupUsage> sampleGroups(const QHash<pid_t, int> &groups) const;
    double ticksPerSecond() const { return m_hz; }

private:
    double m_hz = 100;
    qint64 m_pageSize = 4096;
};

} // namespace shoal
