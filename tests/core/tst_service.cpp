#include "pool.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;
using namespace shoal::test;

namespace {

const QString kDoubleWorker = QStringLiteral(SHOAL_DOUBLE_WORKER);
const QString kPythonWorker
    = QStringLiteral(SHOAL_SOURCE_DIR "/resources/examples/double_worker.py");

std::unique_ptr<Pool> makeServicePool(const QStringList &program, ServiceSpec::Mode mode,
                                      const QStringList &inputs, PoolOptions options = {})
{
    options.service.program = program;
    options.service.mode = mode;
    return std::make_unique<Pool>(CommandTemplate(), inputs, options);
}

// Terminal results per task from the TaskBatch events: task -> (state, text).
struct Outcomes
{
    QHash<TaskId, int> ends;
    QHash<TaskId, TaskState> state;
    QHash<TaskId, QByteArray> text;
    QList<TaskId> order;
    int progressReports = 0;

    explicit Outcomes(const EventRecorder &rec)
    {
        for (const Event &e : rec.ofType(Event::Type::TaskBatch)) {
            progressReports += int(e.batch->progress.size());
            for (const TaskBatch::Finished &f : e.batch->finished) {
                if (!isTerminal(f.state))
                    continue;
                ++ends[f.task];
                state[f.task] = f.state;
                text[f.task] = e.batch->output(f).toByteArray();
                order << f.task;
            }
        }
    }
};

// Starts the pool and waits until it has finished: what it published is then in its recorder.
bool runToEnd(Pool &pool, int timeoutMs)
{
    QSignalSpy done(&pool, &Pool::finished);
    return pool.start().ok() && done.wait(timeoutMs);
}

void verifyEachEndsOnce(const Outcomes &o, int tasks)
{
    QCOMPARE(o.ends.size(), tasks);
    for (auto it = o.ends.cbegin(); it != o.ends.cend(); ++it)
        QVERIFY2(it.value() == 1,
                 qPrintable(u"task %1 ended %2 times"_s.arg(it.key()).arg(it.value())));
}

} // namespace

class TestService : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { becomeSubreaper(); }
    void cleanup();
    void jsonMode();
    void lineModePython();
    void progressIsReported();
    void invalidUtf8BecomesReplacementCharacters();
    void resultShapes_data();
    void resultShapes();
    void recycleAfterNTasks();
    void workerKilledMidBatch();
    void garbageReplacesTheWorker();
    void hangingWorkerTimesOut();
    void initializerRunsOncePerProcess();
    void pauseFreezesServiceWorkers();
    void programThatKeepsExitingDoesNotHang();
    void badInputRetriedBehindTheOthers();
    void workerDyingWhileHaltingEndsItsTasks();
    void closedStdoutEndsTheWorker();
    void silentWorkerIsReported();
    void extraLineWithNothingInFlightIsGarbage();
    void jsonWorkerInLineModeStops();
    void missingProgram();
    void resizeAndDrain_data();
    void resizeAndDrain();

private:
    QTemporaryDir m_dir;
};

void TestService::cleanup()
{
    const QStringList left = waitForNoChildren();
    QVERIFY2(left.isEmpty(), qPrintable(u"processes left behind: "_s + left.join(u", "_s)));
}

