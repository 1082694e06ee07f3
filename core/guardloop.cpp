#include "guardloop.h"

#include "cgroupfs.h"
#include "guardrecord.h"
#include "procfs.h"

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <initializer_list>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace shoal {

namespace {

constexpr int kMaxScanRounds = 64;
constexpr int kShoalExitWaitMs = 5000;

size_t readPidMax()
{
    size_t pidMax = 4194304;
    const int fd = ::open("/proc/sys/kernel/pid_max", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char text[32];
        const ssize_t n = ::read(fd, text, sizeof text - 1);
        if (n > 0) {
            size_t v = 0;
            for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; ++i)
                v = v * 10 + size_t(text[i] - '0');
            if (v > 0)
                pidMax = v;
        }
        ::close(fd);
    }
    return pidMax + 1;
}

void *lazyMap(size_t bytes)
{
    void *map = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED)
        _exit(1);
    return map;
}

// One bit per possible pid, touched lazily: a few pages in practice.
struct PidBits
{
    unsigned char *bits = nullptr;
    size_t limit = 0;
    bool test(size_t pid) const { return pid < limit && (bits[pid / 8] & (1u << (pid % 8))); }
    void set(size_t pid, bool on)
    {
        if (pid >= limit)
            return;
        const unsigned char bit = static_cast<unsigned char>(1u << (pid % 8));
        bits[pid / 8] = on ? (bits[pid / 8] | bit) : (bits[pid / 8] & ~bit);
    }
};

struct State
{
    size_t limit = 0;
    PidBits groups; // registered process groups
    std::uint64_t *processes = nullptr; // start time of a registered process, by pid; 0: none
    PidBits marked; // found at death
    std::uint64_t *markedStart = nullptr; // the start time of each marked pid
    const char *prefix = nullptr;
    size_t prefixLength = 0;
    pid_t self = 0;
    bool grew = false;
};

// Signals pid only if it is still the process that started at startTime: through a pidfd
// opened before the check, so that a pid reused in between is never hit.
void signalIfSame(pid_t pid, std::uint64_t startTime, int sig)
{
    const int fd = int(syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0)
        return;
    procfs::Stat st;
    if (procfs::readStat(pid, st) && st.startTime == startTime)
        syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0);
    ::close(fd);
}

void scanOne(pid_t pid, void *context)
{
    auto *s = static_cast<State *>(context);
    const size_t p = size_t(pid);
    if (pid == s->self || pid <= 1 || p >= s->limit || s->marked.test(p))
        return;
    procfs::Stat st;
    if (!procfs::readStat(pid, st))
        return;
    bool ours = s->groups.test(size_t(st.pgrp)) || s->marked.test(size_t(st.ppid))
        || (s->processes[p] && s->processes[p] == st.startTime);
    if (!ours && s->prefixLength)
        ours = procfs::findEnvironNumber(pid, s->prefix, s->prefixLength, nullptr) == 1;
    if (!ours)
        return;
    s->marked.set(p, true);
    s->markedStart[p] = st.startTime;
    signalIfSame(pid, st.startTime, SIGSTOP); // it forks no more while we look further
    s->grew = true;
}

void killRegisteredGroups(State &s)
{
    for (size_t byte = 0; byte < (s.limit + 7) / 8; ++byte) {
        if (!s.groups.bits[byte])
            continue;
        for (int bit = 0; bit < 8; ++bit) {
            if (s.groups.bits[byte] & (1u << bit))
                kill(-pid_t(byte * 8 + size_t(bit)), SIGKILL); // never group 0 or 1: see read loop
        }
    }
}

void endEverything(State &s, bool orderly)
{
    if (orderly) {
        // Shoal ended its tasks itself; only what it still had registered is left.
        killRegisteredGroups(s);
        return;
    }
    for (int round = 0; round < kMaxScanRounds; ++round) {
        s.grew = false;
        procfs::forEachProcess(scanOne, &s);
        if (!s.grew)
            break;
    }
    killRegisteredGroups(s);
    for (size_t byte = 0; byte < (s.limit + 7) / 8; ++byte) {
        if (!s.marked.bits[byte])
            continue;
        for (int bit = 0; bit < 8; ++bit) {
            const size_t pid = byte * 8 + size_t(bit);
            if (s.marked.bits[byte] & (1u << bit))
                signalIfSame(pid_t(pid), s.markedStart[pid], SIGKILL);
        }
    }
}

