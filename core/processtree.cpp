#include "processtree.h"

#include "childregistry.h"
#include "processguard.h"
#include "procfs.h"
#include "taskcgroups.h"

#include <QElapsedTimer>
#include <QSocketNotifier>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <mutex>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace shoal {

namespace {

constexpr int kMaxRounds = 64;
constexpr int kReapWaitMs = 2000;

int pidfdOpen(pid_t pid)
{
    return int(syscall(SYS_pidfd_open, pid, 0));
}

bool pidfdSignal(int pidfd, int sig)
{
    return syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0;
}

QByteArray newRunId()
{
    static std::atomic<unsigned> counter { 0 };
    timespec ts {};
    clock_gettime(CLOCK_REALTIME, &ts);
    return QByteArray::number(getpid()) + '-' + QByteArray::number(++counter) + '-'
        + QByteArray::number(qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec);
}

// Whether the environment of pid carries any run's token.
bool hasAnyToken(pid_t pid)
{
    static const QByteArray name = QByteArray(ProcessTree::kTokenName) + '=';
    return procfs::findEnvironNumber(pid, name.constData(), size_t(name.size()), nullptr) == 1;
}

template<typename Fn> void forEachChildOf(pid_t pid, Fn fn)
{
    procfs::forEachChild(
        pid, [](pid_t child, void *f) { (*static_cast<Fn *>(f))(child); }, &fn);
}

} // namespace

ProcessTree::ProcessTree(QObject *parent)
    : QObject(parent)
    , m_runId(newRunId())
{
    m_prefix = QByteArray(kTokenName) + '=' + m_runId + '.';
    m_epollFd = epoll_create1(EPOLL_CLOEXEC);
    if (m_epollFd >= 0) {
        m_notifier = new QSocketNotifier(m_epollFd, QSocketNotifier::Read, this);
        connect(m_notifier, &QSocketNotifier::activated, this, &ProcessTree::onReapable);
    }
}

ProcessTree::~ProcessTree()
{
    // SIGKILLed processes die at once unless stuck in the kernel: wait a little for them, so
    // that a pool's end leaves no zombie of its tasks behind.
    if (m_cgroups) { // a pool that ends with tasks running (their leaders are ended already)
        m_pendingMark = m_pending.size();
        for (auto it = m_cellOf.cbegin(); it != m_cellOf.cend(); ++it)
            endCell(it.value());
    }
    QElapsedTimer waited;
    waited.start();
    reapPending();
    while (!m_pending.empty() && waited.elapsed() < kReapWaitMs) {
        std::vector<pollfd> fds;
        for (const Pending &p : m_pending) {
            if (!p.exited)
                fds.push_back({ p.pidfd, POLLIN, 0 });
        }
        if (fds.empty())
            break;
        if (::poll(fds.data(), fds.size(), int(kReapWaitMs - waited.elapsed())) <= 0)
            break;
        reapPending();
    }
    for (const Pending &p : m_pending)
        ::close(p.pidfd);
    m_cgroups.reset(); // kills what may be left, removes the folders
    delete m_notifier;
    if (m_epollFd >= 0)
        ::close(m_epollFd);
}

bool ProcessTree::becomeSubreaper()
{
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
}

pid_t ProcessTree::ownerOfChild(pid_t pid) const
{
    std::uint64_t leader = 0;
    if (procfs::findEnvironNumber(pid, m_prefix.constData(), size_t(m_prefix.size()), &leader) != 1)
        return 0;
    return pid_t(leader);
}

void ProcessTree::remember(pid_t leader, pid_t pid, quint64 startTime)
{
    std::vector<Known> &known = m_escapees[leader];
    for (const Known &k : known) {
        if (k.pid == pid && k.startTime == startTime)
            return;
    }
    known.push_back({ pid, startTime });
    if (m_guard)
        m_guard->watchProcess(pid, startTime);
}

