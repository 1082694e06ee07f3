#include "agent.h"

#include "bytes.h"
#include "fileio.h"
#include "pool.h"

#include <QDir>
#include <QFile>
#include <QSocketNotifier>
#include <QSysInfo>
#include <QThread>

#include <cerrno>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {
constexpr size_t kResultsPerFrame = 8192;
constexpr qsizetype kResultBytesPerFrame = 8 << 20; // and one answer alone, however long
constexpr int kOrderlyEndMs = 5000;
} // namespace

Agent::Agent(int inFd, int outFd, QObject *parent)
    : QObject(parent)
    , m_inFd(inFd)
    , m_outFd(outFd)
{
    m_startedFlush.setSingleShot(true);
    m_startedFlush.setInterval(20);
    connect(&m_startedFlush, &QTimer::timeout, this, &Agent::flush);
}

Agent::~Agent() = default;

void Agent::start()
{
    agent::Hello hello;
    hello.version = QStringLiteral(SHOAL_VERSION);
    hello.host = QSysInfo::machineHostName();
    hello.cores = QThread::idealThreadCount();
    hello.memoryBytes = qint64(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);
    if (!qEnvironmentVariableIsEmpty("SLURM_STEP_ID"))
        hello.slurmStep
            = qEnvironmentVariable("SLURM_JOB_ID") + u'.' + qEnvironmentVariable("SLURM_STEP_ID");
    send(hello);
    flush();
    if (m_ending) // Shoal is gone already
        return;
    m_readable = new QSocketNotifier(m_inFd, QSocketNotifier::Read, this);
    connect(m_readable, &QSocketNotifier::activated, this, &Agent::onReadable);
}

void Agent::onReadable()
{
    char buffer[64 * 1024];
    const ssize_t n = ::read(m_inFd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        m_readable->setEnabled(false); // for good: an end of file stays readable
        end(n == 0 ? QString() : u"cannot read the link: %1"_s.arg(errnoText()));
        return;
    }
    m_reader.append(QByteArrayView(buffer, n));
    agent::Frame frame;
    for (;;) {
        auto next = m_reader.next(&frame);
        Result<void> handled;
        if (!next)
            handled = Error { next.error() };
        else if (!*next)
            break;
        else
            handled = handle(frame);
        if (!handled) {
            send(agent::Failure { handled.error() });
            flush();
            m_exitCode = 255;
            end(handled.error());
            return;
        }
    }
    if (!m_pending.isEmpty() && m_pool) {
        m_pool->addInputs(m_pending);
        m_pending = InputList();
    }
    m_liveCache.reset(); // tasks end between reads
}

Result<void> Agent::handle(agent::Frame &frame)
{
    if (auto *setup = std::get_if<agent::Setup>(&frame)) {
        if (m_pool)
            return Error { u"a second Setup"_s };
        return setUp(*setup);
    }
    if (!m_pool)
        return Error { u"a task before Setup"_s };
    if (auto *run = std::get_if<agent::Run>(&frame)) {
        if (m_service)
            return Error { u"a command for an agent that runs service workers"_s };
        if (admitRun(*run))
            admit(run->task, QByteArrayView(encodeBytes(run->argv.join(QChar(0)))));
        return {};
    }
    if (auto *tasks = std::get_if<agent::Tasks>(&frame)) {
        if (!m_service)
            return Error { u"service tasks for an agent that runs commands"_s };
        for (size_t i = 0; i < tasks->ids.size(); ++i)
            admit(tasks->ids[i], tasks->inputs.utf8(qsizetype(i)));
        return {};
    }
    if (const auto *workers = std::get_if<agent::Workers>(&frame)) {
        m_pool->resizeWith(workers->count, DrainPolicy::Finish);
        return {};
    }
    if (const auto *hold = std::get_if<agent::HoldWorker>(&frame)) {
        if (hold->worker == 0) // all of them: the pool Shoal serves is paused
            hold->stopped ? m_pool->pause() : m_pool->resume();
        else
            hold->stopped ? m_pool->pauseWorker(hold->worker) : m_pool->resumeWorker(hold->worker);
        return {};
    }
    if (const auto *file = std::get_if<agent::File>(&frame)) {
        receiveFile(*file);
        return {};
    }
    if (const auto *collected = std::get_if<agent::Collected>(&frame)) {
        removeMoved(m_collecting.take(collected->task));
        return {};
    }
    const auto *cancel = std::get_if<agent::Cancel>(&frame);
    const auto *hold = std::get_if<agent::Hold>(&frame);
    if (cancel || hold) {
        if (!m_pending.isEmpty()) { // the pool must know the task to steer it
            m_pool->addInputs(m_pending);
            m_pending = InputList();
        }
        if (cancel && m_service) {
            this->cancel(cancel->task);
            return {};
        }
        const TaskId id = liveTask(cancel ? cancel->task : hold->task);
        if (id < 0)
            return {}; // it has ended
        if (cancel)
            m_pool->cancelTask(id);
        else
            m_pool->holdTask(id, hold->stopped);
        return {};
    }
    return Error { u"a frame an agent does not take"_s };
}

