#include "taskfiltermodel.h"

#include "rowsort.h"
#include "taskmodel.h"

#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>
#include <numeric>

namespace shoal {

TaskFilterModel::TaskFilterModel(QObject *parent)
    : QAbstractProxyModel(parent)
    , m_settleTimer(new QTimer(this))
{
    m_settleTimer->setSingleShot(true);
    connect(m_settleTimer, &QTimer::timeout, this, &TaskFilterModel::settle);
}

void TaskFilterModel::setSourceModel(QAbstractItemModel *model)
{
    m_tasks = qobject_cast<TaskModel *>(model);
    Q_ASSERT(m_tasks || !model);
    beginResetModel();
    for (const auto &c : std::as_const(m_connections))
        disconnect(c);
    m_connections.clear();
    QAbstractProxyModel::setSourceModel(model);
    if (m_tasks) {
        // TaskModel appends rows, changes them and resets; anything else is taken as a reset.
        const auto begin = [this] { beginResetModel(); };
        const auto end = [this] {
            rebuild();
            endResetModel();
        };
        m_connections = {
            // As QSortFilterProxyModel does: no signals, the views may be going too.
            connect(m_tasks, &QObject::destroyed, this,
                    [this] {
                        m_tasks = nullptr;
                        rebuild();
                    }),
            connect(m_tasks, &QAbstractItemModel::modelAboutToBeReset, this, begin),
            connect(m_tasks, &QAbstractItemModel::modelReset, this, end),
            connect(m_tasks, &QAbstractItemModel::rowsAboutToBeRemoved, this, begin),
            connect(m_tasks, &QAbstractItemModel::rowsRemoved, this, end),
            connect(m_tasks, &QAbstractItemModel::rowsAboutToBeMoved, this, begin),
            connect(m_tasks, &QAbstractItemModel::rowsMoved, this, end),
            connect(m_tasks, &QAbstractItemModel::layoutAboutToBeChanged, this, begin),
            connect(m_tasks, &QAbstractItemModel::layoutChanged, this, end),
            connect(m_tasks, &QAbstractItemModel::rowsInserted, this,
                    [this](const QModelIndex &, int first, int last) {
                        sourceRowsInserted(first, last);
                    }),
            connect(m_tasks, &QAbstractItemModel::dataChanged, this,
                    &TaskFilterModel::sourceDataChanged),
        };
    }
    rebuild();
    endResetModel();
}

void TaskFilterModel::setStateGroup(StateGroup group)
{
    if (m_group == group)
        return;
    m_group = group;
    relayout(QAbstractItemModel::NoLayoutChangeHint);
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
    relayout(QAbstractItemModel::NoLayoutChangeHint);
}

void TaskFilterModel::sort(int column, Qt::SortOrder order)
{
    column = column >= 0 && column < TaskModel::ColumnCount ? column : -1;
    if (column == m_sortColumn && order == m_sortOrder && !m_unsettled)
        return;
    m_sortColumn = column;
    m_sortOrder = order;
    relayout(QAbstractItemModel::VerticalSortHint);
}

void TaskFilterModel::settle()
{
    if (m_unsettled)
        relayout(QAbstractItemModel::NoLayoutChangeHint);
}

QModelIndex TaskFilterModel::index(int row, int column, const QModelIndex &parent) const
{
    if (parent.isValid() || row < 0 || size_t(row) >= m_rows.size() || column < 0
        || column >= columnCount())
        return {};
    return createIndex(row, column);
}

int TaskFilterModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TaskFilterModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_tasks ? 0 : TaskModel::ColumnCount;
}

bool TaskFilterModel::hasChildren(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_rows.empty();
}

QVariant TaskFilterModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    // QAbstractProxyModel maps a column through row 0, which a filter can leave empty.
    if (!m_tasks)
        return {};
    if (orientation == Qt::Vertical)
        return QAbstractItemModel::headerData(section, orientation, role);
    return m_tasks->headerData(section, orientation, role);
}

QModelIndex TaskFilterModel::mapToSource(const QModelIndex &proxyIndex) const
{
    if (!proxyIndex.isValid() || !m_tasks || size_t(proxyIndex.row()) >= m_rows.size())
        return {};
    return m_tasks->index(m_rows[size_t(proxyIndex.row())], proxyIndex.column());
}

