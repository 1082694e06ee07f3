#include "guardloop.h"

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

namespace shoal {

namespace {

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

} // namespace

void runGuard(int registrationFd, int wakeFd)
{
    setpgid(0, 0); // terminal signals meant for Shoal do not reach the guard
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    for (int sig : { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE })
        sigaction(sig, &ignore, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);

    // One bit per possible pid, touched lazily: a few pages in practice.
    const size_t bits = readPidMax();
    const size_t bytes = (bits + 7) / 8;
    void *map = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        _exit(1);
    auto *live = static_cast<unsigned char *>(map);

    bool napping = wakeFd >= 0;
    int32_t buffer[4096];
    for (;;) {
        const ssize_t n = ::read(registrationFd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (n == 0)
            break;
        // Every record is one 4-byte write (atomic on a pipe), so reads return whole records.
        for (ssize_t i = 0; i < n / ssize_t(sizeof(int32_t)); ++i) {
            const int32_t v = buffer[i];
            const size_t pid = size_t(v < 0 ? -int64_t(v) : v);
            if (pid > 1 && pid < bits) { // never group 1 (kill(-1) would be everything)
                const unsigned char bit = static_cast<unsigned char>(1u << (pid % 8));
                live[pid / 8] = v > 0 ? (live[pid / 8] | bit) : (live[pid / 8] & ~bit);
            }
        }
        // Wake at most ~100 times a second however fast tasks start (the pipe buffers the
        // rest), but not a moment longer once Shoal closes the wake pipe.
        if (napping) {
            pollfd wake { wakeFd, POLLIN, 0 };
            if (poll(&wake, 1, 10) > 0)
                napping = false;
        }
    }
    // Shoal is gone (or shutting down): end every group it left behind.
    for (size_t byte = 0; byte < bytes; ++byte) {
        if (!live[byte])
            continue;
        for (int bit = 0; bit < 8; ++bit) {
            if (live[byte] & (1u << bit))
                kill(-pid_t(byte * 8 + size_t(bit)), SIGKILL);
        }
    }
    _exit(0);
}

} // namespace shoal
