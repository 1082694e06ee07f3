#include "outputcapture.h"

#include <QDir>
#include <QFile>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace shoal {

namespace {

int openScratchFile()
{
    const QByteArray dir = QFile::encodeName(QDir::tempPath());
    int fd = ::open(dir.constData(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    // Filesystems without O_TMPFILE: a named file, unlinked at once.
    QByteArray templ = dir + "/shoal-output-XXXXXX";
    fd = mkostemp(templ.data(), O_CLOEXEC);
    if (fd >= 0)
        ::unlink(templ.constData());
    return fd;
}

QByteArray takeFile(int fd)
{
    // The child shared this file description, so its offset is how much it wrote.
    const off_t size = ::lseek(fd, 0, SEEK_CUR);
    if (size <= 0)
        return {};
    QByteArray data(qsizetype(size), Qt::Uninitialized);
    qsizetype done = 0;
    while (done < data.size()) {
        const ssize_t n = ::pread(fd, data.data() + done, size_t(data.size() - done), done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += n;
    }
    data.truncate(done);
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0)
        return data;
    return data;
}

} // namespace

OutputCapture::OutputCapture()
{
    m_fds[0] = openScratchFile();
    m_fds[1] = openScratchFile();
}

OutputCapture::~OutputCapture()
{
    for (int fd : m_fds) {
        if (fd >= 0)
            ::close(fd);
    }
}

void OutputCapture::take(QByteArray *out, QByteArray *err)
{
    *out = takeFile(m_fds[0]);
    *err = takeFile(m_fds[1]);
}

QByteArray OutputCapture::peek(int which, qint64 maxBytes) const
{
    const int fd = m_fds[which == 2 ? 1 : 0];
    const off_t size = ::lseek(fd, 0, SEEK_CUR);
    if (size <= 0)
        return {};
    const off_t from = qMax<off_t>(0, size - maxBytes);
    QByteArray data(qsizetype(size - from), Qt::Uninitialized);
    const ssize_t n = ::pread(fd, data.data(), size_t(data.size()), from);
    data.truncate(n > 0 ? n : 0);
    return data;
}

} // namespace shoal
