#include "taskledger.h"

#include <QTest>

#include <csignal>

using namespace shoal;

Q_DECLARE_METATYPE(shoal::ExitStatus)

// The ledger alone: the retry-or-terminal rule, the queue it keeps and the counts by state.
class TestTaskLedger : public QObject
{
    Q_OBJECT
private slots:
    void settle_data()
    {
        QTest::addColumn<ExitStatus>("exit");
        QTest::addColumn<int>("attemptsUsed");
        QTest::addColumn<bool>("mayRetry");
        QTest::addColumn<TaskState>("state");

        const ExitStatus failed = ExitStatus::exited(2);
        QTest::newRow("success") << ExitStatus::exited(0) << 1 << true << TaskState::Succeeded;
        QTest::newRow("failure, attempts left") << failed << 1 << true << TaskState::Retrying;
        QTest::newRow("failure, last attempt") << failed << 3 << true << TaskState::Failed;
        QTest::newRow("failure, batch stopping") << failed << 1 << false << TaskState::Failed;
        QTest::newRow("signal, attempts left")
            << ExitStatus::signaled(SIGSEGV) << 1 << true << TaskState::Retrying;
        QTest::newRow("timeout, attempts left")
            << ExitStatus::timedOut(SIGTERM) << 2 << true << TaskState::Retrying;
        QTest::newRow("timeout, last attempt")
            << ExitStatus::timedOut(SIGTERM) << 3 << true << TaskState::TimedOut;
        // A cancel is the user's word: never retried, even with attempts left.
        QTest::newRow("cancel, attempts left")
            << ExitStatus::cancelled(SIGTERM) << 1 << true << TaskState::Cancelled;
        QTest::newRow("memory limit, last attempt")
            << ExitStatus::memoryLimit(300, 200) << 3 << true << TaskState::Failed;
        QTest::newRow("did not start, attempts left")
            << ExitStatus::failedToStart(ENOENT) << 1 << true << TaskState::Retrying;
        QTest::newRow("output lost, last attempt")
            << ExitStatus::outputLost(ExitStatus::exited(0), ENOSPC) << 3 << true
            << TaskState::Failed;
    }
    void settle()
    {
        QFETCH(ExitStatus, exit);
        QFETCH(int, attemptsUsed);
        QFETCH(bool, mayRetry);
        QFETCH(TaskState, state);

        TaskLedger ledger(3);
        const TaskId id = ledger.add(1);
        for (int i = 0; i < attemptsUsed; ++i) {
            QCOMPARE(ledger.takeNext(), id);
            ledger.begin(id, 1, 10 * i);
            QCOMPARE(ledger.running(), 1);
            if (i + 1 < attemptsUsed)
                QCOMPARE(ledger.settle(id, ExitStatus::exited(1), true), TaskState::Retrying);
        }
        QCOMPARE(ledger.settle(id, exit, mayRetry), state);
        QCOMPARE(ledger[id].state, state);
        QCOMPARE(ledger[id].exit, exit);
        QCOMPARE(ledger.running(), 0);
        // A retried task waits at the back of the queue; a terminal one is counted once.
        QCOMPARE(ledger.takeNext(), state == TaskState::Retrying ? id : TaskId(-1));
        QCOMPARE(ledger.succeeded(), state == TaskState::Succeeded ? 1 : 0);
        QCOMPARE(ledger.failed(),
                 state == TaskState::Failed || state == TaskState::TimedOut ? 1 : 0);
        QCOMPARE(ledger.cancelled(), state == TaskState::Cancelled ? 1 : 0);
        QCOMPARE(ledger.allEnded(), isTerminal(state));
    }

    void retriesComeBeforeFreshWork()
    {
        // A failed task is retried promptly (GNU parallel puts it back at the head of its
        // queue): it does not wait behind every fresh task as "queued for retry".
        TaskLedger ledger(2);
        for (int seq = 1; seq <= 3; ++seq)
            ledger.add(seq);
        const TaskId first = ledger.takeNext();
        ledger.begin(first, 1, 0);
        ledger.settle(first, ExitStatus::exited(1), true);
        QCOMPARE(ledger.takeNext(), first);
        QCOMPARE(ledger.takeNext(), 1);
        QCOMPARE(ledger.takeNext(), 2);
        QCOMPARE(ledger.takeNext(), -1);
    }

    void requeueGivesTheAttemptBack()
    {
        TaskLedger ledger(1);
        ledger.add(1);
        ledger.add(2);
        QCOMPARE(ledger.takeNext(), 0);
        ledger.begin(0, 1, 0);
        ledger.requeue(0);
        QCOMPARE(ledger[0].state, TaskState::Queued);
        QCOMPARE(ledger[0].attempts, 0);
        QCOMPARE(ledger.running(), 0);
        QCOMPARE(ledger.takeNext(), 0); // at the front, ahead of task 1
        // Its one attempt is still there: a failure now is final.
        ledger.begin(0, 1, 0);
        QCOMPARE(ledger.settle(0, ExitStatus::exited(1), true), TaskState::Failed);
        // Requeueing a task that is not running changes nothing.
        ledger.requeue(0);
        QCOMPARE(ledger[0].state, TaskState::Failed);
    }

