#pragma once

#include "events.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>

namespace shoal {
class Pool;
}

namespace shoal::test {

// Makes this test process a child subreaper, so that any process a test leaves behind
// (a task, a grandchild, a guard) ends up as our child, where leftoverChildren() sees it.
void becomeSubreaper();
// "pid comm state" of each child of this process (zombies included), excluding `except`.
QStringList leftoverChildren(const QList<qint64> &except = {});
// Waits (up to timeoutMs) for children to go away, then returns what is left.
QStringList waitForNoChildren(int timeoutMs = 5000);

bool processExists(qint64 pid);
// The one-letter state of a process in /proc ('T' stopped, 'S' sleeping...), '?' if gone.
char processState(qint64 pid);
QStringList numbers(int count); // "1" .. "count"
QByteArray numberLines(int count); // "1\n" .. "count\n", for stdin
// `shoal run` options for the example double worker (JSON lines) on two workers.
QStringList doubleWorkerService();
// A gated batch's command and inputs: the fixture worker writes its pid to DIR/pid.INPUT, waits
// until the go file exists, then prints its input; a joblog in DIR/log; inputs 1..count.
QStringList gatedBatch(const QString &dir, const QString &go, int count);
// Lines of out, sorted, without empty ones (what tasks printed in any order).
QList<QByteArray> sortedLines(const QByteArray &out);
qint64 readPidFile(const QString &path, int timeoutMs = 5000);

// Records every event a pool publishes, in order.
// A task start or end, out of the TaskBatch events that carry them.
struct TaskStart
{
    shoal::TaskId task = -1;
    int slot = 0;
    int attempt = 0;
    qint64 pid = 0;
};
struct TaskEnd
{
    quint64 seq = 0; // of the event that carried it
    shoal::TaskId task = -1;
    int slot = 0;
    int attempt = 0;
    shoal::TaskState state = shoal::TaskState::Queued;
    shoal::ExitStatus exit;
    qint64 durationMs = 0;
    QByteArray stdoutData, stderrData; // a command task's output, when it was kept in memory
    QByteArray text; // a service task's result or error
};

class EventRecorder : public QObject
{
public:
    explicit EventRecorder(shoal::Pool &pool);
    QList<shoal::Event> events;
    int count(shoal::Event::Type type) const;
    QList<shoal::Event> ofType(shoal::Event::Type type) const;
    // Every task start and end so far, in order.
    QList<TaskStart> starts() const;
    QList<TaskEnd> ends() const;
    int startCount() const { return int(starts().size()); }
    // Spins the event loop until pred() holds or timeoutMs passes.
    bool waitFor(const std::function<bool()> &pred, int timeoutMs = 10000);
};

struct RunResult
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};
// Runs build/bin/shoal with args (optionally feeding stdin) and waits for it.
RunResult runShoal(const QStringList &args, const QByteArray &input = {}, int timeoutMs = 60000,
                   const QString &workingDir = {});

// Runs build/bin/shoal with stdout to /dev/null; returns its exit status and peak RSS (KiB).
// Under a sanitizer, shadow memory and ASan's quarantine of freed blocks (up to 256 MB) make
// the peak RSS say nothing about Shoal's own memory.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kRssIsMeaningful = false;
#else
inline constexpr bool kRssIsMeaningful = true;
#endif
struct MeasuredRun
{
    int exitCode = -1;
    qint64 maxRssKiB = 0;
};
MeasuredRun runShoalMeasured(const QStringList &args);

QString worker(); // the fixture worker's path
QString shoalBinary();
// A JSON-lines service program (sh) that answers each task with {"progress": P} at once, then
// waits until releaseFile exists to answer {"ok":true,"result":RESULT}. P and RESULT are shell
// expressions that may use $id.
QStringList progressThenWaitWorker(const QString &releaseFile,
                                   const QString &progress = QStringLiteral("0.4"),
                                   const QString &result = QStringLiteral("1"));

// Worker-host tests: what runs on the far side is not a child of the test.
QByteArray readFile(const QString &path); // empty when it cannot be read
// The joblog's rows as "Seq Host Exitval Command", sorted by Seq.
QStringList joblogSummary(const QString &path);
// Writes an executable script at path; empty when it cannot.
QString writeScript(const QString &path, const QByteArray &text);
// Seq -> how many rows the joblog has for it.
QHash<qint64, int> joblogRows(const QString &path);
// Lines of text -> how often each occurs.
QHash<QByteArray, int> lineCounts(const QByteArray &text);
// After a run was killed and then resumed (--resume) with the same output file and joblog:
// what is wrong, or empty. Every line task seq prints (linesOf(seq), seq from 1 to tasks) is in
// `output` once, or twice only where the killed run had printed it (printedBefore) and was
// killed before the task's joblog row (logged: its joblog then); the joblog has one row each.
QString resumedRunProblem(const QByteArray &output, const QHash<QByteArray, int> &printedBefore,
                          const QHash<qint64, int> &logged,
                          const std::function<QList<QByteArray>(int)> &linesOf, int tasks,
                          const QString &joblog);
// SIGKILL of `shoal run ARGS` (its joblog at log, its stdout to out) once its joblog has a
// random number of rows short of `tasks`, then `shoal run --resume ARGS` once `release` exists
// (the batch's last task waits for it, so that the first run cannot end before the kill): what
// is wrong, or empty. Nothing may be left running after the kill, and each task the killed run
// logged printed its lines (linesOf) once; then as resumedRunProblem().
QString killedThenResumedProblem(const QStringList &args, const QString &log, const QString &out,
                                 const QString &release, int tasks,
                                 const std::function<QList<QByteArray>(int)> &linesOf);
// Writes bytes at path (its folder made too); false when it cannot.
bool writeTestFile(const QString &path, const QByteArray &bytes);
// Whether dir holds at least count files matching pattern within timeoutMs.
bool waitForFiles(const QString &dir, const QString &pattern, int count, int timeoutMs = 20000);
// The process ids written into dir's files matching pattern.
QList<qint64> pidsIn(const QString &dir, const QString &pattern);
// Those of pids still running after timeoutMs.
QList<qint64> survivors(const QList<qint64> &pids, int timeoutMs = 15000);

} // namespace shoal::test