Result<void> Agent::setUp(const agent::Setup &setup)
{
    if (!setup.workdir.isEmpty() && !QDir::setCurrent(setup.workdir))
        return Error { u"cannot use the working folder '%1' on %2"_s.arg(
            setup.workdir, QSysInfo::machineHostName()) };
    if (!setup.probe.isEmpty() && !setup.probe.contains(u'/')) {
        QFile probe(setup.probe);
        m_sharedFolder = probe.open(QIODevice::ReadOnly)
            && probe.read(setup.probe.size() * 4 + 1) == setup.probe.toUtf8();
    }
    m_cleanup = setup.cleanup;
    PoolOptions options;
    options.workers = setup.workers;
    options.timeoutSeconds = setup.timeoutSeconds;
    options.termGraceMs = setup.termGraceMs;
    options.memoryLimitBytes = setup.memoryLimitBytes;
    options.keepOutputBytes = 0; // Shoal keeps them
    options.inputsOpen = true;
    options.service = setup.service;
    m_service = setup.service.isValid();
    options.inputsAreArgv = !m_service;
    options.ownsAllChildren = true;
    m_pool = std::make_unique<Pool>(CommandTemplate(), InputList(), options);
    connect(m_pool.get(), &Pool::eventsReady, this, &Agent::onEvents);
    connect(m_pool.get(), &Pool::finished, this, [this] {
        flush(); // what is still to say (acknowledgements, notes) before the agent exits
        Q_EMIT finished(m_exitCode);
    });
    if (auto started = m_pool->start(); !started) {
        m_pool.reset(); // nothing started: nothing to end
        return Error { started.error() };
    }
    return {};
}

void Agent::onEvents(const QList<Event> &events)
{
    // Its service workers cannot run (they keep exiting): a host that takes tasks only to fail
    // them would starve the batch of its healthy hosts. Shoal is told, and requeues them.
    if (m_service && !m_ending && !m_pool->unservedReason().isEmpty()) {
        const QString why
            = u"on %1: %2"_s.arg(QSysInfo::machineHostName(), m_pool->unservedReason());
        send(agent::Failure { why });
        flush();
        m_exitCode = 255;
        end(why);
        return;
    }
    // What each running task uses, with the pool's stats tick (about once a second).
    const bool tick = std::any_of(events.begin(), events.end(),
                                  [](const Event &e) { return e.type == Event::Type::Stats; });
    if (tick) {
        for (const Event &e : events) {
            const WorkerInfo &w = e.worker;
            if (e.type == Event::Type::WorkerChanged && w.task >= 0
                && size_t(w.task) < m_shoalIds.size())
                send(agent::Usage { m_shoalIds[size_t(w.task)], w.cpuPercent, w.rssBytes, w.pid });
        }
    }
    bool ended = false;
    for (const Event &e : events) {
        if (e.type == Event::Type::Message) {
            if (e.text != std::exchange(m_lastNote, e.text)) // once, not for every task sent
                send(agent::Note { e.text });
            continue;
        }
        if (e.type != Event::Type::TaskBatch || !e.batch)
            continue;
        if (m_service) {
            sendProgress(*e.batch); // before their answers, which may be in the same batch
            ended = sendResults(*e.batch) || ended;
            continue;
        }
        for (const TaskBatch::Started &s : e.batch->started)
            if (size_t(s.task) < m_shoalIds.size())
                send(agent::Started { m_shoalIds[size_t(s.task)], s.pid });
        for (const TaskBatch::Finished &f : e.batch->finished) {
            if (size_t(f.task) < m_shoalIds.size()) {
                sendFinished(*e.batch, f);
                forget(f.task);
                ended = true;
            }
        }
    }
    if (ended) {
        m_startedFlush.stop();
        flush();
    } else if (!m_outBuffer.isEmpty() && !m_startedFlush.isActive()) {
        m_startedFlush.start();
    }
}

