#pragma once

#include "commandtemplate.h"
#include "eventoutbox.h"
#include "events.h"
#include "haltrule.h"
#include "inputlist.h"
#include "keptoutputs.h"
#include "launching.h"
#include "processwatcher.h"
#include "result.h"
#include "resultsfolder.h"
#include "serviceworker.h"
#include "taskledger.h"
#include "taskrecords.h"
#include "throughputmeter.h"
#include "workerhosts.h"
#include "workerslot.h"

#include <QElapsedTimer>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <atomic>
#include <deque>
#include <memory>
#include <vector>

namespace shoal {

class Launcher;
class ProcStats;
class ProcessGuard;
class ProcessTree;

enum class ResumeMode : quint8 { None, Resume, ResumeFailed };

struct PoolOptions
{
    int workers = 1;
    int attempts = 1; // --retries N: N attempts in all
    double timeoutSeconds = 0; // per attempt, pauses excluded; 0: none
    int termGraceMs = 2000; // SIGTERM, then SIGKILL after this long
    DrainPolicy drain = DrainPolicy::Finish; // default policy for resize()
    HaltPolicy halt;
    QString joblogPath;
    ResumeMode resume = ResumeMode::None;
    QString resultsDir; // GNU's --results layout: DIR/1/<input>/{seq,stdout,stderr}
    int statsIntervalMs = 500;
    qint64 keepOutputBytes = 256 * 1024; // per stream, kept with the task for front ends
    ServiceSpec service; // when valid: service workers instead of one process per task
    // Per task (service: per worker): RLIMIT_AS on each process, and the whole process group
    // is ended when its resident memory goes over. 0: none.
    qint64 memoryLimitBytes = 0;
    // The front end delivers each task's output (prints it) and then calls recordDelivered():
    // the joblog row follows the output, as in a write-ahead log, so a kill in between never
    // leaves a row claiming output nobody got. Otherwise the pool writes the row itself, after
    // the task's --results files.
    bool joblogAfterDelivery = false;
    // More inputs follow (addInputs) until endInputs(): the batch cannot finish before that.
    // Inputs read from a pipe or a file stream in this way, so the first task starts before the
    // last input is read, and an endless input (`yes | shoal run ...`) runs in bounded memory.
    bool inputsOpen = false;
    // Every child of this process that no one waits for is a task's leftover (`shoal run`):
    // at the batch's end such orphans are ended even when nothing traces them to a task (they
    // cleared their environment). Off in a window or any host with children of its own.
    bool ownsAllChildren = false;
    // Each task in a cgroup v2 of its own where the system allows one (TaskCgroups): what a
    // task starts cannot leave it, and cgroup.kill ends all of it. Elsewhere the process tree
    // is traced instead (ProcessTree).
    bool taskCgroups = true;
    // Each input is a whole argv, its words joined by NUL, run as it is (no command template):
    // a worker host's agent runs what Shoal expanded on its side.
    bool inputsAreArgv = false;
    // Worker hosts (-S): command tasks run through an agent on each (AgentLaunching).
    HostsSpec hosts;
};

// The pool engine. Command workers (GNU parallel style) run one process per task; service
// workers (multiprocessing.Pool style) run one long-lived program per slot, fed tasks on stdin:
// either way a Launching (launching.h) runs the tasks, and the pool keeps the rest. Up to N
// worker slots, steered live (pause, resize, cancel, retry), and typed events published in
// batches. It lives in the thread that creates it and never blocks on its consumers: front ends
// connect to eventsReady (queued across threads) and call the control slots.
//
// Its parts: the TaskLedger (records, queue, the retry-or-terminal rule), TaskRecords (results
// and joblog), the ProcessWatcher, each slot's TaskProcess (stop policy), the EventOutbox, the
// halt rule and the throughput meter.
//
// Guarantees (DESIGN.md section 4): every task ends exactly once as succeeded, failed, timed-out
// or cancelled; every process is reaped and its group ended; a ProcessGuard ends the groups if
// the process hosting the pool is killed.
class Pool : public QObject, private LaunchHost
{
    Q_OBJECT
public:
    Pool(CommandTemplate command, InputList inputs, PoolOptions options, QObject *parent = nullptr);
    ~Pool() override; // ends every running task's group (TERM, then KILL) and reaps it

    // Checks the program, reads the joblog for --resume, opens outputs, then starts dispatching.
    // An error (missing program, unreadable joblog) leaves nothing running.
    Result<void> start();
    // Set from any thread, `flag` ends the waits start() cannot return from to an event loop
    // (worker hosts' first answers, a Slurm allocation) when its owner gives up on the pool.
    void setAbandonFlag(std::shared_ptr<const std::atomic<bool>> flag)
    {
        m_abandoned = std::move(flag);
    }
    // With PoolOptions::inputsOpen: more inputs (Seq numbers continue), then their end.
    void addInputs(const InputList &more);
    void endInputs();
    qint64 queuedCount() const { return m_ledger.queuedCount(); }

