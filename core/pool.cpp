#include "pool.h"

#include "agentlaunching.h"
#include "commandlaunching.h"
#include "fileio.h"
#include "joblog.h"
#include "launcher.h"
#include "processguard.h"
#include "processtree.h"
#include "procstats.h"
#include "servicelaunching.h"

#include <QDateTime>
#include <QDir>
#include <QLoggingCategory>

#include <algorithm>
#include <csignal>
#include <limits>
#include <sys/resource.h>

using namespace Qt::Literals::StringLiterals;

Q_LOGGING_CATEGORY(lcPool, "shoal.core.pool")

namespace shoal {

namespace {

// Whether a task's end goes into the joblog and --results: it ran and ended by itself. Ended by
// Shoal (interrupt, cancel, halt) or never run, it is not done, so not recorded: --resume runs
// it again, as GNU parallel does.
bool isRecordable(const TaskLedger::Record &t)
{
    return isTerminal(t.state) && t.state != TaskState::Cancelled && t.attempts > 0;
}

void raiseFileLimit()
{
    rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

} // namespace

Pool::Pool(CommandTemplate command, InputList inputs, PoolOptions options, QObject *parent)
    : QObject(parent)
    , m_template(std::move(command))
    , m_inputs(std::move(inputs))
    , m_options(std::move(options))
    , m_ledger(m_options.attempts)
{
    connect(&m_outbox, &EventOutbox::eventsReady, this, &Pool::eventsReady);
    m_options.workers = qMax(0, m_options.workers);
    m_options.attempts = qMax(1, m_options.attempts);
    LaunchHost &host = *this;
    if (m_options.hosts.isValid()) // commands or service workers, on worker hosts
        m_launching = std::make_unique<AgentLaunching>(host, m_template, m_inputs, m_options.hosts,
                                                       m_options.service);
    else if (isService())
        m_launching = std::make_unique<ServiceLaunching>(host, m_options.service, m_inputs);
    else
        m_launching = std::make_unique<CommandLaunching>(host, m_template, m_inputs);
    m_deadlineTimer.setSingleShot(true);
    m_deadlineTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_deadlineTimer, &QTimer::timeout, this, &Pool::onDeadlineTimer);
    m_statsTimer.setInterval(qMax(50, m_options.statsIntervalMs));
    connect(&m_statsTimer, &QTimer::timeout, this, &Pool::onStatsTimer);
    m_memoryTimer.setInterval(100);
    connect(&m_memoryTimer, &QTimer::timeout, this, &Pool::onMemoryTimer);
}

Pool::~Pool()
{
    if (!m_started)
        return;
    // The termination sequence, synchronously: TERM every group, wait out the grace period,
    // KILL what is left, reap everything.
    m_launching->prepareEnd();
    std::vector<TaskProcess *> processes;
    for (auto &s : m_slots) {
        if (s)
            processes.push_back(&s->process);
    }
    m_launching->endingProcesses(processes);
    TaskProcess::endAll(processes, m_options.termGraceMs, *m_tree, *m_guard, m_watcher);
    m_tree->sweepOrphans();
    m_slots.clear(); // service processes close their pipes before the launching goes
}

// The tools every launch uses: the launcher, the subreaper and task tree (cgroups where the
// system allows), then the program, found once.
Result<void> Pool::prepareProcesses()
{
    m_launcher = std::make_unique<Launcher>();
    // With worker hosts their agents hold the tasks to the limit; here it would bind ssh.
    m_launcher->setMemoryLimit(m_options.hosts.isValid() ? 0 : m_options.memoryLimitBytes);
    // Whatever a task leaves behind is re-parented to us, not to init, and ended with it.
    if (!ProcessTree::becomeSubreaper())
        qCWarning(lcPool)
            << "cannot become a child subreaper: processes that leave their task may outlive it";
    m_tree = std::make_unique<ProcessTree>();
    m_tree->setOwnsAllChildren(m_options.ownsAllChildren);
    if (m_options.taskCgroups) {
        QString why;
        if (!m_tree->useCgroups(&why))
            qCInfo(lcPool) << "tasks get no cgroup of their own:" << why;
    }
    m_launcher->setTaskToken(m_tree->tokenPrefix());
    return m_launching->prepare();
}

Result<void> Pool::start()
{
    if (m_started)
        return Error { u"the pool has already started"_s };
    if (auto prepared = prepareProcesses(); !prepared)
        return prepared;

    JoblogContents previous;
    if (!m_options.joblogPath.isEmpty() && m_options.resume != ResumeMode::None) {
        auto read = readJoblog(m_options.joblogPath);
        if (!read)
            return Error { read.error() };
        previous = std::move(*read);
        m_logged = std::move(previous.seqs);
    }
    auto opened
        = m_records.open({ m_options.resultsDir, m_options.joblogPath,
                           m_options.resume != ResumeMode::None, m_options.joblogAfterDelivery });
    if (!opened)
        return opened;

    m_inputsOpen = m_options.inputsOpen;
    m_ledger.reserve(size_t(m_inputs.size()));
    addTasksFrom(1);
    if (m_options.keepOutputBytes > 0)
        m_kept.reserve(m_ledger.size());

    raiseFileLimit();
    if (auto watching = m_watcher.open(this, [this] { onProcessActivity(); }); !watching)
        return watching;
    m_guard = std::make_unique<ProcessGuard>(m_tree->tokenPrefix(), m_tree->cgroupPath());
    if (!m_guard->isRunning())
        qCWarning(lcPool)
            << "could not start the process guard: grandchildren may outlive a killed Shoal";
    m_tree->setGuard(m_guard.get());
    m_procStats = std::make_unique<ProcStats>(m_tree.get());
    if (auto opened = m_launching->open(); !opened)
        return opened;
    if (const int workers = m_launching->workerCount(); workers > 0)
        m_options.workers = workers;

    m_clock.start();
    m_wallStartMs = QDateTime::currentMSecsSinceEpoch();
    m_started = true;
    if (!previous.warning.isEmpty())
        message(previous.warning);
    if (!m_inputsOpen)
        reportResumed();

    if (m_ledger.size() > 0) {
        Event &e = post(Event::Type::TasksAdded);
        e.task = 0;
        e.lastTask = TaskId(m_ledger.size()) - 1;
    }
    m_targetSize = m_options.workers; // slots are made by dispatch(), as tasks need them
    postStats(Event::Type::Stats);
    m_statsTimer.start();
    if (m_options.memoryLimitBytes > 0)
        m_memoryTimer.start();
    dispatch();
    checkFinished();
    return {};
}

// Tasks for the inputs from Seq firstSeq on, but those --resume skips.
void Pool::addTasksFrom(qint64 firstSeq)
{
    for (qint64 seq = firstSeq; seq <= m_inputs.size(); ++seq) {
        if (m_options.resume == ResumeMode::Resume && m_logged.contains(seq))
            continue;
        if (m_options.resume == ResumeMode::ResumeFailed && m_logged.value(seq, false))
            continue;
        m_ledger.add(seq);
    }
}

void Pool::reportResumed()
{
    if (m_options.resume != ResumeMode::None && m_ledger.size() < m_inputs.size())
        message(
            u"resuming from the joblog '%1': skipping %2 of %3 tasks"_s.arg(m_options.joblogPath)
                .arg(m_inputs.size() - m_ledger.size())
                .arg(m_inputs.size()));
}

void Pool::addInputs(const InputList &more)
{
    // Once the batch stops (a halt, an interrupt, an error), later inputs become no tasks at
    // all: they are not in the joblog, so --resume runs them.
    if (!m_inputsOpen || more.isEmpty() || m_stopping)
        return;
    const qint64 firstSeq = m_inputs.size() + 1;
    const TaskId firstTask = TaskId(m_ledger.size());
    m_inputs.append(more);
    addTasksFrom(firstSeq);
    if (TaskId(m_ledger.size()) > firstTask) {
        Event &e = post(Event::Type::TasksAdded);
        e.task = firstTask;
        e.lastTask = TaskId(m_ledger.size()) - 1;
    }
    dispatch();
}

void Pool::endInputs()
{
    if (!m_inputsOpen)
        return;
    m_inputsOpen = false;
    if (m_started)
        reportResumed();
    checkFinished();
}

// ---- events -----------------------------------------------------------------------------

Event &Pool::post(Event::Type type)
{
    return m_outbox.post(type, m_started ? now() : 0);
}

void Pool::postWorker(const WorkerSlot &slot)
{
    Event &e = post(Event::Type::WorkerChanged);
    e.slot = slot.number;
    e.task = slot.task;
    e.worker = workerInfo(slot);
}

void Pool::postStats(Event::Type type)
{
    Event &e = post(type);
    e.stats = stats();
}

void Pool::message(const QString &text)
{
    post(Event::Type::Message).text = text;
}

TaskBatch &Pool::openBatch()
{
    // The service path's hot loop calls this per task: read the clock only for a new batch.
    if (TaskBatch *open = m_outbox.currentBatch())
        return *open;
    return m_outbox.openBatch(m_started ? now() : 0, isService());
}

// ---- running tasks ------------------------------------------------------------------------

void Pool::dispatch()
{
    if (!m_started || m_paused || m_stopping)
        return;
    growSlots();
    m_launching->dispatch();
}

void Pool::onProcessActivity()
{
    m_watcher.takeReady([this](const ProcessWatcher::Tag &tag) {
        if (tag.slot < 0) {
            m_launching->onHostReady(-tag.slot - 1, tag.generation, tag.kind);
            return;
        }
        WorkerSlot *slot = slotAt(tag.slot);
        if (slot && slot->generation == tag.generation && slot->process.isLive())
            m_launching->onReady(*slot, tag.kind);
    });
    dispatch();
    checkFinished();
}

void Pool::terminate(WorkerSlot &slot, EndReason reason)
{
    if (!slot.process.isLive() || slot.endReason != EndReason::None)
        return;
    slot.endReason = reason;
    if (slot.process.terminate(m_options.termGraceMs, now()))
        armDeadlines();
}

void Pool::armDeadlines()
{
    const qint64 timeoutMs = qint64(m_options.timeoutSeconds * 1000.0);
    qint64 next = std::numeric_limits<qint64>::max();
    const qint64 t = now();
    for (const auto &s : m_slots) {
        if (!s || !s->process.isLive())
            continue;
        if (s->process.killAtMs() >= 0)
            next = qMin(next, s->process.killAtMs());
        else if (timeoutMs > 0 && s->endReason == EndReason::None && !s->process.isFrozen()
                 && m_launching->isBusy(*s))
            next = qMin(next, t + timeoutMs - (activeMs(*s) - s->progressActiveMs));
    }
    if (next == std::numeric_limits<qint64>::max())
        m_deadlineTimer.stop();
    else
        m_deadlineTimer.start(
            int(qBound<qint64>(0, next - t, qint64(std::numeric_limits<int>::max()))));
}

void Pool::onDeadlineTimer()
{
    const qint64 timeoutMs = qint64(m_options.timeoutSeconds * 1000.0);
    const qint64 t = now();
    for (auto &s : m_slots) {
        if (!s || !s->process.isLive())
            continue;
        if (s->process.killAtMs() >= 0 && t >= s->process.killAtMs()) {
            s->process.kill();
        } else if (timeoutMs > 0 && s->endReason == EndReason::None && !s->process.isFrozen()
                   && m_launching->isBusy(*s) && activeMs(*s) - s->progressActiveMs >= timeoutMs) {
            m_launching->onTimeout(*s);
        }
    }
    armDeadlines();
}

// ---- outcome ------------------------------------------------------------------------------

void Pool::checkHalt(TaskId id)
{
    const HaltPolicy &halt = m_options.halt;
    if (m_halted)
        return;
    const TaskLedger::Record &task = m_ledger[id];
    const HaltDecision decision = decideHalt(halt, m_ledger.failed(), m_ledger.size(), task.exit);
    if (!decision.halt)
        return;
    m_halted = true;
    m_haltExitStatus = decision.exitStatus;
    message(u"halting (%1): task %2 failed (%3): %4"_s
                .arg(halt.when == HaltPolicy::When::Now ? u"now"_s : u"soon"_s)
                .arg(m_ledger.seqOf(id))
                .arg(task.exit.describe(), commandOf(id)));
    stopDispatching(halt.when == HaltPolicy::When::Now);
}

void Pool::checkFinished()
{
    if (!m_started || m_finished || m_inputsOpen || !m_ledger.allEnded())
        return;
    if (m_launching->finishWorkers())
        return; // the batch ends when the last worker has exited
    m_finished = true;
    m_tree->sweepOrphans(); // what left its task and cleared its environment
    m_statsTimer.stop();
    m_memoryTimer.stop();
    m_deadlineTimer.stop();
    m_throughput.sample(now(), m_ledger.ended());
    postStats(Event::Type::BatchFinished);
    // Always from the event loop, after the last events, even when start() finished everything.
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_outbox.flush();
            if (m_finished)
                Q_EMIT finished();
        },
        Qt::QueuedConnection);
}

