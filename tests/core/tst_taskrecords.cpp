#include "taskrecords.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

QByteArray row(qint64 seq)
{
    return JoblogWriter::formatRow(seq, 1.0, 0.5, 3, ExitStatus::exited(0), u"echo %1"_s.arg(seq));
}

} // namespace

// What a terminal task leaves on disk, alone: --results files first, then the joblog row, and
// nothing more once one of them could not be written.
class TestTaskRecords : public QObject
{
    Q_OBJECT
private slots:
    void resultsThenRow()
    {
        QTemporaryDir dir;
        TaskRecords records;
        const QString joblog = dir.filePath(u"joblog"_s);
        QVERIFY(records.open({ dir.filePath(u"out"_s), joblog, false, false }).ok());
        QVERIFY(records.hasResults());
        QVERIFY(records.writesRows());
        int rowsMade = 0;
        QVERIFY(records
                    .record(7, "a b", { "out\n" }, { "err\n" },
                            [&] {
                                ++rowsMade;
                                return row(7);
                            })
                    .ok());
        QCOMPARE(rowsMade, 1);
        QCOMPARE(readAll(dir.filePath(u"out/1/a b/seq"_s)), QByteArray("7\n"));
        QCOMPARE(readAll(dir.filePath(u"out/1/a b/stdout"_s)), QByteArray("out\n"));
        QCOMPARE(readAll(dir.filePath(u"out/1/a b/stderr"_s)), QByteArray("err\n"));
        QCOMPARE(readAll(joblog), JoblogWriter::header() + row(7));
    }

    void rowsAfterDeliveryAreTheFrontEndsToWrite()
    {
        QTemporaryDir dir;
        TaskRecords records;
        const QString joblog = dir.filePath(u"joblog"_s);
        QVERIFY(records.open({ {}, joblog, false, true }).ok());
        QVERIFY(!records.writesRows());
        QVERIFY(records.writesDeliveredRows());
        // record() makes no row: the front end writes it once the output is out.
        QVERIFY(records
                    .record(1, "x", {}, {},
                            [] {
                                QTest::qFail("row made", __FILE__, __LINE__);
                                return QByteArray();
                            })
                    .ok());
        QCOMPARE(readAll(joblog), JoblogWriter::header());
        QVERIFY(records.writeDelivered(row(1) + row(2)).ok());
        QCOMPARE(readAll(joblog), JoblogWriter::header() + row(1) + row(2));
    }

    void resumeKeepsTheRowsThere()
    {
        QTemporaryDir dir;
        const QString joblog = dir.filePath(u"joblog"_s);
        {
            TaskRecords first;
            QVERIFY(first.open({ {}, joblog, false, false }).ok());
            QVERIFY(first.record(1, "x", {}, {}, [] { return row(1); }).ok());
        }
        TaskRecords resumed;
        QVERIFY(resumed.open({ {}, joblog, true, false }).ok());
        QVERIFY(resumed.record(2, "y", {}, {}, [] { return row(2); }).ok());
        QCOMPARE(readAll(joblog), JoblogWriter::header() + row(1) + row(2));
    }

    void noRowWithoutItsFiles()
    {
        QTemporaryDir dir;
        TaskRecords records;
        const QString joblog = dir.filePath(u"joblog"_s);
        const QString results = dir.filePath(u"out"_s);
        QVERIFY(records.open({ results, joblog, false, false }).ok());
        // A file where the task's folder has to go: its results cannot be written.
        QFile blocker(results + u"/1/blocked"_s);
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        const auto failed = records.record(1, "blocked", { "o" }, {}, [] { return row(1); });
        QVERIFY(!failed.ok());
        QVERIFY2(failed.error().contains(u"blocked"_s), qPrintable(failed.error()));
        QVERIFY(records.isBroken());
        // Nothing is recorded from then on, not even what could be written: a row after a gap
        // would tell --resume that the missing task is done.
        QVERIFY(records.record(2, "fine", { "o" }, {}, [] { return row(2); }).ok());
        QVERIFY(records.writeDelivered(row(3)).ok());
        QCOMPARE(readAll(joblog), JoblogWriter::header());
        QVERIFY(!QDir(results + u"/1/fine"_s).exists());
    }

    void openErrorsNameThePath()
    {
        QTemporaryDir dir;
        QFile file(dir.filePath(u"a-file"_s));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        TaskRecords records;
        const auto opened = records.open({ dir.filePath(u"a-file/sub"_s), {}, false, false });
        QVERIFY(!opened.ok());
        QVERIFY2(opened.error().contains(u"a-file"_s), qPrintable(opened.error()));
    }
};

QTEST_APPLESS_MAIN(TestTaskRecords)
#include "tst_taskrecords.moc"
