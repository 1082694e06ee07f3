#include "agentlaunching.h"

#include "fileio.h"
#include "launcher.h"
#include "pool.h"
#include "servicelaunching.h"
#include "taskledger.h"

#include <QFile>
#include <QRandomGenerator>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {
constexpr int kReleaseWaitMs = 10000; // for the holder to end once the batch let it go
} // namespace

AgentLaunching::AgentLaunching(LaunchHost &host, const CommandTemplate &command,
                               const InputList &inputs, const HostsSpec &hosts,
                               const ServiceSpec &service)
    : m_host(host)
    , m_template(command)
    , m_inputs(inputs)
    , m_spec(hosts)
    , m_service(service)
    , m_isService(service.isValid())
{
}

AgentLaunching::~AgentLaunching()
{
    if (!m_probe.isEmpty())
        QFile::remove(m_probe);
}

// With files to move, a file in our folder tells each agent whether its folder is this one (a
// shared or the same disk: Slurm's nodes, -S localhost): there it must not write over, send
// back or remove what is already in place. A hidden name; left behind only if Shoal is killed.
void AgentLaunching::makeProbe()
{
    if (m_spec.transferFiles.isEmpty() && m_spec.returnFiles.isEmpty() && !m_spec.cleanup)
        return;
    const QString name = u".shoal-probe-%1-%2"_s.arg(::getpid())
                             .arg(QRandomGenerator::global()->generate64(), 0, 36);
    QFile probe(name);
    if (probe.open(QIODevice::WriteOnly | QIODevice::NewOnly)
        && probe.write(name.toUtf8()) == name.size() && probe.flush())
        m_probe = name;
    else
        probe.remove(); // a folder we cannot write: every host is told to write its own copies
}

Result<void> AgentLaunching::prepare()
{
    if (m_isService && (!m_spec.transferFiles.isEmpty() || !m_spec.returnFiles.isEmpty()))
        return Error { u"--transferfile and --return move the files of command tasks; service "
                       "workers are given their tasks on stdin"_s };
    if (m_template.isEmpty() && !m_isService)
        return Error { u"no command to run"_s };
    for (const auto &[patterns, parsed] : { std::pair { &m_spec.transferFiles, &m_transfers },
                                            std::pair { &m_spec.returnFiles, &m_returns } }) {
        for (const QString &pattern : *patterns) {
            auto t = CommandTemplate::parsePath(pattern);
            if (!t)
                return Error { u"'%1': %2"_s.arg(pattern, t.error()) };
            parsed->push_back(std::move(*t));
        }
    }
    for (const HostSpec &spec : m_spec.hosts) {
        auto host = std::make_unique<Host>();
        host->index = int(m_hosts.size());
        host->spec = spec;
        m_hosts.push_back(std::move(host));
    }
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
    assignHost(slot);
    if (m_isService && !slot.service)
        slot.service = std::make_unique<ServiceSlot>();
}

void AgentLaunching::assignHost(WorkerSlot &slot)
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
        if (host->lost || host->workers <= 0) // a host resized to none takes no more
            continue;
        const auto i = size_t(host->index);
        if (best < 0
            || qint64(assigned[i]) * m_hosts[size_t(best)]->workers
                < qint64(assigned[size_t(best)]) * host->workers)
            best = host->index;
    }
    for (const auto &host : m_hosts) // every host resized to none: the pool's size still counts
        if (best < 0 && (!host->lost || host->retrying) && !host->refused)
            best = host->index;
    if (size_t(slot.number) >= m_hostOfSlot.size())
        m_hostOfSlot.resize(size_t(slot.number) + 1, -1);
    m_hostOfSlot[size_t(slot.number)] = best;
}

int AgentLaunching::hostIndex(const QString &name) const
{
    for (const auto &host : m_hosts)
        if (host->spec.login == name || (!name.isEmpty() && host->hello.host == name)
            || host->name() == name) // as the window shows it
            return host->index;
    return -1;
}

