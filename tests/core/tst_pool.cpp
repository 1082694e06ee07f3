#include "pool.h"
#include "taskqueue.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/resource.h>

#include <csignal>
#include <deque>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;
using namespace shoal::test;

namespace {

std::unique_ptr<Pool> makePool(const QStringList &words, const QStringList &inputs,
                               PoolOptions options = {})
{
    auto parsed = CommandTemplate::parse(words, false);
    if (!parsed)
        qFatal("bad template: %s", qPrintable(parsed.error()));
    return std::make_unique<Pool>(*parsed, inputs, options);
}

void touch(const QString &path)
{
    QFile f(path);
    f.open(QIODevice::WriteOnly);
}

// The state the last end of task id left it in.
TaskState lastEndOf(const EventRecorder &rec, TaskId id)
{
    TaskState state = TaskState::Queued;
    for (const TaskEnd &end : rec.ends()) {
        if (end.task == id)
            state = end.state;
    }
    return state;
}

// Every task reaches exactly one terminal end (tasks cancelled while they waited end together
// in one batch).
void verifyEachTaskEndsOnce(const EventRecorder &rec, qint64 tasks)
{
    QHash<TaskId, int> ends;
    for (const TaskEnd &end : rec.ends()) {
        if (isTerminal(end.state))
            ++ends[end.task];
    }
    QCOMPARE(qint64(ends.size()), tasks);
    for (auto it = ends.cbegin(); it != ends.cend(); ++it)
        QVERIFY2(it.value() == 1,
                 qPrintable(u"task %1 ended %2 times"_s.arg(it.key()).arg(it.value())));
}

} // namespace

class TestPool : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { becomeSubreaper(); }
    void cleanup();
    void taskQueueKeepsDequeOrder();
    void runsEveryTaskWithItsOutput();
    void resumedTasksKeepTheirNumbers();
    void eventsAreOrderedAndComplete();
    void failureKinds_data();
    void failureKinds();
    void pauseFreezesAndResumeContinues();
    void pauseFreezesTimeouts();
    void pauseOneWorker();
    void resizeUp();
    void manyWorkersFewTasks();
    void resizeFarBeyondTheTasks();
    void growsInPasses();
    void resizeDownFinish();
    void resizeDownRequeue();
    void resizeDownPause();
    void timeoutKillsWholeGroup_data();
    void timeoutKillsWholeGroup();
    void killedTaskIsRetriedExactlyOnce();
    void cancelTaskAndCancelAll();
    void retryFailed();
    void haltNow();
    void destructorEndsRunningTasks();
    void escapeesEndWithTheirTask_data();
    void exitedBackgroundProcessesAreReapedWithTheirTask_data();
    void exitedBackgroundProcessesAreReapedWithTheirTask();
    void escapeesEndWithTheirTask();
    void escapeeWithAnEmptyEnvironmentEndsByTheBatchEnd();
    void serviceWorkerEscapeesEndWithIt();
    void memoryLimitCountsEscapees();
    void snapshotMatchesEvents();
    void statsReportCpuAndMemory();
    void memoryLimitEndsTheGroup();
    void memoryLimitCapsEachProcess();

private:
    QTemporaryDir m_dir;
};

void TestPool::cleanup()
{
    const QStringList left = waitForNoChildren();
    QVERIFY2(left.isEmpty(), qPrintable(u"processes left behind: "_s + left.join(u", "_s)));
    QDir(m_dir.path()).removeRecursively();
    QDir().mkpath(m_dir.path());
}

