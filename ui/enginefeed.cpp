#include "enginefeed.h"

#include <algorithm>
#include <tuple>

namespace shoal {

bool Frame::isEmpty() const
{
    return taskChanges.empty() && addedTasks.empty() && workers.empty() && removedWorkers.empty()
        && samples.empty() && progress.empty() && messages.isEmpty() && !hasStats && !batchFinished;
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
    if (!m_frame.isEmpty() && !m_timer.isActive())
        m_timer.start();
}

void EngineFeed::flush()
{
    m_timer.stop();
    if (m_frame.isEmpty())
        return;
    const Frame frame = std::exchange(m_frame, {});
    Q_EMIT frameReady(frame);
}

void EngineFeed::fold(const Event &e)
{
    auto change = [&](TaskChange::Kind kind, TaskState state) {
        TaskChange c;
        c.kind = kind;
        c.task = e.task;
        c.slot = e.slot;
        c.state = state;
        c.timeMs = e.timeMs;
        m_frame.taskChanges.push_back(c);
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
            foldBatch(*e.batch, e.timeMs);
        break;
    }
}

void EngineFeed::foldBatch(const TaskBatch &batch, qint64 timeMs)
{
    // A batch lists starts and ends apart; per task, attempts order them (a task may end an
    // attempt and start the next within one batch).
    std::vector<TaskChange> changes;
    changes.reserve(batch.started.size() + batch.finished.size());
    for (const TaskBatch::Started &s : batch.started) {
        TaskChange c;
        c.kind = TaskChange::Kind::Started;
        c.task = s.task;
        c.slot = s.slot;
        c.attempt = s.attempt;
        c.state = TaskState::Running;
        c.timeMs = timeMs;
        changes.push_back(c);
    }
    for (const TaskBatch::Finished &f : batch.finished) {
        TaskChange c;
        c.kind = TaskChange::Kind::Finished;
        c.task = f.task;
        c.slot = f.slot;
        c.attempt = f.attempt;
        c.state = f.state;
        c.exit = f.exit;
        c.timeMs = timeMs;
        c.durationMs = f.durationMs;
        c.receivedBytes = batch.receivedBytes(f);
        changes.push_back(c);
        if (isTerminal(f.state) && f.attempt > 0)
            m_frame.finishedDurationsMs.push_back(f.durationMs);
    }
    std::stable_sort(changes.begin(), changes.end(), [](const TaskChange &a, const TaskChange &b) {
        const bool aStarted = a.kind == TaskChange::Kind::Started,
                   bStarted = b.kind == TaskChange::Kind::Started;
        return std::tie(a.task, a.attempt, bStarted) < std::tie(b.task, b.attempt, aStarted);
    });
    m_frame.taskChanges.insert(m_frame.taskChanges.end(), changes.begin(), changes.end());
    for (const TaskBatch::Progress &p : batch.progress)
        m_frame.progress[p.task] = p.value; // a frame keeps only the latest per task
}

} // namespace shoal
