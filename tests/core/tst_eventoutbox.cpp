#include "eventoutbox.h"
#include "throughputmeter.h"

#include <QSignalSpy>
#include <QTest>

using namespace shoal;
using namespace Qt::Literals::StringLiterals;

// The engine's outbox (numbering and batching of events) and its throughput meter.
class TestEventOutbox : public QObject
{
    Q_OBJECT
private slots:
    // Everything posted in one event-loop turn goes out together, numbered in order.
    void oneTurnOneDelivery()
    {
        EventOutbox outbox;
        QSignalSpy delivered(&outbox, &EventOutbox::eventsReady);
        outbox.post(Event::Type::TasksAdded, 1).lastTask = 9;
        outbox.post(Event::Type::Message, 2).text = u"hello"_s;
        outbox.post(Event::Type::Stats, 3);
        QCOMPARE(outbox.lastSeq(), quint64(3));
        QCOMPARE(delivered.size(), 0); // not from inside the turn
        QVERIFY(delivered.wait());
        QCOMPARE(delivered.size(), 1);
        const auto events = delivered.at(0).at(0).value<QList<Event>>();
        QCOMPARE(events.size(), 3);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(events[i].seq, quint64(i + 1));
            QCOMPARE(events[i].timeMs, qint64(i + 1));
        }
        QCOMPARE(events[0].lastTask, TaskId(9));
        QCOMPARE(events[1].text, u"hello"_s);
        // The next turn's events continue the numbering.
        outbox.post(Event::Type::Stats, 4);
        QVERIFY(delivered.wait());
        QCOMPARE(delivered.at(1).at(0).value<QList<Event>>().front().seq, quint64(4));
    }

    // Batch entries stay in one TaskBatch event until another event is posted after them.
    void batchesKeepTheOrder()
    {
        EventOutbox outbox;
        QSignalSpy delivered(&outbox, &EventOutbox::eventsReady);
        outbox.openBatch(0).started.push_back({ 0, 1, 1 });
        outbox.openBatch(0).started.push_back({ 1, 2, 1 });
        QCOMPARE(outbox.currentBatch()->started.size(), size_t(2));
        outbox.post(Event::Type::Message, 0).text = u"between"_s;
        QVERIFY(!outbox.currentBatch());
        outbox.openBatch(0).started.push_back({ 2, 1, 1 });
        outbox.closeBatch();
        outbox.openBatch(0, true).started.push_back({ 3, 2, 1 });
        QVERIFY(delivered.wait());
        const auto events = delivered.at(0).at(0).value<QList<Event>>();
        QCOMPARE(events.size(), 4);
        QCOMPARE(events[0].type, Event::Type::TaskBatch);
        QCOMPARE(events[0].batch->started.size(), size_t(2));
        QCOMPARE(events[1].type, Event::Type::Message);
        QCOMPARE(events[2].batch->started.front().task, TaskId(2));
        QCOMPARE(events[3].batch->started.front().task, TaskId(3));
        QVERIFY(!outbox.currentBatch()); // a flush closes it
    }

    // A snapshot taken while a batch is open covers that batch's event: whatever starts or
    // ends after it goes into a new event with a larger seq (a window applying events after
    // the snapshot's seq would skip it otherwise).
    void aSnapshotClosesTheOpenBatch()
    {
        EventOutbox outbox;
        QSignalSpy delivered(&outbox, &EventOutbox::eventsReady);
        outbox.openBatch(0).started.push_back({ 0, 1, 1 });
        const quint64 seen = outbox.snapshotSeq();
        outbox.openBatch(0).finished.push_back(
            { 0, 1, 1, TaskState::Succeeded, -1, ExitStatus::exited(0), 5, 0, 0 });
        QVERIFY(delivered.wait());
        const auto events = delivered.at(0).at(0).value<QList<Event>>();
        QCOMPARE(events.size(), 2);
        QCOMPARE(events[0].seq, seen);
        QVERIFY(events[1].seq > seen);
        QCOMPARE(events[1].batch->finished.size(), size_t(1));
    }

    void flushWithNothingSaysNothing()
    {
        EventOutbox outbox;
        QSignalSpy delivered(&outbox, &EventOutbox::eventsReady);
        outbox.flush();
        QCOMPARE(delivered.size(), 0);
    }

    void throughputOverTheWindow()
    {
        ThroughputMeter meter(5000);
        QCOMPARE(meter.perSecond(), 0.0);
        QCOMPARE(meter.etaSeconds(10), -1.0); // unknown yet
        QCOMPARE(meter.etaSeconds(0), 0.0);
        meter.sample(0, 0);
        meter.sample(1000, 10);
        QCOMPARE(meter.perSecond(), 10.0);
        QCOMPARE(meter.etaSeconds(50), 5.0);
        // Older samples leave the window: the rate is that of the last five seconds.
        meter.sample(10000, 10);
        meter.sample(12000, 30);
        QCOMPARE(meter.perSecond(), 10.0); // (30 - 10) over 10000..12000
    }
};

QTEST_GUILESS_MAIN(TestEventOutbox)
#include "tst_eventoutbox.moc"
