#include "batchsession.h"
#include "enginefeed.h"
#include "taskfixtures.h"
#include "taskmodel.h"
#include "testsupport.h"
#include "workermodel.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QDateTime>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <numeric>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;
using test::queuedTasks;
using test::taskInputs;

namespace {

// One command task's start or end, as the engine sends it: a TaskBatch of one entry.
enum class Step { Started, Finished };
Event taskEvent(quint64 seq, Step step, TaskId task, TaskState state, int slot = 1)
{
    auto batch = std::make_shared<TaskBatch>();
    if (step == Step::Started) {
        batch->started.push_back({ task, slot, 1, 1000 + task });
    } else {
        const ExitStatus exit
            = state == TaskState::Succeeded ? ExitStatus::exited(0) : ExitStatus::exited(2);
        batch->finished.push_back({ task, slot, 1, state, 0, exit, 10 + task, 0, 0 });
        batch->captured.push_back({ "out\n", {}, {}, {} });
    }
    Event e;
    e.seq = seq;
    e.type = Event::Type::TaskBatch;
    e.batch = batch;
    return e;
}

// A TaskModel (checked by the model tester) of `tasks` queued tasks, fed TaskBatch events
// through an EngineFeed, one frame per send().
struct FedModel
{
    explicit FedModel(int tasks)
    {
        model.reset(queuedTasks(tasks), taskInputs(tasks));
        QObject::connect(&feed, &EngineFeed::frameReady, &model, &TaskModel::applyFrame);
    }
    void send(std::shared_ptr<const TaskBatch> batch, qint64 timeMs = 0)
    {
        Event e;
        e.timeMs = timeMs;
        e.type = Event::Type::TaskBatch;
        e.batch = std::move(batch);
        send(e);
    }
    void send(Event e) // in seq order
    {
        e.seq = ++seq;
        feed.addEvents({ e });
        feed.flush();
    }

    TaskModel model;
    QAbstractItemModelTester tester { &model,
                                      QAbstractItemModelTester::FailureReportingMode::QtTest };
    EngineFeed feed;
    quint64 seq = 0;
};

// A batch session feeding a TaskModel (checked by the model tester), wired as the window does.
struct WatchedSession
{
    explicit WatchedSession(const BatchSpec &spec)
        : session(spec, {})
    {
        QObject::connect(&session, &BatchSession::started, &model,
                         [this](const PoolSnapshot &s) { model.reset(s); });
        QObject::connect(&session, &BatchSession::failed, &model,
                         [](const QString &error) { QFAIL(qPrintable(error)); });
        QObject::connect(session.feed(), &EngineFeed::frameReady, &model, &TaskModel::applyFrame);
        QObject::connect(session.feed(), &EngineFeed::frameReady, &model,
                         [this](const Frame &f) { finished |= f.batchFinished; });
    }

    BatchSession session;
    TaskModel model;
    QAbstractItemModelTester tester { &model,
                                      QAbstractItemModelTester::FailureReportingMode::QtTest };
    bool finished = false;
};

} // namespace

class TestTaskModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { test::becomeSubreaper(); }
    void cleanup() { QCOMPARE(test::waitForNoChildren(), QStringList()); }

    void resetFromSnapshot()
    {
        TaskModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto tasks = queuedTasks(3);
        tasks[1].state = TaskState::Failed;
        tasks[1].attempts = 2;
        tasks[1].slot = 4;
        tasks[1].durationMs = 1500;
        tasks[1].exit = ExitStatus::signaled(9);
        model.reset(tasks, taskInputs(qsizetype(tasks.size())));
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.index(1, TaskModel::SeqColumn).data().toLongLong(), 2);
        QCOMPARE(model.index(1, TaskModel::InputColumn).data().toString(), u"input-1.txt"_s);
        QCOMPARE(model.index(1, TaskModel::StateColumn).data().toString(), u"failed"_s);
        QCOMPARE(model.index(1, TaskModel::WorkerColumn).data().toInt(), 4);
        QCOMPARE(model.index(1, TaskModel::AttemptsColumn).data().toInt(), 2);
        QCOMPARE(model.index(1, TaskModel::DurationColumn).data().toString(), u"1.50 s"_s);
        QCOMPARE(model.index(1, TaskModel::ExitColumn).data().toString(), u"killed by SIGKILL"_s);
        QVERIFY(
            model.index(1, TaskModel::StateColumn).data(Qt::ForegroundRole).canConvert<QColor>());
        QCOMPARE(model.index(0, TaskModel::DurationColumn).data().toString(), QString());
        QCOMPARE(model.index(2, 0).data(TaskModel::TaskIdRole).toLongLong(), 2);
    }

    void retryingSaysWhichAttemptComesNext()
    {
        TaskModel model;
        auto tasks = queuedTasks(1);
        tasks[0].state = TaskState::Retrying;
        tasks[0].attempts = 1;
        model.setMaxAttempts(3);
        model.reset(tasks, taskInputs(1));
        QCOMPARE(model.index(0, TaskModel::StateColumn).data().toString(),
                 u"queued for retry (2/3)"_s);
    }

    void burstOfEventsIsCoalesced_data()
    {
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("maxSignals");
        QTest::newRow("contiguous tasks") << 1 << 1;
        QTest::newRow("scattered tasks") << 7 << 32;
    }

    // 10,000 task events (start + finish of 5,000 tasks) in one frame: a handful of dataChanged.
    void burstOfEventsIsCoalesced()
    {
        QFETCH(int, stride);
        QFETCH(int, maxSignals);
        TaskModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reset(queuedTasks(5000 * stride), taskInputs(5000 * stride));
        EngineFeed feed;
        feed.setInterval(60'000);
        connect(&feed, &EngineFeed::frameReady, &model, &TaskModel::applyFrame);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        quint64 seq = 0;
        QList<Event> batch;
        for (int i = 0; i < 5000; ++i) {
            const TaskId id = TaskId(i) * stride;
            batch << taskEvent(++seq, Step::Started, id, TaskState::Running);
            batch << taskEvent(++seq, Step::Finished, id,
                               i % 10 ? TaskState::Succeeded : TaskState::Failed);
            if (batch.size() >= 200)
                feed.addEvents(std::exchange(batch, {}));
        }
        feed.addEvents(batch);
        feed.flush();
        QVERIFY2(changed.count() <= maxSignals, qPrintable(QString::number(changed.count())));
        QVERIFY(changed.count() >= 1);
        QCOMPARE(reset.count(), 0);
        for (const auto &args : changed)
            QVERIFY(args.at(2).value<QList<int>>().contains(Qt::DisplayRole));
        QCOMPARE(model.task(0).state, TaskState::Failed);
        QCOMPARE(model.task(stride).state, TaskState::Succeeded);
        QCOMPARE(model.task(stride).receivedBytes, 4);
    }

    // A burst of millions a second does not wait for the tick in memory: a frame goes as soon
    // as it holds EngineFeed::kMaxFrameTasks task starts and ends, and nothing is lost.
    void hugeBurstGoesOutInBoundedFrames()
    {
        EngineFeed feed;
        feed.setInterval(60'000);
        QList<qsizetype> frames;
        connect(&feed, &EngineFeed::frameReady, this, [&](const Frame &f) {
            qsizetype n = 0;
            for (const TaskUpdate &u : f.taskUpdates)
                n += u.batch ? qsizetype(u.batch->started.size() + u.batch->finished.size()) : 0;
            frames << n;
        });
        const int perBatch = 1000, batches = 100; // 100,000 starts
        for (int b = 0; b < batches; ++b) {
            auto batch = std::make_shared<TaskBatch>();
            for (int i = 0; i < perBatch; ++i)
                batch->started.push_back({ TaskId(b * perBatch + i), 1, 1 });
            Event e;
            e.seq = quint64(b + 1);
            e.type = Event::Type::TaskBatch;
            e.batch = batch;
            feed.addEvents({ e });
        }
        QCOMPARE(frames.size(), batches * perBatch / int(EngineFeed::kMaxFrameTasks));
        for (qsizetype n : frames)
            QVERIFY(n >= EngineFeed::kMaxFrameTasks && n < EngineFeed::kMaxFrameTasks + perBatch);
        feed.flush();
        QCOMPARE(std::accumulate(frames.begin(), frames.end(), qsizetype(0)),
                 qsizetype(batches * perBatch));
    }

    // The window opens on a compact snapshot: only tasks that left the queue are listed; the
    // others are queued, their Seq from seqs (a resumed run) or id + 1.
    void compactSnapshot()
    {
        TaskModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        PoolSnapshot snap;
        snap.compact = true;
        snap.taskCount = 4;
        snap.seqs = { 7, 8, 9, 10 };
        snap.inputs = taskInputs(10);
        TaskInfo done;
        done.id = 2;
        done.seq = 9;
        done.state = TaskState::Failed;
        done.attempts = 2;
        done.exit = ExitStatus::exited(3);
        snap.tasks.push_back(done);
        model.reset(snap);
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.seqOf(0), 7);
        QCOMPARE(model.task(0).state, TaskState::Queued);
        QCOMPARE(model.inputOf(3), u"input-9.txt"_s);
        QCOMPARE(model.task(2).state, TaskState::Failed);
        QCOMPARE(model.task(2).attempts, 2);
        QCOMPARE(model.task(2).exit, ExitStatus::exited(3));
        // A full snapshot of a resumed run: the Seqs from its tasks.
        PoolSnapshot full;
        full.taskCount = 2;
        for (qint64 seq : { 5, 6 }) {
            TaskInfo t;
            t.id = seq - 5;
            t.seq = seq;
            full.tasks.push_back(t);
        }
        model.reset(full);
        QCOMPARE(model.seqOf(0), 5);
        QCOMPARE(model.seqOf(1), 6);
        model.reset(snap);
        snap.seqs.clear(); // not resumed: Seq is id + 1
        model.reset(snap);
        QCOMPARE(model.seqOf(3), 4);
    }

    void addedTasksArriveInOneInsert()
    {
        TaskModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reset(queuedTasks(2), taskInputs(12, u"late-%1"_s)); // the inputs read so far
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        Frame frame;
        frame.addedTasks = { { 2, 9 }, { 10, 11 } };
        auto batch = std::make_shared<TaskBatch>();
        batch->started.push_back({ 10, 1, 1, 0 });
        frame.taskUpdates.push_back({ batch, 0, {} });
        model.applyFrame(frame);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(model.rowCount(), 12);
        QCOMPARE(model.inputOf(11), u"late-11"_s);
        QCOMPARE(model.task(10).state, TaskState::Running);
    }

    // Service workers report tasks in TaskBatch events: starts and ends apart, ordered per task
    // by attempt.
    void taskBatchEvents()
    {
        TaskModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reset(queuedTasks(3), taskInputs(3));
        auto batch = std::make_shared<TaskBatch>();
        batch->outputs = "r1";
        batch->started = { { 0, 1, 1 }, { 1, 2, 1 }, { 0, 1, 2 } };
        batch->finished = { { 0, 1, 1, TaskState::Retrying, -1, ExitStatus::exited(1), 5, 0, 0 },
                            { 1, 2, 1, TaskState::Succeeded, -1, ExitStatus::exited(0), 7, 0, 2 } };
        Event e;
        e.seq = 1;
        e.type = Event::Type::TaskBatch;
        e.batch = batch;
        EngineFeed feed;
        connect(&feed, &EngineFeed::frameReady, &model, &TaskModel::applyFrame);
        Frame seen;
        connect(&feed, &EngineFeed::frameReady, this, [&](const Frame &f) { seen = f; });
        feed.addEvents({ e });
        feed.flush();
        QCOMPARE(model.task(0).state, TaskState::Running);
        QCOMPARE(model.task(0).attempts, 2);
        QCOMPARE(model.task(1).state, TaskState::Succeeded);
        QCOMPARE(model.task(1).durationMs, 7);
        QCOMPARE(model.task(1).receivedBytes, 2);
        QCOMPARE(model.task(2).state, TaskState::Queued);
        QCOMPARE(seen.finishedDurationsMs, std::vector<quint32> { 7 });
    }

    // A failed attempt's first stderr line shows in the Error column while the task stands
    // failed; every attempt of the task, before and after a Retry, stays in its history.
    void errorsAndHistoryAcrossRetry()
    {
        FedModel fed(2);
        TaskModel &model = fed.model;
        auto send = [&](std::shared_ptr<TaskBatch> batch) { fed.send(std::move(batch)); };
        auto attempt = [&](int n, TaskState state, QByteArray err) {
            auto batch = std::make_shared<TaskBatch>();
            batch->started = { { 0, 3, n } };
            const ExitStatus exit = ExitStatus::exited(state == TaskState::Succeeded ? 0 : 1);
            batch->finished = { { 0, 3, n, state, 0, exit, 20, 0, 0 } };
            batch->captured.push_back({ {}, std::move(err), {}, {} });
            send(batch);
        };
        const QModelIndex error = model.index(0, TaskModel::ErrorColumn);
        attempt(1, TaskState::Retrying, "\n  \nfirst: no such file\nsecond line\n");
        QCOMPARE(error.data().toString(), u"first: no such file"_s);
        attempt(2, TaskState::Failed, "disk full");
        QCOMPARE(error.data().toString(), u"disk full"_s);
        QCOMPARE(error.data(Qt::ToolTipRole).toString(), u"disk full"_s);
        QCOMPARE(model.history(0).size(), 2);
        QCOMPARE(model.history(1).size(), 0); // never ran: no history kept

        // Retry by hand: the row starts over, the error goes, the history stays.
        Event retry;
        retry.type = Event::Type::TaskRequeued;
        retry.task = 0;
        fed.send(retry);
        QCOMPARE(model.task(0).attempts, 0);
        QCOMPARE(error.data().toString(), QString());
        attempt(1, TaskState::Succeeded, "a warning\n");
        QCOMPARE(model.task(0).state, TaskState::Succeeded);
        QCOMPARE(error.data().toString(), QString()); // succeeded: no error shown
        const QList<TaskModel::Attempt> history = model.history(0);
        QCOMPARE(history.size(), 3);
        QCOMPARE(history[0].attempt, 1);
        QCOMPARE(history[0].state, TaskState::Retrying);
        QCOMPARE(history[1].error, u"disk full"_s);
        QCOMPARE(history[2].attempt, 1);
        QCOMPARE(history[2].state, TaskState::Succeeded);
        QCOMPARE(history[2].error, QString()); // a success's stderr is not an error
        QCOMPARE(history[2].slot, 3);

        // An attempt superseded within its batch (it failed, the next started) is kept too.
        auto batch = std::make_shared<TaskBatch>();
        batch->started = { { 1, 2, 1 }, { 1, 2, 2 } };
        batch->finished
            = { { 1, 2, 1, TaskState::Retrying, 0, ExitStatus::signaled(11), 5, 0, 0 } };
        batch->captured.push_back({ {}, {}, {}, {} });
        const qint64 seenTimeMs = 1000; // the batch's: when its tasks started
        fed.send(batch, seenTimeMs);
        QCOMPARE(model.task(1).attempts, 2);
        QCOMPARE(model.history(1).size(), 1);
        QCOMPARE(model.history(1)[0].exit.signal, quint8(11));
        QCOMPARE(model.history(1)[0].startedMs, seenTimeMs); // both started in that batch
        // One that started in an earlier batch keeps that batch's start time.
        auto later = std::make_shared<TaskBatch>();
        later->started = { { 1, 2, 3 } };
        later->finished = { { 1, 2, 2, TaskState::Retrying, 0, ExitStatus::exited(1), 5, 0, 0 } };
        later->captured.push_back({ {}, {}, {}, {} });
        fed.send(later, seenTimeMs + 500);
        QCOMPARE(model.task(1).attempts, 3);
        QCOMPARE(model.task(1).startedMs, seenTimeMs + 500);
        QCOMPARE(model.history(1).size(), 2);
        QCOMPARE(model.history(1)[1].startedMs, seenTimeMs); // attempt 2 started before

        // A task cancelled before it ran made no attempt: no history.
        model.reset(queuedTasks(2), taskInputs(2));
        auto cancelled = std::make_shared<TaskBatch>();
        cancelled->finished = { { 0, 0, 0, TaskState::Cancelled, -1, ExitStatus {}, 0, 0, 0 } };
        send(cancelled);
        QCOMPARE(model.task(0).state, TaskState::Cancelled);
        QVERIFY(model.history(0).isEmpty());
        // A task that fails again and again keeps its latest attempts, and counts the others.
        const int runs = TaskModel::kAttemptsKept + 3;
        for (int n = 1; n <= runs; ++n) {
            auto again = std::make_shared<TaskBatch>();
            again->outputs = "same error";
            again->started = { { 1, 1, n } };
            again->finished
                = { { 1, 1, n, TaskState::Retrying, -1, ExitStatus::exited(1), 5, 0, 10 } };
            send(again);
        }
        QCOMPARE(model.history(1).size(), TaskModel::kAttemptsKept);
        QCOMPARE(model.droppedAttempts(1), 3);
        QCOMPARE(model.history(1).last().attempt, runs);
        // Equal errors share one string.
        QVERIFY(model.history(1).first().error.constData()
                == model.history(1).last().error.constData());

        // A service task's error is its worker's reply.
        model.reset(queuedTasks(1), taskInputs(1));
        QVERIFY(model.history(0).isEmpty()); // a new batch: no history
        auto service = std::make_shared<TaskBatch>();
        service->outputs = "bad input: x\ntrace";
        service->started = { { 0, 1, 1 } };
        service->finished = { { 0, 1, 1, TaskState::Failed, -1, ExitStatus::exited(1), 5, 0, 18 } };
        send(service);
        QCOMPARE(model.index(0, TaskModel::ErrorColumn).data().toString(), u"bad input: x"_s);
    }

    // {"id":N,"progress":0.4} from a JSON-lines worker shows in the task's state and on its
    // worker's row, until the attempt ends.
    void serviceProgressIsShown()
    {
        FedModel fed(2);
        TaskModel &model = fed.model;
        WorkerModel workers;
        workers.setTaskProgress([&](TaskId id) { return model.task(int(id)).progress; });
        WorkerInfo w;
        w.slot = 1;
        w.state = WorkerState::Busy;
        w.task = 0;
        workers.reset({ w });
        connect(&fed.feed, &EngineFeed::frameReady, &workers, &WorkerModel::applyFrame);
        QSignalSpy workerRepaints(&workers, &QAbstractItemModel::dataChanged);

        auto started = std::make_shared<TaskBatch>();
        started->started = { { 0, 1, 1 } };
        started->progress = { { 0, 0.25 }, { 0, 0.4 } }; // a frame keeps the latest
        fed.send(started);
        QCOMPARE(model.task(0).progress, 0.4f);
        QCOMPARE(model.index(0, TaskModel::StateColumn).data().toString(), u"running 40%"_s);
        QCOMPARE(model.index(0, TaskModel::StateColumn).data(TaskModel::ProgressRole).toDouble(),
                 double(0.4f));
        QVERIFY(!model.index(1, TaskModel::StateColumn).data(TaskModel::ProgressRole).isValid());
        QVERIFY(!workerRepaints.isEmpty());
        QVERIFY2(workers.index(0, WorkerModel::TaskColumn).data().toString().endsWith(u"(40%)"_s),
                 qPrintable(workers.index(0, WorkerModel::TaskColumn).data().toString()));

        auto finished = std::make_shared<TaskBatch>();
        finished->outputs = "done";
        finished->finished
            = { { 0, 1, 1, TaskState::Succeeded, -1, ExitStatus::exited(0), 9, 0, 4 } };
        fed.send(finished);
        QCOMPARE(model.task(0).progress, -1.0f);
        QCOMPARE(model.index(0, TaskModel::StateColumn).data().toString(),
                 nameOf(TaskState::Succeeded));
    }

    // The same through a real pool: a worker reports progress, then waits to be let go.
    void serviceProgressFromARealWorker()
    {
        QTemporaryDir dir;
        const QString release = dir.filePath(u"release"_s);
        BatchSpec spec;
        spec.service.mode = ServiceSpec::Mode::Json;
        spec.service.program = test::progressThenWaitWorker(release);
        spec.inputs.kind = InputSpec::Kind::Args;
        spec.inputs.args = { u"a"_s };
        spec.jobs = 1;
        WatchedSession watched(spec);
        const TaskModel &model = watched.model;
        QVERIFY(watched.session.start().ok());
        QTRY_COMPARE(model.rowCount(), 1);
        QTRY_COMPARE(model.task(0).progress, 0.4f);
        QCOMPARE(model.task(0).state, TaskState::Running);
        QFile(release).open(QIODevice::WriteOnly);
        QTRY_COMPARE(model.task(0).state, TaskState::Succeeded);
        QCOMPARE(model.task(0).progress, -1.0f);
    }

    void startTimesShowOnceTheClockIsKnown()
    {
        TaskModel model;
        auto tasks = queuedTasks(2);
        tasks[0].state = TaskState::Running;
        tasks[0].attempts = 1;
        tasks[0].startedMs = 2500;
        model.reset(tasks, taskInputs(2));
        QCOMPARE(model.index(0, TaskModel::StartedColumn).data().toString(), QString());
        const qint64 zero = QDateTime(QDate(2026, 12, 2), QTime(14, 3, 0)).toMSecsSinceEpoch();
        model.setWallStartMs(zero);
        QCOMPARE(model.index(0, TaskModel::StartedColumn).data().toString(), u"14:03:02"_s);
        QCOMPARE(model.index(1, TaskModel::StartedColumn).data().toString(), QString());
        QCOMPARE(model.headerData(TaskModel::StartedColumn, Qt::Horizontal).toString(),
                 u"Started"_s);
    }

    void exportsCsv()
    {
        TaskModel model;
        auto tasks = queuedTasks(2);
        tasks[0].state = TaskState::Succeeded;
        tasks[0].attempts = 1;
        tasks[0].slot = 2;
        tasks[0].durationMs = 1234;
        tasks[0].exit = ExitStatus::exited(0);
        model.reset(tasks, InputList(QStringList { u"a, \"quoted\" input"_s, u"input-1.txt"_s }));
        QBuffer buffer;
        buffer.open(QIODevice::WriteOnly);
        QVERIFY(model.writeCsv(&buffer));
        const QList<QByteArray> lines = buffer.data().split('\n');
        QCOMPARE(
            lines.value(0),
            "seq,input,state,worker,attempts,duration_s,exit_code,signal,outcome,started,error");
        QCOMPARE(lines.value(1), "1,\"a, \"\"quoted\"\" input\",succeeded,2,1,1.234,0,,exit 0,,");
        QCOMPARE(lines.value(2), "2,input-1.txt,queued,,0,,,,,,");

        // The rows asked for, in their order, with start times once the clock's zero is known.
        tasks[0].startedMs = 1500;
        model.reset(tasks, InputList(QStringList { u"a"_s, u"b"_s }));
        QBuffer some;
        some.open(QIODevice::WriteOnly);
        const QList<int> rows { 1, 0 };
        QVERIFY(model.writeCsv(&some, &rows, qint64(1'700'000'000'000)));
        const QList<QByteArray> shown = some.data().split('\n');
        QCOMPARE(shown.size(), 4); // the header, 2 rows, the final newline
        QVERIFY(shown.value(1).startsWith("2,b,queued"));
        QVERIFY2(shown.value(2).endsWith(",2023-11-14T22:13:21.500Z,"), shown.value(2).constData());
        // A filter that shows nothing exports nothing (not everything).
        QBuffer none;
        none.open(QIODevice::WriteOnly);
        const QList<int> noRows;
        QVERIFY(model.writeCsv(&none, &noRows));
        QCOMPARE(none.data().count('\n'), 1); // the header
    }

    // The model ends in the states the engine reports, through the real event path.
    void followsARealPool()
    {
        BatchSpec spec;
        spec.command = { u"exit {}"_s };
        spec.shell = true;
        spec.inputs.kind = InputSpec::Kind::Args;
        for (int i = 0; i < 30; ++i)
            spec.inputs.args << QString::number(i % 3 == 0 ? 1 : 0);
        spec.jobs = 3;
        WatchedSession watched(spec);
        const TaskModel &model = watched.model;
        BatchSession &session = watched.session;
        QVERIFY(session.start().ok());
        QTRY_VERIFY(watched.finished);
        QSignalSpy answers(session.engine(), &EngineClient::snapshotReady);
        const quint64 request = session.engine()->requestSnapshot();
        QVERIFY(answers.wait());
        QCOMPARE(answers.at(0).at(0).toULongLong(), request);
        const PoolSnapshot final = answers.at(0).at(1).value<PoolSnapshot>();
        QCOMPARE(model.rowCount(), 30);
        for (const TaskInfo &t : final.tasks) {
            QCOMPARE(model.task(int(t.id)).state, t.state);
            QCOMPARE(model.task(int(t.id)).exit.code, t.exit.code);
            QCOMPARE(model.task(int(t.id)).attempts, t.attempts);
        }
        QCOMPARE(model.task(0).state, TaskState::Failed);
        QCOMPARE(model.task(1).state, TaskState::Succeeded);
    }

    void followsAServicePool()
    {
        BatchSpec spec;
        spec.service.program = { u"/bin/sh"_s, u"-c"_s, u"while read l; do echo \"r$l\"; done"_s };
        spec.inputs.kind = InputSpec::Kind::Range;
        spec.inputs.from = 1;
        spec.inputs.to = 500;
        spec.jobs = 2;
        WatchedSession watched(spec);
        const TaskModel &model = watched.model;
        BatchSession &session = watched.session;
        QVERIFY(session.start().ok());
        QTRY_VERIFY(watched.finished);
        for (int row = 0; row < 500; ++row)
            QCOMPARE(model.task(row).state, TaskState::Succeeded);
        QCOMPARE(model.task(41).receivedBytes, 3); // "r42"
        QSignalSpy answers(session.engine(), &EngineClient::commandsReady);
        session.engine()->requestCommands({ 0 });
        QVERIFY(answers.wait());
        QVERIFY(answers.at(0).at(1).toStringList().value(0).contains(u"<<<"_s));
    }
};

QTEST_MAIN(TestTaskModel)
#include "tst_taskmodel.moc"
