#include "pool.h"

#include "childregistry.h"
#include "fileio.h"
#include "joblog.h"
#include "launcher.h"
#include "outputcapture.h"
#include "processguard.h"
#include "processtree.h"
#include "procstats.h"
#include "serviceworker.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
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

    // Service workers: one long-lived process, several tasks in flight.
    std::unique_ptr<ServiceProcess> service;
    std::deque<TaskId> inflight;
    bool stdinWatched = false;
    bool crashed = false; // kept exiting: no more processes for this slot
    int consecutiveCrashes = 0;
    qint64 processStartedMs = 0;
    qint64 progressActiveMs = 0; // active time at the last reply, for the hang timeout
    qint64 lastReplyNs = 0;
    double nsPerTask = 0; // moving average of the worker's service time
    QString endDetail; // why Shoal ended the process (garbage line)
    bool silenceReported = false; // this process was reported for giving no answer (once each)

    pid_t statsGroup = 0;
    qint64 lastTicks = 0;
    qint64 lastSampleMs = 0;
    double cpuPercent = 0;
    qint64 rssBytes = 0;
};

namespace {

// Slots the descriptor limit leaves room for: each holds its two output files and a pidfd (a
// service worker also its stdin and stdout pipes, a task cgroup two more), after what is open now
// and a reserve for the joblog, results, outputs waiting for their turn, control clients and the
// launcher.
int slotBudget(bool service, bool cgroups)
{
    rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return std::numeric_limits<int>::max();
    qint64 open = 0;
    if (DIR *dir = ::opendir("/proc/self/fd")) {
        while (const dirent *entry = ::readdir(dir))
            open += entry->d_name[0] != '.';
        ::closedir(dir);
    } else {
        open = 64;
    }
    const qint64 reserve = 32 + qint64(limit.rlim_cur) / 16;
    const qint64 perSlot = (service ? 5 : 3) + (cgroups ? 2 : 0); // a cell: its folder and procs
    const qint64 room = (qint64(qMin<rlim_t>(limit.rlim_cur, 1 << 30)) - open - reserve) / perSlot;
    return int(qBound(qint64(1), room, qint64(std::numeric_limits<int>::max())));
}

void raiseFileLimit()
{
    rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// What an epoll registration watches: data.u64 = generation << 32 | kind << 24 | slot number.
enum WatchKind : quint32 { kWatchPidfd = 0, kWatchStdout = 1, kWatchStdin = 2 };

quint64 watchTag(int slot, quint32 generation, WatchKind kind)
{
    return quint64(slot) | (quint64(kind) << 24) | (quint64(generation) << 32);
}

// Process-wide: a window may run two pools at once (one still ending, one starting).
quint32 nextGeneration()
{
    static std::atomic<quint32> generation = 0;
    return ++generation;
}

} // namespace

// Service results kept with their tasks for front ends (taskOutput), in blocks that never move:
// a task's QByteArray is raw data pointing into them, so keeping a result allocates nothing.
QByteArray Pool::KeptOutputs::keep(QByteArrayView text)
{
    if (text.isEmpty())
        return {};
    if (text.size() > kBlockSize / 16)
        return text.toByteArray();
    if (m_blocks.empty() || m_used + text.size() > kBlockSize) {
        m_blocks.emplace_back(new char[kBlockSize]); // uninitialised: pages are touched as used
        m_used = 0;
    }
    char *p = m_blocks.back().get() + m_used;
    std::memcpy(p, text.data(), size_t(text.size()));
    m_used += text.size();
    return QByteArray::fromRawData(p, text.size());
}

Pool::Pool(CommandTemplate command, InputList inputs, PoolOptions options, QObject *parent)
    : QObject(parent)
    , m_template(std::move(command))
    , m_inputs(std::move(inputs))
    , m_options(std::move(options))
{
    connect(&m_outbox, &EventOutbox::eventsReady, this, &Pool::eventsReady);
    m_options.workers = qMax(0, m_options.workers);
    m_options.attempts = qMax(1, m_options.attempts);
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
    // The termination sequence, synchronously: TERM every group, wait out the grace period,
    // KILL what is left, reap everything.
    std::vector<Slot *> live;
    for (auto &s : m_slots) {
        if (s && s->pidfd >= 0) {
            if (s->service)
                s->service->closeStdin(); // a service worker may exit on EOF by itself
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
        if (m_tree)
            m_tree->endTask(s->pid); // the group and all the task left outside it
        else
            ::kill(-s->pid, SIGKILL);
        siginfo_t info;
        while (waitid(P_PIDFD, id_t(s->pidfd), &info, WEXITED) < 0 && errno == EINTR) { }
        ChildRegistry::release(s->pid);
        if (m_epollFd >= 0)
            epoll_ctl(m_epollFd, EPOLL_CTL_DEL, s->pidfd, nullptr);
        ::close(s->pidfd);
        if (m_guard)
            m_guard->forget(s->pid);
    }
    if (m_tree)
        m_tree->sweepOrphans();
    delete m_notifier;
    if (m_epollFd >= 0)
        ::close(m_epollFd);
}

QByteArray Pool::taskCgroupsPath() const
{
    return m_tree ? m_tree->cgroupPath() : QByteArray();
}

Result<void> Pool::start()
{
    if (m_started)
        return Error { u"the pool has already started"_s };
    if (m_template.isEmpty() && !isService())
        return Error { u"no command to run"_s };

    m_launcher = std::make_unique<Launcher>();
    m_launcher->setMemoryLimit(m_options.memoryLimitBytes);
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
    const QString program
        = isService() ? m_options.service.program.front() : m_template.fixedProgram();
    if (isService()) {
        m_servicePath = m_launcher->resolve(program);
        if (m_servicePath.isEmpty())
            return Error {
                program.contains(u'/')
                    ? u"cannot run the service program '%1': no such executable file"_s.arg(program)
                    : u"cannot run the service program '%1': command not found in PATH"_s.arg(
                        program)
            };
    } else if (!program.isEmpty() && (!m_inputs.isEmpty() || m_options.inputsOpen)) {
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
        m_logged = std::move(previous.seqs);
    }
    if (!m_options.resultsDir.isEmpty()) {
        auto opened = m_results.open(m_options.resultsDir);
        if (!opened)
            return opened;
    }
    if (!m_options.joblogPath.isEmpty()) {
        m_joblog = std::make_unique<JoblogWriter>();
        auto opened = m_joblog->open(m_options.joblogPath, m_options.resume == ResumeMode::None);
        if (!opened)
            return opened;
    }

    m_inputsOpen = m_options.inputsOpen;
    m_tasks.reserve(size_t(m_inputs.size()));
    addTasksFrom(1);

    raiseFileLimit();
    m_epollFd = epoll_create1(EPOLL_CLOEXEC);
    if (m_epollFd < 0)
        return Error { u"cannot create the process watcher: %1"_s.arg(errnoText(errno)) };
    m_notifier = new QSocketNotifier(m_epollFd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &Pool::onProcessActivity);
    m_guard = std::make_unique<ProcessGuard>(m_tree->tokenPrefix(), m_tree->cgroupPath());
    if (!m_guard->isRunning())
        qCWarning(lcPool)
            << "could not start the process guard: grandchildren may outlive a killed Shoal";
    m_tree->setGuard(m_guard.get());
    m_procStats = std::make_unique<ProcStats>(m_tree.get());

    m_clock.start();
    m_wallStartMs = QDateTime::currentMSecsSinceEpoch();
    m_started = true;
    if (!previous.warning.isEmpty())
        message(previous.warning);
    if (!m_inputsOpen)
        reportResumed();

    if (!m_tasks.empty()) {
        Event &e = post(Event::Type::TasksAdded);
        e.task = 0;
        e.lastTask = TaskId(m_tasks.size()) - 1;
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
        m_queue.push_back(TaskId(m_tasks.size()));
        m_tasks.emplace_back().seq = seq;
    }
}

void Pool::reportResumed()
{
    if (m_options.resume != ResumeMode::None && m_tasks.size() < size_t(m_inputs.size()))
        message(
            u"resuming from the joblog '%1': skipping %2 of %3 tasks"_s.arg(m_options.joblogPath)
                .arg(m_inputs.size() - qint64(m_tasks.size()))
                .arg(m_inputs.size()));
}

void Pool::addInputs(const InputList &more)
{
    // Once the batch stops (a halt, an interrupt, an error), later inputs become no tasks at
    // all: they are not in the joblog, so --resume runs them.
    if (!m_inputsOpen || more.isEmpty() || m_stopping)
        return;
    const qint64 firstSeq = m_inputs.size() + 1;
    const TaskId firstTask = TaskId(m_tasks.size());
    m_inputs.append(more);
    addTasksFrom(firstSeq);
    if (TaskId(m_tasks.size()) > firstTask) {
        Event &e = post(Event::Type::TasksAdded);
        e.task = firstTask;
        e.lastTask = TaskId(m_tasks.size()) - 1;
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

TaskBatch &Pool::openBatch()
{
    // The service path's hot loop calls this per task: read the clock only for a new batch.
    if (TaskBatch *open = m_outbox.currentBatch())
        return *open;
    return m_outbox.openBatch(m_started ? now() : 0, isService());
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
    if (isService())
        return shellJoin(m_options.service.program) + u" <<< "_s
            + shellQuote(m_inputs.at(t.seq - 1));
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

bool Pool::isBusy(const Slot &slot) const
{
    return slot.service ? !slot.inflight.empty() : slot.task >= 0;
}

WorkerInfo Pool::workerInfo(const Slot &slot) const
{
    WorkerInfo w;
    w.slot = slot.number;
    w.parked = slot.parked;
    const TaskId current
        = slot.service ? (slot.inflight.empty() ? -1 : slot.inflight.front()) : slot.task;
    if (slot.pid > 0)
        w.pid = slot.pid;
    if (current >= 0) {
        w.task = current;
        w.taskStartedMs = m_tasks[size_t(current)].startedMs;
        w.taskElapsedMs = slot.service ? now() - w.taskStartedMs : activeMs(slot);
    }
    if (slot.crashed)
        w.state = WorkerState::Crashed;
    else if (slot.paused || slot.parked || (slot.pidfd >= 0 && m_paused))
        w.state = WorkerState::Paused;
    else if (slot.draining)
        w.state = WorkerState::Draining;
    else
        w.state = current >= 0 ? WorkerState::Busy : WorkerState::Idle;
    w.tasksDone = slot.tasksDone;
    w.failures = slot.failures;
    w.cpuPercent = slot.pidfd >= 0 ? slot.cpuPercent : 0;
    w.rssBytes = slot.pidfd >= 0 ? slot.rssBytes : 0;
    return w;
}

TaskInfo Pool::taskInfo(TaskId id) const
{
    const TaskRecord &t = m_tasks[size_t(id)];
    TaskInfo info;
    info.id = id;
    info.seq = t.seq;
    info.state = t.state;
    info.slot = t.slot;
    info.attempts = t.attempts;
    info.startedMs = t.startedMs;
    info.durationMs = t.durationMs;
    info.exit = t.exit;
    if (t.state == TaskState::Running || t.state == TaskState::Paused)
        info.durationMs = now() - t.startedMs;
    for (const auto &s : m_slots) {
        if (s && !s->service && s->task == id)
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
        if (slot && isBusy(*slot) && !isFrozen(*slot))
            ++s.busyWorkers;
    }
    s.paused = m_paused;
    s.throughput = m_throughput.perSecond();
    s.etaSeconds = m_throughput.etaSeconds(s.queued + s.running);
    return s;
}

PoolSnapshot Pool::snapshot() const
{
    PoolSnapshot snap;
    snap.seq = m_outbox.lastSeq();
    snap.wallStartMs = m_wallStartMs;
    snap.inputs = m_inputs;
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

QByteArray Pool::liveOutput(int slot, Stream stream, qint64 maxBytes) const
{
    const Slot *s = slotAt(slot);
    return s ? s->capture.peek(stream, maxBytes) : QByteArray();
}

QByteArray Pool::taskOutput(TaskId id, Stream stream) const
{
    if (id < 0 || size_t(id) >= m_tasks.size())
        return {};
    const TaskRecord &t = m_tasks[size_t(id)];
    if (t.state == TaskState::Running || t.state == TaskState::Paused)
        return liveOutput(t.slot, stream);
    const QByteArray &kept = stream == Stream::Stderr ? t.err : t.out;
    return QByteArray(kept.constData(),
                      kept.size()); // a deep copy: service results point into m_kept
}

// ---- slots --------------------------------------------------------------------------------

Pool::Slot *Pool::addSlot()
{
    auto slot = std::make_unique<Slot>();
    if (!slot->capture.isValid())
        return nullptr; // out of descriptors, or no room for scratch files: errno says which
    slot->generation = nextGeneration();
    // Holes are left by removed slots; without one the new slot goes at the end (no scan).
    auto hole = m_slotCount == int(m_slots.size())
        ? m_slots.end()
        : std::find(m_slots.begin(), m_slots.end(), nullptr);
    if (hole == m_slots.end())
        hole = m_slots.insert(m_slots.end(), nullptr);
    slot->number = int(hole - m_slots.begin()) + 1;
    *hole = std::move(slot);
    ++m_slotCount;
    postWorker(**hole);
    return hole->get();
}

void Pool::removeSlot(int number)
{
    auto &slot = m_slots[size_t(number) - 1];
    Q_ASSERT(slot && slot->task < 0 && slot->pidfd < 0);
    slot.reset();
    --m_slotCount;
    while (!m_slots.empty() && !m_slots.back())
        m_slots.pop_back();
    post(Event::Type::WorkerRemoved).slot = number;
}

// Slots are made only for queued tasks that no idle slot can take, up to the target size and
// the descriptor budget: each slot holds two scratch files from its first task on, so -j 100000
// with two inputs makes two slots, and the surplus of the target simply idles (never made).
// At most kSlotsPerPass are made per pass of the event loop, so that a large resize keeps the
// loop (and the control socket) responsive while the pool grows.
void Pool::growSlots()
{
    if (m_slotCount >= m_targetSize || m_queue.empty())
        return;
    if (m_slotBudget == 0)
        m_slotBudget = slotBudget(isService(), !m_tree->cgroupPath().isEmpty());
    int active = 0;
    qint64 idle = 0;
    for (const auto &s : m_slots) {
        if (!s || s->parked || s->draining)
            continue;
        ++active;
        idle += !isBusy(*s) && !s->paused && !s->crashed && s->endReason == EndReason::None;
    }
    qint64 wanted = qint64(m_queue.size()) - idle;
    for (int made = 0; active < m_targetSize && wanted > 0; ++made, ++active, --wanted) {
        if (m_slotCount >= m_slotBudget) {
            if (!m_budgetReported) {
                m_budgetReported = true;
                message(u"only %1 of the %2 workers can run at once within the limit on open files "
                        "(ulimit -n): the others stay idle"_s.arg(m_slotBudget)
                            .arg(m_targetSize));
            }
            return;
        }
        if (made == kSlotsPerPass) {
            if (!m_growPending) {
                m_growPending = true;
                QMetaObject::invokeMethod(
                    this,
                    [this] {
                        m_growPending = false;
                        dispatch();
                    },
                    Qt::QueuedConnection);
            }
            return;
        }
        if (!addSlot()) {
            const int error = errno;
            // What the budget did not foresee (other descriptors, a full TMPDIR): what runs now
            // is the real budget. With no slot at all, nothing could ever run: fail, not hang.
            m_slotBudget = m_slotCount;
            if (m_slotCount == 0) {
                failUnservedTasks(u"cannot create the output files of a worker in '%1': %2"_s.arg(
                    QDir::tempPath(), errnoText(error)));
            } else if (!m_budgetReported) {
                m_budgetReported = true;
                message(u"only %1 of the %2 workers can run at once: cannot create more output "
                        "files in '%3': %4"_s.arg(m_slotCount)
                            .arg(m_targetSize)
                            .arg(QDir::tempPath(), errnoText(error)));
            }
            return;
        }
    }
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
    if (isService()) {
        growSlots();
        dispatchService();
        return;
    }
    growSlots();
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
    const QByteArray path
        = m_fixedProgramPath.isEmpty() ? m_launcher->resolve(argv.front()) : m_fixedProgramPath;
    Launcher::Process p;
    if (path.isEmpty())
        p.error = ENOENT;
    else {
        // A cell that could not take a child (its folder removed under us) is dropped and the
        // task launched into a new one.
        for (int attempt = 0; attempt < 2; ++attempt) {
            const int cgroup = m_tree->prepareLaunch();
            p = m_launcher->start(path, argv, -1, slot.capture.stdoutFd(), slot.capture.stderrFd(),
                                  m_guard->registrationFd(), cgroup);
            m_tree->launched(p.error ? -1 : p.pid, p.pid > 0);
            if (!p.error || p.pid > 0 || cgroup < 0)
                break;
        }
    }

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
        Output output;
        slot.capture.take(&output.out, &output.err, &output.outFile, &output.errFile);
        output.err += u"shoal: task %1: cannot run '%2': %3\n"_s.arg(t.seq)
                          .arg(argv.front(), errnoText(p.error))
                          .toLocal8Bit();
        finishAttempt(slot, ExitStatus::failedToStart(p.error), std::move(output));
        return;
    }
    slot.pid = p.pid;
    slot.pidfd = p.pidfd;
    epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.u64 = watchTag(slot.number, slot.generation, kWatchPidfd);
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
            const int number = int(events[i].data.u64 & 0xffffffu);
            const auto kind = WatchKind((events[i].data.u64 >> 24) & 0xff);
            const quint32 generation = quint32(events[i].data.u64 >> 32);
            Slot *slot = slotAt(number);
            if (!slot || slot->generation != generation || slot->pidfd < 0)
                continue;
            if (!slot->service)
                reap(*slot);
            else if (kind == kWatchStdout)
                onServiceReadable(*slot);
            else if (kind == kWatchStdin)
                onServiceWritable(*slot);
            else
                onServiceExited(*slot);
        }
    } while (n == 64);
    dispatch();
    checkFinished();
}

void Pool::reap(Slot &slot)
{
    siginfo_t info {};
    if (waitid(P_PIDFD, id_t(slot.pidfd), &info, WEXITED | WNOHANG | WNOWAIT) != 0
        || info.si_pid == 0)
        return; // not exited yet
    // End whatever the task left, in its group or not, while the zombie leader still reserves
    // the pgid and its token.
    m_tree->endTask(slot.pid);
    while (waitid(P_PIDFD, id_t(slot.pidfd), &info, WEXITED) < 0 && errno == EINTR) { }
    ChildRegistry::release(slot.pid);
    epoll_ctl(m_epollFd, EPOLL_CTL_DEL, slot.pidfd, nullptr);
    ::close(slot.pidfd);
    m_guard->forget(slot.pid);
    slot.pidfd = -1;

    Output output;
    output.lost = slot.capture.take(&output.out, &output.err, &output.outFile, &output.errFile);
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
    case EndReason::Memory:
        exit = ExitStatus::memoryLimit(int(slot.rssBytes >> 20),
                                       int(m_options.memoryLimitBytes >> 20));
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
    case EndReason::Garbage: // service workers only
    case EndReason::ClosedOutput:
        break;
    }
    finishAttempt(slot, exit, std::move(output));
}

void Pool::finishAttempt(Slot &slot, ExitStatus exit, Output output)
{
    const TaskId id = slot.task;
    TaskRecord &t = m_tasks[size_t(id)];
    // Lost when the scratch folder is full now, or was seen full while this task ran (taking an
    // output frees room, so the next task to end may find some although its writes failed too).
    if (output.lost)
        m_scratchFullMs = now();
    else if (m_scratchFullMs >= t.startedMs)
        output.lost = ENOSPC;
    if (output.lost && exit.kind != ExitStatus::Kind::Cancelled
        && exit.kind != ExitStatus::Kind::FailedToStart) {
        exit = ExitStatus::outputLost(exit, output.lost);
        if (!std::exchange(m_warnedOutputLost, true))
            message(
                u"the scratch folder for task outputs ('%1', from TMPDIR) is full: tasks that end "
                "now fail with 'output incomplete'"_s.arg(QDir::tempPath()));
    }
    t.durationMs = slot.accumulatedMs + (slot.frozen ? 0 : now() - slot.segmentStartMs);
    t.exit = exit;
    --m_running;
    ++slot.tasksDone;
    const bool ok = exit.succeeded();
    if (!ok)
        ++slot.failures;
    const bool retry = !ok && exit.kind != ExitStatus::Kind::Cancelled
        && t.attempts < m_options.attempts && !m_stopping;
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
            t.state
                = exit.kind == ExitStatus::Kind::TimedOut ? TaskState::TimedOut : TaskState::Failed;
            ++m_failed;
        }
        const qint64 keep = m_options.keepOutputBytes;
        auto kept = [keep](const QByteArray &data, const std::shared_ptr<SpilledOutput> &file) {
            if (keep <= 0)
                return QByteArray();
            return file ? file->tail(keep) : data.size() > keep ? data.right(keep) : data;
        };
        t.out = kept(output.out, output.outFile);
        t.err = kept(output.err, output.errFile);
        const qint64 received = output.outFile ? output.outFile->size() : output.out.size();
        recordTerminal(id, received, { output.out, output.outFile.get() },
                       { output.err, output.errFile.get() });
        m_throughput.sample(now(), m_succeeded + m_failed + m_cancelled);
    }

