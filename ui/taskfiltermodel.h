#pragma once

#include "task.h"

#include <QSortFilterProxyModel>

namespace shoal {

class TaskModel;

// Filters TaskModel rows by a group of states and by text in the input, and sorts by the
// model's values (numbers as numbers, inputs by their bytes), read straight from its rows: at a
// million tasks a QVariant per comparison is most of a sort's time.
class TaskFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    enum class StateGroup : quint8 { All, Queued, Running, Succeeded, Failed, Cancelled, Retrying };

    explicit TaskFilterModel(QObject *parent = nullptr);

    void setSourceModel(QAbstractItemModel *model) override; // a TaskModel
    void setStateGroup(StateGroup group);
    StateGroup stateGroup() const { return m_group; }
    // Tasks whose input contains text, ignoring case (empty: all).
    void setText(const QString &text);
    QString text() const { return m_text; }
    static bool inGroup(TaskState state, StateGroup group);
    static QString nameOf(StateGroup group);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    // By TaskModel::sortKey() (the input by its bytes, the error as text). Blanks (a worker,
    // start, duration, exit or error a task does not have yet) go last in either order:
    // sorting by duration shows durations first, not the queue.
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    bool inputMatches(int sourceRow) const;
    // A filter change as one layout change, not a removal or insertion per run of rows: at a
    // million tasks those signals cost seconds in the views.
    void refilter();

    TaskModel *m_tasks = nullptr;
    StateGroup m_group = StateGroup::All;
    QString m_text;
    QByteArray m_needle; // m_text's bytes, lower case, when it is ASCII (compared byte-wise)
};

} // namespace shoal
