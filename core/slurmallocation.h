#pragma once

#include "result.h"
#include "taskprocess.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

namespace shoal {

class Launcher;

// The Slurm allocation a batch's agents run in (DESIGN.md section 7, --slurm): its job id and
// its nodes with their CPUs, and the srun command line that starts one agent on a node as a job
// step of its own (--overlap: the steps share the allocation's CPUs).
//
// Inside an allocation (SLURM_JOB_ID set: an sbatch script, salloc's shell) it is the
// environment's. Outside one, an srun obtains it with the user's arguments and holds it: its step
// reads the end of a pipe this process keeps open, so that when Shoal ends, or dies, the step
// ends, srun ends and Slurm releases the allocation, cancelling any step left in it. srun is
// started without Shoal's task token or guard registration and is only ever signalled alone
// (TaskProcess::adopt's `alone`): killing srun's whole process group would also kill the helper
// that cancels its step, and the step would run on (../shared/cluster/README.md).
class SlurmAllocation
{
public:
    struct Node
    {
        QString name;
        int cpus = 0; // the allocation's CPUs there; 0: not known
    };

    SlurmAllocation() = default;
    ~SlurmAllocation(); // closes the holder's pipe (the holder itself is reaped by its owner)
    SlurmAllocation(const SlurmAllocation &) = delete;
    SlurmAllocation &operator=(const SlurmAllocation &) = delete;

    // The environment's allocation, or a new one obtained with srunArgs (waits up to
    // waitMs for Slurm to grant it). An Error says what Slurm said.
    // givenUp: as SignalWatcher::waitReadable()'s.
    Result<void> obtain(const QStringList &srunArgs, Launcher &launcher, int waitMs,
                        const std::function<bool()> &givenUp = {});

    bool isHeld() const { return m_holder.isLive(); } // obtained here, not the environment's
    const QString &jobId() const { return m_jobId; }
    const std::vector<Node> &nodes() const { return m_nodes; }
    // srun's argv that starts `agentPath agent` on the node, in the allocation.
    QStringList stepArgv(const Node &node, const QString &agentPath) const;

    // Lets the holder's step end (closing its pipe): the allocation is released once the
    // holder exits. Its process, to watch and reap.
    TaskProcess &holder() { return m_holder; }
    void release();
    bool isReleased() const { return m_holderIn < 0; }

    // What srun said on stderr (the holder's), its last lines: ": ...", or empty.
    QString stderrTail() const;

    // An error for srun arguments that would take the agents' link or aim at another job;
    // empty when they can be used.
    static QString checkArgs(const QStringList &srunArgs);

    // "2(x3),1" (SLURM_JOB_CPUS_PER_NODE) for `count` nodes; empty when it does not fit.
    static std::vector<int> parseCpusPerNode(const QString &text, int count);

private:
    Result<void> fromEnvironment(const std::function<bool()> &givenUp);
    Result<void> startHolder(const QStringList &srunArgs, Launcher &launcher, int waitMs,
                             const std::function<bool()> &givenUp);
    Result<void> setNodes(const QString &nodeList, const QString &cpusPerNode,
                          const std::function<bool()> &givenUp);
    // node[1-3,5] as Slurm expands it (scontrol show hostnames).
    static Result<QStringList> expandNodeList(const QString &nodeList,
                                              const std::function<bool()> &givenUp);

    QString m_jobId;
    std::vector<Node> m_nodes;
    QStringList m_stepArgs; // the user's srun arguments, for each step (inside an allocation)
    TaskProcess m_holder;
    int m_holderIn = -1; // the holder step's stdin: it ends when this closes
    int m_stderr = -1; // what the holder's srun says
    static constexpr const char kMarker[] = "SHOAL-ALLOCATION";
};

} // namespace shoal
