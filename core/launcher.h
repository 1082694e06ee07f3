#pragma once

#include "result.h"

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QStringList>

#include <csignal>
#include <sys/types.h>

#include <vector>

namespace shoal {

// Starts one task process as cheaply as this machine allows, with every guarantee Shoal needs
// (bench/minilauncher.c is the measured limit it is held to):
// clone(CLONE_VM|CLONE_VFORK|CLONE_PIDFD) on a private stack, and in the child only
// async-signal-safe calls: its own process group, a clean signal mask and dispositions, stdin from
// /dev/null, stdout/stderr onto the given fds, PR_SET_PDEATHSIG(SIGKILL) with the getppid() check,
// registration of its group with the ProcessGuard, its task token (see ProcessTree), then execve of
// a path the parent resolved once. Never fork()s: fork costs grow with the engine's RSS.
//
// PDEATHSIG follows the spawning thread, so a Launcher must be used from one long-lived thread.
class Launcher
{
public:
    Launcher();
    ~Launcher();
    Launcher(const Launcher &) = delete;
    Launcher &operator=(const Launcher &) = delete;

    struct Process
    {
        pid_t pid = -1; // also the process group id
        int pidfd = -1;
        int error = 0; // errno of a failed exec (pid is then already reaped)
    };

    // stdinFd < 0: /dev/null. guardFd < 0: no guard registration. cgroupFd: the folder of a
    // cgroup v2 the child is born in (TaskCgroups), or -1.
    Process start(const QByteArray &path, const QStringList &argv, int stdinFd, int stdoutFd,
                  int stderrFd, int guardFd, int cgroupFd = -1);

    // start() with the child's stdin and stdout on new pipes, whose other ends (close-on-exec)
    // are ours: toChild, fromChild. pipeError: the errno of pipes that could not be made, and
    // then nothing was started.
    struct Piped
    {
        Process process;
        int toChild = -1;
        int fromChild = -1;
        int pipeError = 0;
    };
    Piped startPiped(const QByteArray &path, const QStringList &argv, int stderrFd, int guardFd,
                     int cgroupFd = -1);

    // Every process started from now on carries `prefix` followed by its own pid in its
    // environment (SHOAL_TASK=<run id>.<pid>, see ProcessTree), before the tokens it inherited
    // (those of the Shoal runs this one runs inside).
    void setTaskToken(const QByteArray &prefix);

    // Address-space limit (RLIMIT_AS) for every process started from now on; 0: none.
    void setMemoryLimit(qint64 bytes) { m_memoryLimit = bytes; }

    // The signal each child gets when this thread ends (PR_SET_PDEATHSIG); SIGKILL by default.
    void setDeathSignal(int signal) { m_deathSignal = signal; }

    // PATH lookup, cached: "" when the program cannot be found or run.
    QByteArray resolve(const QString &program);

private:
    std::vector<char> m_stack;
    std::vector<QByteArray> m_env;
    std::vector<char *> m_envp;
    // The token entry: the child writes its pid after the prefix before exec.
    std::vector<char> m_token;
    size_t m_tokenPidOffset = 0;
    QHash<QString, QByteArray> m_resolved;
    QByteArray m_path;
    int m_devNull = -1;
    qint64 m_memoryLimit = 0;
    int m_deathSignal = SIGKILL;
};

} // namespace shoal
