#include "commandlaunching.h"

#include "eventoutbox.h"
#include "fileio.h"
#include "keptoutputs.h"
#include "launcher.h"
#include "pool.h"
#include "processguard.h"
#include "processtree.h"
#include "taskledger.h"

#include <QDir>

#include <cerrno>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

CommandLaunching::CommandLaunching(LaunchHost &host, const CommandTemplate &command,
                                   const InputList &inputs)
    : m_host(host)
    , m_template(command)
    , m_inputs(inputs)
{
}

QStringList CommandLaunching::argvOf(TaskId id, int slot) const
{
    const qint64 seq = m_host.ledger().seqOf(id);
    if (m_host.options().inputsAreArgv)
        return m_inputs.at(seq - 1).split(QChar(0));
    return m_template.expand(m_inputs.at(seq - 1), seq, slot);
}

Result<void> CommandLaunching::prepare()
{
    if (m_host.options().inputsAreArgv)
        return {};
    if (m_template.isEmpty())
        return Error { u"no command to run"_s };
    const QString program = m_template.fixedProgram();
    if (program.isEmpty() || (m_inputs.isEmpty() && !m_host.options().inputsOpen))
        return {};
    m_fixedProgramPath = m_host.launcher().resolve(program);
    if (m_fixedProgramPath.isEmpty())
        return Error { program.contains(u'/')
                           ? u"cannot run '%1': no such executable file"_s.arg(program)
                           : u"cannot run '%1': command not found in PATH"_s.arg(program) };
    return {};
}

QString CommandLaunching::commandOf(TaskId id) const
{
    return m_template.display(argvOf(id, qMax(1, m_host.ledger()[id].slot)));
}

std::vector<TaskId> CommandLaunching::tasksOn(const WorkerSlot &slot) const
{
    return slot.task >= 0 ? std::vector<TaskId> { slot.task } : std::vector<TaskId> {};
}

bool CommandLaunching::canTakeWork(const WorkerSlot &slot) const
{
    return slot.task < 0 && !slot.paused && !slot.parked && !slot.draining
        && slot.capture.isValid();
}

void CommandLaunching::dispatch()
{
    TaskLedger &ledger = m_host.ledger();
    while (ledger.hasQueued()) {
        WorkerSlot *free = nullptr;
        for (auto &s : m_host.workerSlots()) {
            if (s && canTakeWork(*s)) {
                free = s.get();
                break;
            }
        }
        if (!free)
            return;
        const TaskId id = ledger.takeNext();
        if (id < 0)
            return;
        start(*free, id);
    }
}

void CommandLaunching::start(WorkerSlot &slot, TaskId id)
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
    slot.cpuPercent = 0;
    slot.rssBytes = 0;

    const QStringList argv = argvOf(id, slot.number);
    Launcher &launcher = m_host.launcher();
    ProcessTree &tree = m_host.tree();
    const QByteArray path
        = m_fixedProgramPath.isEmpty() ? launcher.resolve(argv.front()) : m_fixedProgramPath;
    Launcher::Process p;
    if (path.isEmpty())
        p.error = ENOENT;
    else {
        // A cell that could not take a child (its folder removed under us) is dropped and the
        // task launched into a new one.
        for (int attempt = 0; attempt < 2; ++attempt) {
            const int cgroup = tree.prepareLaunch();
            p = launcher.start(path, argv, -1, slot.capture.stdoutFd(), slot.capture.stderrFd(),
                               m_host.guard().registrationFd(), cgroup);
            tree.launched(p.error ? -1 : p.pid, p.pid > 0);
            if (!p.error || p.pid > 0 || cgroup < 0)
                break;
        }
    }

    m_host.openBatch().started.push_back({ id, slot.number, t.attempts, qMax(0, p.pid) });

    if (p.error) {
        TaskProcess::abandon(p.pid, p.pidfd, m_host.guard());
        AttemptOutput output;
        slot.capture.take(&output.out, &output.err, &output.outFile, &output.errFile);
        output.err += u"shoal: task %1: cannot run '%2': %3\n"_s.arg(ledger.seqOf(id))
                          .arg(argv.front(), errnoText(p.error))
                          .toLocal8Bit();
        finishAttempt(slot, ExitStatus::failedToStart(p.error), std::move(output));
        return;
    }
    slot.process.adopt(p.pid, p.pidfd);
    m_host.watcher().watch(p.pidfd, { slot.number, slot.generation, ProcessWatcher::Kind::Exited });
    m_host.postWorker(slot);
    if (m_host.options().timeoutSeconds > 0)
        m_host.armDeadlines();
}

