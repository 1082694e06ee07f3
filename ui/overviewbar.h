#pragma once

#include "events.h"

#include <QTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;

namespace shoal {

class BatchProgressBar;

// The strip above the tables: progress with counts, rate and ETA, and the batch's controls
// (pause/resume, pool size with its drain policy, cancel, retry failed). It only shows stats
// and emits requests; the window forwards them to the engine.
class OverviewBar : public QWidget
{
    Q_OBJECT
public:
    explicit OverviewBar(QWidget *parent = nullptr);

    void setStats(const shoal::PoolStats &stats);
    void setActive(bool active); // false: no batch, every control disabled
    void setStarting(); // a batch whose engine is starting: controls disabled until its stats
    void setDrainPolicy(DrainPolicy policy);
    DrainPolicy drainPolicy() const;
    bool isPaused() const { return m_paused; }

    QPushButton *pauseButton() const { return m_pauseButton; }
    QPushButton *cancelButton() const { return m_cancelButton; }
    QPushButton *retryButton() const { return m_retryButton; }
    QSpinBox *workerSpin() const { return m_workerSpin; }
    QSlider *workerSlider() const { return m_workerSlider; }
    QComboBox *drainCombo() const { return m_drainCombo; }
    QProgressBar *progressBar() const;
    QString countsText() const;

    static constexpr int kResizeSettleMs = 300;
    // The drain policies, named by what they do, each with a one-line explanation (its
    // tooltip); the item data is the DrainPolicy. Shared with the New Batch dialog.
    static void addDrainPolicies(QComboBox *combo);

Q_SIGNALS:
    void pauseRequested();
    void resumeRequested();
    void resizeRequested(int workers, shoal::DrainPolicy policy);
    void cancelRequested();
    void retryFailedRequested();

private:
    void createWidgets();
    void layOut();
    void connectControls();
    void setWorkerControls(int workers);
    void requestResize(int workers);

    BatchProgressBar *m_progress;
    QLabel *m_counts;
    QLabel *m_rate;
    QPushButton *m_pauseButton;
    QSpinBox *m_workerSpin;
    QSlider *m_workerSlider;
    QComboBox *m_drainCombo;
    QPushButton *m_cancelButton;
    QPushButton *m_retryButton;
    QTimer m_resizeTimer; // the size settles before it reaches the engine (a dragged slider)
    int m_pendingSize = -1;
    bool m_paused = false;
    bool m_finished = false;
    qint64 m_failed = 0;
};

} // namespace shoal
