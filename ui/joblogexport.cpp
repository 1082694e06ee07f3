#include "joblogexport.h"

#include "joblog.h"
#include "taskmodel.h"

#include <algorithm>

namespace shoal {

QList<TaskId> joblogOrder(const TaskModel &tasks)
{
    QList<TaskId> ids;
    const std::vector<TaskModel::Row> &rows = tasks.tasks();
    for (size_t i = 0; i < rows.size(); ++i) {
        const TaskModel::Row &row = rows[i];
        if (isTerminal(row.state) && row.attempts > 0 && row.exit.kind != ExitStatus::Kind::None)
            ids << TaskId(i);
    }
    const auto endOf
        = [&rows](TaskId id) { return rows[size_t(id)].startedMs + rows[size_t(id)].durationMs; };
    std::stable_sort(ids.begin(), ids.end(),
                     [&](TaskId a, TaskId b) { return endOf(a) < endOf(b); });
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
        auto written
            = writer.append(tasks.seqOf(int(order[i])), start, double(row.durationMs) / 1000.0,
                            row.receivedBytes, row.exit, commands.value(i));
        if (!written)
            return written;
    }
    return {};
}

} // namespace shoal
