#include "dashboard.h"

#include "chartpanel.h"
#include "engineclient.h"
#include "enginefeed.h"
#include "humanformat.h"
#include "overviewbar.h"
#include "taskmodel.h"
#include "taskpanel.h"
#include "workermodel.h"

#include <QEvent>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

Dashboard::Dashboard(WorkerModel *workers, TaskModel *tasks, QWidget *parent)
    : QWidget(parent)
    , m_workerModel(workers)
    , m_taskModel(tasks)
{
    m_overview = new OverviewBar(this);
    createWorkerView();
    m_charts = new ChartPanel(this);
    m_taskPanel = new TaskPanel(m_taskModel, this);

    m_topSplitter = new QSplitter(Qt::Horizontal, this);
    m_topSplitter->setChildrenCollapsible(false);
    // The workers, and below them what the workers that left did (their totals still count).
    auto *workersPane = m_workersPane = new QWidget(this);
    auto *workersLayout = new QVBoxLayout(workersPane);
    workersLayout->setContentsMargins(0, 0, 0, 0);
    workersLayout->setSpacing(2);
    workersLayout->addWidget(m_workerView, 1);
    m_retiredLabel = new QLabel(workersPane);
    m_retiredLabel->setTextFormat(Qt::PlainText);
    m_retiredLabel->hide();
    workersLayout->addWidget(m_retiredLabel);
    m_hostsLabel = new QLabel(workersPane);
    m_hostsLabel->setTextFormat(Qt::PlainText);
    m_hostsLabel->setWordWrap(true);
    m_hostsLabel->hide();
    workersLayout->addWidget(m_hostsLabel);
    m_hostsTimer.setSingleShot(true);
    m_hostsTimer.setInterval(500);
    connect(&m_hostsTimer, &QTimer::timeout, this, &Dashboard::showHostTotals);
    const auto countHosts = [this] {
        if (!m_hostsTimer.isActive())
            m_hostsTimer.start();
    };
    connect(m_workerModel, &QAbstractItemModel::dataChanged, this, countHosts);
    connect(m_workerModel, &QAbstractItemModel::rowsInserted, this, countHosts);
    connect(m_workerModel, &QAbstractItemModel::rowsRemoved, this, countHosts);
    connect(m_workerModel, &QAbstractItemModel::modelReset, this, &Dashboard::showHostTotals);
    connect(m_workerModel, &WorkerModel::retiredChanged, this, &Dashboard::showRetired);
    connect(m_workerModel, &QAbstractItemModel::modelReset, this, &Dashboard::showRetired);
    m_topSplitter->addWidget(workersPane);
    m_topSplitter->addWidget(m_charts);
    // The workers table keeps the width of its columns; the charts take what is left (and
    // give it back first when the window narrows).
    m_topSplitter->setStretchFactor(0, 0);
    m_topSplitter->setStretchFactor(1, 1);
    m_mainSplitter = new QSplitter(Qt::Vertical, this);
    m_mainSplitter->setChildrenCollapsible(false);
    m_mainSplitter->addWidget(m_topSplitter);
    m_mainSplitter->addWidget(m_taskPanel);
    m_mainSplitter->setStretchFactor(0, 1);
    m_mainSplitter->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 0, 6, 6);
    layout->addWidget(m_overview);
    layout->addWidget(m_mainSplitter, 1);
    connectControls();
}

// The top row (workers, charts) goes when both of its panels are hidden, rather than stay as
// an empty strip with a handle.
void Dashboard::setPanelVisible(QWidget *panel, bool visible)
{
    panel->setVisible(visible);
    Q_EMIT panelVisibilityChanged(panel, visible);
    if (panel == m_workersPane || panel == m_charts)
        m_topSplitter->setVisible(!m_workersPane->isHidden() || !m_charts->isHidden());
}

void Dashboard::showRetired()
{
    const WorkerModel::Retired &r = m_workerModel->retired();
    m_retiredLabel->setVisible(r.workers > 0);
    m_retiredLabel->setText(
        tr("Workers that left: %1 · %2 done · %3")
            .arg(r.workers)
            .arg(countOf(r.tasksDone, tr("task"), tr("tasks")),
                 countOf(r.failures, tr("failed attempt"), tr("failed attempts"))));
}