    void waitingTasksSettleWithoutRunning()
    {
        TaskLedger ledger(3);
        ledger.add(1);
        ledger.add(2);
        ledger.add(3);
        QCOMPARE(ledger.settle(1, ExitStatus::cancelled(0), false), TaskState::Cancelled);
        QCOMPARE(ledger.settle(2, ExitStatus::exited(1), false), TaskState::Failed);
        QCOMPARE(ledger.running(), 0);
        QCOMPARE(ledger.queuedCount(), 3); // ids stay queued; takeNext skips ended ones
        QCOMPARE(ledger.takeNext(), 0);
        QCOMPARE(ledger.takeNext(), -1);
        QCOMPARE(ledger.cancelled(), 1);
        QCOMPARE(ledger.failed(), 1);
    }

    void reopenRestoresEveryAttempt()
    {
        TaskLedger ledger(2);
        ledger.add(1);
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(ledger.takeNext(), 0);
            ledger.begin(0, 1, 0);
            ledger.settle(0, ExitStatus::exited(1), true);
        }
        ledger.add(2);
        QCOMPARE(ledger[0].state, TaskState::Failed);
        QVERIFY(!ledger.reopen(1)); // queued: nothing to reopen
        QVERIFY(ledger.reopen(0));
        QCOMPARE(ledger.failed(), 0);
        QCOMPARE(ledger[0].attempts, 0);
        QCOMPARE(ledger[0].exit, ExitStatus());
        QCOMPARE(ledger.takeNext(), 1);
        QCOMPARE(ledger.takeNext(), 0);
        ledger.begin(0, 1, 0);
        QCOMPARE(ledger.settle(0, ExitStatus::exited(0), true), TaskState::Succeeded);
        QVERIFY(!ledger.reopen(0)); // succeeded: stays done
        QCOMPARE(ledger.succeeded(), 1);
    }

    void seqsAreKeptOnlyWhenNotTheirPlace()
    {
        TaskLedger plain;
        for (int seq = 1; seq <= 3; ++seq)
            plain.add(seq);
        QCOMPARE(plain.seqOf(2), 3);
        // --resume skips the Seqs the joblog lists: the others keep theirs.
        TaskLedger resumed;
        for (qint64 seq : { 1, 2, 5, 6, 9 })
            resumed.add(seq);
        TaskLedger skippedFirst; // the joblog lists the first Seqs
        for (qint64 seq : { 3, 4 })
            skippedFirst.add(seq);
        QCOMPARE(skippedFirst.seqOf(0), 3);
        QCOMPARE(skippedFirst.seqOf(1), 4);
        QCOMPARE(resumed.seqOf(0), 1);
        QCOMPARE(resumed.seqOf(1), 2);
        QCOMPARE(resumed.seqOf(2), 5);
        QCOMPARE(resumed.seqOf(4), 9);
    }

    void recordsStayPutAsTheLedgerGrows()
    {
        // Records live in 2 MiB chunks: past the first chunks, the earlier records are neither
        // moved nor reset, and every Seq and record is still found by its id.
        constexpr qint64 count = 2 * qint64(ChunkedArray<TaskLedger::Record>::kPerChunk) + 5;
        TaskLedger ledger;
        ledger.add(1);
        TaskLedger::Record *first = &ledger[0];
        ledger.begin(ledger.takeNext(), 7, 1234);
        for (qint64 seq = 2; seq <= count; ++seq)
            ledger.add(seq);
        QCOMPARE(ledger.size(), count);
        QCOMPARE(&ledger[0], first);
        QCOMPARE(ledger[0].slot, 7);
        QCOMPARE(ledger[0].startedMs, 1234);
        QCOMPARE(ledger[count - 1].state, TaskState::Queued);
        QCOMPARE(ledger.seqOf(count - 1), count);
        QCOMPARE(ledger.queuedCount(), count - 1);
    }

    void durationsSaturate()
    {
        TaskLedger::Record record;
        record.setDuration(-5); // a clock step back never wraps around
        QCOMPARE(record.durationMs, 0u);
        record.setDuration(qint64(1) << 40);
        QCOMPARE(record.durationMs, UINT32_MAX);
        record.setDuration(86'400'000);
        QCOMPARE(record.durationMs, 86'400'000u);
    }

    void manyTasksCountConsistently()
    {
        // Seeded random walk over every transition; the counts always add up.
        TaskLedger ledger(3);
        for (int seq = 1; seq <= 500; ++seq)
            ledger.add(seq);
        quint32 seed = 12345;
        auto next = [&seed] { return (seed = seed * 1664525u + 1013904223u) >> 8; };
        std::vector<TaskId> running;
        for (int step = 0; step < 20000 && !ledger.allEnded(); ++step) {
            if (running.size() < 8) {
                const TaskId id = ledger.takeNext();
                if (id >= 0) {
                    ledger.begin(id, 1, step);
                    running.push_back(id);
                    continue;
                }
            }
            if (running.empty())
                break;
            const size_t at = next() % running.size();
            const TaskId id = running[at];
            running.erase(running.begin() + qsizetype(at));
            switch (next() % 4) {
            case 0:
                ledger.requeue(id);
                break;
            case 1:
                ledger.settle(id, ExitStatus::exited(1), true);
                break;
            case 2:
                ledger.settle(id, ExitStatus::cancelled(SIGTERM), true);
                break;
            default:
                ledger.settle(id, ExitStatus::exited(0), true);
                break;
            }
            qint64 running = 0, ended = 0;
            for (TaskId t = 0; t < ledger.size(); ++t) {
                running += TaskLedger::isRunning(ledger[t].state);
                ended += isTerminal(ledger[t].state);
            }
            QCOMPARE(ledger.running(), running);
            QCOMPARE(ledger.ended(), ended);
        }
        QVERIFY(ledger.allEnded());
    }
};

QTEST_APPLESS_MAIN(TestTaskLedger)
#include "tst_taskledger.moc"
