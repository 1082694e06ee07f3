#include "processguard.h"

#include "childregistry.h"
#include "guardloop.h"
#include "guardrecord.h"
#include "selfpath.h"

#include <QtGlobal>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <initializer_list>
#include <mutex>
#include <shared_mutex>
#include <spawn.h>
#include <string>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace shoal {

namespace {

// `shoal-guard` beside the running executable (the build tree), in ../LIBEXECDIR/shoal from it
// (an install under any prefix), else where `cmake --install` put it. Empty when none exists:
// the guard is then fork()ed.
std::string guardProgram()
{
    if (const std::string dir = executableDir(); !dir.empty()) {
        for (const char *relative :
             { "shoal-guard", "../" SHOAL_LIBEXEC_DIR "/shoal/shoal-guard" }) {
            const std::string path = dir + relative;
            if (::access(path.c_str(), X_OK) == 0)
                return path;
        }
    }
#ifdef SHOAL_GUARD_INSTALL_PATH
    if (::access(SHOAL_GUARD_INSTALL_PATH, X_OK) == 0)
        return SHOAL_GUARD_INSTALL_PATH;
#endif
    return {};
}

pid_t spawnGuard(const std::string &program, int registrationFd, int wakeFd,
                 const QByteArray &tokenPrefix, const QByteArray &cgroupFolder)
{
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_adddup2(&files, registrationFd, 0);
    posix_spawn_file_actions_adddup2(&files, wakeFd, 1);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(
        &attr, 0); // its own group from the start: a Ctrl-C meant for Shoal misses it
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    const std::string shoalPid = std::to_string(getpid());
    char *argv[] = { const_cast<char *>("shoal-guard"), const_cast<char *>(shoalPid.c_str()),
                     const_cast<char *>(tokenPrefix.constData()),
                     const_cast<char *>(cgroupFolder.constData()), nullptr };
    pid_t pid = -1;
    if (posix_spawn(&pid, program.c_str(), &files, &attr, argv, environ) != 0)
        pid = -1;
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&files);
    return pid;
}

// Moves fd above the standard streams (Shoal may have started with some of them closed, and a
// pipe on fd 1 would take Shoal's output for registrations).
int aboveStandardStreams(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    ::close(fd);
    return moved;
}

bool makePipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0)
        return false;
    fds[0] = aboveStandardStreams(fds[0]);
    fds[1] = aboveStandardStreams(fds[1]);
    if (fds[0] >= 0 && fds[1] >= 0)
        return true;
    for (int i : { 0, 1 }) {
        if (fds[i] >= 0)
            ::close(fds[i]);
    }
    return false;
}

} // namespace

ProcessGuard::ProcessGuard(const QByteArray &tokenPrefix, const QByteArray &cgroupFolder)
{
    int registration[2], wake[2];
    if (!makePipe(registration))
        return;
    if (!makePipe(wake)) {
        ::close(registration[0]);
        ::close(registration[1]);
        return;
    }
    fcntl(registration[1], F_SETPIPE_SZ, 1 << 20);
    pid_t pid = -1;
    static const std::string program = guardProgram();
    const pid_t shoalPid = getpid();
    // Claimed at once: a pool sweeping adopted orphans must never take the guard for one.
    std::shared_lock launching(ChildRegistry::launchLock());
    if (!program.empty())
        pid = spawnGuard(program, registration[0], wake[0], tokenPrefix, cgroupFolder);
    if (pid < 0) {
        pid = fork();
        if (pid == 0) {
            // After fork() CLOEXEC does nothing: hold none of Shoal's descriptors (other
            // pools' pipes, workers' stdins), or their ends would never see EOF.
            if (dup2(registration[0], 0) < 0 || dup2(wake[0], 1) < 0)
                _exit(1);
            syscall(SYS_close_range, 3u, ~0u, 0u);
            runGuard(0, 1, shoalPid, tokenPrefix.isEmpty() ? nullptr : tokenPrefix.constData(),
                     cgroupFolder.isEmpty() ? nullptr : cgroupFolder.constData());
        }
    }
    if (pid > 0)
        ChildRegistry::claim(pid);
    launching.unlock();
    ::close(registration[0]);
    ::close(wake[0]);
    if (pid < 0) {
        ::close(registration[1]);
        ::close(wake[1]);
        return;
    }
    m_pid = pid;
    m_writeFd = registration[1];
    m_wakeFd = wake[1];
}

ProcessGuard::~ProcessGuard()
{
    send(GuardRecord::kGoodbye, 0);
    if (m_writeFd >= 0)
        ::close(m_writeFd); // EOF first: the guard ends what is still registered...
    if (m_wakeFd >= 0)
        ::close(m_wakeFd); // ...and wakes from its nap to see it
    if (m_pid > 0) {
        while (waitpid(m_pid, nullptr, 0) < 0 && errno == EINTR) { }
        ChildRegistry::release(m_pid);
    }
}

void ProcessGuard::send(int kind, pid_t pid, quint64 startTime)
{
    if (m_writeFd < 0)
        return;
    const GuardRecord record { kind, qint32(pid), startTime };
    while (::write(m_writeFd, &record, sizeof record) < 0 && errno == EINTR) { }
}

void ProcessGuard::forget(pid_t pgid)
{
    send(GuardRecord::kForgetGroup, pgid);
}

void ProcessGuard::watchProcess(pid_t pid, quint64 startTime)
{
    send(GuardRecord::kWatchProcess, pid, startTime);
}

void ProcessGuard::forgetProcess(pid_t pid)
{
    send(GuardRecord::kForgetProcess, pid);
}

} // namespace shoal
