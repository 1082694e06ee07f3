#include "servicelaunching.h"

#include "commandtemplate.h"
#include "eventoutbox.h"
#include "keptoutputs.h"
#include "launcher.h"
#include "pool.h"
#include "processguard.h"
#include "processtree.h"
#include "taskledger.h"

#include <algorithm>
#include <csignal>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

ServiceLaunching::ServiceLaunching(LaunchHost &host, const ServiceSpec &spec,
                                   const InputList &inputs)
    : m_host(host)
    , m_spec(spec)
    , m_inputs(inputs)
{
}

Result<void> ServiceLaunching::prepare()
{
    const QString program = m_spec.program.front();
    m_path = m_host.launcher().resolve(program);
    if (m_path.isEmpty())
        return Error {
            program.contains(u'/')
                ? u"cannot run the service program '%1': no such executable file"_s.arg(program)
                : u"cannot run the service program '%1': command not found in PATH"_s.arg(program)
        };
    return {};
}

void ServiceLaunching::slotAdded(WorkerSlot &slot)
{
    slot.service = std::make_unique<ServiceSlot>();
}

QString ServiceLaunching::commandOf(TaskId id) const
{
    return shellJoin(m_spec.program) + u" <<< "_s
        + shellQuote(m_inputs.at(m_host.ledger().seqOf(id) - 1));
}

std::vector<TaskId> ServiceLaunching::tasksOn(const WorkerSlot &slot) const
{
    return { slot.service->inflight.begin(), slot.service->inflight.end() };
}

bool ServiceLaunching::retireIdle(WorkerSlot &slot)
{
    if (!slot.service->process)
        return true;
    slot.service->process->closeStdin(); // EOF: the slot goes when its process has exited
    return false;
}

bool ServiceLaunching::finishWorkers()
{
    // Done with the workers: EOF lets them exit; the batch ends when the last one has.
    bool live = false;
    for (auto &s : m_host.workerSlots()) {
        if (s && s->service->process) {
            live = true;
            if (!s->service->process->stdinClosed())
                s->service->process->closeStdin();
        }
    }
    return live;
}

void ServiceLaunching::prepareEnd()
{
    for (auto &s : m_host.workerSlots()) {
        if (s && s->service->process)
            s->service->process->closeStdin(); // a service worker may exit on EOF by itself
    }
}

void ServiceLaunching::onReady(WorkerSlot &slot, ProcessWatcher::Kind kind)
{
    switch (kind) {
    case ProcessWatcher::Kind::Readable:
        onReadable(slot);
        break;
    case ProcessWatcher::Kind::Writable: // room in its stdin
        if (slot.service->process->flush() && slot.service->stdinWatched) {
            m_host.watcher().unwatch(slot.service->process->stdinFd());
            slot.service->stdinWatched = false;
        }
        break;
    case ProcessWatcher::Kind::Exited:
        onExited(slot);
        break;
    }
}

int ServiceLaunching::prefetchFor(const WorkerSlot &slot) const
{
    if (m_spec.prefetch > 0)
        return m_spec.prefetch;
    // Keep about 20 ms of work in flight: tiny tasks are not bound by round trips, long ones
    // are not hoarded by one worker while others idle.
    const double nsPerTask = slot.service->nsPerTask;
    if (nsPerTask <= 0)
        return 2;
    return int(qBound(2.0, 20e6 / nsPerTask, 4096.0));
}

bool ServiceLaunching::startProcess(WorkerSlot &slot)
{
    ServiceSlot &st = *slot.service;
    st.process = std::make_unique<ServiceProcess>(m_spec);
    auto started
        = st.process->start(m_host.launcher(), m_path, slot.capture.stderrFd(),
                            m_host.guard().registrationFd(), m_host.tree().prepareLaunch());
    const pid_t pid = st.process->pid();
    m_host.tree().launched(started ? pid : -1, pid > 0);
    if (!started) {
        TaskProcess::abandon(pid, st.process->pidfd(), m_host.guard());
        st.process.reset();
        slot.crashed = true;
        m_host.message(u"worker %1: %2"_s.arg(slot.number).arg(started.error()));
        m_host.postWorker(slot);
        return false;
    }
    slot.process.adopt(pid, st.process->pidfd());
    slot.processStartedMs = m_host.now();
    slot.segmentStartMs = slot.processStartedMs;
    slot.accumulatedMs = 0;
    slot.progressActiveMs = 0;
    slot.endReason = EndReason::None;
    slot.statsGroup = 0;
    st.endDetail.clear();
    st.silenceReported = false;
    st.lastReplyNs = m_host.nowNs();
    ProcessWatcher &watcher = m_host.watcher();
    watcher.watch(slot.process.pidfd(),
                  { slot.number, slot.generation, ProcessWatcher::Kind::Exited });
    watcher.watch(st.process->stdoutFd(),
                  { slot.number, slot.generation, ProcessWatcher::Kind::Readable });
    m_host.postWorker(slot);
    return true;
}

