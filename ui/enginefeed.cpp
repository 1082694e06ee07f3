#include "enginefeed.h"

#include <algorithm>
#include <limits>

namespace shoal {

bool Frame::isEmpty() const
{
    return taskUpdates.empty() && addedTasks.empty() && workers.empty() && removedWorkers.empty()
        && samples.empty() && progress.empty() && messages.isEmpty() && !hasStats && !batchFinished;
}

bool Frame::touches(TaskId id) const
{
    auto in = [id](const auto &entries) {
        return std::any_of(entries.begin(), entries.end(),
                           [id](const auto &entry) { return entry.task == id; });
    };
    return std::any_of(taskUpdates.begin(), taskUpdates.end(), [&](const TaskUpdate &u) {
        return u.batch ? in(u.batch->started) || in(u.batch->finished) : u.change.task == id;
    });
}

EngineFeed::EngineFeed(QObject *parent)
    : QObject(parent)
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(100);
    connect(&m_timer, &QTimer::timeout, this, &EngineFeed::flush);
}

void EngineFeed::addEvents(const QList<Event> &events)
{
    for (const Event &e : events) {
        if (e.seq <= m_appliedSeq)
            continue; // already part of the snapshot
        m_appliedSeq = e.seq;
        fold(e);
    }
    // After the loop, not inside it: a slot of frameReady that ran a nested event loop could
    // deliver later events, and the rest of this list would then look already applied.
    if (m_frameTasks >= kMaxFrameTasks)
        flush();
    if (!m_frame.isEmpty() && !m_timer.isActive())
        m_timer.start();
}

void EngineFeed::restart(quint64 seq)
{
    m_timer.stop();
    m_frame = {};
    m_frameTasks = 0;
    m_appliedSeq = seq;
}

void EngineFeed::flush()
{
    m_timer.stop();
    if (m_frame.isEmpty())
        return;
    const Frame frame = std::exchange(m_frame, {});
    m_frameTasks = 0;
    Q_EMIT frameReady(frame);
}

void EngineFeed::fold(const Event &e)
{
    auto change = [&](TaskChange::Kind kind, TaskState state) {
        TaskUpdate u;
        u.timeMs = e.timeMs;
        u.change = { kind, e.task, e.slot, state };
        m_frame.taskUpdates.push_back(std::move(u));
    };
    auto takeStats = [&] {
        m_frame.hasStats = true;
        m_frame.stats = e.stats;
        m_frame.samples.push_back(e.stats);
    };

    switch (e.type) {
    case Event::Type::TasksAdded:
        m_frame.addedTasks.emplace_back(e.task, e.lastTask);
        break;
    case Event::Type::TaskRequeued:
        change(TaskChange::Kind::Requeued, TaskState::Queued);
        break;
    case Event::Type::TaskPaused:
        change(TaskChange::Kind::Paused, TaskState::Paused);
        break;
    case Event::Type::TaskResumed:
        change(TaskChange::Kind::Resumed, TaskState::Running);
        break;
    case Event::Type::WorkerChanged:
        m_frame.workers[e.worker.slot] = e.worker;
        break;
    case Event::Type::WorkerRemoved:
        m_frame.workers.erase(e.slot);
        m_frame.removedWorkers.insert(e.slot);
        break;
    case Event::Type::PoolPaused:
    case Event::Type::PoolResumed:
    case Event::Type::PoolResized:
    case Event::Type::Stats:
        takeStats();
        break;
    case Event::Type::BatchFinished:
        takeStats();
        m_frame.batchFinished = true;
        break;
    case Event::Type::Message:
        m_frame.messages << e.text;
        break;
    case Event::Type::TaskBatch:
        if (e.batch)
            foldBatch(e.batch, e.timeMs);
        break;
    }
}

void EngineFeed::foldBatch(const std::shared_ptr<const TaskBatch> &batch, qint64 timeMs)
{
    m_frame.taskUpdates.push_back({ batch, timeMs, {} });
    m_frameTasks += qsizetype(batch->started.size() + batch->finished.size());
    for (const TaskBatch::Finished &f : batch->finished) {
        if (isTerminal(f.state) && f.attempt > 0)
            m_frame.finishedDurationsMs.push_back(
                quint32(qBound<qint64>(0, f.durationMs, std::numeric_limits<quint32>::max())));
    }
    for (const TaskBatch::Progress &p : batch->progress)
        m_frame.progress[p.task] = p.value; // a frame keeps only the latest per task
}

} // namespace shoal
