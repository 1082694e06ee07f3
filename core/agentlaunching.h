#pragma once

#include "agentprotocol.h"
#include "commandtemplate.h"
#include "filetransfer.h"
#include "inputlist.h"
#include "launching.h"
#include "slurmallocation.h"
#include "taskprocess.h"
#include "workerhosts.h"

#include <QHash>

#include <unistd.h>

#include <deque>
#include <memory>
#include <vector>

namespace shoal {

// Command tasks on worker hosts (DESIGN.md section 7): one `shoal agent` per host, started by a
// transport (ssh; srun, one job step per node of a Slurm allocation; this machine's agent
// directly), runs the tasks with the argv expanded here, and
// sends back their outputs and ends over the link (agentprotocol.h). The ledger, the records and
// the steering stay here; a slot belongs to one host.
//
// Service workers (Setup.service) run there too: each host's agent runs that many service
// programs and is sent their tasks in Tasks frames, enough in flight to cover the link's round
// trip; it answers in Results frames. A slot's tasks in flight are those sent for it; the agent
// hands them to whichever of its workers is free first.
//
// A host that is lost (its agent or transport exits, the link breaks or talks nonsense) has its
// running tasks requeued for the other hosts (not charged as attempts: not their fault); when no
// host is left the waiting tasks fail with the reason.
class AgentLaunching final : public Launching
{
public:
    AgentLaunching(LaunchHost &host, const CommandTemplate &command, const InputList &inputs,
                   const HostsSpec &hosts, const ServiceSpec &service);
    ~AgentLaunching() override;

    Result<void> prepare() override;
    Result<void> open() override;
    int workerCount() const override;
    void slotAdded(WorkerSlot &slot) override;
    void assignHost(WorkerSlot &slot); // the host with the most room for its share, or -1
    int hostIndex(const QString &name) const override;
    int hostIndexOf(const WorkerSlot &slot) const override;
    void setHostWorkers(int host, int workers) override;
    // Its scratch files (unused), and the files to send held open until its Run goes.
    int descriptorsPerSlot() const override { return 2 + int(m_transfers.size()); }
    QString commandOf(TaskId id) const override;
    QString hostOf(int slot) const override;
    QString placeOf(int slot) const override;
    void dispatch() override;
    bool isBusy(const WorkerSlot &slot) const override;
    std::vector<TaskId> tasksOn(const WorkerSlot &slot) const override;
    TaskId oldestTask(const WorkerSlot &slot) const override;
    TaskId newestTask(const WorkerSlot &slot) const override;
    bool isExiting(const WorkerSlot &) const override { return false; }
    bool runsElsewhere(const WorkerSlot &slot) const override;
    void holdTask(WorkerSlot &slot, bool stopped) override;
    void poolPaused(bool paused) override;
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
    // A running task's output so far.
    struct Received
    {
        AttemptOutput output;
        int fds[2] = { -1, -1 }; // a stream spilled to a scratch file, until the task ends
        qint64 sizes[2] = { 0, 0 };
    };

    // A task whose --transferfile files go out a part at a time as the link takes them, its
    // Run after them.
    struct Sending
    {
        OutgoingFiles files;
        agent::Run run;
        bool held = false; // paused before its Run went: held as soon as it has
    };

    // One worker host: its transport, its link and what its agent said.
    struct Host
    {
        int index = 0;
        HostSpec spec;
        quint32 generation = ProcessWatcher::nextGeneration();
        TaskProcess process; // the transport (ssh), or this machine's agent
        int toAgent = -1;
        int fromAgent = -1;
        int stderrFile = -1; // what the transport and the agent say on stderr
        agent::FrameReader reader;
        QByteArray outBuffer;
        qsizetype outSent = 0; // of outBuffer, written already (dropped from it now and then)
        qsizetype unsent() const { return outBuffer.size() - outSent; }
        bool writeWatched = false;
        agent::Hello hello;
        int workers = 0;
        bool ready = false; // the agent said Hello and got its Setup
        bool lost = false;
        bool going = false; // its agent said it is ending its tasks: fed nothing more
        bool isolated = false; // lost with service tasks on their way: fed one until it answers
        bool retrying = false; // lost, and to be started again (reconnect)
        bool reopening = false; // told the batch ended, still going, wanted again (a retry)
        int reconnects = 0; // tries since its agent last said Hello
        int agentWorkers = 0; // what its agent was told to run (Setup, Workers)
        bool refused = false; // its agent failed (Failure): it is not started again
        // Service tasks in flight per slot: doubled each time a slot ran dry with tasks queued
        // (the link's round trip was longer than its tasks), so that long tasks are not hoarded.
        int window = 2;
        QHash<TaskId, int> cancelling; // service tasks sent a Cancel, not yet acknowledged
        QHash<TaskId, Received> received;
        FileReceiver returned; // --return: what its agent sends back
        std::deque<Sending> sending; // --transferfile: the front's files are on their way

        ~Host()
        {
            for (int fd : { toAgent, fromAgent, stderrFile })
                if (fd >= 0)
                    ::close(fd);
            for (const Received &r : std::as_const(received))
                for (int fd : r.fds)
                    if (fd >= 0)
                        ::close(fd);
        }
        QString name() const
        {
            if (!hello.slurmStep.isEmpty())
                return QStringLiteral("%1 (Slurm step %2)").arg(spec.login, hello.slurmStep);
            return spec.isLocal() ? QStringLiteral("this machine (:)") : spec.login;
        }
    };

