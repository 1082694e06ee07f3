#include "outputcapture.h"

#include "fileio.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace shoal {

namespace {

// size: the file's offset, which is how much the child wrote (it shared the file description).
QByteArray takeFile(int fd, off_t size)
{
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

int OutputCapture::take(QByteArray *out, QByteArray *err, std::shared_ptr<SpilledOutput> *outFile,
                        std::shared_ptr<SpilledOutput> *errFile)
{
    // The child's failed writes are invisible to us; a full file system is not. Both scratch
    // files live in one folder, so one look covers both streams. Less than two blocks left
    // means the last write that did not fit was refused (root may use the reserved blocks).
    const int lost = isScratchFull() ? ENOSPC : 0;
    QByteArray *data[2] = { out, err };
    std::shared_ptr<SpilledOutput> *files[2] = { outFile, errFile };
    for (int i = 0; i < 2; ++i) {
        const off_t size = ::lseek(m_fds[i], 0, SEEK_CUR);
        files[i]->reset();
        if (size > kInlineLimit) {
            const int replacement = openScratchFile();
            if (replacement >= 0) {
                *files[i] = std::make_shared<SpilledOutput>(m_fds[i], size);
                m_fds[i] = replacement;
                data[i]->clear();
                continue;
            }
        }
        *data[i] = takeFile(m_fds[i], size);
    }
    return lost;
}

bool OutputCapture::isScratchFull() const
{
    struct statfs fs;
    if (m_fds[0] < 0 || ::fstatfs(m_fds[0], &fs) != 0)
        return false;
    static const bool isRoot = ::geteuid() == 0; // root may use the reserved blocks
    const auto freeBlocks = isRoot ? fs.f_bfree : fs.f_bavail;
    return freeBlocks < 2;
}

SpilledOutput::~SpilledOutput()
{
    ::close(m_fd);
}

QByteArray SpilledOutput::tail(qint64 maxBytes) const
{
    const qint64 from = qMax<qint64>(0, m_size - maxBytes);
    return read(from, m_size - from);
}

QByteArray SpilledOutput::read(qint64 offset, qint64 maxBytes) const
{
    QByteArray data(qsizetype(qBound<qint64>(0, m_size - offset, maxBytes)), Qt::Uninitialized);
    qsizetype done = 0;
    while (done < data.size()) {
        const ssize_t n
            = ::pread(m_fd, data.data() + done, size_t(data.size() - done), offset + done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += n;
    }
    data.truncate(done);
    return data;
}

bool SpilledOutput::copyTo(int fd) const
{
    char buffer[64 * 1024];
    for (qint64 offset = 0; offset < m_size;) {
        const ssize_t n
            = ::pread(m_fd, buffer, size_t(qMin<qint64>(sizeof buffer, m_size - offset)), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO; // shorter than it was: someone truncated the scratch file
            return false;
        }
        if (!writeAll(fd, QByteArrayView(buffer, n)))
            return false;
        offset += n;
    }
    return true;
}

QByteArray OutputCapture::peek(Stream stream, qint64 maxBytes) const
{
    const int fd = m_fds[stream == Stream::Stderr ? 1 : 0];
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
