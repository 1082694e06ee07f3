#include "taskprocess.h"

#include "childregistry.h"
#include "processguard.h"
#include "processtree.h"
#include "processwatcher.h"

#include <QElapsedTimer>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace shoal {

void TaskProcess::adopt(pid_t pid, int pidfd, bool alone)
{
    m_alone = alone;
    m_pid = pid;
    m_pidfd = pidfd;
    m_frozen = false;
    m_exited = false;
    m_lastSignal = 0;
    m_killAtMs = -1;
}

void TaskProcess::abandon(pid_t pid, int pidfd, ProcessGuard &guard)
{
    if (pidfd >= 0)
        ::close(pidfd);
    if (pid > 0)
        guard.forget(pid);
}

bool TaskProcess::hasExited() const
{
    if (m_exited || m_pidfd < 0)
        return m_exited;
    siginfo_t info {};
    m_exited = waitid(P_PIDFD, id_t(m_pidfd), &info, WEXITED | WNOHANG | WNOWAIT) == 0
        && info.si_pid != 0;
    return m_exited;
}

bool TaskProcess::terminate(int graceMs, qint64 nowMs)
{
    const int sig = graceMs > 0 ? SIGTERM : SIGKILL;
    ::kill(target(), sig);
    if (m_frozen)
        ::kill(target(), SIGCONT); // a stopped group must run to handle TERM
    m_lastSignal = sig;
    if (sig != SIGTERM)
        return false;
    m_killAtMs = nowMs + graceMs;
    return true;
}

void TaskProcess::kill()
{
    ::kill(target(), SIGKILL);
    m_lastSignal = SIGKILL;
    m_killAtMs = -1;
}

void TaskProcess::stop()
{
    ::kill(target(), SIGSTOP);
}

void TaskProcess::cont()
{
    ::kill(target(), SIGCONT);
}

ExitStatus TaskProcess::reap(ProcessTree &tree, ProcessGuard &guard, ProcessWatcher &watcher)
{
    // End whatever the task left, in its group or not, while the zombie leader still reserves
    // the pgid and its token.
    const bool exited = hasExited();
    const bool leftNothing = !m_alone && tree.endTask(m_pid, exited);
    if (m_alone && !exited)
        ::kill(m_pid, SIGKILL);
    siginfo_t info {};
    while (waitid(P_PIDFD, id_t(m_pidfd), &info, WEXITED) < 0 && errno == EINTR) { }
    if (leftNothing)
        ProcessTree::reapGroupZombies(m_pid); // what ran in the background and exited
    if (m_alone)
        awaitGroupEnd(m_pid);
    ChildRegistry::release(m_pid);
    watcher.unwatch(m_pidfd);
    ::close(m_pidfd);
    guard.forget(m_pid);
    m_pidfd = -1;
    m_pid = -1;
    m_frozen = false;
    m_exited = false;
    m_killAtMs = -1;
    return info.si_code == CLD_EXITED ? ExitStatus::exited(info.si_status)
                                      : ExitStatus::signaled(info.si_status);
}

// What a process signalled alone left in its group (srun's helper, cancelling its job step) gets
// a moment to finish, and is reaped when it was re-parented to us (we are a subreaper) rather
// than swept as an orphan before it could.
void TaskProcess::awaitGroupEnd(pid_t pgid)
{
    QElapsedTimer waited;
    waited.start();
    while (waited.elapsed() < kGroupEndMs) {
        while (::waitpid(-pgid, nullptr, WNOHANG) > 0) { }
        if (::kill(-pgid, 0) != 0 && errno == ESRCH)
            return;
        ::poll(nullptr, 0, 10);
    }
}

void TaskProcess::endAll(const std::vector<TaskProcess *> &processes, int graceMs,
                         ProcessTree &tree, ProcessGuard &guard, ProcessWatcher &watcher)
{
    std::vector<TaskProcess *> live;
    for (TaskProcess *p : processes) {
        if (p->isLive()) {
            ::kill(p->target(), SIGTERM);
            ::kill(p->target(), SIGCONT);
            live.push_back(p);
        }
    }
    QElapsedTimer waited;
    waited.start();
    while (!live.empty() && waited.elapsed() < graceMs) {
        std::vector<pollfd> fds;
        for (TaskProcess *p : live)
            fds.push_back({ p->m_pidfd, POLLIN, 0 });
        if (::poll(fds.data(), fds.size(), int(graceMs - waited.elapsed())) <= 0)
            break;
        std::erase_if(live, [&](TaskProcess *p) {
            return std::any_of(fds.begin(), fds.end(),
                               [&](const pollfd &f) { return f.fd == p->m_pidfd && f.revents; });
        });
    }
    for (TaskProcess *p : processes) {
        if (p->isLive())
            p->reap(tree, guard, watcher); // ends (KILLs) the group and what it left
    }
}

} // namespace shoal
