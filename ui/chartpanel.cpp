#include "chartpanel.h"

#include "humanformat.h"

#include <QAction>
#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QEvent>
#include <QFileDialog>
#include <QGridLayout>
#include <QLineSeries>
#include <QMessageBox>
#include <QToolTip>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

constexpr int kHistogramBins = 24;
constexpr int kHistogramIntervalMs = 500;
// Stats arrive every 500 ms; other stats-bearing events (pause, resize) add a few more.
constexpr int kSamplesPerSecond = 4;
constexpr int kMaxWindowSeconds = 3600; // View > Chart Window's longest
constexpr double kGapSeconds = 2.0; // no sample for longer: nothing ran

// 1, 2 or 5 times a power of ten, at least value: steps and ranges people read at a glance.
double niceCeiling(double value)
{
    if (value <= 0)
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (double m : { 1.0, 2.0, 5.0, 10.0 }) {
        if (m * magnitude >= value)
            return m * magnitude;
    }
    return 10 * magnitude;
}

// The top of an axis: the next of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 times a power of ten (220
// queued tasks: 250, not 500).
double niceTop(double value)
{
    if (value <= 0)
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (double m : { 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0 }) {
        if (m * magnitude >= value * (1 - 1e-9))
            return m * magnitude;
    }
    return 10 * magnitude;
}

// Ticks on round numbers (multiples of a 1-2-5 step from 0), whatever the visible range.
// Axes of counts pass minStep 1: a step of 0.2 would label them 0 0 0 1 1.
void setRoundRange(QValueAxis *axis, double from, double to, int maxTicks, double minStep = 0)
{
    // Each call relays out the ticks: order them so that no intermediate state pairs a wide
    // range with a fine step (thousands of tick items).
    const double step = qMax(minStep, niceCeiling((to - from) / maxTicks));
    to = qMax(to, from + step);
    axis->setTickAnchor(0);
    if (step >= axis->tickInterval()) {
        axis->setTickInterval(step);
        axis->setRange(from, to);
    } else {
        axis->setRange(from, to);
        axis->setTickInterval(step);
    }
}

// points with y divided by unit (the axis then says "k" or "M").
QList<QPointF> scaledDown(QList<QPointF> points, double unit)
{
    if (unit != 1) {
        for (QPointF &p : points)
            p.ry() /= unit;
    }
    return points;
}

// As many x ticks as their labels ("25 s", "1.5 s") fit side by side: 6 at most.
int xTicks(const QWidget *view)
{
    return qBound(2, view->width() / 64, 6);
}

// As many y ticks as fit one above the other (a short chart with a legend: fewer).
int yTicks(const QWidget *view)
{
    return qBound(2, (view->height() - 90) / 24, 5);
}

// The y axis counts things (queued tasks, workers, tasks per bin) on every chart but throughput.
double countStep(ChartPanel::Chart chart)
{
    return chart == ChartPanel::ThroughputChart ? 0 : 1;
}

QColor seriesColor(ChartPanel::Chart chart)
{
    switch (chart) {
    case ChartPanel::QueueChart:
        return QColor(0xe6, 0x7e, 0x22);
    case ChartPanel::ThroughputChart:
        return QColor(0x34, 0x98, 0xdb);
    case ChartPanel::WorkersChart:
        return QColor(0x2e, 0xa0, 0x43);
    case ChartPanel::DurationChart:
    case ChartPanel::ChartCount:
        break;
    }
    return QColor(0x9b, 0x59, 0xb6);
}

} // namespace

ChartPanel::ChartPanel(QWidget *parent)
    : QWidget(parent)
{
    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(4);
    for (int c = 0; c < ChartCount; ++c) {
        buildChart(Chart(c));
        grid->addWidget(m_charts[size_t(c)].view, c / 2, c % 2);
    }
    resetRings();
    applyPalette();

    // Single-shot and armed by new data only: a slow redraw stretches the interval instead of
    // queueing redraws, and an idle batch costs nothing.
    m_redrawTimer.setSingleShot(true);
    m_redrawTimer.setInterval(kMinRedrawIntervalMs);
    connect(&m_redrawTimer, &QTimer::timeout, this, &ChartPanel::redraw);
}

ChartPanel::~ChartPanel() = default;

QString ChartPanel::titleOf(Chart chart)
{
    switch (chart) {
    case QueueChart:
        return tr("Queue depth");
    case ThroughputChart:
        return tr("Throughput (tasks/s)");
    case WorkersChart:
        return tr("Busy workers");
    case DurationChart:
        return tr("Task durations");
    case ChartCount:
        break;
    }
    return {};
}

