#include "mainwindow.h"

#include "batchsession.h"
#include "chartpanel.h"
#include "humanformat.h"
#include "joblogexport.h"
#include "newbatchdialog.h"
#include "overviewbar.h"
#include "taskfiltermodel.h"
#include "taskmodel.h"
#include "taskpanel.h"
#include "workermodel.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QSystemTrayIcon>
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

bool isBatchFile(const QString &path)
{
    return path.endsWith(u".json"_s, Qt::CaseInsensitive);
}

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

    m_stack = new QStackedWidget(this);
    m_welcome = createWelcomePage();
    m_dashboard = createDashboard();
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

QWidget *MainWindow::createWelcomePage()
{
    auto *page = new QWidget(this);
    auto *title = new QLabel(tr("Shoal"), page);
    QFont big = title->font();
    big.setPointSizeF(big.pointSizeF() * 2.2);
    big.setBold(true);
    title->setFont(big);
    auto *subtitle = new QLabel(tr("Run, watch and steer pools of worker processes."), page);
    auto *icon = new QLabel(page);
    icon->setPixmap(windowIcon().pixmap(96, 96));
    icon->setVisible(!windowIcon().isNull()); // needs Qt's SVG plugin (libqt6svg6)
    auto *newButton = new QPushButton(tr("New Batch…"), page);
    auto *openButton = new QPushButton(tr("Open Batch File…"), page);
    auto *demoButton = new QPushButton(tr("Run the Demo"), page);
    for (QPushButton *b : { newButton, openButton, demoButton })
        b->setMinimumWidth(220);
    m_recentList = new QListWidget(page);
    m_recentList->setMaximumWidth(520);
    m_recentList->setMaximumHeight(180);

    auto *column = new QVBoxLayout;
    column->setSpacing(10);
    column->addWidget(icon, 0, Qt::AlignHCenter);
    column->addWidget(title, 0, Qt::AlignHCenter);
    column->addWidget(subtitle, 0, Qt::AlignHCenter);
    column->addSpacing(16);
    column->addWidget(newButton, 0, Qt::AlignHCenter);
    column->addWidget(openButton, 0, Qt::AlignHCenter);
    column->addWidget(demoButton, 0, Qt::AlignHCenter);
    column->addSpacing(16);
    m_recentLabel = new QLabel(page);
    column->addWidget(m_recentLabel, 0, Qt::AlignHCenter);
    column->addWidget(m_recentList, 0, Qt::AlignHCenter);
    auto *layout = new QVBoxLayout(page);
    layout->addStretch(1);
    layout->addLayout(column);
    layout->addStretch(2);

    connect(newButton, &QPushButton::clicked, this, &MainWindow::newBatch);
    connect(openButton, &QPushButton::clicked, this, &MainWindow::openWithDialog);
    connect(demoButton, &QPushButton::clicked, this, &MainWindow::openDemo);
    connect(m_recentList, &QListWidget::itemActivated, this,
            [this](QListWidgetItem *item) { openBatchFile(item->data(Qt::UserRole).toString()); });
    return page;
}