bool ProcessTree::useCgroups(QString *why)
{
    m_cgroups = TaskCgroups::create(m_runId, why);
    return m_cgroups != nullptr;
}

const QByteArray &ProcessTree::cgroupPath() const
{
    static const QByteArray none;
    return m_cgroups ? m_cgroups->path() : none;
}

int ProcessTree::prepareLaunch()
{
    if (!m_cgroups)
        return -1;
    if (m_preparedCell < 0)
        m_preparedCell = m_cgroups->acquire();
    return m_preparedCell < 0 ? -1 : m_cgroups->folderFd(m_preparedCell);
}

void ProcessTree::launched(pid_t leader, bool childRan)
{
    if (m_preparedCell < 0)
        return;
    if (leader > 0)
        m_cellOf.insert(leader, std::exchange(m_preparedCell, -1));
    else if (!childRan) // no child was born in it: the cell itself may be at fault (removed)
        m_preparedCell = -1; // never used again; its folder goes with the run's
    // else: kept for the next launch (a child that failed to exec left nothing in it)
}

// Kills everything in the cell at once and takes what was there for reaping (processes of
// ours once their parents die with them).
bool ProcessTree::endCell(int cell)
{
    std::vector<pid_t> members;
    const bool empty = m_cgroups->members(cell, members) && members.empty();
    if (!empty) {
        // Opened before the kill, and kept only for pids still in the cell after opening: a
        // pid that was reused in between is not in our cell, so a pidfd kept is one of ours.
        std::vector<std::pair<pid_t, int>> opened;
        for (pid_t pid : members) {
            // A task leader is reaped by its owner, who needs its exit status.
            if (!ChildRegistry::isClaimed(pid))
                opened.emplace_back(pid, pidfdOpen(pid));
        }
        std::vector<pid_t> still;
        const bool listed = m_cgroups->members(cell, still);
        if (!m_cgroups->kill(cell))
            qWarning("shoal: cannot kill the task's cgroup (%s): %s", m_cgroups->path().constData(),
                     strerror(errno));
        for (const auto &[pid, pidfd] : opened) {
            if (pidfd < 0)
                continue;
            if (listed && std::find(still.begin(), still.end(), pid) != still.end())
                addPending(pid, pidfd);
            else
                ::close(pidfd);
        }
    }
    m_cgroups->release(cell);
    return empty;
}

bool ProcessTree::endTask(pid_t leader, bool leaderExited)
{
    if (leader <= 0)
        return false;
    m_pendingMark = m_pending.size();
    bool cellWasEmpty = false;
    if (m_cgroups) {
        const auto cell = m_cellOf.constFind(leader);
        if (cell != m_cellOf.cend()) {
            cellWasEmpty = endCell(cell.value());
            m_cellOf.erase(cell);
        }
    }
    const std::vector<Known> escapees = m_escapees.take(leader);
    // Everything a task starts is born in its cell and stays there whatever it does with
    // sessions and groups (only a write to another cgroup's cgroup.procs moves it out). A cell
    // found empty after its leader exited is a task that left nothing: the tree walk below,
    // which costs a look at every child of ours, is for tasks that did leave something. (A
    // process that moved itself to another cgroup and was re-parented to us is still ended by
    // the batch's end, sweepOrphans().)
    if (cellWasEmpty && leaderExited && escapees.empty())
        return true;
    endProcesses(leader, [&](std::vector<Known> &roots) {
        forEachChildOf(0, [&](pid_t child) {
            if (ChildRegistry::isClaimed(child))
                return; // a task leader (this one included) or a guard: its owner reaps it
            procfs::Stat st;
            if (!procfs::readStat(child, st))
                return;
            if (st.pgrp == leader || ownerOfChild(child) == leader)
                roots.push_back({ child, st.startTime });
        });
        if (!leaderExited) { // still alive when a pool is destroyed, or over its memory
            forEachChildOf(leader, [&](pid_t child) {
                procfs::Stat st;
                if (procfs::readStat(child, st) && st.ppid == leader)
                    roots.push_back({ child, st.startTime });
            });
        }
        roots.insert(roots.end(), escapees.begin(), escapees.end());
    });
    if (m_guard) {
        for (const Known &k : escapees)
            m_guard->forgetProcess(k.pid);
    }
    return false;
}

