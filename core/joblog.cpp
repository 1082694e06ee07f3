#include "joblog.h"

#include "bytes.h"
#include "fileio.h"

#include <QFile>
#include <QList>
#include <QRandomGenerator>
#include <QStringList>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

JoblogWriter::~JoblogWriter()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

QByteArray JoblogWriter::header()
{
    return "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n";
}

Result<void> JoblogWriter::open(const QString &path, bool truncate)
{
    m_path = path;
    const QByteArray name = encodeBytes(path);
    switch (outputTarget(name)) {
    case OutputTarget::Stream: {
        // A device such as /dev/null or /dev/stderr is written as it is: never replaced, never
        // read back.
        auto opened = openStream(path);
        if (!opened)
            return Error { u"cannot open the joblog: %1"_s.arg(opened.error()) };
        m_fd = *opened;
        return truncate ? writeBytes(header()) : Result<void> {};
    }
    case OutputTarget::Symlink:
        return Error {
            u"the joblog '%1' is a symbolic link: refusing to follow or replace it (name the "
            "file itself)"_s.arg(path)
        };
    case OutputTarget::Folder:
        return Error { u"cannot open the joblog '%1': it is a folder"_s.arg(path) };
    case OutputTarget::Missing:
    case OutputTarget::RegularFile:
        break;
    }
    return truncate ? createFresh(name) : openForAppend(name);
}

// Starts afresh without ever following what is at the path: the header goes into a new file
// (O_EXCL, O_NOFOLLOW) in the same folder, which is then renamed over the path. A symlink planted
// there is replaced, not followed; the joblog never exists without its header.
Result<void> JoblogWriter::createFresh(const QByteArray &name)
{
    const qsizetype slash = name.lastIndexOf('/');
    const QByteArray folder = slash < 0 ? QByteArray(".")
        : slash == 0                    ? QByteArray("/")
                                        : name.left(slash);
    const QByteArray base = name.mid(slash + 1);
    if (base.isEmpty() || base == "." || base == "..")
        return Error { u"cannot create the joblog '%1': not a file name"_s.arg(m_path) };
    const int dirFd = ::open(folder.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd < 0)
        return Error { u"cannot create the joblog '%1': the folder '%2': %3"_s.arg(
            m_path, QFile::decodeName(folder), errnoText()) };
    QByteArray temp;
    for (int attempt = 0; attempt < 100 && m_fd < 0; ++attempt) {
        temp = ".shoal-joblog-" + QByteArray::number(QRandomGenerator::global()->generate64(), 36);
        m_fd = ::openat(dirFd, temp.constData(),
                        O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0644);
        if (m_fd < 0 && errno != EEXIST)
            break;
    }
    Result<void> result;
    if (m_fd < 0)
        result = Error { u"cannot create the joblog '%1': %2"_s.arg(m_path, errnoText()) };
    else if (result = writeBytes(header());
             result && ::renameat(dirFd, temp.constData(), dirFd, base.constData()) != 0)
        result = Error { u"cannot create the joblog '%1': %2"_s.arg(m_path, errnoText()) };
    if (!result && m_fd >= 0) {
        ::unlinkat(dirFd, temp.constData(), 0);
        ::close(m_fd);
        m_fd = -1;
    }
    ::close(dirFd);
    return result;
}