void Pool::recordTerminal(TaskId id, qint64 received, ResultsFolder::Stream out,
                          ResultsFolder::Stream err)
{
    const TaskLedger::Record &t = m_ledger[id];
    // After another error (the events file, say) tasks still end and are recorded, as long as
    // their own records can be written.
    if (!isRecordable(t))
        return;
    const qint64 seq = m_ledger.seqOf(id);
    auto written = m_records.record(seq, m_inputs.utf8(seq - 1), out, err,
                                    [&] { return joblogRow(id, received); });
    if (!written)
        stopForError(written.error());
}

QByteArray Pool::joblogRow(TaskId id, qint64 received) const
{
    const TaskLedger::Record &t = m_ledger[id];
    return JoblogWriter::formatRow(m_ledger.seqOf(id), double(m_wallStartMs + t.startedMs) / 1000.0,
                                   double(t.durationMs) / 1000.0, received, t.exit, commandOf(id),
                                   m_launching->hostOf(t.slot));
}

void Pool::recordDelivered(const std::vector<Delivered> &tasks)
{
    if (!m_records.writesDeliveredRows() || m_records.isBroken())
        return;
    QByteArray rows;
    for (const Delivered &d : tasks) {
        if (!m_ledger.contains(d.task))
            continue;
        const TaskLedger::Record &t = m_ledger[d.task];
        if (isRecordable(t))
            rows += joblogRow(d.task, d.receivedBytes);
    }
    if (auto written = m_records.writeDelivered(rows); !written)
        stopForError(written.error());
}