    Event &e = post(Event::Type::TaskFinished);
    e.task = id;
    e.slot = slot.number;
    e.attempt = t.attempts;
    e.taskState = t.state;
    e.exit = exit;
    e.durationMs = t.durationMs;
    e.stdoutData = std::move(output.out);
    e.stderrData = std::move(output.err);
    e.stdoutFile = std::move(output.outFile);
    e.stderrFile = std::move(output.errFile);

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
    if (slot.pidfd < 0 || slot.endReason != EndReason::None)
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
        else if (timeoutMs > 0 && s->endReason == EndReason::None && !s->frozen && isBusy(*s))
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
        if (!s || s->pidfd < 0)
            continue;
        if (s->killAtMs >= 0 && t >= s->killAtMs) {
            ::kill(-s->pid, SIGKILL);
            s->lastSignal = SIGKILL;
            s->killAtMs = -1;
        } else if (timeoutMs > 0 && s->endReason == EndReason::None && !s->frozen && isBusy(*s)
                   && activeMs(*s) - s->progressActiveMs >= timeoutMs) {
            if (s->service)
                serviceTimedOut(*s);
            else
                terminate(*s, EndReason::Timeout);
        }
    }
    armDeadlineTimer();
}

void Pool::freeze(Slot &slot)
{
    if (slot.pidfd < 0 || slot.frozen)
        return;
    ::kill(-slot.pid, SIGSTOP);
    slot.accumulatedMs += now() - slot.segmentStartMs;
    slot.frozen = true;
    if (slot.task < 0)
        return;
    m_tasks[size_t(slot.task)].state = TaskState::Paused;
    Event &e = post(Event::Type::TaskPaused);
    e.task = slot.task;
    e.slot = slot.number;
}

