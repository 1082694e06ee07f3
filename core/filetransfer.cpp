#include "filetransfer.h"

#include "bytes.h"
#include "fileio.h"

#include <QRandomGenerator>

#include <cerrno>
#include <cstring>
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

// Whether the regular file at path has the bytes of the file open at fd (read from its start).
bool hasSameBytes(const QByteArray &path, int fd)
{
    struct stat ours = {}, theirs = {};
    if (::fstat(fd, &ours) != 0 || ::lstat(path.constData(), &theirs) != 0
        || !S_ISREG(theirs.st_mode) || theirs.st_size != ours.st_size)
        return false;
    const int other = ::open(path.constData(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (other < 0)
        return false;
    constexpr qsizetype kChunk = 256 * 1024;
    QByteArray a(kChunk, Qt::Uninitialized), b(kChunk, Qt::Uninitialized);
    bool same = true;
    for (off_t at = 0; same && at < ours.st_size;) {
        const ssize_t n = ::pread(fd, a.data(), size_t(kChunk), at);
        same = n > 0 && ::pread(other, b.data(), size_t(n), at) == n
            && std::memcmp(a.constData(), b.constData(), size_t(n)) == 0;
        at += n;
    }
    ::close(other);
    return same;
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
    OutgoingFiles files;
    if (auto opened = files.open(task, { path }); !opened)
        return opened;
    if (id)
        *id = files.fileId(0);
    agent::File part;
    for (;;) {
        auto more = files.next(part);
        if (!more)
            return Error { more.error() };
        if (!*more)
            return {};
        deliver(std::move(part));
    }
}

OutgoingFiles &OutgoingFiles::operator=(OutgoingFiles &&other) noexcept
{
    if (this != &other) {
        close();
        m_task = other.m_task;
        m_files = std::exchange(other.m_files, {});
        m_next = std::exchange(other.m_next, 0);
        m_midFile = std::exchange(other.m_midFile, false);
    }
    return *this;
}

void OutgoingFiles::close()
{
    for (Entry &e : m_files) {
        if (e.fd >= 0)
            ::close(std::exchange(e.fd, -1));
    }
}

Result<void> OutgoingFiles::open(TaskId task, const QStringList &paths)
{
    close();
    m_task = task;
    m_files.clear();
    m_next = 0;
    m_midFile = false;
    for (const QString &path : paths) {
        // O_NONBLOCK: a FIFO with no writer must not block the event loop; only files are sent.
        const int fd
            = ::open(encodeBytes(path).constData(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        struct stat st = {};
        const int err = fd < 0 || ::fstat(fd, &st) != 0
            ? errno
            : (S_ISREG(st.st_mode) ? 0 : (S_ISDIR(st.st_mode) ? EISDIR : EINVAL));
        if (fd >= 0)
            m_files.push_back({ path, fd, quint32(st.st_mode & 07777), idOf(st) });
        if (err != 0) {
            close();
            m_files.clear();
            const QString why = err == EINVAL ? u"not a regular file"_s : errnoText(err);
            errno = err;
            return Error { u"cannot read '%1': %2"_s.arg(path, why) };
        }
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    }
    return {};
}

Result<bool> OutgoingFiles::next(agent::File &part)
{
    if (m_next >= m_files.size())
        return false;
    Entry &e = m_files[m_next];
    QByteArray bytes(agent::kOutputChunkBytes, Qt::Uninitialized);
    ssize_t n;
    while ((n = ::read(e.fd, bytes.data(), size_t(bytes.size()))) < 0 && errno == EINTR) { }
    if (n < 0) {
        const int err = errno;
        const QString why = u"cannot read '%1': %2"_s.arg(e.path, errnoText(err));
        errno = err;
        return Error { why };
    }
    bytes.truncate(n);
    const bool last = n == 0; // the end: a last part of nothing carries the mode
    part = agent::File { m_task, e.path, std::move(bytes), last, e.mode };
    m_midFile = !last;
    if (last) {
        ::close(std::exchange(e.fd, -1));
        ++m_next;
    }
    return true;
}

agent::File OutgoingFiles::abandonPart() const
{
    // A path, as every File has: the file on its way, or the last one once all went whole.
    const QString path
        = m_files.empty() ? QString() : m_files[qMin(m_next, m_files.size() - 1)].path;
    return agent::File { m_task, path, {}, false, 0 };
}

// Into a hidden file beside the target, renamed over it once whole: a file cut short (a lost
// link, a full disk) never stands under its name, a file being read there (a task's input,
// the other end's copy in a shared folder) is never truncated, and a read-only one is replaced.
Result<void> FileReceiver::write(const agent::File &file, const QString &target,
                                 bool leaveIdentical)
{
    if (m_fd < 0 || m_task != file.task || m_target != target) {
        abandon();
        const QByteArray native = encodeBytes(target);
        if (!makeFolderOf(native))
            return Error { u"cannot make the folder of '%1': %2"_s.arg(target, errnoText()) };
        const qsizetype slash = native.lastIndexOf('/');
        // The name's first bytes, so that the hidden name is still one (NAME_MAX is 255).
        m_temporary = native.left(slash + 1) + ".shoal-"
            + QByteArray::number(QRandomGenerator::global()->generate64(), 36) + '-'
            + native.mid(slash + 1).left(200);
        m_fd = ::open(m_temporary.constData(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
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
    if (leaveIdentical && hasSameBytes(native, m_fd)) {
        abandon(); // what stands there is what came: left alone, and not ours to remove
        m_finished = FileId();
        return {};
    }
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
