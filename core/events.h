#pragma once

#include "inputlist.h"
#include "outputcapture.h"
#include "task.h"

#include <QByteArrayView>
#include <QList>
#include <QMetaType>
#include <QString>

#include <memory>
#include <vector>

namespace shoal {

// One worker slot as a front end shows it. Slots are numbered from 1 ({%}).
struct WorkerInfo
{
    int slot = 0;
    QString host; // the worker host it runs on (-S), empty for this machine without hosts
    WorkerState state = WorkerState::Idle;
    bool parked = false; // surplus worker held by DrainPolicy::Pause
    qint64 pid = 0; // the current task's process (group leader), 0 when idle
    TaskId task = -1;
    qint64 taskStartedMs = 0; // pool clock
    qint64 taskElapsedMs = 0; // running time of the current task, pauses excluded
    int tasksDone = 0;
    int failures = 0;
    double cpuPercent = 0; // of one core, over the last stats interval
    qint64 rssBytes = 0;
};

struct PoolStats
{
    qint64 timeMs = 0;
    qint64 total = 0;
    qint64 queued = 0;
    qint64 running = 0; // started and not ended, pausedTasks included
    qint64 pausedTasks = 0; // of those, stopped: the pool or their worker paused, or parked
    qint64 succeeded = 0;
    qint64 failed = 0; // failed + timed out
    qint64 cancelled = 0;
    int workers = 0; // target size
    int busyWorkers = 0;
    int parkedWorkers = 0; // surplus workers parked (DrainPolicy::Pause), their tasks stopped
    bool paused = false;
    double throughput = 0; // tasks finished per second over the last interval
    double etaSeconds = -1; // -1: unknown

    qint64 ended() const { return succeeded + failed + cancelled; } // terminal tasks
    bool allEnded() const { return total > 0 && ended() == total; } // a batch with tasks, done
};

// One task as a front end shows it.
struct TaskInfo
{
    TaskId id = -1;
    qint64 seq = 0; // GNU's {#}: id + 1, except in resumed runs (they keep the full list's numbers)
    TaskState state = TaskState::Queued;
    int slot = 0; // worker of the latest attempt
    int attempts = 0;
    qint64 startedMs = -1; // pool clock, latest attempt
    qint64 durationMs = 0;
    ExitStatus exit;
};

// Task starts and ends, in one shape for every way of launching: service workers finish up to
// millions of tasks a second, so tasks travel in flat arrays, with all result texts in one
// buffer; a command task's captured stdout and stderr travel beside its end.
struct TaskBatch
{
    struct Started
    {
        TaskId task;
        int slot;
        int attempt;
        qint64 pid = 0; // the task's own process (one per task), 0 for a service worker's
    };
    struct Finished
    {
        TaskId task;
        int slot;
        int attempt;
        TaskState state; // terminal, or Retrying
        int captured = -1; // a command task's outputs: captured[captured]; -1 for none
        ExitStatus exit;
        qint64 durationMs;
        qsizetype offset; // the result (or error) text in outputs
        qsizetype length;
    };
    struct Progress
    {
        TaskId task;
        double value; // 0..1, as the worker reported it
    };
    // What a command task wrote: in memory, or (over OutputCapture::kInlineLimit) in its file.
    struct Captured
    {
        QByteArray out, err;
        std::shared_ptr<const SpilledOutput> outFile, errFile;
        qint64 outBytes() const { return outFile ? outFile->size() : out.size(); }
        qint64 errBytes() const { return errFile ? errFile->size() : err.size(); }
    };
    std::vector<Started> started;
    std::vector<Finished> finished;
    std::vector<Progress> progress;
    std::vector<Captured> captured;
    QByteArray outputs;

    QByteArrayView output(const Finished &f) const
    {
        return QByteArrayView(outputs).sliced(f.offset, f.length);
    }
    // The bytes a task's end delivered on stdout (the joblog's Receive column).
    qint64 receivedBytes(const Finished &f) const
    {
        return f.captured >= 0 ? captured[size_t(f.captured)].outBytes() : f.length;
    }
};

// A typed engine event. Events are published in batches (Pool::eventsReady) in seq order.
struct Event
{
    enum class Type : quint8 {
        TasksAdded, // tasks [task, lastTask] joined the batch (queued)
        TaskRequeued, // task went back to the queue without using an attempt (drain, retry)
        TaskPaused, // task frozen (pool or worker paused)
        TaskResumed,
        WorkerChanged, // worker holds the full new state of one slot
        WorkerRemoved, // slot left the pool
        PoolPaused,
        PoolResumed,
        PoolResized, // stats.workers holds the new size
        Stats, // periodic: stats, and one WorkerChanged per live worker precedes it
        Message, // text: a warning or note meant for the user (a garbage line, a halt)
        BatchFinished, // every task is terminal; stats holds the final counts
        TaskBatch, // batch: task starts, ends and progress, in order
    };

    quint64 seq = 0;
    Type type = Type::Stats;
    qint64 timeMs = 0; // pool clock: ms since start()
    TaskId task = -1;
    TaskId lastTask = -1;
    int slot = 0;
    WorkerInfo worker;
    PoolStats stats;
    QString text;
    std::shared_ptr<const TaskBatch> batch; // TaskBatch only
};

QString nameOf(Event::Type type);
// Whether events of this type carry the pool's stats (the pool's own events and Stats).
bool carriesStats(Event::Type type);

// The pool's state at one sequence number: render it, then apply events with a larger seq.
struct PoolSnapshot
{
    quint64 seq = 0;
    qint64 wallStartMs = 0; // the pool clock's zero, as epoch ms (the joblog's Starttime)
    PoolStats stats;
    std::vector<WorkerInfo> workers;
    qint64 taskCount = 0;
    // Every task by id; or, when compact, only the tasks that left their first place in the
    // queue (started, or ended), by id: every other task is queued and never started, with Seq
    // seqs[id] (id + 1 when seqs is empty). A window opening on a million queued tasks is handed
    // no million copies of "queued".
    std::vector<TaskInfo> tasks;
    bool compact = false;
    std::vector<qint64> seqs; // compact only; empty when every task's Seq is id + 1
    // Every input of the batch, shared with the engine (one buffer, about 8 bytes per input
    // beyond its text): a task's input is inputs.value(seq - 1).
    InputList inputs;
};

// What a front end shows of one task when it is selected: everything the engine holds about it
// that the events do not carry.
struct TaskDetails
{
    TaskId task = -1;
    QString command; // as a shell would read it
    QByteArray stdoutData;
    QByteArray stderrData;
    // Service batches: what the worker that ran the task has written to its stderr so far.
    QByteArray workerStderr;
};

} // namespace shoal

Q_DECLARE_METATYPE(shoal::TaskDetails)
Q_DECLARE_METATYPE(shoal::Event)
Q_DECLARE_METATYPE(QList<shoal::Event>)
Q_DECLARE_METATYPE(shoal::PoolSnapshot)
