#include "bytes.h"
#include "joblog.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;

class TestJoblog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void writesGnuFormat();
    void appendKeepsHeaderOnce();
    void readSuccessAndFailure();
    void tornLastLine();
    void malformedMiddleLine();
    void missingIsEmpty();
    void commandKeepsItsBytes();
};

void TestJoblog::writesGnuFormat()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"log"_s);
    JoblogWriter w;
    QVERIFY(w.open(path, true).ok());
    QVERIFY(w.append(1, 1700000000.1234, 0.5, 12, ExitStatus::exited(0), u"echo 'a b'"_s).ok());
    QVERIFY(w.append(2, 1700000001.0, 1.25, 0, ExitStatus::timedOut(15), u"sleep 3"_s).ok());
    QVERIFY(w.append(3, 1700000002.0, 0, 0, ExitStatus::signaled(9), u"x\ny"_s).ok());
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    static const char expected[] = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n"
                                "1\t:\t1700000000.123\t     0.500\t0\t12\t0\t0\techo 'a b'\n"
                                "2\t:\t1700000001.000\t     1.250\t0\t0\t-1\t15\tsleep 3\n"
                                "3\t:\t1700000002.000\t     0.000\t0\t0\t0\t9\tx\0y\n";
    QCOMPARE(f.readAll(), QByteArray(expected, sizeof expected - 1));
}

void TestJoblog::appendKeepsHeaderOnce()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"log"_s);
    {
        JoblogWriter w;
        QVERIFY(w.open(path, true).ok());
        QVERIFY(w.append(1, 1, 1, 0, ExitStatus::exited(0), u"a"_s).ok());
    }
    {
        JoblogWriter w;
        QVERIFY(w.open(path, false).ok());
        QVERIFY(w.append(2, 1, 1, 0, ExitStatus::exited(1), u"b"_s).ok());
    }
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll().count("Seq\t"), 1);
    auto read = readJoblog(path);
    QVERIFY(read.ok());
    QCOMPARE(read->rows, 2);
}

void TestJoblog::readSuccessAndFailure()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"log"_s);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(JoblogWriter::header());
    f.write("1\t:\t1.0\t0.1\t0\t0\t0\t0\ta\n"
            "2\t:\t1.0\t0.1\t0\t0\t1\t0\tb\n"
            "3\t:\t1.0\t0.1\t0\t0\t-1\t15\tc\n"
            "2\t:\t2.0\t0.1\t0\t0\t0\t0\tb\n");
    f.close();
    auto read = readJoblog(path);
    QVERIFY(read.ok());
    QCOMPARE(read->seqs.size(), 3);
    QCOMPARE(read->seqs.value(1), true);
    QCOMPARE(read->seqs.value(2), true); // a later row succeeded
    QCOMPARE(read->seqs.value(3), false);
    QVERIFY(read->warning.isEmpty());
}

void TestJoblog::tornLastLine()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"log"_s);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(JoblogWriter::header());
    f.write("1\t:\t1.0\t0.1\t0\t0\t0\t0\ta\n2\t:\t1.0\t0.");
    f.close();
    auto read = readJoblog(path);
    QVERIFY(read.ok());
    QCOMPARE(read->seqs.size(), 1);
    QVERIFY2(read->warning.contains(u"torn last line"_s) && read->warning.contains(u":3:"_s), qPrintable(read->warning));

    // Appending (a resumed run) first cuts the torn fragment off.
    JoblogWriter w;
    QVERIFY(w.open(path, false).ok());
    QVERIFY(w.append(2, 1, 1, 0, ExitStatus::exited(0), u"b"_s).ok());
    read = readJoblog(path);
    QVERIFY(read.ok());
    QCOMPARE(read->seqs.size(), 2);
    QVERIFY(read->warning.isEmpty());
}

void TestJoblog::malformedMiddleLine()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"log"_s);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(JoblogWriter::header());
    f.write("garbage here\n1\t:\t1.0\t0.1\t0\t0\t0\t0\ta\n");
    f.close();
    auto read = readJoblog(path);
    QVERIFY(!read.ok());
    QVERIFY2(read.error().contains(path + u":2:"_s), qPrintable(read.error()));
}

void TestJoblog::missingIsEmpty()
{
    auto read = readJoblog(u"/nonexistent/joblog"_s);
    QVERIFY(read.ok());
    QCOMPARE(read->seqs.size(), 0);
}

// The Command column holds the input's own bytes (as GNU parallel writes them), not U+FFFD.
void TestJoblog::commandKeepsItsBytes()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"log"_s);
    JoblogWriter w;
    QVERIFY(w.open(path, true).ok());
    QVERIFY(w.append(1, 1, 1, 0, ExitStatus::exited(0), decodeBytes("ls 'caf\xe9.txt'")).ok());
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().endsWith("\tls 'caf\xe9.txt'\n"));
}

QTEST_GUILESS_MAIN(TestJoblog)
#include "tst_joblog.moc"
