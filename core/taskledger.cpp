#include "taskledger.h"

namespace shoal {

TaskId TaskLedger::add(qint64 seq)
{
    const TaskId id = TaskId(m_records.size());
    if (m_plainSeqs && seq != id + 1) { // the first task past what a --resume skipped
        m_plainSeqs = false;
        m_seqs.reserve(m_records.size() + 1);
        for (TaskId earlier = 0; earlier < id; ++earlier)
            m_seqs.push_back(earlier + 1);
    }
    if (!m_plainSeqs)
        m_seqs.push_back(seq);
    m_records.emplace_back();
    m_queue.push_back(id);
    return id;
}

TaskId TaskLedger::takeNext()
{
    while (!m_queue.empty()) {
        const TaskId id = m_queue.front();
        m_queue.pop_front();
        if (isWaiting(m_records[size_t(id)].state))
            return id;
    }
    return -1;
}

void TaskLedger::begin(TaskId id, int slot, qint64 nowMs)
{
    Record &t = m_records[size_t(id)];
    ++t.attempts;
    t.slot = slot;
    t.state = TaskState::Running;
    t.startedMs = nowMs;
    ++m_running;
}

TaskState TaskLedger::settle(TaskId id, const ExitStatus &exit, bool mayRetry, RetryAt retryAt)
{
    Record &t = m_records[size_t(id)];
    if (isRunning(t.state))
        --m_running;
    t.exit = exit;
    const bool ok = exit.succeeded();
    const bool cancelled = exit.kind == ExitStatus::Kind::Cancelled;
    if (!ok && !cancelled && mayRetry && t.attempts < m_maxAttempts) {
        t.state = TaskState::Retrying;
        if (retryAt == RetryAt::Front)
            m_queue.push_front(id);
        else
            m_queue.push_back(id);
    } else if (ok) {
        t.state = TaskState::Succeeded;
        ++m_succeeded;
    } else if (cancelled) {
        t.state = TaskState::Cancelled;
        ++m_cancelled;
    } else {
        t.state = exit.kind == ExitStatus::Kind::TimedOut ? TaskState::TimedOut : TaskState::Failed;
        ++m_failed;
    }
    return t.state;
}

void TaskLedger::requeue(TaskId id)
{
    Record &t = m_records[size_t(id)];
    if (!isRunning(t.state))
        return;
    --t.attempts;
    t.state = TaskState::Queued;
    --m_running;
    m_queue.push_front(id);
}

bool TaskLedger::reopen(TaskId id)
{
    Record &t = m_records[size_t(id)];
    switch (t.state) {
    case TaskState::Failed:
    case TaskState::TimedOut:
        --m_failed;
        break;
    case TaskState::Cancelled:
        --m_cancelled;
        break;
    default:
        return false;
    }
    t.state = TaskState::Queued;
    t.attempts = 0;
    t.exit = {};
    m_queue.push_back(id);
    return true;
}

} // namespace shoal