QModelIndex TaskFilterModel::mapFromSource(const QModelIndex &sourceIndex) const
{
    if (!sourceIndex.isValid() || size_t(sourceIndex.row()) >= m_shownAt.size())
        return {};
    const int row = m_shownAt[size_t(sourceIndex.row())];
    return row < 0 ? QModelIndex() : createIndex(row, sourceIndex.column());
}

bool TaskFilterModel::accepts(int sourceRow) const
{
    if (m_group != StateGroup::All && !inGroup(m_tasks->task(sourceRow).state, m_group))
        return false;
    return inputMatches(sourceRow);
}

std::vector<int> TaskFilterModel::orderedRows() const
{
    std::vector<int> rows;
    if (!m_tasks)
        return rows;
    const int count = m_tasks->rowCount();
    if (m_group == StateGroup::All && m_text.isEmpty()) {
        rows.resize(size_t(count));
        std::iota(rows.begin(), rows.end(), 0);
    } else {
        for (int row = 0; row < count; ++row)
            if (accepts(row))
                rows.push_back(row);
    }
    sortRows(rows);
    return rows;
}

void TaskFilterModel::sortRows(std::vector<int> &rows) const
{
    const bool ascending = m_sortOrder == Qt::AscendingOrder;
    const auto byText = [&](auto textOf) { // blanks last, the others compared, stable
        const auto blank = std::stable_partition(rows.begin(), rows.end(),
                                                 [&](int row) { return !textOf(row).isEmpty(); });
        std::stable_sort(rows.begin(), blank, [&](int a, int b) {
            return ascending ? textOf(a).compare(textOf(b)) < 0 : textOf(b).compare(textOf(a)) < 0;
        });
    };
    switch (m_sortColumn) {
    case -1:
        return;
    case TaskModel::InputColumn:
        sortByInput(rows);
        return;
    case TaskModel::ErrorColumn: {
        struct Locale // localeAwareCompare, as a compare() for byText
        {
            QString s;
            bool isEmpty() const { return s.isEmpty(); }
            int compare(const Locale &o) const { return s.localeAwareCompare(o.s); }
        };
        byText([this](int row) { return Locale { m_tasks->errorOf(row) }; });
        return;
    }
    default:
        break;
    }
    std::vector<KeyedRow> keyed(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
        // A blank (-1: a worker, start, duration or exit a task does not have yet) goes last.
        const qint64 value = m_tasks->sortKey(rows[i], m_sortColumn);
        const quint64 key = ascendingKey(value);
        keyed[i] = { value == -1 ? ~quint64(0) : ascending ? key : ~key, rows[i] };
    }
    radixSort(keyed);
    for (size_t i = 0; i < rows.size(); ++i)
        rows[i] = keyed[i].row;
}

void TaskFilterModel::sortByInput(std::vector<int> &rows) const
{
    // By bytes (UTF-8 byte order is code point order): radix-sorted by the 8 bytes after the
    // prefix every input shares ("/data/run/file_0..."), then each run of rows whose 8 bytes are
    // equal compared in full.
    if (rows.empty())
        return;
    const bool ascending = m_sortOrder == Qt::AscendingOrder;
    const QByteArrayView first = m_tasks->inputBytesOf(rows.front());
    qsizetype shared = first.size();
    for (int row : rows) {
        const QByteArrayView input = m_tasks->inputBytesOf(row);
        const qsizetype n = std::min(shared, input.size());
        shared
            = std::mismatch(first.begin(), first.begin() + n, input.begin()).first - first.begin();
    }
    std::vector<KeyedRow> keyed(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
        const QByteArrayView input = m_tasks->inputBytesOf(rows[i]).sliced(shared);
        quint64 key = 0; // the next 8 bytes, big-endian, zero-padded
        for (qsizetype b = 0; b < 8; ++b)
            key = key << 8 | (b < input.size() ? quint8(input[b]) : 0);
        keyed[i] = { ascending ? key : ~key, rows[i] };
    }
    radixSort(keyed);
    for (size_t begin = 0; begin < keyed.size();) {
        size_t end = begin + 1;
        while (end < keyed.size() && keyed[end].key == keyed[begin].key)
            ++end;
        if (end - begin > 1)
            std::stable_sort(keyed.begin() + qsizetype(begin), keyed.begin() + qsizetype(end),
                             [&](const KeyedRow &a, const KeyedRow &b) {
                                 const int order = m_tasks->inputBytesOf(a.row).compare(
                                     m_tasks->inputBytesOf(b.row));
                                 return ascending ? order < 0 : order > 0;
                             });
        begin = end;
    }
    for (size_t i = 0; i < rows.size(); ++i)
        rows[i] = keyed[i].row;
}

