// AgentLaunching's connections to its worker hosts: starting each host's transport and agent,
// the handshake, the link's frames both ways, and losing (and trying again) a host.

#include "agentlaunching.h"

#include "fileio.h"
#include "launcher.h"
#include "pool.h"
#include "processguard.h"
#include "processtree.h"
#include "selfpath.h"
#include "servicelaunching.h"
#include "signalwatcher.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

constexpr int kHelloTimeoutMs = 30000; // an ssh login that takes longer is not coming
constexpr int kFirstReconnectMs = 500;
constexpr int kMaxReconnects = 5; // 0.5 + 1 + 2 + 4 + 8 s: a batch waits at most so long
constexpr int kAllocationWaitMs = 120000; // --slurm outside an allocation: Slurm's queue
constexpr int kHolderGraceMs = 2000;

void setNonBlocking(int fd)
{
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

} // namespace

QStringList AgentLaunching::transportOf(const Host &host) const
{
    if (m_spec.slurm)
        return m_allocation.stepArgv(m_allocation.nodes()[size_t(host.index)],
                                     m_spec.agentPath.isEmpty() ? u"shoal"_s : m_spec.agentPath);
    if (host.spec.isLocal()) {
        QString self = m_spec.agentPath;
        if (self.isEmpty()) {
            const QString beside = QString::fromStdString(executableDir()) + u"shoal"_s;
            self = QFileInfo(beside).isExecutable() ? beside : u"shoal"_s;
        }
        return { self, u"agent"_s };
    }
    const QString agentPath = m_spec.agentPath.isEmpty() ? u"shoal"_s : m_spec.agentPath;
    // ssh runs its last argument with the remote user's shell; exec leaves no shell behind.
    return m_spec.sshArgv()
        + QStringList { host.spec.login, u"exec %1 agent"_s.arg(shellQuote(agentPath)) };
}

Result<void> AgentLaunching::startTransport(Host &host)
{
    const QStringList argv = transportOf(host);
    // srun is signalled alone and must outlive a guard that ends this run's tokens and groups.
    Launcher &launcher = m_spec.slurm ? *m_srunLauncher : m_host.launcher();
    const int guardFd = m_spec.slurm ? -1 : m_host.guard().registrationFd();
    const QByteArray path = launcher.resolve(argv.front());
    if (path.isEmpty())
        return Error { u"host %1: cannot run '%2': command not found"_s.arg(host.name(),
                                                                            argv.front()) };
    host.stderrFile = openScratchFile();
    const Launcher::Piped piped
        = launcher.startPiped(path, argv, host.stderrFile >= 0 ? host.stderrFile : 2, guardFd);
    if (piped.pipeError)
        return Error { u"host %1: cannot make a pipe: %2"_s.arg(host.name(),
                                                                errnoText(piped.pipeError)) };
    const Launcher::Process &p = piped.process;
    host.toAgent = piped.toChild;
    host.fromAgent = piped.fromChild;
    if (p.error) {
        TaskProcess::abandon(p.pid, p.pidfd, m_host.guard());
        return Error { u"host %1: cannot run '%2': %3"_s.arg(host.name(), argv.front(),
                                                             errnoText(p.error)) };
    }
    host.process.adopt(p.pid, p.pidfd, m_spec.slurm);
    setNonBlocking(host.toAgent);
    setNonBlocking(host.fromAgent);
    return {};
}

Result<void> AgentLaunching::obtainSlurmHosts()
{
    m_srunLauncher = std::make_unique<Launcher>();
    // srun on TERM cancels a pending request, and ends a step (or an allocation) it holds;
    // on KILL a pending request would stay queued, and be granted to no one.
    m_srunLauncher->setDeathSignal(SIGTERM);
    if (auto obtained = m_allocation.obtain(m_spec.srunArgs, *m_srunLauncher, kAllocationWaitMs,
                                            [this] { return m_host.isAbandoned(); });
        !obtained)
        return obtained;
    for (const SlurmAllocation::Node &node : m_allocation.nodes()) {
        auto host = std::make_unique<Host>();
        host->index = int(m_hosts.size());
        host->spec.login = node.name;
        host->spec.workers = m_spec.slurmWorkers > 0
            ? m_spec.slurmWorkers
            : qMin(node.cpus, HostSpec::kMaxWorkers); // 0: its agent's cores
        m_hosts.push_back(std::move(host));
    }
    m_heldAllocation = m_allocation.isHeld();
    if (m_allocation.isHeld()) // its end, seen from now on, ends the batch's hosts
        m_host.watcher().watch(m_allocation.holder().pidfd(),
                               { holderTag(), 0, ProcessWatcher::Kind::Exited });
    m_host.message(u"Slurm job %1: %2 node(s), %3"_s.arg(m_allocation.jobId())
                       .arg(m_hosts.size())
                       .arg(m_allocation.isHeld() ? u"allocated for this batch"_s
                                                  : u"the allocation this runs in"_s));
    return {};
}

