#include "procstats.h"

#include "processtree.h"
#include "procfs.h"

#include <unistd.h>

#include <vector>

namespace shoal {

ProcStats::ProcStats(ProcessTree *tree)
    : m_tree(tree)
{
    m_hz = double(sysconf(_SC_CLK_TCK));
    m_pageSize = sysconf(_SC_PAGESIZE);
}

QHash<pid_t, GroupUsage> ProcStats::sampleGroups(const QHash<pid_t, int> &groups) const
{
    QHash<pid_t, GroupUsage> usage;
    if (groups.isEmpty())
        return usage;
    struct Entry
    {
        pid_t pid;
        procfs::Stat stat;
        pid_t owner; // task leader; 0: none; -1: not known yet
    };
    struct Scan
    {
        std::vector<Entry> entries;
    } scan;
    scan.entries.reserve(512);
    procfs::forEachProcess(
        [](pid_t pid, void *s) {
            Entry e { pid, {}, -1 };
            if (procfs::readStat(pid, e.stat))
                static_cast<Scan *>(s)->entries.push_back(e);
        },
        &scan);
    std::vector<Entry> &entries = scan.entries;

    const pid_t self = getpid();
    QHash<pid_t, qsizetype> index;
    index.reserve(qsizetype(entries.size()));
    QHash<quint64, pid_t> orphanOwners;
    for (qsizetype i = 0; i < qsizetype(entries.size()); ++i) {
        Entry &e = entries[size_t(i)];
        index.insert(e.pid, i);
        if (groups.contains(e.stat.pgrp)) {
            e.owner = e.stat.pgrp;
        } else if (e.stat.ppid == self && m_tree) {
            // An adopted orphan: its token says whose it is (read once per process).
            const quint64 key = quint64(e.pid) << 32 ^ e.stat.startTime;
            const auto known = m_orphanOwners.constFind(key);
            const pid_t owner
                = known != m_orphanOwners.constEnd() ? *known : m_tree->ownerOfChild(e.pid);
            orphanOwners.insert(key, owner);
            e.owner = groups.contains(owner) ? owner : 0;
        } else if (e.stat.ppid <= 1 || e.stat.ppid == self) {
            e.owner = 0;
        }
    }
    m_orphanOwners = std::move(orphanOwners);
    // Everything else belongs to whatever its nearest attributed ancestor belongs to.
    std::vector<qsizetype> path;
    for (qsizetype i = 0; i < qsizetype(entries.size()); ++i) {
        path.clear();
        qsizetype at = i;
        pid_t owner = 0;
        while (at >= 0 && entries[size_t(at)].owner < 0 && path.size() < entries.size()) {
            path.push_back(at);
            at = index.value(entries[size_t(at)].stat.ppid, -1);
        }
        if (at >= 0)
            owner = qMax(0, entries[size_t(at)].owner);
        for (qsizetype p : path)
            entries[size_t(p)].owner = owner;
    }
    for (const Entry &e : entries) {
        if (e.owner <= 0)
            continue;
        GroupUsage &u = usage[e.owner];
        u.cpuTicks += e.stat.cpuTicks;
        u.rssBytes += e.stat.rssPages * m_pageSize;
        if (m_tree && e.stat.pgrp != e.owner)
            m_tree->remember(e.owner, e.pid, e.stat.startTime);
    }
    return usage;
}

} // namespace shoal
