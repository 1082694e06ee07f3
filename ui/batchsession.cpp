#include "batchsession.h"

#include "batchrunner.h"

#include <QDateTime>
#include <QFileInfo>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

BatchSession::BatchSession(BatchSpec spec, QString filePath, QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
    , m_filePath(std::move(filePath))
{
    connect(&m_engine, &PoolThread::eventsReady, &m_feed, &EngineFeed::addEvents);
    connect(&m_engine, &PoolThread::poolStarted, this, [this](const PoolSnapshot &snapshot) {
        m_started = true;
        m_feed.setSnapshotSeq(snapshot.seq);
        Q_EMIT started(snapshot);
    });
    connect(&m_engine, &PoolThread::poolFailed, this, [this](const QString &error) {
        Q_EMIT failed(m_filePath.isEmpty() ? error : u"%1: %2"_s.arg(m_filePath, error));
    });
}

BatchSession::~BatchSession()
{
    stop();
}

QString BatchSession::displayName() const
{
    if (!m_spec.name.isEmpty())
        return m_spec.name;
    if (!m_filePath.isEmpty())
        return QFileInfo(m_filePath).fileName();
    return m_spec.command.join(u' ');
}

Result<void> BatchSession::start()
{
    auto prepared = prepareBatch(m_spec, m_filePath);
    if (!prepared)
        return Error { prepared.error() };
    m_inputs = prepared->inputs;
    m_engine.startPool(std::move(*prepared));
    return {};
}

void BatchSession::stop()
{
    m_engine.stopPool();
}

qint64 BatchSession::wallStartMs() const
{
    return m_engine.query([](const Pool &pool) { return pool.wallStartMs(); });
}

PoolSnapshot BatchSession::snapshot() const
{
    return m_engine.query([](const Pool &pool) { return pool.snapshot(); });
}

PoolStats BatchSession::stats() const
{
    return m_engine.query([](const Pool &pool) { return pool.stats(); });
}

bool BatchSession::isRunning() const
{
    return m_engine.query([](const Pool &pool) { return !pool.isFinished(); });
}

QString BatchSession::commandOf(TaskId id) const
{
    return m_engine.query([id](const Pool &pool) {
        return id >= 0 && id < pool.taskCount() ? pool.commandOf(id) : QString();
    });
}

QStringList BatchSession::commandsOf(const QList<TaskId> &ids) const
{
    return m_engine.query([&ids](const Pool &pool) {
        QStringList commands;
        commands.reserve(ids.size());
        for (TaskId id : ids)
            commands << (id >= 0 && id < pool.taskCount() ? pool.commandOf(id) : QString());
        return commands;
    });
}

QByteArray BatchSession::taskOutput(TaskId id, int which) const
{
    return m_engine.query([id, which](const Pool &pool) { return pool.taskOutput(id, which); });
}

QByteArray BatchSession::workerOutput(int slot, int which, qint64 maxBytes) const
{
    return m_engine.query([=](const Pool &pool) { return pool.liveOutput(slot, which, maxBytes); });
}

void BatchSession::pause()
{
    m_engine.post([](Pool &pool) { pool.pause(); });
}

void BatchSession::resume()
{
    m_engine.post([](Pool &pool) { pool.resume(); });
}

void BatchSession::resize(int workers, DrainPolicy policy)
{
    m_engine.post([workers, policy](Pool &pool) { pool.resizeWith(workers, policy); });
}

void BatchSession::pauseWorker(int slot)
{
    m_engine.post([slot](Pool &pool) { pool.pauseWorker(slot); });
}

void BatchSession::resumeWorker(int slot)
{
    m_engine.post([slot](Pool &pool) { pool.resumeWorker(slot); });
}

void BatchSession::cancelWorkerTask(int slot)
{
    m_engine.post([slot](Pool &pool) { pool.cancelWorkerTask(slot); });
}

void BatchSession::cancelTask(TaskId id)
{
    m_engine.post([id](Pool &pool) { pool.cancelTask(id); });
}

void BatchSession::retryTask(TaskId id)
{
    m_engine.post([id](Pool &pool) { pool.retryTask(id); });
}

void BatchSession::cancelAll()
{
    m_engine.post([](Pool &pool) { pool.cancelAll(); });
}

void BatchSession::retryFailed()
{
    m_engine.post([](Pool &pool) { pool.retryFailed(); });
}

} // namespace shoal