void ServiceLaunching::dispatch()
{
    TaskLedger &ledger = m_host.ledger();
    auto &all = m_host.workerSlots();
    for (auto &s : all) {
        if (!ledger.hasQueued())
            break;
        if (!s || s->paused || s->parked || s->draining || s->crashed
            || s->endReason != EndReason::None)
            continue;
        if (!s->service->process && !startProcess(*s))
            continue;
        feed(*s);
    }
    if (std::all_of(all.begin(), all.end(), [](const auto &s) { return !s || s->crashed; })
        && !all.empty() && ledger.hasQueued())
        m_host.failUnserved(u"every worker's service program kept exiting"_s);
}

void ServiceLaunching::feed(WorkerSlot &slot)
{
    ServiceSlot &st = *slot.service;
    ServiceProcess &process = *st.process;
    if (process.stdinClosed())
        return;
    TaskLedger &ledger = m_host.ledger();
    const int limit = m_spec.maxTasksPerWorker;
    qint64 capacity = prefetchFor(slot) - qint64(st.inflight.size());
    if (limit > 0)
        capacity = qMin(capacity, limit - process.sent());
    const bool wasIdle = st.inflight.empty();
    TaskBatch *batch = nullptr;
    const qint64 t = m_host.now();
    while (capacity > 0) {
        const TaskId id = ledger.takeNext();
        if (id < 0)
            break;
        ledger.begin(id, slot.number, t);
        st.inflight.push_back(id);
        process.queueRequest(id, m_inputs.utf8(ledger.seqOf(id) - 1));
        if (!batch)
            batch = &m_host.openBatch();
        batch->started.push_back({ id, slot.number, ledger[id].attempts });
        --capacity;
    }
    if (wasIdle && !st.inflight.empty()) {
        slot.progressActiveMs = m_host.activeMs(slot);
        st.lastReplyNs = m_host.nowNs();
        m_host.postWorker(slot);
        if (m_host.options().timeoutSeconds > 0)
            m_host.armDeadlines();
    }
    if (!process.flush() && !st.stdinWatched) {
        m_host.watcher().watch(process.stdinFd(),
                               { slot.number, slot.generation, ProcessWatcher::Kind::Writable });
        st.stdinWatched = true;
    }
    // Recycle: the process got its share of tasks; EOF once their answers are in.
    if (limit > 0 && process.sent() >= limit && st.inflight.empty())
        process.closeStdin();
}

void ServiceLaunching::finishTask(WorkerSlot &slot, TaskId id, bool ok, const TaskBatch &source,
                                  qsizetype offset, qsizetype length, qint64 nowMs)
{
    TaskLedger &ledger = m_host.ledger();
    TaskLedger::Record &t = ledger[id];
    if (!TaskLedger::isRunning(t.state))
        return; // cancelled while in flight: its answer is dropped
    ++slot.tasksDone;
    t.setDuration(nowMs - t.startedMs);
    if (!ok)
        ++slot.failures;
    const TaskState state = ledger.settle(id, ok ? ExitStatus::exited(0) : ExitStatus::exited(1),
                                          !m_host.isStopping());
    TaskBatch &batch = m_host.openBatch();
    if (&batch != &source) {
        // An event went out since the answers were read (a halt's message, a cancel): this
        // entry starts a new batch, so its text moves there.
        const qsizetype moved = batch.outputs.size();
        batch.outputs.append(source.outputs.constData() + offset, length);
        offset = moved;
    }
    batch.finished.push_back(
        { id, slot.number, t.attempts, state, -1, t.exit, t.durationMs, offset, length });
    if (!isTerminal(state))
        return;
    concludeAnswer(m_host, id, state, ok ? Stream::Stdout : Stream::Stderr,
                   QByteArrayView(batch.outputs).sliced(offset, length), length);
}