QWidget *MainWindow::createDashboard()
{
    auto *page = new QWidget(this);
    m_overview = new OverviewBar(page);

    m_workerView = new QTableView(page);
    m_workerView->setModel(m_workerModel);
    m_workerView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_workerView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_workerView->setWordWrap(false);
    m_workerView->verticalHeader()->hide();
    m_workerView->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_workerView->verticalHeader()->setDefaultSectionSize(m_workerView->fontMetrics().height() + 6);
    m_workerView->horizontalHeader()->setSectionResizeMode(WorkerModel::TaskColumn,
                                                           QHeaderView::Stretch);
    m_workerView->horizontalHeader()->setHighlightSections(false);
    m_workerView->setContextMenuPolicy(Qt::CustomContextMenu);
    const QFontMetrics fm = m_workerView->fontMetrics();
    const std::pair<int, const char16_t *> widths[] = {
        { WorkerModel::SlotColumn, u"Slot__" },
        { WorkerModel::PidColumn, u"99999999" },
        { WorkerModel::StateColumn, u"draining___" },
        { WorkerModel::ElapsedColumn, u"Elapsed__" },
        { WorkerModel::DoneColumn, u"Done___" },
        { WorkerModel::FailuresColumn, u"Failures__" },
        { WorkerModel::CpuColumn, u"CPU___" },
        { WorkerModel::RssColumn, u"999.9 MiB" },
    };
    for (const auto &[column, sample] : widths)
        m_workerView->setColumnWidth(column, fm.horizontalAdvance(QString::fromUtf16(sample)) + 12);
    connect(m_workerView, &QWidget::customContextMenuRequested, this, &MainWindow::showWorkerMenu);

    m_charts = new ChartPanel(page);
    m_taskPanel = new TaskPanel(m_taskModel, page);

    m_topSplitter = new QSplitter(Qt::Horizontal, page);
    m_topSplitter->setChildrenCollapsible(false);
    m_topSplitter->addWidget(m_workerView);
    m_topSplitter->addWidget(m_charts);
    m_topSplitter->setStretchFactor(0, 1);
    m_topSplitter->setStretchFactor(1, 1);
    m_mainSplitter = new QSplitter(Qt::Vertical, page);
    m_mainSplitter->setChildrenCollapsible(false);
    m_mainSplitter->addWidget(m_topSplitter);
    m_mainSplitter->addWidget(m_taskPanel);
    m_mainSplitter->setStretchFactor(0, 1);
    m_mainSplitter->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(6, 0, 6, 6);
    layout->addWidget(m_overview);
    layout->addWidget(m_mainSplitter, 1);

    connect(m_overview, &OverviewBar::pauseRequested, this, [this] {
        if (m_session)
            m_session->engine()->pause();
    });
    connect(m_overview, &OverviewBar::resumeRequested, this, [this] {
        if (m_session)
            m_session->engine()->resume();
    });
    connect(m_overview, &OverviewBar::resizeRequested, this,
            [this](int workers, DrainPolicy policy) {
                if (m_session)
                    m_session->engine()->resize(workers, policy);
            });
    connect(m_overview, &OverviewBar::cancelRequested, this, [this] {
        if (m_session)
            m_session->engine()->cancelAll();
    });
    connect(m_overview, &OverviewBar::retryFailedRequested, this, [this] {
        if (m_session)
            m_session->engine()->retryFailed();
    });
    connect(m_taskPanel, &TaskPanel::taskSelected, this, &MainWindow::refreshTaskDetails);
    connect(m_taskPanel, &TaskPanel::cancelRequested, this, [this](const QList<TaskId> &ids) {
        for (TaskId id : ids)
            m_session->engine()->cancelTask(id);
    });
    connect(m_taskPanel, &TaskPanel::retryRequested, this, [this](const QList<TaskId> &ids) {
        for (TaskId id : ids)
            m_session->engine()->retryTask(id);
    });
    connect(m_taskPanel, &TaskPanel::exportCsvRequested, this, &MainWindow::exportCsv);
    connect(m_taskPanel, &TaskPanel::exportJoblogRequested, this, &MainWindow::exportJoblog);
    return page;
}