void Agent::admit(TaskId shoalId, QByteArrayView input)
{
    if (m_liveCache)
        m_liveCache->insert(shoalId, TaskId(m_shoalIds.size()));
    m_shoalIds.push_back(shoalId);
    m_ended.push_back(false);
    m_pending.append(input);
}

void Agent::forget(TaskId id)
{
    m_ended[size_t(id)] = true;
    while (size_t(m_oldestLive) < m_ended.size() && m_ended[size_t(m_oldestLive)])
        ++m_oldestLive;
}

TaskId Agent::liveTask(TaskId shoalId)
{
    if (TaskId(m_shoalIds.size()) - m_oldestLive > 4096) {
        if (!m_liveCache) {
            m_liveCache.emplace();
            for (TaskId id = m_oldestLive; id < TaskId(m_shoalIds.size()); ++id)
                if (!m_ended[size_t(id)])
                    m_liveCache->insert(m_shoalIds[size_t(id)], id);
        }
        return m_liveCache->value(shoalId, -1);
    }
    for (TaskId id = TaskId(m_shoalIds.size()) - 1; id >= m_oldestLive; --id)
        if (m_shoalIds[size_t(id)] == shoalId && !m_ended[size_t(id)])
            return id;
    return -1;
}

// Every Cancel of a service task is acknowledged by a Cancelled entry after whatever was sent
// for it: Shoal takes what comes before for the cancelled attempt's.
void Agent::cancel(TaskId shoalId)
{
    const TaskId id = liveTask(shoalId);
    if (id >= 0) {
        const TaskState before = m_pool->taskState(id);
        if (TaskLedger::isWaiting(before) || TaskLedger::isRunning(before)) {
            m_pool->cancelTask(id); // its Cancelled entry is the acknowledgement
            if (m_pool->taskState(id) == TaskState::Cancelled)
                return;
        }
        // It ended, or was cancelled, as this Cancel came: its end is on its way; one more
        // acknowledgement follows it.
        ++m_ackAfterEnd[id];
        return;
    }
    agent::Results ack; // its end was sent
    ack.entries.push_back({ shoalId, ExitStatus::cancelled(0), 0 });
    ack.texts.append(QByteArrayView());
    send(ack);
    if (!m_startedFlush.isActive())
        m_startedFlush.start();
}

void Agent::sendProgress(const TaskBatch &batch)
{
    agent::Progress progress;
    for (const TaskBatch::Progress &p : batch.progress) {
        // Not a task whose end went already: a cancelled one's worker may still be at it.
        if (size_t(p.task) >= m_shoalIds.size() || m_ended[size_t(p.task)])
            continue;
        progress.entries.push_back({ m_shoalIds[size_t(p.task)], p.value });
        if (progress.entries.size() == agent::Progress::kMaxEntries) {
            send(progress);
            progress.entries.clear();
        }
    }
    if (!progress.entries.empty())
        send(progress);
}

bool Agent::sendResults(const TaskBatch &batch)
{
    agent::Results results;
    qsizetype bytes = 0;
    for (const TaskBatch::Finished &f : batch.finished) {
        if (size_t(f.task) >= m_shoalIds.size())
            continue;
        forget(f.task);
        if (bytes + f.length > kResultBytesPerFrame && !results.entries.empty()) {
            send(results); // a long answer starts a frame of its own
            results = {};
            bytes = 0;
        }
        // A cancelled task's entry acknowledges Shoal's Cancel (or says this agent is ending).
        const ExitStatus exit
            = f.state == TaskState::Cancelled ? ExitStatus::cancelled(f.exit.signal) : f.exit;
        const TaskId shoalId = m_shoalIds[size_t(f.task)];
        results.entries.push_back({ shoalId, exit, f.durationMs });
        results.texts.append(QByteArrayView(batch.outputs).sliced(f.offset, f.length));
        for (int owed = m_ackAfterEnd.isEmpty() ? 0 : m_ackAfterEnd.take(f.task); owed > 0;
             --owed) {
            results.entries.push_back({ shoalId, ExitStatus::cancelled(0), 0 });
            results.texts.append(QByteArrayView());
        }
        bytes += f.length;
        if (results.entries.size() >= kResultsPerFrame) {
            bytes = 0;
            send(results);
            results = {};
        }
    }
    if (!results.entries.empty())
        send(results);
    return !batch.finished.empty();
}

