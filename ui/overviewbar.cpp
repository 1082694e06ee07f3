#include "overviewbar.h"

#include "humanformat.h"
#include "statecolors.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QStyle>
#include <QStyleOptionProgressBar>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

// The batch's progress with its failures on it: the failed share of the finished part is drawn
// in red at the end of the bar's chunk, so that 5 failures in 300 look like 5 in 300.
class BatchProgressBar : public QProgressBar
{
public:
    using QProgressBar::QProgressBar;

    void setFailed(qint64 failed, qint64 total)
    {
        const double share = total > 0 ? double(failed) / double(total) : 0.0;
        if (share != m_failedShare) {
            m_failedShare = share;
            update();
        }
    }

protected:
    // The style's groove and chunk, the failed share over the chunk's end, then the label on
    // top of both (it stays readable when everything failed).
    void paintEvent(QPaintEvent *) override
    {
        QStyleOptionProgressBar option;
        initStyleOption(&option);
        QPainter painter(this);
        style()->drawControl(QStyle::CE_ProgressBarGroove, &option, &painter, this);
        style()->drawControl(QStyle::CE_ProgressBarContents, &option, &painter, this);
        const QRect contents
            = style()->subElementRect(QStyle::SE_ProgressBarContents, &option, this);
        if (m_failedShare > 0 && maximum() > minimum()) {
            const double done = double(value() - minimum()) / double(maximum() - minimum());
            const int end = int(contents.width() * done);
            const int width = qMin(end, qMax(2, int(contents.width() * m_failedShare)));
            QColor red = taskStateForeground(TaskState::Failed, palette());
            red.setAlpha(220);
            const QRect failed(contents.left() + end - width, contents.top(), width,
                               contents.height());
            painter.fillRect(QStyle::visualRect(layoutDirection(), contents, failed), red);
        }
        style()->drawControl(QStyle::CE_ProgressBarLabel, &option, &painter, this);
    }

private:
    double m_failedShare = 0;
};

void OverviewBar::addDrainPolicies(QComboBox *combo)
{
    const struct
    {
        DrainPolicy policy;
        QString name, explanation;
    } policies[] = {
        { DrainPolicy::Finish, tr("Let running tasks finish"),
          tr("Surplus workers finish the task they run, then leave.") },
        { DrainPolicy::Requeue, tr("Requeue running tasks"),
          tr("Surplus workers stop now; their tasks go back to the front of the queue, "
             "without using up an attempt.") },
        { DrainPolicy::Pause, tr("Park workers"),
          tr("Surplus workers are stopped with their tasks (SIGSTOP) and continue when the "
             "pool grows again.") },
    };
    for (const auto &p : policies) {
        combo->addItem(p.name, int(p.policy));
        combo->setItemData(combo->count() - 1, p.explanation, Qt::ToolTipRole);
    }
}

QProgressBar *OverviewBar::progressBar() const
{
    return m_progress;
}

namespace {
constexpr int kMaxWorkers = 1024;
constexpr int kSliderMinimumTop = 64;
} // namespace

OverviewBar::OverviewBar(QWidget *parent)
    : QWidget(parent)
{
    createWidgets();
    layOut();
    connectControls();
    setActive(false);
}

void OverviewBar::createWidgets()
{
    m_progress = new BatchProgressBar(this);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setTextVisible(true);
    m_progress->setMinimumWidth(220);
    // The counts and the rate wrap rather than widen the bar past a small window: the
    // controls beside them keep their room.
    m_counts = new QLabel(this);
    m_counts->setTextFormat(Qt::PlainText);
    m_counts->setWordWrap(true);
    m_rate = new QLabel(this);
    m_rate->setTextFormat(Qt::PlainText);
    m_rate->setWordWrap(true);

    m_pauseButton
        = new QPushButton(style()->standardIcon(QStyle::SP_MediaPause), tr("Pause"), this);
    m_pauseButton->setToolTip(tr("Pause or resume the whole pool (Space)"));
    m_workerSpin = new QSpinBox(this);
    m_workerSpin->setRange(0, kMaxWorkers);
    m_workerSpin->setKeyboardTracking(false);
    m_workerSpin->setToolTip(tr("Number of workers; the pool resizes live"));
    m_workerSlider = new QSlider(Qt::Horizontal, this);
    m_workerSlider->setRange(0, kSliderMinimumTop);
    m_workerSlider->setMinimumWidth(60);
    m_drainCombo = new QComboBox(this);
    addDrainPolicies(m_drainCombo);
    m_drainCombo->setToolTip(tr("What surplus workers do when the pool shrinks"));
    m_cancelButton
        = new QPushButton(style()->standardIcon(QStyle::SP_DialogCancelButton), tr("Cancel"), this);
    m_cancelButton->setToolTip(
        tr("Cancel the batch: queued tasks are dropped, running ones ended"));
    m_retryButton = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload),
                                    tr("Retry failed"), this);
}

