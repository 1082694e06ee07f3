#pragma once

#include "result.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <vector>

namespace shoal {

// A worker host: where a `shoal agent` runs tasks for the pool.
struct HostSpec
{
    QString login; // what the transport is given (user@host, host); ":" is this machine
    int workers = 0; // its worker slots; 0: as many as it has cores
    static constexpr int kMaxWorkers = 100000;
    bool isLocal() const { return login == u':'; }
    friend bool operator==(const HostSpec &, const HostSpec &) = default;
};

// How Shoal reaches its worker hosts (GNU parallel's -S/--sshlogin, --ssh; DESIGN.md section 7).
struct HostsSpec
{
    std::vector<HostSpec> hosts; // empty: tasks run here, without agents
    // The command that reaches a host, run as SSH... HOST CMD. By default no prompt (its stdin
    // is the link) and a dead network noticed within 45 s.
    QStringList ssh { QStringLiteral("ssh"),
                      QStringLiteral("-o"),
                      QStringLiteral("BatchMode=yes"),
                      QStringLiteral("-o"),
                      QStringLiteral("ServerAliveInterval=15"),
                      QStringLiteral("-o"),
                      QStringLiteral("ServerAliveCountMax=3") };
    // Slurm (--slurm "SRUN ARGS"): one agent per node of an allocation, each a job step of its
    // own. Inside an allocation (SLURM_JOB_ID set) srunArgs go to each agent's srun; outside
    // one, to the srun that obtains the allocation and holds it for the batch.
    bool slurm = false;
    QStringList srunArgs;
    int slurmWorkers = 0; // per node; 0: the CPUs the allocation has there
    // GNU parallel's --transferfile, --return (file names with placeholders, relative to the
    // working folders) and --cleanup, for every host but this machine (':').
    QStringList transferFiles;
    QStringList returnFiles;
    bool cleanup = false;
    QString agentPath; // `shoal` on the far host's PATH when empty
    QString workdir; // where tasks run on each host (empty: the agent's login folder)
    bool isValid() const { return !hosts.empty() || slurm; }
    // The command that reaches a host: `ssh` itself (--ssh 'ssh -p 2222') still gets the
    // default options after the user's, which come first and so win (ssh takes the first value
    // of each): no prompt, a dead network noticed. Another program is run as given.
    QStringList sshArgv() const;
};

// A batch file's "hosts": {"ssh": ["2/hostA", ":"] (or "2/hostA,:"), "sshCommand": "ssh -p 22",
// "agentPath": "...", "workdir": "..."}, or {"slurm": "SRUN ARGS", "workers": N per node, ...}
// in place of "ssh" and "sshCommand"; "transferFiles": [...], "returnFiles": [...] and
// "cleanup": true as --transferfile, --return and --cleanup. An error names the key; empty when all
// is well.
QString parseHostsJson(const QJsonValue &value, HostsSpec *spec);
QJsonObject hostsJson(const HostsSpec &spec); // what parseHostsJson() reads back

// GNU parallel's --sshlogin value: "[N/]LOGIN[,[N/]LOGIN...]", ":" for this machine. An Error
// names the part at fault.
Result<std::vector<HostSpec>> parseSshLogins(const QString &value);
// --sshloginfile: one --sshlogin value per line; blank lines and '#' comments are skipped.
Result<std::vector<HostSpec>> readSshLoginFile(const QString &path);
// An error for a --transferfile or --return file name that is not one (empty, an unknown
// placeholder); empty when it can be used.
QString checkFileTemplate(const QString &pattern);

} // namespace shoal
