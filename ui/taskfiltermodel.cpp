#include "taskfiltermodel.h"

#include "taskmodel.h"

namespace shoal {

TaskFilterModel::TaskFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(TaskModel::SortRole);
    setFilterKeyColumn(TaskModel::InputColumn);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
}

void TaskFilterModel::setStateGroup(StateGroup group)
{
    if (m_group == group)
        return;
    m_group = group;
    invalidateFilter();
}

bool TaskFilterModel::inGroup(TaskState state, StateGroup group)
{
    switch (group) {
    case StateGroup::All:
        return true;
    case StateGroup::Queued:
        return state == TaskState::Queued;
    case StateGroup::Running:
        return state == TaskState::Running || state == TaskState::Paused;
    case StateGroup::Succeeded:
        return state == TaskState::Succeeded;
    case StateGroup::Failed:
        return state == TaskState::Failed || state == TaskState::TimedOut;
    case StateGroup::Cancelled:
        return state == TaskState::Cancelled;
    case StateGroup::Retrying:
        return state == TaskState::Retrying;
    }
    return true;
}

QString TaskFilterModel::nameOf(StateGroup group)
{
    switch (group) {
    case StateGroup::All:
        return tr("All states");
    case StateGroup::Queued:
        return tr("Queued");
    case StateGroup::Running:
        return tr("Running");
    case StateGroup::Succeeded:
        return tr("Succeeded");
    case StateGroup::Failed:
        return tr("Failed");
    case StateGroup::Cancelled:
        return tr("Cancelled");
    case StateGroup::Retrying:
        return tr("Retrying");
    }
    return {};
}

bool TaskFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_group != StateGroup::All) {
        const QModelIndex index
            = sourceModel()->index(sourceRow, TaskModel::StateColumn, sourceParent);
        if (!inGroup(TaskState(index.data(TaskModel::StateRole).toInt()), m_group))
            return false;
    }
    return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
}

bool TaskFilterModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    switch (left.column()) {
    case TaskModel::WorkerColumn:
    case TaskModel::StartedColumn:
    case TaskModel::DurationColumn:
    case TaskModel::ExitColumn: {
        // The columns with blanks: their sort values are numbers, -1 for a blank, read once.
        const qint64 a = left.data(sortRole()).toLongLong();
        const qint64 b = right.data(sortRole()).toLongLong();
        if ((a == -1) != (b == -1)) // the blank is "greater" ascending, "smaller" descending
            return (b == -1) == (sortOrder() == Qt::AscendingOrder);
        return a < b;
    }
    case TaskModel::ErrorColumn: { // text, blanks last as above
        const QString a = left.data(sortRole()).toString();
        const QString b = right.data(sortRole()).toString();
        if (a.isEmpty() != b.isEmpty())
            return b.isEmpty() == (sortOrder() == Qt::AscendingOrder);
        return a.localeAwareCompare(b) < 0;
    }
    default:
        return QSortFilterProxyModel::lessThan(left, right);
    }
}

} // namespace shoal