// Progress and counts on the left; the controls, then the rate, on the right.
void OverviewBar::layOut()
{
    auto *sizeLabel = new QLabel(tr("Workers:"), this);
    sizeLabel->setBuddy(m_workerSpin);
    auto *drainLabel = new QLabel(tr("on shrink:"), this);
    drainLabel->setBuddy(m_drainCombo);

    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(8, 6, 8, 6);
    grid->setHorizontalSpacing(10);
    grid->setVerticalSpacing(2);
    grid->addWidget(m_progress, 0, 0);
    grid->addWidget(m_counts, 1, 0);
    auto *controls = new QHBoxLayout;
    controls->setSpacing(6);
    controls->addWidget(m_pauseButton);
    controls->addSpacing(8);
    controls->addWidget(sizeLabel);
    controls->addWidget(m_workerSpin);
    controls->addWidget(m_workerSlider);
    controls->addWidget(drainLabel);
    controls->addWidget(m_drainCombo);
    controls->addSpacing(8);
    controls->addWidget(m_cancelButton);
    controls->addWidget(m_retryButton);
    grid->addLayout(controls, 0, 1);
    grid->addWidget(m_rate, 1, 1);
    grid->setColumnStretch(0, 1);
}

void OverviewBar::connectControls()
{
    m_resizeTimer.setSingleShot(true);
    m_resizeTimer.setInterval(kResizeSettleMs);
    connect(&m_resizeTimer, &QTimer::timeout, this, [this] {
        if (m_pendingSize >= 0)
            Q_EMIT resizeRequested(std::exchange(m_pendingSize, -1), drainPolicy());
    });
    connect(m_pauseButton, &QPushButton::clicked, this, [this] {
        if (m_paused)
            Q_EMIT resumeRequested();
        else
            Q_EMIT pauseRequested();
    });
    connect(m_workerSpin, &QSpinBox::valueChanged, this, [this](int n) {
        const QSignalBlocker block(m_workerSlider);
        m_workerSlider->setMaximum(qMax(m_workerSlider->maximum(), n));
        m_workerSlider->setValue(n);
        requestResize(n);
    });
    connect(m_workerSlider, &QSlider::valueChanged, this, [this](int n) {
        const QSignalBlocker block(m_workerSpin);
        m_workerSpin->setValue(n);
        requestResize(n);
    });
    connect(m_cancelButton, &QPushButton::clicked, this, &OverviewBar::cancelRequested);
    connect(m_retryButton, &QPushButton::clicked, this, &OverviewBar::retryFailedRequested);
}

void OverviewBar::requestResize(int workers)
{
    m_pendingSize = workers;
    m_resizeTimer.start();
}

void OverviewBar::setActive(bool active)
{
    for (QWidget *w :
         std::initializer_list<QWidget *> { m_pauseButton, m_workerSpin, m_workerSlider,
                                            m_drainCombo, m_cancelButton, m_retryButton })
        w->setEnabled(active);
    if (!active) {
        m_progress->setRange(0, 1);
        m_progress->setValue(0);
        m_progress->setFormat(tr("No batch"));
        m_progress->setFailed(0, 0);
        m_progress->setPalette(palette());
        m_counts->setText(tr("Start a new batch (Ctrl+N) or open a batch file (Ctrl+O)."));
        m_rate->clear();
    }
}

