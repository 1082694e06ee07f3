#pragma once

#include "chunkedarray.h"
#include "task.h"
#include "taskqueue.h"

#include <vector>

namespace shoal {

// Every task of a batch: its record, the queue of those waiting to run, and the counts by state.
// It is the one place that decides what the end of an attempt makes of a task (settle(): retried,
// or terminal with which state), so the command and service paths, timeouts, lost workers and
// cancels all follow the same rule.
class TaskLedger
{
public:
    // 32 bytes: a million tasks are 32 MB (their kept outputs live in KeptOutputs, their Seqs
    // apart and only when they are not id + 1).
    struct Record
    {
        qint64 startedMs = -1; // pool clock, latest attempt
        ExitStatus exit;
        quint32 durationMs = 0; // latest attempt; setDuration() saturates at 49 days
        int slot = 0; // worker of the latest attempt
        quint16 attempts = 0;
        TaskState state = TaskState::Queued;

        void setDuration(qint64 ms) { durationMs = quint32(qBound<qint64>(0, ms, UINT32_MAX)); }
    };
    static_assert(sizeof(Record) == 32);

    explicit TaskLedger(int attempts = 1)
        : m_maxAttempts(qMax(1, attempts))
    {
    }

    int maxAttempts() const { return m_maxAttempts; }
    void reserve(size_t count) { m_records.reserve(count); }
    // A new task for input seq, queued at the back.
    TaskId add(qint64 seq);
    // {#} of a task: id + 1, except in resumed runs (they keep the numbers of the full input
    // list, and skip those the joblog lists).
    qint64 seqOf(TaskId id) const { return m_plainSeqs ? id + 1 : m_seqs[size_t(id)]; }
    qint64 size() const { return qint64(m_records.size()); }
    bool contains(TaskId id) const { return id >= 0 && size_t(id) < m_records.size(); }
    Record &operator[](TaskId id) { return m_records[size_t(id)]; }
    const Record &operator[](TaskId id) const { return m_records[size_t(id)]; }
    static bool isWaiting(TaskState s)
    {
        return s == TaskState::Queued || s == TaskState::Retrying;
    }
    static bool isRunning(TaskState s) { return s == TaskState::Running || s == TaskState::Paused; }

    bool hasQueued() const { return !m_queue.empty(); }
    qint64 queuedCount() const { return qint64(m_queue.size()); }
    // The next waiting task, taken off the queue (those cancelled while they waited are
    // skipped); -1 when none waits.
    TaskId takeNext();
    void clearQueue() { m_queue.clear(); }

    // An attempt begins on slot at nowMs.
    void begin(TaskId id, int slot, qint64 nowMs);
    // The rule, written once: an attempt that failed, other than by a cancel, is retried
    // (queued at retryAt) while attempts are left
    // and mayRetry (the batch is not stopping); otherwise the task is terminal: Succeeded,
    // Cancelled, TimedOut or Failed. A waiting task can be settled too (cancelled, or failed
    // because nothing could run it). The caller sets durationMs first. Returns the new state.
    // Where a retry waits: Front (promptly, ahead of fresh work, as GNU parallel retries) or
    // Back (after the queue: a service task whose worker crashed on it goes behind the others,
    // so that one bad input cannot crash a restarted worker again and again).
    enum class RetryAt : quint8 { Front, Back };
    TaskState settle(TaskId id, const ExitStatus &exit, bool mayRetry,
                     RetryAt retryAt = RetryAt::Front);
    // A running task goes back to the front of the queue without using up its attempt: it was
    // not its fault (a drain, a worker that went away with it queued in its pipe).
    void requeue(TaskId id);
    // A failed, timed-out or cancelled task is queued again with all its attempts (Retry);
    // false for any other state.
    bool reopen(TaskId id);

    qint64 running() const { return m_running; }
    qint64 succeeded() const { return m_succeeded; }
    qint64 failed() const { return m_failed; } // failed and timed out
    qint64 cancelled() const { return m_cancelled; }
    qint64 ended() const { return m_succeeded + m_failed + m_cancelled; }
    bool allEnded() const { return ended() == size(); }

private:
    ChunkedArray<Record> m_records;
    bool m_plainSeqs = true; // every Seq is id + 1 (m_seqs is empty)
    std::vector<qint64> m_seqs;
    TaskQueue m_queue;
    int m_maxAttempts = 1;
    qint64 m_running = 0, m_succeeded = 0, m_failed = 0, m_cancelled = 0;
};

} // namespace shoal