void TestService::jsonMode()
{
    PoolOptions o;
    o.workers = 2;
    QStringList inputs = numbers(3000);
    inputs[10] = u"ten"_s; // the worker answers with an error
    auto pool = makeServicePool({ kDoubleWorker }, ServiceSpec::Mode::Json, inputs, o);
    EventRecorder rec(*pool);
    QVERIFY(runToEnd(*pool, 30000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 3000);
    for (int i = 0; i < 3000; ++i) {
        if (i == 10) {
            QCOMPARE(out.state.value(i), TaskState::Failed);
            QCOMPARE(out.text.value(i), QByteArray("not an integer: ten"));
        } else {
            QCOMPARE(out.state.value(i), TaskState::Succeeded);
            QCOMPARE(out.text.value(i), QByteArray::number(2 * (i + 1)));
        }
    }
    QCOMPARE(pool->stats().succeeded, 2999);
    QCOMPARE(pool->stats().failed, 1);
}

void TestService::lineModePython()
{
    const QString python = QStandardPaths::findExecutable(u"python3"_s);
    if (python.isEmpty())
        QSKIP("python3 is not installed");
    PoolOptions o;
    o.workers = 2;
    auto pool = makeServicePool({ python, u"-u"_s, kPythonWorker }, ServiceSpec::Mode::Line,
                                numbers(500), o);
    EventRecorder rec(*pool);
    QVERIFY(runToEnd(*pool, 30000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 500);
    for (int i = 0; i < 500; ++i)
        QCOMPARE(out.text.value(i), QByteArray::number(2 * (i + 1)));
}

// JSON lines must be UTF-8: an input that is not (a Latin-1 file) reaches the worker with
// U+FFFD in place of the bad bytes, never as invalid JSON.
void TestService::invalidUtf8BecomesReplacementCharacters()
{
    const InputList inputs = InputList::fromLines("caf\xe9\ncaf\xc3\xa9\n");
    PoolOptions o;
    o.service.program = { kDoubleWorker };
    o.service.mode = ServiceSpec::Mode::Json;
    Pool pool(CommandTemplate(), inputs, o);
    EventRecorder rec(pool);
    QSignalSpy done(&pool, &Pool::finished);
    QVERIFY(pool.start().ok());
    QVERIFY(done.wait(10000));
    const Outcomes out(rec);
    QCOMPARE(out.text.value(0), QByteArray("not an integer: caf\xef\xbf\xbd"));
    QCOMPARE(out.text.value(1), QByteArray("not an integer: caf\xc3\xa9"));
}

// Results are ranges of the lines the worker wrote, or decoded after them: every shape of
// answer must come out as its text, whatever else shares the read.
void TestService::resultShapes_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("integer") << QByteArray(R"({"id":0,"ok":true,"result":-12})") << true
                             << QByteArray("-12");
    QTest::newRow("plain string") << QByteArray(
        R"({"id":0,"ok":true,"result":"caf\u00e9 au lait"})")
                                  << true << QByteArray("caf\xc3\xa9 au lait");
    QTest::newRow("raw utf-8 string")
        << QByteArray("{\"id\":0,\"ok\":true,\"result\":\"caf\xc3\xa9\"}") << true
        << QByteArray("caf\xc3\xa9");
    QTest::newRow("escaped string") << QByteArray(R"({"id":0,"ok":true,"result":"a\"b\\c\td"})")
                                    << true << QByteArray("a\"b\\c\td");
    QTest::newRow("spaced") << QByteArray(R"({ "id": 0, "ok": true, "result": "x" })") << true
                            << QByteArray("x");
    QTest::newRow("object") << QByteArray(R"({"id":0,"ok":true,"result":{"k":[1,"v"]}})") << true
                            << QByteArray(R"({"k":[1,"v"]})");
    QTest::newRow("no result") << QByteArray(R"({"id":0,"ok":true})") << true << QByteArray("null");
    QTest::newRow("error") << QByteArray(R"({"id":0,"ok":false,"error":"bad\nthing"})") << false
                           << QByteArray("bad\nthing");
}

