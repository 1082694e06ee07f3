#include "testsupport.h"

#include "pool.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <csignal>

extern char **environ;
#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal::test {

void becomeSubreaper()
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
}

QStringList leftoverChildren(const QList<qint64> &except)
{
    QStringList found;
    const qint64 self = getpid();
    const QStringList entries = QDir(u"/proc"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &entry : entries) {
        bool numeric = false;
        const qint64 pid = entry.toLongLong(&numeric);
        if (!numeric || except.contains(pid))
            continue;
        QFile stat(u"/proc/%1/stat"_s.arg(entry));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray line = stat.readAll();
        const qsizetype close = line.lastIndexOf(')');
        const QList<QByteArray> fields = line.mid(close + 2).split(' ');
        if (fields.size() > 1 && fields[1].toLongLong() == self) {
            const QByteArray comm = line.mid(line.indexOf('(') + 1, close - line.indexOf('(') - 1);
            found << u"%1 %2 %3"_s.arg(pid).arg(QString::fromLocal8Bit(comm),
                                                QString::fromLatin1(fields[0]));
        }
    }
    return found;
}

QStringList waitForNoChildren(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    QStringList left;
    do {
        // Reap exited children that were reparented to us (we are their subreaper).
        while (waitpid(-1, nullptr, WNOHANG) > 0) { }
        left = leftoverChildren();
        if (left.isEmpty())
            return left;
        QTest::qWait(10);
    } while (!deadline.hasExpired());
    return left;
}

bool processExists(qint64 pid)
{
    if (pid <= 0)
        return false;
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray line = stat.readAll();
    const qsizetype close = line.lastIndexOf(')');
    return close > 0 && line.mid(close + 2, 1) != "Z";
}

char processState(qint64 pid)
{
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return '?';
    const QByteArray line = stat.readAll();
    return line.at(line.lastIndexOf(')') + 2);
}

QStringList numbers(int count)
{
    QStringList out;
    for (int i = 1; i <= count; ++i)
        out << QString::number(i);
    return out;
}

QByteArray numberLines(int count)
{
    QByteArray lines;
    for (int i = 1; i <= count; ++i)
        lines += QByteArray::number(i) + '\n';
    return lines;
}

QStringList doubleWorkerService()
{
    return { u"--service"_s, QStringLiteral(SHOAL_DOUBLE_WORKER), u"--service-mode"_s, u"json"_s,
             u"-j2"_s };
}

QStringList gatedBatch(const QString &dir, const QString &go, int count)
{
    return QStringList { QStringLiteral("--joblog"),
                         dir + QStringLiteral("/log"),
                         worker(),
                         QStringLiteral("--pidfile"),
                         dir + QStringLiteral("/pid.{}"),
                         QStringLiteral("--wait-file"),
                         go,
                         QStringLiteral("--print"),
                         QStringLiteral("{}"),
                         QStringLiteral(":::") }
    + numbers(count);
}

QList<QByteArray> sortedLines(const QByteArray &out)
{
    QList<QByteArray> lines = out.split('\n');
    lines.removeAll(QByteArray());
    std::sort(lines.begin(), lines.end());
    return lines;
}

qint64 readPidFile(const QString &path, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        QFile f(path);
        if (f.open(QIODevice::ReadOnly)) {
            bool ok = false;
            const qint64 pid = f.readAll().trimmed().toLongLong(&ok);
            if (ok)
                return pid;
        }
        QTest::qWait(5);
    }
    return -1;
}

EventRecorder::EventRecorder(Pool &pool)
{
    connect(&pool, &Pool::eventsReady, this,
            [this](const QList<Event> &batch) { events += batch; });
}

int EventRecorder::count(Event::Type type) const
{
    return int(std::count_if(events.begin(), events.end(),
                             [type](const Event &e) { return e.type == type; }));
}

QList<Event> EventRecorder::ofType(Event::Type type) const
{
    QList<Event> out;
    for (const Event &e : events) {
        if (e.type == type)
            out << e;
    }
    return out;
}

QList<TaskStart> EventRecorder::starts() const
{
    QList<TaskStart> out;
    for (const Event &e : ofType(Event::Type::TaskBatch)) {
        for (const TaskBatch::Started &s : e.batch->started)
            out.append({ s.task, s.slot, s.attempt, s.pid });
    }
    return out;
}

