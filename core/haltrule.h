#pragma once

#include "task.h"

namespace shoal {

// --halt: when to stop the batch after failures (GNU parallel's now/soon,fail=N|P%).
struct HaltPolicy
{
    enum class When : quint8 { Never, Soon, Now };
    When when = When::Never;
    int failCount = 0; // halt when this many tasks failed (0: unused)
    double failPercent = 0; // or when this percentage of all tasks failed (0: unused)
};

struct HaltDecision
{
    bool halt = false;
    int exitStatus = 0; // the run's exit status from then on (GNU parallel's)
};

// The halt rule, with nothing of a pool in it: after a task's failure (its exit `lastFailure`)
// brought the failed count to `failed` of `total` tasks, does the policy stop the batch, and
// with which exit status.
HaltDecision decideHalt(const HaltPolicy &policy, qint64 failed, qint64 total,
                        const ExitStatus &lastFailure);

} // namespace shoal