void Pool::thaw(Slot &slot)
{
    if (slot.pidfd < 0 || !slot.frozen || isFrozen(slot))
        return;
    ::kill(-slot.pid, SIGCONT);
    slot.segmentStartMs = now();
    slot.frozen = false;
    if (slot.task < 0)
        return;
    m_tasks[size_t(slot.task)].state = TaskState::Running;
    Event &e = post(Event::Type::TaskResumed);
    e.task = slot.task;
    e.slot = slot.number;
}

// ---- control ------------------------------------------------------------------------------

void Pool::pause()
{
    setPoolPaused(true);
}

void Pool::resume()
{
    setPoolPaused(false);
}

void Pool::setPoolPaused(bool paused)
{
    if (!m_started || m_paused == paused)
        return;
    m_paused = paused;
    for (auto &s : m_slots) {
        if (s && s->pidfd >= 0) {
            paused ? freeze(*s) : thaw(*s);
            postWorker(*s);
        }
    }
    armDeadlineTimer();
    postStats(paused ? Event::Type::PoolPaused : Event::Type::PoolResumed);
    dispatch();
}

Pool::Slot *Pool::slotAt(int number) const
{
    return number >= 1 && size_t(number) <= m_slots.size() ? m_slots[size_t(number) - 1].get()
                                                           : nullptr;
}