// Applies a read of registration records; true once Shoal said goodbye (an orderly end).
bool applyRecords(State &s, const GuardRecord *records, size_t count)
{
    bool goodbye = false;
    for (size_t i = 0; i < count; ++i) {
        const GuardRecord &r = records[i];
        const size_t pid = size_t(r.pid);
        if (r.kind == GuardRecord::kGoodbye)
            goodbye = true;
        if (r.pid <= 1 || pid >= s.limit) // never group 1 (kill(-1) would be everything)
            continue;
        switch (r.kind) {
        case GuardRecord::kWatchGroup:
        case GuardRecord::kForgetGroup:
            s.groups.set(pid, r.kind == GuardRecord::kWatchGroup);
            break;
        case GuardRecord::kWatchProcess:
            s.processes[pid] = r.startTime;
            break;
        case GuardRecord::kForgetProcess:
            s.processes[pid] = 0;
            break;
        default:
            break;
        }
    }
    return goodbye;
}

void initState(State &s, const char *tokenPrefix)
{
    s.limit = readPidMax();
    s.groups.bits = static_cast<unsigned char *>(lazyMap((s.limit + 7) / 8));
    s.groups.limit = s.limit;
    s.marked.bits = static_cast<unsigned char *>(lazyMap((s.limit + 7) / 8));
    s.marked.limit = s.limit;
    s.processes = static_cast<std::uint64_t *>(lazyMap(s.limit * sizeof(std::uint64_t)));
    s.markedStart = static_cast<std::uint64_t *>(lazyMap(s.limit * sizeof(std::uint64_t)));
    s.prefix = tokenPrefix;
    s.prefixLength = tokenPrefix ? std::strlen(tokenPrefix) : 0;
    s.self = getpid();
}

} // namespace

void runGuard(int registrationFd, int wakeFd, pid_t shoalPid, const char *tokenPrefix,
              const char *cgroupFolder)
{
    setpgid(0, 0); // terminal signals meant for Shoal do not reach the guard
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    for (int sig : { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE })
        sigaction(sig, &ignore, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // Open now, while Shoal is surely alive (it is our parent): its end is then observable.
    const int shoalFd
        = shoalPid > 0 && getppid() == shoalPid ? int(syscall(SYS_pidfd_open, shoalPid, 0)) : -1;

    State s;
    initState(s, tokenPrefix);

    bool orderly = false;
    bool napping = wakeFd >= 0;
    GuardRecord
        buffer[4096]; // 64 KiB a read: as many records a nap as before they grew to 16 bytes
    for (;;) {
        const ssize_t n = ::read(registrationFd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (n == 0)
            break;
        // Every record is one 16-byte write (atomic on a pipe), so reads return whole records.
        if (applyRecords(s, buffer, size_t(n) / sizeof(GuardRecord)))
            orderly = true;
        // Wake at most ~100 times a second however fast tasks start (the pipe buffers the
        // rest), but not a moment longer once Shoal closes the wake pipe.
        if (napping) {
            pollfd wake { wakeFd, POLLIN, 0 };
            if (poll(&wake, 1, 10) > 0)
                napping = false;
        }
    }
    if (!orderly && shoalFd >= 0) {
        // Its descriptors close before it is fully gone: wait until its children (the
        // orphans it adopted as a subreaper) have been re-parented, so that one scan sees
        // the settled tree.
        pollfd gone { shoalFd, POLLIN, 0 };
        while (poll(&gone, 1, kShoalExitWaitMs) < 0 && errno == EINTR) { }
    }
    // Shoal died: its tasks' cgroups go first, whole (an orderly Shoal removed them itself).
    if (!orderly && cgroupFolder)
        cgroupfs::kill(cgroupFolder);
    endEverything(s, orderly);
    if (!orderly && cgroupFolder)
        cgroupfs::removeTree(cgroupFolder, 2000);
    _exit(0);
}

} // namespace shoal