void Dashboard::showHostTotals()
{
    m_hostsTimer.stop();
    QStringList parts;
    for (const WorkerModel::HostTotals &t : m_workerModel->hostTotals())
        parts << tr("%1: %2, %3 busy, %4 done, %5")
                     .arg(t.host == u":"_s ? tr("this machine") : t.host,
                          countOf(t.workers, tr("worker"), tr("workers")))
                     .arg(t.busy)
                     .arg(t.tasksDone)
                     .arg(countOf(t.failures, tr("failed attempt"), tr("failed attempts")));
    m_hostsLabel->setVisible(!parts.isEmpty());
    m_hostsLabel->setText(parts.join(u"\n"_s));
}

void Dashboard::createWorkerView()
{
    m_workerView = new QTableView(this);
    m_workerView->setModel(m_workerModel);
    m_workerView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_workerView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_workerView->setWordWrap(false);
    m_workerView->verticalHeader()->hide();
    m_workerView->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_workerView->verticalHeader()->setDefaultSectionSize(m_workerView->fontMetrics().height() + 6);
    m_workerView->horizontalHeader()->setHighlightSections(false);
    m_workerView->setContextMenuPolicy(Qt::CustomContextMenu);
    // Numbers as wide as they get, headers as wide as their words: what is left is the task's.
    const QFontMetrics fm = m_workerView->fontMetrics();
    const std::pair<int, const char16_t *> widths[] = {
        { WorkerModel::SlotColumn, u"Slot_" },      { WorkerModel::PidColumn, u"4194304_" },
        { WorkerModel::StateColumn, u"draining_" }, { WorkerModel::ElapsedColumn, u"Elapsed_" },
        { WorkerModel::DoneColumn, u"99999_" },     { WorkerModel::FailuresColumn, u"attempts_" },
        { WorkerModel::CpuColumn, u"100%__" },      { WorkerModel::RssColumn, u"999.9 MiB" },
    };
    const QFontMetrics headerFm = m_workerView->horizontalHeader()->fontMetrics();
    for (const auto &[column, sample] : widths) {
        int header = 0;
        const QString title = m_workerModel->headerData(column, Qt::Horizontal).toString();
        for (const QString &line : title.split(u'\n'))
            header = qMax(header, headerFm.horizontalAdvance(line));
        m_workerView->setColumnWidth(
            column, qMax(fm.horizontalAdvance(QString::fromUtf16(sample)), header) + 12);
    }
    m_workerView->viewport()->installEventFilter(this);
    // The Host column only for a batch on worker hosts (-S), as wide as their names (their
    // agents report each task's CPU and RSS).
    m_workerView->setColumnHidden(WorkerModel::HostColumn, true);
    const auto showHosts = [this] {
        bool any = false;
        for (int row = 0; row < m_workerModel->rowCount() && !any; ++row)
            any = !m_workerModel->worker(row).host.isEmpty();
        if (any == !m_workerView->isColumnHidden(WorkerModel::HostColumn))
            return;
        m_workerView->setColumnHidden(WorkerModel::HostColumn, !any);
        if (any) {
            m_workerView->resizeColumnToContents(WorkerModel::HostColumn);
            // The table takes from the charts what it lacks with its new column (only that,
            // so that batches on hosts one after the other do not widen it each time).
            int needed = m_workerView->fontMetrics().horizontalAdvance(u"input-01 · #999"_s);
            for (int column = 0; column < WorkerModel::ColumnCount; ++column)
                if (column != WorkerModel::TaskColumn && !m_workerView->isColumnHidden(column))
                    needed += m_workerView->columnWidth(column);
            const int lacking = needed - m_workerView->viewport()->width();
            QList<int> sizes = m_topSplitter->sizes();
            if (lacking > 0 && sizes.size() == 2 && sizes[1] > lacking) {
                sizes[0] += lacking;
                sizes[1] -= lacking;
                m_topSplitter->setSizes(sizes);
            }
        }
        fitTaskColumn();
    };
    connect(m_workerModel, &QAbstractItemModel::modelReset, this, showHosts);
    connect(m_workerModel, &QAbstractItemModel::rowsInserted, this, showHosts);
    connect(m_workerView, &QWidget::customContextMenuRequested, this, &Dashboard::showWorkerMenu);
    // Double-click (or Return) on a worker: its task, with its output, in the tasks table.
    connect(m_workerView, &QAbstractItemView::activated, this, [this](const QModelIndex &index) {
        showWorkerTask(m_workerModel->worker(index.row()).task);
    });
}