void ProcessTree::reapGroupZombies(pid_t group)
{
    // No member runs, so the group's number stays taken while one of its zombies is unreaped:
    // a child found in it is one of them, or (once they are all reaped) a child that took the
    // number since: a task leader (claimed, its owner reaps it) or one being launched, which
    // the launch lock keeps out of the way.
    const auto peek = [group](siginfo_t &info) {
        info = {};
        return waitid(P_PGID, id_t(group), &info, WEXITED | WNOHANG | WNOWAIT) == 0
            && info.si_pid != 0;
    };
    siginfo_t info;
    if (!peek(info))
        return; // the usual case: nothing was left
    std::unique_lock lock(ChildRegistry::launchLock());
    while (peek(info) && !ChildRegistry::isClaimed(info.si_pid)) {
        const pid_t zombie = info.si_pid;
        while (waitid(P_PID, id_t(zombie), &info, WEXITED | WNOHANG) < 0 && errno == EINTR) { }
    }
}

void ProcessTree::sweepOrphans()
{
    m_pendingMark = m_pending.size();
    const pid_t ownGroup = getpgrp();
    std::unique_lock lock(ChildRegistry::launchLock()); // no child of ours is unclaimed by mistake
    endProcesses(0, [&](std::vector<Known> &roots) {
        forEachChildOf(0, [&](pid_t child) {
            procfs::Stat st;
            if (ChildRegistry::isClaimed(child) || !procfs::readStat(child, st)
                || st.pgrp == ownGroup)
                return;
            if (st.state == 'Z') {
                // Reaped only where every child is ours: a host's own child (a QProcess) must
                // keep its exit status for its owner.
                if (m_ownsAllChildren) {
                    siginfo_t info {};
                    waitid(P_PID, id_t(child), &info, WEXITED | WNOHANG);
                }
                return;
            }
            if (ownerOfChild(child) == 0 && (hasAnyToken(child) || !m_ownsAllChildren))
                return; // a task of another pool in this process, or not traceable to ours
            roots.push_back({ child, st.startTime });
        });
    });
    // Every task has ended: what was remembered for them is gone too.
    for (const std::vector<Known> &known : std::as_const(m_escapees)) {
        for (const Known &k : known) {
            if (m_guard)
                m_guard->forgetProcess(k.pid);
        }
    }
    m_escapees.clear();
}

template<typename Roots> void ProcessTree::endProcesses(pid_t group, const Roots &roots)
{
    if (group > 0)
        ::kill(-group, SIGSTOP); // its members cannot fork while we look for their children
    struct Member
    {
        pid_t pid;
        int pidfd;
    };
    std::vector<Member> found;
    auto isFound = [&](pid_t pid) {
        return std::any_of(found.begin(), found.end(),
                           [pid](const Member &m) { return m.pid == pid; });
    };
    // Opens a pidfd for pid and keeps it if it is still the process we mean (its start time,
    // or its parent), stopping it so that it forks no more.
    auto take = [&](pid_t pid, quint64 startTime, pid_t parent) {
        if (pid <= 1 || pid == getpid() || isFound(pid) || ChildRegistry::isClaimed(pid))
            return false;
        const int fd = pidfdOpen(pid);
        if (fd < 0)
            return false;
        procfs::Stat st;
        const bool same = procfs::readStat(pid, st)
            && (startTime ? st.startTime == startTime : st.ppid == parent);
        if (!same) {
            ::close(fd);
            return false;
        }
        pidfdSignal(fd, SIGSTOP);
        found.push_back({ pid, fd });
        return true;
    };
    std::vector<Known> candidates;
    for (int round = 0; round < kMaxRounds; ++round) {
        bool grew = false;
        candidates.clear();
        roots(candidates);
        for (const Known &k : candidates)
            grew |= take(k.pid, k.startTime, 0);
        // Descendants of everything found (a breadth-first walk: found grows as it goes).
        for (size_t i = 0; i < found.size(); ++i) {
            const pid_t parent = found[i].pid;
            forEachChildOf(parent, [&](pid_t child) { grew |= take(child, 0, parent); });
        }
        if (!grew)
            break;
    }
    if (group > 0)
        ::kill(-group, SIGKILL);
    for (const Member &m : found) {
        pidfdSignal(m.pidfd, SIGKILL);
        addPending(m.pid, m.pidfd);
    }
    if (!m_pending.empty())
        reapPending();
}

