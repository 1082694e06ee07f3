// AgentLaunching with service workers: each host's agent runs the service programs, and the tasks
// travel in batches (Tasks, Results) so that a link's round trip is paid per batch, not per task.

#include "agentlaunching.h"

#include "servicelaunching.h"
#include "taskledger.h"

#include <QMetaObject>

#include <cerrno>
#include <csignal>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {
constexpr size_t kTasksPerFrame = 8192;
constexpr qsizetype kTaskBytesPerFrame = 1 << 20;
constexpr int kMaxWindow = 8192;
} // namespace

void AgentLaunching::dispatchService()
{
    TaskLedger &ledger = m_host.ledger();
    std::vector<agent::Tasks> pending(m_hosts.size());
    std::vector<qsizetype> pendingBytes(m_hosts.size(), 0);
    std::vector<Host *> fed;
    const qint64 t = m_host.now();
    TaskBatch *batch = nullptr;
    // A host lost with tasks on their way is fed one task at a time until it answers one: if a
    // task takes it down again, it is that one (loseService()), not those sent with it.
    std::vector<bool> isolatedBusy(m_hosts.size(), false);
    for (const auto &s : m_host.workerSlots())
        if (const Host *host = s ? hostOfSlot(*s) : nullptr; host && host->isolated && isBusy(*s))
            isolatedBusy[size_t(host->index)] = true;
    for (auto &s : m_host.workerSlots()) {
        if (!ledger.hasQueued())
            break;
        if (!s || s->paused || s->parked || s->draining)
            continue;
        Host *host = hostOfSlot(*s);
        if (!host || !host->ready || host->lost || host->going
            || (host->isolated && isolatedBusy[size_t(host->index)]))
            continue;
        std::deque<TaskId> &inflight = s->service->inflight;
        const bool wasIdle = inflight.empty();
        agent::Tasks &tasks = pending[size_t(host->index)];
        qsizetype &bytes = pendingBytes[size_t(host->index)];
        bool took = false;
        qint64 room = host->window - qint64(inflight.size());
        if (host->isolated) {
            room = 1;
            isolatedBusy[size_t(host->index)] = true;
        }
        for (; room > 0; --room) {
            const TaskId id = ledger.takeNext();
            if (id < 0)
                break;
            ledger.begin(id, s->number, t);
            took = true;
            if (ledger[id].attempts > 1) // a retry: a stale entry of its earlier attempt goes
                std::erase(inflight, id);
            inflight.push_back(id);
            const QByteArrayView input = m_inputs.utf8(ledger.seqOf(id) - 1);
            tasks.ids.push_back(id);
            tasks.inputs.append(input);
            bytes += input.size();
            if (!batch)
                batch = &m_host.openBatch();
            batch->started.push_back({ id, s->number, ledger[id].attempts, 0 });
            if (tasks.ids.size() >= kTasksPerFrame || bytes >= kTaskBytesPerFrame) {
                send(*host, tasks);
                tasks = {};
                bytes = 0;
            }
        }
        if (wasIdle && !inflight.empty())
            m_host.postWorker(*s);
        if (took && std::find(fed.begin(), fed.end(), host) == fed.end())
            fed.push_back(host);
    }
    // One write per host for all its new tasks (see dispatch()).
    for (Host *host : fed) {
        if (!pending[size_t(host->index)].ids.empty())
            send(*host, pending[size_t(host->index)]);
        flush(*host);
    }
}

void AgentLaunching::receiveProgress(Host &host, const agent::Progress &progress)
{
    for (const agent::Progress::Entry &e : progress.entries) {
        // As for an answer: not a cancelled attempt's, nor one of a task sent elsewhere since.
        if (!host.cancelling.contains(e.task) && slotWithTask(host, e.task))
            m_host.openBatch().progress.push_back({ e.task, e.value });
    }
}