void Pool::pauseWorker(int number)
{
    setWorkerPaused(number, true);
}

void Pool::resumeWorker(int number)
{
    setWorkerPaused(number, false);
}

void Pool::setWorkerPaused(int number, bool paused)
{
    Slot *slot = slotAt(number);
    if (!slot || slot->paused == paused)
        return;
    slot->paused = paused;
    paused ? freeze(*slot) : thaw(*slot);
    armDeadlineTimer();
    postWorker(*slot);
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
            const bool exiting = s && s->service && s->service->stdinClosed();
            if (s && !exiting
                && (s->parked || (s->draining && s->endReason != EndReason::Requeue))) {
                s->parked = false;
                s->draining = false;
                thaw(*s);
                postWorker(*s);
                ++active;
            }
        }
        // More slots are made by dispatch() below, for the queued tasks only.
    } else if (workers < active) {
        int surplus = active - workers;
        for (auto it = m_slots.rbegin(); it != m_slots.rend() && surplus > 0; ++it) {
            Slot *s = it->get();
            if (s && !s->parked && !s->draining && !isBusy(*s)) {
                --surplus;
                if (s->pidfd < 0) {
                    removeSlot(s->number);
                } else { // an idle service process: EOF, and the slot goes when it exits
                    s->draining = true;
                    s->service->closeStdin();
                    postWorker(*s);
                }
            }
        }
        std::vector<Slot *> busy;
        for (auto &s : m_slots) {
            if (s && !s->parked && !s->draining && isBusy(*s))
                busy.push_back(s.get());
        }
        auto youngest = [&](const Slot *s) {
            return m_tasks[size_t(s->service ? s->inflight.back() : s->task)].startedMs;
        };
        if (policy == DrainPolicy::Requeue) {
            std::stable_sort(busy.begin(), busy.end(),
                             [&](Slot *a, Slot *b) { return youngest(a) > youngest(b); });
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
                if (s->service)
                    requeueInFlight(*s);
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
    } else if (isService() && (t.state == TaskState::Running || t.state == TaskState::Paused)) {
        // A task inside a long-lived worker cannot be stopped alone: it ends now as cancelled
        // and whatever the worker answers for it later is dropped.
        t.state = TaskState::Cancelled;
        t.exit = ExitStatus::cancelled(0);
        t.durationMs = now() - t.startedMs;
        --m_running;
        ++m_cancelled;
        openBatch().finished.push_back(
            { id, t.slot, t.attempts, t.state, t.exit, t.durationMs, 0, 0 });
        checkFinished();
    } else if (t.state == TaskState::Running || t.state == TaskState::Paused) {
        if (Slot *s = slotAt(t.slot); s && s->task == id)
            terminate(*s, EndReason::Cancel);
    }
}

void Pool::cancelWorkerTask(int number)
{
    if (const Slot *slot = slotAt(number)) {
        for (TaskId id :
             slot->service ? std::deque<TaskId>(slot->inflight) : std::deque<TaskId> { slot->task })
            cancelTask(id);
    }
}

void Pool::cancelAll()
{
    if (!m_started || m_finished)
        return;
    stopDispatching(true);
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
    if (m_halted)
        return;
    const HaltDecision decision = decideHalt(halt, m_failed, qint64(m_tasks.size()), task.exit);
    if (!decision.halt)
        return;
    m_halted = true;
    m_haltExitStatus = decision.exitStatus;
    const TaskId id = TaskId(&task - m_tasks.data());
    message(u"halting (%1): task %2 failed (%3): %4"_s
                .arg(halt.when == HaltPolicy::When::Now ? u"now"_s : u"soon"_s)
                .arg(task.seq)
                .arg(task.exit.describe(), commandOf(id)));
    stopDispatching(halt.when == HaltPolicy::When::Now);
}

