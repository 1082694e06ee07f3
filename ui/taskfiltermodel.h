#pragma once

#include "task.h"

#include <QSortFilterProxyModel>

namespace shoal {

// Filters TaskModel rows by a group of states and by text in the input, and sorts by the
// model's SortRole (numbers sort as numbers).
class TaskFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    enum class StateGroup : quint8 { All, Queued, Running, Succeeded, Failed, Cancelled, Retrying };

    explicit TaskFilterModel(QObject *parent = nullptr);

    void setStateGroup(StateGroup group);
    StateGroup stateGroup() const { return m_group; }
    static bool inGroup(TaskState state, StateGroup group);
    static QString nameOf(StateGroup group);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    // Blanks (a worker, start, duration or exit a task does not have yet: sort value -1) go
    // last in either order: sorting by duration shows durations first, not the queue. Other
    // columns sort as QSortFilterProxyModel does (their values are read once per comparison).
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    StateGroup m_group = StateGroup::All;
};

} // namespace shoal