void Agent::sendFinished(const TaskBatch &batch, const TaskBatch::Finished &f)
{
    const TaskId task = m_shoalIds[size_t(f.task)];
    int lost = 0;
    if (f.captured >= 0) {
        const TaskBatch::Captured &c = batch.captured[size_t(f.captured)];
        for (const Stream stream : { Stream::Stdout, Stream::Stderr }) {
            const bool out = stream == Stream::Stdout;
            const QByteArray &inline_ = out ? c.out : c.err;
            const SpilledOutput *file = (out ? c.outFile : c.errFile).get();
            const qint64 size = file ? file->size() : inline_.size();
            for (qint64 at = 0; at < size && !lost; at += agent::kOutputChunkBytes) {
                QByteArray chunk = file ? file->read(at, agent::kOutputChunkBytes)
                                        : inline_.mid(at, agent::kOutputChunkBytes);
                if (chunk.size() < qMin(size - at, qint64(agent::kOutputChunkBytes)))
                    lost = errno ? errno : EIO; // its scratch file could not be read back
                send(agent::Output { task, stream, std::move(chunk) });
                if (m_outBuffer.size() > 4 * agent::kOutputChunkBytes)
                    flush();
            }
        }
    }
    ExitStatus exit = m_files.contains(task) ? sendReturns(task, f.exit) : f.exit;
    if (lost && exit.kind != ExitStatus::Kind::OutputLost
        && exit.kind != ExitStatus::Kind::Cancelled && exit.kind != ExitStatus::Kind::FailedToStart)
        exit = ExitStatus::outputLost(exit, lost);
    send(agent::Finished { task, exit, f.durationMs });
}

void Agent::receiveFile(const agent::File &file)
{
    if (isShoalsFile(file.path)) // the file is here already: Shoal's folder is this one
        return;
    if (!file.last && file.bytes.isEmpty()) { // given up on: no Run comes for this attempt
        if (m_fileReceiver.isWriting(file.task))
            m_fileReceiver.abandon();
        const TaskFiles given = m_files.take(file.task); // a later attempt starts afresh
        if (m_cleanup)
            removeMoved(given.received);
        return;
    }
    TaskFiles &files = m_files[file.task];
    if (!files.error.isEmpty())
        return; // the rest of what was sent for it is not wanted
    const QString target = transferTarget(file.path);
    if (files.received.empty() || files.received.back().first != target)
        files.received.emplace_back(target, FileId());
    if (auto written = m_fileReceiver.write(file, target, true); !written) {
        files.errorCode = errno ? errno : EIO;
        files.error = written.error();
    } else if (file.last && m_fileReceiver.lastFinished().isValid()) {
        files.received.back().second = m_fileReceiver.lastFinished();
    } // else the same bytes stood there: not ours (unless another task handed it over)
}

bool Agent::admitRun(const agent::Run &run)
{
    QStringList returns = run.returns; // not those made where Shoal reads them
    returns.removeIf([this](const QString &path) { return isShoalsFile(path); });
    auto files = m_files.find(run.task);
    if (files == m_files.end()) {
        if (returns.isEmpty() && !run.cleanup)
            return true;
        files = m_files.insert(run.task, {});
    }
    files->returns = returns;
    files->cleanup = run.cleanup;
    if (files->error.isEmpty())
        return true;
    m_fileReceiver.abandon();
    send(agent::Output {
        run.task, Stream::Stderr,
        u"shoal agent on %1: --transferfile: %2\n"_s.arg(QSysInfo::machineHostName(), files->error)
            .toLocal8Bit() });
    send(agent::Finished { run.task, ExitStatus::failedToStart(files->errorCode), 0 });
    sendReturns(run.task, ExitStatus::failedToStart(files->errorCode)); // its --cleanup
    flush();
    return false;
}

