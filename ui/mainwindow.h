#pragma once

#include "backgroundrun.h"
#include "batchfile.h"
#include "dashboard.h"
#include "engineclient.h"
#include "enginefeed.h"

#include <QMainWindow>
#include <QMessageBox>
#include <QPointer>

#include <functional>
#include <memory>
#include <optional>

class QAction;
class QMenu;
class QStackedWidget;
class QTableView;

namespace shoal {

struct AttachTarget;
class BatchSession;
class NewBatchDialog;
class ChartPanel;
class Prompts;
class SessionFiles;
class WelcomePage;
class OverviewBar;
class TaskModel;
class TaskPanel;
class WorkerModel;

// Shoal's window: a welcome page without a batch; with one, the overview strip, the workers
// table beside the charts, and the tasks table with the selected task's output. Questions and
// errors use window-modal boxes opened without a nested event loop, so nothing blocks the
// engine's frames (or a test).
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Loads and starts a batch file; a malformed one shows an error and returns false.
    bool openBatchFile(const QString &path);
    // Shows a batch that runs elsewhere (a control socket's path, or ssh://HOST/PATH), in place
    // of the one shown; batchStarted follows, or an error box. Closing it detaches.
    void attachTo(const QString &target, const QStringList &sshCommand = {},
                  const QString &remoteShoal = {});
    // File > Attach: the running batches of this user, to pick one.
    void attachWithDialog();
    // Starts the bundled demo batch.
    bool openDemo();
    // Starts a batch (after asking, if one is running, whether to cancel it).
    void startBatchConfirmed(const BatchSpec &spec, const QString &filePath = {},
                             std::function<void()> onDeclined = {});
    // Starts a batch now, replacing any other; false (and an error box) if its spec is wrong.
    // The engine starts in its thread: batchStarted follows, or an error box.
    bool startBatch(const BatchSpec &spec, const QString &filePath = {});

    BatchSession *session() const { return m_session.get(); }
    OverviewBar *overview() const { return m_dashboard->overview(); }
    WorkerModel *workerModel() const { return m_workerModel; }
    TaskModel *taskModel() const { return m_taskModel; }
    TaskPanel *taskPanel() const { return m_dashboard->taskPanel(); }
    ChartPanel *chartPanel() const { return m_dashboard->charts(); }
    QTableView *workerView() const { return m_dashboard->workerView(); }
    Dashboard *dashboard() const { return m_dashboard; }
    const QList<QAction *> &panelActions() const { return m_panelActions; }
    const QList<QAction *> &themeActions() const { return m_themeActions; }
    // The question or error box currently open, if any.
    QMessageBox *currentPrompt() const;
    QStringList recentFiles() const;
    // Writes the tasks table as a GNU parallel joblog; joblogExported follows.
    void exportJoblogTo(const QString &path);
    bool exportCsvTo(const QString &path); // the tasks the table shows

    static QByteArray demoBatchJson();
    // Registers the icon and the demo (resources of a static library need it); idempotent.
    static void loadResources();

Q_SIGNALS:
    void batchStarted();
    void frameApplied();
    void batchFinished();
    void joblogExported(const QString &path, const QString &error); // error empty: written

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void reportStartError(const QString &error, const QString &title = {});
    void dropStartingDialog();
    void announceRetry();
    void createActions();
    void createMenus();
    void createViewMenu();
    void createHelpMenu();
    void adoptSession(std::unique_ptr<BatchSession> session);
    void onSessionStarted(const shoal::PoolSnapshot &snapshot);
    void renderSnapshot(const shoal::PoolSnapshot &snapshot);
    void onLinkLost(const QString &reason);
    void reconnect();
    void onRelinked();
    // Starts spec as a background run (BackgroundRun) and attaches to it once it listens.
    void startInBackground(const BatchSpec &spec, const QString &filePath,
                           std::function<void()> onDeclined);
    void attachSession(const AttachTarget &target,
                       const std::optional<BackgroundRun> &background = {});
    void askToKeepRunning();
    // Closing with a batch running here, kept running: no new task starts here; once the running
    // ones have ended, their joblog rows go to a background run that resumes the rest.
    void handOffToBackground();
    void continueHandOff(const PoolStats &stats);
    void startHandedOffRun(const QString &joblog);
    void abandonHandOff(const QString &error);
    void handedOff(const BackgroundRun &run);
    static bool backgroundChoice();
    static void rememberBackgroundChoice(bool background);
    void applyFrame(const shoal::Frame &frame);
    void onBatchFinished(const PoolStats &stats);
    void closeSession();
    void updateActions();
    void updateTitle();
    void togglePause();
    void newBatch();
    void openWithDialog();
    void addRecentFile(const QString &path);
    void updateRecentFiles();
    void readSettings();
    void writeSettings();

    std::unique_ptr<BatchSession> m_session;
    PoolStats m_lastStats;
    bool m_closeConfirmed = false;
    // Draining: the running tasks end here; Leaving: their joblog goes to a background run.
    enum class HandOff : quint8 { None, Draining, Leaving } m_handOff = HandOff::None;
    PoolStats m_handOffFrom; // the batch as the hand-off found it
    QString m_handOffJoblog; // the rows of what ran here, for the background run
    bool m_quitWhenClosed = false;
    int m_closingSessions = 0; // sessions whose engines are still ending

    QStackedWidget *m_stack = nullptr;
    WelcomePage *m_welcome = nullptr;
    Dashboard *m_dashboard = nullptr;
    Prompts *m_prompts = nullptr;
    // The New Batch dialog whose Start is under way: it closes once the batch has started, or
    // shows why it could not.
    QPointer<NewBatchDialog> m_startingDialog;
    QList<QAction *> m_panelActions; // View: workers, charts, tasks
    QList<QAction *> m_themeActions; // View > Theme: system, light, dark
    SessionFiles *m_files = nullptr;
    WorkerModel *m_workerModel = nullptr;
    TaskModel *m_taskModel = nullptr;

    QAction *m_newAction = nullptr;
    QAction *m_openAction = nullptr;
    QAction *m_attachAction = nullptr;
    QAction *m_reconnectAction = nullptr;
    QAction *m_saveAction = nullptr;
    QAction *m_demoAction = nullptr;
    QAction *m_exportCsvAction = nullptr;
    QAction *m_exportJoblogAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_pauseAction = nullptr;
    QAction *m_cancelAction = nullptr;
    QAction *m_retryAction = nullptr;
    QMenu *m_recentMenu = nullptr;
};

} // namespace shoal