void ServiceLaunching::failTask(WorkerSlot &slot, TaskId id, const ExitStatus &exit,
                                const QString &reason, TaskLedger::RetryAt retryAt)
{
    TaskLedger &ledger = m_host.ledger();
    TaskLedger::Record &t = ledger[id];
    if (!TaskLedger::isRunning(t.state))
        return;
    t.setDuration(m_host.now() - t.startedMs);
    const TaskState state = ledger.settle(id, exit, !m_host.isStopping(), retryAt);
    TaskBatch &batch = m_host.openBatch();
    const qsizetype offset = batch.outputs.size();
    batch.outputs += reason.toUtf8();
    const qsizetype length = batch.outputs.size() - offset;
    batch.finished.push_back(
        { id, slot.number, t.attempts, state, -1, t.exit, t.durationMs, offset, length });
    if (state != TaskState::Failed && state != TaskState::TimedOut)
        return;
    concludeAnswer(m_host, id, state, Stream::Stderr,
                   QByteArrayView(batch.outputs).sliced(offset, length), 0);
}

// A terminal task's text (its result, or why it failed) is kept for front ends and recorded; a
// failure goes to the halt rule.
void ServiceLaunching::cancelRunning(TaskId id)
{
    cancelInFlight(m_host, id);
    m_host.checkFinished();
}

bool ServiceLaunching::takeReplies(WorkerSlot &slot, std::vector<ServiceProcess::Reply> &replies,
                                   const TaskBatch &batch)
{
    ServiceSlot &st = *slot.service;
    const bool json = m_spec.mode == ServiceSpec::Mode::Json;
    const qint64 t = m_host.now();
    qint64 completed = 0;
    for (const ServiceProcess::Reply &r : replies) {
        TaskId id;
        if (!json) {
            if (st.inflight.empty()) {
                st.endDetail = u"a line when no task was in flight: '%1'"_s.arg(
                    QString::fromUtf8(QByteArrayView(batch.outputs)
                                          .sliced(r.offset, qMin<qsizetype>(r.length, 200))
                                          .toByteArray()));
                return false;
            }
            id = st.inflight.front();
            st.inflight.pop_front();
        } else {
            auto it = std::find(st.inflight.begin(), st.inflight.end(), TaskId(r.id));
            if (it == st.inflight.end()) {
                st.endDetail
                    = u"an answer for id %1, which is not in flight on this worker"_s.arg(r.id);
                return false;
            }
            id = *it;
            if (r.kind == ServiceReply::Kind::Progress) {
                m_host.openBatch().progress.push_back({ id, qBound(0.0, r.progress, 1.0) });
                continue;
            }
            if (it == st.inflight.begin()) // usually: workers mostly answer in order
                st.inflight.pop_front();
            else
                st.inflight.erase(it);
        }
        ++completed;
        finishTask(slot, id, r.kind == ServiceReply::Kind::Result, batch, r.offset, r.length, t);
    }
    if (!replies.empty()) {
        slot.progressActiveMs = m_host.activeMs(slot);
        st.consecutiveCrashes = 0;
    }
    if (completed > 0) {
        const qint64 ns = m_host.nowNs();
        const double perTask = double(ns - st.lastReplyNs) / double(completed);
        st.nsPerTask = st.nsPerTask <= 0 ? perTask : 0.8 * st.nsPerTask + 0.2 * perTask;
        st.lastReplyNs = ns;
    }
    return true;
}

void ServiceLaunching::closeStdout(WorkerSlot &slot)
{
    ServiceProcess &process = *slot.service->process;
    m_host.watcher().unwatch(process.stdoutFd());
    process.closeStdout();
}

void ServiceLaunching::onReadable(WorkerSlot &slot)
{
    ServiceSlot &st = *slot.service;
    // A batch event stays open until the event loop flushes; past a few thousand tasks, start
    // the next one. Smaller arrays are reused by the heap instead of freshly mapped (and
    // faulted in) each time. Only here, before reading: replies point into this batch.
    EventOutbox &outbox = m_host.outbox();
    if (outbox.currentBatch() && outbox.currentBatch()->finished.size() >= 4096)
        outbox.closeBatch();
    m_replies.clear();
    TaskBatch &batch = m_host.openBatch();
    QString garbage;
    const auto status = st.process->read(m_replies, batch.outputs, &garbage);
    const bool valid = takeReplies(slot, m_replies, batch);
    if (status == ServiceProcess::ReadStatus::Garbage || !valid) {
        if (status == ServiceProcess::ReadStatus::Garbage)
            st.endDetail = u"an invalid line %1"_s.arg(garbage);
        m_host.message(u"worker %1 (pid %2) wrote %3: replacing it"_s.arg(slot.number)
                           .arg(slot.process.pid())
                           .arg(st.endDetail));
        slot.endReason = EndReason::Garbage;
        slot.process.kill();
        closeStdout(slot);
        return;
    }
    if (status == ServiceProcess::ReadStatus::EndOfFile) {
        closeStdout(slot);
        onOutputClosed(slot);
        return; // nothing more to feed it
    }
    if (m_spec.maxTasksPerWorker > 0 && st.inflight.empty()
        && st.process->sent() >= m_spec.maxTasksPerWorker)
        st.process->closeStdin();
    if (slot.draining && st.inflight.empty())
        st.process->closeStdin();
    feed(slot);
    if (m_host.options().timeoutSeconds > 0)
        m_host.armDeadlines();
}

