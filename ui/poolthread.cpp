#include "poolthread.h"

using namespace Qt::Literals::StringLiterals;

namespace shoal {

PoolThread::PoolThread(QObject *parent)
    : QThread(parent)
{
    setObjectName(u"shoal-engine"_s);
    // Queued from run(): the pool becomes reachable in the GUI thread before anyone hears of it.
    connect(this, &PoolThread::poolReady, this, [this](Pool *pool, const PoolSnapshot &snapshot) {
        if (!isRunning())
            return; // stopped meanwhile
        m_pool = pool;
        Q_EMIT poolStarted(snapshot);
    });
}

PoolThread::~PoolThread()
{
    stopPool();
}

void PoolThread::startPool(PreparedBatch batch)
{
    if (isRunning()) {
        Q_EMIT poolFailed(u"this engine thread already runs a pool"_s);
        return;
    }
    m_batch = std::move(batch);
    start();
}

void PoolThread::stopPool()
{
    if (!isRunning())
        return;
    m_pool = nullptr;
    quit(); // also ends an exec() that has not begun yet
    wait();
}

void PoolThread::run()
{
    PreparedBatch batch = std::move(*m_batch);
    m_batch.reset();
    Pool pool(std::move(batch.command), std::move(batch.inputs), std::move(batch.options));
    // Relayed to this object, which lives in the GUI thread: queued.
    connect(&pool, &Pool::eventsReady, this, &PoolThread::eventsReady);
    auto result = pool.start();
    if (!result) {
        Q_EMIT poolFailed(result.error());
        return;
    }
    Q_EMIT poolReady(&pool, pool.snapshot(), QPrivateSignal());
    exec();
    // ~Pool ends every running task here, in the thread that spawned them.
}

} // namespace shoal
