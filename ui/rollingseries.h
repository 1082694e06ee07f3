#pragma once

#include <QList>
#include <QPointF>

#include <vector>

namespace shoal {

// A fixed-capacity ring of chart points: appending drops the oldest point once full, and
// points() gives them oldest first, ready for one QXYSeries::replace().
class RollingSeries
{
public:
    explicit RollingSeries(qsizetype capacity);

    void append(QPointF point);
    void clear();
    qsizetype size() const { return m_size; }
    qsizetype capacity() const { return qsizetype(m_ring.size()); }
    QList<QPointF> points() const;
    // The largest y among points with x >= fromX (0 when none).
    double maxY(double fromX) const;
    QPointF last() const;

private:
    std::vector<QPointF> m_ring;
    qsizetype m_head = 0; // where the next point goes
    qsizetype m_size = 0;
};

} // namespace shoal
