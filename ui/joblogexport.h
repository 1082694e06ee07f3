#pragma once

#include "result.h"
#include "task.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace shoal {

class TaskModel;

// The tasks a joblog lists: those that ran to an end, in the order they finished.
QList<TaskId> joblogOrder(const TaskModel &tasks);

// Writes those tasks as a GNU parallel joblog (TSV: the header of JoblogWriter, then one row
// per task). commands[i] is the command of order[i]; wallStartMs the pool clock's zero.
Result<void> writeJoblog(const QString &path, const TaskModel &tasks, const QList<TaskId> &order,
                         const QStringList &commands, qint64 wallStartMs);

} // namespace shoal