void ServiceLaunching::onStatsTick()
{
    // Without a timeout, a worker that waits for something, or does not speak the protocol of
    // its mode (a JSON worker fed plain lines), would hold the pool without a word.
    const qint64 warnMs = m_spec.silenceWarningMs;
    const qint64 timeoutMs = qint64(m_host.options().timeoutSeconds * 1000.0);
    if (warnMs <= 0 || (timeoutMs > 0 && timeoutMs <= warnMs))
        return; // the timeout speaks first
    for (auto &s : m_host.workerSlots()) {
        if (!s || !s->service->process || s->service->silenceReported
            || s->service->inflight.empty() || s->process.isFrozen()
            || s->endReason != EndReason::None)
            continue;
        const qint64 silentMs = m_host.activeMs(*s) - s->progressActiveMs;
        if (silentMs < warnMs)
            continue;
        s->service->silenceReported = true;
        QString text
            = u"worker %1 (pid %2) has given no answer for %3 s with %4 task(s) in flight; still "
              "waiting (--timeout SECONDS ends such a wait)"_s.arg(s->number)
                  .arg(s->process.pid())
                  .arg(double(silentMs) / 1000.0, 0, 'f', 1)
                  .arg(s->service->inflight.size());
        const QByteArray stderrTail = s->capture.peek(Stream::Stderr, 400).trimmed();
        text += stderrTail.isEmpty()
            ? u"; its stderr is empty"_s
            : u"; its stderr ends with: %1"_s.arg(QString::fromUtf8(stderrTail));
        m_host.message(text);
    }
}

void ServiceLaunching::onOutputClosed(WorkerSlot &slot)
{
    // EOF on its stdout: no answer can come any more, so the worker is over even if its process
    // keeps running (it would hold its tasks, and the pool, forever). Its exit is then handled
    // as any other (onExited): tasks in flight are retried or failed with the reason.
    if (slot.endReason != EndReason::None)
        return; // Shoal is ending it already
    if (slot.process.hasExited())
        return; // its pidfd reports that, with its real status
    if (!slot.service->process->stdinClosed()) {
        m_host.terminate(slot, EndReason::ClosedOutput);
        return;
    }
    // Told to finish (EOF on its stdin), it is on its way out: let it exit on its own, within
    // the grace period (then SIGKILL).
    slot.endReason = EndReason::ClosedOutput;
    slot.process.scheduleKill(m_host.now() + m_host.options().termGraceMs);
    m_host.armDeadlines();
}

void ServiceLaunching::requeueRunning(WorkerSlot &slot)
{
    requeueInFlight(m_host, slot);
    m_host.terminate(slot, EndReason::Requeue);
}

void ServiceLaunching::onTimeout(WorkerSlot &slot)
{
    // The worker made no progress for a whole timeout: the oldest task in flight is the one it
    // hangs on; the others go back to the queue; the process is replaced.
    const TaskId blamed = slot.service->inflight.front();
    slot.service->inflight.pop_front();
    requeueInFlight(m_host, slot);
    if (TaskLedger::isRunning(m_host.ledger()[blamed].state)) {
        ++slot.failures;
        const int grace = m_host.options().termGraceMs;
        failTask(slot, blamed, ExitStatus::timedOut(grace > 0 ? SIGTERM : SIGKILL),
                 u"worker %1 (pid %2) gave no answer for %3 s"_s.arg(slot.number)
                     .arg(slot.process.pid())
                     .arg(m_host.options().timeoutSeconds));
    }
    m_host.terminate(slot, EndReason::Timeout);
}

