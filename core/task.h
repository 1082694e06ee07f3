#pragma once

#include <QByteArray>
#include <QMetaType>
#include <QString>

namespace shoal {

// Tasks are numbered from 0 in the order this run took them up. GNU parallel's Seq ({#}) is kept
// beside the id (TaskRecord::seq): id + 1 in a fresh run, the full input list's number in a
// resumed one, which skips what is done.
using TaskId = qint64;

enum class TaskState : quint8 {
    Queued,
    Running,
    Paused,
    Succeeded,
    Failed,
    Retrying,
    Cancelled,
    TimedOut,
};

enum class WorkerState : quint8 {
    Idle,
    Busy,
    Paused,
    Draining, // a surplus worker finishing its task before it leaves
    Crashed, // a service worker that died and is being restarted
};

// A task's two output streams.
enum class Stream : quint8 { Stdout, Stderr };

// What happens to surplus workers when the pool shrinks.
enum class DrainPolicy : quint8 {
    Finish, // let each finish its task, then exit
    Requeue, // stop the youngest tasks and put them back at the front of the queue
    Pause, // park surplus workers, their tasks frozen, until the pool grows again
};

// How one attempt of a task ended. Converted to GNU's Exitval/Signal only by the joblog.
struct ExitStatus
{
    enum class Kind : quint8 {
        None, // not finished
        Exited, // exited with `code`
        Signaled, // killed by `signal` (not by Shoal)
        TimedOut, // ended by Shoal's timeout; `signal` is the last one sent
        Cancelled, // ended by a cancel or a halt; `signal` is the last one sent (0: never ran)
        FailedToStart, // exec failed with errno `error`
        MemoryLimit, // Shoal ended it for memory: rssMiB() resident over limitMiB() allowed
        OutputLost, // ran (exit `code`, or `signal`), but its output could not be stored whole:
                    // `error` is the errno (ENOSPC: its scratch folder, TMPDIR, is full)
    };
    Kind kind = Kind::None;
    quint8 signal = 0; // signal numbers are 1..64
    int code = 0;
    int error = 0;

    bool succeeded() const { return kind == Kind::Exited && code == 0; }
    friend bool operator==(const ExitStatus &, const ExitStatus &) = default;
    static_assert(sizeof(Kind) == 1);
    // MemoryLimit only. The sizes share code/error with the other kinds: a task record keeps
    // one ExitStatus, and 12 bytes instead of 20 is 8 MB less for a million tasks.
    int rssMiB() const { return kind == Kind::MemoryLimit ? code : 0; }
    int limitMiB() const { return kind == Kind::MemoryLimit ? error : 0; }
    int joblogExitval() const;
    int joblogSignal() const;
    // "exit 3", "killed by SIGSEGV", "timed out (SIGTERM)", "failed to start: No such file"
    QString describe() const;

    static ExitStatus exited(int code) { return { Kind::Exited, 0, code, 0 }; }
    static ExitStatus signaled(int sig) { return { Kind::Signaled, quint8(sig), 0, 0 }; }
    static ExitStatus timedOut(int sig) { return { Kind::TimedOut, quint8(sig), 0, 0 }; }
    static ExitStatus cancelled(int sig) { return { Kind::Cancelled, quint8(sig), 0, 0 }; }
    static ExitStatus failedToStart(int err) { return { Kind::FailedToStart, 0, 127, err }; }
    static ExitStatus memoryLimit(int rssMiB, int limitMiB)
    {
        return { Kind::MemoryLimit, 9, rssMiB, limitMiB };
    }
    static ExitStatus outputLost(const ExitStatus &ran, int err)
    {
        return { Kind::OutputLost, ran.signal, ran.code, err };
    }
};

bool isTerminal(TaskState state);
QString nameOf(TaskState state);
QString nameOf(WorkerState state);
QString nameOf(DrainPolicy policy);
// Accepts the names nameOf() produces; returns false for anything else.
bool parseDrainPolicy(const QString &text, DrainPolicy *policy);
QString signalName(int sig);

} // namespace shoal

Q_DECLARE_METATYPE(shoal::TaskState)
Q_DECLARE_METATYPE(shoal::WorkerState)
Q_DECLARE_METATYPE(shoal::DrainPolicy)
