#include "taskfiltermodel.h"

#include "taskmodel.h"

#include <algorithm>

namespace shoal {

TaskFilterModel::TaskFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
}

void TaskFilterModel::setSourceModel(QAbstractItemModel *model)
{
    m_tasks = qobject_cast<TaskModel *>(model);
    Q_ASSERT(m_tasks || !model);
    QSortFilterProxyModel::setSourceModel(model);
}

void TaskFilterModel::setStateGroup(StateGroup group)
{
    if (m_group == group)
        return;
    m_group = group;
    refilter();
}

void TaskFilterModel::setText(const QString &text)
{
    if (m_text == text)
        return;
    m_text = text;
    const QString lower = text.toLower();
    const bool ascii
        = std::all_of(lower.begin(), lower.end(), [](QChar c) { return c.unicode() < 128; });
    m_needle = ascii ? lower.toLatin1() : QByteArray();
    refilter();
}

void TaskFilterModel::refilter()
{
    invalidate(); // one layoutChanged; keeps the selection (persistent indexes)
}

namespace {

char asciiLower(char c)
{
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

} // namespace

bool TaskFilterModel::inputMatches(int sourceRow) const
{
    if (m_text.isEmpty())
        return true;
    if (m_needle.isEmpty()) // not ASCII: decoded and compared as text
        return m_tasks->inputOf(sourceRow).contains(m_text, Qt::CaseInsensitive);
    // ASCII, ignoring case: byte-wise, without decoding the input.
    const QByteArrayView hay = m_tasks->inputBytesOf(sourceRow);
    const qsizetype n = m_needle.size();
    const char first = m_needle.at(0);
    for (qsizetype i = 0; i + n <= hay.size(); ++i) {
        if (asciiLower(hay[i]) != first)
            continue;
        qsizetype j = 1;
        while (j < n && asciiLower(hay[i + j]) == m_needle.at(j))
            ++j;
        if (j == n)
            return true;
    }
    return false;
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
    if (sourceParent.isValid() || !m_tasks)
        return false;
    if (m_group != StateGroup::All && !inGroup(m_tasks->task(sourceRow).state, m_group))
        return false;
    return inputMatches(sourceRow);
}

bool TaskFilterModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    if (!m_tasks)
        return false;
    const int column = left.column();
    switch (column) {
    case TaskModel::InputColumn: // by bytes: UTF-8 byte order is code point order
        return m_tasks->inputBytesOf(left.row()).compare(m_tasks->inputBytesOf(right.row())) < 0;
    case TaskModel::ErrorColumn: { // text, blanks last as below
        const QString a = m_tasks->errorOf(left.row());
        const QString b = m_tasks->errorOf(right.row());
        if (a.isEmpty() != b.isEmpty())
            return b.isEmpty() == (sortOrder() == Qt::AscendingOrder);
        return a.localeAwareCompare(b) < 0;
    }
    default: {
        const qint64 a = m_tasks->sortKey(left.row(), column);
        const qint64 b = m_tasks->sortKey(right.row(), column);
        // A blank (-1: a worker, start, duration or exit a task does not have yet) is
        // "greater" ascending and "smaller" descending: it goes last either way.
        if ((a == -1) != (b == -1))
            return (b == -1) == (sortOrder() == Qt::AscendingOrder);
        return a < b;
    }
    }
}

} // namespace shoal
