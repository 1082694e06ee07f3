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
    // The points with x >= fromX, at most about maxPoints of them (every k-th of all points
    // appended, k a power of two, so that redraws keep the same ones; the last always kept;
    // 0: all). Where two points lie more than gapX apart (gapX > 0), the line drops to 0
    // across the gap instead of a long diagonal: nothing was sampled there (an idle pool, a
    // finished batch before a retry).
    QList<QPointF> points(double fromX, qsizetype maxPoints, double gapX = 0) const;
    // The largest y among points with x >= fromX (0 when none).
    double maxY(double fromX) const;
    QPointF last() const;

private:
    const QPointF &at(qsizetype i) const; // 0: the oldest point

    std::vector<QPointF> m_ring;
    qsizetype m_head = 0; // where the next point goes
    qsizetype m_size = 0;
    qint64 m_appended = 0; // points ever appended: thinning picks by this number, so that the
                           // same points stay drawn as new ones arrive
};

} // namespace shoal
