#include "slurmallocation.h"

#include "fileio.h"
#include "launcher.h"
#include "signalwatcher.h"

#include <QProcess>
#include <QRegularExpression>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

SlurmAllocation::~SlurmAllocation()
{
    release();
    if (m_stderr >= 0)
        ::close(m_stderr);
}

void SlurmAllocation::release()
{
    if (m_holderIn >= 0)
        ::close(std::exchange(m_holderIn, -1));
}

Result<void> SlurmAllocation::obtain(const QStringList &srunArgs, Launcher &launcher, int waitMs,
                                     const std::function<bool()> &givenUp)
{
    if (!qEnvironmentVariableIsEmpty("SLURM_JOB_ID")) {
        m_stepArgs = srunArgs;
        return fromEnvironment(givenUp);
    }
    return startHolder(srunArgs, launcher, waitMs, givenUp);
}

Result<void> SlurmAllocation::fromEnvironment(const std::function<bool()> &givenUp)
{
    m_jobId = qEnvironmentVariable("SLURM_JOB_ID");
    const QString nodes
        = qEnvironmentVariable("SLURM_JOB_NODELIST", qEnvironmentVariable("SLURM_NODELIST"));
    if (nodes.isEmpty())
        return Error { u"Slurm job %1: SLURM_JOB_NODELIST is not set"_s.arg(m_jobId) };
    return setNodes(nodes, qEnvironmentVariable("SLURM_JOB_CPUS_PER_NODE"), givenUp);
}

// srun ARGS runs a one-line step: task 0 says where the allocation is, then reads the pipe
// from Shoal until it ends; the other tasks' stdin is /dev/null (--input=0), they end at once,
// and --wait=0 keeps srun from ending task 0 some time after them (a site's WaitTime).
Result<void> SlurmAllocation::startHolder(const QStringList &srunArgs, Launcher &launcher,
                                          int waitMs, const std::function<bool()> &givenUp)
{
    const QByteArray srun = launcher.resolve(u"srun"_s);
    if (srun.isEmpty())
        return Error { u"--slurm: cannot run 'srun': command not found (is this a Slurm "
                       "submit host?)"_s };
    const QStringList argv = QStringList { u"srun"_s, u"--job-name=shoal"_s } + srunArgs
        + QStringList { u"--wait=0"_s,
                        u"--unbuffered"_s,
                        u"--input=0"_s,
                        u"sh"_s,
                        u"-c"_s,
                        u"[ \"$SLURM_PROCID\" = 0 ] || exit 0; echo \"%1 $SLURM_JOB_ID "
                        "$SLURM_JOB_NODELIST $SLURM_JOB_CPUS_PER_NODE\"; exec cat >/dev/null"_s.arg(
                            QLatin1StringView(kMarker)) };
    m_stderr = openScratchFile();
    const Launcher::Piped piped = launcher.startPiped(srun, argv, m_stderr >= 0 ? m_stderr : 2, -1);
    if (piped.pipeError)
        return Error { u"--slurm: cannot make a pipe: %1"_s.arg(errnoText(piped.pipeError)) };
    const Launcher::Process &p = piped.process;
    m_holderIn = piped.toChild;
    const int fromHolder = piped.fromChild;
    ::fcntl(fromHolder, F_SETFL, ::fcntl(fromHolder, F_GETFL) | O_NONBLOCK);
    auto fail = [&](const QString &why) -> Result<void> {
        release(); // the owner ends and reaps the holder
        ::close(fromHolder);
        return Error { u"--slurm: Slurm gave no allocation (srun %1): %2%3"_s.arg(
            srunArgs.join(u' '), why, stderrTail()) };
    };
    if (p.error) { // the child was reaped; its pidfd is ours to close
        if (p.pidfd >= 0)
            ::close(p.pidfd);
        return fail(errnoText(p.error));
    }
    m_holder.adopt(p.pid, p.pidfd, true);
    QByteArray said;
    const QDeadlineTimer grantedBy(waitMs);
    const int signalsSeen = SignalWatcher::count();
    for (;;) {
        const qsizetype at = said.indexOf(kMarker);
        if (at >= 0 && said.indexOf('\n', at) > at)
            break;
        pollfd fd { fromHolder, POLLIN, 0 };
        const auto end = SignalWatcher::waitReadable(&fd, 1, grantedBy, signalsSeen, givenUp);
        if (end == SignalWatcher::WaitEnd::Interrupted) // the request is withdrawn (TERM)
            return fail(u"interrupted while waiting"_s);
        if (end == SignalWatcher::WaitEnd::TimedOut)
            return fail(u"none granted in %1 s"_s.arg(waitMs / 1000));
        char buffer[512];
        const ssize_t n = ::read(fromHolder, buffer, sizeof buffer);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return fail(u"srun ended"_s);
        said.append(buffer, n);
    }
    ::close(fromHolder);
    // "MARKER JOB NODELIST CPUS" (a prefix such as srun's --label is skipped).
    const qsizetype at = said.indexOf(kMarker) + qsizetype(std::strlen(kMarker));
    const QStringList words = QString::fromLocal8Bit(said.mid(at, said.indexOf('\n', at) - at))
                                  .split(u' ', Qt::SkipEmptyParts);
    static const QRegularExpression jobId(u"^\\d+$"_s);
    if (words.size() < 2 || !jobId.match(words[0]).hasMatch())
        return fail(u"its step said '%1'"_s.arg(QString::fromLocal8Bit(said.trimmed())));
    m_jobId = words[0];
    return setNodes(words[1], words.value(2), givenUp);
}