void CommandLaunching::onReady(WorkerSlot &slot, ProcessWatcher::Kind)
{
    reap(slot);
}

void CommandLaunching::reap(WorkerSlot &slot)
{
    if (!slot.process.hasExited())
        return;
    const int lastSignal = slot.process.lastSignal();
    slot.accumulatedMs = m_host.activeMs(slot);
    ExitStatus exit = slot.process.reap(m_host.tree(), m_host.guard(), m_host.watcher());
    slot.process.setFrozen(true); // the clock stops here
    AttemptOutput output;
    output.lost = slot.capture.take(&output.out, &output.err, &output.outFile, &output.errFile);
    switch (slot.endReason) {
    case EndReason::Timeout:
        exit = ExitStatus::timedOut(lastSignal);
        break;
    case EndReason::Cancel:
        exit = ExitStatus::cancelled(lastSignal);
        break;
    case EndReason::Memory:
        exit = memoryLimitExit(slot, m_host.options().memoryLimitBytes);
        break;
    case EndReason::Requeue: {
        m_host.ledger().requeue(slot.task); // a drain is not the task's fault
        Event &e = m_host.post(Event::Type::TaskRequeued);
        e.task = slot.task;
        e.slot = slot.number;
        slot.task = -1;
        slot.endReason = EndReason::None;
        m_host.slotSettled(slot);
        return;
    }
    case EndReason::None:
    case EndReason::Garbage: // service workers only
    case EndReason::ClosedOutput:
        break;
    }
    finishAttempt(slot, exit, std::move(output));
}

void CommandLaunching::finishAttempt(WorkerSlot &slot, ExitStatus exit, AttemptOutput output)
{
    const TaskId id = slot.task;
    TaskLedger &ledger = m_host.ledger();
    TaskLedger::Record &t = ledger[id];
    const qint64 now = m_host.now();
    // Lost when the scratch folder is full now, or was seen full while this task ran (taking an
    // output frees room, so the next task to end may find some although its writes failed too).
    if (output.lost)
        m_scratchFullMs = now;
    else if (m_scratchFullMs >= t.startedMs)
        output.lost = ENOSPC;
    if (output.lost && exit.kind != ExitStatus::Kind::Cancelled
        && exit.kind != ExitStatus::Kind::FailedToStart) {
        exit = ExitStatus::outputLost(exit, output.lost);
        if (!std::exchange(m_warnedOutputLost, true))
            m_host.message(
                u"the scratch folder for task outputs ('%1', from TMPDIR) is full: tasks that end "
                "now fail with 'output incomplete'"_s.arg(QDir::tempPath()));
    }
    concludeAttempt(m_host, slot, exit, std::move(output), m_host.activeMs(slot));
}

void CommandLaunching::onTimeout(WorkerSlot &slot)
{
    m_host.terminate(slot, EndReason::Timeout);
}

void CommandLaunching::cancelRunning(TaskId id)
{
    WorkerSlot *slot = m_host.slotAt(m_host.ledger()[id].slot);
    if (slot && slot->task == id)
        m_host.terminate(*slot, EndReason::Cancel);
}

void CommandLaunching::requeueRunning(WorkerSlot &slot)
{
    m_host.terminate(slot, EndReason::Requeue);
}

void CommandLaunching::onStatsTick()
{
    for (const auto &slot : m_host.workerSlots()) {
        if (slot && slot->capture.isValid()) {
            if (slot->capture.isScratchFull())
                m_scratchFullMs = m_host.now();
            break; // every slot's scratch files are in the same folder
        }
    }
}

} // namespace shoal
