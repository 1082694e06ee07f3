#pragma once

#include "commandtemplate.h"
#include "inputlist.h"
#include "launching.h"

#include <QByteArray>

namespace shoal {

// One process per task (GNU parallel style): the slot's task runs as a process group of its
// own, started by the Launcher with its output captured in the slot's files; its exit ends the
// attempt.
class CommandLaunching final : public Launching
{
public:
    CommandLaunching(LaunchHost &host, const CommandTemplate &command, const InputList &inputs);

    Result<void> prepare() override;
    int descriptorsPerSlot() const override { return 3; } // two output files and a pidfd
    QString commandOf(TaskId id) const override;
    void dispatch() override;
    bool isBusy(const WorkerSlot &slot) const override { return slot.task >= 0; }
    std::vector<TaskId> tasksOn(const WorkerSlot &slot) const override;
    TaskId oldestTask(const WorkerSlot &slot) const override { return slot.task; }
    TaskId newestTask(const WorkerSlot &slot) const override { return slot.task; }
    bool isExiting(const WorkerSlot &) const override { return false; }
    void onReady(WorkerSlot &slot, ProcessWatcher::Kind kind) override;
    void onTimeout(WorkerSlot &slot) override;
    void cancelRunning(TaskId id) override;
    void requeueRunning(WorkerSlot &slot) override;
    bool retireIdle(WorkerSlot &) override { return true; }
    bool finishWorkers() override { return false; }
    void onStatsTick() override;

private:
    QStringList argvOf(TaskId id, int slot) const;
    bool canTakeWork(const WorkerSlot &slot) const;
    void start(WorkerSlot &slot, TaskId id);
    void reap(WorkerSlot &slot);
    void finishAttempt(WorkerSlot &slot, ExitStatus exit, AttemptOutput output);

    LaunchHost &m_host;
    const CommandTemplate &m_template;
    const InputList &m_inputs;
    QByteArray m_fixedProgramPath;
    qint64 m_scratchFullMs = -1; // when the scratch folder (TMPDIR) was last seen full
    bool m_warnedOutputLost = false;
};

} // namespace shoal