// The task column takes the width the others leave (and no less than a short input): a
// Stretch section keeps its old width when the pane shrinks below the others' sum, hiding
// them behind a scroll bar while the task column stays wide.
bool Dashboard::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_workerView->viewport() && event->type() == QEvent::Resize)
        fitTaskColumn();
    return QWidget::eventFilter(watched, event);
}

void Dashboard::fitTaskColumn()
{
    int others = 0;
    for (int column = 0; column < WorkerModel::ColumnCount; ++column) {
        if (column != WorkerModel::TaskColumn && !m_workerView->isColumnHidden(column))
            others += m_workerView->columnWidth(column);
    }
    const int least = m_workerView->fontMetrics().horizontalAdvance(u"input-01 · #999"_s);
    m_workerView->setColumnWidth(WorkerModel::TaskColumn,
                                 qMax(least, m_workerView->viewport()->width() - others));
}

void Dashboard::connectControls()
{
    connect(m_taskPanel, &TaskPanel::taskSelected, this, &Dashboard::refreshTaskDetails);
    // Each control reaches the engine of the moment, if any.
    auto toEngine = [this](auto command) {
        return [this, command](auto &&...args) {
            if (m_engine)
                command(*m_engine, args...);
        };
    };
    connect(m_overview, &OverviewBar::pauseRequested, this,
            toEngine([](EngineClient &e) { e.pause(); }));
    connect(m_overview, &OverviewBar::resumeRequested, this,
            toEngine([](EngineClient &e) { e.resume(); }));
    connect(m_overview, &OverviewBar::resizeRequested, this,
            toEngine([](EngineClient &e, int workers, DrainPolicy policy) {
                e.resize(workers, policy);
            }));
    connect(m_overview, &OverviewBar::cancelRequested, this,
            toEngine([](EngineClient &e) { e.cancelAll(); }));
    connect(m_overview, &OverviewBar::retryFailedRequested, this,
            toEngine([](EngineClient &e) { e.retryFailed(); }));
    connect(m_taskPanel, &TaskPanel::cancelRequested, this,
            toEngine([](EngineClient &e, const QList<TaskId> &ids) {
                for (TaskId id : ids)
                    e.cancelTask(id);
            }));
    connect(m_taskPanel, &TaskPanel::retryRequested, this,
            toEngine([](EngineClient &e, const QList<TaskId> &ids) {
                for (TaskId id : ids)
                    e.retryTask(id);
            }));
}

void Dashboard::showWorkerMenu(const QPoint &pos)
{
    const QModelIndex index = m_workerView->indexAt(pos);
    if (!m_engine || !index.isValid())
        return;
    const WorkerInfo w = m_workerModel->worker(index.row());
    QMenu menu(this);
    const bool paused = w.state == WorkerState::Paused && !w.parked;
    QAction *pause = menu.addAction(paused ? tr("Resume Worker %1").arg(w.slot)
                                           : tr("Pause Worker %1").arg(w.slot));
    pause->setEnabled(!w.parked);
    connect(pause, &QAction::triggered, this, [this, slot = w.slot, paused] {
        if (!m_engine)
            return;
        if (paused)
            m_engine->resumeWorker(slot);
        else
            m_engine->pauseWorker(slot);
    });
    // Its task's output, and a service worker's own stderr, show in the task's details.
    QAction *show = menu.addAction(tr("Show Its Task"));
    show->setEnabled(w.task >= 0);
    connect(show, &QAction::triggered, this, [this, task = w.task] { showWorkerTask(task); });
    QAction *cancel = menu.addAction(tr("Cancel Its Task"));
    cancel->setEnabled(w.task >= 0);
    connect(cancel, &QAction::triggered, this, [this, slot = w.slot] {
        if (m_engine)
            m_engine->cancelWorkerTask(slot);
    });
    if (!w.host.isEmpty()) {
        menu.addSeparator();
        QAction *resize = menu.addAction(tr("Workers on %1…").arg(w.host));
        connect(resize, &QAction::triggered, this, [this, host = w.host] { resizeHost(host); });
    }
    menu.exec(m_workerView->viewport()->mapToGlobal(pos));
}