    // compact: see PoolSnapshot::tasks.
    PoolSnapshot snapshot(bool compact = false) const;
    PoolStats stats() const;
    bool isFinished() const { return m_finished; }
    // Epoch ms at which the pool clock (event timeMs, TaskInfo::startedMs) reads 0.
    qint64 wallStartMs() const { return m_wallStartMs; }
    bool isPaused() const { return m_paused; }
    int size() const { return m_targetSize; }
    qint64 taskCount() const;
    // Seq ({#}) of a task: resumed runs keep the numbers of the full input list.
    qint64 seqOf(TaskId id) const;
    QString commandOf(TaskId id) const; // as a shell would read it
    QStringList commandsOf(const QList<TaskId> &ids) const; // empty for an unknown id
    // A task's command and outputs; workerSlot > 0 also reads that service worker's stderr.
    TaskDetails taskDetails(TaskId id, int workerSlot = 0) const;
    const CommandTemplate &commandTemplate() const { return m_template; }
    // Non-zero once --halt stopped the batch: GNU's exit status for it.
    int haltExitStatus() const { return m_haltExitStatus; }
    bool halted() const { return m_halted; }
    // Nothing more is dispatched: a halt, cancelAll() or stopForError(). Inputs still to come
    // are not wanted.
    bool isStopping() const override { return m_stopping; }
    bool isAbandoned() const override { return m_abandoned && m_abandoned->load(); }
    // The cgroup folder this pool's tasks run in (a cell each), empty where there is none.
    QByteArray taskCgroupsPath() const;
    // Output the running task on a slot has written so far.
    QByteArray liveOutput(int slot, Stream stream, qint64 maxBytes = 64 * 1024) const;
    QByteArray taskOutput(TaskId id, Stream stream) const;

    // With joblogAfterDelivery: these tasks' outputs are out (written and flushed); their joblog
    // rows follow, in one write. Tasks that are not terminal (retried since) or were ended by
    // Shoal (cancelled: not done, --resume runs them again) get none.
    struct Delivered
    {
        TaskId task;
        qint64 receivedBytes;
    };
    void recordDelivered(const std::vector<Delivered> &tasks);
    // A record the user asked for (joblog, results, events, the output itself) could not be
    // written: one message naming it, nothing more starts, running tasks are ended (a write
    // failure is as final as --halt now) and stoppedByError() is true from then on.
    void stopForError(const QString &what);
    bool stoppedByError() const { return !m_writeError.isEmpty(); }
    // False once the joblog or --results could not be written: output delivered from then on
    // would have no record, and --resume would deliver it again.
    bool canRecord() const { return !m_records.isBroken(); }

public Q_SLOTS:
    void pause();
    void resume();
    void pauseWorker(int slot);
    // Stops (SIGSTOP) or continues one running task's processes, its worker left as it is (a
    // worker host's agent pausing a task for the Shoal it serves).
    void holdTask(shoal::TaskId id, bool stopped);
    void resumeWorker(int slot);
    void resize(int workers);
    void resizeWith(int workers, shoal::DrainPolicy policy);
    // One worker host's workers (-S, --slurm): `host` as the joblog's Host column names it. The
    // pool's size changes by as many; the other hosts keep theirs. An Error names a host that is
    // not one of this batch's.
    shoal::Result<void> resizeHost(const QString &host, int workers, shoal::DrainPolicy policy);
    shoal::DrainPolicy defaultDrain() const { return m_options.drain; } // --drain
    // Why no worker can run the waiting tasks (they failed with it), or empty.
    const QString &unservedReason() const { return m_unservedReason; }
    shoal::TaskState taskState(shoal::TaskId id) const { return m_ledger[id].state; }
    void cancelTask(shoal::TaskId id);
    void cancelWorkerTask(int slot);
    void cancelAll();
    void retryTask(shoal::TaskId id);
    void retryFailed();

Q_SIGNALS:
    void eventsReady(const QList<shoal::Event> &events);
    // Every task is terminal; emitted from the event loop after the BatchFinished event.
    void finished();

private:
    // LaunchHost: what the launching gets from the pool.
    const PoolOptions &options() const override { return m_options; }
    QObject *context() override { return this; }
    TaskLedger &ledger() override { return m_ledger; }
    KeptOutputs &keptOutputs() override { return m_kept; }
    Launcher &launcher() override { return *m_launcher; }
    ProcessTree &tree() override { return *m_tree; }
    ProcessGuard &guard() override { return *m_guard; }
    ProcessWatcher &watcher() override { return m_watcher; }
    std::vector<std::unique_ptr<WorkerSlot>> &workerSlots() override { return m_slots; }
    WorkerSlot *slotAt(int number) const override;
    qint64 now() const override { return m_clock.elapsed(); }
    qint64 nowNs() const override { return m_clock.nsecsElapsed(); }
    Event &post(Event::Type type) override;
    TaskBatch &openBatch() override;
    EventOutbox &outbox() override { return m_outbox; }
    void postWorker(const WorkerSlot &slot) override;
    void message(const QString &text) override;
    void recordTerminal(TaskId id, qint64 received, ResultsFolder::Stream out,
                        ResultsFolder::Stream err) override;
    void checkHalt(TaskId id) override;
    void slotSettled(WorkerSlot &slot) override;
    qint64 activeMs(const WorkerSlot &slot) const override;
    void terminate(WorkerSlot &slot, EndReason reason) override;
    void armDeadlines() override;
    void checkFinished() override;
    void continueWork() override
    {
        dispatch();
        checkFinished();
    }
    void failUnserved(const QString &reason) override;

