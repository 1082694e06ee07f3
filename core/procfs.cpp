#include "procfs.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace shoal::procfs {

namespace {

// "/proc/" + decimal pid + suffix, into out (at least 64 bytes).
void procPath(char *out, pid_t pid, const char *suffix)
{
    char digits[16];
    int n = 0;
    std::uint64_t v = std::uint64_t(pid);
    do {
        digits[n++] = char('0' + v % 10);
        v /= 10;
    } while (v && n < 16);
    char *p = out;
    for (const char *s = "/proc/"; *s; ++s)
        *p++ = *s;
    if (pid == 0) {
        for (const char *s = "self"; *s; ++s)
            *p++ = *s;
    } else {
        while (n)
            *p++ = digits[--n];
    }
    for (const char *s = suffix; *s; ++s)
        *p++ = *s;
    *p = '\0';
}

ssize_t readSome(int fd, char *buf, size_t size)
{
    ssize_t n;
    while ((n = ::read(fd, buf, size)) < 0 && errno == EINTR) { }
    return n;
}

ssize_t readSmall(const char *path, char *buf, size_t size)
{
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    const ssize_t n = readSome(fd, buf, size);
    ::close(fd);
    return n;
}

const char *parseNumber(const char *p, const char *end, std::int64_t &out)
{
    bool negative = false;
    if (p < end && *p == '-') {
        negative = true;
        ++p;
    }
    std::int64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9')
        v = v * 10 + (*p++ - '0');
    out = negative ? -v : v;
    return p;
}

// getdents64 on a directory of numbers: no opendir(), which allocates.
void forEachNumberIn(const char *dir, void (*fn)(pid_t, void *), void *context)
{
    struct Forward
    {
        void (*fn)(pid_t, void *);
        void *context;
    } forward { fn, context };
    forEachEntryIn(
        dir,
        [](const char *name, unsigned char, void *f) {
            std::int64_t v = 0;
            const char *end = name + std::strlen(name);
            if (name[0] >= '1' && name[0] <= '9' && parseNumber(name, end, v) == end)
                static_cast<Forward *>(f)->fn(pid_t(v), static_cast<Forward *>(f)->context);
        },
        &forward);
}

} // namespace

void forEachEntryIn(const char *dir,
                    void (*fn)(const char *name, unsigned char type, void *context), void *context)
{
    struct DirentHeader
    {
        std::uint64_t ino;
        std::int64_t off;
        unsigned short reclen;
        unsigned char type;
        char name[1];
    };
    const int fd = ::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    alignas(8) char buf[8192];
    for (;;) {
        const long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            const auto *d = reinterpret_cast<const DirentHeader *>(buf + off);
            off += d->reclen;
            fn(d->name, d->type, context);
        }
    }
    ::close(fd);
}

bool parseStat(const char *text, size_t length, Stat &out)
{
    const char *end = text + length;
    const char *p = end;
    while (p > text && p[-1] != ')')
        --p;
    if (p == text || p + 2 >= end)
        return false;
    p += 1; // after ')'
    // Fields from 3 on: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    // utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss
    std::int64_t field[22] = {};
    int count = 0;
    while (count < 22 && p < end) {
        while (p < end && *p == ' ')
            ++p;
        if (p >= end)
            break;
        if (count == 0)
            out.state = *p++;
        else
            p = parseNumber(p, end, field[count]);
        ++count;
        while (p < end && *p != ' ')
            ++p;
    }
    if (count < 22)
        return false;
    out.ppid = pid_t(field[1]);
    out.pgrp = pid_t(field[2]);
    out.cpuTicks = field[11] + field[12];
    out.startTime = std::uint64_t(field[19]);
    out.rssPages = field[21];
    return true;
}

bool readStat(pid_t pid, Stat &out)
{
    char path[64];
    procPath(path, pid, "/stat");
    char buf[1024];
    const ssize_t n = readSmall(path, buf, sizeof buf);
    return n > 0 && parseStat(buf, size_t(n), out);
}

void forEachChild(pid_t pid, void (*fn)(pid_t, void *), void *context)
{
    char dir[64];
    procPath(dir, pid, "/task");
    struct Walk
    {
        pid_t pid;
        void (*fn)(pid_t, void *);
        void *context;
    } walk { pid, fn, context };
    forEachNumberIn(
        dir,
        [](pid_t tid, void *w) {
            auto *walk = static_cast<Walk *>(w);
            char path[96];
            procPath(path, walk->pid, "/task/");
            char *p = path + std::strlen(path);
            char digits[16];
            int n = 0;
            for (std::uint64_t v = std::uint64_t(tid); v && n < 16; v /= 10)
                digits[n++] = char('0' + v % 10);
            while (n)
                *p++ = digits[--n];
            std::memcpy(p, "/children", sizeof "/children");
            const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                return;
            char buf[4096];
            std::int64_t value = 0;
            bool inNumber = false;
            for (ssize_t got; (got = readSome(fd, buf, sizeof buf)) > 0;) {
                for (ssize_t i = 0; i < got; ++i) { // numbers may straddle reads
                    if (buf[i] >= '0' && buf[i] <= '9') {
                        value = value * 10 + (buf[i] - '0');
                        inNumber = true;
                    } else if (inNumber) {
                        walk->fn(pid_t(value), walk->context);
                        value = 0;
                        inNumber = false;
                    }
                }
            }
            if (inNumber)
                walk->fn(pid_t(value), walk->context);
            ::close(fd);
        },
        &walk);
}

int findEnvironNumber(pid_t pid, const char *prefix, size_t prefixLength, std::uint64_t *number)
{
    char path[64];
    procPath(path, pid, "/environ");
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    // Entries are NUL-terminated; match prefix at the start of an entry, across reads.
    char buf[4096];
    size_t matched = 0; // bytes of prefix matched in the current entry so far
    bool atEntryStart = true;
    bool inValue = false;
    bool readAnything = false;
    std::uint64_t value = 0;
    int result = 0;
    for (ssize_t got; result == 0 && (got = readSome(fd, buf, sizeof buf)) > 0;) {
        readAnything = true;
        for (ssize_t i = 0; i < got && result == 0; ++i) {
            const char c = buf[i];
            if (inValue) {
                if (c >= '0' && c <= '9') {
                    value = value * 10 + std::uint64_t(c - '0');
                    continue;
                }
                result = 1;
                break;
            }
            if (c == '\0') {
                atEntryStart = true;
                matched = 0;
                continue;
            }
            if (atEntryStart && matched < prefixLength && c == prefix[matched]) {
                if (++matched == prefixLength)
                    inValue = true;
                continue;
            }
            atEntryStart = false;
        }
    }
    ::close(fd);
    if (inValue)
        result = 1;
    if (!readAnything)
        return -1; // zombies and kernel threads have an empty environment
    if (result == 1 && number)
        *number = value;
    return result;
}

void forEachProcess(void (*fn)(pid_t, void *), void *context)
{
    forEachNumberIn("/proc", fn, context);
}

} // namespace shoal::procfs
