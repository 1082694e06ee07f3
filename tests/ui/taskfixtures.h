#pragma once

// Tasks and inputs for the TaskModel and TaskFilterModel tests.

#include "events.h"
#include "inputlist.h"

#include <QString>

#include <vector>

namespace shoal::test {

// count queued tasks, ids 0.., Seqs 1..
inline std::vector<TaskInfo> queuedTasks(int count)
{
    std::vector<TaskInfo> tasks;
    for (int i = 0; i < count; ++i) {
        TaskInfo t;
        t.id = i;
        t.seq = i + 1;
        tasks.push_back(t);
    }
    return tasks;
}

// The inputs of queuedTasks(count): "input-0.txt", ...
inline InputList taskInputs(qsizetype count,
                            const QString &pattern = QStringLiteral("input-%1.txt"))
{
    InputList inputs;
    for (qsizetype i = 0; i < count; ++i)
        inputs.append(pattern.arg(i));
    return inputs;
}

} // namespace shoal::test