void AgentLaunching::endAllocation()
{
    m_allocation.release();
    TaskProcess &holder = m_allocation.holder();
    if (!holder.isLive())
        return;
    if (!holder.hasExited()) { // srun alone: TERM (a pending request is withdrawn), then KILL
        holder.terminate(kHolderGraceMs, m_host.now());
        pollfd fd { holder.pidfd(), POLLIN, 0 };
        ::poll(&fd, 1, kHolderGraceMs);
    }
    holder.reap(m_host.tree(), m_host.guard(), m_host.watcher());
}

void AgentLaunching::abandonOpen()
{
    for (auto &host : m_hosts) {
        closeLink(*host);
        endTransport(*host);
    }
    endAllocation();
}

void AgentLaunching::endTransport(Host &host)
{
    if (host.process.isLive()) {
        host.process.kill(); // ssh: the far side sees the link end, and its agent cleans up
        host.process.reap(m_host.tree(), m_host.guard(), m_host.watcher());
    }
}

void AgentLaunching::startAgain(Host &host)
{
    host.reconnects = 0;
    host.retrying = true;
    reconnect(host.index, host.generation);
}

Result<void> AgentLaunching::open()
{
    std::vector<Host *> waiting;
    Result<void> opened;
    makeProbe();
    if (m_spec.slurm)
        opened = obtainSlurmHosts();
    for (auto &host : m_hosts) {
        if (!opened)
            break;
        opened = startTransport(*host);
        if (opened)
            waiting.push_back(host.get());
    }
    if (opened)
        opened = awaitHello(waiting);
    if (!opened) { // nothing is left running
        abandonOpen();
        return opened;
    }
    for (auto &host : m_hosts) {
        watchLink(*host);
        sendSetup(*host);
        if (host->lost) {
            const Error error { u"host %1: cannot send its agent the batch's settings%2"_s.arg(
                host->name(), stderrTail(*host)) };
            abandonOpen();
            return error;
        }
    }
    m_opened = true;
    return {};
}

void AgentLaunching::watchLink(Host &host)
{
    const int tag = -(host.index + 1);
    m_host.watcher().watch(host.fromAgent,
                           { tag, host.generation, ProcessWatcher::Kind::Readable });
    m_host.watcher().watch(host.process.pidfd(),
                           { tag, host.generation, ProcessWatcher::Kind::Exited });
}

void AgentLaunching::sendSetup(Host &host)
{
    agent::Setup setup;
    setup.workers = qMax(1, host.workers); // resized to none: its slots are going
    setup.timeoutSeconds = m_host.options().timeoutSeconds;
    setup.memoryLimitBytes = m_host.options().memoryLimitBytes;
    setup.termGraceMs = m_host.options().termGraceMs;
    setup.workdir = m_spec.workdir;
    setup.probe = m_probe;
    setup.service = m_service;
    setup.cleanup = m_spec.cleanup && !host.spec.isLocal();
    host.agentWorkers = setup.workers;
    send(host, setup);
    if (m_isService && m_paused) // a host back while the pool is paused
        send(host, agent::HoldWorker { 0, true });
    host.ready = true; // its tries count from zero once it has ended a task (delivered())
    flush(host);
}

