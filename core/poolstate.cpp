// The pool as front ends see it: counts, workers, tasks, outputs.

#include "pool.h"

#include "processtree.h"

using namespace Qt::Literals::StringLiterals;

namespace shoal {

qint64 Pool::taskCount() const
{
    return m_ledger.size();
}

qint64 Pool::seqOf(TaskId id) const
{
    return m_ledger.contains(id) ? m_ledger.seqOf(id) : 0;
}

QString Pool::commandOf(TaskId id) const
{
    return m_launching->commandOf(id);
}

WorkerSlot *Pool::slotAt(int number) const
{
    return number >= 1 && size_t(number) <= m_slots.size() ? m_slots[size_t(number) - 1].get()
                                                           : nullptr;
}

bool Pool::isFrozen(const WorkerSlot &slot) const
{
    return m_paused || slot.paused || slot.parked;
}

qint64 Pool::activeMs(const WorkerSlot &slot) const
{
    return slot.accumulatedMs + (slot.process.isFrozen() ? 0 : now() - slot.segmentStartMs);
}

WorkerInfo Pool::workerInfo(const WorkerSlot &slot) const
{
    WorkerInfo w;
    w.slot = slot.number;
    if (m_options.hosts.isValid())
        w.host = m_launching->placeOf(slot.number);
    w.parked = slot.parked;
    const TaskId current = m_launching->oldestTask(slot);
    if (slot.process.pid() > 0)
        w.pid = slot.process.pid();
    else if (current >= 0 && slot.remotePid > 0)
        w.pid = slot.remotePid; // on its host
    if (current >= 0) {
        w.task = current;
        w.taskStartedMs = m_ledger[current].startedMs;
        // One process per task: its running time; several in flight: since the oldest started.
        w.taskElapsedMs = slot.task >= 0 ? activeMs(slot) : now() - w.taskStartedMs;
    }
    const bool live = slot.process.isLive() || (current >= 0 && m_launching->runsElsewhere(slot));
    if (slot.crashed)
        w.state = WorkerState::Crashed;
    else if (slot.paused || slot.parked || (hasProcess(slot) && m_paused))
        w.state = WorkerState::Paused;
    else if (slot.draining)
        w.state = WorkerState::Draining;
    else
        w.state = current >= 0 ? WorkerState::Busy : WorkerState::Idle;
    w.tasksDone = slot.tasksDone;
    w.failures = slot.failures;
    w.cpuPercent = live ? slot.cpuPercent : 0;
    w.rssBytes = live ? slot.rssBytes : 0;
    return w;
}

TaskInfo Pool::taskInfo(TaskId id) const
{
    const TaskLedger::Record &t = m_ledger[id];
    TaskInfo info;
    info.id = id;
    info.seq = m_ledger.seqOf(id);
    info.state = t.state;
    info.slot = t.slot;
    info.attempts = t.attempts;
    info.startedMs = t.startedMs;
    info.durationMs = t.durationMs;
    info.exit = t.exit;
    if (TaskLedger::isRunning(t.state)) {
        const WorkerSlot *slot = slotAt(t.slot);
        info.durationMs = slot && slot->task == id ? activeMs(*slot) : now() - t.startedMs;
    }
    return info;
}

PoolStats Pool::stats() const
{
    PoolStats s;
    s.timeMs = m_started ? now() : 0;
    s.total = m_ledger.size();
    s.running = m_ledger.running();
    s.succeeded = m_ledger.succeeded();
    s.failed = m_ledger.failed();
    s.cancelled = m_ledger.cancelled();
    s.queued = s.total - s.running - s.succeeded - s.failed - s.cancelled;
    s.workers = m_targetSize;
    for (const auto &slot : m_slots) {
        if (!slot)
            continue;
        const bool busy = m_launching->isBusy(*slot);
        if (busy && !isFrozen(*slot))
            ++s.busyWorkers;
        if (busy && hasProcess(*slot) && slot->process.isFrozen()) {
            // Running tasks only: a cancelled service task stays in the worker's pipe until
            // the (stopped) worker answers it.
            for (const TaskId id : m_launching->tasksOn(*slot))
                s.pausedTasks += TaskLedger::isRunning(m_ledger[id].state);
        }
        if (slot->parked && slot->process.isLive())
            ++s.parkedWorkers;
    }
    s.paused = m_paused;
    s.throughput = m_throughput.perSecond();
    s.etaSeconds = m_throughput.etaSeconds(s.queued + s.running);
    return s;
}

PoolSnapshot Pool::snapshot(bool compact) const
{
    PoolSnapshot snap;
    snap.seq = m_outbox.snapshotSeq();
    snap.wallStartMs = m_wallStartMs;
    snap.inputs = m_inputs;
    snap.stats = stats();
    for (const auto &s : m_slots) {
        if (s)
            snap.workers.push_back(workerInfo(*s));
    }
    snap.taskCount = m_ledger.size();
    snap.compact = compact;
    if (!compact) {
        snap.tasks.reserve(size_t(m_ledger.size()));
        for (TaskId id = 0; id < m_ledger.size(); ++id)
            snap.tasks.push_back(taskInfo(id));
        return snap;
    }
    bool plainSeqs = true;
    for (TaskId id = 0; id < m_ledger.size(); ++id) {
        const TaskLedger::Record &t = m_ledger[id];
        plainSeqs = plainSeqs && m_ledger.seqOf(id) == id + 1;
        if (t.state != TaskState::Queued || t.attempts > 0)
            snap.tasks.push_back(taskInfo(id));
    }
    if (!plainSeqs) {
        snap.seqs.reserve(size_t(m_ledger.size()));
        for (TaskId id = 0; id < m_ledger.size(); ++id)
            snap.seqs.push_back(m_ledger.seqOf(id));
    }
    return snap;
}

QByteArray Pool::liveOutput(int slot, Stream stream, qint64 maxBytes) const
{
    const WorkerSlot *s = slotAt(slot);
    return s ? s->capture.peek(stream, maxBytes) : QByteArray();
}

QByteArray Pool::taskOutput(TaskId id, Stream stream) const
{
    if (!m_ledger.contains(id))
        return {};
    const TaskLedger::Record &t = m_ledger[id];
    if (TaskLedger::isRunning(t.state))
        return liveOutput(t.slot, stream);
    return m_kept.get(id, stream);
}

QByteArray Pool::taskCgroupsPath() const
{
    return m_tree ? m_tree->cgroupPath() : QByteArray();
}

QStringList Pool::commandsOf(const QList<TaskId> &ids) const
{
    QStringList commands;
    commands.reserve(ids.size());
    for (TaskId id : ids)
        commands << (id >= 0 && id < taskCount() ? commandOf(id) : QString());
    return commands;
}

TaskDetails Pool::taskDetails(TaskId id, int workerSlot) const
{
    TaskDetails d;
    d.task = id;
    if (id < 0 || id >= taskCount())
        return d;
    d.command = commandOf(id);
    d.stdoutData = taskOutput(id, Stream::Stdout);
    d.stderrData = taskOutput(id, Stream::Stderr);
    if (workerSlot > 0)
        d.workerStderr = liveOutput(workerSlot, Stream::Stderr);
    return d;
}

} // namespace shoal