void MainWindow::createActions()
{
    m_newAction = new QAction(QIcon::fromTheme(u"document-new"_s), tr("&New Batch…"), this);
    m_newAction->setShortcut(QKeySequence::New);
    connect(m_newAction, &QAction::triggered, this, &MainWindow::newBatch);
    m_openAction = new QAction(QIcon::fromTheme(u"document-open"_s), tr("&Open Batch File…"), this);
    m_openAction->setShortcut(QKeySequence::Open);
    connect(m_openAction, &QAction::triggered, this, &MainWindow::openWithDialog);
    m_saveAction
        = new QAction(QIcon::fromTheme(u"document-save-as"_s), tr("&Save Batch As…"), this);
    m_saveAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_S));
    connect(m_saveAction, &QAction::triggered, this, &MainWindow::saveBatchAs);
    m_demoAction = new QAction(tr("Run the &Demo Batch"), this);
    connect(m_demoAction, &QAction::triggered, this, &MainWindow::openDemo);
    m_exportCsvAction = new QAction(tr("Export Tasks as &CSV…"), this);
    connect(m_exportCsvAction, &QAction::triggered, this, &MainWindow::exportCsv);
    m_exportJoblogAction = new QAction(tr("Export &Joblog…"), this);
    connect(m_exportJoblogAction, &QAction::triggered, this, &MainWindow::exportJoblog);
    m_quitAction = new QAction(QIcon::fromTheme(u"application-exit"_s), tr("&Quit"), this);
    m_quitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    m_pauseAction = new QAction(tr("&Pause"), this);
    m_pauseAction->setShortcut(QKeySequence(Qt::Key_Space));
    connect(m_pauseAction, &QAction::triggered, this, &MainWindow::togglePause);
    m_cancelAction = new QAction(tr("&Cancel Batch"), this);
    connect(m_cancelAction, &QAction::triggered, this, [this] {
        if (m_session)
            m_session->engine()->cancelAll();
    });
    m_retryAction = new QAction(tr("&Retry Failed Tasks"), this);
    m_retryAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    connect(m_retryAction, &QAction::triggered, this, [this] {
        if (m_session)
            m_session->engine()->retryFailed();
    });
    // Window-wide shortcuts work whichever child has focus.
    addActions(
        { m_newAction, m_openAction, m_saveAction, m_quitAction, m_pauseAction, m_retryAction });
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_newAction);
    file->addAction(m_openAction);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    file->addAction(m_saveAction);
    file->addSeparator();
    file->addAction(m_exportCsvAction);
    file->addAction(m_exportJoblogAction);
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu *batch = menuBar()->addMenu(tr("&Batch"));
    batch->addAction(m_pauseAction);
    batch->addAction(m_cancelAction);
    batch->addAction(m_retryAction);
    batch->addSeparator();
    batch->addAction(m_demoAction);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QMenu *chartWindow = view->addMenu(tr("Chart &Window"));
    for (int minutes : { 1, 5, 15, 60 }) {
        QAction *a = chartWindow->addAction(minutes == 1 ? tr("Last minute")
                                                         : tr("Last %1 minutes").arg(minutes));
        a->setCheckable(true);
        a->setChecked(minutes * 60 == m_charts->windowSeconds());
        connect(a, &QAction::triggered, this, [this, minutes, chartWindow, a] {
            m_charts->setWindowSeconds(minutes * 60);
            for (QAction *other : chartWindow->actions())
                other->setChecked(other == a);
        });
    }

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Shoal"), this, [this] {
        QMessageBox::about(
            this, tr("About Shoal"),
            tr("<b>Shoal %1</b><p>Runs, watches and steers pools of worker processes.</p>")
                .arg(QApplication::applicationVersion()));
    });
}

// ---- batches ------------------------------------------------------------------------------

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
        showError(tr("Cannot Open the Demo"), spec.error());
        return false;
    }
    startBatchConfirmed(*spec);
    return true;
}

bool MainWindow::openBatchFile(const QString &path)
{
    auto spec = loadBatchFile(path);
    if (!spec) {
        showError(tr("Cannot Open the Batch File"), spec.error());
        return false;
    }
    addRecentFile(QFileInfo(path).absoluteFilePath());
    startBatchConfirmed(*spec, QFileInfo(path).absoluteFilePath());
    return true;
}

void MainWindow::startBatchConfirmed(const BatchSpec &spec, const QString &filePath)
{
    if (!m_session || !m_session->isRunning()) {
        startBatch(spec, filePath);
        return;
    }
    ask(tr("Replace the Running Batch?"),
        tr("The batch “%1” is still running. Cancel it and start “%2”?")
            .arg(m_session->displayName(), BatchSession(spec, filePath).displayName()),
        tr("Cancel It and Start"), [this, spec, filePath] { startBatch(spec, filePath); });
}

