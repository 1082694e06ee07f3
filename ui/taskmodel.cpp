#include "taskmodel.h"

#include "humanformat.h"
#include "rowranges.h"
#include "statecolors.h"

#include <QDateTime>
#include <QGuiApplication>
#include <QIODevice>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

QString csvField(const QString &text)
{
    if (!text.contains(u',') && !text.contains(u'"') && !text.contains(u'\n')
        && !text.contains(u'\r'))
        return text;
    return u'"' + QString(text).replace(u"\""_s, u"\"\""_s) + u'"';
}

// The line that names an error: the first non-blank one (or the last, of a tail), at most 300
// characters.
QString errorLine(QByteArrayView text, bool last = false)
{
    QString line;
    for (QByteArrayView rest = text; !rest.isEmpty();) {
        const qsizetype end = rest.indexOf('\n');
        const QByteArrayView candidate = (end < 0 ? rest : rest.first(end)).trimmed();
        rest = end < 0 ? QByteArrayView() : rest.sliced(end + 1);
        if (candidate.isEmpty())
            continue;
        line = QString::fromLocal8Bit(candidate.first(qMin<qsizetype>(candidate.size(), 1200)));
        if (!last)
            break;
    }
    return line.size() > 300 ? line.first(299) + u'…' : line;
}

bool failedState(TaskState state)
{
    return state == TaskState::Failed || state == TaskState::TimedOut
        || state == TaskState::Retrying;
}

bool hasRun(const TaskModel::Row &row)
{
    return row.attempts > 0 && row.state != TaskState::Queued;
}

} // namespace

TaskModel::Row TaskModel::rowOf(const TaskInfo &t)
{
    Row row;
    row.startedMs = t.startedMs;
    row.setDuration(isTerminal(t.state) ? t.durationMs : 0);
    row.exit = t.exit;
    row.slot = t.slot;
    row.attempts = t.attempts;
    row.state = t.state;
    return row;
}

QString exitText(const TaskModel::Row &row)
{
    if (row.exit.kind == ExitStatus::Kind::None)
        return {};
    if (row.exit.kind == ExitStatus::Kind::Exited)
        return QString::number(row.exit.code);
    return row.exit.describe();
}

TaskModel::TaskModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

QList<int> TaskModel::changedRoles()
{
    return { Qt::DisplayRole, Qt::ToolTipRole, Qt::ForegroundRole, StateRole, ProgressRole };
}

void TaskModel::startReset(InputList inputs, size_t rows)
{
    beginResetModel();
    m_inputs = std::move(inputs);
    m_rows.clear();
    m_rows.shrink_to_fit();
    m_rows.reserve(rows);
    m_seqs.clear();
    m_seqs.shrink_to_fit();
    m_history.clear();
    m_dropped.clear();
    m_errors.clear();
}

void TaskModel::reset(const std::vector<TaskInfo> &tasks, InputList inputs)
{
    startReset(std::move(inputs), tasks.size());
    bool plain = true; // every Seq is row + 1: m_seqs stays empty
    for (const TaskInfo &t : tasks) {
        const qint64 seq = t.seq > 0 ? t.seq : t.id + 1;
        if (plain && seq != qint64(m_rows.size()) + 1) {
            plain = false;
            for (size_t id = 0; id < m_rows.size(); ++id)
                m_seqs.push_back(qint64(id) + 1);
        }
        if (!plain)
            m_seqs.push_back(seq);
        m_rows.push_back(rowOf(t));
    }
    endResetModel();
}

void TaskModel::reset(const PoolSnapshot &snapshot)
{
    if (!snapshot.compact) {
        reset(snapshot.tasks, snapshot.inputs);
        return;
    }
    startReset(snapshot.inputs, size_t(snapshot.taskCount));
    m_rows.resize(size_t(snapshot.taskCount));
    m_seqs = snapshot.seqs;
    for (const TaskInfo &t : snapshot.tasks) {
        if (t.id < 0 || t.id >= snapshot.taskCount)
            continue;
        m_rows[size_t(t.id)] = rowOf(t);
    }
    endResetModel();
}