QList<TaskEnd> EventRecorder::ends() const
{
    QList<TaskEnd> out;
    for (const Event &e : ofType(Event::Type::TaskBatch)) {
        for (const TaskBatch::Finished &f : e.batch->finished) {
            TaskEnd end { e.seq,  f.task,       f.slot, f.attempt, f.state,
                          f.exit, f.durationMs, {},     {},        {} };
            if (f.captured >= 0) {
                end.stdoutData = e.batch->captured[size_t(f.captured)].out;
                end.stderrData = e.batch->captured[size_t(f.captured)].err;
            } else {
                end.text = e.batch->output(f).toByteArray();
            }
            out.append(end);
        }
    }
    return out;
}

bool EventRecorder::waitFor(const std::function<bool()> &pred, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!pred()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QCoreApplication::sendPostedEvents();
    }
    return true;
}

RunResult runShoal(const QStringList &args, const QByteArray &input, int timeoutMs,
                   const QString &workingDir)
{
    QProcess p;
    if (!workingDir.isEmpty())
        p.setWorkingDirectory(workingDir);
    p.start(shoalBinary(), args);
    RunResult r;
    if (!p.waitForStarted())
        return r;
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "shoal did not finish in time";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

MeasuredRun runShoalMeasured(const QStringList &args)
{
    std::vector<QByteArray> storage { QFile::encodeName(shoalBinary()) };
    for (const QString &a : args)
        storage.push_back(a.toLocal8Bit());
    std::vector<char *> argv;
    for (QByteArray &a : storage)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    MeasuredRun run;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0) {
        int status = 0;
        rusage usage {};
        while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) { }
        run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        run.maxRssKiB = usage.ru_maxrss;
    }
    posix_spawn_file_actions_destroy(&actions);
    return run;
}

QString worker()
{
    return QStringLiteral(SHOAL_TEST_WORKER);
}

QStringList progressThenWaitWorker(const QString &releaseFile, const QString &progress,
                                   const QString &result)
{
    return { u"/bin/sh"_s, u"-c"_s,
             u"while read -r l; do id=${l#*:}; id=${id%%,*};"
             " echo \"{\\\"id\\\":$id,\\\"progress\\\":%2}\";"
             " while [ ! -e '%1' ]; do sleep 0.02; done;"
             " echo \"{\\\"id\\\":$id,\\\"ok\\\":true,\\\"result\\\":%3}\"; done"_s.arg(
                 releaseFile, progress, result) };
}

QString shoalBinary()
{
    return QStringLiteral(SHOAL_BINARY);
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QHash<qint64, int> joblogRows(const QString &path)
{
    QHash<qint64, int> rows;
    const QList<QByteArray> lines = readFile(path).split('\n');
    for (const QByteArray &line : lines.mid(1)) {
        const QList<QByteArray> cols = line.split('\t');
        if (cols.size() >= 9)
            ++rows[cols[0].toLongLong()];
    }
    return rows;
}

QHash<QByteArray, int> lineCounts(const QByteArray &text)
{
    QHash<QByteArray, int> counts;
    for (const QByteArray &line : text.split('\n')) {
        if (!line.isEmpty())
            ++counts[line];
    }
    return counts;
}

QString writeScript(const QString &path, const QByteArray &text)
{
    QFile script(path);
    if (!script.open(QIODevice::WriteOnly) || script.write(text) != text.size())
        return {};
    script.close();
    if (!script.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner))
        return {};
    return path;
}

QString resumedRunProblem(const QByteArray &output, const QHash<QByteArray, int> &printedBefore,
                          const QHash<qint64, int> &logged,
                          const std::function<QList<QByteArray>(int)> &linesOf, int tasks,
                          const QString &joblog)
{
    const QHash<QByteArray, int> printed = lineCounts(output);
    for (int seq = 1; seq <= tasks; ++seq) {
        for (const QByteArray &line : linesOf(seq)) {
            const int times = printed.value(line);
            const bool printedWithoutRow = printedBefore.value(line) == 1 && !logged.contains(seq);
            if (times != 1 && !(times == 2 && printedWithoutRow))
                return u"'%1' printed %2 times"_s.arg(QString::fromLatin1(line)).arg(times);
        }
    }
    const QHash<qint64, int> rows = joblogRows(joblog);
    if (rows.size() != tasks)
        return u"%1 joblog rows for %2 tasks"_s.arg(rows.size()).arg(tasks);
    for (auto it = rows.cbegin(); it != rows.cend(); ++it) {
        if (it.value() != 1)
            return u"task %1 has %2 joblog rows"_s.arg(it.key()).arg(it.value());
    }
    return {};
}