void ServiceLaunching::onExited(WorkerSlot &slot)
{
    if (!slot.process.hasExited())
        return;
    ServiceSlot &st = *slot.service;
    // Answers written just before the exit still count.
    if (st.process->stdoutFd() >= 0 && slot.endReason != EndReason::Garbage) {
        std::vector<ServiceProcess::Reply> replies;
        TaskBatch &batch = m_host.openBatch();
        QString garbage;
        if (st.process->read(replies, batch.outputs, &garbage)
            != ServiceProcess::ReadStatus::Garbage)
            takeReplies(slot, replies, batch);
    }
    ProcessWatcher &watcher = m_host.watcher();
    if (st.stdinWatched)
        watcher.unwatch(st.process->stdinFd());
    st.stdinWatched = false;
    watcher.unwatch(st.process->stdoutFd());
    const qint64 pid = slot.process.pid();
    const ExitStatus exit = slot.process.reap(m_host.tree(), m_host.guard(), watcher);
    st.process.reset();

    if (slot.endReason == EndReason::Requeue) {
        requeueInFlight(m_host, slot);
    } else if (!st.inflight.empty()) {
        charge(slot, exit, pid);
    } else if (slot.endReason == EndReason::None && !exit.succeeded()
               && !m_host.ledger().allEnded()) {
        // Exited on its own while idle (not asked to): try again, but not forever.
        if (++st.consecutiveCrashes >= 3) {
            slot.crashed = true;
            m_host.message(u"worker %1: the service program keeps exiting (%2)"_s.arg(slot.number)
                               .arg(exit.describe()));
        }
    }
    slot.endReason = EndReason::None;
    m_host.slotSettled(slot);
    m_host.checkFinished();
}

// The worker died with tasks in flight. The oldest is the one it was working on: it is retried
// or fails with the reason. The others were only queued in its pipe: back to the queue without
// using up an attempt (as for a timeout), or cancelled when the batch is stopping.
void ServiceLaunching::charge(WorkerSlot &slot, const ExitStatus &exit, qint64 pid)
{
    ServiceSlot &st = *slot.service;
    TaskLedger &ledger = m_host.ledger();
    while (!st.inflight.empty() && !TaskLedger::isRunning(ledger[st.inflight.front()].state))
        st.inflight.pop_front(); // cancelled while in flight
    TaskId blamed = -1;
    if (!st.inflight.empty()) {
        blamed = st.inflight.front();
        st.inflight.pop_front();
    }
    if (!m_host.isStopping()) {
        requeueInFlight(m_host, slot);
    } else {
        for (TaskId id : st.inflight)
            cancelInFlight(m_host, id);
        st.inflight.clear();
    }
    if (blamed >= 0) {
        ExitStatus taskExit = slot.endReason == EndReason::Memory
            ? memoryLimitExit(slot, m_host.options().memoryLimitBytes)
            : exit.kind == ExitStatus::Kind::Signaled
            ? exit
            : ExitStatus::exited(exit.code ? exit.code : 1);
        if (m_host.isStopping() && slot.endReason == EndReason::Cancel)
            taskExit = ExitStatus::cancelled(slot.process.lastSignal());
        // Retried behind the queue: the restarted worker gets other tasks first, and a bad input
        // is not fed to it again and again (each crash counts against the slot).
        failTask(slot, blamed, taskExit, exitReason(slot, pid, exit), TaskLedger::RetryAt::Back);
    }
    ++slot.failures;
    if (++st.consecutiveCrashes >= 3 && !m_host.isStopping()) {
        slot.crashed = true;
        m_host.message(u"worker %1: the service program ended %2 times in a row without an "
                       u"answer (last: %3); not starting it again"_s.arg(slot.number)
                           .arg(st.consecutiveCrashes)
                           .arg(exit.describe()));
    }
}

QString ServiceLaunching::exitReason(const WorkerSlot &slot, qint64 pid,
                                     const ExitStatus &exit) const
{
    // EOF on stdout may come from a worker that was exiting anyway: then its own status is the
    // reason, not the signal that came too late to matter.
    const bool endedForClosedOutput = slot.endReason == EndReason::ClosedOutput
        && exit.kind == ExitStatus::Kind::Signaled && exit.signal == slot.process.lastSignal();
    QString reason = slot.endReason == EndReason::Garbage
        ? u"worker %1 (pid %2) wrote %3"_s.arg(slot.number).arg(pid).arg(slot.service->endDetail)
        : endedForClosedOutput
        ? u"worker %1 (pid %2) closed its stdout with tasks in flight; ended: %3"_s.arg(slot.number)
              .arg(pid)
              .arg(exit.describe())
        : slot.endReason == EndReason::Memory
        ? u"worker %1 (pid %2) was %3"_s.arg(slot.number)
              .arg(pid)
              .arg(memoryLimitExit(slot, m_host.options().memoryLimitBytes).describe())
        : u"worker %1 (pid %2) ended: %3"_s.arg(slot.number).arg(pid).arg(exit.describe());
    const QByteArray stderrTail = slot.capture.peek(Stream::Stderr, 400).trimmed();
    if (!stderrTail.isEmpty())
        reason += u"; its stderr ends with: %1"_s.arg(QString::fromUtf8(stderrTail));
    return reason;
}

} // namespace shoal
