#include "launching.h"

#include "keptoutputs.h"
#include "pool.h"
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

} // namespace shoal
