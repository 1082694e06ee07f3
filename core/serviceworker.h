#pragma once

#include "jsonlines.h"
#include "launcher.h"
#include "result.h"
#include "task.h"

#include <QByteArray>
#include <QStringList>

#include <string>
#include <vector>

namespace shoal {

// A long-lived worker program fed tasks on stdin (multiprocessing.Pool style).
struct ServiceSpec
{
    enum class Mode : quint8 { Line, Json };
    QStringList program; // argv
    Mode mode = Mode::Line;
    QString initializer; // a shell command run before the program, once per worker process
    int maxTasksPerWorker = 0; // recycle the process after this many tasks (0: never)
    int prefetch = 0; // tasks in flight per worker (0: adapt to the task rate)
    // No answer for this long with tasks in flight (and no timeout that fires first): say so
    // once, with the worker's stderr, rather than wait without a word.
    int silenceWarningMs = 10000;
    bool isValid() const { return !program.isEmpty(); }
};

// One running service process: its pipes, the requests waiting to be written and the replies
// read back, parsed per line. It knows task ids, not tasks: the Pool does the bookkeeping.
class ServiceProcess
{
public:
    ServiceProcess(const ServiceSpec &spec);
    ~ServiceProcess(); // closes the pipes; the Pool ends and reaps the process
    ServiceProcess(const ServiceProcess &) = delete;
    ServiceProcess &operator=(const ServiceProcess &) = delete;

    // Starts program (resolved to path) with its stderr onto stderrFd.
    Result<void> start(Launcher &launcher, const QByteArray &path, int stderrFd, int guardFd,
                       int cgroupFd = -1);

    pid_t pid() const { return m_process.pid; }
    int pidfd() const { return m_process.pidfd; }
    int stdinFd() const { return m_stdin; }
    int stdoutFd() const { return m_stdout; }
    qint64 sent() const { return m_sent; }

    void queueRequest(TaskId id, QByteArrayView utf8Input);
    // Writes what it can without blocking; true when nothing is left to write.
    bool flush();
    void closeStdin();
    bool stdinClosed() const { return m_stdin < 0; }
    void closeStdout();

    struct Reply
    {
        ServiceReply::Kind kind = ServiceReply::Kind::Result;
        qint64 id = -1; // -1 in line mode: the oldest task in flight
        double progress = 0;
        qsizetype offset = 0; // the text (result, or error) in the sink passed to read()
        qsizetype length = 0;
    };
    enum class ReadStatus { More, EndOfFile, Garbage };
    // Reads what is available; complete lines become replies, their text appended to sink.
    // Garbage: *garbage holds the offending line and why.
    ReadStatus read(std::vector<Reply> &replies, QByteArray &sink, QString *garbage);

private:
    ReadStatus parseLines(std::vector<Reply> &replies, QByteArray &sink, QString *garbage);

    const ServiceSpec &m_spec;
    Launcher::Process m_process;
    int m_stdin = -1;
    int m_stdout = -1;
    std::string m_writeBuffer;
    size_t m_writeOffset = 0;
    QByteArray m_readBuffer;
    qint64 m_sent = 0;
};

} // namespace shoal
