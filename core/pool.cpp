#include "pool.h"

#include "joblog.h"
#include "launcher.h"
#include "outputcapture.h"
#include "processguard.h"
#include "procstats.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <limits>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

Q_LOGGING_CATEGORY(lcPool, "shoal.core.pool")

namespace shoal {

struct Pool::TaskRecord
{
    qint64 seq = 0;
    TaskState state = TaskState::Queued;
    quint16 attempts = 0;
    int slot = 0;
    qint64 startedMs = -1;
    qint64 durationMs = 0;
    ExitStatus exit;
    QByteArray out, err; // the final attempt's output, tail kept up to keepOutputBytes
};

struct Pool::Slot
{
    int number = 0;
    quint32 generation = 0;
    WorkerState state = WorkerState::Idle;
    bool paused = false; // by the user
    bool parked = false; // surplus under DrainPolicy::Pause
    bool draining = false; // leaves the pool when its task ends
    OutputCapture capture;

    TaskId task = -1;
    pid_t pid = -1; // leader and process group of the current task
    int pidfd = -1;
    qint64 segmentStartMs = 0; // when the task last started or thawed
    qint64 accumulatedMs = 0; // running time before that
    bool frozen = false; // SIGSTOP sent
    EndReason endReason = EndReason::None;
    int lastSignal = 0;
    qint64 killAtMs = -1;

