#include "agentlaunching.h"

#include "fileio.h"
#include "launcher.h"
#include "pool.h"
#include "processguard.h"
#include "processtree.h"
#include "selfpath.h"
#include "taskledger.h"

#include <QFileInfo>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

constexpr int kHelloTimeoutMs = 30000; // an ssh login that takes longer is not coming

void setNonBlocking(int fd)
{
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

} // namespace

struct AgentLaunching::Received
{
    AttemptOutput output;
    int fds[2] = { -1, -1 }; // a stream spilled to a scratch file, until the task ends
    qint64 sizes[2] = { 0, 0 };
};

struct AgentLaunching::Host
{
    int index = 0;
    HostSpec spec;
    quint32 generation = ProcessWatcher::nextGeneration();
    TaskProcess process; // the transport (ssh), or this machine's agent
    int toAgent = -1;
    int fromAgent = -1;
    int stderrFile = -1; // what the transport and the agent say on stderr
    agent::FrameReader reader;
    QByteArray outBuffer;
    bool writeWatched = false;
    agent::Hello hello;
    int workers = 0;
    bool ready = false; // the agent said Hello and got its Setup
    bool lost = false;
    QHash<TaskId, Received> received;

    ~Host()
    {
        for (int fd : { toAgent, fromAgent, stderrFile })
            if (fd >= 0)
                ::close(fd);
        for (const Received &r : std::as_const(received))
            for (int fd : r.fds)
                if (fd >= 0)
                    ::close(fd);
    }
    QString name() const { return spec.isLocal() ? u"this machine (:)"_s : spec.login; }
};

AgentLaunching::AgentLaunching(LaunchHost &host, const CommandTemplate &command,
                               const InputList &inputs, const HostsSpec &hosts)
    : m_host(host)
    , m_template(command)
    , m_inputs(inputs)
    , m_spec(hosts)
{
}

AgentLaunching::~AgentLaunching() = default;

Result<void> AgentLaunching::prepare()
{
    if (m_template.isEmpty())
        return Error { u"no command to run"_s };
    for (const HostSpec &spec : m_spec.hosts) {
        auto host = std::make_unique<Host>();
        host->index = int(m_hosts.size());
        host->spec = spec;
        m_hosts.push_back(std::move(host));
    }
    return {};
}

QStringList AgentLaunching::transportOf(const Host &host) const
{
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
    return m_spec.ssh
        + QStringList { host.spec.login, u"exec %1 agent"_s.arg(shellQuote(agentPath)) };
}

Result<void> AgentLaunching::startTransport(Host &host)
{
    const QStringList argv = transportOf(host);
    const QByteArray path = m_host.launcher().resolve(argv.front());
    if (path.isEmpty())
        return Error { u"host %1: cannot run '%2': command not found"_s.arg(host.name(),
                                                                            argv.front()) };
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0)
        return Error { u"host %1: cannot make a pipe: %2"_s.arg(host.name(), errnoText()) };
    if (::pipe2(out, O_CLOEXEC) != 0) {
        const int err = errno;
        ::close(in[0]);
        ::close(in[1]);
        return Error { u"host %1: cannot make a pipe: %2"_s.arg(host.name(), errnoText(err)) };
    }
    host.stderrFile = openScratchFile();
    const Launcher::Process p = m_host.launcher().start(path, argv, in[0], out[1],
                                                        host.stderrFile >= 0 ? host.stderrFile : 2,
                                                        m_host.guard().registrationFd());
    ::close(in[0]);
    ::close(out[1]);
    host.toAgent = in[1];
    host.fromAgent = out[0];
    if (p.error) {
        TaskProcess::abandon(p.pid, p.pidfd, m_host.guard());
        return Error { u"host %1: cannot run '%2': %3"_s.arg(host.name(), argv.front(),
                                                             errnoText(p.error)) };
    }
    host.process.adopt(p.pid, p.pidfd);
    setNonBlocking(host.toAgent);
    setNonBlocking(host.fromAgent);
    return {};
}

