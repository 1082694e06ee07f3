#include "chartpanel.h"
#include "rollingseries.h"
#include "testsupport.h"

#include <QAreaSeries>
#include <QChartView>
#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QLineSeries>
#include <QTemporaryDir>
#include <QTest>
#include <QToolTip>
#include <QValueAxis>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;

namespace {

Frame sampleFrame(qint64 timeMs, qint64 queued, double rate, int busy)
{
    Frame frame;
    PoolStats s;
    s.timeMs = timeMs;
    s.queued = queued;
    s.throughput = rate;
    s.busyWorkers = busy;
    s.workers = 4;
    frame.samples.push_back(s);
    frame.stats = s;
    frame.hasStats = true;
    return frame;
}

} // namespace

class TestChartPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ringKeepsTheNewestPoints()
    {
        RollingSeries ring(4);
        for (int i = 0; i < 10; ++i)
            ring.append({ double(i), double(i * 10) });
        QCOMPARE(ring.size(), 4);
        QCOMPARE(ring.points(), (QList<QPointF> { { 6, 60 }, { 7, 70 }, { 8, 80 }, { 9, 90 } }));
        QCOMPARE(ring.maxY(7.5), 90.0);
        QCOMPARE(ring.last(), QPointF(9, 90));
        ring.clear();
        QVERIFY(ring.points().isEmpty());
    }

    void ringShowsAWindowThinnedAndBrokenAtGaps()
    {
        RollingSeries ring(100);
        for (int i = 0; i < 10; ++i)
            ring.append({ double(i), 5 });
        for (int i = 30; i < 33; ++i) // a retry after 20 idle seconds
            ring.append({ double(i), 7 });
        // From x = 8: the last two points before the gap, then down to 0 across it.
        QCOMPARE(ring.points(8, 0, 2.0),
                 (QList<QPointF> {
                     { 8, 5 }, { 9, 5 }, { 9, 0 }, { 30, 0 }, { 30, 7 }, { 31, 7 }, { 32, 7 } }));
        QCOMPARE(ring.points(8, 0),
                 (QList<QPointF> { { 8, 5 }, { 9, 5 }, { 30, 7 }, { 31, 7 }, { 32, 7 } }));
        // 13 points thinned to about 3: every 4th point ever appended (a power of two), the
        // points around the gap, and the last.
        const QList<QPointF> thinned { { 0, 5 }, { 4, 5 },  { 8, 5 },  { 9, 5 },
                                       { 9, 0 }, { 30, 0 }, { 30, 7 }, { 32, 7 } };
        QCOMPARE(ring.points(0, 3, 2.0), thinned);
        // A new point leaves the earlier picks where they were: the line does not flicker.
        ring.append({ 33, 7 });
        QCOMPARE(ring.points(0, 3, 2.0).mid(0, 7), thinned.mid(0, 7));
        QVERIFY(ring.points(100, 0).isEmpty());
    }

    // View > Chart Window shows more or less of one history: it never erases it.
    void changingTheWindowKeepsTheHistory()
    {
        ChartPanel panel;
        panel.resize(800, 500);
        panel.setWindowSeconds(60);
        panel.show();
        Frame frame;
        for (int i = 0; i <= 600 * 4; ++i) { // ten minutes at 4 samples a second
            PoolStats s;
            s.timeMs = i * 250;
            s.queued = 10000 - i;
            frame.samples.push_back(s);
        }
        panel.addFrame(frame);
        QTRY_VERIFY(panel.series(ChartPanel::QueueChart)->count() > 0);
        QVERIFY(panel.series(ChartPanel::QueueChart)->at(0).x() >= 540.0);
        panel.setWindowSeconds(15 * 60);
        QTRY_COMPARE(panel.series(ChartPanel::QueueChart)->at(0).x(), 0.0);
        QCOMPARE(panel.series(ChartPanel::QueueChart)->points().last(), QPointF(600, 10000 - 2400));
        panel.setWindowSeconds(60);
        QTRY_VERIFY(panel.series(ChartPanel::QueueChart)->at(0).x() >= 540.0);
    }

    // The queue axis fits the data (200 tasks: up to 250, not 500) and labels large counts
    // in thousands or millions.
    void countAxesFitTheDataAndAbbreviate()
    {
        ChartPanel panel;
        panel.resize(800, 500);
        panel.show();
        const auto yAxis = [&panel] {
            for (QAbstractAxis *axis : panel.series(ChartPanel::QueueChart)->attachedAxes()) {
                if (axis->orientation() == Qt::Vertical)
                    return qobject_cast<QValueAxis *>(axis);
            }
            return static_cast<QValueAxis *>(nullptr);
        };
        panel.addFrame(sampleFrame(0, 200, 1, 1));
        QTRY_VERIFY(yAxis() && yAxis()->max() == 250);
        QCOMPARE(yAxis()->labelFormat(), u"%.0f"_s);
        panel.addFrame(sampleFrame(250, 1'000'000, 1, 1));
        QTRY_COMPARE(yAxis()->max(), 1.5);
        QCOMPARE(yAxis()->labelFormat(), u"%gM"_s);
        QCOMPARE(panel.series(ChartPanel::QueueChart)->points().last().y(), 1.0);
        panel.clear();
        panel.addFrame(sampleFrame(0, 150'000, 1, 1));
        QTRY_COMPARE(yAxis()->labelFormat(), u"%gk"_s);
        QCOMPARE(yAxis()->max(), 200.0);
    }

    void hoveringALineTellsItsValue()
    {
        ChartPanel panel;
        panel.resize(800, 500);
        panel.show();
        panel.addFrame(sampleFrame(0, 120, 1, 1));
        QTRY_VERIFY(panel.series(ChartPanel::QueueChart)->count() > 0);
        Q_EMIT panel.series(ChartPanel::QueueChart)->hovered(QPointF(12.0, 120), true);
        QTRY_VERIFY2(QToolTip::text().contains(u"120 queued at 12.0 s"_s),
                     qPrintable(QToolTip::text()));
        Q_EMIT panel.series(ChartPanel::QueueChart)->hovered(QPointF(12.0, 120), false);
    }

    void seriesFollowSamples()
    {
        ChartPanel panel;
        panel.resize(800, 500);
        panel.show();
        for (int i = 0; i < 20; ++i)
            panel.addFrame(sampleFrame(i * 500, 100 - i, 2.5, i % 5));
        QTRY_VERIFY(panel.redrawCount() >= 1);
        QTRY_COMPARE(panel.series(ChartPanel::QueueChart)->count(), 20);
        QCOMPARE(panel.series(ChartPanel::QueueChart)->at(19), QPointF(9.5, 81));
        QCOMPARE(panel.series(ChartPanel::ThroughputChart)->count(), 20);
        QCOMPARE(panel.series(ChartPanel::WorkersChart)->at(3).y(), 3.0);
    }

    // However long the batch, a series holds at most one window of points.
    void seriesStayBounded()
    {
        ChartPanel panel;
        panel.setWindowSeconds(60);
        panel.show();
        Frame frame;
        for (int i = 0; i < 10'000; ++i) {
            PoolStats s;
            s.timeMs = i * 100;
            s.queued = i;
            frame.samples.push_back(s);
        }
        panel.addFrame(frame);
        QTRY_VERIFY(panel.series(ChartPanel::QueueChart)->count() > 0);
        QVERIFY(panel.series(ChartPanel::QueueChart)->count() <= 60 * 4);
        QCOMPARE(panel.series(ChartPanel::QueueChart)->points().last().y(), 9999.0);
    }

    // Frames at 200/s still redraw at most about ten times a second.
    void redrawsAreRateLimited()
    {
        ChartPanel panel;
        panel.show();
        QElapsedTimer clock;
        clock.start();
        int i = 0;
        while (clock.elapsed() < 1000) {
            panel.addFrame(sampleFrame(i * 5, i, 1, 1));
            ++i;
            QTest::qWait(5);
        }
        const int redraws = panel.redrawCount();
        QVERIFY2(redraws >= 3 && redraws <= 12,
                 qPrintable(u"%1 redraws for %2 frames"_s.arg(redraws).arg(i)));
    }

    void hiddenPanelCatchesUpWhenShown()
    {
        ChartPanel panel;
        panel.addFrame(sampleFrame(500, 3, 1, 1));
        QTest::qWait(ChartPanel::kMinRedrawIntervalMs * 2);
        QCOMPARE(panel.redrawCount(), 0);
        panel.show();
        QTRY_COMPARE(panel.series(ChartPanel::QueueChart)->count(), 1);
    }

    // Bars over the durations that occur (not from 0), all of one shape, each hover telling
    // its bin.
    void histogramOfDurations()
    {
        ChartPanel panel;
        panel.resize(800, 500);
        panel.show();
        Frame frame;
        for (int i = 0; i < 1000; ++i)
            frame.finishedDurationsMs.push_back(quint32(i % 10 == 0 ? 12'000 : 10'000 + i % 50));
        panel.addFrame(frame);
        QLineSeries *series = panel.series(ChartPanel::DurationChart);
        QTRY_VERIFY(series->count() > 4);
        const QList<QPointF> outline = series->points();
        QCOMPARE(outline.size() % 4, 0); // each bar: up, across, down
        double total = 0;
        for (qsizetype i = 0; i < outline.size(); i += 4) {
            QCOMPARE(outline[i].y(), 0.0);
            QCOMPARE(outline[i + 1].y(), outline[i + 2].y());
            QCOMPARE(outline[i + 3].y(), 0.0);
            total += outline[i + 1].y();
        }
        QCOMPARE(total, 1000.0);
        auto *x = qobject_cast<QValueAxis *>(
            panel.chartView(ChartPanel::DurationChart)->chart()->axes(Qt::Horizontal).value(0));
        QVERIFY(x);
        QVERIFY2(x->min() >= 9.9 && x->min() <= 10.0, qPrintable(QString::number(x->min())));
        QVERIFY2(x->max() >= 12.0 && x->max() <= 12.2, qPrintable(QString::number(x->max())));

        // The area under the outline is what the pointer hovers.
        QAreaSeries *area = nullptr;
        for (QAbstractSeries *s : panel.chartView(ChartPanel::DurationChart)->chart()->series())
            area = area ? area : qobject_cast<QAreaSeries *>(s);
        QVERIFY(area);
        Q_EMIT area->hovered(QPointF(12.05, 3), true);
        QTRY_VERIFY2(QToolTip::text().contains(u"100 tasks took 12.0 s to 12.1 s"_s),
                     qPrintable(QToolTip::text()));
        Q_EMIT area->hovered(QPointF(12.05, 3), false);

        // Equal durations: one bar, not a sliver at the end of an empty axis.
        ChartPanel same;
        same.show();
        Frame equal;
        equal.finishedDurationsMs.assign(10, 5000);
        same.addFrame(equal);
        QTRY_COMPARE(same.series(ChartPanel::DurationChart)->count(), 4);
        QCOMPARE(same.series(ChartPanel::DurationChart)->at(1).y(), 10.0);
    }

    void exportsEachChartAsPng()
    {
        QTemporaryDir dir;
        ChartPanel panel;
        panel.resize(900, 600);
        panel.show();
        for (int i = 0; i < 40; ++i)
            panel.addFrame(sampleFrame(i * 500, 200 - i * 5, i / 4.0, 4));
        for (int c = 0; c < ChartPanel::ChartCount; ++c) {
            const QString path = dir.filePath(u"chart%1.png"_s.arg(c));
            QVERIFY(panel.exportPng(ChartPanel::Chart(c), path));
            const QImage image(path);
            QVERIFY(!image.isNull());
            QCOMPARE(image.size(),
                     panel.chartView(ChartPanel::Chart(c))->size() * panel.devicePixelRatio());
        }
    }
};

QTEST_MAIN(TestChartPanel)
#include "tst_chartpanel.moc"
