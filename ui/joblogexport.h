#pragma once

#include "result.h"

#include <QString>

namespace shoal {

class BatchSession;
class TaskModel;

// Writes the tasks that ran to an end as a GNU parallel joblog (TSV: the header of
// JoblogWriter, then one row per task in the order they finished).
Result<void> writeJoblog(const QString &path, const TaskModel &tasks, const BatchSession &session);

} // namespace shoal
