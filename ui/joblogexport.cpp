#include "joblogexport.h"

#include "joblog.h"
#include "taskmodel.h"

#include <algorithm>

namespace shoal {

QList<TaskId> joblogOrder(const TaskModel &tasks)
{
    std::vector<const TaskModel::Row *> rows;
    for (const TaskModel::Row &row : tasks.tasks()) {
        if (isTerminal(row.state) && row.attempts > 0 && row.exit.kind != ExitStatus::Kind::None)
            rows.push_back(&row);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto *a, const auto *b) {
        return a->startedMs + a->durationMs < b->startedMs + b->durationMs;
    });
    QList<TaskId> ids;
    ids.reserve(qsizetype(rows.size()));
    for (const auto *row : rows)
        ids << row->id;
    return ids;
}

Result<void> writeJoblog(const QString &path, const TaskModel &tasks, const QList<TaskId> &order,
                         const QStringList &commands, qint64 wallStartMs)
{
    JoblogWriter writer;
    auto opened = writer.open(path, true);
    if (!opened)
        return opened;
    for (qsizetype i = 0; i < order.size(); ++i) {
        const TaskModel::Row &row = tasks.task(int(order[i]));
        const double start = double(wallStartMs + row.startedMs) / 1000.0;
        auto written = writer.append(row.seq, start, double(row.durationMs) / 1000.0,
                                     row.receivedBytes, row.exit, commands.value(i));
        if (!written)
            return written;
    }
    return {};
}

} // namespace shoal