void TestPool::runsEveryTaskWithItsOutput()
{
    PoolOptions o;
    o.workers = 4;
    auto pool = makePool({ worker(), u"--print"_s, u"out {}"_s, u"--stderr"_s, u"err {#}"_s },
                         numbers(40), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(done.wait(20000));
    const PoolStats s = pool->stats();
    QCOMPARE(s.succeeded, 40);
    QCOMPARE(s.failed, 0);
    QCOMPARE(s.queued, 0);
    verifyEachTaskEndsOnce(rec, 40);
    for (const TaskEnd &e : rec.ends()) {
        const QString input = u"%1"_s.arg(e.task + 1);
        QCOMPARE(e.stdoutData, (u"out "_s + input + u"\n"_s).toUtf8());
        QCOMPARE(e.stderrData, (u"err "_s + input + u"\n"_s).toUtf8());
        QCOMPARE(pool->taskOutput(e.task, Stream::Stdout), e.stdoutData);
        QVERIFY(e.slot >= 1 && e.slot <= 4);
    }
}

// A resumed run skips what the joblog has; the tasks left keep their numbers ({#}, TaskInfo::seq)
// and their inputs.
void TestPool::resumedTasksKeepTheirNumbers()
{
    QTemporaryDir dir;
    const QString log = dir.filePath(u"jl"_s);
    PoolOptions o;
    o.joblogPath = log;
    {
        auto first = makePool({ worker(), u"--exit"_s, u"0"_s }, numbers(3), o);
        QSignalSpy done(first.get(), &Pool::finished);
        QVERIFY(first->start().ok());
        QVERIFY(done.wait(10000));
    }
    o.resume = ResumeMode::Resume;
    auto pool = makePool({ worker(), u"--print"_s, u"{#}:{}"_s }, numbers(6), o);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    const PoolSnapshot snapshot = pool->snapshot();
    QCOMPARE(snapshot.tasks.size(), size_t(3));
    for (size_t i = 0; i < 3; ++i) {
        QCOMPARE(snapshot.tasks[i].seq, qint64(i + 4));
        QCOMPARE(snapshot.inputs.value(snapshot.tasks[i].seq - 1), QString::number(i + 4));
    }
    // The compact form lists only the tasks that left the queue, and the Seqs apart.
    const PoolSnapshot compact = pool->snapshot(true);
    QVERIFY(compact.compact);
    QCOMPARE(compact.taskCount, 3);
    QCOMPARE(compact.seqs, (std::vector<qint64> { 4, 5, 6 }));
    for (const TaskInfo &t : compact.tasks)
        QVERIFY(t.state != TaskState::Queued || t.attempts > 0);
    QVERIFY(done.wait(10000));
    QCOMPARE(pool->taskOutput(0, Stream::Stdout), QByteArray("4:4\n"));
}

void TestPool::eventsAreOrderedAndComplete()
{
    PoolOptions o;
    o.workers = 2;
    auto pool = makePool({ u"true"_s }, numbers(10), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(done.wait(10000));
    quint64 last = 0;
    for (const Event &e : rec.events) {
        QVERIFY(e.seq > last);
        last = e.seq;
    }
    QCOMPARE(rec.count(Event::Type::TasksAdded), 1);
    QCOMPARE(rec.ofType(Event::Type::TasksAdded).front().lastTask, 9);
    QCOMPARE(rec.startCount(), 10);
    QCOMPARE(rec.count(Event::Type::BatchFinished), 1);
    QCOMPARE(rec.events.last().type, Event::Type::BatchFinished);
    QCOMPARE(rec.events.last().stats.succeeded, 10);
    // Each start names a real pid and is followed by a busy WorkerChanged for its slot.
    for (const TaskStart &start : rec.starts())
        QVERIFY(start.pid > 0);
    QVERIFY(rec.count(Event::Type::WorkerChanged) >= 20);
}

void TestPool::failureKinds_data()
{
    QTest::addColumn<QStringList>("words");
    QTest::addColumn<int>("state");
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("code");
    QTest::newRow("exit 3") << QStringList { worker(), u"--exit"_s, u"3"_s, u"--tag"_s, u"{}"_s }
                            << int(TaskState::Failed) << int(ExitStatus::Kind::Exited) << 3;
    QTest::newRow("crash") << QStringList { worker(), u"--crash"_s, u"--tag"_s, u"{}"_s }
                           << int(TaskState::Failed) << int(ExitStatus::Kind::Signaled)
                           << int(SIGABRT);
    QTest::newRow("missing program per task") << QStringList { u"{}"_s } << int(TaskState::Failed)
                                              << int(ExitStatus::Kind::FailedToStart) << 127;
}

void TestPool::failureKinds()
{
    QFETCH(QStringList, words);
    QFETCH(int, state);
    QFETCH(int, kind);
    QFETCH(int, code);
    PoolOptions o;
    o.attempts = 2;
    auto pool = makePool(words, { u"/nonexistent/program"_s }, o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(done.wait(10000));
    const QList<TaskEnd> finished = rec.ends();
    QCOMPARE(finished.size(), 2); // two attempts, the first retried
    QCOMPARE(finished[0].state, TaskState::Retrying);
    QCOMPARE(int(finished[1].state), state);
    QCOMPARE(int(finished[1].exit.kind), kind);
    QCOMPARE(finished[1].exit.kind == ExitStatus::Kind::Signaled ? finished[1].exit.signal
                                                                 : finished[1].exit.code,
             code);
    QCOMPARE(pool->stats().failed, 1);
    if (finished[1].exit.kind == ExitStatus::Kind::FailedToStart)
        QVERIFY(finished[1].stderrData.contains("cannot run '/nonexistent/program'"));
}

void TestPool::pauseFreezesAndResumeContinues()
{
    const QString pidFile = m_dir.filePath(u"pid"_s);
    const QString go = m_dir.filePath(u"go"_s);
    auto pool
        = makePool({ worker(), u"--pidfile"_s, pidFile, u"--wait-file"_s, go, u"--tag"_s, u"{}"_s },
                   { u"x"_s, u"y"_s });
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    const qint64 pid = readPidFile(pidFile);
    QVERIFY(pid > 0);

    pool->pause();
    QVERIFY(pool->isPaused());
    QTRY_COMPARE(processState(pid), 'T');
    QVERIFY(rec.waitFor([&] { return rec.count(Event::Type::PoolPaused) == 1; }));
    QCOMPARE(rec.count(Event::Type::TaskPaused), 1);
    QElapsedTimer paused;
    paused.start();
    touch(go); // would let the task finish at once, were it not frozen
    QTRY_VERIFY(paused.elapsed() >= 400);
    QCOMPARE(processState(pid), 'T');
    QVERIFY(rec.ends().isEmpty());

    pool->resume();
    QVERIFY(done.wait(10000));
    QCOMPARE(pool->stats().succeeded, 2);
    QCOMPARE(rec.count(Event::Type::TaskResumed), 1);
    // The first task's elapsed time excludes the pause.
    const TaskEnd first = rec.ends().front();
    QVERIFY2(first.durationMs < 350,
             qPrintable(u"duration %1 ms includes the pause"_s.arg(first.durationMs)));
}

void TestPool::pauseFreezesTimeouts()
{
    const QString pidFile = m_dir.filePath(u"pid"_s);
    const QString go = m_dir.filePath(u"go"_s);
    PoolOptions o;
    o.timeoutSeconds = 0.6;
    auto pool
        = makePool({ worker(), u"--pidfile"_s, pidFile, u"--wait-file"_s, go, u"--tag"_s, u"{}"_s },
                   { u"x"_s }, o);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(readPidFile(pidFile) > 0);
    pool->pause();
    QElapsedTimer paused;
    paused.start();
    QTRY_VERIFY(paused.elapsed() >= 1000); // longer than the timeout
    touch(go);
    pool->resume();
    QVERIFY(done.wait(10000));
    QCOMPARE(pool->stats().succeeded, 1); // not timed out
}

void TestPool::pauseOneWorker()
{
    const QString go = m_dir.filePath(u"go"_s);
    PoolOptions o;
    o.workers = 2;
    auto pool = makePool({ worker(), u"--pidfile"_s, m_dir.filePath(u"pid{}"_s), u"--wait-file"_s,
                           go, u"--tag"_s, u"{}"_s },
                         numbers(4), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    const qint64 pid1 = readPidFile(m_dir.filePath(u"pid1"_s));
    const qint64 pid2 = readPidFile(m_dir.filePath(u"pid2"_s));
    const int slotOfTask0 = pool->snapshot().tasks[0].slot;
    pool->pauseWorker(slotOfTask0);
    QTRY_COMPARE(processState(pid1), 'T');
    QVERIFY(processState(pid2) != 'T');
    touch(go);
    // The other worker runs everything else; the paused one keeps its frozen task.
    QTRY_COMPARE_WITH_TIMEOUT(pool->stats().succeeded, 3, 10000);
    QCOMPARE(processState(pid1), 'T');
    for (const WorkerInfo &w : pool->snapshot().workers) {
        if (w.slot == slotOfTask0)
            QCOMPARE(w.state, WorkerState::Paused);
    }
    pool->resumeWorker(slotOfTask0);
    QVERIFY(done.wait(10000));
    QCOMPARE(pool->stats().succeeded, 4);
}

void TestPool::resizeUp()
{
    const QString go = m_dir.filePath(u"go"_s);
    PoolOptions o;
    o.workers = 1;
    auto pool = makePool({ worker(), u"--wait-file"_s, go, u"--tag"_s, u"{}"_s }, numbers(6), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(rec.waitFor([&] { return rec.startCount() == 1; }));
    pool->resize(3);
    QCOMPARE(pool->size(), 3);
    QVERIFY(rec.waitFor([&] { return rec.startCount() == 3; }));
    QCOMPARE(pool->stats().running, 3);
    QVERIFY(rec.waitFor([&] { return rec.count(Event::Type::PoolResized) == 1; }));
    QCOMPARE(rec.ofType(Event::Type::PoolResized).front().stats.workers, 3);
    touch(go);
    QVERIFY(done.wait(10000));
    QCOMPARE(pool->stats().succeeded, 6);
    verifyEachTaskEndsOnce(rec, 6);
}

// -j 100000 with two inputs: two slots (two pairs of output files), both tasks succeed, and the
// size asked for is kept (the surplus idles without existing).
void TestPool::manyWorkersFewTasks()
{
    PoolOptions o;
    o.workers = 100000;
    auto pool = makePool({ worker(), u"--print"_s, u"{}"_s }, numbers(2), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(pool->snapshot().workers.size() <= 2);
    QVERIFY(done.wait(20000));
    QCOMPARE(pool->stats().succeeded, 2);
    QCOMPARE(pool->stats().failed, 0);
    QCOMPARE(pool->stats().workers, 100000);
    QVERIFY(pool->snapshot().workers.size() <= 2);
    verifyEachTaskEndsOnce(rec, 2);
}

// resize 30000 with ten tasks: slots only for the tasks waiting, made after resize returns
// nothing but the queued ones; every task succeeds.
void TestPool::resizeFarBeyondTheTasks()
{
    const QString go = m_dir.filePath(u"go"_s);
    PoolOptions o;
    o.workers = 2;
    auto pool = makePool({ worker(), u"--wait-file"_s, go, u"--tag"_s, u"{}"_s }, numbers(10), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(rec.waitFor([&] { return rec.startCount() == 2; }));
    pool->resize(30000);
    QCOMPARE(pool->size(), 30000);
    QVERIFY(pool->snapshot().workers.size() <= 10);
    QVERIFY(rec.waitFor([&] { return rec.startCount() == 10; }));
    QCOMPARE(pool->snapshot().workers.size(), size_t(10));
    touch(go);
    QVERIFY(done.wait(20000));
    QCOMPARE(pool->stats().succeeded, 10);
    QCOMPARE(pool->stats().failed, 0);
    QCOMPARE(pool->stats().workers, 30000);
    verifyEachTaskEndsOnce(rec, 10);
}

// A large pool is made a few hundred slots per pass of the event loop, so that the loop (the
// control socket, the window) keeps answering while it grows.
void TestPool::growsInPasses()
{
    rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_max < 4096)
        QSKIP("needs a hard limit of 4096 open files or more");
    const QString go = m_dir.filePath(u"go"_s);
    constexpr int kTasks = 300;
    PoolOptions o;
    o.workers = kTasks;
    auto pool
        = makePool({ worker(), u"--wait-file"_s, go, u"--tag"_s, u"{}"_s }, numbers(kTasks), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    const size_t first = pool->snapshot().workers.size();
    QVERIFY2(first > 0 && first < size_t(kTasks), qPrintable(QString::number(first)));
    QVERIFY(rec.waitFor([&] { return rec.startCount() == kTasks; }, 30000));
    touch(go);
    QVERIFY(done.wait(30000));
    QCOMPARE(pool->stats().succeeded, kTasks);
    verifyEachTaskEndsOnce(rec, kTasks);
}

void TestPool::resizeDownFinish()
{
    const QString go = m_dir.filePath(u"go"_s);
    PoolOptions o;
    o.workers = 3;
    auto pool = makePool({ worker(), u"--wait-file"_s, go, u"--tag"_s, u"{}"_s }, numbers(9), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(rec.waitFor([&] { return rec.startCount() == 3; }));
    pool->resizeWith(1, DrainPolicy::Finish);
    QCOMPARE(pool->stats().running, 3); // draining workers finish their tasks
    int draining = 0;
    for (const WorkerInfo &w : pool->snapshot().workers)
        draining += w.state == WorkerState::Draining;
    QCOMPARE(draining, 2);
    touch(go);
    QVERIFY(done.wait(10000));
    QCOMPARE(pool->stats().succeeded, 9);
    QCOMPARE(rec.count(Event::Type::WorkerRemoved), 2);
    QCOMPARE(pool->snapshot().workers.size(), size_t(1));
    // After the drain, one worker ran the remaining six tasks.
    QCOMPARE(rec.startCount(), 9);
    verifyEachTaskEndsOnce(rec, 9);
}

void TestPool::resizeDownRequeue()
{
    const QString go = m_dir.filePath(u"go"_s);
    PoolOptions o;
    o.workers = 3;
    o.termGraceMs = 200;
    auto pool = makePool({ worker(), u"--wait-file"_s, go, u"--tag"_s, u"{}"_s }, numbers(5), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(rec.waitFor([&] { return rec.startCount() == 3; }));
    pool->resizeWith(1, DrainPolicy::Requeue);
    QVERIFY(rec.waitFor([&] { return rec.count(Event::Type::TaskRequeued) == 2; }));
    QVERIFY(rec.waitFor([&] { return pool->snapshot().workers.size() == 1; }));
    // The youngest tasks went back to the front of the queue, the oldest kept running.
    QCOMPARE(pool->stats().running, 1);
    QCOMPARE(pool->stats().queued, 4);
    touch(go);
    QVERIFY(done.wait(10000));
    QCOMPARE(pool->stats().succeeded, 5);
    verifyEachTaskEndsOnce(rec, 5);
    for (const TaskInfo &t : pool->snapshot().tasks)
        QCOMPARE(t.attempts, 1); // a requeue does not use up an attempt
}

void TestPool::resizeDownPause()
{
    const QString go = m_dir.filePath(u"go"_s);
    PoolOptions o;
    o.workers = 2;
    auto pool = makePool({ worker(), u"--pidfile"_s, m_dir.filePath(u"pid{}"_s), u"--wait-file"_s,
                           go, u"--tag"_s, u"{}"_s },
                         numbers(2), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    const qint64 pid1 = readPidFile(m_dir.filePath(u"pid1"_s));
    const qint64 pid2 = readPidFile(m_dir.filePath(u"pid2"_s));
    pool->resizeWith(1, DrainPolicy::Pause);
    int parked = 0;
    for (const WorkerInfo &w : pool->snapshot().workers)
        parked += w.parked;
    QCOMPARE(parked, 1);
    QTRY_VERIFY(processState(pid1) == 'T' || processState(pid2) == 'T');
    QVERIFY(processState(pid1) != 'T' || processState(pid2) != 'T');
    touch(go);
    QTRY_COMPARE_WITH_TIMEOUT(pool->stats().succeeded, 1, 10000);
    QCOMPARE(pool->stats().running, 1); // the parked one stays frozen
    pool->resize(2); // growing unparks it first
    QVERIFY(done.wait(10000));
    QCOMPARE(pool->stats().succeeded, 2);
}

void TestPool::timeoutKillsWholeGroup_data()
{
    QTest::addColumn<bool>("ignoreTerm");
    QTest::addColumn<int>("signal");
    QTest::newRow("TERM ends it") << false << int(SIGTERM);
    QTest::newRow("KILL after the grace period") << true << int(SIGKILL);
}

void TestPool::timeoutKillsWholeGroup()
{
    QFETCH(bool, ignoreTerm);
    QFETCH(int, signal);
    const QString grandchildFile = m_dir.filePath(u"grandchild"_s);
    QStringList words { worker(), u"--spawn-grandchild"_s, grandchildFile };
    if (ignoreTerm)
        words << u"--ignore-term"_s;
    words << u"--hang"_s << u"--tag"_s << u"{}"_s;
    PoolOptions o;
    o.timeoutSeconds = 0.3;
    o.termGraceMs = 300;
    auto pool = makePool(words, { u"x"_s }, o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    const qint64 grandchild = readPidFile(grandchildFile);
    QVERIFY(grandchild > 0);
    QVERIFY(done.wait(10000));
    const TaskEnd finished = rec.ends().last();
    QCOMPARE(finished.state, TaskState::TimedOut);
    QCOMPARE(finished.exit.kind, ExitStatus::Kind::TimedOut);
    QCOMPARE(finished.exit.signal, signal);
    QCOMPARE(finished.exit.joblogExitval(), -1);
    QTRY_VERIFY(!processExists(grandchild));
}

void TestPool::killedTaskIsRetriedExactlyOnce()
{
    const QString go = m_dir.filePath(u"go"_s);
    PoolOptions o;
    o.workers = 2;
    o.attempts = 2;
    auto pool = makePool({ worker(), u"--pidfile"_s, m_dir.filePath(u"pid{}"_s), u"--wait-file"_s,
                           go, u"--print"_s, u"{}"_s },
                         numbers(6), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    const QString pidFile = m_dir.filePath(u"pid1"_s);
    const qint64 pid = readPidFile(pidFile);
    QVERIFY(pid > 0);
    QFile::remove(pidFile);
    ::kill(pid_t(pid), SIGKILL);
    touch(go);
    QVERIFY(done.wait(10000));
    const qint64 second = readPidFile(pidFile); // written by the retry
    QVERIFY(second > 0 && second != pid);
    QCOMPARE(pool->stats().succeeded, 6);
    verifyEachTaskEndsOnce(rec, 6);
    const QList<TaskEnd> retried = [&] {
        QList<TaskEnd> r;
        for (const TaskEnd &e : rec.ends()) {
            if (e.state == TaskState::Retrying)
                r << e;
        }
        return r;
    }();
    QCOMPARE(retried.size(), 1);
    QCOMPARE(retried[0].task, 0);
    QCOMPARE(retried[0].exit.kind, ExitStatus::Kind::Signaled);
    QCOMPARE(retried[0].exit.signal, int(SIGKILL));
    QCOMPARE(pool->snapshot().tasks[0].attempts, 2);
}

void TestPool::cancelTaskAndCancelAll()
{
    const QString go = m_dir.filePath(u"go"_s);
    PoolOptions o;
    o.workers = 2;
    o.termGraceMs = 200;
    auto pool = makePool({ worker(), u"--wait-file"_s, go, u"--tag"_s, u"{}"_s }, numbers(6), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(rec.waitFor([&] { return rec.startCount() == 2; }));
    pool->cancelTask(5); // queued
    pool->cancelTask(0); // running
    QVERIFY(rec.waitFor([&] { return pool->stats().cancelled == 2; }));
    QVERIFY(rec.waitFor([&] { return rec.startCount() == 3; })); // its worker moved on
    pool->cancelAll();
    QVERIFY(done.wait(10000));
    const PoolStats s = pool->stats();
    QCOMPARE(s.cancelled, 6);
    QCOMPARE(s.succeeded + s.failed, 0);
    verifyEachTaskEndsOnce(rec, 6);
    QCOMPARE(pool->snapshot().tasks[0].exit.signal, int(SIGTERM));
}

void TestPool::retryFailed()
{
    const QString flag = m_dir.filePath(u"flag"_s);
    // Each task fails until its flag file exists.
    auto pool = makePool({ u"/bin/sh"_s, u"-c"_s, u"test -e \"$1\""_s, u"sh"_s, flag + u"{}"_s },
                         { QString(), u"x"_s });
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(done.wait(10000));
    QCOMPARE(pool->stats().failed, 2);
    touch(flag);
    pool->retryFailed();
    QVERIFY(!pool->isFinished());
    QVERIFY(done.wait(10000));
    QCOMPARE(pool->stats().succeeded, 1); // "flag" exists, "flagx" does not
    QCOMPARE(pool->stats().failed, 1);
}

void TestPool::haltNow()
{
    PoolOptions o;
    o.workers = 1;
    o.halt.when = HaltPolicy::When::Now;
    o.halt.failCount = 1;
    auto pool
        = makePool({ u"/bin/sh"_s, u"-c"_s, u"exit $0"_s }, { u"0"_s, u"4"_s, u"0"_s, u"0"_s }, o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(done.wait(10000));
    QVERIFY(pool->halted());
    QCOMPARE(pool->haltExitStatus(), 4);
    QCOMPARE(pool->stats().succeeded, 1);
    QCOMPARE(pool->stats().failed, 1);
    QCOMPARE(pool->stats().cancelled, 2);
    QVERIFY(rec.count(Event::Type::Message) >= 1);
}

void TestPool::destructorEndsRunningTasks()
{
    const QString grandchildFile = m_dir.filePath(u"grandchild"_s);
    PoolOptions o;
    o.workers = 2;
    o.termGraceMs = 300;
    qint64 grandchild = 0;
    {
        auto pool = makePool({ worker(), u"--spawn-grandchild"_s, grandchildFile,
                               u"--ignore-term"_s, u"--hang"_s, u"--tag"_s, u"{}"_s },
                             numbers(2), o);
        QVERIFY(pool->start().ok());
        grandchild = readPidFile(grandchildFile);
        QVERIFY(grandchild > 0);
    }
    QVERIFY(!processExists(grandchild));
}

// A task's process that leaves its group (a new session, a new group, a daemon's double fork;
// ignoring SIGTERM or not) is ended with its task however the task ends.
void TestPool::escapeesEndWithTheirTask_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<bool>("ignoreTerm");
    QTest::addColumn<QString>("end");
    QTest::addColumn<bool>("cgroups");
    for (const QString &end :
         { u"exit"_s, u"timeout"_s, u"cancel"_s, u"requeue"_s, u"destroy"_s }) {
        // The process tree traced (no cgroups, as where none is delegated).
        for (const QString &how : { u"setsid"_s, u"setpgid"_s, u"double-fork"_s })
            QTest::addRow("%s, %s", qPrintable(how), qPrintable(end))
                << how << false << end << false;
        QTest::addRow("setsid ignoring TERM, %s", qPrintable(end))
            << u"setsid"_s << true << end << false;
        // In a cgroup, even a daemon that cleared its environment (no token, and never adopted
        // by us while its parent lives) ends with its task, not only by the batch's end.
        QTest::addRow("cgroup, setsid ignoring TERM, %s", qPrintable(end))
            << u"setsid"_s << true << end << true;
        QTest::addRow("cgroup, double-fork, %s", qPrintable(end))
            << u"double-fork"_s << false << end << true;
    }
}

void TestPool::escapeesEndWithTheirTask()
{
    QFETCH(QString, how);
    QFETCH(bool, ignoreTerm);
    QFETCH(QString, end);
    QFETCH(bool, cgroups);
    const QString escapeeFile = m_dir.filePath(u"escapee"_s);
    QStringList words { worker() };
    if (ignoreTerm)
        words << u"--ignore-term"_s;
    words << u"--escape"_s << how << escapeeFile;
    if (cgroups)
        words << u"--clear-env"_s << u"--hang"_s;
    words << u"--parent"_s;
    if (end == u"exit")
        words << u"--wait-file"_s << escapeeFile << u"--exit"_s << u"0"_s;
    else
        words << u"--hang"_s;
    words << u"--tag"_s << u"{}"_s;
    PoolOptions o;
    o.termGraceMs = 300;
    o.taskCgroups = cgroups;
    if (end == u"timeout")
        o.timeoutSeconds = 0.5;
    qint64 escapee = 0;
    QByteArray cgroupFolder;
    for (int once = 0; once < 1; ++once) { // `continue` destroys the pool at once
        auto pool = makePool(words, { u"x"_s }, o);
        EventRecorder rec(*pool);
        QSignalSpy done(pool.get(), &Pool::finished);
        QVERIFY(pool->start().ok());
        cgroupFolder = pool->taskCgroupsPath();
        if (cgroups && cgroupFolder.isEmpty())
            QSKIP("no cgroup v2 can be made here (see the pool's log for why)");
        escapee = readPidFile(escapeeFile);
        QVERIFY(escapee > 0);
        QVERIFY(processExists(escapee));
        if (end == u"destroy")
            continue; // ~Pool with the task running
        if (end == u"cancel")
            pool->cancelTask(0);
        if (end == u"requeue") {
            // Drained back to the queue (its escapee must go with it), then run again to the end.
            pool->resizeWith(0, DrainPolicy::Requeue);
            QVERIFY(rec.waitFor([&] { return rec.count(Event::Type::TaskRequeued) == 1; }));
            QTRY_VERIFY(!processExists(escapee));
            pool->cancelAll();
        }
        QVERIFY(done.wait(10000));
        const TaskState expected = end == u"exit" ? TaskState::Succeeded
            : end == u"timeout"                   ? TaskState::TimedOut
                                                  : TaskState::Cancelled;
        QCOMPARE(lastEndOf(rec, 0), expected);
        QTRY_VERIFY_WITH_TIMEOUT(!processExists(escapee), 5000);
    }
    QVERIFY(!processExists(escapee));
    if (cgroups)
        QVERIFY2(!QFileInfo::exists(QString::fromLocal8Bit(cgroupFolder)),
                 cgroupFolder.constData());
}

void TestPool::exitedBackgroundProcessesAreReapedWithTheirTask_data()
{
    QTest::addColumn<bool>("cgroups");
    QTest::newRow("traced") << false;
    QTest::newRow("task cgroups") << true; // its cell is empty at its end: a zombie is in none
}

// A task that started a background process, which exited (a zombie re-parented to us), is
// reaped with its task, not only at the batch's end: a long batch of such tasks would fill the
// process table.
void TestPool::exitedBackgroundProcessesAreReapedWithTheirTask()
{
    QFETCH(bool, cgroups);
    const QString pidFile = m_dir.filePath(u"background"_s);
    const QString release = m_dir.filePath(u"release-background"_s);
    QFile::remove(pidFile);
    QFile::remove(release);
    // Task 1 ends once its background process is a zombie; task 2 waits, so that the batch
    // (whose end sweeps every orphan) goes on.
    const QString script
        = u"if [ \"$0\" = 1 ]; then (sh -c 'echo $$ > \"$0\"' \"$1\" &);"
          " while [ ! -s \"$1\" ] || [ \"$(cut -d' ' -f3 /proc/$(cat \"$1\")/stat)\" != Z ];"
          " do sleep 0.01; done;"
          " else while [ ! -e \"$2\" ]; do sleep 0.01; done; fi"_s;
    PoolOptions o;
    o.workers = 2;
    o.taskCgroups = cgroups;
    auto pool
        = makePool({ u"sh"_s, u"-c"_s, script, u"{}"_s, pidFile, release }, { u"1"_s, u"2"_s }, o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    if (cgroups && pool->taskCgroupsPath().isEmpty())
        QSKIP("no cgroup v2 can be made here (see the pool's log for why)");
    QVERIFY(rec.waitFor([&] { return lastEndOf(rec, 0) == TaskState::Succeeded; }));
    const qint64 background = readPidFile(pidFile);
    QVERIFY(background > 0);
    QTRY_COMPARE_WITH_TIMEOUT(processState(background), '?', 5000);
    QVERIFY(!done.count());
    touch(release);
    QVERIFY(done.wait(10000));
}

// A daemon that also clears its environment carries no task token: it still cannot outlive the
// batch.
void TestPool::escapeeWithAnEmptyEnvironmentEndsByTheBatchEnd()
{
    const QString escapeeFile = m_dir.filePath(u"escapee"_s);
    PoolOptions o;
    o.workers = 2;
    o.ownsAllChildren = true; // as in `shoal run`: this test starts nothing else
    auto pool = makePool({ worker(), u"--escape"_s, u"double-fork"_s, escapeeFile + u"{}"_s,
                           u"--clear-env"_s, u"--hang"_s, u"--parent"_s, u"--wait-file"_s,
                           escapeeFile + u"{}"_s },
                         { u"1"_s, u"2"_s }, o);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    const qint64 first = readPidFile(escapeeFile + u"1"_s);
    const qint64 second = readPidFile(escapeeFile + u"2"_s);
    QVERIFY(done.wait(10000));
    QCOMPARE(pool->stats().succeeded, 2);
    QTRY_VERIFY_WITH_TIMEOUT(!processExists(first), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!processExists(second), 5000);
}

// A service worker's escapee ends with the worker.
void TestPool::serviceWorkerEscapeesEndWithIt()
{
    const QString escapeeFile = m_dir.filePath(u"escapee"_s);
    const QString script
        = u"'%1' --escape double-fork '%2' --parent --wait-file '%2'; exec '%3'"_s.arg(
            worker(), escapeeFile, QStringLiteral(SHOAL_DOUBLE_WORKER));
    PoolOptions o;
    o.service.program = { u"/bin/sh"_s, u"-c"_s, script };
    o.service.mode = ServiceSpec::Mode::Json;
    Pool pool(CommandTemplate(), numbers(3), o);
    QSignalSpy done(&pool, &Pool::finished);
    QVERIFY(pool.start().ok());
    const qint64 escapee = readPidFile(escapeeFile);
    QVERIFY(escapee > 0);
    QVERIFY(done.wait(10000));
    QCOMPARE(pool.stats().succeeded, 3);
    QTRY_VERIFY_WITH_TIMEOUT(!processExists(escapee), 5000);
}

// Three escapees of 60 MB each, each in a session of its own: the task holds 180 MB.
void TestPool::memoryLimitCountsEscapees()
{
    PoolOptions o;
    o.memoryLimitBytes = 150 << 20;
    QStringList escapees;
    QString script;
    for (int i = 0; i < 3; ++i) {
        escapees << m_dir.filePath(u"escapee%1"_s.arg(i));
        script += u"\"$0\" --escape setsid '%1' --rss 60 --hang; "_s.arg(escapees.last());
    }
    auto pool = makePool({ u"/bin/sh"_s, u"-c"_s, script + u"exec sleep 100"_s, worker() },
                         { u"x"_s }, o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QList<qint64> pids;
    for (const QString &file : escapees)
        pids << readPidFile(file);
    QVERIFY(done.wait(20000));
    const TaskEnd finished = rec.ends().last();
    QCOMPARE(finished.exit.kind, ExitStatus::Kind::MemoryLimit);
    for (qint64 pid : pids) {
        QVERIFY(pid > 0);
        QTRY_VERIFY_WITH_TIMEOUT(!processExists(pid), 5000);
    }
}

void TestPool::snapshotMatchesEvents()
{
    const QString go = m_dir.filePath(u"go"_s);
    PoolOptions o;
    o.workers = 2;
    auto pool = makePool({ worker(), u"--wait-file"_s, go, u"--tag"_s, u"{}"_s }, numbers(5), o);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    EventRecorder rec(*pool);
    QVERIFY(rec.waitFor([&] { return pool->stats().running == 2; }));
    const PoolSnapshot snap = pool->snapshot();
    QCOMPARE(snap.tasks.size(), size_t(5));
    QCOMPARE(snap.workers.size(), size_t(2));
    QCOMPARE(snap.stats.running, 2);
    QCOMPARE(snap.stats.queued, 3);
    for (const WorkerInfo &w : snap.workers) {
        QCOMPARE(w.state, WorkerState::Busy);
        QVERIFY(w.pid > 0);
    }
    touch(go);
    QVERIFY(done.wait(10000));
    // Events after the snapshot all have larger sequence numbers.
    for (const TaskEnd &end : rec.ends())
        QVERIFY(end.seq > snap.seq);
}

void TestPool::statsReportCpuAndMemory()
{
    const QString go = m_dir.filePath(u"go"_s);
    PoolOptions o;
    o.statsIntervalMs = 100;
    // A shell whose child holds 64 MB: the group's memory counts toward the worker.
    auto pool = makePool(
        { u"/bin/sh"_s, u"-c"_s, u"\"$0\" --rss 64 --wait-file \"$1\"; true"_s, worker(), go },
        { u"x"_s }, o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(rec.waitFor([&] {
        for (const Event &e : rec.ofType(Event::Type::WorkerChanged)) {
            if (e.worker.rssBytes > 60 << 20)
                return true;
        }
        return false;
    }));
    QVERIFY(rec.count(Event::Type::Stats) >= 2);
    touch(go);
    QVERIFY(done.wait(10000));
}

void TestPool::memoryLimitEndsTheGroup()
{
    // Two processes of 60 MB each: each is under the limit, the task's group is not.
    PoolOptions o;
    o.memoryLimitBytes = 100 << 20;
    auto pool = makePool({ u"/bin/sh"_s, u"-c"_s,
                           u"\"$0\" --rss 60 --hang & \"$0\" --rss 60 --hang; wait"_s, worker() },
                         { u"x"_s }, o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(done.wait(20000));
    const TaskEnd finished = rec.ends().last();
    QCOMPARE(finished.state, TaskState::Failed);
    QCOMPARE(finished.exit.kind, ExitStatus::Kind::MemoryLimit);
    QVERIFY2(finished.exit.describe().contains(u"over the 100 MiB limit"_s),
             qPrintable(finished.exit.describe()));
    QCOMPARE(finished.exit.joblogSignal(), 9);
}

void TestPool::memoryLimitCapsEachProcess()
{
    // One allocation beyond the limit fails inside the task (RLIMIT_AS), before any check.
    PoolOptions o;
    o.memoryLimitBytes = 100 << 20;
    auto pool = makePool({ worker(), u"--rss"_s, u"400"_s, u"--tag"_s, u"{}"_s }, { u"x"_s }, o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(done.wait(20000));
    const TaskEnd finished = rec.ends().last();
    QCOMPARE(finished.exit.kind, ExitStatus::Kind::Exited);
    QCOMPARE(finished.exit.code, 12);
    QVERIFY(finished.stderrData.contains("cannot allocate 400 MB"));
}

QTEST_GUILESS_MAIN(TestPool)
// The pool's TaskQueue keeps a batch's ids as a range: driven like a std::deque through the
// pool's own patterns (dispatch, retry to the back, requeue to the front, new tasks, cancel
// all), it must hand out the same ids in the same order.
void TestPool::taskQueueKeepsDequeOrder()
{
    for (quint32 seed = 1; seed <= 20; ++seed) {
        QRandomGenerator random(seed);
        TaskQueue queue;
        std::deque<TaskId> model;
        TaskId nextNew = 0;
        std::vector<TaskId> taken;
        for (int step = 0; step < 2000; ++step) {
            const int op = random.bounded(100);
            if (op < 35 && !model.empty()) { // dispatch
                QCOMPARE(queue.front(), model.front());
                taken.push_back(model.front());
                queue.pop_front();
                model.pop_front();
            } else if (op < 55) { // new tasks join
                for (int n = random.bounded(1, 20); n > 0; --n) {
                    queue.push_back(nextNew);
                    model.push_back(nextNew++);
                }
            } else if (op < 70 && !taken.empty()) { // a retry goes to the back
                const TaskId id = taken[random.bounded(quint32(taken.size()))];
                std::erase(taken, id);
                queue.push_back(id);
                model.push_back(id);
            } else if (op < 85 && !taken.empty()) { // a drain requeues the latest at the front
                const TaskId id = taken.back();
                taken.pop_back();
                queue.push_front(id);
                model.push_front(id);
            } else if (op < 86) {
                queue.clear();
                model.clear();
            }
            QCOMPARE(queue.empty(), model.empty());
            QCOMPARE(queue.size(), model.size());
            if (!model.empty())
                QCOMPARE(queue.front(), model.front());
        }
    }
}

#include "tst_pool.moc"
