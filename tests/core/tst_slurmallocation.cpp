// SlurmAllocation's pure parts: Slurm's CPUs-per-node list, and the srun arguments --slurm
// refuses. (The allocation itself is tested against a real Slurm in tst_slurmhosts.)

#include "slurmallocation.h"

#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;

class TestSlurmAllocation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cpusPerNode_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("count");
        QTest::addColumn<QList<int>>("cpus");
        QTest::newRow("one") << u"8"_s << 1 << QList<int> { 8 };
        QTest::newRow("repeated") << u"2(x3)"_s << 3 << QList<int> { 2, 2, 2 };
        QTest::newRow("mixed") << u"4(x2),1,16"_s << 4 << QList<int> { 4, 4, 1, 16 };
        QTest::newRow("too few") << u"4(x2)"_s << 3 << QList<int> {};
        QTest::newRow("too many") << u"4(x2),2"_s << 2 << QList<int> {};
        QTest::newRow("empty") << u""_s << 1 << QList<int> {};
        QTest::newRow("garbage") << u"4(y2)"_s << 2 << QList<int> {};
        QTest::newRow("zero") << u"0"_s << 1 << QList<int> {};
    }

    void cpusPerNode()
    {
        QFETCH(QString, text);
        QFETCH(int, count);
        QFETCH(QList<int>, cpus);
        const std::vector<int> got = SlurmAllocation::parseCpusPerNode(text, count);
        QCOMPARE(QList<int>(got.begin(), got.end()), cpus);
    }

    void refusedArguments_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("refused"); // empty: accepted
        QTest::newRow("plain") << QStringList { u"-N2"_s, u"-c"_s, u"8"_s, u"-p"_s, u"short"_s }
                               << QString();
        QTest::newRow("job name") << QStringList { u"-J"_s, u"sweep"_s } << QString();
        QTest::newRow("output") << QStringList { u"-o"_s, u"out.txt"_s } << u"-o"_s;
        QTest::newRow("output attached") << QStringList { u"-oout.txt"_s } << u"-o"_s;
        QTest::newRow("long output") << QStringList { u"--output=x"_s } << u"--output"_s;
        QTest::newRow("input") << QStringList { u"--input=none"_s } << u"--input"_s;
        QTest::newRow("pty") << QStringList { u"--pty"_s } << u"--pty"_s;
        QTest::newRow("another job") << QStringList { u"--jobid=12"_s } << u"--jobid"_s;
    }

    void refusedArguments()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, refused);
        const QString error = SlurmAllocation::checkArgs(args);
        if (refused.isEmpty()) {
            QVERIFY2(error.isEmpty(), qPrintable(error));
        } else {
            QVERIFY2(error.startsWith(u"srun's %1 cannot be used with --slurm"_s.arg(refused)),
                     qPrintable(error));
        }
    }
};

QTEST_GUILESS_MAIN(TestSlurmAllocation)
#include "tst_slurmallocation.moc"
