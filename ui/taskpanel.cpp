#include "taskpanel.h"

#include "humanformat.h"
#include "taskfiltermodel.h"
#include "taskmodel.h"

#include <QComboBox>
#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

QPlainTextEdit *makeOutputView(QWidget *parent)
{
    auto *edit = new QPlainTextEdit(parent);
    edit->setReadOnly(true);
    edit->setLineWrapMode(QPlainTextEdit::NoWrap);
    edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    edit->setMaximumBlockCount(20000); // a bound on what one selection can cost
    return edit;
}

} // namespace

TaskPanel::TaskPanel(TaskModel *model, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
{
    m_proxy = new TaskFilterModel(this);
    m_proxy->setSourceModel(model);
    QLayout *filterRow = createFilterRow();
    createTable();
    QWidget *details = createDetails();
    m_splitter = new QSplitter(Qt::Vertical, this);
    m_splitter->setChildrenCollapsible(false);
    m_splitter->addWidget(m_view);
    m_splitter->addWidget(details);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(filterRow);
    layout->addWidget(m_splitter, 1);

    // Typing filters after a short pause, not on every key (hotspot's connectFilter).
    m_filterTimer = new QTimer(this);
    m_filterTimer->setSingleShot(true);
    m_filterTimer->setInterval(150);
    connect(m_filterEdit, &QLineEdit::textChanged, m_filterTimer, qOverload<>(&QTimer::start));
    connect(m_filterTimer, &QTimer::timeout, this, [this] {
        m_proxy->setText(m_filterEdit->text());
        updateCount();
    });
    connect(m_stateCombo, &QComboBox::currentIndexChanged, this, [this] {
        m_proxy->setStateGroup(TaskFilterModel::StateGroup(m_stateCombo->currentData().toInt()));
        updateCount();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &TaskPanel::announceSelection);
    // A filter change is a layout change: the count follows, and so do the details when the
    // filter hid the selected task (the selection model says nothing then).
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, [this] {
        updateCount();
        announceSelection();
    });
    // A reset (a new batch) clears the selection without a signal: say so too.
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &TaskPanel::announceSelection);
    connect(m_view, &QWidget::customContextMenuRequested, this, &TaskPanel::showContextMenu);
    for (auto signal : { &QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved })
        connect(m_proxy, signal, this, &TaskPanel::updateCount);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &TaskPanel::updateCount);
    updateCount();
}

QLayout *TaskPanel::createFilterRow()
{
    m_stateCombo = new QComboBox(this);
    m_stateCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents); // "Succeeded (12345)"
    using Group = TaskFilterModel::StateGroup;
    for (Group g : { Group::All, Group::Queued, Group::Running, Group::Succeeded, Group::Failed,
                     Group::Cancelled, Group::Retrying })
        m_stateCombo->addItem(TaskFilterModel::nameOf(g), int(g));
    m_filterEdit = new QLineEdit(this);
    m_filterEdit->setPlaceholderText(tr("Filter by input…"));
    m_filterEdit->setClearButtonEnabled(true);
    m_countLabel = new QLabel(this);
    auto *csvButton = new QPushButton(tr("Export CSV…"), this);
    auto *joblogButton = new QPushButton(tr("Export joblog…"), this);
    joblogButton->setToolTip(tr("GNU parallel's joblog format (TSV)"));

    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(new QLabel(tr("Tasks:"), this));
    filterRow->addWidget(m_stateCombo);
    filterRow->addWidget(m_filterEdit, 1);
    filterRow->addWidget(m_countLabel);
    filterRow->addWidget(csvButton);
    filterRow->addWidget(joblogButton);
    connect(csvButton, &QPushButton::clicked, this, &TaskPanel::exportCsvRequested);
    connect(joblogButton, &QPushButton::clicked, this, &TaskPanel::exportJoblogRequested);
    return filterRow;
}

void TaskPanel::createTable()
{
    m_view = new QTableView(this);
    m_view->setModel(m_proxy);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    // The input gets a fair share, the last column (the error) what is left: an input of a
    // few characters no longer takes 60% of the table.
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    const QFontMetrics fm = m_view->fontMetrics();
    m_view->setColumnWidth(TaskModel::SeqColumn, fm.horizontalAdvance(u"0000000"_s));
    m_view->setColumnWidth(TaskModel::InputColumn, fm.horizontalAdvance(u"x"_s) * 28);
    m_view->setColumnWidth(TaskModel::StartedColumn, fm.horizontalAdvance(u"00:00:00___"_s));
    m_view->setColumnWidth(TaskModel::StateColumn,
                           fm.horizontalAdvance(u"queued for retry (2/3)__"_s));
    m_view->setColumnWidth(TaskModel::WorkerColumn, fm.horizontalAdvance(u"Worker____"_s));
    m_view->setColumnWidth(TaskModel::AttemptsColumn, fm.horizontalAdvance(u"Attempts____"_s));
    m_view->setColumnWidth(TaskModel::DurationColumn, fm.horizontalAdvance(u"Duration____"_s));
    m_view->setColumnWidth(TaskModel::ExitColumn, fm.horizontalAdvance(u"killed by SIGKILL__"_s));
    m_view->setColumnWidth(TaskModel::ErrorColumn, fm.horizontalAdvance(u"x"_s) * 20);
    // Sorting only once asked for: sorting a large batch up front would stall the first frame.
    auto *header = m_view->horizontalHeader();
    header->setSectionsClickable(true);
    header->setSortIndicatorShown(true);
    header->setSortIndicator(-1, Qt::AscendingOrder);
    connect(header, &QHeaderView::sortIndicatorChanged, m_proxy,
            [this](int column, Qt::SortOrder order) { m_proxy->sort(column, order); });
}

