#include "slurmallocation.h"

#include "fileio.h"
#include "launcher.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

QString scratchTail(int fd)
{
    if (fd < 0)
        return {};
    const off_t size = ::lseek(fd, 0, SEEK_END);
    const qint64 from = qMax<qint64>(0, size - 2048);
    QByteArray tail(qsizetype(size - from), Qt::Uninitialized);
    const ssize_t n = ::pread(fd, tail.data(), size_t(tail.size()), from);
    tail.truncate(n > 0 ? n : 0);
    const QStringList lines
        = QString::fromLocal8Bit(tail).trimmed().split(u'\n', Qt::SkipEmptyParts);
    return lines.isEmpty() ? QString()
                           : u": "_s + lines.mid(qMax(0, lines.size() - 3)).join(u" / "_s);
}

} // namespace

SlurmAllocation::~SlurmAllocation()
{
    release();
}

void SlurmAllocation::release()
{
    if (m_holderIn >= 0)
        ::close(std::exchange(m_holderIn, -1));
}

Result<void> SlurmAllocation::obtain(const QStringList &srunArgs, Launcher &launcher, int waitMs)
{
    if (!qEnvironmentVariableIsEmpty("SLURM_JOB_ID")) {
        m_stepArgs = srunArgs;
        return fromEnvironment();
    }
    return startHolder(srunArgs, launcher, waitMs);
}

Result<void> SlurmAllocation::fromEnvironment()
{
    m_jobId = qEnvironmentVariable("SLURM_JOB_ID");
    const QString nodes
        = qEnvironmentVariable("SLURM_JOB_NODELIST", qEnvironmentVariable("SLURM_NODELIST"));
    if (nodes.isEmpty())
        return Error { u"Slurm job %1: SLURM_JOB_NODELIST is not set"_s.arg(m_jobId) };
    return setNodes(nodes, qEnvironmentVariable("SLURM_JOB_CPUS_PER_NODE"));
}

// srun ARGS runs a one-line step: task 0 says where the allocation is, then reads the pipe
// from Shoal until it ends; the other tasks' stdin is /dev/null (--input=0), they end at once.
Result<void> SlurmAllocation::startHolder(const QStringList &srunArgs, Launcher &launcher,
                                          int waitMs)
{
    const QByteArray srun = launcher.resolve(u"srun"_s);
    if (srun.isEmpty())
        return Error { u"--slurm: cannot run 'srun': command not found (is this a Slurm "
                       "submit host?)"_s };
    const QStringList argv = QStringList { u"srun"_s } + srunArgs
        + QStringList { u"--job-name=shoal"_s,
                        u"--unbuffered"_s,
                        u"--input=0"_s,
                        u"sh"_s,
                        u"-c"_s,
                        u"[ \"$SLURM_PROCID\" = 0 ] || exit 0; echo \"$SLURM_JOB_ID "
                        "$SLURM_JOB_NODELIST $SLURM_JOB_CPUS_PER_NODE\"; exec cat >/dev/null"_s };
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0)
        return Error { u"--slurm: cannot make a pipe: %1"_s.arg(errnoText()) };
    if (::pipe2(out, O_CLOEXEC) != 0) {
        const int err = errno;
        ::close(in[0]);
        ::close(in[1]);
        return Error { u"--slurm: cannot make a pipe: %1"_s.arg(errnoText(err)) };
    }
    const int err = openScratchFile();
    const Launcher::Process p = launcher.start(srun, argv, in[0], out[1], err >= 0 ? err : 2, -1);
    ::close(in[0]);
    ::close(out[1]);
    m_holderIn = in[1];
    auto fail = [&](const QString &why) -> Result<void> {
        release(); // the owner ends and reaps the holder
        const QString said = scratchTail(err);
        ::close(out[0]);
        if (err >= 0)
            ::close(err);
        return Error { u"--slurm: Slurm gave no allocation (srun %1): %2%3"_s.arg(
            srunArgs.join(u' '), why, said) };
    };
    if (p.error)
        return fail(errnoText(p.error));
    m_holder.adopt(p.pid, p.pidfd, true);
    QByteArray line;
    QElapsedTimer clock;
    clock.start();
    while (!line.contains('\n')) {
        pollfd fd { out[0], POLLIN, 0 };
        const int left = int(waitMs - clock.elapsed());
        if (left <= 0 || ::poll(&fd, 1, left) == 0)
            return fail(u"none granted in %1 s"_s.arg(waitMs / 1000));
        char buffer[512];
        const ssize_t n = ::read(out[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(u"srun ended"_s);
        line.append(buffer, n);
    }
    const QStringList words
        = QString::fromLocal8Bit(line.left(line.indexOf('\n'))).split(u' ', Qt::SkipEmptyParts);
    if (words.size() < 2)
        return fail(u"its step said '%1'"_s.arg(QString::fromLocal8Bit(line.trimmed())));
    ::close(out[0]);
    if (err >= 0)
        ::close(err);
    m_jobId = words[0];
    return setNodes(words[1], words.value(2));
}

Result<void> SlurmAllocation::setNodes(const QString &nodeList, const QString &cpusPerNode)
{
    QStringList names;
    if (!nodeList.contains(u'[')) {
        names = nodeList.split(u',', Qt::SkipEmptyParts);
    } else { // node[1-3,5]: Slurm's own expansion
        QProcess scontrol;
        scontrol.start(u"scontrol"_s, { u"show"_s, u"hostnames"_s, nodeList });
        if (!scontrol.waitForFinished(30000) || scontrol.exitCode() != 0)
            return Error { u"Slurm job %1: cannot list its nodes '%2' (scontrol show hostnames): "
                           "%3"_s.arg(
                               m_jobId, nodeList,
                               QString::fromLocal8Bit(scontrol.readAllStandardError()).trimmed()
                                   + scontrol.errorString()) };
        names = QString::fromLocal8Bit(scontrol.readAllStandardOutput())
                    .split(u'\n', Qt::SkipEmptyParts);
    }
    if (names.isEmpty())
        return Error { u"Slurm job %1 has no nodes"_s.arg(m_jobId) };
    const std::vector<int> cpus = parseCpusPerNode(cpusPerNode, int(names.size()));
    m_nodes.clear();
    for (qsizetype i = 0; i < names.size(); ++i)
        m_nodes.push_back({ names[i].trimmed(), cpus.empty() ? 1 : cpus[size_t(i)] });
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
    return QStringList { u"srun"_s, u"--jobid=%1"_s.arg(m_jobId) } + m_stepArgs
        + QStringList { u"--nodes=1"_s, u"--ntasks=1"_s,   u"--nodelist=%1"_s.arg(node.name),
                        u"--overlap"_s, u"--unbuffered"_s, u"--job-name=shoal-agent"_s,
                        agentPath,      u"agent"_s };
}

} // namespace shoal