void TaskModel::clear()
{
    reset(std::vector<TaskInfo>());
}

void TaskModel::applyFrame(const Frame &frame)
{
    // New tasks first (changes may name them), in one insert: they always extend the list.
    TaskId last = -1;
    for (const auto &[first, lastOfRange] : frame.addedTasks) {
        if (lastOfRange >= TaskId(m_rows.size()))
            last = qMax(last, lastOfRange);
    }
    if (last >= 0) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, int(last));
        for (TaskId id = first; id <= last; ++id) {
            m_rows.emplace_back();
            if (!m_seqs.empty())
                m_seqs.push_back(id + 1);
        }
        endInsertRows();
    }

    std::vector<int> dirty;
    for (const TaskUpdate &u : frame.taskUpdates) {
        if (u.batch)
            applyBatch(*u.batch, u.timeMs, dirty);
        else
            applyChange(u.change, dirty);
    }
    for (const auto &[task, value] : frame.progress) {
        if (task < 0 || task >= TaskId(m_rows.size()))
            continue;
        Row &row = m_rows[size_t(task)];
        if (row.state != TaskState::Running && row.state != TaskState::Paused)
            continue; // it ended within the frame: its progress is moot
        row.progress = float(qBound(0.0, value, 1.0));
        dirty.push_back(int(task));
    }
    // The seq and input columns never change: leaving them out spares a proxy sorted by them
    // a re-sort.
    for (const auto &[first, lastRow] : contiguousRanges(std::move(dirty)))
        Q_EMIT dataChanged(index(first, StateColumn), index(lastRow, ColumnCount - 1),
                           changedRoles());
}

// Starts, then ends: within one batch a task may end an attempt and start the next, so an entry
// of an older attempt than the row shows is already superseded.
void TaskModel::applyBatch(const TaskBatch &batch, qint64 timeMs, std::vector<int> &dirty)
{
    const TaskId rows = TaskId(m_rows.size());
    // A start that replaces an attempt still on the row (a retry within the batch): when that
    // attempt's end comes below, its start time is this one. Rare: retries only.
    struct Replaced
    {
        TaskId task;
        int attempt;
        qint64 startedMs;
    };
    std::vector<Replaced> replaced;
    for (const TaskBatch::Started &s : batch.started) {
        if (s.task < 0 || s.task >= rows || m_rows[size_t(s.task)].attempts > s.attempt)
            continue;
        Row &row = m_rows[size_t(s.task)];
        if (row.attempts > 0 && row.attempts < s.attempt)
            replaced.push_back({ s.task, row.attempts, row.startedMs });
        row.state = TaskState::Running;
        row.progress = -1;
        row.slot = s.slot;
        row.attempts = s.attempt;
        row.startedMs = timeMs;
        row.durationMs = 0;
        row.exit = {};
        dirty.push_back(int(s.task));
    }
    for (const TaskBatch::Finished &f : batch.finished) {
        if (f.task < 0 || f.task >= rows)
            continue;
        if (m_rows[size_t(f.task)].attempts > f.attempt) { // superseded within the batch
            qint64 started = timeMs; // it started in this batch, as the next one did
            for (const Replaced &r : replaced) {
                if (r.task == f.task && r.attempt == f.attempt)
                    started = r.startedMs; // it started before
            }
            recordAttempt(batch, f, started);
            continue;
        }
        Row &row = m_rows[size_t(f.task)];
        row.state = f.state;
        row.progress = -1;
        row.attempts = f.attempt;
        row.exit = f.exit;
        row.setDuration(f.durationMs);
        row.receivedBytes = batch.receivedBytes(f);
        recordAttempt(batch, f, row.startedMs);
        dirty.push_back(int(f.task));
    }
}

