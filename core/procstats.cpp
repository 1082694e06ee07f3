#include "procstats.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace shoal {

ProcStats::ProcStats()
{
    m_hz = double(sysconf(_SC_CLK_TCK));
    m_pageSize = sysconf(_SC_PAGESIZE);
}

QHash<pid_t, GroupUsage> ProcStats::sampleGroups(const QHash<pid_t, int> &groups) const
{
    QHash<pid_t, GroupUsage> usage;
    if (groups.isEmpty())
        return usage;
    DIR *proc = opendir("/proc");
    if (!proc)
        return usage;
    char path[300];
    char buf[1024];
    while (dirent *entry = readdir(proc)) {
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
            continue;
        std::snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        const ssize_t n = ::read(fd, buf, sizeof buf - 1);
        ::close(fd);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        // The command name may hold spaces and parentheses: fields start after the last ')'.
        const char *p = std::strrchr(buf, ')');
        if (!p)
            continue;
        // Fields from 3 on: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
        // utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss
        long long field[22] = {};
        int count = 0;
        char *cursor = const_cast<char *>(p + 2);
        while (count < 22 && *cursor) {
            char *end = nullptr;
            if (count == 0) { // state is a letter
                end = cursor + 1;
            } else {
                field[count] = std::strtoll(cursor, &end, 10);
            }
            ++count;
            cursor = end;
            while (*cursor == ' ')
                ++cursor;
        }
        if (count < 22)
            continue;
        const pid_t pgrp = pid_t(field[2]);
        if (!groups.contains(pgrp))
            continue;
        GroupUsage &u = usage[pgrp];
        u.cpuTicks += field[11] + field[12];
        u.rssBytes += field[21] * m_pageSize;
    }
    closedir(proc);
    return usage;
}

} // namespace shoal
