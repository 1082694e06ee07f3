#pragma once

#include "batchrunner.h"
#include "events.h"
#include "pool.h"

#include <QThread>

#include <optional>
#include <type_traits>
#include <utility>

namespace shoal {

// Runs one Pool in a thread of its own, so that the window can never slow the engine.
// The pool is built, started and destroyed inside run(): its timers and notifiers belong to
// that thread, and its children's PR_SET_PDEATHSIG fires when the thread that spawned them
// exits, so the thread lives exactly as long as the pool does. Starting does not wait for the
// engine either (starting 64 slots takes a while): the result arrives as a signal.
class PoolThread : public QThread
{
    Q_OBJECT
public:
    explicit PoolThread(QObject *parent = nullptr);
    ~PoolThread() override; // stopPool()

    // Builds and starts the pool in the engine thread; poolStarted or poolFailed follows.
    void startPool(PreparedBatch batch);
    // Destroys the pool in its thread (ending its tasks' groups), then ends the thread.
    void stopPool();
    bool hasPool() const { return m_pool != nullptr; }

    // Runs fn(pool) in the engine thread and waits for its result: for reads. Before the pool
    // started (and after it stopped) it returns a default value.
    template<typename Fn> auto query(Fn fn) const -> std::invoke_result_t<Fn, const Pool &>
    {
        using R = std::invoke_result_t<Fn, const Pool &>;
        R result {};
        if (const Pool *pool = m_pool)
            QMetaObject::invokeMethod(
                m_pool, [&] { result = fn(*pool); }, Qt::BlockingQueuedConnection);
        return result;
    }

    // Queues fn(pool) in the engine thread without waiting: for the control slots.
    template<typename Fn> void post(Fn fn)
    {
        if (Pool *pool = m_pool)
            QMetaObject::invokeMethod(
                pool, [pool, fn = std::move(fn)] { fn(*pool); }, Qt::QueuedConnection);
    }

Q_SIGNALS:
    // Delivered in the thread that owns this object (the GUI thread). The snapshot is the pool
    // right after start(): render it, then apply events with a larger seq.
    void poolStarted(const shoal::PoolSnapshot &snapshot);
    void poolFailed(const QString &error);
    void eventsReady(const QList<shoal::Event> &events); // relayed from the pool

protected:
    void run() override;

private:
    Q_SIGNAL void poolReady(shoal::Pool *pool, const shoal::PoolSnapshot &snapshot, QPrivateSignal);

    std::optional<PreparedBatch> m_batch;
    Pool *m_pool = nullptr; // GUI thread only: set once the start is delivered
};

} // namespace shoal