Result<void> AgentLaunching::open()
{
    std::vector<Host *> waiting;
    Result<void> opened;
    for (auto &host : m_hosts) {
        opened = startTransport(*host);
        if (!opened)
            break;
        waiting.push_back(host.get());
    }
    if (opened)
        opened = awaitHello(waiting);
    if (!opened) { // nothing is left running
        for (auto &host : m_hosts) {
            closeLink(*host);
            if (host->process.isLive()) {
                host->process.kill();
                host->process.reap(m_host.tree(), m_host.guard(), m_host.watcher());
            }
        }
        return opened;
    }
    for (auto &host : m_hosts) {
        agent::Setup setup;
        setup.workers = host->workers;
        setup.timeoutSeconds = m_host.options().timeoutSeconds;
        setup.memoryLimitBytes = m_host.options().memoryLimitBytes;
        setup.termGraceMs = m_host.options().termGraceMs;
        setup.workdir = m_spec.workdir;
        send(*host, setup);
        host->ready = true;
        const int tag = -(host->index + 1);
        m_host.watcher().watch(host->fromAgent,
                               { tag, host->generation, ProcessWatcher::Kind::Readable });
        m_host.watcher().watch(host->process.pidfd(),
                               { tag, host->generation, ProcessWatcher::Kind::Exited });
        flush(*host);
        if (host->lost)
            return Error { u"host %1: cannot send its agent the batch's settings%2"_s.arg(
                host->name(), stderrTail(*host)) };
    }
    m_opened = true;
    return {};
}

