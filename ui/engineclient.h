#pragma once

#include "events.h"

#include <QList>
#include <QObject>
#include <QStringList>

namespace shoal {

// The window's one way to an engine, wherever that engine runs: a thread of this process
// today (LocalEngine), a control socket when attaching (a later step). Nothing here waits:
// commands are posted, and each read returns a request number that its answer carries, so
// that a view drops answers it no longer wants (hotspot's JobTracker does the same for its
// parsers). Events arrive in the engine's batches, in seq order, after opened().
class EngineClient : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    // Opens the link; opened (with the state to render first) or failed follows.
    virtual void open() = 0;
    // Ends the link. An engine this process owns ends its pool: running tasks get their stop
    // sequence (TERM, grace, KILL) in the engine's thread, never in the caller's. closed()
    // follows once nothing of the engine is left running, exactly once, and never before
    // close() (an engine that ends by itself, as one that failed to start, waits for it).
    virtual void close() = 0;
    virtual bool isClosed() const = 0;

    virtual void pause() = 0;
    virtual void resume() = 0;
    virtual void resize(int workers, DrainPolicy policy) = 0;
    // One worker host's workers (its name as the workers table shows it).
    virtual void resizeHost(const QString &host, int workers, DrainPolicy policy) = 0;
    virtual void pauseWorker(int slot) = 0;
    virtual void resumeWorker(int slot) = 0;
    virtual void cancelWorkerTask(int slot) = 0;
    virtual void cancelTask(TaskId id) = 0;
    virtual void retryTask(TaskId id) = 0;
    virtual void cancelAll() = 0;
    virtual void retryFailed() = 0;

    // workerSlot > 0 also asks for the stderr of that service worker.
    virtual quint64 requestTaskDetails(TaskId id, int workerSlot) = 0;
    virtual quint64 requestCommands(const QList<TaskId> &ids) = 0;
    virtual quint64 requestSnapshot() = 0;

    // An engine in another process (attached): whether its link is up, and asking for it again
    // after linkLost (reconnected, with resynced or the missed events, follows; or linkLost).
    virtual bool isRemote() const { return false; }
    virtual void reconnect() { }

Q_SIGNALS:
    void opened(const shoal::PoolSnapshot &snapshot);
    void failed(const QString &error);
    void eventsReady(const QList<shoal::Event> &events);
    void closed();
    // An attached engine's link ended (its run may go on); what was shown stays.
    void linkLost(const QString &reason);
    // The state to render again from scratch (a watcher that fell behind, or reconnected late):
    // events with a larger seq follow.
    void resynced(const shoal::PoolSnapshot &snapshot);

    void taskDetailsReady(quint64 request, const shoal::TaskDetails &details);
    void commandsReady(quint64 request, const QStringList &commands);
    void snapshotReady(quint64 request, const shoal::PoolSnapshot &snapshot);

protected:
    quint64 nextRequest() { return ++m_lastRequest; }

private:
    quint64 m_lastRequest = 0;
};

} // namespace shoal