int AgentLaunching::hostIndexOf(const WorkerSlot &slot) const
{
    const Host *host = hostOfSlot(slot);
    return host ? host->index : -1;
}

void AgentLaunching::setHostWorkers(int host, int workers)
{
    m_hosts[size_t(host)]->workers = workers;
}

AgentLaunching::Host *AgentLaunching::hostOfSlot(const WorkerSlot &slot) const
{
    if (size_t(slot.number) >= m_hostOfSlot.size() || m_hostOfSlot[size_t(slot.number)] < 0)
        return nullptr;
    return m_hosts[size_t(m_hostOfSlot[size_t(slot.number)])].get();
}

QString AgentLaunching::hostOf(int number) const
{
    // By number, not by slot: a joblog row may be written after its slot left (a drain).
    if (number < 0 || size_t(number) >= m_hostOfSlot.size() || m_hostOfSlot[size_t(number)] < 0)
        return {};
    return m_hosts[size_t(m_hostOfSlot[size_t(number)])]->spec.login;
}

QString AgentLaunching::placeOf(int number) const
{
    const WorkerSlot *slot = m_host.slotAt(number);
    const Host *host = slot ? hostOfSlot(*slot) : nullptr;
    return host ? (host->spec.isLocal() ? host->spec.login : host->name()) : QString();
}

QString AgentLaunching::commandOf(TaskId id) const
{
    const qint64 seq = m_host.ledger().seqOf(id);
    if (m_isService)
        return shellJoin(m_service.program) + u" <<< "_s + shellQuote(m_inputs.at(seq - 1));
    return m_template.display(
        m_template.expand(m_inputs.at(seq - 1), seq, qMax(1, m_host.ledger()[id].slot)));
}

bool AgentLaunching::isBusy(const WorkerSlot &slot) const
{
    return m_isService ? !slot.service->inflight.empty() : slot.task >= 0;
}

std::vector<TaskId> AgentLaunching::tasksOn(const WorkerSlot &slot) const
{
    if (m_isService) { // answered entries wait behind the front (receiveResults)
        std::vector<TaskId> tasks;
        for (const TaskId id : slot.service->inflight)
            if (isInFlightOn(id, slot))
                tasks.push_back(id);
        return tasks;
    }
    return slot.task >= 0 ? std::vector<TaskId> { slot.task } : std::vector<TaskId> {};
}

TaskId AgentLaunching::oldestTask(const WorkerSlot &slot) const
{
    if (m_isService)
        return slot.service->inflight.empty() ? -1 : slot.service->inflight.front();
    return slot.task;
}

TaskId AgentLaunching::newestTask(const WorkerSlot &slot) const
{
    if (m_isService) {
        const std::deque<TaskId> &inflight = slot.service->inflight;
        const auto live = std::find_if(inflight.rbegin(), inflight.rend(),
                                       [&](TaskId id) { return isInFlightOn(id, slot); });
        return live == inflight.rend() ? -1 : *live;
    }
    return slot.task;
}