    int tasksDone = 0;
    int failures = 0;
    pid_t statsGroup = 0;
    qint64 lastTicks = 0;
    qint64 lastSampleMs = 0;
    double cpuPercent = 0;
    qint64 rssBytes = 0;
};

namespace {

void raiseFileLimit()
{
    rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

QString resultsDirName(const QString &input)
{
    QString s = input;
    s.replace(u"\\"_s, u"\\\\"_s).replace(u"\t"_s, u"\\t"_s).replace(QChar(0), u"\\0"_s).replace(u"/"_s, u"\\_"_s);
    return s;
}

quint32 nextGeneration()
{
    static quint32 generation = 0;
    return ++generation;
}

} // namespace

Pool::Pool(CommandTemplate command, QStringList inputs, PoolOptions options, QObject *parent)
    : QObject(parent)
    , m_template(std::move(command))
    , m_inputs(std::move(inputs))
    , m_options(std::move(options))
{
    qRegisterMetaType<shoal::Event>();
    qRegisterMetaType<QList<shoal::Event>>();
    m_options.workers = qMax(0, m_options.workers);
    m_options.attempts = qMax(1, m_options.attempts);
    m_deadlineTimer.setSingleShot(true);
    m_deadlineTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_deadlineTimer, &QTimer::timeout, this, &Pool::onDeadlineTimer);
    m_statsTimer.setInterval(qMax(50, m_options.statsIntervalMs));
    connect(&m_statsTimer, &QTimer::timeout, this, &Pool::onStatsTimer);
}

Pool::~Pool()
{
    // The termination sequence, synchronously: TERM every group, wait out the grace period,
    // KILL what is left, reap everything.
    std::vector<Slot *> live;
    for (auto &s : m_slots) {
        if (s && s->pidfd >= 0) {
            ::kill(-s->pid, SIGTERM);
            ::kill(-s->pid, SIGCONT);
            live.push_back(s.get());
        }
    }
    QElapsedTimer waited;
    waited.start();
    while (!live.empty() && waited.elapsed() < m_options.termGraceMs) {
        std::vector<pollfd> fds;
        for (Slot *s : live)
            fds.push_back({ s->pidfd, POLLIN, 0 });
        if (::poll(fds.data(), fds.size(), int(m_options.termGraceMs - waited.elapsed())) <= 0)
            break;
        std::erase_if(live, [&](Slot *s) {
            for (const pollfd &p : fds) {
                if (p.fd == s->pidfd && p.revents)
                    return true;
            }
            return false;
        });
    }
    for (auto &s : m_slots) {
        if (!s || s->pidfd < 0)
            continue;
        ::kill(-s->pid, SIGKILL);
        siginfo_t info;
        while (waitid(P_PIDFD, id_t(s->pidfd), &info, WEXITED) < 0 && errno == EINTR) { }
        if (m_epollFd >= 0)
            epoll_ctl(m_epollFd, EPOLL_CTL_DEL, s->pidfd, nullptr);
        ::close(s->pidfd);
        if (m_guard)
            m_guard->forget(s->pid);
    }
    delete m_notifier;
    if (m_epollFd >= 0)
        ::close(m_epollFd);
}

Result<void> Pool::start()
{
    if (m_started)
        return Error { u"the pool has already started"_s };
    if (m_template.isEmpty())
        return Error { u"no command to run"_s };

    m_launcher = std::make_unique<Launcher>();
    const QString program = m_template.fixedProgram();
    if (!program.isEmpty() && !m_inputs.isEmpty()) {
        m_fixedProgramPath = m_launcher->resolve(program);
        if (m_fixedProgramPath.isEmpty()) {
            return Error { program.contains(u'/')
                                   ? u"cannot run '%1': no such executable file"_s.arg(program)
                                   : u"cannot run '%1': command not found in PATH"_s.arg(program) };
        }
    }

    JoblogContents previous;
    if (!m_options.joblogPath.isEmpty() && m_options.resume != ResumeMode::None) {
        auto read = readJoblog(m_options.joblogPath);
        if (!read)
            return Error { read.error() };
        previous = std::move(*read);
    }
    if (!m_options.resultsDir.isEmpty() && !QDir().mkpath(m_options.resultsDir))
        return Error { u"cannot create the results folder '%1'"_s.arg(m_options.resultsDir) };
    if (!m_options.joblogPath.isEmpty()) {
        m_joblog = std::make_unique<JoblogWriter>();
        auto opened = m_joblog->open(m_options.joblogPath, m_options.resume == ResumeMode::None);
        if (!opened)
            return opened;
    }

    m_tasks.reserve(size_t(m_inputs.size()));
    for (qint64 seq = 1; seq <= m_inputs.size(); ++seq) {
        if (m_options.resume == ResumeMode::Resume && previous.seqs.contains(seq))
            continue;
        if (m_options.resume == ResumeMode::ResumeFailed && previous.seqs.value(seq, false))
            continue;
        TaskRecord t;
        t.seq = seq;
        m_queue.push_back(TaskId(m_tasks.size()));
        m_tasks.push_back(std::move(t));
    }

    raiseFileLimit();
    m_epollFd = epoll_create1(EPOLL_CLOEXEC);
    if (m_epollFd < 0)
        return Error { u"cannot create the process watcher: %1"_s.arg(QString::fromLocal8Bit(strerror(errno))) };
    m_notifier = new QSocketNotifier(m_epollFd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &Pool::onProcessActivity);
    m_guard = std::make_unique<ProcessGuard>();
    if (!m_guard->isRunning())
        qCWarning(lcPool) << "could not start the process guard: grandchildren may outlive a killed Shoal";
    m_procStats = std::make_unique<ProcStats>();

    m_clock.start();
    m_wallStartMs = QDateTime::currentMSecsSinceEpoch();
    m_started = true;
    if (!previous.warning.isEmpty())
        message(previous.warning);
    if (m_options.resume != ResumeMode::None && m_tasks.size() < size_t(m_inputs.size()))
        message(u"resuming from the joblog '%1': skipping %2 of %3 tasks"_s.arg(m_options.joblogPath)
                        .arg(m_inputs.size() - qint64(m_tasks.size())).arg(m_inputs.size()));

    if (!m_tasks.empty()) {
        Event &e = post(Event::Type::TasksAdded);
        e.task = 0;
        e.lastTask = TaskId(m_tasks.size()) - 1;
    }
    m_targetSize = m_options.workers;
    for (int i = 0; i < m_targetSize; ++i)
        addSlot();
    postStats(Event::Type::Stats);
    m_statsTimer.start();
    dispatch();
    checkFinished();
    return {};
}

// ---- events -----------------------------------------------------------------------------

Event &Pool::post(Event::Type type)
{
    Event e;
    e.seq = ++m_seq;
    e.type = type;
    e.timeMs = m_started ? now() : 0;
    m_pending.append(std::move(e));
    if (!m_flushQueued) {
        m_flushQueued = true;
        QMetaObject::invokeMethod(this, &Pool::flushEvents, Qt::QueuedConnection);
    }
    return m_pending.last();
}

void Pool::postWorker(const Slot &slot)
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

void Pool::flushEvents()
{
    m_flushQueued = false;
    if (m_pending.isEmpty())
        return;
    const QList<Event> batch = std::exchange(m_pending, {});
    Q_EMIT eventsReady(batch);
}

// ---- state --------------------------------------------------------------------------------

qint64 Pool::taskCount() const
{
    return qint64(m_tasks.size());
}

qint64 Pool::seqOf(TaskId id) const
{
    return id >= 0 && size_t(id) < m_tasks.size() ? m_tasks[size_t(id)].seq : 0;
}

QString Pool::commandOf(TaskId id) const
{
    const TaskRecord &t = m_tasks.at(size_t(id));
    return m_template.display(m_template.expand(m_inputs.at(t.seq - 1), t.seq, qMax(1, t.slot)));
}

bool Pool::isFrozen(const Slot &slot) const
{
    return m_paused || slot.paused || slot.parked;
}

qint64 Pool::activeMs(const Slot &slot) const
{
    return slot.accumulatedMs + (slot.frozen ? 0 : now() - slot.segmentStartMs);
}

WorkerInfo Pool::workerInfo(const Slot &slot) const
{
    WorkerInfo w;
    w.slot = slot.number;
    w.parked = slot.parked;
    if (slot.task >= 0 && slot.pid > 0) {
        w.pid = slot.pid;
        w.task = slot.task;
        w.taskStartedMs = m_tasks[size_t(slot.task)].startedMs;
        w.taskElapsedMs = activeMs(slot);
    }
    if (slot.paused || slot.parked || (slot.task >= 0 && m_paused))
        w.state = WorkerState::Paused;
    else if (slot.draining)
        w.state = WorkerState::Draining;
    else
        w.state = slot.task >= 0 ? WorkerState::Busy : WorkerState::Idle;
    w.tasksDone = slot.tasksDone;
    w.failures = slot.failures;
    w.cpuPercent = slot.task >= 0 ? slot.cpuPercent : 0;
    w.rssBytes = slot.task >= 0 ? slot.rssBytes : 0;
    return w;
}

TaskInfo Pool::taskInfo(TaskId id) const
{
    const TaskRecord &t = m_tasks[size_t(id)];
    TaskInfo info;
    info.id = id;
    info.input = m_inputs.at(t.seq - 1);
    info.state = t.state;
    info.slot = t.slot;
    info.attempts = t.attempts;
    info.startedMs = t.startedMs;
    info.durationMs = t.durationMs;
    info.exit = t.exit;
    for (const auto &s : m_slots) {
        if (s && s->task == id)
            info.durationMs = activeMs(*s);
    }
    return info;
}

PoolStats Pool::stats() const
{
    PoolStats s;
    s.timeMs = m_started ? now() : 0;
    s.total = qint64(m_tasks.size());
    s.running = m_running;
    s.succeeded = m_succeeded;
    s.failed = m_failed;
    s.cancelled = m_cancelled;
    s.queued = s.total - s.running - s.succeeded - s.failed - s.cancelled;
    s.workers = m_targetSize;
    for (const auto &slot : m_slots) {
        if (slot && slot->task >= 0 && !isFrozen(*slot))
            ++s.busyWorkers;
    }
    s.paused = m_paused;
    if (m_rateSamples.size() >= 2) {
        const auto &[t0, n0] = m_rateSamples.front();
        const auto &[t1, n1] = m_rateSamples.back();
        if (t1 > t0)
            s.throughput = double(n1 - n0) * 1000.0 / double(t1 - t0);
    }
    const qint64 remaining = s.queued + s.running;
    if (remaining == 0)
        s.etaSeconds = 0;
    else if (s.throughput > 0)
        s.etaSeconds = double(remaining) / s.throughput;
    return s;
}

PoolSnapshot Pool::snapshot() const
{
    PoolSnapshot snap;
    snap.seq = m_seq;
    snap.stats = stats();
    for (const auto &s : m_slots) {
        if (s)
            snap.workers.push_back(workerInfo(*s));
    }
    snap.tasks.reserve(m_tasks.size());
    for (size_t i = 0; i < m_tasks.size(); ++i)
        snap.tasks.push_back(taskInfo(TaskId(i)));
    return snap;
}

QByteArray Pool::liveOutput(int slot, int which, qint64 maxBytes) const
{
    if (slot < 1 || size_t(slot) > m_slots.size() || !m_slots[size_t(slot) - 1])
        return {};
    return m_slots[size_t(slot) - 1]->capture.peek(which, maxBytes);
}

QByteArray Pool::taskOutput(TaskId id, int which) const
{
    if (id < 0 || size_t(id) >= m_tasks.size())
        return {};
    const TaskRecord &t = m_tasks[size_t(id)];
    if (t.state == TaskState::Running || t.state == TaskState::Paused)
        return liveOutput(t.slot, which);
    return which == 2 ? t.err : t.out;
}

// ---- slots --------------------------------------------------------------------------------

Pool::Slot &Pool::addSlot()
{
    auto slot = std::make_unique<Slot>();
    slot->generation = nextGeneration();
    auto hole = std::find(m_slots.begin(), m_slots.end(), nullptr);
    if (hole == m_slots.end())
        hole = m_slots.insert(m_slots.end(), nullptr);
    slot->number = int(hole - m_slots.begin()) + 1;
    if (!slot->capture.isValid())
        message(u"worker %1: cannot create its output files in '%2': %3"_s.arg(slot->number)
                        .arg(QDir::tempPath(), QString::fromLocal8Bit(strerror(errno))));
    *hole = std::move(slot);
    postWorker(**hole);
    return **hole;
}

void Pool::removeSlot(int number)
{
    auto &slot = m_slots[size_t(number) - 1];
    Q_ASSERT(slot && slot->task < 0);
    slot.reset();
    while (!m_slots.empty() && !m_slots.back())
        m_slots.pop_back();
    post(Event::Type::WorkerRemoved).slot = number;
}

int Pool::activeSlotCount() const
{
    return int(std::count_if(m_slots.begin(), m_slots.end(),
                             [](const auto &s) { return s && !s->parked && !s->draining; }));
}

Pool::Slot *Pool::freeSlot()
{
    for (auto &s : m_slots) {
        if (s && s->task < 0 && !s->paused && !s->parked && !s->draining && s->capture.isValid())
            return s.get();
    }
    return nullptr;
}

// ---- running tasks ------------------------------------------------------------------------

void Pool::dispatch()
{
    if (!m_started || m_paused || m_stopping)
        return;
    while (!m_queue.empty()) {
        Slot *slot = freeSlot();
        if (!slot)
            return;
        const TaskId id = m_queue.front();
        m_queue.pop_front();
        const TaskState state = m_tasks[size_t(id)].state;
        if (state != TaskState::Queued && state != TaskState::Retrying)
            continue; // cancelled while it waited
        startTask(*slot, id);
    }
}

void Pool::startTask(Slot &slot, TaskId id)
{
    TaskRecord &t = m_tasks[size_t(id)];
    ++t.attempts;
    t.slot = slot.number;
    t.state = TaskState::Running;
    t.startedMs = now();
    ++m_running;
    slot.task = id;
    slot.accumulatedMs = 0;
    slot.segmentStartMs = t.startedMs;
    slot.frozen = false;
    slot.endReason = EndReason::None;
    slot.lastSignal = 0;
    slot.killAtMs = -1;
    slot.cpuPercent = 0;
    slot.rssBytes = 0;

    const QStringList argv = m_template.expand(m_inputs.at(t.seq - 1), t.seq, slot.number);
    const QByteArray path = m_fixedProgramPath.isEmpty() ? m_launcher->resolve(argv.front()) : m_fixedProgramPath;
    Launcher::Process p;
    if (path.isEmpty())
        p.error = ENOENT;
    else
        p = m_launcher->start(path, argv, slot.capture.stdoutFd(), slot.capture.stderrFd(),
                              m_guard->registrationFd());

    Event &started = post(Event::Type::TaskStarted);
    started.task = id;
    started.slot = slot.number;
    started.attempt = t.attempts;
    started.worker.pid = qMax(0, p.pid);

    if (p.error) {
        if (p.pidfd >= 0)
            ::close(p.pidfd);
        if (p.pid > 0)
            m_guard->forget(p.pid);
        QByteArray out, err;
        slot.capture.take(&out, &err);
        err += u"shoal: task %1: cannot run '%2': %3\n"_s.arg(t.seq).arg(argv.front(),
                                                                      QString::fromLocal8Bit(strerror(p.error))).toLocal8Bit();
        finishAttempt(slot, ExitStatus::failedToStart(p.error), std::move(out), std::move(err));
        return;
    }
    slot.pid = p.pid;
    slot.pidfd = p.pidfd;
    epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.u64 = quint64(slot.number) | (quint64(slot.generation) << 32);
    epoll_ctl(m_epollFd, EPOLL_CTL_ADD, p.pidfd, &ev);
    postWorker(slot);
    if (m_options.timeoutSeconds > 0)
        armDeadlineTimer();
}

void Pool::onProcessActivity()
{
    epoll_event events[64];
    int n;
    do {
        n = epoll_wait(m_epollFd, events, 64, 0);
        for (int i = 0; i < n; ++i) {
            const int number = int(events[i].data.u64 & 0xffffffffu);
            const quint32 generation = quint32(events[i].data.u64 >> 32);
            if (number < 1 || size_t(number) > m_slots.size())
                continue;
            Slot *slot = m_slots[size_t(number) - 1].get();
            if (slot && slot->generation == generation && slot->pidfd >= 0)
                reap(*slot);
        }
    } while (n == 64);
    dispatch();
    checkFinished();
}

void Pool::reap(Slot &slot)
{
    siginfo_t info {};
    if (waitid(P_PIDFD, id_t(slot.pidfd), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0)
        return; // not exited yet
    // End whatever the task left in its group while the zombie leader still reserves the pgid.
    ::kill(-slot.pid, SIGKILL);
    while (waitid(P_PIDFD, id_t(slot.pidfd), &info, WEXITED) < 0 && errno == EINTR) { }
    epoll_ctl(m_epollFd, EPOLL_CTL_DEL, slot.pidfd, nullptr);
    ::close(slot.pidfd);
    m_guard->forget(slot.pid);
    slot.pidfd = -1;

    QByteArray out, err;
    slot.capture.take(&out, &err);
    if (!slot.frozen)
        slot.accumulatedMs += now() - slot.segmentStartMs;
    slot.frozen = true; // stop the clock

    ExitStatus exit = info.si_code == CLD_EXITED ? ExitStatus::exited(info.si_status)
                                                 : ExitStatus::signaled(info.si_status);
    switch (slot.endReason) {
    case EndReason::Timeout:
        exit = ExitStatus::timedOut(slot.lastSignal);
        break;
    case EndReason::Cancel:
        exit = ExitStatus::cancelled(slot.lastSignal);
        break;
    case EndReason::Requeue: {
        TaskRecord &t = m_tasks[size_t(slot.task)];
        --t.attempts; // a drain is not the task's fault
        t.state = TaskState::Queued;
        --m_running;
        m_queue.push_front(slot.task);
        Event &e = post(Event::Type::TaskRequeued);
        e.task = slot.task;
        e.slot = slot.number;
        slot.task = -1;
        slot.pid = -1;
        if (slot.draining || slot.parked)
            removeSlot(slot.number);
        else
            postWorker(slot);
        return;
    }
    case EndReason::None:
        break;
    }
    finishAttempt(slot, exit, std::move(out), std::move(err));
}

void Pool::finishAttempt(Slot &slot, ExitStatus exit, QByteArray out, QByteArray err)
{
    const TaskId id = slot.task;
    TaskRecord &t = m_tasks[size_t(id)];
    t.durationMs = slot.accumulatedMs + (slot.frozen ? 0 : now() - slot.segmentStartMs);
    t.exit = exit;
    --m_running;
    ++slot.tasksDone;
    const bool ok = exit.succeeded();
    if (!ok)
        ++slot.failures;
    const bool retry = !ok && exit.kind != ExitStatus::Kind::Cancelled && t.attempts < m_options.attempts && !m_stopping;
    if (retry) {
        t.state = TaskState::Retrying;
        m_queue.push_back(id);
    } else {
        if (ok) {
            t.state = TaskState::Succeeded;
            ++m_succeeded;
        } else if (exit.kind == ExitStatus::Kind::Cancelled) {
            t.state = TaskState::Cancelled;
            ++m_cancelled;
        } else {
            t.state = exit.kind == ExitStatus::Kind::TimedOut ? TaskState::TimedOut : TaskState::Failed;
            ++m_failed;
        }
        const qint64 keep = m_options.keepOutputBytes;
        t.out = out.size() > keep ? out.right(keep) : out;
        t.err = err.size() > keep ? err.right(keep) : err;
        if (m_joblog) {
            const double start = double(m_wallStartMs + t.startedMs) / 1000.0;
            auto written = m_joblog->append(t.seq, start, double(t.durationMs) / 1000.0, out.size(), exit,
                                            commandOf(id));
            if (!written)
                message(written.error());
        }
        if (!m_options.resultsDir.isEmpty())
            writeResults(t, out, err);
        m_rateSamples.emplace_back(now(), m_succeeded + m_failed + m_cancelled);
    }

    Event &e = post(Event::Type::TaskFinished);
    e.task = id;
    e.slot = slot.number;
    e.attempt = t.attempts;
    e.taskState = t.state;
    e.exit = exit;
    e.durationMs = t.durationMs;
    e.stdoutData = std::move(out);
    e.stderrData = std::move(err);

    slot.task = -1;
    slot.pid = -1;
    slot.endReason = EndReason::None;
    slot.killAtMs = -1;
    if (slot.draining || slot.parked)
        removeSlot(slot.number);
    else
        postWorker(slot);
    if (t.state == TaskState::Failed || t.state == TaskState::TimedOut)
        checkHalt(t);
}

void Pool::terminate(Slot &slot, EndReason reason)
{
    if (slot.task < 0 || slot.pidfd < 0 || slot.endReason != EndReason::None)
        return;
    slot.endReason = reason;
    const int sig = m_options.termGraceMs > 0 ? SIGTERM : SIGKILL;
    ::kill(-slot.pid, sig);
    if (slot.frozen)
        ::kill(-slot.pid, SIGCONT); // a stopped group must run to handle TERM
    slot.lastSignal = sig;
    if (sig == SIGTERM) {
        slot.killAtMs = now() + m_options.termGraceMs;
        armDeadlineTimer();
    }
}

void Pool::armDeadlineTimer()
{
    const qint64 timeoutMs = qint64(m_options.timeoutSeconds * 1000.0);
    qint64 next = std::numeric_limits<qint64>::max();
    const qint64 t = now();
    for (const auto &s : m_slots) {
        if (!s || s->pidfd < 0)
            continue;
        if (s->killAtMs >= 0)
            next = qMin(next, s->killAtMs);
        else if (timeoutMs > 0 && s->endReason == EndReason::None && !s->frozen)
            next = qMin(next, t + timeoutMs - activeMs(*s));
    }
    if (next == std::numeric_limits<qint64>::max())
        m_deadlineTimer.stop();
    else
        m_deadlineTimer.start(int(qBound<qint64>(0, next - t, qint64(std::numeric_limits<int>::max()))));
}

void Pool::onDeadlineTimer()
{
    const qint64 timeoutMs = qint64(m_options.timeoutSeconds * 1000.0);
    const qint64 t = now();
    for (auto &s : m_slots) {
        if (!s || s->pidfd < 0)
            continue;
        if (s->killAtMs >= 0 && t >= s->killAtMs) {
            ::kill(-s->pid, SIGKILL);
            s->lastSignal = SIGKILL;
            s->killAtMs = -1;
        } else if (timeoutMs > 0 && s->endReason == EndReason::None && !s->frozen && activeMs(*s) >= timeoutMs) {
            terminate(*s, EndReason::Timeout);
        }
    }
    armDeadlineTimer();
}

void Pool::freeze(Slot &slot)
{
    if (slot.task < 0 || slot.pidfd < 0 || slot.frozen)
        return;
    ::kill(-slot.pid, SIGSTOP);
    slot.accumulatedMs += now() - slot.segmentStartMs;
    slot.frozen = true;
    m_tasks[size_t(slot.task)].state = TaskState::Paused;
    Event &e = post(Event::Type::TaskPaused);
    e.task = slot.task;
    e.slot = slot.number;
}

void Pool::thaw(Slot &slot)
{
    if (slot.task < 0 || slot.pidfd < 0 || !slot.frozen || isFrozen(slot))
        return;
    ::kill(-slot.pid, SIGCONT);
    slot.segmentStartMs = now();
    slot.frozen = false;
    m_tasks[size_t(slot.task)].state = TaskState::Running;
    Event &e = post(Event::Type::TaskResumed);
    e.task = slot.task;
    e.slot = slot.number;
}

// ---- control ------------------------------------------------------------------------------

void Pool::pause()
{
    if (m_paused || !m_started)
        return;
    m_paused = true;
    for (auto &s : m_slots) {
        if (s && s->task >= 0) {
            freeze(*s);
            postWorker(*s);
        }
    }
    armDeadlineTimer();
    postStats(Event::Type::PoolPaused);
}

void Pool::resume()
{
    if (!m_paused)
        return;
    m_paused = false;
    for (auto &s : m_slots) {
        if (s && s->task >= 0) {
            thaw(*s);
            postWorker(*s);
        }
    }
    armDeadlineTimer();
    postStats(Event::Type::PoolResumed);
    dispatch();
}

void Pool::pauseWorker(int number)
{
    if (number < 1 || size_t(number) > m_slots.size() || !m_slots[size_t(number) - 1])
        return;
    Slot &slot = *m_slots[size_t(number) - 1];
    if (slot.paused)
        return;
    slot.paused = true;
    freeze(slot);
    armDeadlineTimer();
    postWorker(slot);
}

void Pool::resumeWorker(int number)
{
    if (number < 1 || size_t(number) > m_slots.size() || !m_slots[size_t(number) - 1])
        return;
    Slot &slot = *m_slots[size_t(number) - 1];
    if (!slot.paused)
        return;
    slot.paused = false;
    thaw(slot);
    armDeadlineTimer();
    postWorker(slot);
    dispatch();
}

void Pool::resize(int workers)
{
    resizeWith(workers, m_options.drain);
}

void Pool::resizeWith(int workers, DrainPolicy policy)
{
    if (!m_started)
        return;
    workers = qBound(0, workers, 100000);
    m_targetSize = workers;
    int active = activeSlotCount();
    if (workers > active) {
        // Reclaim parked and draining workers before starting new ones.
        for (auto &s : m_slots) {
            if (active == workers)
                break;
            if (s && (s->parked || (s->draining && s->endReason != EndReason::Requeue))) {
                s->parked = false;
                s->draining = false;
                thaw(*s);
                postWorker(*s);
                ++active;
            }
        }
        while (active < workers) {
            addSlot();
            ++active;
        }
    } else if (workers < active) {
        int surplus = active - workers;
        for (auto it = m_slots.rbegin(); it != m_slots.rend() && surplus > 0; ++it) {
            Slot *s = it->get();
            if (s && !s->parked && !s->draining && s->task < 0) {
                removeSlot(s->number);
                --surplus;
            }
        }
        std::vector<Slot *> busy;
        for (auto &s : m_slots) {
            if (s && !s->parked && !s->draining && s->task >= 0)
                busy.push_back(s.get());
        }
        if (policy == DrainPolicy::Requeue) {
            std::stable_sort(busy.begin(), busy.end(), [&](Slot *a, Slot *b) {
                return m_tasks[size_t(a->task)].startedMs > m_tasks[size_t(b->task)].startedMs;
            });
        } else {
            std::reverse(busy.begin(), busy.end());
        }
        for (Slot *s : busy) {
            if (surplus-- <= 0)
                break;
            switch (policy) {
            case DrainPolicy::Finish:
                s->draining = true;
                break;
            case DrainPolicy::Requeue:
                s->draining = true;
                terminate(*s, EndReason::Requeue);
                break;
            case DrainPolicy::Pause:
                s->parked = true;
                freeze(*s);
                break;
            }
            postWorker(*s);
        }
        armDeadlineTimer();
    }
    postStats(Event::Type::PoolResized);
    dispatch();
}

void Pool::cancelTask(TaskId id)
{
    if (id < 0 || size_t(id) >= m_tasks.size())
        return;
    TaskRecord &t = m_tasks[size_t(id)];
    if (t.state == TaskState::Queued || t.state == TaskState::Retrying) {
        t.state = TaskState::Cancelled;
        t.exit = ExitStatus::cancelled(0);
        ++m_cancelled;
        Event &e = post(Event::Type::TaskFinished);
        e.task = id;
        e.taskState = t.state;
        e.exit = t.exit;
        e.attempt = t.attempts;
        checkFinished();
    } else if (t.state == TaskState::Running || t.state == TaskState::Paused) {
        if (Slot *s = m_slots[size_t(t.slot) - 1].get(); s && s->task == id)
            terminate(*s, EndReason::Cancel);
    }
}

void Pool::cancelWorkerTask(int number)
{
    if (number >= 1 && size_t(number) <= m_slots.size() && m_slots[size_t(number) - 1])
        cancelTask(m_slots[size_t(number) - 1]->task);
}

void Pool::cancelAll()
{
    if (!m_started || m_finished)
        return;
    m_stopping = true;
    for (size_t i = 0; i < m_tasks.size(); ++i) {
        const TaskState s = m_tasks[i].state;
        if (s == TaskState::Queued || s == TaskState::Retrying)
            cancelTask(TaskId(i));
    }
    m_queue.clear();
    for (auto &s : m_slots) {
        if (s)
            terminate(*s, EndReason::Cancel);
    }
    checkFinished();
}

void Pool::retryTask(TaskId id)
{
    if (id < 0 || size_t(id) >= m_tasks.size())
        return;
    TaskRecord &t = m_tasks[size_t(id)];
    switch (t.state) {
    case TaskState::Failed:
    case TaskState::TimedOut:
        --m_failed;
        break;
    case TaskState::Cancelled:
        --m_cancelled;
        break;
    default:
        return;
    }
    t.state = TaskState::Queued;
    t.attempts = 0;
    t.exit = {};
    m_queue.push_back(id);
    m_stopping = false;
    m_halted = false;
    m_haltExitStatus = 0;
    if (m_finished) {
        m_finished = false;
        m_statsTimer.start();
    }
    Event &e = post(Event::Type::TaskRequeued);
    e.task = id;
    dispatch();
}

void Pool::retryFailed()
{
    for (size_t i = 0; i < m_tasks.size(); ++i) {
        if (m_tasks[i].state == TaskState::Failed || m_tasks[i].state == TaskState::TimedOut)
            retryTask(TaskId(i));
    }
}

// ---- outcome ------------------------------------------------------------------------------

void Pool::checkHalt(const TaskRecord &task)
{
    const HaltPolicy &halt = m_options.halt;
    if (halt.when == HaltPolicy::When::Never || m_halted)
        return;
    const bool byCount = halt.failCount > 0 && m_failed >= halt.failCount;
    const bool byPercent = halt.failPercent > 0 && double(m_failed) * 100.0 >= halt.failPercent * double(m_tasks.size());
    if (!byCount && !byPercent)
        return;
    m_halted = true;
    if (byPercent && !byCount)
        m_haltExitStatus = qMax(1, int(double(m_failed) * 100.0 / double(m_tasks.size())));
    else if (task.exit.kind == ExitStatus::Kind::Signaled)
        m_haltExitStatus = 128 + task.exit.signal; // as GNU parallel (and a shell) report it
    else
        m_haltExitStatus = (task.exit.joblogExitval() & 0xff) ? (task.exit.joblogExitval() & 0xff) : 1;
    const TaskId id = TaskId(&task - m_tasks.data());
    message(u"halting (%1): task %2 failed (%3): %4"_s
                    .arg(halt.when == HaltPolicy::When::Now ? u"now"_s : u"soon"_s)
                    .arg(task.seq)
                    .arg(task.exit.describe(), commandOf(id)));
    m_stopping = true;
    for (size_t i = 0; i < m_tasks.size(); ++i) {
        const TaskState s = m_tasks[i].state;
        if (s == TaskState::Queued || s == TaskState::Retrying)
            cancelTask(TaskId(i));
    }
    m_queue.clear();
    if (halt.when == HaltPolicy::When::Now) {
        for (auto &s : m_slots) {
            if (s)
                terminate(*s, EndReason::Cancel);
        }
    }
}

void Pool::checkFinished()
{
    if (!m_started || m_finished)
        return;
    if (m_succeeded + m_failed + m_cancelled != qint64(m_tasks.size()))
        return;
    m_finished = true;
    m_statsTimer.stop();
    m_deadlineTimer.stop();
    m_rateSamples.emplace_back(now(), m_succeeded + m_failed + m_cancelled);
    postStats(Event::Type::BatchFinished);
    // Always from the event loop, after the last events, even when start() finished everything.
    QMetaObject::invokeMethod(
            this,
            [this] {
                flushEvents();
                if (m_finished)
                    Q_EMIT finished();
            },
            Qt::QueuedConnection);
}

void Pool::writeResults(const TaskRecord &task, const QByteArray &out, const QByteArray &err)
{
    const QString input = m_inputs.at(task.seq - 1);
    QString dir = m_options.resultsDir + u"/1"_s;
    if (!input.isEmpty())
        dir += u'/' + resultsDirName(input);
    if (!QDir().mkpath(dir)) {
        message(u"task %1: cannot create the results folder '%2'"_s.arg(task.seq).arg(dir));
        return;
    }
    const std::pair<const char16_t *, QByteArray> files[] = {
        { u"seq", QByteArray::number(task.seq) + '\n' }, { u"stdout", out }, { u"stderr", err }
    };
    for (const auto &[name, data] : files) {
        QFile f(dir + u'/' + QStringView(name));
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(data) != data.size())
            message(u"task %1: cannot write '%2': %3"_s.arg(task.seq).arg(f.fileName(), f.errorString()));
    }
}

void Pool::onStatsTimer()
{
    const qint64 t = now();
    QHash<pid_t, int> groups;
    for (const auto &s : m_slots) {
        if (s && s->pidfd >= 0)
            groups.insert(s->pid, s->number);
    }
    const QHash<pid_t, GroupUsage> usage = m_procStats->sampleGroups(groups);
    for (auto &s : m_slots) {
        if (!s || s->pidfd < 0)
            continue;
        const GroupUsage u = usage.value(s->pid);
        const double hz = m_procStats->ticksPerSecond();
        if (s->statsGroup == s->pid && t > s->lastSampleMs) {
            s->cpuPercent = double(u.cpuTicks - s->lastTicks) / hz * 100000.0 / double(t - s->lastSampleMs);
        } else {
            const qint64 elapsed = qMax<qint64>(1, t - m_tasks[size_t(s->task)].startedMs);
            s->cpuPercent = double(u.cpuTicks) / hz * 100000.0 / double(elapsed);
        }
        s->cpuPercent = qMax(0.0, s->cpuPercent);
        s->statsGroup = s->pid;
        s->lastTicks = u.cpuTicks;
        s->lastSampleMs = t;
        s->rssBytes = u.rssBytes;
        postWorker(*s);
    }
    m_rateSamples.emplace_back(t, m_succeeded + m_failed + m_cancelled);
    while (m_rateSamples.size() > 2 && m_rateSamples.front().first < t - 5000)
        m_rateSamples.pop_front();
    postStats(Event::Type::Stats);
}

} // namespace shoal
