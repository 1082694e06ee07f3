#pragma once

#include <QIcon>
#include <QStringList>
#include <QWidget>

class QLabel;
class QListWidget;

namespace shoal {

// What the window shows without a batch: what Shoal is, the three ways to start one, and the
// recent batch files (a drop target too: the window takes the drop).
class WelcomePage : public QWidget
{
    Q_OBJECT
public:
    explicit WelcomePage(const QIcon &icon, QWidget *parent = nullptr);

    void setRecentFiles(const QStringList &paths);
    QListWidget *recentList() const { return m_recentList; }

Q_SIGNALS:
    void newBatchRequested();
    void openRequested();
    void demoRequested();
    void recentFileActivated(const QString &path);

private:
    QListWidget *m_recentList = nullptr;
    QLabel *m_recentLabel = nullptr;
};

// "name  (folder)", as the recent files show a path.
QString recentFileLabel(const QString &path);

} // namespace shoal