QString ChartPanel::hoverText(Chart chart, const QPointF &point) const
{
    if (chart == DurationChart) { // the bin under the cursor, not the cursor's height
        const Histogram &h = m_histogram;
        const qsizetype bin = h.binSeconds > 0
            ? qsizetype(std::floor((point.x() - h.fromSeconds) / h.binSeconds))
            : -1;
        if (bin < 0 || bin >= qsizetype(h.counts.size()))
            return {};
        const double from = h.fromSeconds + double(bin) * h.binSeconds;
        return tr("%1 took %2 to %3")
            .arg(countOf(h.counts[size_t(bin)], tr("task"), tr("tasks")),
                 formatDuration(qRound64(from * 1000)),
                 formatDuration(qRound64((from + h.binSeconds) * 1000)));
    }
    const double scale = m_charts[size_t(chart)].unit;
    const QString unit = scale == 1e6 ? u"M"_s : scale == 1e3 ? u"k"_s : QString();
    // Counts are whole (the cursor's height between samples is not); rates keep a decimal.
    const QString y = (chart == ThroughputChart ? QString::number(point.y(), 'f', 1)
                                                : QString::number(qRound64(point.y())))
        + unit;
    switch (chart) {
    case QueueChart:
        return tr("%1 queued at %2 s").arg(y).arg(point.x(), 0, 'f', 1);
    case ThroughputChart:
        return tr("%1 tasks/s at %2 s").arg(y).arg(point.x(), 0, 'f', 1);
    case WorkersChart:
        return tr("%1 busy at %2 s").arg(y).arg(point.x(), 0, 'f', 1);
    case DurationChart: // above
    case ChartCount:
        break;
    }
    return {};
}

void ChartPanel::buildChart(Chart which)
{
    ChartParts &parts = m_charts[size_t(which)];
    parts.chart = new QChart;
    parts.chart->setAnimationOptions(QChart::NoAnimation);
    parts.chart->setTitle(titleOf(which));
    parts.chart->setMargins(QMargins(2, 2, 2, 2));
    parts.chart->setBackgroundRoundness(0);
    parts.chart->legend()->hide();

    parts.series = new QLineSeries(parts.chart);
    parts.x = new QValueAxis(parts.chart);
    parts.y = new QValueAxis(parts.chart);
    parts.x->setLabelFormat(which == DurationChart ? u"%.3g s"_s : u"%.0f s"_s);
    parts.y->setLabelFormat(which == ThroughputChart ? u"%.3g"_s : u"%.0f"_s);
    parts.x->setTickType(QValueAxis::TicksDynamic);
    parts.y->setTickType(QValueAxis::TicksDynamic);
    setRoundRange(parts.x, 0, which == DurationChart ? 1 : 30, 6);
    setRoundRange(parts.y, 0, which == ThroughputChart ? 1 : 4, 4, countStep(which));
    parts.chart->addAxis(parts.x, Qt::AlignBottom);
    parts.chart->addAxis(parts.y, Qt::AlignLeft);

    if (which == DurationChart) {
        m_histogramArea = new QAreaSeries(parts.series);
        parts.chart->addSeries(m_histogramArea);
        m_histogramArea->attachAxis(parts.x);
        m_histogramArea->attachAxis(parts.y);
        parts.y->setTitleText(tr("tasks"));
    } else {
        if (which == WorkersChart) {
            // The pool size first, so that the busy line is drawn over it where they meet;
            // a legend names both.
            m_sizeSeries = new QLineSeries(parts.chart);
            m_sizeSeries->setName(tr("pool size"));
            parts.series->setName(tr("busy"));
            parts.chart->addSeries(m_sizeSeries);
            m_sizeSeries->attachAxis(parts.x);
            m_sizeSeries->attachAxis(parts.y);
            parts.chart->legend()->setAlignment(Qt::AlignBottom);
            parts.chart->legend()->show();
        }
        parts.chart->addSeries(parts.series);
        parts.series->attachAxis(parts.x);
        parts.series->attachAxis(parts.y);
    }

    // Hovering a line or the histogram tells its value.
    const auto showValue = [this, which](const QPointF &point, bool entering) {
        if (entering)
            QToolTip::showText(QCursor::pos(), hoverText(which, point), this);
        else
            QToolTip::hideText();
    };
    if (which == DurationChart)
        connect(m_histogramArea, &QAreaSeries::hovered, this, showValue);
    else
        connect(parts.series, &QLineSeries::hovered, this, showValue);
    parts.view = new QChartView(parts.chart, this);
    parts.view->setRenderHint(QPainter::Antialiasing);
    parts.view->setMinimumSize(180, 150);
    parts.view->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto *exportAction = new QAction(tr("Export as PNG…"), parts.view);
    connect(exportAction, &QAction::triggered, this, [this, which] { exportWithDialog(which); });
    parts.view->addAction(exportAction);
    parts.view->setToolTip(tr("Right-click to export this chart as PNG"));
}

