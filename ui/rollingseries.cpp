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
    ++m_appended;
}

void RollingSeries::clear()
{
    m_head = 0;
    m_size = 0;
    m_appended = 0;
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

const QPointF &RollingSeries::at(qsizetype i) const
{
    return m_ring[size_t((m_head - m_size + i + 2 * capacity()) % capacity())];
}

QList<QPointF> RollingSeries::points(double fromX, qsizetype maxPoints, double gapX) const
{
    qsizetype begin = m_size;
    while (begin > 0 && at(begin - 1).x() >= fromX)
        --begin;
    const qsizetype count = m_size - begin;
    qsizetype stride = 1;
    while (maxPoints > 0 && count / stride > maxPoints)
        stride *= 2;
    const qint64 firstNumber = m_appended - m_size; // the oldest point's
    QList<QPointF> out;
    out.reserve(count / stride + 2);
    for (qsizetype i = begin; i < m_size; ++i) {
        const QPointF &p = at(i);
        if (i > begin && gapX > 0 && p.x() - at(i - 1).x() > gapX) {
            const QPointF &before = at(i - 1);
            if (out.isEmpty() || out.last() != before)
                out.append(before);
            out.append({ before.x(), 0 });
            out.append({ p.x(), 0 });
            out.append(p);
        } else if ((firstNumber + i) % stride == 0 || i == m_size - 1) {
            out.append(p);
        }
    }
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