QWidget *TaskPanel::createDetails()
{
    m_command = new QLineEdit(this);
    m_command->setReadOnly(true);
    m_command->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_command->setPlaceholderText(tr("Select a task to see its command and output"));
    m_status = new QLabel(this);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_stdout = makeOutputView(this);
    m_stderr = makeOutputView(this);
    m_outputTabs = new QTabWidget(this);
    m_outputTabs->setDocumentMode(true);
    m_outputTabs->addTab(m_stdout, tr("stdout"));
    m_outputTabs->addTab(m_stderr, tr("stderr"));
    m_attempts = makeOutputView(this);
    m_attempts->setFont(font());
    m_attempts->setPlaceholderText(tr("Every attempt of a task that failed is listed here, "
                                      "including those before a Retry."));
    m_outputTabs->addTab(m_attempts, tr("Attempts"));

    auto *details = new QWidget(this);
    auto *detailsLayout = new QVBoxLayout(details);
    detailsLayout->setContentsMargins(0, 4, 0, 0);
    auto *commandRow = new QHBoxLayout;
    commandRow->addWidget(new QLabel(tr("Command:"), details));
    commandRow->addWidget(m_command, 1);
    commandRow->addWidget(m_status);
    detailsLayout->addLayout(commandRow);
    detailsLayout->addWidget(m_outputTabs, 1);
    return details;
}

void TaskPanel::updateCount()
{
    const int shown = m_proxy->rowCount();
    const int all = m_model->rowCount();
    m_countLabel->setText(shown == all ? countOf(all, tr("task"), tr("tasks"))
                                       : tr("%1 of %2").arg(shown).arg(all));
}

void TaskPanel::announceSelection()
{
    const TaskId task = selectedTask();
    if (task == m_announced)
        return;
    m_announced = task;
    Q_EMIT taskSelected(task);
}

TaskId TaskPanel::selectedTask() const
{
    const QModelIndex current = m_view->currentIndex();
    return current.isValid() ? current.data(TaskModel::TaskIdRole).toLongLong() : -1;
}

void TaskPanel::showDetails(TaskId id, const QString &command, const QString &status,
                            const QByteArray &out, const QByteArray &err)
{
    const bool same = id == m_shown;
    m_shown = id;
    m_command->setText(command);
    m_command->setCursorPosition(0);
    m_status->setText(status);
    // Keep the reader's place when the same task's output grows.
    for (auto [view, data] : { std::pair { m_stdout, &out }, std::pair { m_stderr, &err } }) {
        const QString text = QString::fromLocal8Bit(*data);
        if (same && view->toPlainText() == text)
            continue;
        const int scroll = view->verticalScrollBar()->value();
        view->setPlainText(text);
        if (same)
            view->verticalScrollBar()->setValue(scroll);
    }
    m_outputTabs->setTabText(0,
                             out.isEmpty() ? tr("stdout") : tr("stdout (%1)").arg(out.count('\n')));
    m_outputTabs->setTabText(1,
                             err.isEmpty() ? tr("stderr") : tr("stderr (%1)").arg(err.count('\n')));
    if (!same && out.isEmpty() && !err.isEmpty())
        m_outputTabs->setCurrentIndex(1);
    showHistory(id);
}

