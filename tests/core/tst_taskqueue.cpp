#include "taskqueue.h"

#include <QRandomGenerator>
#include <QTest>

#include <deque>

using namespace shoal;

// TaskQueue keeps a batch's ids as a range with deques around it; it must behave exactly as
// the std::deque<TaskId> it stands for.
class TestTaskQueue : public QObject
{
    Q_OBJECT
private slots:
    void emptyQueue()
    {
        TaskQueue q;
        QVERIFY(q.empty());
        QCOMPARE(q.size(), size_t(0));
    }

    void aBatchIsARange()
    {
        TaskQueue q;
        for (TaskId id = 0; id < 1000; ++id)
            q.push_back(id);
        QCOMPARE(q.size(), size_t(1000));
        for (TaskId id = 0; id < 1000; ++id) {
            QCOMPARE(q.front(), id);
            q.pop_front();
        }
        QVERIFY(q.empty());
    }

    void requeueGoesFirstRetryGoesLast()
    {
        TaskQueue q;
        for (TaskId id = 0; id < 10; ++id)
            q.push_back(id);
        q.pop_front(); // 0 runs
        q.pop_front(); // 1 runs
        q.push_front(1); // drained: back where it was
        q.push_front(0);
        q.push_back(0); // and a retry of 0 at the end
        QList<TaskId> order;
        while (!q.empty()) {
            order << q.front();
            q.pop_front();
        }
        QCOMPARE(order, (QList<TaskId> { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0 }));
    }

    void clearEmpties()
    {
        TaskQueue q;
        q.push_back(5);
        q.push_front(3);
        q.push_back(9);
        q.clear();
        QVERIFY(q.empty());
        q.push_back(2); // a fresh run
        QCOMPARE(q.front(), TaskId(2));
        QCOMPARE(q.size(), size_t(1));
    }

    // Random operations against the reference, with a fixed seed: same order, same sizes.
    void matchesADeque_data()
    {
        QTest::addColumn<quint32>("seed");
        for (quint32 seed : { 1u, 7u, 42u, 2024u, 99991u })
            QTest::newRow(qPrintable(QString::number(seed))) << seed;
    }

    void matchesADeque()
    {
        QFETCH(quint32, seed);
        QRandomGenerator random(seed);
        TaskQueue q;
        std::deque<TaskId> reference;
        TaskId next = 0;
        for (int step = 0; step < 20000; ++step) {
            const int op = int(random.bounded(10));
            if (op < 4) {
                q.push_back(next);
                reference.push_back(next++);
            } else if (op < 5 && !reference.empty()) {
                const TaskId id = TaskId(random.bounded(int(next) + 1));
                q.push_back(id); // a retry: any id, out of order
                reference.push_back(id);
            } else if (op < 6) {
                const TaskId id = reference.empty() ? next : reference.front() - 1;
                if (id >= 0) {
                    q.push_front(id); // a requeue, often just before the run
                    reference.push_front(id);
                }
            } else if (op < 9 && !reference.empty()) {
                QCOMPARE(q.front(), reference.front());
                q.pop_front();
                reference.pop_front();
            } else if (op == 9 && random.bounded(200) == 0) {
                q.clear();
                reference.clear();
            }
            QCOMPARE(q.size(), reference.size());
            QCOMPARE(q.empty(), reference.empty());
            if (!reference.empty())
                QCOMPARE(q.front(), reference.front());
        }
        while (!reference.empty()) {
            QCOMPARE(q.front(), reference.front());
            q.pop_front();
            reference.pop_front();
        }
        QVERIFY(q.empty());
    }
};

QTEST_GUILESS_MAIN(TestTaskQueue)
#include "tst_taskqueue.moc"