void Pool::checkFinished()
{
    if (!m_started || m_finished || m_inputsOpen)
        return;
    if (m_succeeded + m_failed + m_cancelled != qint64(m_tasks.size()))
        return;
    if (isService() && liveServiceProcesses() > 0) {
        // Done with the workers: EOF lets them exit; the batch ends when the last one has.
        for (auto &s : m_slots) {
            if (s && s->service && !s->service->stdinClosed())
                s->service->closeStdin();
        }
        return;
    }
    m_finished = true;
    m_tree->sweepOrphans(); // what left its task and cleared its environment
    m_statsTimer.stop();
    m_memoryTimer.stop();
    m_deadlineTimer.stop();
    m_throughput.sample(now(), m_succeeded + m_failed + m_cancelled);
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
    const TaskRecord &t = m_tasks[size_t(id)];
    // Ended by Shoal (interrupt, cancel, halt) or never run: not done, so not recorded; --resume
    // runs it again, as GNU parallel does.
    // After another error (the events file, say) tasks still end and are recorded, as long as
    // their own records can be written.
    if (t.state == TaskState::Cancelled || t.attempts == 0 || m_recordsBroken)
        return;
    if (m_results.isOpen()) {
        auto written = m_results.write(t.seq, m_inputs.utf8(t.seq - 1), out, err);
        if (!written) {
            m_recordsBroken = true; // no row without its files
            stopForError(written.error());
            return;
        }
    }
    if (m_joblog && !m_options.joblogAfterDelivery) {
        auto written = m_joblog->writeRows(joblogRow(id, received));
        if (!written) {
            m_recordsBroken = true;
            stopForError(written.error());
        }
    }
}

QByteArray Pool::joblogRow(TaskId id, qint64 received) const
{
    const TaskRecord &t = m_tasks[size_t(id)];
    return JoblogWriter::formatRow(t.seq, double(m_wallStartMs + t.startedMs) / 1000.0,
                                   double(t.durationMs) / 1000.0, received, t.exit, commandOf(id));
}

void Pool::recordDelivered(const std::vector<Delivered> &tasks)
{
    if (!m_joblog || !m_options.joblogAfterDelivery || m_recordsBroken)
        return;
    QByteArray rows;
    for (const Delivered &d : tasks) {
        if (d.task < 0 || size_t(d.task) >= m_tasks.size())
            continue;
        const TaskRecord &t = m_tasks[size_t(d.task)];
        if (isTerminal(t.state) && t.state != TaskState::Cancelled && t.attempts > 0)
            rows += joblogRow(d.task, d.receivedBytes);
    }
    if (rows.isEmpty())
        return;
    auto written = m_joblog->writeRows(rows);
    if (!written) {
        m_recordsBroken = true;
        stopForError(written.error());
    }
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
    for (size_t i = 0; i < m_tasks.size(); ++i) {
        TaskRecord &t = m_tasks[i];
        if (t.state != TaskState::Queued && t.state != TaskState::Retrying)
            continue;
        t.state = TaskState::Cancelled;
        t.exit = ExitStatus::cancelled(0);
        ++m_cancelled;
        if (!batch)
            batch = &openBatch();
        batch->finished.push_back({ TaskId(i), t.slot, t.attempts, t.state, t.exit, 0, 0, 0 });
    }
    m_queue.clear();
    if (!endRunning)
        return;
    for (auto &s : m_slots) {
        if (!s)
            continue;
        for (TaskId id : std::deque<TaskId>(s->inflight))
            cancelTask(id);
        terminate(*s, EndReason::Cancel);
    }
}

void Pool::onMemoryTimer()
{
    // Resident memory of whole process groups (grandchildren count), checked ten times a second;
    // RLIMIT_AS in each process is the hard stop between checks.
    QHash<pid_t, int> groups;
    for (const auto &s : m_slots) {
        if (s && s->pidfd >= 0 && s->endReason == EndReason::None)
            groups.insert(s->pid, s->number);
    }
    if (groups.isEmpty())
        return;
    const QHash<pid_t, GroupUsage> usage = m_procStats->sampleGroups(groups);
    for (auto it = usage.cbegin(); it != usage.cend(); ++it) {
        if (it.value().rssBytes <= m_options.memoryLimitBytes)
            continue;
        Slot &slot = *m_slots[size_t(groups.value(it.key())) - 1];
        slot.rssBytes = it.value().rssBytes;
        slot.endReason = EndReason::Memory;
        slot.lastSignal = SIGKILL;
        m_tree->endTask(slot.pid); // the whole tree, no grace: the machine's memory is at stake
        message(
            u"worker %1: ending pid %2 (%3 MiB resident, over the %4 MiB limit)"_s.arg(slot.number)
                .arg(slot.pid)
                .arg(slot.rssBytes >> 20)
                .arg(m_options.memoryLimitBytes >> 20));
    }
}

void Pool::onStatsTimer()
{
    for (const auto &slot : m_slots) {
        if (slot && slot->capture.isValid()) {
            if (slot->capture.isScratchFull())
                m_scratchFullMs = now();
            break; // every slot's scratch files are in the same folder
        }
    }
    if (isService())
        warnAboutSilentWorkers();
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
            s->cpuPercent
                = double(u.cpuTicks - s->lastTicks) / hz * 100000.0 / double(t - s->lastSampleMs);
        } else {
            const qint64 since
                = s->service ? s->processStartedMs : m_tasks[size_t(s->task)].startedMs;
            const qint64 elapsed = qMax<qint64>(1, t - since);
            s->cpuPercent = double(u.cpuTicks) / hz * 100000.0 / double(elapsed);
        }
        s->cpuPercent = qMax(0.0, s->cpuPercent);
        s->statsGroup = s->pid;
        s->lastTicks = u.cpuTicks;
        s->lastSampleMs = t;
        s->rssBytes = u.rssBytes;
        postWorker(*s);
    }
    m_throughput.sample(t, m_succeeded + m_failed + m_cancelled);
    postStats(Event::Type::Stats);
}

// ---- service workers ----------------------------------------------------------------------

int Pool::liveServiceProcesses() const
{
    return int(std::count_if(m_slots.begin(), m_slots.end(),
                             [](const auto &s) { return s && s->service; }));
}

void Pool::closeFd(int &fd)
{
    if (fd < 0)
        return;
    epoll_ctl(m_epollFd, EPOLL_CTL_DEL, fd, nullptr); // before close(): a closed fd whose file a
                                                      // child still holds stays in the epoll set
    ::close(fd);
    fd = -1;
}

int Pool::prefetchFor(const Slot &slot) const
{
    if (m_options.service.prefetch > 0)
        return m_options.service.prefetch;
    // Keep about 20 ms of work in flight: tiny tasks are not bound by round trips, long ones
    // are not hoarded by one worker while others idle.
    if (slot.nsPerTask <= 0)
        return 2;
    return int(qBound(2.0, 20e6 / slot.nsPerTask, 4096.0));
}

bool Pool::startServiceProcess(Slot &slot)
{
    slot.service = std::make_unique<ServiceProcess>(m_options.service);
    auto started = slot.service->start(*m_launcher, m_servicePath, slot.capture.stderrFd(),
                                       m_guard->registrationFd(), m_tree->prepareLaunch());
    const Launcher::Process p { slot.service->pid(), slot.service->pidfd(), 0 };
    m_tree->launched(started ? p.pid : -1, p.pid > 0);
    if (!started) {
        if (p.pidfd >= 0)
            ::close(p.pidfd);
        if (p.pid > 0)
            m_guard->forget(p.pid);
        slot.service.reset();
        slot.crashed = true;
        message(u"worker %1: %2"_s.arg(slot.number).arg(started.error()));
        postWorker(slot);
        return false;
    }
    slot.pid = p.pid;
    slot.pidfd = p.pidfd;
    slot.processStartedMs = now();
    slot.segmentStartMs = slot.processStartedMs;
    slot.accumulatedMs = 0;
    slot.progressActiveMs = 0;
    slot.frozen = false;
    slot.endReason = EndReason::None;
    slot.endDetail.clear();
    slot.silenceReported = false;
    slot.lastSignal = 0;
    slot.killAtMs = -1;
    slot.statsGroup = 0;
    slot.lastReplyNs = m_clock.nsecsElapsed();
    epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.u64 = watchTag(slot.number, slot.generation, kWatchPidfd);
    epoll_ctl(m_epollFd, EPOLL_CTL_ADD, p.pidfd, &ev);
    ev.data.u64 = watchTag(slot.number, slot.generation, kWatchStdout);
    epoll_ctl(m_epollFd, EPOLL_CTL_ADD, slot.service->stdoutFd(), &ev);
    postWorker(slot);
    return true;
}

