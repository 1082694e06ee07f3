#include "workermodel.h"

#include <QHash>

#include "humanformat.h"
#include "rowranges.h"
#include "statecolors.h"

#include <QGuiApplication>

#include <algorithm>
#include <limits>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

bool sameWorker(const WorkerInfo &a, const WorkerInfo &b)
{
    return a.slot == b.slot && a.state == b.state && a.parked == b.parked && a.pid == b.pid
        && a.task == b.task && a.taskStartedMs == b.taskStartedMs
        && a.taskElapsedMs == b.taskElapsedMs && a.tasksDone == b.tasksDone
        && a.failures == b.failures && a.cpuPercent == b.cpuPercent && a.rssBytes == b.rssBytes;
}

bool bySlot(const WorkerInfo &w, int slot)
{
    return w.slot < slot;
}

} // namespace

WorkerModel::WorkerModel(QObject *parent)
    : QAbstractTableModel(parent)
{
    m_taskLabel = [](TaskId id) { return u"#%1"_s.arg(id + 1); };
}

QList<int> WorkerModel::changedRoles()
{
    return {
        Qt::DisplayRole, Qt::ToolTipRole, Qt::BackgroundRole, StateRole, TaskIdRole, SortRole
    };
}

void WorkerModel::reset(const std::vector<WorkerInfo> &workers)
{
    beginResetModel();
    m_retired = {};
    m_rows = workers;
    std::sort(m_rows.begin(), m_rows.end(),
              [](const auto &a, const auto &b) { return a.slot < b.slot; });
    endResetModel();
}

int WorkerModel::rowOfSlot(int slot) const
{
    const auto it = std::lower_bound(m_rows.begin(), m_rows.end(), slot, bySlot);
    return it != m_rows.end() && it->slot == slot ? int(it - m_rows.begin()) : -1;
}

void WorkerModel::applyFrame(const Frame &frame)
{
    std::vector<int> leaving;
    for (int slot : frame.removedWorkers) {
        if (!frame.workers.contains(slot)) // a slot that left and came back is just an update
            leaving.push_back(slot);
    }
    removeSlots(leaving);

    std::vector<WorkerInfo> joining;
    std::vector<int> dirty;
    for (const auto &[slot, info] : frame.workers) {
        const int row = rowOfSlot(slot);
        if (row < 0) {
            joining.push_back(info);
        } else if (!sameWorker(m_rows[size_t(row)], info)) {
            m_rows[size_t(row)] = info;
            dirty.push_back(row);
        }
    }
    // Rows of updated slots may shift with the inserts: signal them by slot afterwards.
    std::vector<int> dirtySlots;
    for (int row : dirty)
        dirtySlots.push_back(m_rows[size_t(row)].slot);
    insertWorkers(joining);
    dirty.clear();
    for (int slot : dirtySlots)
        dirty.push_back(rowOfSlot(slot));
    for (const auto &[task, value] : frame.progress) {
        for (size_t row = 0; row < m_rows.size(); ++row) {
            if (m_rows[row].task == task)
                dirty.push_back(int(row));
        }
    }
    for (const auto &[first, last] : contiguousRanges(std::move(dirty)))
        Q_EMIT dataChanged(index(first, 0), index(last, ColumnCount - 1), changedRoles());
}

void WorkerModel::removeSlots(const std::vector<int> &slotNumbers)
{
    std::vector<int> rows;
    for (int slot : slotNumbers) {
        if (const int row = rowOfSlot(slot); row >= 0)
            rows.push_back(row);
    }
    // What they did stays counted: a shrunk pool's totals still add up.
    for (int row : rows) {
        ++m_retired.workers;
        m_retired.tasksDone += m_rows[size_t(row)].tasksDone;
        m_retired.failures += m_rows[size_t(row)].failures;
    }
    if (!rows.empty())
        Q_EMIT retiredChanged();
    // Remove from the bottom up so that earlier runs keep their row numbers.
    auto ranges = contiguousRanges(std::move(rows), std::numeric_limits<int>::max());
    for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) {
        beginRemoveRows({}, it->first, it->second);
        m_rows.erase(m_rows.begin() + it->first, m_rows.begin() + it->second + 1);
        endRemoveRows();
    }
}

void WorkerModel::insertWorkers(const std::vector<WorkerInfo> &workers)
{
    // workers is sorted by slot (it comes from a map). Slots that land at the same position
    // form one run, inserted with one beginInsertRows.
    size_t i = 0;
    while (i < workers.size()) {
        const auto pos = std::lower_bound(m_rows.begin(), m_rows.end(), workers[i].slot, bySlot);
        const int row = int(pos - m_rows.begin());
        const int nextSlot = pos == m_rows.end() ? std::numeric_limits<int>::max() : pos->slot;
        size_t end = i + 1;
        while (end < workers.size() && workers[end].slot < nextSlot)
            ++end;
        beginInsertRows({}, row, row + int(end - i) - 1);
        m_rows.insert(m_rows.begin() + row, workers.begin() + qsizetype(i),
                      workers.begin() + qsizetype(end));
        endInsertRows();
        i = end;
    }
}

int WorkerModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int WorkerModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant WorkerModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const WorkerInfo &w = m_rows[size_t(index.row())];
    const bool hasTask = w.task >= 0;
    switch (role) {
    case Qt::DisplayRole:
        return displayData(index);
    case Qt::ToolTipRole:
        if (index.column() == TaskColumn && hasTask)
            return m_taskLabel(w.task);
        if (index.column() == StateColumn && w.parked)
            return tr("Parked by a shrink with the pause drain policy; grows back first.");
        break;
    case Qt::BackgroundRole:
        if (index.column() == StateColumn) {
            const QColor c = w.parked ? parkedWorkerBackground(QGuiApplication::palette())
                                      : workerStateBackground(w.state, QGuiApplication::palette());
            return c.isValid() ? QVariant(c) : QVariant();
        }
        break;
    case Qt::TextAlignmentRole:
        switch (Column(index.column())) {
        case HostColumn:
        case StateColumn:
        case TaskColumn:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        default:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        }
    case StateRole:
        return int(w.state);
    case SlotRole:
        return w.slot;
    case TaskIdRole:
        return w.task;
    case SortRole:
        return sortData(index);
    default:
        break;
    }
    return {};
}

QVariant WorkerModel::displayData(const QModelIndex &index) const
{
    const WorkerInfo &w = m_rows[size_t(index.row())];
    const bool hasTask = w.task >= 0;
    switch (Column(index.column())) {
    case SlotColumn:
        return w.slot;
    case HostColumn:
        return w.host;
    case PidColumn:
        return w.pid > 0 ? QVariant(w.pid) : QVariant(u"–"_s);
    case StateColumn:
        return w.parked ? u"parked"_s : nameOf(w.state);
    case TaskColumn: {
        if (!hasTask)
            return QString();
        const float progress = m_taskProgress ? m_taskProgress(w.task) : -1;
        return progress >= 0 ? tr("%1  (%2%)").arg(m_taskLabel(w.task)).arg(qRound(progress * 100))
                             : m_taskLabel(w.task);
    }
    case ElapsedColumn:
        return hasTask ? formatDuration(w.taskElapsedMs) : QString();
    case DoneColumn:
        return w.tasksDone;
    case FailuresColumn:
        return w.failures;
    case CpuColumn:
        return hasTask ? u"%1%"_s.arg(w.cpuPercent, 0, 'f', 0) : QString();
    case RssColumn:
        return hasTask && w.rssBytes > 0 ? formatBytes(w.rssBytes) : QString();
    case ColumnCount:
        break;
    }
    return {};
}

QVariant WorkerModel::sortData(const QModelIndex &index) const
{
    const WorkerInfo &w = m_rows[size_t(index.row())];
    switch (Column(index.column())) {
    case SlotColumn:
        return w.slot;
    case HostColumn:
        return w.host;
    case PidColumn:
        return w.pid;
    case StateColumn:
        return int(w.state);
    case TaskColumn:
        return w.task;
    case ElapsedColumn:
        return w.taskElapsedMs;
    case DoneColumn:
        return w.tasksDone;
    case FailuresColumn:
        return w.failures;
    case CpuColumn:
        return w.cpuPercent;
    case RssColumn:
        return w.rssBytes;
    case ColumnCount:
        break;
    }
    return {};
}

QVariant WorkerModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && section == FailuresColumn)
        return tr("Attempts that failed on this worker (a task retried counts each time)");
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case SlotColumn:
        return tr("Slot");
    case HostColumn:
        return tr("Host");
    case PidColumn:
        return tr("PID");
    case StateColumn:
        return tr("State");
    case TaskColumn:
        return tr("Task");
    case ElapsedColumn:
        return tr("Elapsed");
    case DoneColumn:
        return tr("Done");
    case FailuresColumn:
        return tr("Failed\nattempts"); // two lines: the table fits a narrow pane
    case CpuColumn:
        return tr("CPU");
    case RssColumn:
        return tr("RSS");
    case ColumnCount:
        break;
    }
    return {};
}

std::vector<WorkerModel::HostTotals> WorkerModel::hostTotals() const
{
    std::vector<HostTotals> totals;
    QHash<QString, size_t> index;
    for (const WorkerInfo &w : m_rows) {
        if (w.host.isEmpty())
            continue;
        auto at = index.constFind(w.host);
        if (at == index.constEnd()) {
            at = index.insert(w.host, totals.size());
            totals.push_back(HostTotals { w.host });
        }
        HostTotals *it = &totals[*at];
        ++it->workers;
        it->busy += w.task >= 0 ? 1 : 0;
        it->tasksDone += w.tasksDone;
        it->failures += w.failures;
    }
    return totals;
}

} // namespace shoal