// --resume appends to the joblog it read: a symlink at the path is refused, not followed.
Result<void> JoblogWriter::openForAppend(const QByteArray &name)
{
    m_fd = ::open(name.constData(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (m_fd < 0) {
        struct stat st = {};
        if (errno == ELOOP && ::lstat(name.constData(), &st) == 0 && S_ISLNK(st.st_mode))
            return Error { u"the joblog '%1' is a symbolic link: refusing to follow it"_s.arg(
                m_path) };
        return Error { u"cannot open the joblog '%1': %2"_s.arg(m_path, errnoText()) };
    }
    // A run killed mid-write may have left a torn last line, and a crash may have left a tail of
    // NUL bytes (readJoblog reports both): cut them off, or the next row would be glued onto them.
    const off_t size = ::lseek(m_fd, 0, SEEK_END);
    if (size < 0)
        return Error { u"cannot read the joblog '%1': %2"_s.arg(m_path, errnoText()) };
    off_t keep = size;
    if (size > 0) {
        auto end = endOfLastLine(size);
        if (!end)
            return Error { end.error() };
        keep = *end;
    }
    if (keep < size && ::ftruncate(m_fd, keep) != 0)
        return Error { u"cannot repair the joblog '%1': %2"_s.arg(m_path, errnoText()) };
    if (keep == 0)
        return writeBytes(header());
    return {};
}

// The offset just past the last newline: what follows it is torn or NUL bytes. A file with no
// newline at all is cut to nothing only when it holds no more than NUL bytes or part of a header.
Result<off_t> JoblogWriter::endOfLastLine(off_t size) const
{
    constexpr off_t kChunk = 64 * 1024;
    QByteArray buffer(qsizetype(kChunk), Qt::Uninitialized);
    for (off_t end = size; end > 0;) {
        const off_t begin = std::max<off_t>(0, end - kChunk);
        const ssize_t n = ::pread(m_fd, buffer.data(), size_t(end - begin), begin);
        if (n != end - begin)
            return Error { u"cannot read the joblog '%1': %2"_s.arg(
                m_path, n < 0 ? errnoText() : u"short read"_s) };
        const qsizetype newline = QByteArrayView(buffer.constData(), n).lastIndexOf('\n');
        if (newline >= 0)
            return begin + off_t(newline) + 1;
        end = begin;
    }
    // No newline anywhere: the whole file is one fragment (it is at most 64 KiB if it is ours).
    QByteArray fragment(qsizetype(std::min<off_t>(size, kChunk)), Qt::Uninitialized);
    if (::pread(m_fd, fragment.data(), size_t(fragment.size()), 0) != fragment.size())
        return Error { u"cannot read the joblog '%1': %2"_s.arg(m_path, errnoText()) };
    while (fragment.endsWith('\0'))
        fragment.chop(1);
    if (size > kChunk || !header().startsWith(fragment))
        return Error { u"'%1' does not look like a joblog (it has no complete line): refusing to "
                       "append to it"_s.arg(m_path) };
    return off_t(0);
}

Result<void> JoblogWriter::writeBytes(const QByteArray &bytes)
{
    ssize_t written;
    while ((written = ::write(m_fd, bytes.constData(), size_t(bytes.size()))) < 0
           && errno == EINTR) { }
    if (written != bytes.size())
        return Error { u"cannot write the joblog '%1': %2"_s.arg(
            m_path, written < 0 ? errnoText() : u"short write (is the disk full?)"_s) };
    return {};
}

Result<void> JoblogWriter::append(qint64 seq, double startTime, double runtime, qint64 received,
                                  const ExitStatus &exit, const QString &command)
{
    return writeRows(formatRow(seq, startTime, runtime, received, exit, command));
}

QByteArray JoblogWriter::formatRow(qint64 seq, double startTime, double runtime, qint64 received,
                                   const ExitStatus &exit, const QString &command,
                                   const QString &host)
{
    QByteArray cmd = encodeBytes(command); // the input's own bytes, as GNU parallel writes them
    cmd.replace('\n', '\0'); // as GNU does: newlines would break the TSV
    return QByteArray::number(seq) + '\t' + host.toUtf8() + '\t'
        + QByteArray::number(startTime, 'f', 3) + '\t'
        + QByteArray::number(runtime, 'f', 3).rightJustified(10, ' ') + "\t0\t"
        + QByteArray::number(received) + '\t' + QByteArray::number(exit.joblogExitval()) + '\t'
        + QByteArray::number(exit.joblogSignal()) + '\t' + cmd + '\n';
}

Result<void> JoblogWriter::writeRows(QByteArrayView rows)
{
    const off_t before = ::lseek(m_fd, 0, SEEK_END);
    if (writeAll(m_fd, rows))
        return {};
    const int err = errno;
    // Take back the part that went in: a torn row would claim nothing, but --resume would
    // have to warn about it.
    if (before >= 0 && ::ftruncate(m_fd, before) != 0) { }
    return Error { u"cannot append to the joblog '%1': %2"_s.arg(m_path, errnoText(err)) };
}

Result<JoblogContents> readJoblog(const QString &path)
{
    JoblogContents contents;
    const int fd = ::open(encodeBytes(path).constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return contents;
        if (errno == ELOOP)
            return Error { u"the joblog '%1' is a symbolic link: refusing to follow it"_s.arg(
                path) };
        return Error { u"cannot read the joblog '%1': %2"_s.arg(path, errnoText()) };
    }
    QFile file;
    if (!file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        return Error { u"cannot read the joblog '%1': %2"_s.arg(path, file.errorString()) };
    }
    QByteArray data = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return Error { u"cannot read the joblog '%1': %2"_s.arg(path, file.errorString()) };
    QStringList warnings;
    // A crash can leave the file's last blocks as zeros (the size reached the disk, the data did
    // not): those rows are lost, not malformed.
    qsizetype end = data.size();
    while (end > 0 && data[end - 1] == '\0')
        --end;
    if (end < data.size()) {
        warnings
            << u"%1: ignoring %2 NUL bytes at its end (left by a crash before the data reached "
               "the disk)"_s.arg(path)
                   .arg(data.size() - end);
        data.truncate(end);
    }
    const QList<QByteArray> lines = data.split('\n');
    const bool endsWithNewline = data.endsWith('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        QByteArray line = lines[i];
        const bool last = i == lines.size() - 1;
        // NULs before a row: a crashed tail that a later run appended after.
        qsizetype nuls = 0;
        while (nuls < line.size() && line[nuls] == '\0')
            ++nuls;
        if (nuls > 0) {
            warnings
                << u"%1:%2: ignoring %3 NUL bytes (left by a crash)"_s.arg(path).arg(i + 1).arg(
                       nuls);
            line.remove(0, nuls);
        }
        if (line.isEmpty() || (i == 0 && line.startsWith("Seq\t")))
            continue;
        // Without its newline a row may have been cut anywhere, even after 9 valid columns
        // ("...\techo 12" of "...\techo 123"): it never counts as done.
        if (last && !endsWithNewline) {
            warnings
                << u"%1:%2: ignoring a torn last line (the run that wrote it was killed): '%3'"_s
                       .arg(path)
                       .arg(i + 1)
                       .arg(QString::fromLocal8Bit(line));
            break;
        }
        const QList<QByteArray> cols = line.split('\t');
        bool seqOk = false, exitOk = false, sigOk = false;
        const qint64 seq = cols.value(0).toLongLong(&seqOk);
        const int exitval = cols.value(6).toInt(&exitOk);
        const int sig = cols.value(7).toInt(&sigOk);
        if (cols.size() < 9 || !seqOk || seq <= 0 || !exitOk || !sigOk) {
            return Error {
                u"%1:%2: not a joblog row (expected 9 tab-separated columns with numeric "
                "Seq, Exitval and Signal): '%3'"_s.arg(path)
                    .arg(i + 1)
                    .arg(QString::fromLocal8Bit(line))
            };
        }
        ++contents.rows;
        contents.seqs[seq] = contents.seqs.value(seq) || (exitval == 0 && sig == 0);
    }
    contents.warning = warnings.join(u"; "_s);
    return contents;
}

} // namespace shoal