void Pool::stopForError(const QString &what)
{
    if (stoppedByError())
        return;
    m_writeError = what;
    message(u"%1: stopping the batch (nothing more is started and running tasks are ended; "
            "--resume runs again what the joblog does not list)"_s.arg(what));
    if (!m_started || m_finished)
        return;
    m_stopping = true; // no dispatch and no retry from here on
    // The rest from the event loop: this may run in the middle of recording a task.
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (m_finished)
                return;
            stopDispatching(true);
            checkFinished();
        },
        Qt::QueuedConnection);
}

void Pool::stopDispatching(bool endRunning)
{
    m_stopping = true;
    // Every waiting task ends as cancelled in one batch event: an interrupt with a million
    // tasks queued takes milliseconds, not an event (and seconds) per task.
    TaskBatch *batch = nullptr;
    for (TaskId id = 0; id < m_ledger.size(); ++id) {
        const TaskLedger::Record &t = m_ledger[id];
        if (!TaskLedger::isWaiting(t.state))
            continue;
        m_ledger.settle(id, ExitStatus::cancelled(0), false);
        if (!batch)
            batch = &openBatch();
        batch->finished.push_back({ id, t.slot, t.attempts, t.state, -1, t.exit, 0, 0, 0 });
    }
    m_ledger.clearQueue();
    if (!endRunning)
        return;
    for (auto &s : m_slots) {
        if (!s)
            continue;
        for (TaskId id : m_launching->tasksOn(*s))
            m_launching->cancelRunning(id);
        terminate(*s, EndReason::Cancel);
    }
}

