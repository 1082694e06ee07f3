#pragma once

#include "batchfile.h"
#include "enginefeed.h"
#include "poolthread.h"

#include <QObject>

namespace shoal {

// One batch the window runs: its spec, its pool in the engine thread and the feed that turns
// the pool's events into frames. Reads go to the engine thread and wait for it (they are
// small); controls are queued and never wait. Destroying the session ends the pool.
class BatchSession : public QObject
{
    Q_OBJECT
public:
    BatchSession(BatchSpec spec, QString filePath, QObject *parent = nullptr);
    ~BatchSession() override;

    // Prepares the spec (an error: nothing starts), then starts its pool in the engine thread:
    // started (with the state to render first) or failed follows.
    Result<void> start();
    bool isStarted() const { return m_started; }
    void stop(); // ends the pool now (its running tasks get the termination sequence)

    const BatchSpec &spec() const { return m_spec; }
    QString filePath() const { return m_filePath; }
    void setFilePath(const QString &path) { m_filePath = path; }
    QString displayName() const;
    EngineFeed *feed() { return &m_feed; }
    QString inputOf(TaskId id) const { return m_inputs.value(qsizetype(id)); }
    InputList inputs() const { return m_inputs; }
    qint64 wallStartMs() const; // the pool clock's zero, as epoch ms (the joblog's Starttime)

    PoolSnapshot snapshot() const;
    PoolStats stats() const;
    bool isRunning() const; // started and not every task is terminal
    QString commandOf(TaskId id) const;
    QStringList commandsOf(const QList<TaskId> &ids) const; // one round trip for many
    QByteArray taskOutput(TaskId id, int which) const;
    // What the process on a slot has written so far (which: 1 stdout, 2 stderr); for a service
    // worker, its stderr since it started.
    QByteArray workerOutput(int slot, int which, qint64 maxBytes = 64 * 1024) const;

    void pause();
    void resume();
    void resize(int workers, DrainPolicy policy);
    void pauseWorker(int slot);
    void resumeWorker(int slot);
    void cancelWorkerTask(int slot);
    void cancelTask(TaskId id);
    void retryTask(TaskId id);
    void cancelAll();
    void retryFailed();

Q_SIGNALS:
    void started(const shoal::PoolSnapshot &snapshot);
    void failed(const QString &error);

private:
    BatchSpec m_spec;
    QString m_filePath;
    InputList m_inputs;
    PoolThread m_engine;
    EngineFeed m_feed;
    bool m_started = false;
};

} // namespace shoal