void AgentLaunching::dispatch()
{
    TaskLedger &ledger = m_host.ledger();
    if (m_finishing && ledger.hasQueued())
        reopenHosts(); // a retry after the batch's end
    if (m_opened && ledger.hasQueued() && !anyHostLeft()) {
        m_host.failUnserved(m_allocationGone
                                ? u"the Slurm allocation obtained for this batch has ended: "
                                  "start the batch again"_s
                                : u"no worker host is left"_s); // tasks added since the last went
        return;
    }
    syncWorkers();
    if (m_isService) {
        dispatchService();
        return;
    }
    std::vector<Host *> fed;
    for (auto &s : m_host.workerSlots()) {
        if (!ledger.hasQueued())
            break;
        if (!s || s->task >= 0 || s->paused || s->parked || s->draining)
            continue;
        Host *host = hostOfSlot(*s);
        if (!host || !host->ready || host->lost || host->going)
            continue;
        const TaskId id = ledger.takeNext();
        if (id < 0)
            break;
        start(*s, *host, id);
        if (std::find(fed.begin(), fed.end(), host) == fed.end())
            fed.push_back(host);
    }
    // One write per host for all its new tasks: a transport's TCP hop holds back a second small
    // write until the first is acknowledged. A broken link loses the host (its tasks requeued).
    for (Host *host : fed)
        flush(*host);
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
    slot.cpuPercent = 0; // until its agent says (Usage)
    slot.rssBytes = 0;
    m_host.openBatch().started.push_back({ id, slot.number, t.attempts, 0 });
    m_host.postWorker(slot);
    sendRun(slot, host, id);
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
                       [&](const auto &s) { return s && isBusy(*s) && hostOfSlot(*s) == &host; });
}