void ProcessTree::addPending(pid_t pid, int pidfd)
{
    // Found both in its cgroup and in the tree by the same endTask() (an older entry with that
    // pid may be a process that is gone, its pid reused).
    for (size_t i = m_pendingMark; i < m_pending.size(); ++i) {
        if (m_pending[i].pid == pid) {
            ::close(pidfd);
            return;
        }
    }
    m_pending.push_back({ pid, pidfd, false });
    if (m_epollFd >= 0) {
        epoll_event ev {};
        ev.events = EPOLLIN;
        ev.data.fd = pidfd;
        epoll_ctl(m_epollFd, EPOLL_CTL_ADD, pidfd, &ev);
    }
}

void ProcessTree::onReapable()
{
    epoll_event events[64];
    int n;
    do {
        n = epoll_wait(m_epollFd, events, 64, 0);
        for (int i = 0; i < n; ++i) {
            for (Pending &p : m_pending) {
                if (p.pidfd == events[i].data.fd)
                    p.exited = true;
            }
            // Level-triggered and readable for good once exited: watch no more.
            epoll_ctl(m_epollFd, EPOLL_CTL_DEL, events[i].data.fd, nullptr);
        }
    } while (n == 64);
    reapPending();
}

void ProcessTree::reapPending()
{
    // A process we ended is reaped by us once it is our child: at once when it was an adopted
    // orphan, or when its parent (ended with it) dies and it is re-parented to us, which the
    // kernel does before the parent's pidfd turns readable. Never waitid(P_ALL): that would
    // steal the task leaders' statuses from their pidfds.
    bool changed = true;
    while (changed && !m_pending.empty()) {
        changed = false;
        std::erase_if(m_pending, [this, &changed](Pending &p) {
            if (!p.exited) {
                pollfd fd { p.pidfd, POLLIN, 0 };
                p.exited = ::poll(&fd, 1, 0) > 0;
                changed |= p.exited;
            }
            if (!p.exited)
                return false;
            siginfo_t info {};
            const int r = waitid(P_PIDFD, id_t(p.pidfd), &info, WEXITED | WNOHANG);
            if (r != 0 && errno == ECHILD)
                return false; // a zombie still held by a parent that is dying with it
            if (m_epollFd >= 0)
                epoll_ctl(m_epollFd, EPOLL_CTL_DEL, p.pidfd, nullptr);
            ::close(p.pidfd);
            changed = true;
            return true;
        });
    }
    // All of them dead and nothing changed in a whole pass: a zombie that is still not ours
    // was reaped by someone else, and nothing more will come to us.
    if (std::all_of(m_pending.begin(), m_pending.end(),
                    [](const Pending &p) { return p.exited; })) {
        for (const Pending &p : m_pending) {
            if (m_epollFd >= 0)
                epoll_ctl(m_epollFd, EPOLL_CTL_DEL, p.pidfd, nullptr);
            ::close(p.pidfd);
        }
        m_pending.clear();
    }
}

} // namespace shoal