void TestService::resultShapes()
{
    QFETCH(QByteArray, answer);
    QFETCH(bool, ok);
    QFETCH(QByteArray, text);
    QTemporaryDir dir;
    QFile file(dir.filePath(u"answer"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(answer + '\n');
    file.close();
    // One worker answers task 0 with the line under test, then doubles the rest: the odd
    // answer shares its read with ordinary ones.
    const QString script = u"read -r l; cat '%1'; exec '%2'"_s.arg(file.fileName(), kDoubleWorker);
    PoolOptions o;
    o.service.prefetch = 16;
    auto pool = makeServicePool({ u"/bin/sh"_s, u"-c"_s, script }, ServiceSpec::Mode::Json,
                                numbers(40), o);
    EventRecorder rec(*pool);
    QVERIFY(runToEnd(*pool, 10000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 40);
    QCOMPARE(out.state.value(0), ok ? TaskState::Succeeded : TaskState::Failed);
    QCOMPARE(out.text.value(0), text);
    QCOMPARE(pool->taskOutput(0, ok ? Stream::Stdout : Stream::Stderr), text);
    for (int i = 1; i < 40; ++i)
        QCOMPARE(out.text.value(i), QByteArray::number(2 * (i + 1)));
}

void TestService::progressIsReported()
{
    auto pool
        = makeServicePool({ kDoubleWorker }, ServiceSpec::Mode::Json, { u"progress"_s, u"1"_s });
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(done.wait(10000));
    const Outcomes out(rec);
    QCOMPARE(out.progressReports, 1);
    QCOMPARE(out.text.value(0), QByteArray("done"));
}

void TestService::recycleAfterNTasks()
{
    PoolOptions o;
    o.workers = 1;
    o.service.maxTasksPerWorker = 3;
    auto pool
        = makeServicePool({ kDoubleWorker }, ServiceSpec::Mode::Json, QStringList(10, u"pid"_s), o);
    EventRecorder rec(*pool);
    QVERIFY(runToEnd(*pool, 10000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 10);
    // Tasks 0-2 ran in one process, 3-5 in the next, 6-8, then 9: pids change exactly every 3.
    for (int i = 0; i < 10; ++i) {
        const bool sameGroup = i % 3 != 0;
        if (i > 0)
            QCOMPARE(out.text.value(i) == out.text.value(i - 1), sameGroup);
    }
    QSet<QByteArray> pids;
    for (const QByteArray &pid : out.text)
        pids.insert(pid);
    QCOMPARE(pids.size(), 4);
}

void TestService::workerKilledMidBatch()
{
    PoolOptions o;
    o.workers = 2;
    o.attempts = 3;
    o.service.prefetch = 8;
    QStringList inputs = numbers(4000);
    inputs[200] = u"pid"_s;
    auto pool = makeServicePool({ kDoubleWorker }, ServiceSpec::Mode::Json, inputs, o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    // Hold the batch as soon as 400 tasks are done, so that the kill lands mid-batch.
    bool held = false;
    connect(pool.get(), &Pool::eventsReady, pool.get(), [&pool, &held] {
        if (!held && pool->stats().succeeded > 400) {
            held = true;
            pool->pause();
        }
    });
    QVERIFY(pool->start().ok());
    QVERIFY(rec.waitFor([&] { return pool->isPaused(); }));
    qint64 victim = 0;
    for (const WorkerInfo &w : pool->snapshot().workers)
        victim = qMax(victim, w.pid);
    QVERIFY(victim > 0);
    ::kill(pid_t(victim), SIGKILL);
    pool->resume();
    QVERIFY(done.wait(30000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 4000);
    QCOMPARE(pool->stats().succeeded, 4000);
    QVERIFY(rec.count(Event::Type::WorkerChanged) > 0);
}

void TestService::garbageReplacesTheWorker()
{
    PoolOptions o;
    o.workers = 2;
    o.attempts = 2;
    QStringList inputs = numbers(50);
    inputs[20] = u"garbage-once:"_s + m_dir.filePath(u"marker"_s);
    auto pool = makeServicePool({ kDoubleWorker }, ServiceSpec::Mode::Json, inputs, o);
    EventRecorder rec(*pool);
    QVERIFY(runToEnd(*pool, 10000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 50);
    QCOMPARE(pool->stats().succeeded, 50);
    QCOMPARE(out.text.value(20), QByteArray("recovered"));
    QCOMPARE(pool->snapshot().tasks[20].attempts, 2);
    bool named = false;
    for (const Event &e : rec.ofType(Event::Type::Message))
        named = named || (e.text.contains(u"worker "_s) && e.text.contains(u"this is not json"_s));
    QVERIFY2(named, "no message names the worker and the line");
}

void TestService::hangingWorkerTimesOut()
{
    PoolOptions o;
    o.workers = 2;
    o.timeoutSeconds = 0.5;
    o.termGraceMs = 200;
    o.service.prefetch = 1;
    QStringList inputs = numbers(20);
    inputs[3] = u"hang"_s;
    auto pool = makeServicePool({ kDoubleWorker }, ServiceSpec::Mode::Json, inputs, o);
    EventRecorder rec(*pool);
    QVERIFY(runToEnd(*pool, 15000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 20);
    QCOMPARE(out.state.value(3), TaskState::TimedOut);
    QCOMPARE(pool->stats().succeeded, 19);
}

void TestService::initializerRunsOncePerProcess()
{
    const QString log = m_dir.filePath(u"init.log"_s);
    PoolOptions o;
    o.workers = 1;
    o.service.maxTasksPerWorker = 10;
    o.service.initializer = u"echo started >> '%1'"_s.arg(log);
    auto pool = makeServicePool({ kDoubleWorker }, ServiceSpec::Mode::Json, numbers(30), o);
    QVERIFY(runToEnd(*pool, 10000));
    QFile f(log);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("started\nstarted\nstarted\n")); // 30 tasks / 10 per process
    QCOMPARE(pool->stats().succeeded, 30);
}

void TestService::pauseFreezesServiceWorkers()
{
    PoolOptions o;
    o.workers = 2;
    o.service.prefetch = 1;
    auto pool = makeServicePool({ kDoubleWorker }, ServiceSpec::Mode::Json, numbers(20000), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(rec.waitFor([&] { return pool->stats().succeeded > 100; }));
    pool->pause();
    QList<qint64> pids;
    for (const WorkerInfo &w : pool->snapshot().workers)
        pids << w.pid;
    QCOMPARE(pids.size(), 2);
    for (qint64 pid : pids)
        QTRY_COMPARE(processState(pid), 'T');
    const qint64 before = pool->stats().succeeded;
    QElapsedTimer paused;
    paused.start();
    QTRY_VERIFY(paused.elapsed() > 300);
    QVERIFY(pool->stats().succeeded <= before + 2); // at most the answers already written
    pool->resume();
    for (qint64 pid : pids)
        QTRY_VERIFY(processState(pid) != 'T');
    QVERIFY(done.wait(60000));
    QCOMPARE(pool->stats().succeeded, 20000);
}

void TestService::programThatKeepsExitingDoesNotHang()
{
    PoolOptions o;
    o.workers = 2;
    auto pool = makeServicePool({ u"/bin/sh"_s, u"-c"_s, u"echo boom >&2; exit 7"_s },
                                ServiceSpec::Mode::Line, numbers(10), o);
    EventRecorder rec(*pool);
    QVERIFY(runToEnd(*pool, 15000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 10);
    QCOMPARE(pool->stats().failed, 10);
    QVERIFY2(out.text.value(0).contains("exit 7") || out.text.value(0).contains("kept exiting"),
             out.text.value(0).constData());
}

// One input crashes the worker; with retries, it waits behind the other inputs (retries of
// command tasks go first): the restarted worker answers them, so the slot is not given up as
// crashing 3 times in a row, and only the bad input fails.
void TestService::badInputRetriedBehindTheOthers()
{
    PoolOptions o;
    o.workers = 1;
    o.attempts = 3;
    auto pool = makeServicePool(
        { u"/bin/sh"_s, u"-c"_s,
          u"while read x; do [ \"$x\" = bad ] && exit 3; echo \"ok $x\"; done"_s },
        ServiceSpec::Mode::Line, QStringList { u"bad"_s, u"1"_s, u"2"_s, u"3"_s, u"4"_s }, o);
    EventRecorder rec(*pool);
    QVERIFY(runToEnd(*pool, 15000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 5);
    QCOMPARE(pool->stats().succeeded, 4);
    QCOMPARE(pool->stats().failed, 1);
}

// --halt soon stops the batch with tasks still in the worker's pipe; when the worker then dies,
// the task it was on fails and the others end as cancelled: none is left running (the batch
// would never finish).
void TestService::workerDyingWhileHaltingEndsItsTasks()
{
    PoolOptions o;
    o.workers = 1;
    o.service.prefetch = 8;
    o.halt.when = HaltPolicy::When::Soon;
    o.halt.failCount = 1;
    const QStringList inputs { u"not a number"_s,
                               u"crash"_s,
                               u"1"_s,
                               u"2"_s,
                               u"3"_s,
                               u"4"_s,
                               u"5"_s,
                               u"6"_s,
                               u"7"_s,
                               u"8"_s };
    auto pool = makeServicePool({ kDoubleWorker }, ServiceSpec::Mode::Json, inputs, o);
    EventRecorder rec(*pool);
    QVERIFY(runToEnd(*pool, 15000));
    QVERIFY(pool->halted());
    const Outcomes out(rec);
    verifyEachEndsOnce(out, int(inputs.size()));
    QCOMPARE(out.state.value(0), TaskState::Failed);
    QCOMPARE(out.state.value(1), TaskState::Failed);
    QCOMPARE(pool->stats().failed, 2);
    QCOMPARE(pool->stats().running, 0);
    QCOMPARE(pool->stats().succeeded + pool->stats().cancelled, inputs.size() - 2);
}

// A worker that closes its stdout but keeps running can answer nothing more: it is ended, and
// its tasks in flight are retried (or failed) as for a crash, with no --timeout needed.
void TestService::closedStdoutEndsTheWorker()
{
    const QString marker = m_dir.filePath(u"closed-once"_s);
    // The first process takes a task, closes its stdout and sleeps; the next one echoes.
    const QString script
        = u"if [ -e '%1' ]; then exec cat; fi; : > '%1'; read -r l; exec >&-; exec sleep 1000"_s
              .arg(marker);
    PoolOptions o;
    o.workers = 1;
    o.attempts = 2;
    o.termGraceMs = 200;
    auto pool = makeServicePool({ u"/bin/sh"_s, u"-c"_s, script }, ServiceSpec::Mode::Line,
                                numbers(5), o);
    EventRecorder rec(*pool);
    QVERIFY(runToEnd(*pool, 15000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 5);
    QCOMPARE(pool->stats().succeeded, 5);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(out.text.value(i), QByteArray::number(i + 1));
    QCOMPARE(pool->snapshot().tasks[0].attempts, 2);

    // With no attempt left, the task fails and says why.
    QFile::remove(marker);
    o.attempts = 1;
    pool = makeServicePool({ u"/bin/sh"_s, u"-c"_s, script }, ServiceSpec::Mode::Line, numbers(1),
                           o);
    EventRecorder rec2(*pool);
    QSignalSpy done2(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(done2.wait(15000));
    const Outcomes failed(rec2);
    QCOMPARE(failed.state.value(0), TaskState::Failed);
    QVERIFY2(failed.text.value(0).contains("closed its stdout"), failed.text.value(0).constData());
}

// No answer for a while, no --timeout: the pool says so once, naming the worker and showing
// its stderr, instead of waiting without a word.
void TestService::silentWorkerIsReported()
{
    PoolOptions o;
    o.workers = 1;
    o.statsIntervalMs = 50;
    o.service.silenceWarningMs = 300;
    auto pool = makeServicePool(
        { u"/bin/sh"_s, u"-c"_s, u"echo waiting for godot >&2; exec sleep 1000"_s },
        ServiceSpec::Mode::Line, numbers(2), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    auto warnings = [&] {
        QStringList found;
        for (const Event &e : rec.ofType(Event::Type::Message)) {
            if (e.text.contains(u"has given no answer"_s))
                found << e.text;
        }
        return found;
    };
    QVERIFY(rec.waitFor([&] { return !warnings().isEmpty(); }));
    const QString text = warnings().front();
    const auto workers = pool->snapshot().workers;
    QCOMPARE(workers.size(), size_t(1));
    const qint64 pid = workers.front().pid;
    QVERIFY2(text.contains(u"worker 1 (pid %1)"_s.arg(pid))
                 && text.contains(u"waiting for godot"_s),
             qPrintable(text));
    // Once: more stats ticks go by without another warning.
    const int ticks = rec.count(Event::Type::Stats);
    QVERIFY(rec.waitFor([&] { return rec.count(Event::Type::Stats) >= ticks + 10; }));
    QCOMPARE(warnings().size(), 1);
    pool->cancelAll();
    QVERIFY(done.wait(10000));
}

// Line mode pairs answers with requests by order, so what it can tell is an answer with no
// request in flight: with --prefetch 1, a worker that answers twice at once is caught (and
// replaced) instead of its extra line becoming the next task's answer (see the README).
void TestService::extraLineWithNothingInFlightIsGarbage()
{
    PoolOptions o;
    o.workers = 1;
    o.service.prefetch = 1;
    const QString twice = uR"(while read -r l; do printf '%s\n%s\n' "$l" "$l"; done)"_s;
    auto pool
        = makeServicePool({ u"/bin/sh"_s, u"-c"_s, twice }, ServiceSpec::Mode::Line, numbers(3), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(done.wait(15000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(out.text.value(i), QByteArray::number(i + 1));
    bool named = false;
    for (const Event &e : rec.ofType(Event::Type::Message))
        named = named || e.text.contains(u"a line when no task was in flight"_s);
    QVERIFY(named);

    // An extra line at the end (after the last answer, whatever the prefetch) is caught too.
    const QString extraAtEnd
        = uR"(while read -r l; do echo "$l"; done; echo extra; exec sleep 5)"_s;
    pool = makeServicePool({ u"/bin/sh"_s, u"-c"_s, extraAtEnd }, ServiceSpec::Mode::Line,
                           numbers(3));
    EventRecorder rec2(*pool);
    QSignalSpy done2(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(done2.wait(15000));
    QCOMPARE(pool->stats().succeeded, 3);
    named = false;
    for (const Event &e : rec2.ofType(Event::Type::Message))
        named = named || e.text.contains(u"no task was in flight: 'extra'"_s);
    QVERIFY(named);
}

// The bundled JSON-lines worker run in line mode (the default) stops with the reason on its
// stderr, and the pool fails the tasks with it instead of waiting forever.
void TestService::jsonWorkerInLineModeStops()
{
    auto pool = makeServicePool({ kDoubleWorker }, ServiceSpec::Mode::Line, numbers(3));
    EventRecorder rec(*pool);
    QVERIFY(runToEnd(*pool, 15000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 3);
    QCOMPARE(pool->stats().failed, 3);
    QVERIFY2(out.text.value(0).contains("no id in '1'"), out.text.value(0).constData());
}

void TestService::missingProgram()
{
    auto pool = makeServicePool({ u"/nonexistent/worker"_s }, ServiceSpec::Mode::Line, numbers(3));
    auto started = pool->start();
    QVERIFY(!started.ok());
    QVERIFY2(started.error().contains(u"/nonexistent/worker"_s), qPrintable(started.error()));
}

void TestService::resizeAndDrain_data()
{
    QTest::addColumn<int>("policy");
    QTest::newRow("finish") << int(DrainPolicy::Finish);
    QTest::newRow("requeue") << int(DrainPolicy::Requeue);
    QTest::newRow("pause") << int(DrainPolicy::Pause);
}

void TestService::resizeAndDrain()
{
    QFETCH(int, policy);
    PoolOptions o;
    o.workers = 3;
    o.service.prefetch = 4;
    auto pool = makeServicePool({ kDoubleWorker }, ServiceSpec::Mode::Json, numbers(30000), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);
    QVERIFY(pool->start().ok());
    QVERIFY(rec.waitFor([&] { return pool->stats().succeeded > 200; }));
    pool->resizeWith(1, DrainPolicy(policy));
    QVERIFY(rec.waitFor([&] {
        int active = 0;
        for (const WorkerInfo &w : pool->snapshot().workers)
            active += !w.parked;
        return active == 1;
    }));
    pool->resize(4);
    QVERIFY(done.wait(60000));
    const Outcomes out(rec);
    verifyEachEndsOnce(out, 30000);
    QCOMPARE(pool->stats().succeeded, 30000);
}

QTEST_GUILESS_MAIN(TestService)
#include "tst_service.moc"
