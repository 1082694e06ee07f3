#include "task.h"

#include "fileio.h"

#include <QStringList>

#include <csignal>
#include <cstring>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

int ExitStatus::joblogExitval() const
{
    switch (kind) {
    case Kind::Exited:
    case Kind::FailedToStart:
        return code;
    case Kind::None:
    case Kind::Signaled: // GNU parallel logs a signal death as Exitval 0, Signal N
        return 0;
    default:
        return -1;
    }
}

int ExitStatus::joblogSignal() const
{
    return kind == Kind::Exited || kind == Kind::FailedToStart ? 0 : signal;
}

QString ExitStatus::describe() const
{
    switch (kind) {
    case Kind::None:
        return u"not finished"_s;
    case Kind::Exited:
        return u"exit %1"_s.arg(code);
    case Kind::Signaled:
        return u"killed by %1"_s.arg(signalName(signal));
    case Kind::TimedOut:
        return u"timed out (ended with %1)"_s.arg(signalName(signal));
    case Kind::Cancelled:
        return signal ? u"cancelled (ended with %1)"_s.arg(signalName(signal)) : u"cancelled"_s;
    case Kind::FailedToStart:
        return u"failed to start: %1"_s.arg(errnoText(error));
    case Kind::MemoryLimit:
        return u"killed for memory (%1 MiB resident, over the %2 MiB limit)"_s.arg(rssMiB()).arg(
            limitMiB());
    case Kind::OutputLost:
        return u"output incomplete: it could not be stored whole in the scratch folder (TMPDIR): %1"_s
            .arg(errnoText(error));
    }
    return {};
}

bool isTerminal(TaskState state)
{
    switch (state) {
    case TaskState::Succeeded:
    case TaskState::Failed:
    case TaskState::Cancelled:
    case TaskState::TimedOut:
        return true;
    default:
        return false;
    }
}

QString nameOf(TaskState state)
{
    static const QStringList names { u"queued"_s, u"running"_s,  u"paused"_s,    u"succeeded"_s,
                                     u"failed"_s, u"retrying"_s, u"cancelled"_s, u"timed-out"_s };
    return names.value(int(state));
}

QString nameOf(WorkerState state)
{
    static const QStringList names { u"idle"_s, u"busy"_s, u"paused"_s, u"draining"_s,
                                     u"crashed"_s };
    return names.value(int(state));
}

QString nameOf(DrainPolicy policy)
{
    static const QStringList names { u"finish"_s, u"requeue"_s, u"pause"_s };
    return names.value(int(policy));
}

bool parseDrainPolicy(const QString &text, DrainPolicy *policy)
{
    for (DrainPolicy p : { DrainPolicy::Finish, DrainPolicy::Requeue, DrainPolicy::Pause }) {
        if (text == nameOf(p)) {
            *policy = p;
            return true;
        }
    }
    return false;
}

QString signalName(int sig)
{
    const char *abbrev = sigabbrev_np(sig);
    return abbrev ? u"SIG"_s + QLatin1StringView(abbrev) : u"signal %1"_s.arg(sig);
}

} // namespace shoal