void AgentLaunching::settleService(WorkerSlot &slot, TaskId id, ExitStatus exit, qint64 durationMs,
                                   QByteArrayView text)
{
    TaskLedger &ledger = m_host.ledger();
    TaskLedger::Record &t = ledger[id];
    const bool ok = exit.succeeded();
    ++slot.tasksDone;
    if (!ok)
        ++slot.failures;
    t.setDuration(durationMs);
    // A failure is retried at the back, as a crash is here: an input that crashes its worker
    // fed again at once to the same host would crash it again and again, until its agent
    // gave its programs up (an error answer, retried at the front here, is not told apart).
    const TaskState state
        = ledger.settle(id, exit, !m_host.isStopping(), TaskLedger::RetryAt::Back);
    TaskBatch &batch = m_host.openBatch();
    const qsizetype offset = batch.outputs.size();
    batch.outputs += text;
    batch.finished.push_back(
        { id, slot.number, t.attempts, state, -1, t.exit, t.durationMs, offset, text.size() });
    if (isTerminal(state))
        concludeAnswer(m_host, id, state, ok ? Stream::Stdout : Stream::Stderr,
                       QByteArrayView(batch.outputs).sliced(offset, text.size()),
                       ok ? text.size() : 0);
}

void AgentLaunching::receiveResults(Host &host, agent::Results &results)
{
    TaskLedger &ledger = m_host.ledger();
    bool ranDry = false;
    for (size_t i = 0; i < results.entries.size(); ++i) {
        const agent::Results::Entry &e = results.entries[i];
        if (!ledger.contains(e.task)) {
            lose(host, u"its agent answered for a task Shoal never sent (%1)"_s.arg(e.task));
            return;
        }
        // Until its agent acknowledges a Cancel, what comes for the task is the cancelled
        // attempt's (its answer may have been on its way): a later attempt's comes after.
        if (const auto pending = host.cancelling.find(e.task); pending != host.cancelling.end()) {
            if (e.exit.kind == ExitStatus::Kind::Cancelled && --*pending == 0)
                host.cancelling.erase(pending);
            continue;
        }
        if (e.exit.kind == ExitStatus::Kind::Cancelled) {
            host.going = true; // its agent is ending: the host's loss requeues the task
            continue;
        }
        WorkerSlot *slot = slotWithTask(host, e.task);
        if (!slot) // cancelled or requeued here since (its answer was on its way), or elsewhere
            continue;
        delivered(host);
        host.isolated = false; // it answers: whatever took it down is not sent with the others
        m_lossesOf.remove(e.task); // it ran to its end: not what takes hosts down
        settleService(*slot, e.task, e.exit, e.durationMs, results.texts.utf8(qsizetype(i)));
        // Its entry in the slot's flight goes once it is at the front: answers come back in
        // about the order sent, so nothing is searched or moved.
        if (dropAnswered(*slot)) {
            // Dry while it could have had more: the window is shorter than the round trip.
            ranDry = ranDry
                || (ledger.hasQueued() && !slot->paused && !slot->parked && !slot->draining
                    && !slot->process.isFrozen());
        }
    }
    if (ranDry)
        host.window = qMin(host.window * 2, kMaxWindow);
}

WorkerSlot *AgentLaunching::slotWithTask(const Host &host, TaskId id) const
{
    if (!m_isService)
        return slotRunning(host, id);
    if (!m_host.ledger().contains(id))
        return nullptr;
    WorkerSlot *slot = m_host.slotAt(m_host.ledger()[id].slot);
    return slot && hostOfSlot(*slot) == &host && isInFlightOn(id, *slot) ? slot : nullptr;
}

bool AgentLaunching::isInFlightOn(TaskId id, const WorkerSlot &slot) const
{
    const TaskLedger::Record &t = m_host.ledger()[id];
    return t.slot == slot.number && TaskLedger::isRunning(t.state);
}

void AgentLaunching::thawSlotsOf(const Host &host)
{
    if (!m_isService || m_paused)
        return;
    for (auto &s : m_host.workerSlots()) {
        if (!s || hostOfSlot(*s) != &host || s->paused || s->parked || !s->process.isFrozen())
            continue;
        s->segmentStartMs = m_host.now();
        s->process.setFrozen(false);
    }
}

void AgentLaunching::cancelThere(Host &host, TaskId id)
{
    send(host, agent::Cancel { id });
    ++host.cancelling[id];
}