// A task's attempt that failed, and every later one of that task, joins its history. A task
// cancelled before it ran (attempt 0) made no attempt.
void TaskModel::recordAttempt(const TaskBatch &batch, const TaskBatch::Finished &f,
                              qint64 startedMs)
{
    if (f.attempt <= 0)
        return;
    auto it = m_history.find(f.task);
    if (it == m_history.end()) {
        if (!failedState(f.state))
            return;
        it = m_history.insert(f.task, {});
    }
    Attempt a;
    a.startedMs = startedMs;
    a.durationMs = f.durationMs;
    a.exit = f.exit;
    a.slot = f.slot;
    a.attempt = f.attempt;
    a.state = f.state;
    if (failedState(f.state)) {
        if (f.captured >= 0) { // a command task: its stderr
            const TaskBatch::Captured &c = batch.captured[size_t(f.captured)];
            // A spilled stderr (over a MiB) is not read whole: its last line names the error.
            a.error = intern(c.errFile ? errorLine(c.errFile->tail(4096), true) : errorLine(c.err));
        } else { // a service task: the error its worker replied
            a.error = intern(errorLine(batch.output(f)));
        }
    }
    if (it->size() >= kAttemptsKept) {
        it->removeFirst();
        ++m_dropped[f.task];
    }
    it->append(std::move(a));
}

QString TaskModel::intern(const QString &error)
{
    if (error.isEmpty())
        return error;
    if (const auto it = m_errors.constFind(error); it != m_errors.cend())
        return *it;
    if (m_errors.size() < 10000)
        m_errors.insert(error);
    return error;
}

QString TaskModel::errorOf(int row) const
{
    const Row &r = m_rows[size_t(row)];
    if (!failedState(r.state))
        return {};
    const auto it = m_history.constFind(TaskId(row));
    if (it == m_history.cend() || it->isEmpty())
        return {};
    return it->constLast().error;
}

void TaskModel::applyChange(const TaskChange &c, std::vector<int> &dirty)
{
    if (c.task < 0 || c.task >= TaskId(m_rows.size()))
        return;
    Row &row = m_rows[size_t(c.task)];
    row.state = c.state;
    row.progress = -1;
    if (c.kind == TaskChange::Kind::Requeued) {
        if (c.slot == 0) { // a retry: a fresh start
            row.attempts = 0;
            row.exit = {};
            row.durationMs = 0;
        } else { // stopped by a drain: that attempt does not count
            row.attempts = qMax(0, row.attempts - 1);
        }
    }
    dirty.push_back(int(c.task));
}

bool TaskModel::writeCsv(QIODevice *device, const QList<int> *rows, qint64 wallStartMs) const
{
    QString out
        = u"seq,input,state,worker,attempts,duration_s,exit_code,signal,outcome,started,error\n"_s;
    const qsizetype count = rows ? rows->size() : qsizetype(m_rows.size());
    for (qsizetype n = 0; n < count; ++n) {
        const int i = rows ? rows->at(n) : int(n);
        const Row &r = m_rows[size_t(i)];
        const bool exited = r.exit.kind == ExitStatus::Kind::Exited;
        const QString started = wallStartMs > 0 && r.startedMs >= 0
            ? QDateTime::fromMSecsSinceEpoch(wallStartMs + r.startedMs, Qt::UTC)
                  .toString(Qt::ISODateWithMs)
            : QString();
        out += QString::number(seqOf(i)) + u',' + csvField(inputOf(i)) + u',' + nameOf(r.state)
            + u',' + (r.slot > 0 ? QString::number(r.slot) : QString()) + u','
            + QString::number(r.attempts) + u','
            + (hasRun(r) && isTerminal(r.state)
                   ? QString::number(double(r.durationMs) / 1000.0, 'f', 3)
                   : QString())
            + u',' + (exited ? QString::number(r.exit.code) : QString()) + u','
            + (r.exit.signal ? signalName(r.exit.signal) : QString()) + u','
            + csvField(r.exit.kind == ExitStatus::Kind::None ? QString() : r.exit.describe()) + u','
            + started + u',' + csvField(errorOf(i)) + u'\n';
    }
    const QByteArray bytes = out.toUtf8();
    return device->write(bytes) == bytes.size();
}

int TaskModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TaskModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TaskModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return displayData(index);
    case Qt::ToolTipRole:
        if (index.column() == ExitColumn && r.exit.kind != ExitStatus::Kind::None)
            return r.exit.describe();
        if (index.column() == InputColumn)
            return inputOf(index.row());
        if (index.column() == ErrorColumn)
            return errorOf(index.row());
        break;
    case Qt::ForegroundRole:
        if (index.column() == StateColumn || index.column() == ExitColumn
            || index.column() == ErrorColumn) {
            const QColor c = taskStateForeground(r.state, QGuiApplication::palette());
            return c.isValid() ? QVariant(c) : QVariant();
        }
        break;
    case Qt::TextAlignmentRole:
        switch (Column(index.column())) {
        case InputColumn:
        case StateColumn:
        case ExitColumn:
        case ErrorColumn:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        default:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        }
    case StateRole:
        return int(r.state);
    case TaskIdRole:
        return TaskId(index.row());
    case ProgressRole:
        return r.progress >= 0 ? QVariant(double(r.progress)) : QVariant();
    default:
        break;
    }
    return {};
}

QVariant TaskModel::displayData(const QModelIndex &index) const
{
    const Row &r = m_rows[size_t(index.row())];
    const bool done = isTerminal(r.state) && hasRun(r);
    switch (Column(index.column())) {
    case SeqColumn:
        return seqOf(index.row());
    case InputColumn:
        return inputOf(index.row());
    case StateColumn:
        if (r.progress >= 0)
            return tr("%1 %2%").arg(nameOf(r.state)).arg(qRound(r.progress * 100));
        if (r.state == TaskState::Retrying) // it waits in the queue for its next attempt
            return tr("queued for retry (%1/%2)").arg(r.attempts + 1).arg(m_maxAttempts);
        return nameOf(r.state);
    case WorkerColumn:
        return r.slot > 0 ? QVariant(r.slot) : QVariant();
    case AttemptsColumn:
        return r.attempts;
    case StartedColumn:
        return r.startedMs >= 0 && m_wallStartMs > 0
            ? QDateTime::fromMSecsSinceEpoch(m_wallStartMs + r.startedMs).toString(u"HH:mm:ss"_s)
            : QString();
    case DurationColumn:
        return done ? formatDuration(r.durationMs) : QString();
    case ExitColumn:
        return exitText(r);
    case ErrorColumn:
        return errorOf(index.row());
    case ColumnCount:
        break;
    }
    return {};
}

qint64 TaskModel::sortKey(int row, int column) const
{
    const Row &r = m_rows[size_t(row)];
    switch (Column(column)) {
    case SeqColumn:
        return seqOf(row);
    case StateColumn:
        return int(r.state);
    case WorkerColumn:
        return r.slot > 0 ? qint64(r.slot) : -1;
    case AttemptsColumn:
        return r.attempts;
    case StartedColumn:
        return r.startedMs >= 0 ? r.startedMs : -1;
    case DurationColumn:
        return isTerminal(r.state) && hasRun(r) ? qint64(r.durationMs) : -1;
    case ExitColumn:
        return r.exit.kind == ExitStatus::Kind::None
            ? -1
            : qint64(r.exit.joblogExitval()) * 1000 + r.exit.signal;
    case InputColumn:
    case ErrorColumn:
    case ColumnCount:
        break;
    }
    return 0;
}

QVariant TaskModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case SeqColumn:
        return tr("#");
    case InputColumn:
        return tr("Input");
    case StateColumn:
        return tr("State");
    case WorkerColumn:
        return tr("Worker");
    case AttemptsColumn:
        return tr("Attempts");
    case StartedColumn:
        return tr("Started");
    case DurationColumn:
        return tr("Duration");
    case ExitColumn:
        return tr("Exit");
    case ErrorColumn:
        return tr("Error");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace shoal
