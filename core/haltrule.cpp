#include "haltrule.h"

#include <QtGlobal>

namespace shoal {

HaltDecision decideHalt(const HaltPolicy &policy, qint64 failed, qint64 total,
                        const ExitStatus &lastFailure)
{
    if (policy.when == HaltPolicy::When::Never)
        return {};
    const bool byCount = policy.failCount > 0 && failed >= policy.failCount;
    const bool byPercent
        = policy.failPercent > 0 && double(failed) * 100.0 >= policy.failPercent * double(total);
    if (!byCount && !byPercent)
        return {};
    // The exit status, as GNU parallel 20221122 computes it: with fail=1 the failing task's own
    // status (128 + signal when killed); with fail=N the number of failed tasks (N, at most 101);
    // with fail=P% the failed percentage of all tasks, rounded up, except where P% of the tasks
    // is exactly one task, which GNU treats as fail=1.
    const bool oneTask
        = byCount ? policy.failCount == 1 : policy.failPercent * double(total) == 100.0;
    int status = 0;
    if (!oneTask && byCount)
        status = int(qMin<qint64>(failed, 101));
    else if (!oneTask)
        status = int(
            qBound(qint64(1), (failed * 100 + total - 1) / qMax(total, qint64(1)), qint64(100)));
    else if (lastFailure.kind == ExitStatus::Kind::Signaled)
        status = 128 + lastFailure.signal; // as GNU parallel (and a shell) report it
    else
        status = (lastFailure.joblogExitval() & 0xff) ? (lastFailure.joblogExitval() & 0xff) : 1;
    return { true, status };
}

} // namespace shoal
