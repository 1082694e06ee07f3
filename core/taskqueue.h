#pragma once

#include "task.h"

#include <deque>

namespace shoal {

// The pool's queue of task ids, in dispatch order. A batch queues its tasks as one run of ids
// (0..n-1), so the run is kept as a range rather than n entries: queueing a million tasks costs
// nothing and dispatching one is a counter increment. Ids put back at the front (a drain's
// requeue, a retry) or the back (a retry after a service worker crashed on it, a reopened task)
// sit in small deques around the range. Same interface and order
// as a std::deque<TaskId>.
class TaskQueue
{
public:
    bool empty() const { return m_front.empty() && m_next == m_end && m_back.empty(); }
    size_t size() const { return m_front.size() + size_t(m_end - m_next) + m_back.size(); }
    TaskId front() const
    {
        return !m_front.empty() ? m_front.front() : m_next < m_end ? m_next : m_back.front();
    }
    void pop_front()
    {
        if (!m_front.empty())
            m_front.pop_front();
        else if (m_next < m_end)
            ++m_next;
        else
            m_back.pop_front();
    }
    void push_front(TaskId id)
    {
        if (m_front.empty() && m_next < m_end && id == m_next - 1)
            --m_next; // back onto the run it came from
        else
            m_front.push_front(id);
    }
    void push_back(TaskId id)
    {
        if (m_back.empty() && (id == m_end || m_next == m_end)) {
            if (m_next == m_end)
                m_next = m_end = id; // an empty run starts here
            m_end = id + 1;
        } else {
            m_back.push_back(id);
        }
    }
    void clear()
    {
        m_front.clear();
        m_back.clear();
        m_next = m_end = 0;
    }

private:
    std::deque<TaskId> m_front;
    TaskId m_next = 0, m_end = 0; // the run [m_next, m_end)
    std::deque<TaskId> m_back;
};

} // namespace shoal