void OverviewBar::setStarting()
{
    setActive(false);
    m_progress->setFormat(tr("Starting…"));
    m_counts->setText(tr("Starting the workers…"));
}

void OverviewBar::setDrainPolicy(DrainPolicy policy)
{
    m_drainCombo->setCurrentIndex(m_drainCombo->findData(int(policy)));
}

DrainPolicy OverviewBar::drainPolicy() const
{
    return DrainPolicy(m_drainCombo->currentData().toInt());
}

void OverviewBar::setWorkerControls(int workers)
{
    // The user's pending choice wins over the engine's last word until it reaches the engine.
    if (m_pendingSize >= 0 || m_workerSpin->hasFocus() || m_workerSlider->isSliderDown())
        return;
    const QSignalBlocker blockSpin(m_workerSpin);
    const QSignalBlocker blockSlider(m_workerSlider);
    m_workerSpin->setValue(workers);
    m_workerSlider->setMaximum(qMax(kSliderMinimumTop, workers * 2));
    m_workerSlider->setValue(workers);
}

QString OverviewBar::countsText() const
{
    return m_counts->text();
}

void OverviewBar::setStats(const PoolStats &s)
{
    const qint64 done = s.ended();
    // QProgressBar holds ints: scale very large batches down.
    const int scale = s.total > 1'000'000'000 ? 1000 : 1;
    m_progress->setRange(0, int(qMax<qint64>(1, s.total / scale)));
    m_progress->setValue(int(s.total ? done / scale : 1));
    QString format
        = u"%1% · %2 of %3"_s.arg(s.total ? done * 100 / s.total : 100).arg(done).arg(s.total);
    if (s.failed)
        format += tr(" · %1 failed").arg(s.failed);
    if (s.paused)
        format += tr(" · paused");
    m_progress->setFormat(format);
    // The bar says what the text says: amber while paused, the failed share in red.
    QPalette palette = this->palette(); // the window's, which the bar would inherit
    if (s.paused)
        palette.setColor(QPalette::Highlight, taskStateForeground(TaskState::Paused, palette));
    m_progress->setPalette(palette);
    m_progress->setFailed(s.total / scale ? s.failed / scale : 0, s.total / scale);
    // Running, paused and parked apart: a paused pool runs nothing.
    QString counts = tr("%1 succeeded · %2 failed · %3 running")
                         .arg(s.succeeded)
                         .arg(s.failed)
                         .arg(s.running - s.pausedTasks);
    if (s.pausedTasks)
        counts += tr(" · %1 paused").arg(s.pausedTasks);
    counts += tr(" · %1 queued").arg(s.queued);
    if (s.cancelled)
        counts += tr(" · %1 cancelled").arg(s.cancelled);
    if (s.parkedWorkers == 1)
        counts += tr(" · 1 worker parked");
    else if (s.parkedWorkers > 1)
        counts += tr(" · %1 workers parked").arg(s.parkedWorkers);
    m_counts->setText(counts);

    m_finished = s.total == done;
    m_paused = s.paused;
    m_failed = s.failed;
    QString rate;
    if (m_finished)
        rate = tr("Finished in %1").arg(formatClock(double(s.timeMs) / 1000.0));
    else if (s.paused)
        rate = tr("Paused · elapsed %1").arg(formatClock(double(s.timeMs) / 1000.0));
    else
        rate = tr("%1 tasks/s · ETA %2 · elapsed %3")
                   .arg(s.throughput, 0, 'f', s.throughput < 10 ? 1 : 0)
                   .arg(formatClock(s.etaSeconds), formatClock(double(s.timeMs) / 1000.0));
    m_rate->setText(rate);

    m_pauseButton->setText(s.paused ? tr("Resume") : tr("Pause"));
    m_pauseButton->setIcon(
        style()->standardIcon(s.paused ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
    m_pauseButton->setEnabled(!m_finished);
    m_cancelButton->setEnabled(!m_finished);
    m_retryButton->setEnabled(s.failed > 0);
    m_workerSpin->setEnabled(!m_finished);
    m_workerSlider->setEnabled(!m_finished);
    m_drainCombo->setEnabled(!m_finished);
    setWorkerControls(s.workers);
}

} // namespace shoal