bool AgentLaunching::anyHostLeft() const
{
    return std::any_of(m_hosts.begin(), m_hosts.end(),
                       [](const auto &h) { return !h->lost || h->retrying; });
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

bool AgentLaunching::requeueFromLostHost(WorkerSlot &slot, int signal)
{
    const int losses = ++m_lossesOf[slot.task];
    if (losses <= kUnchargedLosses) {
        requeue(slot);
        return true;
    }
    m_host.message(u"task %1 was running each of the %2 times its host was lost: this attempt "
                   "counts"_s.arg(m_host.ledger().seqOf(slot.task))
                       .arg(losses));
    const TaskId id = slot.task;
    concludeAttempt(m_host, slot, lostWithItsHost(signal), {}, m_host.activeMs(slot));
    forgetLossesIfEnded(id);
    return false;
}

ExitStatus AgentLaunching::lostWithItsHost(int signal)
{
    // It ran; what it gave went with the link (ENOLINK), and its agent ended it.
    return ExitStatus::outputLost(ExitStatus::signaled(signal), ENOLINK);
}

void AgentLaunching::forgetLossesIfEnded(TaskId id)
{
    if (isTerminal(m_host.ledger()[id].state))
        m_lossesOf.remove(id); // a retry after the batch's end starts afresh
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
    if (host.returned.isWriting(finished.task)) { // a file it sent back was cut short
        host.returned.abandon();
        if (!output.lost)
            output.lost = EIO;
    }
    if (m_spec.cleanup && !m_returns.empty() && !output.lost) { // --return's files are here
        send(host, agent::Collected { finished.task });
        flush(host);
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
        // Its agent is going (its link ended, a signal): the host is being lost, and this is
        // no sign that it works. Nothing more is sent there (it would be requeued again).
        host.going = true;
        requeueFromLostHost(*slot, exit.signal ? exit.signal : SIGTERM);
        return;
    }
    delivered(host);
    m_lossesOf.remove(finished.task); // it ran to its end: not what takes hosts down
    if (output.lost && exit.kind != ExitStatus::Kind::Cancelled
        && exit.kind != ExitStatus::Kind::FailedToStart)
        exit = ExitStatus::outputLost(exit, output.lost);
    concludeAttempt(m_host, *slot, exit, std::move(output), finished.durationMs);
}

bool AgentLaunching::runsElsewhere(const WorkerSlot &slot) const
{
    const Host *host = hostOfSlot(slot);
    // A service worker is there whether or not it has tasks: a pause stops it.
    return (m_isService || slot.task >= 0) && host && host->ready && !host->lost;
}

void AgentLaunching::holdTask(WorkerSlot &slot, bool stopped)
{
    Host *host = hostOfSlot(slot);
    // A host's service workers take its tasks in any order: one worker paused here is not fed
    // (its tasks sent already are answered); the whole pool paused stops them there.
    if (m_isService || slot.task < 0 || !host || host->lost
        || holdUnsent(*host, slot.task, stopped))
        return;
    send(*host, agent::Hold { slot.task, stopped });
    flush(*host);
}

void AgentLaunching::poolPaused(bool paused)
{
    m_paused = paused;
    if (!m_isService)
        return; // each running task is held (holdTask)
    for (auto &host : m_hosts) {
        if (!host->ready || host->lost)
            continue;
        send(*host, agent::HoldWorker { 0, paused });
        flush(*host);
    }
}

void AgentLaunching::cancelRunning(TaskId id)
{
    if (m_isService) {
        cancelService(id);
        return;
    }
    WorkerSlot *slot = m_host.slotAt(m_host.ledger()[id].slot);
    Host *host = slot ? hostOfSlot(*slot) : nullptr;
    if (!slot || slot->task != id || !host || host->lost)
        return;
    slot->endReason = EndReason::Cancel;
    if (!dropUnsent(*host, id))
        send(*host, agent::Cancel { id });
    flush(*host);
}

void AgentLaunching::requeueRunning(WorkerSlot &slot)
{
    if (m_isService) {
        requeueService(slot);
        return;
    }
    Host *host = hostOfSlot(slot);
    if (slot.task < 0 || !host || host->lost)
        return;
    slot.endReason = EndReason::Requeue;
    if (!dropUnsent(*host, slot.task))
        send(*host, agent::Cancel { slot.task });
    flush(*host);
}

// The batch had ended, and its agents with it: each host is started again (a fresh link, its
// Hello, its Setup) for what was queued since. An allocation obtained for the batch was given
// back at its end, so Slurm hosts of one cannot come back.
void AgentLaunching::reopenHosts()
{
    m_finishing = false;
    if (m_heldAllocation) {
        m_allocationGone = true;
        return;
    }
    for (auto &host : m_hosts) {
        if (host->retrying || host->refused)
            continue; // coming back already, or never
        if (!host->lost) { // told the batch ended and going: started again once it has gone
            if (host->toAgent < 0) {
                host->ready = false;
                host->reopening = true;
            }
            continue;
        }
        startAgain(*host);
    }
}

bool AgentLaunching::finishWorkers()
{
    // Every task has ended: each agent is told so by the end of its stdin, and exits.
    m_finishing = true;
    bool running = false;
    for (auto &host : m_hosts) {
        if (host->lost)
            continue;
        if (host->toAgent >= 0 && host->unsent() == 0) {
            if (host->writeWatched)
                m_host.watcher().unwatch(host->toAgent);
            ::close(host->toAgent);
            host->toAgent = -1;
        }
        running = running || host->process.isLive();
    }
    if (!running && m_allocation.holder().isLive()) {
        // The agents are gone: the allocation obtained for them is let go, and the holder's
        // exit ends the batch (holderExited); one that does not exit is ended.
        if (!m_allocation.isReleased()) {
            m_allocation.release();
            QTimer::singleShot(kReleaseWaitMs, m_host.context(), [this] {
                if (m_allocation.holder().isLive())
                    holderExited();
            });
        }
        return true;
    }
    return running;
}

void AgentLaunching::prepareEnd()
{
    for (auto &host : m_hosts)
        closeLink(*host);
}

void AgentLaunching::holderExited()
{
    if (!m_finishing && !m_host.isStopping()) {
        m_allocationGone = true;
        m_host.message(u"Slurm job %1 ended before the batch (its srun exited)%2"_s.arg(
            m_allocation.jobId(), m_allocation.stderrTail()));
    }
    endAllocation();
    m_host.checkFinished();
}

void AgentLaunching::endingProcesses(std::vector<TaskProcess *> &processes)
{
    for (auto &host : m_hosts)
        if (host->process.isLive())
            processes.push_back(&host->process);
    if (m_allocation.holder().isLive()) {
        m_allocation.release();
        processes.push_back(&m_allocation.holder());
    }
}

} // namespace shoal
