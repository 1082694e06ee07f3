#include "mainwindow.h"

#include "attachedengine.h"
#include "batchsession.h"
#include "chartpanel.h"
#include "humanformat.h"
#include "newbatchdialog.h"
#include "overviewbar.h"
#include "prompts.h"
#include "sessionfiles.h"
#include "taskfiltermodel.h"
#include "taskmodel.h"
#include "taskpanel.h"
#include "theme.h"
#include "welcomepage.h"
#include "workermodel.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

// Q_INIT_RESOURCE must be used outside any namespace.
static void registerShoalResources()
{
    Q_INIT_RESOURCE(shoal);
}

namespace shoal {

namespace {

constexpr int kMaxRecentFiles = 8;
const auto kDemoResource = u":/demo/demo.shoal.json"_s;

} // namespace

void MainWindow::loadResources()
{
    static const bool loaded = [] {
        registerShoalResources();
        return true;
    }();
    Q_UNUSED(loaded);
}

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    loadResources();
    qRegisterMetaType<shoal::Frame>();
    setAcceptDrops(true);
    if (QApplication::windowIcon().isNull())
        setWindowIcon(QIcon(u":/icons/shoal.svg"_s));
    m_workerModel = new WorkerModel(this);
    m_taskModel = new TaskModel(this);

    m_prompts = new Prompts(this);
    m_files = new SessionFiles(this, m_taskModel, m_prompts);
    connect(m_files, &SessionFiles::saved, this, &MainWindow::addRecentFile);
    connect(m_files, &SessionFiles::joblogExported, this, &MainWindow::joblogExported);
    m_stack = new QStackedWidget(this);
    m_welcome = new WelcomePage(windowIcon(), this);
    connect(m_welcome, &WelcomePage::newBatchRequested, this, &MainWindow::newBatch);
    connect(m_welcome, &WelcomePage::openRequested, this, &MainWindow::openWithDialog);
    connect(m_welcome, &WelcomePage::demoRequested, this, &MainWindow::openDemo);
    connect(m_welcome, &WelcomePage::recentFileActivated, this, &MainWindow::openBatchFile);
    connect(m_welcome, &WelcomePage::attachRequested, this,
            [this](const QString &socket) { attachTo(socket); });
    m_dashboard = new Dashboard(m_workerModel, m_taskModel, this);
    connect(m_dashboard->taskPanel(), &TaskPanel::exportCsvRequested, m_files,
            &SessionFiles::exportCsv);
    m_files->setShownRows([panel = m_dashboard->taskPanel()] { return panel->shownRows(); });
    connect(m_dashboard->taskPanel(), &TaskPanel::exportJoblogRequested, m_files,
            &SessionFiles::exportJoblog);
    connect(m_dashboard->overview(), &OverviewBar::retryFailedRequested, this,
            &MainWindow::announceRetry);
    m_stack->addWidget(m_welcome);
    m_stack->addWidget(m_dashboard);
    setCentralWidget(m_stack);
    // Polish the hidden dashboard now rather than when the first batch starts.
    m_dashboard->ensurePolished();

    createActions();
    createMenus();
    statusBar()->showMessage(tr("Ready"));
    readSettings();
    updateRecentFiles();
    updateActions();
    updateTitle();
}

MainWindow::~MainWindow()
{
    m_session.reset(); // ends the pool in its thread; no widget updates from here
}

// ---- building -----------------------------------------------------------------------------

