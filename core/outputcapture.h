#pragma once

#include "task.h"

#include <QByteArray>

#include <memory>

namespace shoal {

// A task's output too large to hold in memory: the file it was written to, handed over by the
// OutputCapture (its descriptor is closed when the last holder lets go).
class SpilledOutput
{
public:
    SpilledOutput(int fd, qint64 size)
        : m_fd(fd)
        , m_size(size)
    {
    }
    ~SpilledOutput();
    SpilledOutput(const SpilledOutput &) = delete;
    SpilledOutput &operator=(const SpilledOutput &) = delete;

    qint64 size() const { return m_size; }
    QByteArray tail(qint64 maxBytes) const;
    // Up to maxBytes from offset (fewer only at the end, or when the file was cut short).
    QByteArray read(qint64 offset, qint64 maxBytes) const;
    // Copies the whole output to fd in bounded chunks; false on a write error.
    bool copyTo(int fd) const;

private:
    int m_fd;
    qint64 m_size;
};

// Where one worker slot's task writes stdout and stderr: two unlinked temporary files, reused
// task after task. Files instead of pipes: the engine wakes once per task (the exit) rather than
// three times, a leftover grandchild cannot hold the task open, and output never fills a pipe.
class OutputCapture
{
public:
    OutputCapture();
    ~OutputCapture();
    OutputCapture(const OutputCapture &) = delete;
    OutputCapture &operator=(const OutputCapture &) = delete;

    bool isValid() const { return m_fds[0] >= 0 && m_fds[1] >= 0; }
    int stdoutFd() const { return m_fds[0]; }
    int stderrFd() const { return m_fds[1]; }

    // Output up to this size is read into memory; more stays in its file (SpilledOutput).
    static constexpr qint64 kInlineLimit = 1 << 20;

    // What the last task wrote, then empties both files for the next one. An output larger than
    // kInlineLimit is not read: its file moves to *outFile / *errFile and a fresh one replaces it.
    // Returns 0, or ENOSPC when the scratch folder is full: the task's writes may have failed, so
    // what it wrote cannot be trusted to be whole (a program that ignores write errors exits 0).
    int take(QByteArray *out, QByteArray *err, std::shared_ptr<SpilledOutput> *outFile,
             std::shared_ptr<SpilledOutput> *errFile);
    // Whether the scratch folder has (next to) no room left: writes into it are failing. Quotas
    // (EDQUOT) are not seen this way.
    bool isScratchFull() const;
    // What the current task has written so far (for a live tail), without consuming it.
    QByteArray peek(Stream stream, qint64 maxBytes) const;

private:
    int m_fds[2] = { -1, -1 };
};

} // namespace shoal