void Pool::dispatchService()
{
    for (auto &s : m_slots) {
        if (m_queue.empty())
            break;
        if (!s || s->paused || s->parked || s->draining || s->crashed
            || s->endReason != EndReason::None)
            continue;
        if (!s->service && !startServiceProcess(*s))
            continue;
        feed(*s);
    }
    if (std::all_of(m_slots.begin(), m_slots.end(), [](const auto &s) { return !s || s->crashed; })
        && !m_slots.empty() && !m_queue.empty())
        failUnservedTasks(u"every worker's service program kept exiting"_s);
}

void Pool::feed(Slot &slot)
{
    ServiceProcess &process = *slot.service;
    if (process.stdinClosed())
        return;
    const int limit = m_options.service.maxTasksPerWorker;
    qint64 capacity = prefetchFor(slot) - qint64(slot.inflight.size());
    if (limit > 0)
        capacity = qMin(capacity, limit - process.sent());
    const bool wasIdle = slot.inflight.empty();
    TaskBatch *batch = nullptr;
    const qint64 t = now();
    while (capacity > 0 && !m_queue.empty()) {
        const TaskId id = m_queue.front();
        m_queue.pop_front();
        TaskRecord &task = m_tasks[size_t(id)];
        if (task.state != TaskState::Queued && task.state != TaskState::Retrying)
            continue;
        ++task.attempts;
        task.slot = slot.number;
        task.state = TaskState::Running;
        task.startedMs = t;
        ++m_running;
        slot.inflight.push_back(id);
        process.queueRequest(id, m_inputs.utf8(task.seq - 1));
        if (!batch)
            batch = &openBatch();
        batch->started.push_back({ id, slot.number, task.attempts });
        --capacity;
    }
    if (wasIdle && !slot.inflight.empty()) {
        slot.progressActiveMs = activeMs(slot);
        slot.lastReplyNs = m_clock.nsecsElapsed();
        postWorker(slot);
        if (m_options.timeoutSeconds > 0)
            armDeadlineTimer();
    }
    if (!process.flush() && !slot.stdinWatched) {
        epoll_event ev {};
        ev.events = EPOLLOUT;
        ev.data.u64 = watchTag(slot.number, slot.generation, kWatchStdin);
        epoll_ctl(m_epollFd, EPOLL_CTL_ADD, process.stdinFd(), &ev);
        slot.stdinWatched = true;
    }
    // Recycle: the process got its share of tasks; EOF once their answers are in.
    if (limit > 0 && process.sent() >= limit && slot.inflight.empty())
        process.closeStdin();
}

void Pool::onServiceWritable(Slot &slot)
{
    if (slot.service->flush() && slot.stdinWatched) {
        epoll_ctl(m_epollFd, EPOLL_CTL_DEL, slot.service->stdinFd(), nullptr);
        slot.stdinWatched = false;
    }
}

void Pool::finishServiceTask(Slot &slot, TaskId id, bool ok, const TaskBatch &source,
                             qsizetype offset, qsizetype length, qint64 nowMs)
{
    TaskRecord &t = m_tasks[size_t(id)];
    if (t.state != TaskState::Running && t.state != TaskState::Paused)
        return; // cancelled while in flight: its answer is dropped
    --m_running;
    ++slot.tasksDone;
    t.durationMs = nowMs - t.startedMs;
    t.exit = ok ? ExitStatus::exited(0) : ExitStatus::exited(1);
    if (!ok)
        ++slot.failures;
    if (!ok && t.attempts < m_options.attempts && !m_stopping) {
        t.state = TaskState::Retrying;
        m_queue.push_back(id);
    } else if (ok) {
        t.state = TaskState::Succeeded;
        ++m_succeeded;
    } else {
        t.state = TaskState::Failed;
        ++m_failed;
    }
    TaskBatch &batch = openBatch();
    if (&batch != &source) {
        // An event went out since the answers were read (a halt's message, a cancel): this
        // entry starts a new batch, so its text moves there.
        const qsizetype moved = batch.outputs.size();
        batch.outputs.append(source.outputs.constData() + offset, length);
        offset = moved;
    }
    batch.finished.push_back(
        { id, slot.number, t.attempts, t.state, t.exit, t.durationMs, offset, length });
    if (isTerminal(t.state)) {
        const QByteArrayView text = QByteArrayView(batch.outputs).sliced(offset, length);
        if (m_options.keepOutputBytes > 0)
            (ok ? t.out : t.err)
                = m_kept.keep(text.last(qMin<qsizetype>(text.size(), m_options.keepOutputBytes)));
        recordTerminal(id, length, { ok ? text : QByteArrayView() },
                       { ok ? QByteArrayView() : text });
        if (t.state == TaskState::Failed)
            checkHalt(t);
    }
}

bool Pool::takeReplies(Slot &slot, std::vector<ServiceProcess::Reply> &replies,
                       const TaskBatch &batch)
{
    const bool json = m_options.service.mode == ServiceSpec::Mode::Json;
    const qint64 t = now();
    qint64 completed = 0;
    for (const ServiceProcess::Reply &r : replies) {
        TaskId id;
        if (!json) {
            if (slot.inflight.empty()) {
                slot.endDetail = u"a line when no task was in flight: '%1'"_s.arg(
                    QString::fromUtf8(QByteArrayView(batch.outputs)
                                          .sliced(r.offset, qMin<qsizetype>(r.length, 200))
                                          .toByteArray()));
                return false;
            }
            id = slot.inflight.front();
            slot.inflight.pop_front();
        } else {
            auto it = std::find(slot.inflight.begin(), slot.inflight.end(), TaskId(r.id));
            if (it == slot.inflight.end()) {
                slot.endDetail
                    = u"an answer for id %1, which is not in flight on this worker"_s.arg(r.id);
                return false;
            }
            id = *it;
            if (r.kind == ServiceReply::Kind::Progress) {
                openBatch().progress.push_back({ id, qBound(0.0, r.progress, 1.0) });
                continue;
            }
            if (it == slot.inflight.begin()) // usually: workers mostly answer in order
                slot.inflight.pop_front();
            else
                slot.inflight.erase(it);
        }
        ++completed;
        finishServiceTask(slot, id, r.kind == ServiceReply::Kind::Result, batch, r.offset, r.length,
                          t);
    }
    if (!replies.empty()) {
        slot.progressActiveMs = activeMs(slot);
        slot.consecutiveCrashes = 0;
    }
    if (completed > 0) {
        const qint64 ns = m_clock.nsecsElapsed();
        const double perTask = double(ns - slot.lastReplyNs) / double(completed);
        slot.nsPerTask = slot.nsPerTask <= 0 ? perTask : 0.8 * slot.nsPerTask + 0.2 * perTask;
        slot.lastReplyNs = ns;
    }
    return true;
}

