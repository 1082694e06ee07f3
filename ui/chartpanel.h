#pragma once

#include "enginefeed.h"
#include "rollingseries.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

#include <array>
#include <vector>

class QChart;
class QChartView;
class QLineSeries;
class QAreaSeries;
class QValueAxis;

namespace shoal {

// Live charts of a running batch: queue depth, throughput and busy workers over a rolling
// window, and a histogram of task durations. Samples go into fixed rings; the series are
// replaced in one call per redraw, at most about ten times a second and only while visible.
class ChartPanel : public QWidget
{
    Q_OBJECT
public:
    enum Chart { QueueChart, ThroughputChart, WorkersChart, DurationChart, ChartCount };

    explicit ChartPanel(QWidget *parent = nullptr);
    ~ChartPanel() override;

    void setWindowSeconds(int seconds);
    int windowSeconds() const { return m_windowSeconds; }
    void clear();
    void addFrame(const shoal::Frame &frame);

    bool exportPng(Chart chart, const QString &path);
    QChartView *chartView(Chart chart) const { return m_charts[size_t(chart)].view; }
    QLineSeries *series(Chart chart) const { return m_charts[size_t(chart)].series; }
    int redrawCount() const { return m_redraws; }
    static QString titleOf(Chart chart);

    static constexpr int kMinRedrawIntervalMs = 100;

protected:
    void showEvent(QShowEvent *event) override;
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    struct ChartParts
    {
        QChart *chart = nullptr;
        QChartView *view = nullptr;
        QLineSeries *series = nullptr;
        QValueAxis *x = nullptr;
        QValueAxis *y = nullptr;
        double unit = 1; // y values are shown divided by it: 1, 1e3 ("k") or 1e6 ("M")
    };

    void buildChart(Chart chart);
    QString hoverText(Chart chart, const QPointF &point) const; // what a hovered point says
    void scheduleRedraw();
    void redraw();
    void redrawHistogram();
    void applyPalette();
    void exportWithDialog(Chart chart);
    void resetRings();

    std::array<ChartParts, ChartCount> m_charts;
    QLineSeries *m_sizeSeries = nullptr; // target pool size, beside the busy workers
    QAreaSeries *m_histogramArea = nullptr;
    int m_windowSeconds = 300;
    RollingSeries m_queue { 1 }, m_rate { 1 }, m_busy { 1 }, m_size { 1 };
    std::vector<quint32> m_durationsMs; // every ended task's: 4 bytes a task
    struct Histogram
    {
        double fromSeconds = 0;
        double binSeconds = 0;
        std::vector<int> counts;
    } m_histogram; // as last drawn
    double m_nowSeconds = 0;
    bool m_dirty = false;
    bool m_histogramDirty = false;
    QTimer m_redrawTimer;
    QElapsedTimer m_histogramClock;
    int m_redraws = 0;
};

} // namespace shoal