bool MainWindow::startBatch(const BatchSpec &spec, const QString &filePath)
{
    closeSession();
    auto session = std::make_unique<BatchSession>(spec, filePath);
    auto prepared = session->start();
    if (!prepared) {
        showError(tr("Cannot Start the Batch"), prepared.error());
        updateActions();
        updateTitle();
        return false;
    }
    m_session = std::move(session);
    BatchSession *s = m_session.get();
    // The engine starts in its own thread; until it answers the dashboard says so.
    connect(s, &BatchSession::started, this, &MainWindow::onSessionStarted);
    connect(s, &BatchSession::failed, this, [this](const QString &error) {
        closeSession(); // it goes once its engine has ended, after this signal returns
        showError(tr("Cannot Start the Batch"), error);
        updateActions();
        updateTitle();
    });
    connect(s->feed(), &EngineFeed::frameReady, this, &MainWindow::applyFrame);
    connect(s->engine(), &EngineClient::taskDetailsReady, this, &MainWindow::showTaskDetails);
    connect(s->engine(), &EngineClient::commandsReady, this, &MainWindow::writeExportedJoblog);
    m_workerModel->reset({});
    m_taskModel->clear();
    m_taskPanel->clearDetails();
    m_charts->clear();
    m_lastStats = {};
    m_overview->setStarting();
    m_stack->setCurrentWidget(m_dashboard);
    statusBar()->showMessage(tr("Starting “%1”…").arg(s->displayName()));
    updateActions();
    updateTitle();
    return true;
}

void MainWindow::onSessionStarted(const PoolSnapshot &snapshot)
{
    BatchSession *s = m_session.get();
    const BatchSpec &spec = s->spec();
    // The models may outlive the session (a view repaints while it closes): they keep the
    // inputs themselves (a shared copy), not the session.
    const InputList inputs = s->inputs();
    m_taskModel->setInputSource([inputs](TaskId id) { return inputs.value(qsizetype(id)); });
    m_workerModel->setTaskLabel(
        [inputs](TaskId id) { return u"#%1  %2"_s.arg(id + 1).arg(inputs.value(qsizetype(id))); });
    m_workerModel->setTaskProgress([model = m_taskModel](TaskId id) {
        return id >= 0 && id < TaskId(model->tasks().size()) ? model->task(int(id)).progress : -1.0f;
    });
    m_workerModel->reset(snapshot.workers);
    m_taskModel->reset(snapshot.tasks);
    m_overview->setActive(true);
    m_overview->setDrainPolicy(spec.drain);
    m_lastStats = snapshot.stats;
    m_overview->setStats(snapshot.stats);
    statusBar()->showMessage(
        tr("Started “%1”: %2")
            .arg(s->displayName(),
                 countOf(qint64(snapshot.tasks.size()), tr("task"), tr("tasks"))));
    updateActions();
    updateTitle();
    Q_EMIT batchStarted();
    if (snapshot.stats.total == 0)
        onBatchFinished(snapshot.stats);
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
        if (--m_closingSessions == 0 && m_quitWhenClosed)
            close();
    });
    old->close();
    m_detailsRequest = 0;
    m_joblogExport = {};
    m_overview->setActive(false);
}

void MainWindow::applyFrame(const Frame &frame)
{
    m_taskModel->applyFrame(frame);
    m_workerModel->applyFrame(frame);
    m_charts->addFrame(frame);
    if (frame.hasStats) {
        m_lastStats = frame.stats;
        m_overview->setStats(frame.stats);
        updateActions();
        updateTitle();
    }
    if (!frame.messages.isEmpty())
        statusBar()->showMessage(frame.messages.last(), 15000);

    const TaskId selected = m_taskPanel->selectedTask();
    if (selected >= 0 && selected < m_taskModel->rowCount()) {
        const bool changed
            = std::any_of(frame.taskChanges.begin(), frame.taskChanges.end(),
                          [selected](const TaskChange &c) { return c.task == selected; });
        const TaskState state = m_taskModel->task(int(selected)).state;
        // A running task's output grows: follow it at the stats pace.
        if (changed
            || (frame.hasStats && (state == TaskState::Running || state == TaskState::Paused)))
            refreshTaskDetails();
    }
    if (frame.batchFinished)
        onBatchFinished(frame.stats);
    Q_EMIT frameApplied();
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
    notify(tr("Batch finished: %1").arg(name), summary);
    updateActions();
    updateTitle();
    Q_EMIT batchFinished();
}