// Every agent's Hello, or the first host that cannot give one: the pool's size depends on them.
Result<void> AgentLaunching::awaitHello(std::vector<Host *> &waiting)
{
    QElapsedTimer clock;
    clock.start();
    const QDeadlineTimer answerBy(kHelloTimeoutMs);
    const int signalsSeen = SignalWatcher::count();
    while (!waiting.empty()) {
        std::vector<pollfd> fds;
        for (Host *host : waiting)
            fds.push_back({ host->fromAgent, POLLIN, 0 });
        switch (SignalWatcher::waitReadable(fds.data(), fds.size(), answerBy, signalsSeen,
                                            [this] { return m_host.isAbandoned(); })) {
        case SignalWatcher::WaitEnd::Interrupted:
            return Error { u"interrupted while waiting for host %1"_s.arg(
                waiting.front()->name()) };
        case SignalWatcher::WaitEnd::TimedOut:
            return Error { u"host %1: no answer from its agent in %2 s%3"_s
                               .arg(waiting.front()->name())
                               .arg(kHelloTimeoutMs / 1000)
                               .arg(stderrTail(*waiting.front())) };
        case SignalWatcher::WaitEnd::Ready:
            break;
        }
        for (size_t i = 0; i < fds.size(); ++i) {
            if (!fds[i].revents)
                continue;
            Host &host = *waiting[i];
            char buffer[4096];
            const ssize_t n = ::read(host.fromAgent, buffer, sizeof buffer);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                // The transport failed (ssh: no route, refused, denied) or the agent is not there.
                const qint64 deadline = clock.elapsed() + 2000;
                while (!host.process.hasExited() && clock.elapsed() < deadline)
                    ::poll(nullptr, 0, 10);
                QString how;
                if (host.process.hasExited())
                    how = u" ('%1' %2)"_s.arg(
                        transportOf(host).front(),
                        host.process.reap(m_host.tree(), m_host.guard(), m_host.watcher())
                            .describe());
                return Error { u"host %1: its agent did not start%2%3"_s.arg(host.name(), how,
                                                                             stderrTail(host)) };
            }
            host.reader.append(QByteArrayView(buffer, n));
            agent::Frame frame;
            auto next = host.reader.next(&frame);
            if (!next)
                return Error { u"host %1: its agent says something else than Shoal's agent "
                               "protocol (%2)%3"_s.arg(host.name(), next.error(),
                                                       stderrTail(host)) };
            if (!*next)
                continue;
            if (auto hello = readHello(host, frame); !hello)
                return hello;
        }
        std::erase_if(waiting, [](Host *h) { return h->workers > 0; });
    }
    return {};
}

Result<void> AgentLaunching::readHello(Host &host, const agent::Frame &frame)
{
    const auto *hello = std::get_if<agent::Hello>(&frame);
    if (!hello)
        return Error { u"host %1: its agent did not begin with a Hello"_s.arg(host.name()) };
    const QString ours = QStringLiteral(SHOAL_VERSION);
    if (hello->protocol != agent::kProtocol || hello->version != ours)
        return Error { u"host %1 runs Shoal %2 (agent protocol %3), this is Shoal %4 (protocol "
                       "%5): install the same version there, or give its path with --agent-path"_s
                           .arg(host.name(), hello->version)
                           .arg(hello->protocol)
                           .arg(ours)
                           .arg(agent::kProtocol) };
    host.hello = *hello;
    if (!m_spec.slurm) // an agent started here inherits the step Shoal may run in
        host.hello.slurmStep.clear();
    if (host.workers == 0) // a host that comes back keeps its slots
        host.workers = host.spec.workers > 0 ? host.spec.workers
                                             : qBound(1, hello->cores, HostSpec::kMaxWorkers);
    return {};
}

void AgentLaunching::send(Host &host, const agent::Frame &frame)
{
    agent::encode(frame, host.outBuffer);
}

void AgentLaunching::flush(Host &host)
{
    if (host.lost || host.toAgent < 0)
        return;
    // Files on their way are read as the link takes them, a few buffers per call at most, so
    // that a large file to a fast link does not hold up the event loop.
    bool blocked = false;
    for (int round = 0; round < 8 && !blocked; ++round) {
        sendFileParts(host);
        while (host.unsent() > 0) {
            const ssize_t n = ::write(host.toAgent, host.outBuffer.constData() + host.outSent,
                                      size_t(host.unsent()));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN) {
                blocked = true;
                break;
            }
            if (n < 0) {
                const QString why = u"cannot write to its agent: %1"_s.arg(errnoText());
                read(host); // the ends it sent before it went count
                lose(host, why);
                return;
            }
            host.outSent += n;
        }
        // What was written goes once it is most of the buffer: a pipe takes 64 KiB a write,
        // and moving the rest down after each would copy megabytes for every one of them.
        if (host.outSent == host.outBuffer.size()) {
            host.outBuffer.resize(0); // keeps its room
            host.outSent = 0;
        } else if (host.outSent > host.outBuffer.size() / 2) {
            host.outBuffer.remove(0, host.outSent);
            host.outSent = 0;
        }
        if (host.sending.empty())
            break;
    }
    // Watched while something waits to go, files to read included.
    const bool pending = host.unsent() > 0 || !host.sending.empty();
    if (pending != host.writeWatched) {
        host.writeWatched = pending;
        if (pending)
            m_host.watcher().watch(
                host.toAgent,
                { -(host.index + 1), host.generation, ProcessWatcher::Kind::Writable });
        else
            m_host.watcher().unwatch(host.toAgent);
    }
}

