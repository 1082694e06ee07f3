#pragma once

#include <QByteArray>

#include <sys/types.h>

namespace shoal {

// The promise that no process escapes, even when Shoal is SIGKILLed. PR_SET_PDEATHSIG reaches
// only a task's direct child; this guard is a tiny process (`shoal-guard`, or a fork() when that
// helper is not installed) that learns every task's process group (each child registers its own
// group before exec) and every task process Shoal saw outside its group (pid and start time),
// and, when the pipe from Shoal closes because Shoal died, ends all of them, every process
// carrying the run's task token (see ProcessTree) and all their descendants (see guardloop.h).
// It lives in its own process group, so terminal signals meant for Shoal do not reach it.
class ProcessGuard
{
public:
    // tokenPrefix: "SHOAL_TASK=<run id>." (ProcessTree::tokenPrefix()), empty for none.
    // cgroupFolder: the run's task cgroups (TaskCgroups), killed whole and removed if Shoal
    // dies; empty for none.
    explicit ProcessGuard(const QByteArray &tokenPrefix = {}, const QByteArray &cgroupFolder = {});
    ~ProcessGuard(); // says goodbye, closes the pipe and reaps the guard
    ProcessGuard(const ProcessGuard &) = delete;
    ProcessGuard &operator=(const ProcessGuard &) = delete;

    bool isRunning() const { return m_pid > 0; }
    int registrationFd() const { return m_writeFd; } // children write their pgid here
    void forget(pid_t pgid); // the group ended: the guard must not kill that id later
    void watchProcess(pid_t pid, quint64 startTime); // a task process outside its group
    void forgetProcess(pid_t pid);

private:
    void send(int kind, pid_t pid, quint64 startTime = 0);

    pid_t m_pid = -1;
    int m_writeFd = -1;
    int m_wakeFd = -1; // closed to end the guard's nap at shutdown
};

} // namespace shoal
