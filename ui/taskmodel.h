#pragma once

#include "enginefeed.h"
#include "events.h"

#include <QAbstractTableModel>

#include <functional>
#include <vector>

class QIODevice;

namespace shoal {

// Every task of the batch, one row per task in input order (row == task id). It changes by
// frames: a frame's task changes are applied to the rows, then signalled as a few contiguous
// dataChanged ranges over the state columns, and new tasks arrive in one beginInsertRows.
class TaskModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        SeqColumn,
        InputColumn,
        StateColumn,
        WorkerColumn,
        AttemptsColumn,
        DurationColumn,
        ExitColumn,
        ColumnCount
    };
    enum Role {
        StateRole = Qt::UserRole + 1, // TaskState as int
        TaskIdRole,
        SortRole, // a number where the column shows one
        ProgressRole, // 0..1 as a service worker reported it; invalid when none
    };

    struct Row
    {
        TaskId id = -1;
        qint64 seq = 0;
        QString input;
        TaskState state = TaskState::Queued;
        int slot = 0;
        int attempts = 0;
        qint64 startedMs = -1; // pool clock
        qint64 durationMs = 0;
        ExitStatus exit;
        qint64 receivedBytes = 0;
        float progress = -1; // the running attempt's, as its service worker reported it (-1: none)
    };

    explicit TaskModel(QObject *parent = nullptr);

    // A new batch (or none): the only resets.
    void reset(const std::vector<TaskInfo> &tasks);
    void clear();
    void applyFrame(const Frame &frame);
    // Where inputs of tasks added after the snapshot come from (TasksAdded carries none).
    void setInputSource(std::function<QString(TaskId)> source) { m_inputOf = std::move(source); }

    const Row &task(int row) const { return m_rows.at(size_t(row)); }
    const std::vector<Row> &tasks() const { return m_rows; }
    static QList<int> changedRoles();

    // The task list as CSV (RFC 4180), one row per task.
    bool writeCsv(QIODevice *device) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<Row> m_rows;
    std::function<QString(TaskId)> m_inputOf;
};

QString exitText(const TaskModel::Row &row);

} // namespace shoal