bool AgentLaunching::dropAnswered(WorkerSlot &slot)
{
    std::deque<TaskId> &inflight = slot.service->inflight;
    while (!inflight.empty() && !isInFlightOn(inflight.front(), slot))
        inflight.pop_front();
    if (!inflight.empty())
        return false;
    settleLater(slot);
    return true;
}

void AgentLaunching::settleLater(const WorkerSlot &slot)
{
    // Not now: the pool may be looping over its slots (cancel all, a resize), and a draining
    // slot that settles leaves the pool.
    QMetaObject::invokeMethod(
        m_host.context(),
        [this, number = slot.number, generation = slot.generation] {
            WorkerSlot *s = m_host.slotAt(number);
            if (s && s->generation == generation && !isBusy(*s))
                m_host.slotSettled(*s);
        },
        Qt::QueuedConnection);
}

void AgentLaunching::cancelService(TaskId id)
{
    WorkerSlot *slot = m_host.slotAt(m_host.ledger()[id].slot);
    Host *host = slot ? hostOfSlot(*slot) : nullptr;
    if (!slot || !host)
        return;
    std::deque<TaskId> &inflight = slot->service->inflight;
    const auto at = std::find(inflight.begin(), inflight.end(), id);
    if (at == inflight.end())
        return;
    inflight.erase(at);
    cancelInFlight(m_host, id); // its answer, if one comes, is dropped
    if (!host->lost) {
        cancelThere(*host, id);
        flush(*host);
    }
    dropAnswered(*slot);
    m_host.checkFinished();
}

void AgentLaunching::requeueService(WorkerSlot &slot)
{
    Host *host = hostOfSlot(slot);
    if (host && !host->lost) {
        for (const TaskId id : slot.service->inflight)
            if (isInFlightOn(id, slot)) // not a stale entry's task, running elsewhere now
                cancelThere(*host, id);
        flush(*host);
    }
    requeueInFlight(m_host, slot);
    settleLater(slot);
}

void AgentLaunching::loseService(WorkerSlot &slot)
{
    if (!m_host.isStopping()) {
        // As a command task's (requeueFromLostHost): a task on its way there each time its
        // host goes may be what ends its agent; from its third such loss on, its attempt counts.
        // The host is then fed one task at a time (dispatchService()), so that one that takes
        // it down goes there alone, and the others with it are not charged for it.
        const TaskLedger &ledger = m_host.ledger();
        // A copy: a task settled here may reach the halt rule, which cancels what is in flight.
        for (const TaskId id : std::deque<TaskId>(slot.service->inflight)) {
            const int losses = isInFlightOn(id, slot) ? ++m_lossesOf[id] : 0;
            if (losses <= kUnchargedLosses)
                continue;
            settleService(slot, id, lostWithItsHost(SIGKILL), m_host.now() - ledger[id].startedMs,
                          u"shoal: its host was lost each of the %1 times this task was on its way "
                          "there: this attempt counts\n"_s.arg(losses)
                              .toUtf8());
            forgetLossesIfEnded(id);
        }
        requeueInFlight(m_host, slot); // they run again elsewhere (not those settled above)
    } else {
        for (const TaskId id : slot.service->inflight)
            if (isInFlightOn(id, slot))
                cancelInFlight(m_host, id);
        slot.service->inflight.clear();
    }
    settleLater(slot);
}

void AgentLaunching::syncWorkers()
{
    std::vector<int> counts(m_hosts.size(), 0);
    for (auto &s : m_host.workerSlots()) {
        if (!s)
            continue;
        // A slot made while no host could take it (all lost, or resized to none) gets one now.
        if (!hostOfSlot(*s) && !isBusy(*s))
            assignHost(*s);
        if (const Host *host = hostOfSlot(*s))
            ++counts[size_t(host->index)];
    }
    for (auto &host : m_hosts) {
        const int wanted = counts[size_t(host->index)];
        // Not to 0: a retired program that ignores EOF would hold the agent's slot count.
        if (!host->ready || host->lost || wanted < 1 || wanted == host->agentWorkers)
            continue;
        host->agentWorkers = wanted;
        send(*host, agent::Workers { wanted });
        flush(*host);
    }
}

} // namespace shoal