void ChartPanel::resetRings()
{
    // The longest window's worth: changing the window shows more or less of the same history.
    const qsizetype capacity = qsizetype(kMaxWindowSeconds) * kSamplesPerSecond;
    m_queue = RollingSeries(capacity);
    m_rate = RollingSeries(capacity);
    m_busy = RollingSeries(capacity);
    m_size = RollingSeries(capacity);
}

void ChartPanel::setWindowSeconds(int seconds)
{
    m_windowSeconds = qBound(10, seconds, kMaxWindowSeconds);
    m_dirty = true;
    scheduleRedraw();
}

void ChartPanel::clear()
{
    resetRings();
    m_durationsMs.clear();
    m_histogram = {};
    m_histogramClock.invalidate();
    m_nowSeconds = 0;
    m_dirty = m_histogramDirty = true;
    scheduleRedraw();
}

void ChartPanel::addFrame(const Frame &frame)
{
    for (const PoolStats &s : frame.samples) {
        const double t = double(s.timeMs) / 1000.0;
        m_queue.append({ t, double(s.queued) });
        m_rate.append({ t, s.throughput });
        m_busy.append({ t, double(s.busyWorkers) });
        m_size.append({ t, double(s.workers) });
        m_nowSeconds = qMax(m_nowSeconds, t);
        m_dirty = true;
    }
    if (!frame.finishedDurationsMs.empty()) {
        m_durationsMs.insert(m_durationsMs.end(), frame.finishedDurationsMs.begin(),
                             frame.finishedDurationsMs.end());
        m_histogramDirty = true;
    }
    scheduleRedraw();
}

void ChartPanel::scheduleRedraw()
{
    if ((m_dirty || m_histogramDirty) && isVisible() && !m_redrawTimer.isActive())
        m_redrawTimer.start();
}

void ChartPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    scheduleRedraw(); // catch up with what arrived while hidden
}

void ChartPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    m_dirty = m_histogramDirty = true; // the ticks follow the charts' widths
    scheduleRedraw();
}

void ChartPanel::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
}

void ChartPanel::redraw()
{
    ++m_redraws;
    if (m_dirty) {
        m_dirty = false;
        const double from = qMax(0.0, m_nowSeconds - m_windowSeconds);
        const double to = qMax(m_nowSeconds, from + 30.0);
        // A window's worth of samples at most, and no more than a chart can show.
        const qsizetype maxPoints
            = qMin<qsizetype>(1000, qsizetype(m_windowSeconds) * kSamplesPerSecond);
        const std::array<std::pair<Chart, const RollingSeries *>, 3> lines {
            { { QueueChart, &m_queue }, { ThroughputChart, &m_rate }, { WorkersChart, &m_busy } }
        };
        for (const auto &[chart, ring] : lines) {
            ChartParts &parts = m_charts[size_t(chart)];
            double top = ring->maxY(from);
            if (chart == WorkersChart)
                top = qMax(top, m_size.maxY(from));
            // Large counts in thousands or millions: "1.5M", "200k", not "1500000".
            const double unit = parts.unit = top >= 1e6 ? 1e6 : top >= 1e5 ? 1e3 : 1;
            parts.series->replace(scaledDown(ring->points(from, maxPoints, kGapSeconds), unit));
            setRoundRange(parts.x, from, to, xTicks(parts.view));
            const QString plain = chart == ThroughputChart ? u"%.3g"_s : u"%.0f"_s;
            parts.y->setLabelFormat(unit == 1e6 ? u"%gM"_s : unit == 1e3 ? u"%gk"_s : plain);
            setRoundRange(parts.y, 0, niceTop(top * 1.1) / unit, yTicks(parts.view),
                          countStep(chart) / unit);
        }
        m_sizeSeries->replace(
            scaledDown(m_size.points(from, maxPoints), m_charts[size_t(WorkersChart)].unit));
    }
    // Durations arrive with every frame; the histogram's shape changes slowly, so it is
    // redrawn at a calmer pace than the tick.
    if (m_histogramDirty
        && (!m_histogramClock.isValid() || m_histogramClock.elapsed() >= kHistogramIntervalMs)) {
        m_histogramDirty = false;
        m_histogramClock.start();
        redrawHistogram();
    }
    if (m_histogramDirty)
        scheduleRedraw();
}