QString killedThenResumedProblem(const QStringList &args, const QString &log, const QString &out,
                                 const QString &release, int tasks,
                                 const std::function<QList<QByteArray>(int)> &linesOf)
{
    QFile::remove(release);
    QProcess first;
    first.setStandardOutputFile(out);
    first.start(shoalBinary(), QStringList { u"run"_s } + args);
    if (!first.waitForStarted())
        return u"shoal did not start"_s;
    const int killAfterRows = 1 + int(QRandomGenerator::global()->bounded(tasks - 2));
    for (QDeadlineTimer deadline(30000); joblogRows(log).size() < killAfterRows;) {
        if (deadline.hasExpired())
            return u"no %1 joblog rows within 30 s"_s.arg(killAfterRows);
        QTest::qWait(10);
    }
    ::kill(pid_t(first.processId()), SIGKILL);
    first.waitForFinished();
    if (const QStringList left = waitForNoChildren(10000); !left.isEmpty())
        return u"left running: "_s + left.join(u", "_s);
    const QHash<qint64, int> logged = joblogRows(log);
    if (logged.size() >= tasks)
        return u"the killed run logged every task"_s;
    qInfo("killed after %d rows (asked %d)", int(logged.size()), killAfterRows);
    const QHash<QByteArray, int> printedBefore = lineCounts(readFile(out));
    for (auto it = logged.cbegin(); it != logged.cend(); ++it)
        for (const QByteArray &line : linesOf(int(it.key())))
            if (printedBefore.value(line) != 1)
                return u"logged task %1 printed '%2' %3 times"_s.arg(it.key())
                    .arg(QString::fromUtf8(line))
                    .arg(printedBefore.value(line));
    QFile(release).open(QIODevice::WriteOnly);
    QProcess second;
    second.setStandardOutputFile(out, QIODevice::Append);
    second.start(shoalBinary(), QStringList { u"run"_s, u"--resume"_s } + args);
    if (!second.waitForFinished(60000) || second.exitCode() != 0)
        return u"the resumed run: "_s + QString::fromLocal8Bit(second.readAllStandardError());
    return resumedRunProblem(readFile(out), printedBefore, logged, linesOf, tasks, log);
}

bool writeTestFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return QDir().mkpath(QFileInfo(path).path()) && file.open(QIODevice::WriteOnly)
        && file.write(bytes) == bytes.size() && file.flush();
}

QStringList joblogSummary(const QString &path)
{
    QList<QPair<qint64, QString>> rows;
    const QList<QByteArray> lines = readFile(path).split('\n');
    for (const QByteArray &line : lines.mid(1)) {
        const QList<QByteArray> c = line.split('\t');
        if (c.size() >= 9)
            rows.append({ c[0].toLongLong(),
                          QString::fromUtf8(c[0] + ' ' + c[1] + ' ' + c[6] + ' ' + c[8]) });
    }
    std::sort(rows.begin(), rows.end());
    QStringList out;
    for (const auto &r : rows)
        out << r.second;
    return out;
}

bool waitForFiles(const QString &dir, const QString &pattern, int count, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        if (QDir(dir).entryList({ pattern }, QDir::Files).size() >= count)
            return true;
        QTest::qWait(10);
    }
    return false;
}

QList<qint64> pidsIn(const QString &dir, const QString &pattern)
{
    QList<qint64> pids;
    for (const QString &name : QDir(dir).entryList({ pattern }, QDir::Files))
        pids << readPidFile(dir + u'/' + name);
    return pids;
}

QList<qint64> survivors(const QList<qint64> &pids, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    QList<qint64> alive;
    do {
        alive.clear();
        for (qint64 pid : pids)
            if (processExists(pid))
                alive << pid;
        if (alive.isEmpty())
            break;
        QTest::qWait(20);
    } while (!deadline.hasExpired());
    return alive;
}

} // namespace shoal::test
