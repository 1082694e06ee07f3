#pragma once

#include "enginefeed.h"
#include "events.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <QSet>

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
        StartedColumn, // the latest attempt's start, local time of day
        DurationColumn,
        ExitColumn,
        ErrorColumn, // a failed attempt's first line of stderr (a service: its error)
        ColumnCount
    };
    enum Role {
        StateRole = Qt::UserRole + 1, // TaskState as int
        TaskIdRole,
        ProgressRole, // 0..1 as a service worker reported it; invalid when none
    };

    // One task (its id is its row). 48 bytes: a million tasks fit in 48 MB; the input text
    // stays in the batch's InputList, shared with the engine.
    struct Row
    {
        qint64 startedMs = -1; // pool clock
        qint64 receivedBytes = 0;
        ExitStatus exit;
        quint32 durationMs = 0; // setDuration() saturates at 49 days, as the engine's ledger
        int slot = 0;
        float progress = -1; // the running attempt's, as its service worker reported it (-1: none)
        int attempts = 0;
        TaskState state = TaskState::Queued;

        void setDuration(qint64 ms) { durationMs = quint32(qBound<qint64>(0, ms, UINT32_MAX)); }
    };
    static_assert(sizeof(Row) == 48);

    // One ended attempt of a task that did not succeed at its first: the details list them
    // all, across Retry, and the Error column shows the latest one's error.
    struct Attempt
    {
        qint64 startedMs = -1; // pool clock
        qint64 durationMs = 0;
        ExitStatus exit;
        int slot = 0;
        int attempt = 0; // as the engine counted it: 1 again after a Retry
        TaskState state = TaskState::Failed;
        QString error; // the first line of its stderr (a service task: its error text)
    };

    explicit TaskModel(QObject *parent = nullptr);

    // A new batch (or none): the only resets. inputs: every input of the batch (a task's is
    // inputs.value(seq - 1)).
    void reset(const std::vector<TaskInfo> &tasks, InputList inputs = {});
    // Attempts in all per task: a task queued for retry shows which attempt comes next.
    void setMaxAttempts(int attempts) { m_maxAttempts = qMax(1, attempts); }
    // The pool clock's zero (epoch ms): start times show as times of day once it is known.
    void setWallStartMs(qint64 ms) { m_wallStartMs = ms; }
    qint64 wallStartMs() const { return m_wallStartMs; }
    void reset(const PoolSnapshot &snapshot); // full or compact
    void clear();
    void applyFrame(const Frame &frame);
    // Inputs read since the snapshot (TasksAdded carries none).
    void setInputs(InputList inputs) { m_inputs = std::move(inputs); }

    const Row &task(int row) const { return m_rows.at(size_t(row)); }
    // {#} of a task: row + 1, except in resumed runs.
    qint64 seqOf(int row) const { return m_seqs.empty() ? row + 1 : m_seqs.at(size_t(row)); }
    QString inputOf(int row) const { return m_inputs.value(qsizetype(seqOf(row) - 1)); }
    const InputList &inputs() const { return m_inputs; } // by Seq - 1
    // Its bytes, as read (no decoding): what sorting and filtering by input compare.
    QByteArrayView inputBytesOf(int row) const
    {
        const qsizetype i = qsizetype(seqOf(row) - 1);
        return i >= 0 && i < m_inputs.size() ? m_inputs.utf8(i) : QByteArrayView();
    }
    // A column's value as a number to sort by (-1: blank), for every column but the input and
    // the error (text): read straight from the row, no QVariant.
    qint64 sortKey(int row, int column) const;
    const std::vector<Row> &tasks() const { return m_rows; }
    // The ended attempts of a task that failed at least once (empty for the others).
    // At most kAttemptsKept, the latest; dropped(task) tells how many earlier ones went.
    QList<Attempt> history(TaskId task) const { return m_history.value(task); }
    int droppedAttempts(TaskId task) const { return m_dropped.value(task); }
    static constexpr int kAttemptsKept = 32;
    // The error the Error column shows: the latest attempt's, while the task stands failed.
    QString errorOf(int row) const;
    static QList<int> changedRoles();

    // The task list as CSV (RFC 4180), one row per task.
    // The tasks as CSV: those of rows (all when null; none when empty; in that order), with
    // their start time (UTC, ISO 8601) when the pool clock's zero, wallStartMs, is known.
    bool writeCsv(QIODevice *device, const QList<int> *rows = nullptr,
                  qint64 wallStartMs = 0) const;

    // As QAbstractTableModel's, without its virtual rowCount()/columnCount() calls: a sort of a
    // million rows asks for 40 million indexes.
    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override
    {
        return !parent.isValid() && row >= 0 && size_t(row) < m_rows.size() && column >= 0
                && column < ColumnCount
            ? createIndex(row, column)
            : QModelIndex();
    }
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    int m_maxAttempts = 1;
    qint64 m_wallStartMs = 0;
    static Row rowOf(const TaskInfo &task);
    void startReset(InputList inputs, size_t rows);
    void applyBatch(const TaskBatch &batch, qint64 timeMs, std::vector<int> &dirty);
    void applyChange(const TaskChange &change, std::vector<int> &dirty);
    void recordAttempt(const TaskBatch &batch, const TaskBatch::Finished &f, qint64 startedMs);

    QVariant displayData(const QModelIndex &index) const;
    std::vector<Row> m_rows;
    std::vector<qint64> m_seqs; // Seq per row; empty while every Seq is row + 1
    InputList m_inputs;
    // Only for tasks with a failed attempt: their rows stay small, failures are few.
    QHash<TaskId, QList<Attempt>> m_history;
    QHash<TaskId, int> m_dropped; // tasks that failed more than kAttemptsKept times
    // Failures often say the same thing: equal errors share one string (up to a bound).
    QSet<QString> m_errors;
    QString intern(const QString &error);
};

QString exitText(const TaskModel::Row &row);

} // namespace shoal