QByteArray MainWindow::demoBatchJson()
{
    QFile file(kDemoResource);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool MainWindow::openDemo()
{
    // The demo's inputs are a number range, so it needs no file beside it.
    auto spec = parseBatchJson(demoBatchJson(), u"demo.shoal.json"_s);
    if (!spec) {
        m_prompts->showError(tr("Cannot Open the Demo"), spec.error());
        return false;
    }
    startBatchConfirmed(*spec);
    return true;
}

bool MainWindow::openBatchFile(const QString &path)
{
    auto spec = loadBatchFile(path);
    if (!spec) {
        m_prompts->showError(tr("Cannot Open the Batch File"), spec.error());
        return false;
    }
    addRecentFile(QFileInfo(path).absoluteFilePath());
    startBatchConfirmed(*spec, QFileInfo(path).absoluteFilePath());
    return true;
}

void MainWindow::startBatchConfirmed(const BatchSpec &spec, const QString &filePath,
                                     std::function<void()> onDeclined)
{
    if (!m_session || !m_session->isRunning()) {
        startBatch(spec, filePath);
        return;
    }
    m_prompts->ask(
        tr("Replace the Running Batch?"),
        tr("The batch “%1” is still running. Cancel it and start “%2”?")
            .arg(m_session->displayName(), BatchSession(spec, filePath).displayName()),
        tr("Cancel It and Start"), [this, spec, filePath] { startBatch(spec, filePath); },
        std::move(onDeclined));
}

// The window closes: a New Batch dialog waiting for its start goes with it.
void MainWindow::dropStartingDialog()
{
    if (NewBatchDialog *dialog = std::exchange(m_startingDialog, nullptr)) {
        dialog->setStarting(false);
        dialog->reject();
    }
}

// A start that failed: in the New Batch dialog that asked for it (which stays open with what
// was typed), else in an error box.
void MainWindow::reportStartError(const QString &error, const QString &title)
{
    if (NewBatchDialog *dialog = std::exchange(m_startingDialog, nullptr))
        dialog->showStartError(error);
    else
        m_prompts->showError(title.isEmpty() ? tr("Cannot Start the Batch") : title, error);
    updateActions();
    updateTitle();
}

bool MainWindow::startBatch(const BatchSpec &spec, const QString &filePath)
{
    if (m_quitWhenClosed || m_handOff != HandOff::None) {
        dropStartingDialog();
        return false; // the window is closing: nothing new starts
    }
    auto session = std::make_unique<BatchSession>(spec, filePath);
    auto prepared = session->prepare();
    if (!prepared) {
        reportStartError(prepared.error()); // the running batch, if any, runs on
        return false;
    }
    adoptSession(std::move(session));
    BatchSession *s = m_session.get();
    if (m_closingSessions == 0) {
        s->open();
        statusBar()->showMessage(tr("Starting “%1”…").arg(s->displayName()));
    } else {
        // Not while the previous batch's tasks still end (their grace period): the same
        // command must not run twice at once. It opens once they are gone.
        statusBar()->showMessage(
            tr("Starting “%1” once the previous batch's tasks have ended…").arg(s->displayName()));
    }
    updateActions();
    updateTitle();
    return true;
}

// The window shows session from now on (the one it showed before closes).
void MainWindow::adoptSession(std::unique_ptr<BatchSession> session)
{
    closeSession();
    m_session = std::move(session);
    BatchSession *s = m_session.get();
    // The engine starts in its own thread; until it answers the dashboard says so.
    connect(s, &BatchSession::started, this, &MainWindow::onSessionStarted);
    connect(s, &BatchSession::failed, this,
            [this, attached = s->attachedEngine() != nullptr](const QString &error) {
                closeSession(); // it goes once its engine has ended, after this signal returns
                reportStartError(error, attached ? tr("Cannot Attach") : QString());
            });
    connect(s->feed(), &EngineFeed::frameReady, this, &MainWindow::applyFrame);
    m_files->setSession(s);
    connect(s, &BatchSession::resynced, this, &MainWindow::renderSnapshot);
    connect(s, &BatchSession::linkLost, this, &MainWindow::onLinkLost);
    if (AttachedEngine *attached = s->attachedEngine())
        connect(attached, &AttachedEngine::relinked, this, &MainWindow::onRelinked);
    m_workerModel->reset({});
    m_taskModel->clear();
    taskPanel()->clearDetails();
    taskPanel()->resetFilter();
    // A range 1, 2, 3...: each input is its task's number, shown once (in #) rather than twice.
    const InputSpec &in = s->spec().inputs;
    taskPanel()->view()->setColumnHidden(
        TaskModel::InputColumn, in.kind == InputSpec::Kind::Range && in.from == 1 && in.step == 1);
    chartPanel()->clear();
    m_lastStats = {};
    overview()->setStarting();
    m_dashboard->setEngine(s->engine(), s->spec().service.isValid());
    m_stack->setCurrentWidget(m_dashboard);
}

void MainWindow::onSessionStarted(const PoolSnapshot &snapshot)
{
    if (NewBatchDialog *dialog = std::exchange(m_startingDialog, nullptr))
        dialog->accept();
    BatchSession *s = m_session.get();
    if (s->attachedEngine()) // what the batch is, its engine has said only now
        m_dashboard->setEngine(s->engine(), s->spec().service.isValid());
    renderSnapshot(snapshot);
    statusBar()->showMessage(
        s->attachedEngine()
            ? tr("Attached to “%1” (%2)")
                  .arg(s->displayName(), s->attachedEngine()->target().display())
            : tr("Started “%1”: %2")
                  .arg(s->displayName(), countOf(snapshot.taskCount, tr("task"), tr("tasks"))));
    updateActions();
    updateTitle();
    Q_EMIT batchStarted();
    if (snapshot.stats.allEnded() || snapshot.stats.total == 0)
        onBatchFinished(snapshot.stats);
}

// Shows the batch as of snapshot, replacing whatever was shown.
void MainWindow::renderSnapshot(const PoolSnapshot &snapshot)
{
    BatchSession *s = m_session.get();
    const BatchSpec &spec = s->spec();
    // The models may outlive the session (a view repaints while it closes): the task model
    // keeps the inputs itself (a shared copy, from the snapshot), not the session.
    m_taskModel->reset(snapshot);
    m_taskModel->setMaxAttempts(spec.attempts);
    m_taskModel->setWallStartMs(snapshot.wallStartMs);
    const auto known = [model = m_taskModel](TaskId id) {
        return id >= 0 && id < TaskId(model->tasks().size());
    };
    m_workerModel->setTaskLabel([model = m_taskModel, known](TaskId id) {
        // What the worker runs: the input, then the task's number apart ("photo.jpg  · #33");
        // an input that is its number (a range 1, 2, 3...) once ("#33").
        if (!known(id))
            return QString();
        const QString input = model->inputOf(int(id));
        const QString seq = QString::number(model->seqOf(int(id)));
        return input == seq ? u"#"_s + seq : tr("%1  · #%2").arg(input, seq);
    });
    m_workerModel->setTaskProgress([model = m_taskModel, known](TaskId id) {
        return known(id) ? model->task(int(id)).progress : -1.0f;
    });
    m_workerModel->reset(snapshot.workers);
    overview()->setActive(true);
    overview()->setDrainPolicy(spec.drain);
    m_lastStats = snapshot.stats;
    overview()->setStats(snapshot.stats);
    taskPanel()->setStateCounts(snapshot.stats);
    updateActions();
    updateTitle();
}

void MainWindow::closeSession()
{
    if (!m_session)
        return;
    BatchSession *old = m_session.release();
    disconnect(old->feed(), nullptr, this, nullptr);
    disconnect(old, nullptr, this, nullptr);
    if (old->engine())
        disconnect(old->engine(), nullptr, this, nullptr);
    // Its tasks end in the engine's thread (their grace period too): the window goes on, and
    // the session goes once its engine has ended. A window closed meanwhile still owns it.
    old->setParent(this);
    ++m_closingSessions;
    connect(old, &BatchSession::closed, this, [this, old] {
        old->deleteLater();
        if (--m_closingSessions > 0)
            return;
        if (m_quitWhenClosed)
            close();
        else if (m_session && !m_session->hasOpened())
            m_session->open(); // it waited for the previous batch's tasks
    });
    old->close();
    m_files->setSession(nullptr);
    m_dashboard->setEngine(nullptr);
    overview()->setActive(false);
}

void MainWindow::applyFrame(const Frame &frame)
{
    m_taskModel->applyFrame(frame);
    m_workerModel->applyFrame(frame);
    chartPanel()->addFrame(frame);
    if (frame.hasStats) {
        if (m_lastStats.allEnded() && !frame.stats.allEnded()) // Retry: it runs again
            statusBar()->showMessage(tr("Running “%1” again: %2 tasks to go")
                                         .arg(m_session ? m_session->displayName() : QString())
                                         .arg(frame.stats.queued + frame.stats.running));
        m_lastStats = frame.stats;
        overview()->setStats(frame.stats);
        taskPanel()->setStateCounts(frame.stats);
        updateActions();
        updateTitle();
    }
    if (!frame.messages.isEmpty())
        statusBar()->showMessage(frame.messages.last(), 15000);
    m_dashboard->followFrame(frame);
    if (frame.batchFinished)
        onBatchFinished(frame.stats);
    if (m_handOff != HandOff::None && frame.hasStats)
        continueHandOff(frame.stats);
    Q_EMIT frameApplied();
}

// Retry Failed: the status bar no longer says "finished".
void MainWindow::announceRetry()
{
    if (m_session && m_lastStats.failed > 0)
        statusBar()->showMessage(
            tr("Retrying %1…")
                .arg(countOf(m_lastStats.failed, tr("failed task"), tr("failed tasks"))));
}

void MainWindow::onBatchFinished(const PoolStats &stats)
{
    const QString name = m_session ? m_session->displayName() : QString();
    const QString summary = tr("%1 succeeded, %2 failed, %3 cancelled in %4")
                                .arg(stats.succeeded)
                                .arg(stats.failed)
                                .arg(stats.cancelled)
                                .arg(formatClock(double(stats.timeMs) / 1000.0));
    statusBar()->showMessage(tr("Batch “%1” finished: %2").arg(name, summary));
    m_prompts->notify(tr("Batch finished: %1").arg(name), summary);
    updateActions();
    updateTitle();
    Q_EMIT batchFinished();
}

void MainWindow::togglePause()
{
    if (!m_session)
        return;
    if (m_lastStats.paused)
        m_session->engine()->resume();
    else
        m_session->engine()->pause();
}

void MainWindow::newBatch()
{
    auto *dialog = new NewBatchDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->backgroundCheck()->setChecked(backgroundChoice());
    if (m_session) {
        dialog->setSpec(m_session->spec());
        if (!m_session->filePath().isEmpty())
            dialog->setBaseDir(QFileInfo(m_session->filePath()).absolutePath());
    }
    connect(dialog, &NewBatchDialog::startRequested, this, [this, dialog] {
        // Relative input paths were checked against the dialog's base folder: keep them valid.
        const BatchSpec spec = dialog->spec();
        const bool relative = !spec.inputs.path.isEmpty() && QDir::isRelativePath(spec.inputs.path);
        const QString base = relative && m_session ? m_session->filePath() : QString();
        m_startingDialog = dialog;
        auto declined = [this, dialog] {
            if (std::exchange(m_startingDialog, nullptr))
                dialog->setStarting(false); // kept the running batch: the dialog stays
        };
        rememberBackgroundChoice(dialog->backgroundCheck()->isChecked());
        if (dialog->backgroundCheck()->isChecked())
            startInBackground(spec, base, declined);
        else
            startBatchConfirmed(spec, base, declined);
    });
    dialog->open();
}

void MainWindow::openWithDialog()
{
    const QString path
        = QFileDialog::getOpenFileName(this, tr("Open Batch File"), QString(),
                                       tr("Shoal batches (*.shoal.json);;JSON files (*.json)"));
    if (!path.isEmpty())
        openBatchFile(path);
}

void MainWindow::exportJoblogTo(const QString &path)
{
    m_files->exportJoblogTo(path);
}

bool MainWindow::exportCsvTo(const QString &path)
{
    return m_files->exportCsvTo(path);
}

// ---- window state -------------------------------------------------------------------------

QMessageBox *MainWindow::currentPrompt() const
{
    return m_prompts->current();
}

QStringList MainWindow::recentFiles() const
{
    return QSettings().value(u"recentFiles"_s).toStringList();
}

void MainWindow::addRecentFile(const QString &path)
{
    QStringList files = recentFiles();
    files.removeAll(path);
    files.prepend(path);
    while (files.size() > kMaxRecentFiles)
        files.removeLast();
    QSettings().setValue(u"recentFiles"_s, files);
    updateRecentFiles();
}

void MainWindow::updateRecentFiles()
{
    const QStringList files = recentFiles();
    m_recentMenu->clear();
    for (const QString &path : files)
        m_recentMenu->addAction(recentFileLabel(path), this, [this, path] { openBatchFile(path); });
    m_recentMenu->setEnabled(!files.isEmpty());
    m_welcome->setRecentFiles(files);
}

void MainWindow::readSettings()
{
    QSettings settings;
    // Below this the overview's buttons and the charts' titles are cut.
    setMinimumSize(1000, 660);
    if (!restoreGeometry(settings.value(u"window/geometry"_s).toByteArray()))
        resize(1360, 880);
    restoreState(settings.value(u"window/state"_s).toByteArray());
    m_dashboard->restoreLayout(settings);
    const QString theme = settings.value(u"view/theme"_s, u"system"_s).toString();
    for (QAction *a : std::as_const(m_themeActions)) {
        if (a->data().toString() == nameOf(themeNamed(theme)))
            a->trigger();
    }
    const QStringList hidden = settings.value(u"view/hiddenPanels"_s).toStringList();
    for (int i = 0; i < m_panelActions.size(); ++i)
        m_panelActions[i]->setChecked(!hidden.contains(QString::number(i)));
}

void MainWindow::writeSettings()
{
    QSettings settings;
    settings.setValue(u"window/geometry"_s, saveGeometry());
    settings.setValue(u"window/state"_s, saveState());
    m_dashboard->saveLayout(settings);
    QStringList hidden;
    for (int i = 0; i < m_panelActions.size(); ++i) {
        if (!m_panelActions[i]->isChecked())
            hidden << QString::number(i);
    }
    settings.setValue(u"view/hiddenPanels"_s, hidden);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_closeConfirmed && m_session && m_session->isRunning() && m_session->attachedEngine()) {
        // An attached batch runs on when the window closes; one started here, the user may
        // have forgotten was in the background.
        if (m_session->backgroundRun()) {
            event->ignore();
            askToKeepRunning();
            return;
        }
    } else if (!m_closeConfirmed && m_session && m_session->isRunning()) {
        event->ignore();
        const PoolStats s = m_session->stats();
        m_prompts->ask(
            tr("Close While the Batch Runs?"),
            tr("The batch “%1” is still running (%2 tasks left). Closing Shoal cancels "
               "it: running tasks are ended. Or it can go on in the background: once "
               "its %3 running tasks have ended here, the rest runs as a process of "
               "its own.")
                .arg(m_session->displayName())
                .arg(s.queued + s.running)
                .arg(s.running),
            tr("Cancel Batch and Quit"),
            [this] {
                m_closeConfirmed = true;
                close();
            },
            {}, tr("Don't Close"));
        m_prompts->offerAlternative(tr("Keep Running in the Background"),
                                    [this] { handOffToBackground(); });
        return;
    }
    writeSettings();
    dropStartingDialog();
    closeSession();
    if (m_closingSessions > 0) {
        // Running tasks get their grace period in the engine; the window closes after it and
        // takes no new batch meanwhile.
        m_quitWhenClosed = true;
        event->ignore();
        updateActions();
        updateTitle();
        centralWidget()->setEnabled(false);
        menuBar()->setEnabled(false);
        statusBar()->showMessage(tr("Ending the running tasks…"));
        return;
    }
    m_prompts->hideTray();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.front().isLocalFile()
        && isBatchFilePath(urls.front().toLocalFile()))
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.front().isLocalFile())
        return;
    event->acceptProposedAction();
    openBatchFile(urls.front().toLocalFile());
}

} // namespace shoal
