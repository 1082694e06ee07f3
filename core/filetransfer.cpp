#include "filetransfer.h"

#include "bytes.h"
#include "fileio.h"

#include <QRandomGenerator>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

// mkdir -p for the folder of path, keeping the errno of what failed.
bool makeFolderOf(const QByteArray &path)
{
    for (qsizetype slash = path.indexOf('/', 1); slash > 0; slash = path.indexOf('/', slash + 1)) {
        const QByteArray folder = path.left(slash);
        if (::mkdir(folder.constData(), 0777) != 0 && errno != EEXIST)
            return false;
    }
    return true;
}

FileId idOf(const struct stat &st)
{
    return { quint64(st.st_dev), quint64(st.st_ino),
             qint64(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec };
}

} // namespace

void removeIfSame(const QString &path, const FileId &id)
{
    const QByteArray native = encodeBytes(path);
    struct stat st = {};
    if (id.isValid() && ::lstat(native.constData(), &st) == 0 && idOf(st) == id)
        ::unlink(native.constData());
}

QString transferTarget(const QString &path)
{
    const qsizetype marker = path.indexOf(u"/./"_s);
    return marker >= 0 ? path.mid(marker + 3) : path;
}

Result<void> sendFile(TaskId task, const QString &path,
                      const std::function<void(agent::File &&)> &deliver, FileId *id)
{
    // O_NONBLOCK: a FIFO with no writer must not block the event loop; only files are sent.
    const int fd
        = ::open(encodeBytes(path).constData(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return Error { u"cannot read '%1': %2"_s.arg(path, errnoText()) };
    struct stat st = {};
    const bool statted = ::fstat(fd, &st) == 0;
    const int err
        = statted ? (S_ISREG(st.st_mode) ? 0 : (S_ISDIR(st.st_mode) ? EISDIR : EINVAL)) : errno;
    if (err != 0) {
        ::close(fd);
        errno = err;
        return Error { u"cannot read '%1': %2"_s.arg(
            path, err == EINVAL ? u"not a regular file"_s : errnoText(err)) };
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (id)
        *id = idOf(st);
    const quint32 mode = st.st_mode & 07777;
    QByteArray part(agent::kOutputChunkBytes, Qt::Uninitialized);
    for (;;) {
        const ssize_t n = ::read(fd, part.data(), size_t(part.size()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int readErr = errno;
            ::close(fd);
            errno = readErr;
            return Error { u"cannot read '%1': %2"_s.arg(path, errnoText(readErr)) };
        }
        if (n == 0) { // the end: a last part of nothing carries the mode
            deliver(agent::File { task, path, {}, true, mode });
            break;
        }
        deliver(agent::File { task, path, QByteArray(part.constData(), n), false, mode });
    }
    ::close(fd);
    return {};
}

// Into a hidden file beside the target, renamed over it once whole: a file cut short (a lost
// link, a full disk) never stands under its name, a file being read there (a task's input,
// the other end's copy in a shared folder) is never truncated, and a read-only one is replaced.
Result<void> FileReceiver::write(const agent::File &file, const QString &target)
{
    if (m_fd < 0 || m_task != file.task || m_target != target) {
        abandon();
        const QByteArray native = encodeBytes(target);
        if (!makeFolderOf(native))
            return Error { u"cannot make the folder of '%1': %2"_s.arg(target, errnoText()) };
        const qsizetype slash = native.lastIndexOf('/');
        m_temporary = native.left(slash + 1) + ".shoal-"
            + QByteArray::number(QRandomGenerator::global()->generate64(), 36) + '-'
            + native.mid(slash + 1);
        m_fd = ::open(m_temporary.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      0600);
        if (m_fd < 0)
            return Error { u"cannot write '%1': %2"_s.arg(target, errnoText()) };
        m_task = file.task;
        m_target = target;
    }
    if (!writeAll(m_fd, file.bytes)) {
        const int err = errno;
        abandon();
        errno = err;
        return Error { u"cannot write '%1': %2"_s.arg(target, errnoText(err)) };
    }
    if (!file.last)
        return {};
    struct stat st = {};
    const QByteArray native = encodeBytes(target);
    const bool whole = ::fchmod(m_fd, mode_t(file.mode & 0777)) == 0 && ::fsync(m_fd) == 0
        && ::close(std::exchange(m_fd, -1)) == 0
        && ::rename(m_temporary.constData(), native.constData()) == 0
        && ::lstat(native.constData(), &st) == 0; // as it stands now, renamed
    if (!whole) {
        const int err = errno;
        abandon();
        errno = err;
        return Error { u"cannot finish '%1': %2"_s.arg(target, errnoText(err)) };
    }
    m_finished = idOf(st);
    m_task = -1;
    m_target.clear();
    m_temporary.clear();
    return {};
}

bool FileReceiver::isWriting(TaskId task) const
{
    return m_fd >= 0 && m_task == task;
}

void FileReceiver::abandon()
{
    if (m_fd >= 0)
        ::close(std::exchange(m_fd, -1));
    if (!m_temporary.isEmpty())
        ::unlink(m_temporary.constData());
    m_temporary.clear();
    m_task = -1;
    m_target.clear();
}

} // namespace shoal