void AgentLaunching::onHostReady(int index, quint32 generation, ProcessWatcher::Kind kind)
{
    if (-(index + 1) == holderTag()) {
        holderExited();
        return;
    }
    if (index < 0 || size_t(index) >= m_hosts.size())
        return;
    Host &host = *m_hosts[size_t(index)];
    if (host.generation != generation || host.lost)
        return;
    switch (kind) {
    case ProcessWatcher::Kind::Readable:
        read(host);
        break;
    case ProcessWatcher::Kind::Writable:
        flush(host);
        break;
    case ProcessWatcher::Kind::Exited:
        read(host); // what it said before it went
        if (host.lost)
            break;
        if ((m_finishing || host.reopening) && !isBusy(host)) { // an orderly end
            closeLink(host);
            host.process.reap(m_host.tree(), m_host.guard(), m_host.watcher());
            host.lost = true;
            host.ready = false;
            host.cancelling.clear(); // its agent is gone: nothing more comes of it
            if (std::exchange(host.reopening, false)) // a retry came while it was going
                startAgain(host);
            m_host.checkFinished();
        } else {
            lose(host, u"its agent exited%1"_s.arg(stderrTail(host)));
        }
        break;
    }
}

void AgentLaunching::read(Host &host)
{
    char buffer[64 * 1024];
    for (;;) {
        const ssize_t n = host.fromAgent < 0 ? 0 : ::read(host.fromAgent, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            if (host.fromAgent >= 0) { // EOF: the exit (Exited) says the rest
                m_host.watcher().unwatch(host.fromAgent);
                ::close(host.fromAgent);
                host.fromAgent = -1;
            }
            return;
        }
        host.reader.append(QByteArrayView(buffer, n));
        agent::Frame frame;
        for (;;) {
            auto next = host.reader.next(&frame);
            if (!next) {
                lose(host, u"its link carried %1"_s.arg(next.error()));
                return;
            }
            if (!*next)
                break;
            if (!host.ready) { // a host started again: its agent's Hello first
                if (auto hello = readHello(host, frame); !hello) {
                    lose(host, hello.error());
                    return;
                }
                sendSetup(host);
                thawSlotsOf(host);
                m_host.message(u"host %1 is back"_s.arg(host.name()));
                continue;
            }
            handle(host, frame);
            if (host.lost)
                return;
        }
    }
}

void AgentLaunching::handle(Host &host, agent::Frame &frame)
{
    if (auto *output = std::get_if<agent::Output>(&frame))
        receive(host, *output);
    else if (const auto *file = std::get_if<agent::File>(&frame))
        receiveReturn(host, *file);
    else if (const auto *usage = std::get_if<agent::Usage>(&frame)) {
        if (WorkerSlot *slot = slotWithTask(host, usage->task)) {
            slot->cpuPercent = usage->cpuPercent;
            slot->rssBytes = usage->rssBytes;
            if (usage->pid > 0)
                slot->remotePid = usage->pid;
            m_host.postWorker(*slot);
        }
    } else if (auto *results = std::get_if<agent::Results>(&frame))
        receiveResults(host, *results);
    else if (const auto *progress = std::get_if<agent::Progress>(&frame))
        receiveProgress(host, *progress);
    else if (const auto *note = std::get_if<agent::Note>(&frame))
        m_host.message(u"host %1: %2"_s.arg(host.name(), note->text));
    else if (const auto *finished = std::get_if<agent::Finished>(&frame))
        finish(host, *finished);
    else if (const auto *failure = std::get_if<agent::Failure>(&frame)) {
        host.refused = true; // it would say the same again (a program it cannot run, say)
        lose(host, u"its agent failed: %1"_s.arg(failure->message));
    } else if (const auto *started = std::get_if<agent::Started>(&frame)) {
        if (WorkerSlot *slot = slotRunning(host, started->task)) {
            slot->remotePid = started->pid;
            m_host.postWorker(*slot);
        }
    } else
        lose(host, u"its agent sent a frame Shoal does not take"_s);
}

