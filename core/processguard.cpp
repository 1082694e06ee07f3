#include "processguard.h"

#include <QtGlobal>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

namespace shoal {

namespace {

size_t readPidMax()
{
    size_t pidMax = 4194304;
    if (FILE *f = std::fopen("/proc/sys/kernel/pid_max", "re")) {
        unsigned long v = 0;
        if (std::fscanf(f, "%lu", &v) == 1 && v > 0)
            pidMax = v;
        std::fclose(f);
    }
    return pidMax + 1;
}

// The guard's whole life, after fork(): async-signal-safe calls only, no allocation.
[[noreturn]] void guardMain(int readFd, std::vector<unsigned char> &live)
{
    setpgid(0, 0);
    struct sigaction ign = {};
    ign.sa_handler = SIG_IGN;
    for (int sig : { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE })
        sigaction(sig, &ign, nullptr);
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, nullptr);
    if (dup2(readFd, 0) < 0)
        _exit(1);
    syscall(SYS_close_range, 1u, ~0u, 0u);

    qint32 buffer[4096];
    for (;;) {
        const ssize_t n = read(0, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n / ssize_t(sizeof(qint32)); ++i) {
            const qint32 v = buffer[i];
            const size_t pid = size_t(v < 0 ? -qint64(v) : v);
            if (pid > 0 && pid < live.size() * 8) {
                const unsigned char bit = 1u << (pid % 8);
                live[pid / 8] = v > 0 ? (live[pid / 8] | bit) : (live[pid / 8] & ~bit);
            }
        }
        // Wake at most ~100 times a second however fast tasks start; the pipe buffers the rest.
        const timespec pause { 0, 10'000'000 };
        nanosleep(&pause, nullptr);
    }
    // Shoal is gone (or shutting down): end every group it left behind.
    for (size_t byte = 0; byte < live.size(); ++byte) {
        if (!live[byte])
            continue;
        for (int bit = 0; bit < 8; ++bit) {
            if (live[byte] & (1u << bit))
                kill(-pid_t(byte * 8 + size_t(bit)), SIGKILL);
        }
    }
    _exit(0);
}

} // namespace

ProcessGuard::ProcessGuard()
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return;
    fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
    std::vector<unsigned char> live((readPidMax() + 7) / 8, 0);
    const pid_t pid = fork();
    if (pid == 0)
        guardMain(fds[0], live);
    ::close(fds[0]);
    if (pid < 0) {
        ::close(fds[1]);
        return;
    }
    m_pid = pid;
    m_writeFd = fds[1];
}

ProcessGuard::~ProcessGuard()
{
    if (m_writeFd >= 0)
        ::close(m_writeFd);
    if (m_pid > 0) {
        while (waitpid(m_pid, nullptr, 0) < 0 && errno == EINTR) { }
    }
}

void ProcessGuard::forget(pid_t pgid)
{
    if (m_writeFd < 0)
        return;
    const qint32 v = -qint32(pgid);
    while (::write(m_writeFd, &v, sizeof v) < 0 && errno == EINTR) { }
}

} // namespace shoal