void Pool::onServiceReadable(Slot &slot)
{
    // A batch event stays open until the event loop flushes; past a few thousand tasks, start
    // the next one. Smaller arrays are reused by the heap instead of freshly mapped (and
    // faulted in) each time. Only here, before reading: replies point into this batch.
    if (m_outbox.currentBatch() && m_outbox.currentBatch()->finished.size() >= 4096)
        m_outbox.closeBatch();
    m_replies.clear();
    std::vector<ServiceProcess::Reply> &replies = m_replies;
    TaskBatch &batch = openBatch();
    QString garbage;
    const auto status = slot.service->read(replies, batch.outputs, &garbage);
    const bool valid = takeReplies(slot, replies, batch);
    if (status == ServiceProcess::ReadStatus::Garbage || !valid) {
        if (status == ServiceProcess::ReadStatus::Garbage)
            slot.endDetail = u"an invalid line %1"_s.arg(garbage);
        message(u"worker %1 (pid %2) wrote %3: replacing it"_s.arg(slot.number)
                    .arg(slot.pid)
                    .arg(slot.endDetail));
        slot.endReason = EndReason::Garbage;
        ::kill(-slot.pid, SIGKILL);
        slot.lastSignal = SIGKILL;
        int fd = slot.service->stdoutFd();
        epoll_ctl(m_epollFd, EPOLL_CTL_DEL, fd, nullptr);
        slot.service->closeStdout();
        return;
    }
    if (status == ServiceProcess::ReadStatus::EndOfFile) {
        epoll_ctl(m_epollFd, EPOLL_CTL_DEL, slot.service->stdoutFd(), nullptr);
        slot.service->closeStdout();
        onServiceOutputClosed(slot);
        return; // nothing more to feed it
    }
    if (m_options.service.maxTasksPerWorker > 0 && slot.inflight.empty()
        && slot.service->sent() >= m_options.service.maxTasksPerWorker)
        slot.service->closeStdin();
    if (slot.draining && slot.inflight.empty())
        slot.service->closeStdin();
    feed(slot);
    if (m_options.timeoutSeconds > 0)
        armDeadlineTimer();
}

void Pool::warnAboutSilentWorkers()
{
    // Without a timeout, a worker that waits for something, or does not speak the protocol of
    // its mode (a JSON worker fed plain lines), would hold the pool without a word.
    const qint64 warnMs = m_options.service.silenceWarningMs;
    const qint64 timeoutMs = qint64(m_options.timeoutSeconds * 1000.0);
    if (warnMs <= 0 || (timeoutMs > 0 && timeoutMs <= warnMs))
        return; // the timeout speaks first
    for (auto &s : m_slots) {
        if (!s || !s->service || s->silenceReported || s->inflight.empty() || s->frozen
            || s->endReason != EndReason::None)
            continue;
        const qint64 silentMs = activeMs(*s) - s->progressActiveMs;
        if (silentMs < warnMs)
            continue;
        s->silenceReported = true;
        QString text
            = u"worker %1 (pid %2) has given no answer for %3 s with %4 task(s) in flight; still "
              "waiting (--timeout SECONDS ends such a wait)"_s.arg(s->number)
                  .arg(s->pid)
                  .arg(double(silentMs) / 1000.0, 0, 'f', 1)
                  .arg(s->inflight.size());
        const QByteArray stderrTail = s->capture.peek(Stream::Stderr, 400).trimmed();
        text += stderrTail.isEmpty()
            ? u"; its stderr is empty"_s
            : u"; its stderr ends with: %1"_s.arg(QString::fromUtf8(stderrTail));
        message(text);
    }
}

void Pool::onServiceOutputClosed(Slot &slot)
{
    // EOF on its stdout: no answer can come any more, so the worker is over even if its process
    // keeps running (it would hold its tasks, and the pool, forever). Its exit is then handled
    // as any other (onServiceExited): tasks in flight are retried or failed with the reason.
    if (slot.endReason != EndReason::None)
        return; // Shoal is ending it already
    siginfo_t info {};
    if (waitid(P_PIDFD, id_t(slot.pidfd), &info, WEXITED | WNOHANG | WNOWAIT) == 0
        && info.si_pid != 0)
        return; // it has exited: its pidfd reports that, with its real status
    if (!slot.service->stdinClosed()) {
        terminate(slot, EndReason::ClosedOutput);
        return;
    }
    // Told to finish (EOF on its stdin), it is on its way out: let it exit on its own, within
    // the grace period (then SIGKILL).
    slot.endReason = EndReason::ClosedOutput;
    slot.killAtMs = now() + m_options.termGraceMs;
    armDeadlineTimer();
}

void Pool::requeueInFlight(Slot &slot)
{
    for (auto it = slot.inflight.rbegin(); it != slot.inflight.rend(); ++it) {
        TaskRecord &t = m_tasks[size_t(*it)];
        if (t.state != TaskState::Running && t.state != TaskState::Paused)
            continue;
        --t.attempts;
        t.state = TaskState::Queued;
        --m_running;
        m_queue.push_front(*it);
        Event &e = post(Event::Type::TaskRequeued);
        e.task = *it;
        e.slot = slot.number;
    }
    slot.inflight.clear();
}

void Pool::serviceTimedOut(Slot &slot)
{
    // The worker made no progress for a whole timeout: the oldest task in flight is the one it
    // hangs on; the others go back to the queue; the process is replaced.
    const TaskId blamed = slot.inflight.front();
    slot.inflight.pop_front();
    requeueInFlight(slot);
    TaskRecord &t = m_tasks[size_t(blamed)];
    if (t.state == TaskState::Running || t.state == TaskState::Paused) {
        --m_running;
        t.durationMs = now() - t.startedMs;
        t.exit = ExitStatus::timedOut(m_options.termGraceMs > 0 ? SIGTERM : SIGKILL);
        ++slot.failures;
        const bool retry = t.attempts < m_options.attempts && !m_stopping;
        t.state = retry ? TaskState::Retrying : TaskState::TimedOut;
        if (retry)
            m_queue.push_back(blamed);
        else
            ++m_failed;
        TaskBatch &batch = openBatch();
        const qsizetype offset = batch.outputs.size();
        batch.outputs += u"worker %1 (pid %2) gave no answer for %3 s"_s.arg(slot.number)
                             .arg(slot.pid)
                             .arg(m_options.timeoutSeconds)
                             .toUtf8();
        batch.finished.push_back({ blamed, slot.number, t.attempts, t.state, t.exit, t.durationMs,
                                   offset, batch.outputs.size() - offset });
        if (t.state == TaskState::TimedOut)
            recordTerminal(blamed, 0, {}, { QByteArrayView(batch.outputs).sliced(offset) });
        if (t.state == TaskState::TimedOut)
            checkHalt(t);
    }
    terminate(slot, EndReason::Timeout);
}