void MainWindow::refreshTaskDetails()
{
    const TaskId id = m_taskPanel->selectedTask();
    if (!m_session || id < 0 || id >= m_taskModel->rowCount()) {
        m_taskPanel->clearDetails();
        return;
    }
    const TaskModel::Row &row = m_taskModel->task(int(id));
    const bool service = m_session->spec().service.isValid() && row.slot > 0;
    m_detailsRequest = m_session->engine()->requestTaskDetails(id, service ? row.slot : 0);
}

void MainWindow::showTaskDetails(quint64 request, const TaskDetails &details)
{
    const TaskId id = m_taskPanel->selectedTask();
    // An answer to an older question, or about a task no longer selected: a newer one follows.
    if (request != m_detailsRequest || details.task != id || id < 0 || id >= m_taskModel->rowCount())
        return;
    const TaskModel::Row &row = m_taskModel->task(int(id));
    QString status = nameOf(row.state);
    if (row.exit.kind != ExitStatus::Kind::None)
        status += u" · "_s + row.exit.describe();
    if (row.attempts > 1)
        status += tr(" · attempt %1").arg(row.attempts);
    if (row.progress >= 0)
        status += tr(" · %1% done").arg(qRound(row.progress * 100));
    QByteArray err = details.stderrData;
    if (!details.workerStderr.isEmpty()) {
        // A service worker's stderr belongs to the process, not to one task: show what the
        // worker that ran this task has written, after the task's own error.
        if (!err.isEmpty() && !err.endsWith('\n'))
            err += '\n';
        err += tr("── stderr of worker %1 ──\n").arg(row.slot).toLocal8Bit() + details.workerStderr;
    }
    m_taskPanel->showDetails(id, details.command, status, details.stdoutData, err);
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

void MainWindow::showWorkerMenu(const QPoint &pos)
{
    const QModelIndex index = m_workerView->indexAt(pos);
    if (!m_session || !index.isValid())
        return;
    const WorkerInfo w = m_workerModel->worker(index.row());
    QMenu menu(this);
    const bool paused = w.state == WorkerState::Paused && !w.parked;
    QAction *pause = menu.addAction(paused ? tr("Resume Worker %1").arg(w.slot)
                                           : tr("Pause Worker %1").arg(w.slot));
    pause->setEnabled(!w.parked);
    connect(pause, &QAction::triggered, this, [this, slot = w.slot, paused] {
        if (paused)
            m_session->engine()->resumeWorker(slot);
        else
            m_session->engine()->pauseWorker(slot);
    });
    QAction *cancel = menu.addAction(tr("Cancel Its Task"));
    cancel->setEnabled(w.task >= 0);
    connect(cancel, &QAction::triggered, this,
            [this, slot = w.slot] { m_session->engine()->cancelWorkerTask(slot); });
    menu.exec(m_workerView->viewport()->mapToGlobal(pos));
}

void MainWindow::newBatch()
{
    auto *dialog = new NewBatchDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (m_session) {
        dialog->setSpec(m_session->spec());
        if (!m_session->filePath().isEmpty())
            dialog->setBaseDir(QFileInfo(m_session->filePath()).absolutePath());
    }
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        // Relative input paths were checked against the dialog's base folder: keep them valid.
        const BatchSpec spec = dialog->spec();
        const bool relative = !spec.inputs.path.isEmpty() && QDir::isRelativePath(spec.inputs.path);
        const QString base = relative && m_session ? m_session->filePath() : QString();
        startBatchConfirmed(spec, base);
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

void MainWindow::saveBatchAs()
{
    if (!m_session)
        return;
    QString path = QFileDialog::getSaveFileName(this, tr("Save Batch As"),
                                                m_session->displayName() + u".shoal.json"_s,
                                                tr("Shoal batches (*.shoal.json)"));
    if (path.isEmpty())
        return;
    if (!isBatchFile(path))
        path += u".shoal.json"_s;
    BatchSpec spec = m_session->spec();
    // Input paths resolve against the batch file: anchor relative ones before moving it.
    if (!spec.inputs.path.isEmpty() && spec.inputs.path != u"-"_s
        && QDir::isRelativePath(spec.inputs.path)) {
        const QString base = m_session->filePath().isEmpty()
            ? QDir::currentPath()
            : QFileInfo(m_session->filePath()).absolutePath();
        spec.inputs.path = QDir(base).absoluteFilePath(spec.inputs.path);
    }
    const auto saved = saveBatchFile(path, spec);
    if (!saved) {
        showError(tr("Cannot Save the Batch"), saved.error());
        return;
    }
    addRecentFile(QFileInfo(path).absoluteFilePath());
    statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
}

void MainWindow::exportCsv()
{
    if (!m_session)
        return;
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export Tasks"), m_session->displayName() + u".csv"_s, tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || !m_taskModel->writeCsv(&file) || !file.commit())
        showError(tr("Cannot Export the Tasks"),
                  tr("Could not write '%1': %2").arg(path, file.errorString()));
}

void MainWindow::exportJoblog()
{
    if (!m_session)
        return;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Joblog"),
                                                      m_session->displayName() + u".joblog.tsv"_s,
                                                      tr("Joblogs (*.tsv *.log);;All files (*)"));
    if (!path.isEmpty())
        exportJoblogTo(path);
}

void MainWindow::exportJoblogTo(const QString &path)
{
    if (!m_session)
        return;
    // The rows are the table's now; their commands come from the engine.
    m_joblogExport.path = path;
    m_joblogExport.order = joblogOrder(*m_taskModel);
    m_joblogExport.request = m_session->engine()->requestCommands(m_joblogExport.order);
    statusBar()->showMessage(tr("Exporting the joblog to %1…").arg(path));
}

void MainWindow::writeExportedJoblog(quint64 request, const QStringList &commands)
{
    if (request != m_joblogExport.request || !m_session)
        return;
    const JoblogExport job = std::exchange(m_joblogExport, {});
    const auto written
        = writeJoblog(job.path, *m_taskModel, job.order, commands, m_session->wallStartMs());
    if (!written)
        showError(tr("Cannot Export the Joblog"), written.error());
    else
        statusBar()->showMessage(tr("Exported the joblog to %1").arg(job.path), 5000);
    Q_EMIT joblogExported(job.path, written ? QString() : written.error());
}

// ---- window state -------------------------------------------------------------------------

void MainWindow::updateActions()
{
    const bool has = m_session != nullptr;
    const bool finished = !has
        || m_lastStats.total == m_lastStats.succeeded + m_lastStats.failed + m_lastStats.cancelled;
    m_saveAction->setEnabled(has);
    m_exportCsvAction->setEnabled(has);
    m_exportJoblogAction->setEnabled(has);
    m_pauseAction->setEnabled(has && !finished);
    m_pauseAction->setText(m_lastStats.paused ? tr("&Resume") : tr("&Pause"));
    m_cancelAction->setEnabled(has && !finished);
    m_retryAction->setEnabled(has && m_lastStats.failed > 0);
    if (!has)
        m_stack->setCurrentWidget(m_welcome);
}

void MainWindow::updateTitle()
{
    if (!m_session) {
        setWindowTitle(tr("Shoal"));
        return;
    }
    const PoolStats &s = m_lastStats;
    const qint64 done = s.succeeded + s.failed + s.cancelled;
    const QString progress
        = s.total && done < s.total ? u"%1% · "_s.arg(done * 100 / s.total) : QString();
    setWindowTitle(u"%1%2 — Shoal"_s.arg(progress, m_session->displayName()));
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
    m_recentList->clear();
    for (const QString &path : files) {
        const QString label = u"%1  (%2)"_s.arg(QFileInfo(path).fileName(),
                                                QDir::toNativeSeparators(QFileInfo(path).path()));
        m_recentMenu->addAction(label, this, [this, path] { openBatchFile(path); });
        auto *item = new QListWidgetItem(label, m_recentList);
        item->setData(Qt::UserRole, path);
        item->setToolTip(path);
    }
    m_recentMenu->setEnabled(!files.isEmpty());
    m_recentList->setVisible(!files.isEmpty());
    m_recentLabel->setText(files.isEmpty() ? tr("Or drop a batch file (*.shoal.json) here.")
                                           : tr("Recent batch files (or drop one here):"));
}

void MainWindow::readSettings()
{
    QSettings settings;
    if (!restoreGeometry(settings.value(u"window/geometry"_s).toByteArray()))
        resize(1360, 880);
    restoreState(settings.value(u"window/state"_s).toByteArray());
    if (!m_mainSplitter->restoreState(settings.value(u"window/mainSplitter"_s).toByteArray()))
        m_mainSplitter->setSizes({ 420, 440 });
    if (!m_topSplitter->restoreState(settings.value(u"window/topSplitter"_s).toByteArray()))
        m_topSplitter->setSizes({ 620, 720 });
    if (!m_taskPanel->splitter()->restoreState(
            settings.value(u"window/taskSplitter"_s).toByteArray()))
        m_taskPanel->splitter()->setSizes({ 260, 160 });
}

void MainWindow::writeSettings()
{
    QSettings settings;
    settings.setValue(u"window/geometry"_s, saveGeometry());
    settings.setValue(u"window/state"_s, saveState());
    settings.setValue(u"window/mainSplitter"_s, m_mainSplitter->saveState());
    settings.setValue(u"window/topSplitter"_s, m_topSplitter->saveState());
    settings.setValue(u"window/taskSplitter"_s, m_taskPanel->splitter()->saveState());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_closeConfirmed && m_session && m_session->isRunning()) {
        event->ignore();
        const PoolStats s = m_session->stats();
        ask(tr("Cancel the Running Batch?"),
            tr("The batch “%1” is still running (%2 tasks left). Closing Shoal cancels it: running "
               "tasks are "
               "ended.")
                .arg(m_session->displayName())
                .arg(s.queued + s.running),
            tr("Cancel Batch and Quit"), [this] {
                m_closeConfirmed = true;
                close();
            });
        return;
    }
    writeSettings();
    closeSession();
    if (m_closingSessions > 0) {
        // Running tasks get their grace period in the engine; the window closes after it.
        m_quitWhenClosed = true;
        event->ignore();
        statusBar()->showMessage(tr("Ending the running tasks…"));
        return;
    }
    if (m_tray)
        m_tray->hide();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.front().isLocalFile() && isBatchFile(urls.front().toLocalFile()))
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