void ChartPanel::redrawHistogram()
{
    ChartParts &parts = m_charts[DurationChart];
    if (m_durationsMs.empty()) {
        parts.series->clear();
        setRoundRange(parts.x, 0, 1, xTicks(parts.view));
        setRoundRange(parts.y, 0, 4, 4, 1);
        return;
    }
    const auto [shortestIt, longestIt]
        = std::minmax_element(m_durationsMs.begin(), m_durationsMs.end());
    const qint64 shortest = *shortestIt, longest = *longestIt;
    // Bins over the durations that occur, not from 0 (tasks of 10-12 s leave 0-10 s out); a
    // batch of equal durations gets one narrow bar. Whole milliseconds: a duration on a bin's
    // edge falls in the bin it starts.
    const double span = double(qMax(longest - shortest, qMax<qint64>(1, longest / 10)));
    const qint64 binMs = qMax<qint64>(1, qRound64(niceCeiling(span / kHistogramBins)));
    const qint64 first = shortest / binMs;
    const int bins = int(longest / binMs - first + 1);
    std::vector<int> counts(size_t(bins), 0);
    for (quint32 ms : m_durationsMs)
        ++counts[size_t(ms / binMs - first)];
    const double bin = double(binMs) / 1000.0;
    m_histogram = { first * bin, bin, counts };
    // Bars as one outline (down to 0 between them), so that they read as bars whatever their
    // count, without a category axis.
    const double gap = bin * 0.08;
    QList<QPointF> outline;
    outline.reserve(4 * bins);
    for (int i = 0; i < bins; ++i) {
        const double x = (first + i) * bin, count = double(counts[size_t(i)]);
        outline << QPointF(x + gap, 0) << QPointF(x + gap, count) << QPointF(x + bin - gap, count)
                << QPointF(x + bin - gap, 0);
    }
    parts.series->replace(outline);
    setRoundRange(parts.x, first * bin, (first + bins) * bin, xTicks(parts.view));
    setRoundRange(parts.y, 0, niceTop(*std::max_element(counts.begin(), counts.end()) * 1.1), 5, 1);
}

void ChartPanel::applyPalette()
{
    const QPalette pal = palette();
    const bool dark = pal.color(QPalette::Base).lightness() < 128;
    const QColor text = pal.color(QPalette::Text);
    QColor grid = pal.color(QPalette::Text);
    grid.setAlphaF(0.15f);
    QColor axisLine = pal.color(QPalette::Text);
    axisLine.setAlphaF(0.4f);
    for (int c = 0; c < ChartCount; ++c) {
        ChartParts &parts = m_charts[size_t(c)];
        parts.chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
        parts.chart->setBackgroundBrush(pal.color(QPalette::Base));
        parts.chart->setBackgroundPen(QPen(pal.color(QPalette::Mid)));
        parts.chart->setTitleBrush(text);
        QFont titleFont = font();
        titleFont.setBold(true);
        parts.chart->setTitleFont(titleFont);
        parts.chart->legend()->setLabelColor(text);
        for (QValueAxis *axis : { parts.x, parts.y }) {
            axis->setLabelsBrush(text);
            axis->setTitleBrush(text);
            axis->setGridLineColor(grid);
            axis->setLinePenColor(axisLine);
            axis->setLabelsFont(font());
        }
        const QColor color = seriesColor(Chart(c));
        if (c == DurationChart) {
            QColor fill = color;
            fill.setAlphaF(0.55f);
            m_histogramArea->setBrush(fill);
            m_histogramArea->setPen(QPen(color, 1.5));
        } else {
            parts.series->setPen(QPen(color, 2));
        }
        parts.view->setBackgroundBrush(pal.color(QPalette::Window));
    }
    QPen sizePen(pal.color(QPalette::Text), 1.2, Qt::DashLine);
    m_sizeSeries->setPen(sizePen);
}

bool ChartPanel::exportPng(Chart chart, const QString &path)
{
    if (m_dirty || m_histogramDirty) {
        m_histogramClock.invalidate();
        redraw(); // the file shows what is known now, not the last tick
    }
    return m_charts[size_t(chart)].view->grab().save(path, "PNG");
}

void ChartPanel::exportWithDialog(Chart chart)
{
    QString name = titleOf(chart).toLower();
    name = name.left(name.indexOf(u" ("_s)).replace(u' ', u'-') + u".png"_s;
    const QString path
        = QFileDialog::getSaveFileName(this, tr("Export Chart"), name, tr("PNG images (*.png)"));
    if (path.isEmpty())
        return;
    if (!exportPng(chart, path))
        QMessageBox::warning(this, tr("Export Chart"),
                             tr("Could not write the image '%1'.").arg(path));
}

} // namespace shoal