void Pool::failUnserved(const QString &reason)
{
    m_unservedReason = reason;
    message(reason + u": failing the tasks that are left"_s);
    TaskBatch &batch = openBatch();
    const qsizetype offset = batch.outputs.size();
    batch.outputs += reason.toUtf8();
    const qsizetype length = batch.outputs.size() - offset;
    for (TaskId id = m_ledger.takeNext(); id >= 0; id = m_ledger.takeNext()) {
        m_ledger.settle(id, ExitStatus::exited(1), false);
        const TaskLedger::Record &t = m_ledger[id];
        batch.finished.push_back({ id, 0, t.attempts, t.state, -1, t.exit, 0, offset, length });
        recordTerminal(id, 0, {}, { QByteArrayView(batch.outputs).sliced(offset, length) });
    }
    checkFinished();
}

// ---- sampling -----------------------------------------------------------------------------

void Pool::onMemoryTimer()
{
    // Resident memory of whole process groups (grandchildren count), checked ten times a second;
    // RLIMIT_AS in each process is the hard stop between checks.
    QHash<pid_t, int> groups;
    for (const auto &s : m_slots) {
        if (s && s->process.isLive() && s->endReason == EndReason::None)
            groups.insert(s->process.pid(), s->number);
    }
    if (groups.isEmpty())
        return;
    const QHash<pid_t, GroupUsage> usage = m_procStats->sampleGroups(groups);
    for (auto it = usage.cbegin(); it != usage.cend(); ++it) {
        if (it.value().rssBytes <= m_options.memoryLimitBytes)
            continue;
        WorkerSlot &slot = *m_slots[size_t(groups.value(it.key())) - 1];
        slot.rssBytes = it.value().rssBytes;
        slot.endReason = EndReason::Memory;
        slot.process.setLastSignal(SIGKILL);
        m_tree->endTask(slot.process.pid()); // the whole tree, no grace: the machine's memory
        message(
            u"worker %1: ending pid %2 (%3 MiB resident, over the %4 MiB limit)"_s.arg(slot.number)
                .arg(slot.process.pid())
                .arg(slot.rssBytes >> 20)
                .arg(m_options.memoryLimitBytes >> 20));
    }
}