// Every agent's Hello, or the first host that cannot give one: the pool's size depends on them.
Result<void> AgentLaunching::awaitHello(std::vector<Host *> &waiting)
{
    QElapsedTimer clock;
    clock.start();
    while (!waiting.empty()) {
        std::vector<pollfd> fds;
        for (Host *host : waiting)
            fds.push_back({ host->fromAgent, POLLIN, 0 });
        const int left = int(kHelloTimeoutMs - clock.elapsed());
        if (left <= 0 || ::poll(fds.data(), fds.size(), left) == 0)
            return Error { u"host %1: no answer from its agent in %2 s%3"_s
                               .arg(waiting.front()->name())
                               .arg(kHelloTimeoutMs / 1000)
                               .arg(stderrTail(*waiting.front())) };
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
    host.workers = host.spec.workers > 0 ? host.spec.workers
                                         : qBound(1, hello->cores, HostSpec::kMaxWorkers);
    return {};
}

int AgentLaunching::workerCount() const
{
    int workers = 0;
    for (const auto &host : m_hosts)
        workers += host->workers;
    return workers;
}

void AgentLaunching::slotAdded(WorkerSlot &slot)
{
    // The host with the most room for its share: -S 2/a,1/b gives a two slots and b one, and a
    // pool grown beyond that spreads the rest in the same proportion.
    std::vector<int> assigned(m_hosts.size(), 0);
    for (const auto &s : m_host.workerSlots())
        if (s && s.get() != &slot && size_t(s->number) < m_hostOfSlot.size()
            && m_hostOfSlot[size_t(s->number)] >= 0)
            ++assigned[size_t(m_hostOfSlot[size_t(s->number)])];
    int best = -1;
    for (const auto &host : m_hosts) {
        if (host->lost)
            continue;
        const auto i = size_t(host->index);
        if (best < 0
            || qint64(assigned[i]) * m_hosts[size_t(best)]->workers
                < qint64(assigned[size_t(best)]) * host->workers)
            best = host->index;
    }
    if (size_t(slot.number) >= m_hostOfSlot.size())
        m_hostOfSlot.resize(size_t(slot.number) + 1, -1);
    m_hostOfSlot[size_t(slot.number)] = best;
}

AgentLaunching::Host *AgentLaunching::hostOfSlot(const WorkerSlot &slot) const
{
    if (size_t(slot.number) >= m_hostOfSlot.size() || m_hostOfSlot[size_t(slot.number)] < 0)
        return nullptr;
    return m_hosts[size_t(m_hostOfSlot[size_t(slot.number)])].get();
}

QString AgentLaunching::hostOf(int number) const
{
    const WorkerSlot *slot = m_host.slotAt(number);
    const Host *host = slot ? hostOfSlot(*slot) : nullptr;
    return host ? host->spec.login : QString();
}

QString AgentLaunching::commandOf(TaskId id) const
{
    const qint64 seq = m_host.ledger().seqOf(id);
    return m_template.display(
        m_template.expand(m_inputs.at(seq - 1), seq, qMax(1, m_host.ledger()[id].slot)));
}

std::vector<TaskId> AgentLaunching::tasksOn(const WorkerSlot &slot) const
{
    return slot.task >= 0 ? std::vector<TaskId> { slot.task } : std::vector<TaskId> {};
}

void AgentLaunching::dispatch()
{
    TaskLedger &ledger = m_host.ledger();
    if (m_opened && ledger.hasQueued() && !anyHostLeft()) {
        m_host.failUnserved(u"no worker host is left"_s); // tasks added since the last went
        return;
    }
    for (auto &s : m_host.workerSlots()) {
        if (!ledger.hasQueued())
            return;
        if (!s || s->task >= 0 || s->paused || s->parked || s->draining)
            continue;
        Host *host = hostOfSlot(*s);
        if (!host || !host->ready || host->lost)
            continue;
        const TaskId id = ledger.takeNext();
        if (id < 0)
            return;
        start(*s, *host, id);
    }
}

void AgentLaunching::start(WorkerSlot &slot, Host &host, TaskId id)
{
    TaskLedger &ledger = m_host.ledger();
    ledger.begin(id, slot.number, m_host.now());
    const TaskLedger::Record &t = ledger[id];
    slot.task = id;
    slot.accumulatedMs = 0;
    slot.segmentStartMs = t.startedMs;
    slot.processStartedMs = t.startedMs;
    slot.process.setFrozen(false);
    slot.endReason = EndReason::None;
    slot.remotePid = 0;
    m_host.openBatch().started.push_back({ id, slot.number, t.attempts, 0 });
    m_host.postWorker(slot);
    const qint64 seq = ledger.seqOf(id);
    send(host, agent::Run { id, m_template.expand(m_inputs.at(seq - 1), seq, slot.number) });
    flush(host); // a broken link loses the host: the task goes back to the queue
}

void AgentLaunching::send(Host &host, const agent::Frame &frame)
{
    agent::encode(frame, host.outBuffer);
}

void AgentLaunching::flush(Host &host)
{
    if (host.lost || host.toAgent < 0)
        return;
    while (!host.outBuffer.isEmpty()) {
        const ssize_t n
            = ::write(host.toAgent, host.outBuffer.constData(), size_t(host.outBuffer.size()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n < 0) {
            const QString why = u"cannot write to its agent: %1"_s.arg(errnoText());
            read(host); // the ends it sent before it went count
            lose(host, why);
            return;
        }
        host.outBuffer.remove(0, n);
    }
    const bool pending = !host.outBuffer.isEmpty();
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
        if (m_finishing && !isBusy(host)) { // its work is done: an orderly end
            closeLink(host);
            host.process.reap(m_host.tree(), m_host.guard(), m_host.watcher());
            host.lost = true;
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
    else if (const auto *finished = std::get_if<agent::Finished>(&frame))
        finish(host, *finished);
    else if (const auto *failure = std::get_if<agent::Failure>(&frame))
        lose(host, u"its agent failed: %1"_s.arg(failure->message));
    else if (const auto *started = std::get_if<agent::Started>(&frame)) {
        if (WorkerSlot *slot = slotRunning(host, started->task)) {
            slot->remotePid = started->pid;
            m_host.postWorker(*slot);
        }
    } else
        lose(host, u"its agent sent a frame Shoal does not take"_s);
}

WorkerSlot *AgentLaunching::slotRunning(const Host &host, TaskId id) const
{
    if (!m_host.ledger().contains(id))
        return nullptr;
    WorkerSlot *slot = m_host.slotAt(m_host.ledger()[id].slot);
    return slot && slot->task == id && hostOfSlot(*slot) == &host ? slot : nullptr;
}

bool AgentLaunching::isBusy(const Host &host) const
{
    return std::any_of(m_host.workerSlots().begin(), m_host.workerSlots().end(),
                       [&](const auto &s) { return s && s->task >= 0 && hostOfSlot(*s) == &host; });
}

bool AgentLaunching::anyHostLeft() const
{
    return std::any_of(m_hosts.begin(), m_hosts.end(), [](const auto &h) { return !h->lost; });
}

// The task goes back to the queue, no attempt charged: not its fault (a drain, a lost host).
void AgentLaunching::requeue(WorkerSlot &slot)
{
    m_host.ledger().requeue(slot.task);
    Event &e = m_host.post(Event::Type::TaskRequeued);
    e.task = slot.task;
    e.slot = slot.number;
    slot.task = -1;
    slot.endReason = EndReason::None;
    m_host.slotSettled(slot);
}

void AgentLaunching::receive(Host &host, agent::Output &output)
{
    if (!slotRunning(host, output.task)) // not a task of this host's: a confused agent
        return;
    Received &r = host.received[output.task];
    const int i = output.stream == Stream::Stdout ? 0 : 1;
    QByteArray &held = i == 0 ? r.output.out : r.output.err;
    if (r.output.lost)
        return;
    // Past OutputCapture's inline limit, into a scratch file, as a local task's output.
    if (r.fds[i] < 0 && held.size() + output.bytes.size() > OutputCapture::kInlineLimit) {
        r.fds[i] = openScratchFile();
        if (r.fds[i] < 0 || !writeAll(r.fds[i], held)) {
            r.output.lost = errno ? errno : EIO;
            return;
        }
        r.sizes[i] = held.size();
        held.clear();
    }
    if (r.fds[i] < 0) {
        held += output.bytes;
    } else if (writeAll(r.fds[i], output.bytes)) {
        r.sizes[i] += output.bytes.size();
    } else {
        r.output.lost = errno;
    }
}

void AgentLaunching::finish(Host &host, const agent::Finished &finished)
{
    Received r = host.received.take(finished.task);
    AttemptOutput output = std::move(r.output);
    for (int i = 0; i < 2; ++i) {
        if (r.fds[i] >= 0)
            (i == 0 ? output.outFile : output.errFile)
                = std::make_shared<SpilledOutput>(r.fds[i], r.sizes[i]);
    }
    WorkerSlot *slot = slotRunning(host, finished.task);
    if (!slot)
        return;
    slot->process.setFrozen(true);
    ExitStatus exit = finished.exit;
    const bool cancelled = exit.kind == ExitStatus::Kind::Cancelled;
    if (slot->endReason == EndReason::Requeue && cancelled) {
        requeue(*slot); // a drain; a task that ended first is done
        return;
    }
    if (slot->endReason == EndReason::Cancel) {
        exit = ExitStatus::cancelled(exit.signal); // whatever it did when told to stop
    } else if (cancelled && !m_host.isStopping()) {
        requeue(*slot); // its agent is going (its link ended, a signal): not the task's doing
        return;
    }
    if (output.lost && exit.kind != ExitStatus::Kind::Cancelled
        && exit.kind != ExitStatus::Kind::FailedToStart)
        exit = ExitStatus::outputLost(exit, output.lost);
    concludeAttempt(m_host, *slot, exit, std::move(output), finished.durationMs);
}

bool AgentLaunching::runsElsewhere(const WorkerSlot &slot) const
{
    const Host *host = hostOfSlot(slot);
    return slot.task >= 0 && host && !host->lost;
}

void AgentLaunching::holdTask(WorkerSlot &slot, bool stopped)
{
    Host *host = hostOfSlot(slot);
    if (slot.task < 0 || !host || host->lost)
        return;
    send(*host, agent::Hold { slot.task, stopped });
    flush(*host);
}

void AgentLaunching::cancelRunning(TaskId id)
{
    WorkerSlot *slot = m_host.slotAt(m_host.ledger()[id].slot);
    Host *host = slot ? hostOfSlot(*slot) : nullptr;
    if (!slot || slot->task != id || !host || host->lost)
        return;
    slot->endReason = EndReason::Cancel;
    send(*host, agent::Cancel { id });
    flush(*host);
}

void AgentLaunching::requeueRunning(WorkerSlot &slot)
{
    Host *host = hostOfSlot(slot);
    if (slot.task < 0 || !host || host->lost)
        return;
    slot.endReason = EndReason::Requeue;
    send(*host, agent::Cancel { slot.task });
    flush(*host);
}

void AgentLaunching::lose(Host &host, const QString &reason)
{
    if (std::exchange(host.lost, true))
        return;
    closeLink(host);
    if (host.process.isLive()) {
        host.process.kill(); // ssh: the far side sees the link end, and its agent cleans up
        host.process.reap(m_host.tree(), m_host.guard(), m_host.watcher());
    }
    int requeued = 0;
    for (auto &s : m_host.workerSlots()) {
        if (!s || s->task < 0 || hostOfSlot(*s) != &host)
            continue;
        s->process.setFrozen(true);
        if (s->endReason == EndReason::Cancel || m_host.isStopping()) {
            concludeAttempt(m_host, *s, ExitStatus::cancelled(0), {}, m_host.activeMs(*s));
            continue;
        }
        requeue(*s); // it runs again elsewhere
        ++requeued;
    }
    for (const Received &r : std::as_const(host.received))
        for (int fd : r.fds)
            if (fd >= 0)
                ::close(fd);
    host.received.clear();
    m_host.message(
        u"host %1 is lost: %2; %3 running task(s) go back to the queue"_s.arg(host.name(), reason)
            .arg(requeued));
    if (m_opened && !anyHostLeft() && !m_finishing)
        m_host.failUnserved(u"no worker host is left"_s);
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
    if (host.stderrFile < 0)
        return {};
    const off_t size = ::lseek(host.stderrFile, 0, SEEK_END);
    const qint64 from = qMax<qint64>(0, size - 2048);
    QByteArray tail(qsizetype(size - from), Qt::Uninitialized);
    const ssize_t n = ::pread(host.stderrFile, tail.data(), size_t(tail.size()), from);
    tail.truncate(n > 0 ? n : 0);
    const QString text = QString::fromLocal8Bit(tail).trimmed();
    if (text.isEmpty())
        return {};
    const QStringList lines = text.split(u'\n');
    return u": "_s + lines.mid(qMax(0, lines.size() - 3)).join(u" / "_s);
}

bool AgentLaunching::finishWorkers()
{
    // Every task has ended: each agent is told so by the end of its stdin, and exits.
    m_finishing = true;
    bool running = false;
    for (auto &host : m_hosts) {
        if (host->lost)
            continue;
        if (host->toAgent >= 0 && host->outBuffer.isEmpty()) {
            if (host->writeWatched)
                m_host.watcher().unwatch(host->toAgent);
            ::close(host->toAgent);
            host->toAgent = -1;
        }
        running = running || host->process.isLive();
    }
    return running;
}

void AgentLaunching::prepareEnd()
{
    for (auto &host : m_hosts)
        closeLink(*host);
}

void AgentLaunching::endingProcesses(std::vector<TaskProcess *> &processes)
{
    for (auto &host : m_hosts)
        if (host->process.isLive())
            processes.push_back(&host->process);
}

} // namespace shoal