    bool isService() const { return m_options.service.isValid(); }
    Result<void> prepareProcesses();
    void setPoolPaused(bool paused);
    void setWorkerPaused(int slot, bool paused);
    void onProcessActivity();
    void onDeadlineTimer();
    void onStatsTimer();
    void sampleUsage();
    void onMemoryTimer();
    void dispatch();
    // Its task's processes are here, or on another host (the launching's).
    bool hasProcess(const WorkerSlot &slot) const;
    void freeze(WorkerSlot &slot);
    void thaw(WorkerSlot &slot);
    void setTaskState(const WorkerSlot &slot, TaskState state, Event::Type type);
    bool isFrozen(const WorkerSlot &slot) const;
    WorkerSlot *addSlot(); // null when its output files cannot be created
    void removeSlot(int slotNumber);
    void growSlots();
    void reportSlotLimit(int error);
    int activeSlotCount(int host = -1) const; // of one worker host (its index), or of all
    void growTo(int workers);
    void shrinkTo(int workers, DrainPolicy policy);
    // The same for the slots of one worker host (host: its index), or of all (-1).
    void takeBack(int wanted, int host);
    void shrinkBy(int surplus, DrainPolicy policy, int host);
    bool isOnHost(const WorkerSlot &slot, int host) const;
    void addTasksFrom(qint64 firstSeq);
    void reportResumed();
    QByteArray joblogRow(TaskId id, qint64 received) const;
    // Cancels the queued tasks; with endRunning also ends the running ones (halt now, cancel all).
    void stopDispatching(bool endRunning);
    WorkerInfo workerInfo(const WorkerSlot &slot) const;
    TaskInfo taskInfo(TaskId id) const;
    void postStats(Event::Type type);

    CommandTemplate m_template;
    InputList m_inputs;
    PoolOptions m_options;

    TaskLedger m_ledger;
    KeptOutputs m_kept;
    std::unique_ptr<Launching> m_launching;
    std::vector<std::unique_ptr<WorkerSlot>> m_slots; // index = slot number - 1; null: removed
    int m_targetSize = 0;
    int m_slotCount = 0; // non-null entries of m_slots
    int m_slotBudget = 0; // slots the descriptor limit allows; 0 until first needed
    bool m_growPending = false; // a queued dispatch() continues growing the pool
    bool m_budgetReported = false;
    static constexpr int kSlotsPerPass = 256;

    std::unique_ptr<Launcher> m_launcher;
    std::unique_ptr<ProcessGuard> m_guard;
    TaskRecords m_records;
    QString m_writeError;
    std::unique_ptr<ProcStats> m_procStats;
    std::unique_ptr<ProcessTree> m_tree; // what tasks leave outside their groups
    ProcessWatcher m_watcher;
    // Children of the pool (so that a moveToThread takes them along), destroyed as members.
    QTimer m_deadlineTimer { this };
    QTimer m_statsTimer { this };
    QTimer m_memoryTimer { this };
    QElapsedTimer m_clock;
    qint64 m_wallStartMs = 0; // epoch ms at m_clock's start

    bool m_started = false;
    QString m_unservedReason;
    bool m_inputsOpen = false;
    QHash<qint64, bool> m_logged; // --resume: Seqs in the joblog -> whether one succeeded
    bool m_paused = false;
    bool m_halted = false;
    bool m_stopping = false; // cancelAll/halt: no more dispatch
    std::shared_ptr<const std::atomic<bool>> m_abandoned; // setAbandonFlag()
    bool m_finished = false;
    int m_haltExitStatus = 0;
    ThroughputMeter m_throughput;
    EventOutbox m_outbox { this };
};

} // namespace shoal