void Pool::onStatsTimer()
{
    m_launching->onStatsTick();
    sampleUsage();
    m_throughput.sample(now(), m_ledger.ended());
    postStats(Event::Type::Stats);
}

// CPU and resident memory of every live worker's process group, one WorkerChanged each.
void Pool::sampleUsage()
{
    const qint64 t = now();
    QHash<pid_t, int> groups;
    for (const auto &s : m_slots) {
        if (s && s->process.isLive())
            groups.insert(s->process.pid(), s->number);
    }
    const QHash<pid_t, GroupUsage> usage = m_procStats->sampleGroups(groups);
    const double hz = m_procStats->ticksPerSecond();
    for (auto &s : m_slots) {
        if (s && m_launching->runsElsewhere(*s))
            postWorker(*s); // its elapsed time; its usage is not sampled here
        if (!s || !s->process.isLive())
            continue;
        const pid_t pid = s->process.pid();
        const GroupUsage u = usage.value(pid);
        if (s->statsGroup == pid && t > s->lastSampleMs) {
            s->cpuPercent
                = double(u.cpuTicks - s->lastTicks) / hz * 100000.0 / double(t - s->lastSampleMs);
        } else {
            const qint64 elapsed = qMax<qint64>(1, t - s->processStartedMs);
            s->cpuPercent = double(u.cpuTicks) / hz * 100000.0 / double(elapsed);
        }
        s->cpuPercent = qMax(0.0, s->cpuPercent);
        s->statsGroup = pid;
        s->lastTicks = u.cpuTicks;
        s->lastSampleMs = t;
        s->rssBytes = u.rssBytes;
        postWorker(*s);
    }
}

} // namespace shoal