void TaskFilterModel::setRows(std::vector<int> rows)
{
    m_rows = std::move(rows);
    m_shownAt.assign(m_tasks ? size_t(m_tasks->rowCount()) : 0, -1);
    for (size_t i = 0; i < m_rows.size(); ++i)
        m_shownAt[size_t(m_rows[i])] = int(i);
    m_unsettled = false;
    m_settleTimer->stop();
}

void TaskFilterModel::rebuild()
{
    setRows(orderedRows());
}

void TaskFilterModel::relayout(QAbstractItemModel::LayoutChangeHint hint)
{
    QElapsedTimer clock;
    clock.start();
    std::vector<int> rows = orderedRows();
    Q_EMIT layoutAboutToBeChanged({}, hint);
    const QModelIndexList from = persistentIndexList();
    std::vector<int> sources(size_t(from.size()), -1);
    for (qsizetype i = 0; i < from.size(); ++i)
        if (from[i].isValid() && size_t(from[i].row()) < m_rows.size())
            sources[size_t(i)] = m_rows[size_t(from[i].row())];
    setRows(std::move(rows));
    QModelIndexList to;
    to.reserve(from.size());
    for (qsizetype i = 0; i < from.size(); ++i) {
        const int source = sources[size_t(i)];
        const int row = source < 0 ? -1 : m_shownAt[size_t(source)];
        to << (row < 0 ? QModelIndex() : createIndex(row, from[i].column()));
    }
    changePersistentIndexList(from, to);
    Q_EMIT layoutChanged({}, hint);
    m_relayoutMs = clock.elapsed();
}

bool TaskFilterModel::changesMoveRows() const
{
    // The input and the number never change; every other column can.
    return m_group != StateGroup::All
        || (m_sortColumn >= 0 && m_sortColumn != TaskModel::SeqColumn
            && m_sortColumn != TaskModel::InputColumn);
}

void TaskFilterModel::unsettle()
{
    m_unsettled = true;
    if (m_tasks->rowCount() <= kImmediateRows) {
        settle();
        return;
    }
    // Relayouts take at most about a tenth of the GUI thread's time, and come at least every
    // two seconds.
    if (!m_settleTimer->isActive())
        m_settleTimer->start(int(std::clamp<qint64>(m_relayoutMs * 10, 250, 2000)));
}

void TaskFilterModel::sourceRowsInserted(int first, int last)
{
    m_shownAt.resize(size_t(last) + 1, -1);
    std::vector<int> added;
    for (int row = first; row <= last; ++row)
        if (accepts(row))
            added.push_back(row);
    if (!added.empty()) {
        const int at = int(m_rows.size());
        beginInsertRows({}, at, at + int(added.size()) - 1);
        for (int row : added) {
            m_shownAt[size_t(row)] = int(m_rows.size());
            m_rows.push_back(row);
        }
        endInsertRows();
    }
    // Appended rows are in order when unsorted, or sorted by # ascending.
    if (!added.empty() && m_sortColumn >= 0
        && (m_sortColumn != TaskModel::SeqColumn || m_sortOrder != Qt::AscendingOrder))
        unsettle();
}

void TaskFilterModel::sourceDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                                        const QList<int> &roles)
{
    if (changesMoveRows())
        unsettle();
    if (m_rows.empty())
        return;
    // Unsorted, the changed rows that are shown are one range of shown rows; sorted, they can
    // be anywhere (one signal over every row costs a view no more than a range).
    int top = 0;
    int bottom = int(m_rows.size()) - 1;
    if (m_sortColumn < 0) {
        top = -1;
        for (int row = topLeft.row(); row <= bottomRight.row(); ++row) {
            const int shown = size_t(row) < m_shownAt.size() ? m_shownAt[size_t(row)] : -1;
            if (shown < 0)
                continue;
            if (top < 0)
                top = shown;
            bottom = shown;
        }
        if (top < 0)
            return;
    }
    Q_EMIT dataChanged(index(top, topLeft.column()), index(bottom, bottomRight.column()), roles);
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

} // namespace shoal
