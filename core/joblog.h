#pragma once

#include "result.h"
#include "task.h"

#include <QHash>
#include <QString>

#include <sys/types.h>

namespace shoal {

// GNU parallel's joblog: a TSV header, then one row per finished task, appended and flushed
// (one write(2) per row, so a SIGKILL can tear at most the last line).
class JoblogWriter
{
public:
    JoblogWriter() = default;
    ~JoblogWriter();
    JoblogWriter(const JoblogWriter &) = delete;
    JoblogWriter &operator=(const JoblogWriter &) = delete;

    // truncate: start afresh (no --resume): a new file replaces whatever is at the path (a
    // symlink there is replaced, never followed). Otherwise append (a symlink is refused), first
    // cutting a torn last line or a NUL tail, and writing the header if empty.
    Result<void> open(const QString &path, bool truncate);
    bool isOpen() const { return m_fd >= 0; }
    // startTime: seconds since the epoch; runtime in seconds.
    Result<void> append(qint64 seq, double startTime, double runtime, qint64 received,
                        const ExitStatus &exit, const QString &command);
    // One row, newline included, for writeRows().
    static QByteArray formatRow(qint64 seq, double startTime, double runtime, qint64 received,
                                const ExitStatus &exit, const QString &command,
                                const QString &host = QStringLiteral(":"));
    // Appends whole rows in one write(2): a kill can tear at most the last of them.
    Result<void> writeRows(QByteArrayView rows);

    static QByteArray header();

private:
    Result<void> createFresh(const QByteArray &name);
    Result<void> openForAppend(const QByteArray &name);
    Result<off_t> endOfLastLine(off_t size) const;
    Result<void> writeBytes(const QByteArray &bytes);

    int m_fd = -1;
    QString m_path;
};

struct JoblogContents
{
    // Seq -> whether any row of that Seq succeeded (Exitval 0, Signal 0).
    QHash<qint64, bool> seqs;
    int rows = 0;
    QString warning; // e.g. a torn last line, with the file and line number
};

// A missing or empty file is an empty joblog. Malformed lines in the middle are an error
// naming the line; a torn last line (no newline, from a kill, however many columns it has) and a
// tail of NUL bytes (from a crash) are reported and ignored. A symlink is refused.
Result<JoblogContents> readJoblog(const QString &path);

} // namespace shoal
