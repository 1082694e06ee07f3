#pragma once

#include "events.h"
#include "processwatcher.h"
#include "result.h"
#include "resultsfolder.h"
#include "task.h"
#include "workerslot.h"

#include <QString>

#include <memory>
#include <vector>

namespace shoal {

class EventOutbox;
class KeptOutputs;
class Launcher;
class ProcessGuard;
class ProcessTree;
class TaskLedger;
struct PoolOptions;

// What a way of launching gets from the pool it serves: the shared parts (the ledger, the event
// outbox, the process tools) and the decisions that stay the pool's (what a terminal task
// records, when a slot leaves, when the batch is finished).
class LaunchHost
{
public:
    virtual const PoolOptions &options() const = 0;
    virtual QObject *context() = 0; // for timers: the pool, in its thread
    virtual TaskLedger &ledger() = 0;
    virtual KeptOutputs &keptOutputs() = 0; // the tails front ends show
    virtual Launcher &launcher() = 0;
    virtual ProcessTree &tree() = 0;
    virtual ProcessGuard &guard() = 0;
    virtual ProcessWatcher &watcher() = 0;
    virtual std::vector<std::unique_ptr<WorkerSlot>> &workerSlots() = 0; // index: number - 1; nulls
    virtual WorkerSlot *slotAt(int number) const = 0; // null when there is no such slot
    virtual qint64 now() const = 0; // the pool clock, ms
    virtual qint64 nowNs() const = 0;
    virtual bool isStopping() const = 0; // no dispatch and no retry
    // Its owner gave up on it from another thread (a window closed while it started): a wait
    // that cannot return to the event loop ends.
    virtual bool isAbandoned() const = 0;

    virtual Event &post(Event::Type type) = 0;
    virtual TaskBatch &openBatch() = 0;
    virtual EventOutbox &outbox() = 0;
    virtual void postWorker(const WorkerSlot &slot) = 0;
    virtual void message(const QString &text) = 0;

    // A task became terminal: its records (--results files, then the joblog row unless the
    // front end writes it after delivery). received: its stdout's size.
    virtual void recordTerminal(TaskId id, qint64 received, ResultsFolder::Stream out,
                                ResultsFolder::Stream err)
        = 0;
    // A task failed for good: the halt rule (--halt) decides whether the batch stops.
    virtual void checkHalt(TaskId id) = 0;
    // The slot's process, or its task, ended: a draining or parked slot leaves the pool now.
    virtual void slotSettled(WorkerSlot &slot) = 0;
    // The slot's active time (pauses excluded).
    virtual qint64 activeMs(const WorkerSlot &slot) const = 0;
    // The stop policy (TERM, grace, KILL) for the slot's process, for this reason.
    virtual void terminate(WorkerSlot &slot, EndReason reason) = 0;
    virtual void armDeadlines() = 0;
    virtual void checkFinished() = 0;
    // After an end handled outside the process watcher's events (a queued call): what follows
    // those, a dispatch and the check whether the batch is over.
    virtual void continueWork() = 0;
    // Nothing can run the waiting tasks (no worker can start): they fail with the reason.
    virtual void failUnserved(const QString &reason) = 0;

protected:
    ~LaunchHost() = default;
};

// What an attempt wrote, as a launching collected it. lost: errno when it could not be stored
// whole (a full TMPDIR).
struct AttemptOutput
{
    QByteArray out, err;
    std::shared_ptr<SpilledOutput> outFile, errFile;
    int lost = 0;
};

// The end of an attempt once its launching knows the exit status: the task's duration and the
// slot's counters, the retry-or-terminal rule (TaskLedger::settle), a terminal task's kept output
// and records, its finished entry with the output, the slot freed, then the halt rule.
void concludeAttempt(LaunchHost &host, WorkerSlot &slot, ExitStatus exit, AttemptOutput output,
                     qint64 durationMs);

// A service task that ended with its answer, or with Shoal's words for why (text): its kept
// output, its records, then the halt rule. received: what its stdout got.
void concludeAnswer(LaunchHost &host, TaskId id, TaskState state, Stream stream,
                    QByteArrayView text, qint64 received);
// A task inside a long-lived worker cannot be stopped alone: it ends now as cancelled, and
// whatever the worker answers for it later is dropped (it is no longer running).
void cancelInFlight(LaunchHost &host, TaskId id);
// The slot's service tasks in flight go back to the front of the queue, in their order, no
// attempt charged.
void requeueInFlight(LaunchHost &host, WorkerSlot &slot);

// How the tasks of a pool run on its worker slots. Two ways today: one process per task
// (CommandLaunching, GNU parallel style) and long-lived programs fed tasks on stdin
// (ServiceLaunching, multiprocessing.Pool style). A third (workers on another host) implements
// the same calls; the ledger, the outbox and the pool's steering do not change.
class Launching
{
public:
    virtual ~Launching() = default;

