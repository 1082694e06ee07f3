#pragma once

#include "task.h"

#include <QAbstractProxyModel>

#include <vector>

class QTimer;

namespace shoal {

class TaskModel;

// TaskModel's rows filtered by a group of states and by text in the input, and sorted by the
// model's values (numbers as numbers, inputs by their bytes, blanks last in either order).
//
// Its own proxy rather than QSortFilterProxyModel, for a million rows: a sort reads each row's
// key once and radix-sorts them (QSortFilterProxyModel compares through three virtual calls, 20
// million times), and a filter or sort change is one layout change. While tasks change, rows
// that a change moves (into or out of the state group, or in the sort order) move in one
// relayout: at once for tables up to kImmediateRows, else on a throttle, so a running batch of a
// million tasks does not re-sort them ten times a second. New rows that pass the filter go at
// the end until then.
class TaskFilterModel : public QAbstractProxyModel
{
    Q_OBJECT
public:
    enum class StateGroup : quint8 { All, Queued, Running, Succeeded, Failed, Cancelled, Retrying };
    static constexpr int kImmediateRows = 20000;

    explicit TaskFilterModel(QObject *parent = nullptr);

    void setSourceModel(QAbstractItemModel *model) override; // a TaskModel
    void setStateGroup(StateGroup group);
    StateGroup stateGroup() const { return m_group; }
    // Tasks whose input contains text, ignoring case (empty: all).
    void setText(const QString &text);
    QString text() const { return m_text; }
    static bool inGroup(TaskState state, StateGroup group);
    static QString nameOf(StateGroup group);

    // column -1: the model's order.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }
    // Moves the rows that changes since the last relayout moved, now (a throttled relayout is
    // pending while isSettled() is false).
    void settle();
    bool isSettled() const { return !m_unsettled; }

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &) const override { return {}; }
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    QModelIndex mapToSource(const QModelIndex &proxyIndex) const override;
    QModelIndex mapFromSource(const QModelIndex &sourceIndex) const override;

private:
    bool accepts(int sourceRow) const;
    bool inputMatches(int sourceRow) const;
    // The shown rows in their order, from scratch.
    std::vector<int> orderedRows() const;
    void sortRows(std::vector<int> &rows) const;
    void sortByInput(std::vector<int> &rows) const;
    // The new order as one layout change that keeps persistent indexes (the selection).
    void relayout(QAbstractItemModel::LayoutChangeHint hint);
    void rebuild(); // in a reset: no persistent indexes to keep
    void setRows(std::vector<int> rows);
    // A change moved rows: relayout now or on the throttle.
    void unsettle();
    void sourceRowsInserted(int first, int last);
    void sourceDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                           const QList<int> &roles);
    bool changesMoveRows() const;

    TaskModel *m_tasks = nullptr;
    StateGroup m_group = StateGroup::All;
    QString m_text;
    QByteArray m_needle; // m_text's bytes, lower case, when it is ASCII (compared byte-wise)
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    std::vector<int> m_rows; // shown row -> model row
    std::vector<int> m_shownAt; // model row -> shown row, -1: filtered out
    bool m_unsettled = false;
    QTimer *m_settleTimer;
    qint64 m_relayoutMs = 0; // what the last relayout took: the throttle is a multiple of it
    QList<QMetaObject::Connection> m_connections;
};

} // namespace shoal
