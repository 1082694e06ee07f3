#pragma once

#include <QIcon>
#include <QStringList>
#include <QWidget>

class QLabel;
class QListWidget;
class QTimer;

namespace shoal {

// What the window shows without a batch: what Shoal is, the three ways to start one, and the
// recent batch files (a drop target too: the window takes the drop).
class WelcomePage : public QWidget
{
    Q_OBJECT
public:
    explicit WelcomePage(const QIcon &icon, QWidget *parent = nullptr);

    void setRecentFiles(const QStringList &paths);
    // The batches running as this user (File > Attach's list), refreshed while the page shows.
    QListWidget *runningList() const { return m_runningList; }
    QListWidget *recentList() const { return m_recentList; }

Q_SIGNALS:
    void newBatchRequested();
    void openRequested();
    void demoRequested();
    void recentFileActivated(const QString &path);
    void attachRequested(const QString &socket);
    void runningListed(); // the running list shows what the last look found

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    QListWidget *m_recentList = nullptr;
    QLabel *m_recentLabel = nullptr;
    QListWidget *m_runningList = nullptr;
    QLabel *m_runningLabel = nullptr;
    QTimer *m_runningTimer = nullptr;
    void refreshRunning();
};

// "name  (folder)", as the recent files show a path.
QString recentFileLabel(const QString &path);

} // namespace shoal
