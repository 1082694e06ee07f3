#include "fileio.h"

#include "bytes.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

QString errnoText(int err)
{
    return QString::fromLocal8Bit(strerror(err));
}

bool writeAll(int fd, QByteArrayView data)
{
    qsizetype done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, size_t(data.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0) {
            errno = EIO;
            return false;
        }
        done += n;
    }
    return true;
}

int openScratchFile()
{
    const QByteArray dir = QFile::encodeName(QDir::tempPath());
    int fd = ::open(dir.constData(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    // Filesystems without O_TMPFILE: a named file, unlinked at once.
    QByteArray templ = dir + "/shoal-scratch-XXXXXX";
    fd = mkostemp(templ.data(), O_CLOEXEC);
    if (fd >= 0)
        ::unlink(templ.constData());
    return fd;
}

OutputTarget outputTarget(const QByteArray &path)
{
    struct stat st;
    if (::lstat(path.constData(), &st) != 0)
        return OutputTarget::Missing;
    const auto isStream
        = [](mode_t mode) { return S_ISCHR(mode) || S_ISFIFO(mode) || S_ISSOCK(mode); };
    if (S_ISLNK(st.st_mode)) {
        struct stat target;
        return ::stat(path.constData(), &target) == 0 && isStream(target.st_mode)
            ? OutputTarget::Stream
            : OutputTarget::Symlink;
    }
    if (isStream(st.st_mode))
        return OutputTarget::Stream;
    return S_ISDIR(st.st_mode) ? OutputTarget::Folder : OutputTarget::RegularFile;
}

Result<int> openStream(const QString &path)
{
    const int fd
        = ::open(encodeBytes(path).constData(), O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return Error { u"cannot open '%1': %2"_s.arg(path, errnoText()) };
    return fd;
}

Result<int> createReplacing(const QString &path)
{
    const QByteArray target = encodeBytes(path);
    switch (outputTarget(target)) {
    case OutputTarget::Stream:
        return openStream(path);
    case OutputTarget::Symlink:
        return Error {
            u"'%1' is a symbolic link: refusing to follow or replace it (name the file itself)"_s
                .arg(path)
        };
    case OutputTarget::Folder:
        return Error { u"cannot create '%1': it is a folder"_s.arg(path) };
    case OutputTarget::Missing:
    case OutputTarget::RegularFile:
        break;
    }
    for (int attempt = 0; attempt < 16; ++attempt) {
        const QByteArray temp = encodeBytes(QFileInfo(path).absolutePath()) + "/.shoal-"
            + QByteArray::number(QRandomGenerator::global()->generate64(), 36) + ".tmp";
        const int fd
            = ::open(temp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) {
            if (errno == EEXIST)
                continue;
            return Error { u"cannot create '%1': %2"_s.arg(path, errnoText()) };
        }
        if (::rename(temp.constData(), target.constData()) != 0) {
            const int err = errno;
            ::unlink(temp.constData());
            ::close(fd);
            return Error { u"cannot create '%1': %2"_s.arg(path, errnoText(err)) };
        }
        return fd;
    }
    return Error { u"cannot create '%1': no free temporary name beside it"_s.arg(path) };
}

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
    return lines.isEmpty()
        ? QString()
        : QStringLiteral(": ") + lines.mid(qMax(0, lines.size() - 3)).join(QStringLiteral(" / "));
}

} // namespace shoal
