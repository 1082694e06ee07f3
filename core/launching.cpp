#include "launching.h"

#include "keptoutputs.h"
#include "pool.h"
#include "servicelaunching.h"
#include "taskledger.h"

namespace shoal {

namespace {

// The tail of each stream stays with the task for front ends (taskOutput).
void keepOutput(LaunchHost &host, TaskId id, const AttemptOutput &output)
{
    const qint64 keep = host.options().keepOutputBytes;
    if (keep <= 0)
        return;
    auto kept = [keep](const QByteArray &data, const std::shared_ptr<SpilledOutput> &file) {
        return file ? file->tail(keep) : data.size() > keep ? data.right(keep) : data;
    };
    host.keptOutputs().keep(id, Stream::Stdout, kept(output.out, output.outFile));
    host.keptOutputs().keep(id, Stream::Stderr, kept(output.err, output.errFile));
}

} // namespace

void concludeAttempt(LaunchHost &host, WorkerSlot &slot, ExitStatus exit, AttemptOutput output,
                     qint64 durationMs)
{
    const TaskId id = slot.task;
    TaskLedger &ledger = host.ledger();
    TaskLedger::Record &t = ledger[id];
    t.setDuration(durationMs);
    ++slot.tasksDone;
    if (!exit.succeeded())
        ++slot.failures;
    const TaskState state = ledger.settle(id, exit, !host.isStopping());
    if (isTerminal(state)) {
        keepOutput(host, id, output);
        const qint64 received = output.outFile ? output.outFile->size() : output.out.size();
        host.recordTerminal(id, received, { output.out, output.outFile.get() },
                            { output.err, output.errFile.get() });
    }

    TaskBatch &batch = host.openBatch();
    batch.finished.push_back({ id, slot.number, t.attempts, state, int(batch.captured.size()), exit,
                               t.durationMs, 0, 0 });
    batch.captured.push_back({ std::move(output.out), std::move(output.err),
                               std::move(output.outFile), std::move(output.errFile) });

    slot.task = -1;
    slot.endReason = EndReason::None;
    host.slotSettled(slot);
    if (state == TaskState::Failed || state == TaskState::TimedOut)
        host.checkHalt(id);
}

void concludeAnswer(LaunchHost &host, TaskId id, TaskState state, Stream stream,
                    QByteArrayView text, qint64 received)
{
    const qint64 keep = host.options().keepOutputBytes;
    if (keep > 0)
        host.keptOutputs().keep(id, stream, text.last(qMin<qsizetype>(text.size(), keep)));
    const bool out = stream == Stream::Stdout;
    host.recordTerminal(id, received, { out ? text : QByteArrayView() },
                        { out ? QByteArrayView() : text });
    if (state == TaskState::Failed || state == TaskState::TimedOut)
        host.checkHalt(id);
}

void cancelInFlight(LaunchHost &host, TaskId id)
{
    TaskLedger &ledger = host.ledger();
    TaskLedger::Record &t = ledger[id];
    if (!TaskLedger::isRunning(t.state))
        return;
    t.setDuration(host.now() - t.startedMs);
    ledger.settle(id, ExitStatus::cancelled(0), false);
    host.openBatch().finished.push_back(
        { id, t.slot, t.attempts, t.state, -1, t.exit, t.durationMs, 0, 0 });
}

void requeueInFlight(LaunchHost &host, WorkerSlot &slot)
{
    std::deque<TaskId> &inflight = slot.service->inflight;
    for (auto it = inflight.rbegin(); it != inflight.rend(); ++it) {
        // An entry may be stale: answered, or retried since and running on another slot.
        const TaskLedger::Record &t = host.ledger()[*it];
        if (!TaskLedger::isRunning(t.state) || t.slot != slot.number)
            continue;
        host.ledger().requeue(*it);
        Event &e = host.post(Event::Type::TaskRequeued);
        e.task = *it;
        e.slot = slot.number;
    }
    inflight.clear();
}

} // namespace shoal