    // Finds the program: an error names it and what is wrong. Nothing has started.
    virtual Result<void> prepare() = 0;
    // Starts what tasks need before they run (worker hosts' agents), once the watcher and the
    // guard are up. An error leaves nothing running.
    virtual Result<void> open() { return {}; }
    // The pool's size when the launching decides it (its worker hosts' slots); 0: the options'.
    virtual int workerCount() const { return 0; }
    // Where a slot's tasks run (the joblog's Host column): ":" for this machine.
    virtual QString hostOf(int) const { return QStringLiteral(":"); }
    // The same for people (the window's Host column): with a Slurm step's ids, say.
    virtual QString placeOf(int slot) const { return hostOf(slot); }
    // A new slot joined the pool.
    virtual void slotAdded(WorkerSlot &) { }
    // Worker hosts by name (the joblog's Host column, or the name the host gives itself): its
    // index, or -1 (also for a pool without hosts).
    virtual int hostIndex(const QString &) const { return -1; }
    virtual int hostIndexOf(const WorkerSlot &) const { return -1; }
    // The host's share of the pool's slots from now on (new slots go where there is most room).
    virtual void setHostWorkers(int /*host*/, int /*workers*/) { }
    // Descriptors one slot holds (its budget under ulimit -n), beyond a cgroup's.
    virtual int descriptorsPerSlot() const = 0;
    // The command line of a task, as a shell would read it (joblog, halt messages).
    virtual QString commandOf(TaskId id) const = 0;

    // Hands queued tasks to the slots that can take them.
    virtual void dispatch() = 0;
    // Whether the slot has a task to run or finish (not counting paused).
    virtual bool isBusy(const WorkerSlot &slot) const = 0;
    // The tasks on the slot, the oldest first.
    virtual std::vector<TaskId> tasksOn(const WorkerSlot &slot) const = 0;
    // The oldest and the newest of them (no copy), -1 when there is none.
    virtual TaskId oldestTask(const WorkerSlot &slot) const = 0;
    virtual TaskId newestTask(const WorkerSlot &slot) const = 0;
    // Whether its process is on its way out (it cannot be taken back into the pool).
    virtual bool isExiting(const WorkerSlot &slot) const = 0;
    // Whether the slot's task runs on another host: a pause stops it there (holdTask), not here.
    virtual bool runsElsewhere(const WorkerSlot &) const { return false; }
    virtual void holdTask(WorkerSlot &, bool /*stopped*/) { }
    // The whole pool was paused or resumed (before its slots are).
    virtual void poolPaused(bool) { }

    // A watched descriptor of the slot is ready.
    virtual void onReady(WorkerSlot &slot, ProcessWatcher::Kind kind) = 0;
    // A watched descriptor of worker host `host` is ready (watched with slot -(host + 1)).
    virtual void onHostReady(int, quint32, ProcessWatcher::Kind) { }
    // The slot made no progress for a whole timeout.
    virtual void onTimeout(WorkerSlot &slot) = 0;
    // Ends a running task: the user's cancel, cancel all, halt now.
    virtual void cancelRunning(TaskId id) = 0;
    // Drain by requeue: the slot's tasks go back to the front of the queue, its process ends.
    virtual void requeueRunning(WorkerSlot &slot) = 0;
    // The idle slot is surplus: true when it can be removed now, false when its process was
    // asked to exit first (the slot then leaves when it has).
    virtual bool retireIdle(WorkerSlot &slot) = 0;
    // Every task has ended: true while processes still run (they were asked to exit).
    virtual bool finishWorkers() = 0;
    // Before the pool ends every process: ask them to exit on their own.
    virtual void prepareEnd() { }
    // Processes the pool ends with its slots' (TERM, grace, KILL): worker hosts' transports.
    virtual void endingProcesses(std::vector<TaskProcess *> &) { }
    // The stats interval: checks to make now and then.
    virtual void onStatsTick() { }
};

} // namespace shoal
