#pragma once

#include <QByteArray>

namespace shoal {

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

    // What the last task wrote, then empties both files for the next one.
    void take(QByteArray *out, QByteArray *err);
    // What the current task has written so far (for a live tail), without consuming it.
    QByteArray peek(int which, qint64 maxBytes) const;

private:
    int m_fds[2] = { -1, -1 };
};

} // namespace shoal