// ---- talking to the user ------------------------------------------------------------------

void MainWindow::showError(const QString &title, const QString &text)
{
    if (m_prompt)
        m_prompt->close();
    auto *box = new QMessageBox(QMessageBox::Critical, title, text, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    m_prompt = box;
    box->open(); // window-modal, without a nested event loop
    statusBar()->showMessage(text, 15000);
}

void MainWindow::ask(const QString &title, const QString &text, const QString &yesText,
                     std::function<void()> onYes)
{
    if (m_prompt)
        m_prompt->close();
    auto *box = new QMessageBox(QMessageBox::Question, title, text, QMessageBox::NoButton, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *yes = box->addButton(yesText, QMessageBox::DestructiveRole);
    box->addButton(tr("Keep Running"), QMessageBox::RejectRole);
    box->setDefaultButton(qobject_cast<QPushButton *>(box->buttons().last()));
    connect(box, &QMessageBox::finished, this, [box, yes, onYes = std::move(onYes)] {
        if (box->clickedButton() == yes)
            onYes();
    });
    m_prompt = box;
    box->open();
}

void MainWindow::notify(const QString &title, const QString &text)
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    if (!m_tray) {
        m_tray = new QSystemTrayIcon(windowIcon(), this);
        m_tray->setToolTip(tr("Shoal"));
        m_tray->show();
    }
    m_tray->showMessage(title, text, QSystemTrayIcon::Information, 8000);
}

} // namespace shoal
