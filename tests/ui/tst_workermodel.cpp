#include "batchsession.h"
#include "enginefeed.h"
#include "statecolors.h"
#include "testsupport.h"
#include "workermodel.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QSignalSpy>
#include <QStyle>
#include <QStyleFactory>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;

namespace {

WorkerInfo worker(int slot, WorkerState state = WorkerState::Idle, TaskId task = -1)
{
    WorkerInfo w;
    w.slot = slot;
    w.state = state;
    w.task = task;
    w.pid = task >= 0 ? 1000 + slot : 0;
    return w;
}

Event workerChanged(quint64 seq, const WorkerInfo &w)
{
    Event e;
    e.seq = seq;
    e.type = Event::Type::WorkerChanged;
    e.slot = w.slot;
    e.worker = w;
    return e;
}

Event workerRemoved(quint64 seq, int slot)
{
    Event e;
    e.seq = seq;
    e.type = Event::Type::WorkerRemoved;
    e.slot = slot;
    return e;
}

// WCAG 2 contrast ratio between two opaque colours.
double contrast(const QColor &a, const QColor &b)
{
    auto luminance = [](const QColor &c) {
        auto channel = [](double v) {
            return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
        };
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF())
            + 0.0722 * channel(c.blueF());
    };
    const double la = luminance(a), lb = luminance(b);
    return (qMax(la, lb) + 0.05) / (qMin(la, lb) + 0.05);
}

QPalette darkPalette()
{
    QPalette p;
    p.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
    p.setColor(QPalette::WindowText, QColor(0xe0, 0xe0, 0xe0));
    p.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    p.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
    return p;
}

} // namespace

class TestWorkerModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { test::becomeSubreaper(); }
    void cleanup() { QCOMPARE(test::waitForNoChildren(), QStringList()); }

    void resetShowsWorkersInSlotOrder()
    {
        WorkerModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reset(
            { worker(3), worker(1, WorkerState::Busy, 7), worker(2, WorkerState::Paused, 8) });
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), int(WorkerModel::ColumnCount));
        QCOMPARE(model.index(0, WorkerModel::SlotColumn).data().toInt(), 1);
        QCOMPARE(model.index(0, WorkerModel::StateColumn).data().toString(), u"busy"_s);
        QCOMPARE(model.index(0, WorkerModel::TaskColumn).data().toString(), u"#8"_s);
        QCOMPARE(model.index(0, WorkerModel::PidColumn).data().toLongLong(), 1001);
        QCOMPARE(model.index(1, 0).data(WorkerModel::StateRole).toInt(), int(WorkerState::Paused));
        QCOMPARE(model.index(2, WorkerModel::TaskColumn).data().toString(), QString());
        QVERIFY(
            model.index(0, WorkerModel::StateColumn).data(Qt::BackgroundRole).canConvert<QColor>());
        QVERIFY(!model.index(2, WorkerModel::StateColumn)
                     .data(Qt::BackgroundRole)
                     .isValid()); // idle: plain
        QCOMPARE(model.rowOfSlot(2), 1);
        QCOMPARE(model.rowOfSlot(9), -1);
    }

    void stateColoursAreReadable_data()
    {
        QTest::addColumn<bool>("dark");
        QTest::addColumn<int>("state");
        for (bool dark : { false, true }) {
            for (WorkerState s : { WorkerState::Busy, WorkerState::Paused, WorkerState::Draining,
                                   WorkerState::Crashed })
                QTest::addRow("%s %s", dark ? "dark" : "light", qPrintable(nameOf(s)))
                    << dark << int(s);
        }
    }

    void stateColoursAreReadable()
    {
        QFETCH(bool, dark);
        QFETCH(int, state);
        const std::unique_ptr<QStyle> fusion(QStyleFactory::create(u"Fusion"_s));
        const QPalette palette = dark ? darkPalette() : fusion->standardPalette();
        const QColor background = workerStateBackground(WorkerState(state), palette);
        QVERIFY(background.isValid());
        const double ratio = contrast(background, palette.color(QPalette::Text));
        QVERIFY2(ratio >= 4.5,
                 qPrintable(u"contrast %1 on %2"_s.arg(ratio).arg(background.name())));
    }

    // 10,000 engine events in one frame: the model signals the changed rows as one range.
    void burstOfEventsIsCoalesced()
    {
        WorkerModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        std::vector<WorkerInfo> initial;
        for (int slot = 1; slot <= 64; ++slot)
            initial.push_back(worker(slot));
        model.reset(initial);

        EngineFeed feed;
        feed.setInterval(60'000); // only the explicit flush below
        connect(&feed, &EngineFeed::frameReady, &model, &WorkerModel::applyFrame);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        quint64 seq = 0;
        QList<Event> batch;
        for (int i = 0; i < 10'000; ++i) {
            WorkerInfo w = worker(1 + i % 64, WorkerState::Busy, i);
            w.tasksDone = i / 64;
            w.cpuPercent = i % 100;
            batch << workerChanged(++seq, w);
            if (batch.size() == 100)
                feed.addEvents(std::exchange(batch, {}));
        }
        QCOMPARE(changed.count(), 0); // nothing before the frame
        feed.flush();
        QCOMPARE(changed.count(), 1);
        const QList<int> roles = changed.at(0).at(2).value<QList<int>>();
        QVERIFY(roles.contains(Qt::DisplayRole));
        QVERIFY(roles.contains(WorkerModel::StateRole));
        QCOMPARE(changed.at(0).at(0).toModelIndex().row(), 0);
        QCOMPARE(changed.at(0).at(1).toModelIndex().row(), 63);
        // The latest state of each slot won.
        QCOMPARE(model.worker(63).task, TaskId(9983));
        QCOMPARE(model.worker(15).task, TaskId(9999));
        QCOMPARE(model.worker(0).task, TaskId(9984));
        QCOMPARE(model.worker(0).tasksDone, 9984 / 64);
    }

    void unchangedWorkersAreNotSignalled()
    {
        WorkerModel model;
        model.reset({ worker(1), worker(2), worker(3), worker(4) });
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        Frame frame;
        frame.workers[1] = worker(1);
        frame.workers[2] = worker(2, WorkerState::Busy, 5);
        frame.workers[4] = worker(4, WorkerState::Busy, 6);
        model.applyFrame(frame);
        QCOMPARE(changed.count(), 2); // rows 1 and 3: two runs, each with its roles
        for (const auto &args : changed)
            QVERIFY(!args.at(2).value<QList<int>>().isEmpty());
    }

    void resizeInsertsAndRemovesRows()
    {
        WorkerModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        std::vector<WorkerInfo> initial;
        for (int slot = 1; slot <= 8; ++slot)
            initial.push_back(worker(slot));
        model.reset(initial);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

        EngineFeed feed;
        feed.setInterval(60'000);
        connect(&feed, &EngineFeed::frameReady, &model, &WorkerModel::applyFrame);
        quint64 seq = 0;
        feed.addEvents({ workerRemoved(++seq, 5), workerRemoved(++seq, 6), workerRemoved(++seq, 7),
                         workerRemoved(++seq, 8), workerRemoved(++seq, 2) });
        feed.flush();
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(removed.count(), 2); // [4..7] and [1]
        // Grow: slot 2 comes back into its hole, 5..6 at the end; a slot that left and came back
        // within one frame is just an update.
        feed.addEvents({ workerChanged(++seq, worker(2)), workerChanged(++seq, worker(5)),
                         workerChanged(++seq, worker(6)), workerRemoved(++seq, 3),
                         workerChanged(++seq, worker(3, WorkerState::Busy, 1)) });
        feed.flush();
        QCOMPARE(model.rowCount(), 6);
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(reset.count(), 0);
        for (int row = 0; row < 6; ++row)
            QCOMPARE(model.worker(row).slot, row + 1);
        QCOMPARE(model.worker(2).state, WorkerState::Busy);
    }

    // The model follows a real pool through its session: workers get busy with real pids.
    void followsARealPool()
    {
        BatchSpec spec;
        spec.command = { u"sleep"_s };
        spec.inputs.kind = InputSpec::Kind::Args;
        spec.inputs.args = { u"30"_s, u"30"_s, u"30"_s };
        spec.jobs = 2;
        BatchSession session(spec, {});
        WorkerModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        connect(&session, &BatchSession::started, &model,
                [&](const PoolSnapshot &s) { model.reset(s.workers); });
        connect(session.feed(), &EngineFeed::frameReady, &model, &WorkerModel::applyFrame);
        QVERIFY(session.start().ok());
        QTRY_VERIFY(model.rowCount() == 2 && model.worker(0).state == WorkerState::Busy
                    && model.worker(1).state == WorkerState::Busy);
        QVERIFY(test::processExists(model.worker(0).pid));
        session.engine()->pauseWorker(2);
        QTRY_COMPARE(model.worker(1).state, WorkerState::Paused);
        session.engine()->resize(1, DrainPolicy::Requeue);
        QTRY_COMPARE(model.rowCount(), 1);
        session.close();
        QSignalSpy closed(&session, &BatchSession::closed);
        QVERIFY(closed.wait());
    }
};

QTEST_MAIN(TestWorkerModel)
#include "tst_workermodel.moc"