ExitStatus Agent::sendReturns(TaskId task, ExitStatus exit)
{
    const TaskFiles files = m_files.take(task);
    const bool ran
        = exit.kind != ExitStatus::Kind::Cancelled && exit.kind != ExitStatus::Kind::FailedToStart;
    std::vector<std::pair<QString, FileId>> sent;
    for (const QString &path : ran ? files.returns : QStringList()) {
        const QString here = transferTarget(path);
        FileId id;
        auto read = sendFile(
            task, here,
            [this](agent::File &&part) {
                send(part);
                if (m_outBuffer.size() > 4 * agent::kOutputChunkBytes)
                    flush();
            },
            &id);
        if (read) {
            sent.emplace_back(here, id);
            continue;
        }
        const int err = errno ? errno : EIO;
        send(agent::Output {
            task, Stream::Stderr,
            u"shoal agent on %1: --return: %2\n"_s.arg(QSysInfo::machineHostName(), read.error())
                .toLocal8Bit() });
        if (exit.succeeded()) // what the task made is not all there; a failure stays itself
            exit = ExitStatus::outputLost(exit, err);
    }
    if (files.cleanup) {
        removeMoved(files.received); // Shoal has them
        if (!sent.empty()) // once Shoal has written them (Collected): they may be the only copy
            m_collecting.insert(task, std::move(sent));
    }
    return exit;
}

// Only what was moved, and only while it is still there: a later attempt of the task (a link
// lost and found again) may have put its own files under the same names. A file another live
// task was sent too (the same name, the same bytes) is left to that task to remove.
void Agent::removeMoved(const std::vector<std::pair<QString, FileId>> &moved)
{
    for (const auto &[path, id] : moved) {
        const auto handOver = [&, &path = path, &id = id] {
            for (TaskFiles &other : m_files)
                for (auto &[otherPath, otherId] : other.received)
                    if (otherPath == path && !otherId.isValid()) {
                        otherId = id;
                        return true;
                    }
            return false;
        };
        if (!handOver())
            removeIfSame(path, id);
    }
}

// Whether Shoal reads and writes this file where the agent would: in a working folder both
// see (Setup's probe), under a plain relative name. An absolute name, or one rebased (/./) or
// leaving the folder (..), may be another file on each host (a node's own /tmp).
bool Agent::isShoalsFile(const QString &path) const
{
    if (!m_sharedFolder || path.startsWith(u'/') || path.contains(u"/./"_s))
        return false;
    return !path.split(u'/').contains(u".."_s);
}

void Agent::flush()
{
    if (m_outBuffer.isEmpty())
        return;
    // Blocking: Shoal reads the link all the time, and a task's end waits for its output.
    const bool written = writeAll(m_outFd, m_outBuffer);
    m_outBuffer.clear();
    if (!written)
        end(u"cannot write the link: %1"_s.arg(errnoText()));
}

void Agent::end(const QString &why)
{
    if (std::exchange(m_ending, true)) {
        if (!why.isEmpty() && m_pool) // a signal during an orderly end: no more waiting
            m_pool->cancelAll();
        return;
    }
    if (!why.isEmpty())
        qWarning("shoal agent: %s: ending every task", qPrintable(why));
    if (m_readable)
        m_readable->setEnabled(false);
    if (!m_pool) { // from the event loop: this may run before it has started
        QMetaObject::invokeMethod(
            this, [this] { Q_EMIT finished(m_exitCode); }, Qt::QueuedConnection);
        return;
    }
    m_pool->endInputs();
    // Those admitted in the read that ended the link never reach the pool: they do not run.
    const TaskId known = TaskId(m_shoalIds.size()) - TaskId(m_pending.size());
    if (m_cleanup) // files sent for tasks whose Run will not come now
        for (auto it = m_files.begin(); it != m_files.end();) {
            if (const TaskId id = liveTask(it.key()); id >= 0 && id < known) { // its end does
                ++it;
                continue;
            }
            const TaskFiles files = *it;
            it = m_files.erase(it);
            removeMoved(files.received);
        }
    const PoolStats stats = m_pool->stats();
    if (m_service && why.isEmpty() && stats.running == 0 && stats.queued == 0
        && stats.busyWorkers == 0) {
        // The batch's orderly end (no worker still on a task, even a cancelled one): service
        // programs get EOF on stdin and finish as they would here; one that does not exit is
        // ended, so nothing stays on the host.
        QTimer::singleShot(kOrderlyEndMs, this, [this] { m_pool->cancelAll(); });
        return;
    }
    m_pool->cancelAll(); // TERM, grace, KILL for each group; finished follows
}

} // namespace shoal