// One line per ended attempt, oldest first; a Retry starts the engine's count again, so the
// lines are numbered here and the Retry is marked.
void TaskPanel::showHistory(TaskId id)
{
    const QList<TaskModel::Attempt> history = m_model->history(id);
    const int dropped = m_model->droppedAttempts(id);
    QStringList lines;
    if (dropped > 0)
        lines << tr("(%1 not kept)")
                     .arg(countOf(dropped, tr("earlier attempt"), tr("earlier attempts")));
    for (qsizetype i = 0; i < history.size(); ++i) {
        const TaskModel::Attempt &a = history[i];
        if (i > 0 && a.attempt <= history[i - 1].attempt)
            lines << tr("— retried —");
        QStringList parts { tr("Attempt %1").arg(dropped + i + 1), nameOf(a.state) };
        if (a.slot > 0)
            parts << tr("worker %1").arg(a.slot);
        if (a.startedMs >= 0 && m_model->wallStartMs() > 0)
            parts << QDateTime::fromMSecsSinceEpoch(m_model->wallStartMs() + a.startedMs)
                         .toString(u"HH:mm:ss"_s);
        parts << formatDuration(a.durationMs);
        if (a.exit.kind != ExitStatus::Kind::None)
            parts << a.exit.describe();
        if (!a.error.isEmpty())
            parts << a.error;
        lines << parts.join(u" · "_s);
    }
    const QString text = lines.join(u'\n');
    if (m_attempts->toPlainText() != text)
        m_attempts->setPlainText(text);
    m_outputTabs->setTabText(
        2, history.isEmpty() ? tr("Attempts") : tr("Attempts (%1)").arg(dropped + history.size()));
}

void TaskPanel::selectTask(TaskId id)
{
    if (id < 0 || id >= m_model->rowCount())
        return;
    m_proxy->settle(); // a task that a pending relayout brings into the filter is found
    QModelIndex index = m_proxy->mapFromSource(m_model->index(int(id), 0));
    if (!index.isValid()) { // filtered out: show every task rather than nothing
        clearFilter();
        index = m_proxy->mapFromSource(m_model->index(int(id), 0));
    }
    m_view->selectionModel()->setCurrentIndex(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
}

QList<int> TaskPanel::shownRows() const
{
    QList<int> rows;
    rows.reserve(m_proxy->rowCount());
    for (int row = 0; row < m_proxy->rowCount(); ++row)
        rows << m_proxy->mapToSource(m_proxy->index(row, 0)).row();
    return rows;
}

void TaskPanel::resetFilter()
{
    clearFilter();
    setStateCounts({});
}

void TaskPanel::clearFilter()
{
    m_stateCombo->setCurrentIndex(m_stateCombo->findData(int(TaskFilterModel::StateGroup::All)));
    m_filterEdit->clear();
    m_filterTimer->stop();
    m_proxy->setText(QString());
}

void TaskPanel::setStateCounts(const PoolStats &s)
{
    using Group = TaskFilterModel::StateGroup;
    const std::pair<Group, qint64> counts[] = {
        { Group::All, s.total },       { Group::Queued, s.queued },
        { Group::Running, s.running }, { Group::Succeeded, s.succeeded },
        { Group::Failed, s.failed },   { Group::Cancelled, s.cancelled },
    }; // retrying is not counted apart
    for (int i = 0; i < m_stateCombo->count(); ++i) {
        const auto group = Group(m_stateCombo->itemData(i).toInt());
        QString text = TaskFilterModel::nameOf(group);
        for (const auto &[g, count] : counts) {
            if (g == group)
                text = u"%1 (%2)"_s.arg(text).arg(count);
        }
        m_stateCombo->setItemText(i, text);
    }
}

void TaskPanel::clearDetails()
{
    m_shown = -1;
    m_command->clear();
    m_status->clear();
    m_stdout->clear();
    m_stderr->clear();
    m_outputTabs->setTabText(0, tr("stdout"));
    m_outputTabs->setTabText(1, tr("stderr"));
    m_attempts->clear();
    m_outputTabs->setTabText(2, tr("Attempts"));
}

// The menu acts on the tasks selected when it opened (rows move as tasks finish), and offers
// only what applies: Cancel for tasks that have not ended, Retry for those that failed, timed
// out or were cancelled.
void TaskPanel::showContextMenu(const QPoint &pos)
{
    QList<TaskId> cancellable, retryable;
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    for (const QModelIndex &index : rows) {
        const TaskId id = index.data(TaskModel::TaskIdRole).toLongLong();
        const auto state = TaskState(index.data(TaskModel::StateRole).toInt());
        if (!isTerminal(state))
            cancellable << id;
        else if (state != TaskState::Succeeded)
            retryable << id;
    }
    if (cancellable.isEmpty() && retryable.isEmpty())
        return;
    QMenu menu(this);
    if (!cancellable.isEmpty()) {
        menu.addAction(tr("Cancel %1").arg(countOf(cancellable.size(), tr("task"), tr("tasks"))),
                       this, [this, cancellable] { Q_EMIT cancelRequested(cancellable); });
    }
    if (!retryable.isEmpty()) {
        menu.addAction(tr("Retry %1").arg(countOf(retryable.size(), tr("task"), tr("tasks"))), this,
                       [this, retryable] { Q_EMIT retryRequested(retryable); });
    }
    menu.exec(m_view->viewport()->mapToGlobal(pos));
}

} // namespace shoal