void Pool::onServiceExited(Slot &slot)
{
    siginfo_t info {};
    if (waitid(P_PIDFD, id_t(slot.pidfd), &info, WEXITED | WNOHANG | WNOWAIT) != 0
        || info.si_pid == 0)
        return;
    // Answers written just before the exit still count.
    if (slot.service->stdoutFd() >= 0 && slot.endReason != EndReason::Garbage) {
        std::vector<ServiceProcess::Reply> replies;
        TaskBatch &batch = openBatch();
        QString garbage;
        if (slot.service->read(replies, batch.outputs, &garbage)
            != ServiceProcess::ReadStatus::Garbage)
            takeReplies(slot, replies, batch);
    }
    m_tree->endTask(slot.pid);
    while (waitid(P_PIDFD, id_t(slot.pidfd), &info, WEXITED) < 0 && errno == EINTR) { }
    ChildRegistry::release(slot.pid);
    m_guard->forget(slot.pid);
    if (slot.stdinWatched)
        epoll_ctl(m_epollFd, EPOLL_CTL_DEL, slot.service->stdinFd(), nullptr);
    slot.stdinWatched = false;
    if (slot.service->stdoutFd() >= 0)
        epoll_ctl(m_epollFd, EPOLL_CTL_DEL, slot.service->stdoutFd(), nullptr);
    closeFd(slot.pidfd);
    const ExitStatus exit = info.si_code == CLD_EXITED ? ExitStatus::exited(info.si_status)
                                                       : ExitStatus::signaled(info.si_status);
    const qint64 pid = slot.pid;
    slot.service.reset();
    slot.pid = -1;
    slot.frozen = false;
    slot.killAtMs = -1;

    if (slot.endReason == EndReason::Requeue) {
        requeueInFlight(slot);
    } else if (!slot.inflight.empty()) {
        // Died with tasks in flight. The oldest is the one it was working on: it is retried or
        // fails with the reason. The others were only queued in its pipe: back to the queue,
        // without using up an attempt (as for a timeout).
        while (!slot.inflight.empty()) {
            const TaskState front = m_tasks[size_t(slot.inflight.front())].state;
            if (front == TaskState::Running || front == TaskState::Paused)
                break;
            slot.inflight.pop_front(); // cancelled while in flight
        }
        std::deque<TaskId> blamed;
        if (!slot.inflight.empty()) {
            blamed.push_back(slot.inflight.front());
            slot.inflight.pop_front();
        }
        if (!m_stopping)
            requeueInFlight(slot);
        // EOF on stdout may come from a worker that was exiting anyway: then its own status
        // is the reason, not the signal that came too late to matter.
        const bool endedForClosedOutput = slot.endReason == EndReason::ClosedOutput
            && exit.kind == ExitStatus::Kind::Signaled && exit.signal == slot.lastSignal;
        QString reason = slot.endReason == EndReason::Garbage
            ? u"worker %1 (pid %2) wrote %3"_s.arg(slot.number).arg(pid).arg(slot.endDetail)
            : endedForClosedOutput
            ? u"worker %1 (pid %2) closed its stdout with tasks in flight; ended: %3"_s
                  .arg(slot.number)
                  .arg(pid)
                  .arg(exit.describe())
            : slot.endReason == EndReason::Memory
            ? u"worker %1 (pid %2) was %3"_s.arg(slot.number)
                  .arg(pid)
                  .arg(ExitStatus::memoryLimit(int(slot.rssBytes >> 20),
                                               int(m_options.memoryLimitBytes >> 20))
                           .describe())
            : u"worker %1 (pid %2) ended: %3"_s.arg(slot.number).arg(pid).arg(exit.describe());
        const QByteArray stderrTail = slot.capture.peek(Stream::Stderr, 400).trimmed();
        if (!stderrTail.isEmpty())
            reason += u"; its stderr ends with: %1"_s.arg(QString::fromUtf8(stderrTail));
        for (TaskId id : blamed) {
            TaskRecord &t = m_tasks[size_t(id)];
            if (t.state != TaskState::Running && t.state != TaskState::Paused)
                continue;
            TaskBatch &batch = openBatch();
            const qsizetype offset = batch.outputs.size();
            batch.outputs += reason.toUtf8();
            --m_running;
            t.durationMs = now() - t.startedMs;
            t.exit = slot.endReason == EndReason::Memory ? ExitStatus::memoryLimit(
                         int(slot.rssBytes >> 20), int(m_options.memoryLimitBytes >> 20))
                : exit.kind == ExitStatus::Kind::Signaled
                ? exit
                : ExitStatus::exited(exit.code ? exit.code : 1);
            const bool cancel = m_stopping && slot.endReason == EndReason::Cancel;
            if (cancel) {
                t.state = TaskState::Cancelled;
                t.exit = ExitStatus::cancelled(slot.lastSignal);
                ++m_cancelled;
            } else if (t.attempts < m_options.attempts && !m_stopping) {
                t.state = TaskState::Retrying;
                m_queue.push_back(id);
            } else {
                t.state = TaskState::Failed;
                ++m_failed;
                if (m_options.keepOutputBytes > 0)
                    t.err = reason.toUtf8();
            }
            batch.finished.push_back({ id, slot.number, t.attempts, t.state, t.exit, t.durationMs,
                                       offset, batch.outputs.size() - offset });
            if (t.state == TaskState::Failed) {
                recordTerminal(id, 0, {}, { QByteArrayView(batch.outputs).sliced(offset) });
                checkHalt(t);
            }
        }
        slot.inflight.clear();
        ++slot.failures;
        if (++slot.consecutiveCrashes >= 3 && !m_stopping) {
            slot.crashed = true;
            message(u"worker %1: the service program ended %2 times in a row without an answer "
                    u"(last: %3); "
                    "not starting it again"_s.arg(slot.number)
                        .arg(slot.consecutiveCrashes)
                        .arg(exit.describe()));
        }
    } else if (slot.endReason == EndReason::None && !exit.succeeded()
               && m_succeeded + m_failed + m_cancelled < qint64(m_tasks.size())) {
        // Exited on its own while idle (not asked to): try again, but not forever.
        if (++slot.consecutiveCrashes >= 3) {
            slot.crashed = true;
            message(u"worker %1: the service program keeps exiting (%2)"_s.arg(slot.number)
                        .arg(exit.describe()));
        }
    }
    slot.endReason = EndReason::None;
    if (slot.draining || slot.parked)
        removeSlot(slot.number);
    else
        postWorker(slot);
    checkFinished();
}

void Pool::failUnservedTasks(const QString &reason)
{
    message(reason + u": failing the tasks that are left"_s);
    TaskBatch &batch = openBatch();
    const qsizetype offset = batch.outputs.size();
    batch.outputs += reason.toUtf8();
    const qsizetype length = batch.outputs.size() - offset;
    while (!m_queue.empty()) {
        const TaskId id = m_queue.front();
        m_queue.pop_front();
        TaskRecord &t = m_tasks[size_t(id)];
        if (t.state != TaskState::Queued && t.state != TaskState::Retrying)
            continue;
        t.state = TaskState::Failed;
        t.exit = ExitStatus::exited(1);
        ++m_failed;
        batch.finished.push_back({ id, 0, t.attempts, t.state, t.exit, 0, offset, length });
        recordTerminal(
            id, 0, {},
            { QByteArrayView(batch.outputs).sliced(offset, length) }); // if it ran before
    }
    checkFinished();
}

} // namespace shoal