QString SlurmAllocation::stderrTail() const
{
    return scratchTail(m_stderr);
}

QString SlurmAllocation::checkArgs(const QStringList &srunArgs)
{
    // What would take the link (stdin, stdout) from the agent, or aim at another job.
    static const QStringList taken { u"-o"_s,
                                     u"--output"_s,
                                     u"-e"_s,
                                     u"--error"_s,
                                     u"-i"_s,
                                     u"--input"_s,
                                     u"--pty"_s,
                                     u"--jobid"_s,
                                     u"--multi-prog"_s,
                                     u"-Z"_s,
                                     u"--no-allocate"_s,
                                     u"--test-only"_s };
    for (const QString &word : srunArgs) {
        const QString name = word.section(u'=', 0, 0);
        const bool shortWithValue = word.size() > 2 && word.startsWith(u'-') && word[1] != u'-';
        for (const QString &t : taken)
            if (name == t || (shortWithValue && t.size() == 2 && word.startsWith(t)))
                return u"srun's %1 cannot be used with --slurm: Shoal's agents talk through "
                       "srun's stdin and stdout, in a job step of the allocation"_s.arg(t);
    }
    return {};
}

// Waits as SignalWatcher::waitReadable() does: a controller that does not answer is given up
// on with the batch (Ctrl-C, a closed window), not waited out.
Result<QStringList> SlurmAllocation::expandNodeList(const QString &nodeList,
                                                    const std::function<bool()> &givenUp)
{
    constexpr int kWaitMs = 30000;
    const int signalsSeen = SignalWatcher::count();
    const QDeadlineTimer deadline(kWaitMs);
    QProcess scontrol;
    scontrol.start(u"scontrol"_s, { u"show"_s, u"hostnames"_s, nodeList });
    if (!scontrol.waitForStarted())
        return Error { scontrol.errorString() };
    while (!scontrol.waitForFinished(100) && scontrol.state() != QProcess::NotRunning) {
        const bool interrupted = SignalWatcher::isInterrupted(signalsSeen, givenUp);
        if (interrupted || deadline.hasExpired()) {
            scontrol.kill();
            scontrol.waitForFinished();
            return Error { interrupted ? u"interrupted while waiting"_s
                                       : u"no answer in %1 s"_s.arg(kWaitMs / 1000) };
        }
    }
    if (scontrol.exitStatus() != QProcess::NormalExit || scontrol.exitCode() != 0)
        return Error { QString::fromLocal8Bit(scontrol.readAllStandardError()).trimmed()
                       + scontrol.errorString() };
    return QString::fromLocal8Bit(scontrol.readAllStandardOutput())
        .split(u'\n', Qt::SkipEmptyParts);
}

Result<void> SlurmAllocation::setNodes(const QString &nodeList, const QString &cpusPerNode,
                                       const std::function<bool()> &givenUp)
{
    QStringList names;
    if (!nodeList.contains(u'[')) {
        names = nodeList.split(u',', Qt::SkipEmptyParts);
    } else { // node[1-3,5]: Slurm's own expansion
        auto expanded = expandNodeList(nodeList, givenUp);
        if (!expanded)
            return Error { u"Slurm job %1: cannot list its nodes '%2' (scontrol show hostnames): "
                           "%3"_s.arg(m_jobId, nodeList, expanded.error()) };
        names = *expanded;
    }
    if (names.isEmpty())
        return Error { u"Slurm job %1 has no nodes"_s.arg(m_jobId) };
    const std::vector<int> cpus = parseCpusPerNode(cpusPerNode, int(names.size()));
    m_nodes.clear();
    for (qsizetype i = 0; i < names.size(); ++i) // 0: the agent's Hello (its cores) decides
        m_nodes.push_back({ names[i].trimmed(), cpus.empty() ? 0 : cpus[size_t(i)] });
    return {};
}

std::vector<int> SlurmAllocation::parseCpusPerNode(const QString &text, int count)
{
    static const QRegularExpression part(u"^(\\d+)(?:\\(x(\\d+)\\))?$"_s);
    std::vector<int> cpus;
    for (const QString &p : text.split(u',', Qt::SkipEmptyParts)) {
        const auto m = part.match(p.trimmed());
        if (!m.hasMatch())
            return {};
        const int n = m.captured(1).toInt();
        const int times = m.captured(2).isEmpty() ? 1 : m.captured(2).toInt();
        if (n <= 0 || times <= 0 || qsizetype(cpus.size()) + times > count)
            return {};
        cpus.insert(cpus.end(), size_t(times), n);
    }
    if (int(cpus.size()) != count)
        return {};
    return cpus;
}

QStringList SlurmAllocation::stepArgv(const Node &node, const QString &agentPath) const
{
    return QStringList { u"srun"_s, u"--job-name=shoal-agent"_s } + m_stepArgs
        + QStringList { u"--jobid=%1"_s.arg(m_jobId),      u"--nodes=1"_s, u"--ntasks=1"_s,
                        u"--nodelist=%1"_s.arg(node.name), u"--overlap"_s, u"--unbuffered"_s,
                        u"--job-name=shoal-agent"_s,       agentPath,      u"agent"_s };
}

} // namespace shoal
