#include "localengine.h"

#include "pool.h"

#include <QThread>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

class LocalEngine::Thread : public QThread
{
public:
    explicit Thread(LocalEngine *engine)
        : m_engine(engine)
    {
        setObjectName(u"shoal-engine"_s);
    }
    int loop() { return exec(); }

protected:
    void run() override { m_engine->runEngine(); }

private:
    LocalEngine *m_engine;
};

LocalEngine::LocalEngine(PreparedBatch batch, QObject *parent)
    : EngineClient(parent)
    , m_batch(std::move(batch))
    , m_thread(std::make_unique<Thread>(this))
{
    // The engine may end by itself (its pool failed to start): closed() still waits for
    // close(), and follows it exactly once.
    connect(m_thread.get(), &QThread::finished, this, [this] {
        m_pool = nullptr;
        m_ended = true;
        if (m_closing)
            Q_EMIT closed();
    });
}

LocalEngine::~LocalEngine()
{
    close();
    m_thread->wait();
}

void LocalEngine::open()
{
    if (m_opened || m_closing)
        return;
    m_opened = true;
    m_thread->start(); // from here on only the engine thread touches m_batch
}

void LocalEngine::close()
{
    if (m_closing)
        return;
    m_closing = true;
    m_abandoned->store(true); // a start still waiting on hosts gives up
    m_pool = nullptr; // nothing more is posted to it
    if (!m_opened || m_ended) { // nothing runs (any more): say so from the event loop
        QMetaObject::invokeMethod(this, &EngineClient::closed, Qt::QueuedConnection);
        return;
    }
    m_thread->quit(); // also ends an exec() that has not begun yet
}

bool LocalEngine::isClosed() const
{
    return m_closing && (!m_opened || m_ended);
}

void LocalEngine::runEngine()
{
    PreparedBatch batch = std::move(*m_batch);
    Pool pool(std::move(batch.command), std::move(batch.inputs), std::move(batch.options));
    connect(&pool, &Pool::eventsReady, this, &EngineClient::eventsReady); // queued to us
    pool.setAbandonFlag(m_abandoned);
    auto result = pool.start();
    if (!result) {
        QMetaObject::invokeMethod(this, [this, error = result.error()] { Q_EMIT failed(error); });
        return;
    }
    QMetaObject::invokeMethod(this, [this, p = &pool, snapshot = pool.snapshot(true)] {
        if (m_closing)
            return; // closed meanwhile
        m_pool = p;
        Q_EMIT opened(snapshot);
    });
    m_thread->loop();
    // ~Pool ends every running task here, in the thread that spawned them.
}

template<typename Fn> void LocalEngine::post(Fn fn)
{
    if (Pool *pool = m_pool)
        QMetaObject::invokeMethod(pool, [pool, fn = std::move(fn)] { fn(*pool); });
}

template<typename Read, typename Deliver> quint64 LocalEngine::ask(Read read, Deliver deliver)
{
    const quint64 request = nextRequest();
    post([this, request, read = std::move(read), deliver = std::move(deliver)](Pool &pool) {
        // Delivered only while this object lives: its destructor waits for this thread.
        QMetaObject::invokeMethod(
            this, [this, request, deliver, value = read(pool)] { deliver(this, request, value); });
    });
    return request;
}

void LocalEngine::pause()
{
    post([](Pool &pool) { pool.pause(); });
}

void LocalEngine::resume()
{
    post([](Pool &pool) { pool.resume(); });
}

void LocalEngine::resize(int workers, DrainPolicy policy)
{
    post([workers, policy](Pool &pool) { pool.resizeWith(workers, policy); });
}

void LocalEngine::resizeHost(const QString &host, int workers, DrainPolicy policy)
{
    // An unknown host comes back as the pool's message.
    post([host, workers, policy](Pool &pool) { (void)pool.resizeHost(host, workers, policy); });
}

void LocalEngine::pauseWorker(int slot)
{
    post([slot](Pool &pool) { pool.pauseWorker(slot); });
}

void LocalEngine::resumeWorker(int slot)
{
    post([slot](Pool &pool) { pool.resumeWorker(slot); });
}

void LocalEngine::cancelWorkerTask(int slot)
{
    post([slot](Pool &pool) { pool.cancelWorkerTask(slot); });
}

void LocalEngine::cancelTask(TaskId id)
{
    post([id](Pool &pool) { pool.cancelTask(id); });
}

void LocalEngine::retryTask(TaskId id)
{
    post([id](Pool &pool) { pool.retryTask(id); });
}

void LocalEngine::cancelAll()
{
    post([](Pool &pool) { pool.cancelAll(); });
}

void LocalEngine::retryFailed()
{
    post([](Pool &pool) { pool.retryFailed(); });
}

quint64 LocalEngine::requestTaskDetails(TaskId id, int workerSlot)
{
    return ask([id, workerSlot](const Pool &pool) { return pool.taskDetails(id, workerSlot); },
               [](LocalEngine *self, quint64 request, const TaskDetails &d) {
                   Q_EMIT self->taskDetailsReady(request, d);
               });
}

quint64 LocalEngine::requestCommands(const QList<TaskId> &ids)
{
    return ask([ids](const Pool &pool) { return pool.commandsOf(ids); },
               [](LocalEngine *self, quint64 request, const QStringList &commands) {
                   Q_EMIT self->commandsReady(request, commands);
               });
}

quint64 LocalEngine::requestSnapshot()
{
    return ask([](const Pool &pool) { return pool.snapshot(true); },
               [](LocalEngine *self, quint64 request, const PoolSnapshot &snapshot) {
                   Q_EMIT self->snapshotReady(request, snapshot);
               });
}

} // namespace shoal
