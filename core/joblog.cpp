#include "joblog.h"

#include "bytes.h"

#include <QFile>
#include <QList>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {
QString errnoText()
{
    return QString::fromLocal8Bit(strerror(errno));
}
} // namespace

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
    const int flags = O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
    m_fd = ::open(QFile::encodeName(path).constData(), flags, 0644);
    if (m_fd < 0)
        return Error { u"cannot open the joblog '%1': %2"_s.arg(path, errnoText()) };
    const off_t size = ::lseek(m_fd, 0, SEEK_END);
    if (size > 0 && !truncate) {
        // A run killed mid-write may have left a torn last line (readJoblog reports it): cut it
        // off, or the next row would be glued onto it.
        const off_t tail = qMin<off_t>(size, 64 * 1024);
        QByteArray buffer(qsizetype(tail), Qt::Uninitialized);
        if (::pread(m_fd, buffer.data(), size_t(tail), size - tail) == tail && !buffer.endsWith('\n')) {
            const qsizetype lastNewline = buffer.lastIndexOf('\n');
            if (lastNewline >= 0 && ::ftruncate(m_fd, size - tail + lastNewline + 1) != 0)
                return Error { u"cannot repair the joblog '%1': %2"_s.arg(path, errnoText()) };
        }
    }
    if (::lseek(m_fd, 0, SEEK_END) == 0) {
        const QByteArray h = header();
        if (::write(m_fd, h.constData(), size_t(h.size())) != h.size())
            return Error { u"cannot write the joblog '%1': %2"_s.arg(path, errnoText()) };
    }
    return {};
}

Result<void> JoblogWriter::append(qint64 seq, double startTime, double runtime, qint64 received,
                                  const ExitStatus &exit, const QString &command)
{
    QByteArray cmd = encodeBytes(command); // the input's own bytes, as GNU parallel writes them
    cmd.replace('\n', '\0'); // as GNU does: newlines would break the TSV
    QByteArray row = QByteArray::number(seq) + "\t:\t" + QByteArray::number(startTime, 'f', 3) + '\t'
            + QByteArray::number(runtime, 'f', 3).rightJustified(10, ' ') + "\t0\t"
            + QByteArray::number(received) + '\t' + QByteArray::number(exit.joblogExitval()) + '\t'
            + QByteArray::number(exit.joblogSignal()) + '\t' + cmd + '\n';
    ssize_t written;
    while ((written = ::write(m_fd, row.constData(), size_t(row.size()))) < 0 && errno == EINTR) { }
    if (written != row.size())
        return Error { u"cannot append to the joblog '%1': %2"_s.arg(m_path, errnoText()) };
    return {};
}

Result<JoblogContents> readJoblog(const QString &path)
{
    JoblogContents contents;
    QFile file(path);
    if (!file.exists())
        return contents;
    if (!file.open(QIODevice::ReadOnly))
        return Error { u"cannot read the joblog '%1': %2"_s.arg(path, file.errorString()) };
    const QByteArray data = file.readAll();
    const QList<QByteArray> lines = data.split('\n');
    const bool endsWithNewline = data.endsWith('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QByteArray &line = lines[i];
        const bool last = i == lines.size() - 1;
        if (line.isEmpty() || (i == 0 && line.startsWith("Seq\t")))
            continue;
        const QList<QByteArray> cols = line.split('\t');
        bool seqOk = false, exitOk = false, sigOk = false;
        const qint64 seq = cols.value(0).toLongLong(&seqOk);
        const int exitval = cols.value(6).toInt(&exitOk);
        const int sig = cols.value(7).toInt(&sigOk);
        if (cols.size() < 9 || !seqOk || seq <= 0 || !exitOk || !sigOk) {
            if (last && !endsWithNewline) {
                contents.warning = u"%1:%2: ignoring a torn last line (the run that wrote it was "
                                   "killed): '%3'"_s.arg(path).arg(i + 1).arg(QString::fromLocal8Bit(line));
                break;
            }
            return Error { u"%1:%2: not a joblog row (expected 9 tab-separated columns with numeric "
                           "Seq, Exitval and Signal): '%3'"_s.arg(path).arg(i + 1).arg(QString::fromLocal8Bit(line)) };
        }
        ++contents.rows;
        contents.seqs[seq] = contents.seqs.value(seq) || (exitval == 0 && sig == 0);
    }
    return contents;
}

} // namespace shoal