    Host *hostOfSlot(const WorkerSlot &slot) const;
    // The slot running task id on host, or null.
    WorkerSlot *slotRunning(const Host &host, TaskId id) const;
    // The same for a service task in flight there, or a command task running there.
    WorkerSlot *slotWithTask(const Host &host, TaskId id) const;
    bool isBusy(const Host &host) const;
    bool anyHostLeft() const;
    void requeue(WorkerSlot &slot);
    // A command task whose host went while it ran: back to the queue, not charged (not its
    // fault), but from its third such loss on its attempt counts (the task may be what ends its
    // agent: the retries bound it, and the batch ends). False when it was not requeued.
    bool requeueFromLostHost(WorkerSlot &slot, int signal);
    static constexpr int kUnchargedLosses = 2;
    static ExitStatus lostWithItsHost(int signal); // the exit of an attempt so charged
    void forgetLossesIfEnded(TaskId id); // after such a charge

    QStringList transportOf(const Host &host) const;
    Result<void> obtainSlurmHosts();
    void endAllocation(); // the holder srun of an allocation obtained here, ended and reaped
    // The watcher's tag for the holder's exit: the host index after the last host.
    int holderTag() const { return -(int(m_hosts.size()) + 1); }
    void holderExited();
    void abandonOpen(); // open() failed: every transport started is ended, the allocation too
    void endTransport(Host &host); // KILLed (ssh: the far agent sees its link end) and reaped
    void startAgain(Host &host); // a fresh link now, its tries counted from zero
    void reopenHosts(); // a retry after the batch's end: every host is started again
    void makeProbe();
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
    // Service workers (agentservice.cpp).
    void dispatchService();
    void receiveResults(Host &host, agent::Results &results);
    // A service task's attempt ended (its answer, or why not): the retry-or-terminal rule, its
    // finished entry and, when terminal, its records.
    void settleService(WorkerSlot &slot, TaskId id, ExitStatus exit, qint64 durationMs,
                       QByteArrayView text);
    void receiveProgress(Host &host, const agent::Progress &progress);
    bool isInFlightOn(TaskId id, const WorkerSlot &slot) const;
    // Drops the answered entries at the front of the slot's flight (the front is then a task
    // in flight, or there is none); true, and the slot settled later, when none is left.
    bool dropAnswered(WorkerSlot &slot);
    // Sends a service task's Cancel, and drops what comes for it until its agent acknowledges.
    void cancelThere(Host &host, TaskId id);
    // A host back while the pool is not paused: its service slots frozen by a pause that it
    // missed (lost meanwhile) run again.
    void thawSlotsOf(const Host &host);
    void cancelService(TaskId id);
    void requeueService(WorkerSlot &slot);
    void loseService(WorkerSlot &slot); // its host is lost
    // Each slot has a host where one can take it, and each agent runs as many workers as its
    // host has slots.
    void syncWorkers();
    void settleLater(const WorkerSlot &slot); // once the pool's current loop over slots is done
    // Files through the link (agentfiles.cpp). The file names the patterns (--transferfile's,
    // --return's) give for the task.
    QStringList pathsOf(const std::vector<CommandTemplate> &patterns, TaskId id, int slot) const;
    // Sends the task's Run to its host, after its --transferfile files; the attempt fails to
    // start when one of them cannot be opened.
    void sendRun(WorkerSlot &slot, Host &host, TaskId id);
    // Adds the parts of the files on their way to the host's buffer while it holds less than
    // kSendAheadBytes, and each Run once its files have gone.
    void sendFileParts(Host &host);
    // A task whose Run has not gone yet is dropped there (what came of a file is dropped at the
    // far end) and ends as its agent would have ended it: false when its Run went already.
    bool dropUnsent(Host &host, TaskId id);
    std::deque<Sending>::iterator unsentOf(Host &host, TaskId id); // or sending.end()
    bool holdUnsent(Host &host, TaskId id, bool stopped);
    // A Finished for the task, from here (its Run never went), handled once the pool's current
    // loop is done; dropped if the attempt ended meanwhile.
    void finishLater(Host &host, TaskId id, ExitStatus exit, QByteArray err = {});
    void receiveReturn(Host &host, const agent::File &file);
    void watchLink(Host &host);
    void sendSetup(Host &host);
    // The host is gone: its running tasks go back to the queue, its process is ended, and it is
    // tried again after a pause that doubles each time (0.5 s to 8 s, five tries).
    void lose(Host &host, const QString &reason);
    void reconnect(int index, quint32 generation);
    // A task ended there: the host works, so its next loss starts its tries from zero (a host
    // that comes back only to be lost again is given up after the usual tries).
    static void delivered(Host &host) { host.reconnects = 0; }
    void closeLink(Host &host);
    QString stderrTail(const Host &host) const;

    LaunchHost &m_host;
    const CommandTemplate &m_template;
    const InputList &m_inputs;
    const HostsSpec &m_spec;
    const ServiceSpec &m_service;
    const bool m_isService;
    std::vector<CommandTemplate> m_transfers, m_returns; // --transferfile, --return
    QString m_probe; // Setup's probe (agentprotocol.h), in our folder while files travel
    std::vector<std::unique_ptr<Host>> m_hosts;
    std::vector<int> m_hostOfSlot; // by slot number; -1: none yet
    QHash<TaskId, int> m_lossesOf; // tasks that were running (on their way) when their host went
    // --slurm: srun carries no task token (see SlurmAllocation), so it has a launcher of its own.
    std::unique_ptr<Launcher> m_srunLauncher;
    SlurmAllocation m_allocation;
    bool m_allocationGone = false; // the allocation obtained here ended before the batch
    bool m_heldAllocation = false; // --slurm outside an allocation: one was obtained here
    bool m_opened = false; // every host said Hello and got its Setup
    bool m_finishing = false;
    bool m_paused = false; // the whole pool (service workers: each agent pauses all of its own)
};

} // namespace shoal
