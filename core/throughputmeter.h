#pragma once

#include <QtGlobal>

#include <deque>
#include <utility>

namespace shoal {

// Tasks finished per second over a sliding window (the last few seconds), from samples of
// the finished count, and the time the remaining tasks would take at that rate.
class ThroughputMeter
{
public:
    explicit ThroughputMeter(qint64 windowMs = 5000)
        : m_windowMs(windowMs)
    {
    }

    // `finished` tasks in all at time `ms` (non-decreasing).
    void sample(qint64 ms, qint64 finished)
    {
        m_samples.emplace_back(ms, finished);
        while (m_samples.size() > 2 && m_samples.front().first < ms - m_windowMs)
            m_samples.pop_front();
    }
    double perSecond() const
    {
        if (m_samples.size() < 2)
            return 0;
        const auto &[t0, n0] = m_samples.front();
        const auto &[t1, n1] = m_samples.back();
        return t1 > t0 ? double(n1 - n0) * 1000.0 / double(t1 - t0) : 0;
    }
    // Seconds until `remaining` tasks are done at the current rate: 0 when none remain, -1
    // when the rate is unknown.
    double etaSeconds(qint64 remaining) const
    {
        if (remaining == 0)
            return 0;
        const double rate = perSecond();
        return rate > 0 ? double(remaining) / rate : -1;
    }

private:
    qint64 m_windowMs;
    std::deque<std::pair<qint64, qint64>> m_samples; // (ms, finished count)
};

} // namespace shoal
