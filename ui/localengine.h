#pragma once

#include "batchrunner.h"
#include "engineclient.h"

#include <atomic>
#include <memory>
#include <optional>

namespace shoal {

class Pool;

// The engine in a thread of this process: the window's first EngineClient. The pool is built,
// started and destroyed inside that thread: its timers and notifiers belong there, and its
// children's PR_SET_PDEATHSIG fires when the thread that spawned them exits, so the thread
// lives exactly as long as the pool does. Commands and reads are queued to the pool; answers
// and events come back queued to this object's thread. Nothing here waits on the engine,
// except the destructor when close() was never called (a last resort, not a path).
class LocalEngine : public EngineClient
{
    Q_OBJECT
public:
    explicit LocalEngine(PreparedBatch batch, QObject *parent = nullptr);
    ~LocalEngine() override;

    void open() override;
    void close() override;
    bool isClosed() const override;

    void pause() override;
    void resume() override;
    void resize(int workers, DrainPolicy policy) override;
    void resizeHost(const QString &host, int workers, DrainPolicy policy) override;
    void pauseWorker(int slot) override;
    void resumeWorker(int slot) override;
    void cancelWorkerTask(int slot) override;
    void cancelTask(TaskId id) override;
    void retryTask(TaskId id) override;
    void cancelAll() override;
    void retryFailed() override;

    quint64 requestTaskDetails(TaskId id, int workerSlot) override;
    quint64 requestCommands(const QList<TaskId> &ids) override;
    quint64 requestSnapshot() override;

private:
    class Thread;

    void runEngine(); // the engine thread's body
    template<typename Fn> void post(Fn fn);
    // Runs read(pool) in the engine thread and delivers its result here through deliver().
    template<typename Read, typename Deliver> quint64 ask(Read read, Deliver deliver);

    std::optional<PreparedBatch> m_batch;
    std::unique_ptr<Thread> m_thread;
    Pool *m_pool = nullptr; // this object's thread only: set once opened, cleared by close()
    bool m_opened = false;
    bool m_closing = false;
    bool m_ended = false; // the engine thread has finished
    // Set by close(): ends the pool's start if it waits on worker hosts or Slurm meanwhile.
    std::shared_ptr<std::atomic<bool>> m_abandoned = std::make_shared<std::atomic<bool>>(false);
};

} // namespace shoal
