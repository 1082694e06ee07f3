#pragma once

#include "enginefeed.h"
#include "events.h"

#include <QAbstractTableModel>

#include <functional>
#include <vector>

namespace shoal {

// The pool's workers, one row per slot in slot order. It changes by frames: rows that changed
// are signalled as contiguous dataChanged ranges (with their roles), slots that joined or left
// as row inserts and removals, so selections survive a resize.
class WorkerModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        SlotColumn,
        HostColumn, // shown when the batch has worker hosts
        PidColumn,
        StateColumn,
        TaskColumn,
        ElapsedColumn,
        DoneColumn,
        FailuresColumn,
        CpuColumn,
        RssColumn,
        ColumnCount
    };
    enum Role {
        StateRole = Qt::UserRole + 1, // WorkerState as int
        SlotRole,
        TaskIdRole, // -1 when idle
        SortRole, // a number where the column shows one
    };

    explicit WorkerModel(QObject *parent = nullptr);

    // A new batch: the only reset.
    void reset(const std::vector<WorkerInfo> &workers);
    void applyFrame(const Frame &frame);
    // How the Task column names a task (default: its number).
    void setTaskLabel(std::function<QString(TaskId)> label) { m_taskLabel = std::move(label); }
    // The current task's progress as its service worker reported it, -1 when none (shown after
    // the label; rows repaint when a frame brings progress for their task).
    void setTaskProgress(std::function<float(TaskId)> progress)
    {
        m_taskProgress = std::move(progress);
    }

    const WorkerInfo &worker(int row) const { return m_rows.at(size_t(row)); }
    // Each worker host's totals, in the order its workers first appear (empty without hosts).
    struct HostTotals
    {
        QString host;
        int workers = 0;
        int busy = 0; // running a task (paused ones included)
        qint64 tasksDone = 0;
        qint64 failures = 0;
    };
    std::vector<HostTotals> hostTotals() const;
    // The workers that left the pool (a shrink, a recycled service worker) and what they did.
    struct Retired
    {
        int workers = 0;
        qint64 tasksDone = 0;
        qint64 failures = 0;
    };
    const Retired &retired() const { return m_retired; }
    int rowOfSlot(int slot) const; // -1 when absent
    static QList<int> changedRoles();

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    void retiredChanged();

private:
    QVariant displayData(const QModelIndex &index) const;
    QVariant sortData(const QModelIndex &index) const;
    void removeSlots(const std::vector<int> &slotNumbers);
    void insertWorkers(const std::vector<WorkerInfo> &workers);

    std::vector<WorkerInfo> m_rows; // sorted by slot
    Retired m_retired;
    std::function<QString(TaskId)> m_taskLabel;
    std::function<float(TaskId)> m_taskProgress;
};

} // namespace shoal
