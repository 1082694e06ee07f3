#include "taskcgroups.h"

#include "cgroupfs.h"
#include "fileio.h"
#include "procfs.h"

#include <QFile>

#include <cerrno>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

constexpr int kEmptyWaitMs = 2000;

QByteArray readSmallFile(const char *path)
{
    QFile file(QString::fromLocal8Bit(path));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// /proc/self/mountinfo escapes blanks and backslashes in paths as \ooo.
QByteArray unescapeMountPath(const QByteArray &field)
{
    QByteArray out;
    for (qsizetype i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            out += char(field.mid(i + 1, 3).toInt(nullptr, 8));
            i += 3;
        } else {
            out += field[i];
        }
    }
    return out;
}

// The folder of the cgroup v2 this process is in, or empty (why says what is missing).
QByteArray ownCgroupFolder(QString *why)
{
    QByteArray relative;
    for (const QByteArray &line : readSmallFile("/proc/self/cgroup").split('\n')) {
        if (line.startsWith("0::"))
            relative = line.mid(3);
    }
    if (relative.isEmpty()) {
        *why = u"this process is in no cgroup v2"_s;
        return {};
    }
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS"
    for (const QByteArray &line : readSmallFile("/proc/self/mountinfo").split('\n')) {
        const QList<QByteArray> fields = line.split(' ');
        const qsizetype dash = fields.indexOf("-");
        if (dash < 5 || dash + 1 >= fields.size() || fields[dash + 1] != "cgroup2")
            continue;
        const QByteArray root = unescapeMountPath(fields[3]);
        const QByteArray mountPoint = unescapeMountPath(fields[4]);
        if (root == "/")
            return relative == "/" ? mountPoint : mountPoint + relative;
        if (relative == root || relative.startsWith(QByteArray(root + '/')))
            return mountPoint + relative.mid(root.size());
    }
    *why = u"no cgroup v2 file system is mounted where this process can see its cgroup"_s;
    return {};
}

// Our pid namespace: a run folder names it, so that a run in another namespace sharing the
// cgroup (a sandbox, `unshare -p`) is never taken for a dead one of ours.
QByteArray pidNamespace()
{
    struct stat st;
    return ::stat("/proc/self/ns/pid", &st) == 0 ? QByteArray::number(quint64(st.st_ino))
                                                 : QByteArray("0");
}

} // namespace

std::unique_ptr<TaskCgroups> TaskCgroups::create(const QByteArray &runId, QString *why)
{
    const QByteArray parent = ownCgroupFolder(why);
    if (parent.isEmpty())
        return nullptr;
    removeStale(parent);
    const QByteArray path = parent + "/shoal-" + pidNamespace() + '-' + runId;
    if (::mkdir(path.constData(), 0755) != 0) {
        *why = u"cannot create a cgroup in %1: %2"_s.arg(QString::fromLocal8Bit(parent),
                                                         errnoText());
        return nullptr;
    }
    std::unique_ptr<TaskCgroups> cgroups(new TaskCgroups(path));
    if (::access(QByteArray(path + "/cgroup.kill").constData(), F_OK) != 0) {
        *why = u"the kernel has no cgroup.kill (Linux 5.14 or later has it)"_s;
        return nullptr; // the destructor removes the folder
    }
    // Moving a process needs write access where it comes from too (our own cgroup): try it.
    const int cell = cgroups->acquire();
    int error = cell < 0 ? errno : 0;
    if (cell >= 0) {
        const int procs = ::openat(cgroups->folderFd(cell), "cgroup.procs", O_WRONLY | O_CLOEXEC);
        const pid_t probe = procs < 0 ? -1 : ::fork();
        if (probe == 0)
            _exit(::write(procs, "0", 1) == 1 ? 0 : (errno & 0x7f));
        if (procs >= 0)
            ::close(procs);
        int status = 0;
        while (probe > 0 && ::waitpid(probe, &status, 0) < 0 && errno == EINTR) { }
        error = probe < 0 ? errno : WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
        cgroups->release(cell);
    }
    if (error) {
        *why = u"cannot move a process into a cgroup of %1: %2"_s.arg(
            QString::fromLocal8Bit(parent), errnoText(error));
        return nullptr; // the destructor removes the folders
    }
    return cgroups;
}

TaskCgroups::~TaskCgroups()
{
    for (const Cell &cell : m_cells) {
        ::close(cell.folder);
        ::close(cell.procs);
    }
    // Everything in every cell at once (cgroup.kill applies to the descendants too).
    if (cgroupfs::isPopulated(m_path.constData()))
        cgroupfs::kill(m_path.constData());
    cgroupfs::removeTree(m_path.constData(), kEmptyWaitMs);
}

int TaskCgroups::acquire()
{
    if (!m_free.empty()) {
        const int cell = m_free.back();
        m_free.pop_back();
        return cell;
    }
    const int cell = int(m_cells.size());
    const QByteArray folder = cellPath(cell);
    if (::mkdir(folder.constData(), 0755) != 0 && errno != EEXIST)
        return -1;
    const int folderFd = ::open(folder.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const int procs = folderFd < 0 ? -1 : ::openat(folderFd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
    if (procs < 0) {
        const int error = errno;
        if (folderFd >= 0)
            ::close(folderFd);
        ::rmdir(folder.constData());
        errno = error;
        return -1;
    }
    m_cells.push_back({ folderFd, procs });
    return cell;
}

bool TaskCgroups::members(int cell, std::vector<pid_t> &out) const
{
    char buffer[4096];
    qint64 offset = 0;
    pid_t pid = 0;
    bool inNumber = false;
    for (;;) {
        const ssize_t n = ::pread(m_cells[size_t(cell)].procs, buffer, sizeof buffer, offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        if (n == 0)
            break;
        offset += n;
        for (ssize_t i = 0; i < n; ++i) {
            if (buffer[i] >= '0' && buffer[i] <= '9') {
                pid = pid * 10 + (buffer[i] - '0');
                inNumber = true;
            } else if (inNumber) {
                out.push_back(pid);
                pid = 0;
                inNumber = false;
            }
        }
    }
    if (inNumber)
        out.push_back(pid);
    return true;
}

bool TaskCgroups::kill(int cell)
{
    return cgroupfs::kill(cellPath(cell).constData());
}

void TaskCgroups::removeStale(const QByteArray &parent)
{
    struct Context
    {
        const QByteArray &parent;
        QByteArray prefix; // "shoal-<our pid namespace>-"
    } context { parent, "shoal-" + pidNamespace() + '-' };
    procfs::forEachEntryIn(
        parent.constData(),
        [](const char *name, unsigned char type, void *c) {
            const auto *ctx = static_cast<const Context *>(c);
            const QByteArrayView entry(name);
            if (type != DT_DIR || !entry.startsWith(ctx->prefix))
                return;
            // "shoal-<namespace>-<pid>-<counter>-<nanoseconds>" (ProcessTree's run id)
            const QByteArrayView rest = entry.sliced(ctx->prefix.size());
            bool isNumber = false;
            const pid_t pid
                = pid_t(rest.first(qMax<qsizetype>(0, rest.indexOf('-'))).toInt(&isNumber));
            if (isNumber && pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH)
                cgroupfs::removeTree(QByteArray(ctx->parent + '/' + name).constData(), 0);
        },
        &context);
}

} // namespace shoal
