#pragma once

#include "agentprotocol.h"
#include "commandtemplate.h"
#include "inputlist.h"
#include "launching.h"
#include "workerhosts.h"

#include <QHash>

#include <memory>
#include <vector>

namespace shoal {

// Command tasks on worker hosts (DESIGN.md section 7): one `shoal agent` per host, started by a
// transport (ssh; this machine's agent directly), runs the tasks with the argv expanded here, and
// sends back their outputs and ends over the link (agentprotocol.h). The ledger, the records and
// the steering stay here; a slot belongs to one host.
//
// A host that is lost (its agent or transport exits, the link breaks or talks nonsense) has its
// running tasks requeued for the other hosts (not charged as attempts: not their fault); when no
// host is left the waiting tasks fail with the reason.
class AgentLaunching final : public Launching
{
public:
    AgentLaunching(LaunchHost &host, const CommandTemplate &command, const InputList &inputs,
                   const HostsSpec &hosts);
    ~AgentLaunching() override;

    Result<void> prepare() override;
    Result<void> open() override;
    int workerCount() const override;
    void slotAdded(WorkerSlot &slot) override;
    int descriptorsPerSlot() const override { return 2; } // its scratch files, unused
    QString commandOf(TaskId id) const override;
    QString hostOf(int slot) const override;
    void dispatch() override;
    bool isBusy(const WorkerSlot &slot) const override { return slot.task >= 0; }
    std::vector<TaskId> tasksOn(const WorkerSlot &slot) const override;
    TaskId oldestTask(const WorkerSlot &slot) const override { return slot.task; }
    TaskId newestTask(const WorkerSlot &slot) const override { return slot.task; }
    bool isExiting(const WorkerSlot &) const override { return false; }
    bool runsElsewhere(const WorkerSlot &slot) const override;
    void holdTask(WorkerSlot &slot, bool stopped) override;
    void onReady(WorkerSlot &, ProcessWatcher::Kind) override { }
    void onHostReady(int host, quint32 generation, ProcessWatcher::Kind kind) override;
    void onTimeout(WorkerSlot &) override { } // the agent times its tasks
    void cancelRunning(TaskId id) override;
    void requeueRunning(WorkerSlot &slot) override;
    bool retireIdle(WorkerSlot &) override { return true; }
    bool finishWorkers() override;
    void prepareEnd() override;
    void endingProcesses(std::vector<TaskProcess *> &processes) override;

private:
    struct Received; // a running task's output so far
    struct Host;
    Host *hostOfSlot(const WorkerSlot &slot) const;
    // The slot running task id on host, or null.
    WorkerSlot *slotRunning(const Host &host, TaskId id) const;
    bool isBusy(const Host &host) const;
    bool anyHostLeft() const;
    void requeue(WorkerSlot &slot);
    QStringList transportOf(const Host &host) const;
    Result<void> startTransport(Host &host);
    Result<void> awaitHello(std::vector<Host *> &waiting);
    Result<void> readHello(Host &host, const agent::Frame &frame);
    void send(Host &host, const agent::Frame &frame);
    void flush(Host &host);
    void read(Host &host);
    void handle(Host &host, agent::Frame &frame);
    void receive(Host &host, agent::Output &output);
    void finish(Host &host, const agent::Finished &finished);
    void start(WorkerSlot &slot, Host &host, TaskId id);
    // The host is gone: its running tasks go back to the queue, its process is ended.
    void lose(Host &host, const QString &reason);
    void closeLink(Host &host);
    QString stderrTail(const Host &host) const;

    LaunchHost &m_host;
    const CommandTemplate &m_template;
    const InputList &m_inputs;
    const HostsSpec &m_spec;
    std::vector<std::unique_ptr<Host>> m_hosts;
    std::vector<int> m_hostOfSlot; // by slot number; -1: none yet
    QByteArray m_selfPath; // this machine's shoal, for ':'
    bool m_opened = false; // every host said Hello and got its Setup
    bool m_finishing = false;
};

} // namespace shoal
