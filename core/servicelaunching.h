#pragma once

#include "inputlist.h"
#include "launching.h"
#include "serviceworker.h"
#include "taskledger.h"

#include <QByteArray>

#include <deque>
#include <memory>
#include <vector>

namespace shoal {

// What a slot of service workers holds beyond the common slot: its program while one runs, the
// tasks in flight in its pipe, and what tells how fast and how healthy it is.
struct ServiceSlot
{
    std::unique_ptr<ServiceProcess> process; // null between processes
    std::deque<TaskId> inflight; // written to its stdin, no answer yet; the oldest first
    bool stdinWatched = false;
    int consecutiveCrashes = 0;
    qint64 lastReplyNs = 0;
    double nsPerTask = 0; // moving average of the worker's service time
    QString endDetail; // why Shoal ended the process (garbage line)
    bool silenceReported = false; // this process was reported for giving no answer (once each)
};

// Long-lived worker programs fed tasks on stdin (multiprocessing.Pool style): one process per
// slot, several tasks in flight on each, answers read back as lines (ServiceProcess). A worker
// that exits is replaced; the task it was working on is charged, the others go back.
class ServiceLaunching final : public Launching
{
public:
    ServiceLaunching(LaunchHost &host, const ServiceSpec &spec, const InputList &inputs);

    Result<void> prepare() override;
    void slotAdded(WorkerSlot &slot) override;
    int descriptorsPerSlot() const override { return 5; } // files, pidfd, stdin and stdout
    QString commandOf(TaskId id) const override;
    void dispatch() override;
    bool isBusy(const WorkerSlot &slot) const override { return !slot.service->inflight.empty(); }
    std::vector<TaskId> tasksOn(const WorkerSlot &slot) const override;
    TaskId oldestTask(const WorkerSlot &slot) const override
    {
        return slot.service->inflight.empty() ? -1 : slot.service->inflight.front();
    }
    TaskId newestTask(const WorkerSlot &slot) const override
    {
        return slot.service->inflight.empty() ? -1 : slot.service->inflight.back();
    }
    bool isExiting(const WorkerSlot &slot) const override
    {
        return slot.service->process && slot.service->process->stdinClosed();
    }
    void onReady(WorkerSlot &slot, ProcessWatcher::Kind kind) override;
    void onTimeout(WorkerSlot &slot) override;
    void cancelRunning(TaskId id) override;
    void requeueRunning(WorkerSlot &slot) override;
    bool retireIdle(WorkerSlot &slot) override;
    bool finishWorkers() override;
    void prepareEnd() override;
    void onStatsTick() override;

private:
    bool startProcess(WorkerSlot &slot);
    int prefetchFor(const WorkerSlot &slot) const;
    void feed(WorkerSlot &slot);
    void onReadable(WorkerSlot &slot);
    void onExited(WorkerSlot &slot);
    bool takeReplies(WorkerSlot &slot, std::vector<ServiceProcess::Reply> &replies,
                     const TaskBatch &batch);
    // The answer's text is [offset, offset + length) of source.outputs (the batch it was read
    // into).
    void finishTask(WorkerSlot &slot, TaskId id, bool ok, const TaskBatch &source, qsizetype offset,
                    qsizetype length, qint64 nowMs);
    void failTask(WorkerSlot &slot, TaskId id, const ExitStatus &exit, const QString &reason,
                  TaskLedger::RetryAt retryAt = TaskLedger::RetryAt::Front);
    void onOutputClosed(WorkerSlot &slot);
    void closeStdout(WorkerSlot &slot);
    QString exitReason(const WorkerSlot &slot, qint64 pid, const ExitStatus &exit) const;
    void charge(WorkerSlot &slot, const ExitStatus &exit, qint64 pid);

    LaunchHost &m_host;
    const ServiceSpec &m_spec;
    const InputList &m_inputs;
    QByteArray m_path;
    std::vector<ServiceProcess::Reply> m_replies; // scratch for onReadable
};

} // namespace shoal
