#pragma once

#include "events.h"

#include <QObject>
#include <QStringList>
#include <QTimer>

#include <map>
#include <memory>
#include <set>
#include <vector>

namespace shoal {

// A change of one task outside a batch of starts and ends: a requeue (drain, retry), a pause,
// a resume.
struct TaskChange
{
    enum class Kind : quint8 { Requeued, Paused, Resumed };
    Kind kind = Kind::Requeued;
    TaskId task = -1;
    int slot = 0; // Requeued: 0 for a retry (a fresh start), the worker for a drain
    TaskState state = TaskState::Queued;
};

// A frame's task updates, in engine order: a batch of task starts and ends as the engine sent
// it (shared, not copied or unpacked: a million tasks cost the window no memory to pass on), or
// one TaskChange.
struct TaskUpdate
{
    std::shared_ptr<const TaskBatch> batch; // when set, change is unused
    qint64 timeMs = 0; // the batch's: when its tasks started
    TaskChange change;
};

// What changed in the pool since the last frame. Workers keep only their latest state; task
// updates keep their order (a frame's models apply them all, then signal once per range).
struct Frame
{
    std::vector<TaskUpdate> taskUpdates;
    std::vector<std::pair<TaskId, TaskId>> addedTasks; // [first, last] ranges, in order
    std::map<int, WorkerInfo> workers; // slot -> latest
    std::set<int> removedWorkers; // slots that left (a slot may also be in workers: reused)
    std::vector<PoolStats> samples; // every stats-bearing event, oldest first
    std::vector<quint32> finishedDurationsMs; // attempts that ended a task (capped at ~49 days)
    std::map<TaskId, double> progress; // service tasks' latest reported progress, 0..1
    QStringList messages;
    bool hasStats = false;
    PoolStats stats; // the latest
    bool batchFinished = false;

    bool isEmpty() const;
    // Whether any update of this frame is about task id.
    bool touches(TaskId id) const;
};

// Folds the engine's event batches into frames and hands out at most one frame per interval
// (about 100 ms), so the models and charts change a few times a second at any event rate.
// The tick is single-shot and armed by the first event after a frame: an idle pool costs
// nothing, and a slow frame stretches the interval instead of queueing ticks. A frame that
// holds kMaxFrameTasks task starts and ends goes at once: at millions of tasks a second, a
// whole interval's batches (their outputs too) would otherwise wait in memory. (It bounds
// memory; several early frames in a row are still one stretch of GUI-thread work.)
class EngineFeed : public QObject
{
    Q_OBJECT
public:
    static constexpr qsizetype kMaxFrameTasks = 32768;

    explicit EngineFeed(QObject *parent = nullptr);

    // Events up to this seq are already in the snapshot the window rendered.
    void setSnapshotSeq(quint64 seq) { m_appliedSeq = seq; }
    // A snapshot at seq replaces what the window showed: the pending frame is dropped.
    void restart(quint64 seq);
    quint64 appliedSeq() const { return m_appliedSeq; }
    void setInterval(int ms) { m_timer.setInterval(ms); }
    int interval() const { return m_timer.interval(); }
    bool hasPending() const { return !m_frame.isEmpty(); }

    void addEvents(const QList<shoal::Event> &events);
    // Emits the pending frame now (also what the tick does).
    void flush();

Q_SIGNALS:
    void frameReady(const shoal::Frame &frame);

private:
    void fold(const Event &event);
    void foldBatch(const std::shared_ptr<const TaskBatch> &batch, qint64 timeMs);

    Frame m_frame;
    qsizetype m_frameTasks = 0; // task starts and ends in m_frame's batches
    QTimer m_timer;
    quint64 m_appliedSeq = 0;
};

} // namespace shoal

Q_DECLARE_METATYPE(shoal::Frame)
