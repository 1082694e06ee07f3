#include "filetransfer.h"

#include "fileio.h"

#include <QDir>
#include <QFileInfo>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

QString transferTarget(const QString &path)
{
    const qsizetype marker = path.indexOf(u"/./"_s);
    return marker >= 0 ? path.mid(marker + 3) : path;
}

Result<void> sendFile(TaskId task, const QString &path,
                      const std::function<void(agent::File &&)> &deliver)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC);
    struct stat st
    {
    };
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const int err = fd < 0 ? errno : (S_ISREG(st.st_mode) ? errno : EISDIR);
        if (fd >= 0)
            ::close(fd);
        errno = err;
        return Error { u"cannot read '%1': %2"_s.arg(path, errnoText(err)) };
    }
    const quint32 mode = st.st_mode & 07777;
    QByteArray part(agent::kOutputChunkBytes, Qt::Uninitialized);
    for (;;) {
        const ssize_t n = ::read(fd, part.data(), size_t(part.size()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            errno = err;
            return Error { u"cannot read '%1': %2"_s.arg(path, errnoText(err)) };
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

Result<void> FileReceiver::write(const agent::File &file)
{
    const QString target = transferTarget(file.path);
    if (m_fd < 0 || m_task != file.task || m_path != target) {
        abandon();
        const QString dir = QFileInfo(target).path();
        if (!dir.isEmpty() && dir != u"."_s && !QDir().mkpath(dir)) {
            errno = EACCES;
            return Error { u"cannot make the folder '%1'"_s.arg(dir) };
        }
        m_fd = ::open(QFile::encodeName(target).constData(),
                      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (m_fd < 0)
            return Error { u"cannot write '%1': %2"_s.arg(target, errnoText()) };
        m_task = file.task;
        m_path = target;
    }
    if (!writeAll(m_fd, file.bytes)) {
        const int err = errno;
        abandon();
        errno = err;
        return Error { u"cannot write '%1': %2"_s.arg(target, errnoText(err)) };
    }
    if (file.last) {
        const bool ok = ::fchmod(m_fd, mode_t(file.mode & 07777)) == 0;
        const int err = errno;
        const bool closed = ::close(std::exchange(m_fd, -1)) == 0;
        if (!ok || !closed) {
            errno = ok ? errno : err;
            return Error { u"cannot finish '%1': %2"_s.arg(target, errnoText()) };
        }
    }
    return {};
}

void FileReceiver::abandon()
{
    if (m_fd >= 0)
        ::close(std::exchange(m_fd, -1));
    m_task = -1;
    m_path.clear();
}

} // namespace shoal