// One host's workers, the others left as they are; a host's busy workers beyond the new count
// go as the window's "on shrink" policy says, as for the pool's size.
void Dashboard::resizeHost(const QString &host)
{
    int current = 0;
    for (const WorkerModel::HostTotals &t : m_workerModel->hostTotals())
        if (t.host == host)
            current = t.workers;
    bool ok = false;
    const int workers = QInputDialog::getInt(
        this, tr("Workers on %1").arg(host),
        tr("Workers on %1 (now %2); the other hosts keep theirs:").arg(host).arg(current), current,
        0, 100000, 1, &ok);
    if (ok && m_engine && workers != current)
        m_engine->resizeHost(host, workers, m_overview->drainPolicy());
}

void Dashboard::showWorkerTask(TaskId task)
{
    if (task < 0)
        return;
    if (m_taskPanel->isHidden())
        setPanelVisible(m_taskPanel, true);
    m_taskPanel->selectTask(task);
    m_taskPanel->view()->setFocus(Qt::OtherFocusReason);
}

void Dashboard::restoreLayout(const QSettings &settings)
{
    if (!m_mainSplitter->restoreState(settings.value(u"window/mainSplitter"_s).toByteArray()))
        m_mainSplitter->setSizes({ 420, 440 });
    if (!m_topSplitter->restoreState(settings.value(u"window/topSplitter"_s).toByteArray())) {
        // The workers table as wide as its columns, with room for a task's number and input;
        // the charts take the rest.
        int workers = m_workerView->fontMetrics().horizontalAdvance(u"#99999  input-0001.txt"_s);
        for (int column = 0; column < WorkerModel::ColumnCount; ++column) {
            if (column != WorkerModel::TaskColumn)
                workers += m_workerView->columnWidth(column);
        }
        workers += 2 * m_workerView->frameWidth()
            + m_workerView->verticalScrollBar()->sizeHint().width();
        m_topSplitter->setSizes({ workers, qMax(520, 1340 - workers) });
    }
    if (!m_taskPanel->splitter()->restoreState(
            settings.value(u"window/taskSplitter"_s).toByteArray()))
        m_taskPanel->splitter()->setSizes({ 260, 160 });
}

void Dashboard::saveLayout(QSettings &settings) const
{
    settings.setValue(u"window/mainSplitter"_s, m_mainSplitter->saveState());
    settings.setValue(u"window/topSplitter"_s, m_topSplitter->saveState());
    settings.setValue(u"window/taskSplitter"_s, m_taskPanel->splitter()->saveState());
}

void Dashboard::setEngine(EngineClient *engine, bool service)
{
    if (m_engine)
        disconnect(m_engine, &EngineClient::taskDetailsReady, this, nullptr);
    m_engine = engine;
    m_service = service;
    m_detailsRequest = 0;
    if (engine)
        connect(engine, &EngineClient::taskDetailsReady, this, &Dashboard::showTaskDetails);
}

void Dashboard::followFrame(const Frame &frame)
{
    const TaskId selected = m_taskPanel->selectedTask();
    if (selected < 0 || selected >= m_taskModel->rowCount())
        return;
    const bool changed = frame.touches(selected);
    const TaskState state = m_taskModel->task(int(selected)).state;
    // A running task's output grows: follow it at the stats pace.
    if (changed || (frame.hasStats && (state == TaskState::Running || state == TaskState::Paused)))
        refreshTaskDetails();
}

void Dashboard::refreshTaskDetails()
{
    const TaskId id = m_taskPanel->selectedTask();
    if (!m_engine || id < 0 || id >= m_taskModel->rowCount()) {
        m_detailsRequest = 0;
        m_taskPanel->clearDetails();
        return;
    }
    if (m_detailsRequest != 0 && m_detailsTask == id) {
        // One question about this task at a time: a slow engine still gets to answer it, and
        // the next one goes out with the answer.
        m_detailsStale = true;
        return;
    }
    const TaskModel::Row &row = m_taskModel->task(int(id));
    const bool service = m_service && row.slot > 0;
    m_detailsTask = id;
    m_detailsStale = false;
    m_detailsRequest = m_engine->requestTaskDetails(id, service ? row.slot : 0);
}

void Dashboard::showTaskDetails(quint64 request, const TaskDetails &details)
{
    // An answer to an older question (the selection changed since): a newer one follows.
    if (request != m_detailsRequest)
        return;
    m_detailsRequest = 0;
    const TaskId id = m_taskPanel->selectedTask();
    if (m_detailsStale || details.task != id) {
        refreshTaskDetails(); // it changed meanwhile: ask again
        if (details.task != id)
            return;
    }
    if (id < 0 || id >= m_taskModel->rowCount())
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

} // namespace shoal
