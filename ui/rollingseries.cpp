#include "rollingseries.h"

namespace shoal {

RollingSeries::RollingSeries(qsizetype capacity)
    : m_ring(size_t(qMax<qsizetype>(1, capacity)))
{
}

void RollingSeries::append(QPointF point)
{
    m_ring[size_t(m_head)] = point;
    m_head = (m_head + 1) % capacity();
    m_size = qMin(m_size + 1, capacity());
}

void RollingSeries::clear()
{
    m_head = 0;
    m_size = 0;
}

QList<QPointF> RollingSeries::points() const
{
    QList<QPointF> out;
    out.reserve(m_size);
    const qsizetype start = (m_head - m_size + capacity()) % capacity();
    for (qsizetype i = 0; i < m_size; ++i)
        out.append(m_ring[size_t((start + i) % capacity())]);
    return out;
}

double RollingSeries::maxY(double fromX) const
{
    double max = 0;
    for (qsizetype i = 0; i < m_size; ++i) {
        const QPointF &p = m_ring[size_t((m_head - 1 - i + 2 * capacity()) % capacity())];
        if (p.x() < fromX)
            break; // older points only from here
        max = qMax(max, p.y());
    }
    return max;
}

QPointF RollingSeries::last() const
{
    return m_size ? m_ring[size_t((m_head - 1 + capacity()) % capacity())] : QPointF();
}

} // namespace shoal