void AgentLaunching::lose(Host &host, const QString &reason)
{
    if (std::exchange(host.lost, true))
        return;
    closeLink(host);
    endTransport(host);
    int requeued = 0;
    for (auto &s : m_host.workerSlots()) {
        if (!s || !isBusy(*s) || hostOfSlot(*s) != &host)
            continue;
        if (m_isService) {
            requeued += int(tasksOn(*s).size()); // not its answered entries
            host.isolated = host.isolated || !tasksOn(*s).empty();
            loseService(*s);
            continue;
        }
        s->process.setFrozen(true);
        if (s->endReason == EndReason::Cancel || m_host.isStopping()) {
            concludeAttempt(m_host, *s, ExitStatus::cancelled(0), {}, m_host.activeMs(*s));
            continue;
        }
        if (requeueFromLostHost(*s, SIGKILL)) // it runs again elsewhere
            ++requeued;
    }
    for (const Received &r : std::as_const(host.received))
        for (int fd : r.fds)
            if (fd >= 0)
                ::close(fd);
    host.received.clear();
    host.cancelling.clear(); // a new link, a new agent: nothing of the old one comes
    host.returned.abandon();
    host.sending.clear(); // their tasks were requeued or ended above
    host.ready = false;
    QString next;
    if (host.refused) {
        next = u"; not tried again: its agent cannot run this batch"_s;
    } else if (m_opened && !m_finishing && !m_allocationGone && host.reconnects < kMaxReconnects) {
        const int delayMs = kFirstReconnectMs << host.reconnects++;
        host.retrying = true;
        QTimer::singleShot(delayMs, m_host.context(),
                           [this, index = host.index, generation = host.generation] {
                               reconnect(index, generation);
                           });
        next = u"; trying it again in %1 s"_s.arg(delayMs / 1000.0);
    } else if (m_opened && !m_finishing && !m_allocationGone) {
        next = u"; given up after %1 tries"_s.arg(kMaxReconnects);
    }
    m_host.message(
        u"host %1 is lost: %2; %3 running task(s) go back to the queue%4"_s.arg(host.name(), reason)
            .arg(requeued)
            .arg(next));
    if (m_opened && !anyHostLeft() && !m_finishing)
        m_host.failUnserved(u"no worker host is left"_s);
}

void AgentLaunching::reconnect(int index, quint32 generation)
{
    Host &host = *m_hosts[size_t(index)];
    if (host.generation != generation || !host.retrying)
        return;
    host.retrying = false;
    host.ready = false; // its new agent's Hello first
    host.going = false;
    if (m_finishing || m_host.isStopping()) // nothing more to run there
        return;
    // A fresh link: events of the old one are told apart by the generation.
    host.generation = ProcessWatcher::nextGeneration();
    host.reader = agent::FrameReader();
    host.outBuffer.clear();
    host.outSent = 0;
    host.cancelling.clear();
    host.writeWatched = false;
    host.lost = false;
    if (host.stderrFile >= 0)
        ::close(host.stderrFile);
    host.stderrFile = -1;
    if (auto started = startTransport(host); !started) {
        lose(host, started.error());
        return;
    }
    watchLink(host);
    QTimer::singleShot(kHelloTimeoutMs, m_host.context(), [this, index, g = host.generation] {
        Host &h = *m_hosts[size_t(index)];
        if (h.generation == g && !h.ready && !h.lost)
            lose(h,
                 u"no answer from its agent in %1 s%2"_s.arg(kHelloTimeoutMs / 1000)
                     .arg(stderrTail(h)));
    });
}

void AgentLaunching::closeLink(Host &host)
{
    for (int *fd : { &host.toAgent, &host.fromAgent }) {
        if (*fd < 0)
            continue;
        m_host.watcher().unwatch(*fd);
        ::close(*fd);
        *fd = -1;
    }
    host.writeWatched = false;
}

QString AgentLaunching::stderrTail(const Host &host) const
{
    return scratchTail(host.stderrFile);
}

} // namespace shoal
