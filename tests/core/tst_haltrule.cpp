#include "haltrule.h"

#include <QTest>

#include <csignal>

using namespace shoal;

Q_DECLARE_METATYPE(shoal::HaltPolicy)
Q_DECLARE_METATYPE(shoal::ExitStatus)

// The halt rule alone: when failures stop a batch and GNU parallel's exit status for it.
class TestHaltRule : public QObject
{
    Q_OBJECT
private slots:
    void decides_data()
    {
        QTest::addColumn<HaltPolicy>("policy");
        QTest::addColumn<qint64>("failed");
        QTest::addColumn<qint64>("total");
        QTest::addColumn<ExitStatus>("lastFailure");
        QTest::addColumn<bool>("halt");
        QTest::addColumn<int>("status");

        const auto soon = [](int count, double percent = 0) {
            return HaltPolicy { HaltPolicy::When::Soon, count, percent };
        };
        const HaltPolicy never;
        const HaltPolicy now { HaltPolicy::When::Now, 1, 0 };
        // Never: no number of failures halts.
        QTest::newRow("never") << never << qint64(50) << qint64(50) << ExitStatus::exited(3)
                               << false << 0;
        // fail=1: the failing task's own status; a signal as a shell reports it; 256 wraps to 1.
        QTest::newRow("fail=1 exit 3")
            << now << qint64(1) << qint64(10) << ExitStatus::exited(3) << true << 3;
        QTest::newRow("fail=1 SIGKILL") << now << qint64(1) << qint64(10)
                                        << ExitStatus::signaled(SIGKILL) << true << 128 + SIGKILL;
        QTest::newRow("fail=1 exit 256")
            << soon(1) << qint64(1) << qint64(10) << ExitStatus::exited(256) << true << 1;
        QTest::newRow("fail=1 timed out")
            << soon(1) << qint64(1) << qint64(10) << ExitStatus::timedOut(SIGTERM) << true
            << (ExitStatus::timedOut(SIGTERM).joblogExitval() & 0xff
                    ? ExitStatus::timedOut(SIGTERM).joblogExitval() & 0xff
                    : 1);
        // fail=N: below N nothing; at N the count of failed tasks, at most 101.
        QTest::newRow("fail=3 at 2")
            << soon(3) << qint64(2) << qint64(10) << ExitStatus::exited(1) << false << 0;
        QTest::newRow("fail=3 at 3")
            << soon(3) << qint64(3) << qint64(10) << ExitStatus::exited(7) << true << 3;
        QTest::newRow("fail=200 at 200")
            << soon(200) << qint64(200) << qint64(500) << ExitStatus::exited(1) << true << 101;
        // fail=P%: the failed percentage of all tasks, rounded up.
        QTest::newRow("10% at 1 of 20")
            << soon(0, 10) << qint64(1) << qint64(20) << ExitStatus::exited(1) << false << 0;
        QTest::newRow("10% at 2 of 20")
            << soon(0, 10) << qint64(2) << qint64(20) << ExitStatus::exited(9) << true << 10;
        QTest::newRow("30% at 1 of 3")
            << soon(0, 30) << qint64(1) << qint64(3) << ExitStatus::exited(9) << true << 34;
        // ...except where P% of the tasks is exactly one task: then as fail=1.
        QTest::newRow("5% of 20 is one task")
            << soon(0, 5) << qint64(1) << qint64(20) << ExitStatus::exited(9) << true << 9;
    }

    void decides()
    {
        QFETCH(HaltPolicy, policy);
        QFETCH(qint64, failed);
        QFETCH(qint64, total);
        QFETCH(ExitStatus, lastFailure);
        QFETCH(bool, halt);
        QFETCH(int, status);
        const HaltDecision d = decideHalt(policy, failed, total, lastFailure);
        QCOMPARE(d.halt, halt);
        QCOMPARE(d.exitStatus, status);
    }
};

QTEST_GUILESS_MAIN(TestHaltRule)
#include "tst_haltrule.moc"
