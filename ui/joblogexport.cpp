#include "joblogexport.h"

#include "batchsession.h"
#include "joblog.h"
#include "taskmodel.h"

#include <algorithm>

namespace shoal {

Result<void> writeJoblog(const QString &path, const TaskModel &tasks, const BatchSession &session)
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
    const QStringList commands = session.commandsOf(ids);

    JoblogWriter writer;
    auto opened = writer.open(path, true);
    if (!opened)
        return opened;
    for (size_t i = 0; i < rows.size(); ++i) {
        const TaskModel::Row &row = *rows[i];
        const double start = double(session.wallStartMs() + row.startedMs) / 1000.0;
        auto written = writer.append(row.seq, start, double(row.durationMs) / 1000.0,
                                     row.receivedBytes, row.exit, commands.value(qsizetype(i)));
        if (!written)
            return written;
    }
    return {};
}

} // namespace shoal
