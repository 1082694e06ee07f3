#include "bytes.h"
#include "joblog.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
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
    void tornRowWithNineColumns();
    void nulTail_data();
    void nulTail();
    void freshRefusesSymlink();
    void resumeRefusesSymlink();
    void refusesToCutANonJoblog();
    void deviceIsWrittenInPlace();
    void commandKeepsItsBytes();

private:
    static void writeFile(const QString &path, const QByteArray &data);
    static QByteArray readFile(const QString &path);
};

void TestJoblog::writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(data), data.size());
}

QByteArray TestJoblog::readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

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
    static const char expected[]
        = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n"
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
    QVERIFY2(read->warning.contains(u"torn last line"_s) && read->warning.contains(u":3:"_s),
             qPrintable(read->warning));

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

// A row without its newline may have been cut after 9 valid columns: it is torn all the same,
// reported, not counted as done, and cut off before the next row is appended.
void TestJoblog::tornRowWithNineColumns()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"log"_s);
    writeFile(path,
              JoblogWriter::header()
                  + "1\t:\t1.0\t0.1\t0\t0\t0\t0\ta\n2\t:\t1.0\t0.1\t0\t0\t0\t0\tech");
    auto read = readJoblog(path);
    QVERIFY(read.ok());
    QCOMPARE(read->seqs.size(), 1);
    QVERIFY(!read->seqs.contains(2));
    QVERIFY2(read->warning.contains(u"torn last line"_s) && read->warning.contains(path + u":3:"_s),
             qPrintable(read->warning));

    JoblogWriter w;
    QVERIFY(w.open(path, false).ok());
    QVERIFY(w.append(2, 1, 1, 0, ExitStatus::exited(0), u"echo"_s).ok());
    const QByteArray data = readFile(path);
    QVERIFY2(!data.contains("\tech2"), data.constData());
    read = readJoblog(path);
    QVERIFY(read.ok());
    QCOMPARE(read->rows, 2);
    QVERIFY(read->warning.isEmpty());
}

void TestJoblog::nulTail_data()
{
    const QByteArray row1 = "1\t:\t1.0\t0.1\t0\t0\t0\t0\ta\n";
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<int>("done");
    QTest::newRow("after a row") << JoblogWriter::header() + row1 + QByteArray(4096, '\0') << 1;
    QTest::newRow("after a torn row")
        << JoblogWriter::header() + row1 + "2\t:\t1." + QByteArray(100, '\0') << 1;
    QTest::newRow("longer than a read")
        << JoblogWriter::header() + row1 + QByteArray(200 * 1024, '\0') << 1;
    QTest::newRow("nothing else") << QByteArray(8192, '\0') << 0;
    QTest::newRow("after part of the header")
        << JoblogWriter::header().left(7) + QByteArray(10, '\0') << 0;
}

// A crash can leave a tail of NUL bytes: reported (naming the file), ignored, and cut off when
// a resumed run appends, so the joblog stays usable.
void TestJoblog::nulTail()
{
    QFETCH(QByteArray, data);
    QFETCH(int, done);
    QTemporaryDir dir;
    const QString path = dir.filePath(u"log"_s);
    writeFile(path, data);
    auto read = readJoblog(path);
    QVERIFY2(read.ok(), qPrintable(read.ok() ? QString() : read.error()));
    QCOMPARE(read->seqs.size(), done);
    QVERIFY2(read->warning.contains(u"NUL bytes"_s) && read->warning.contains(path),
             qPrintable(read->warning));

    {
        JoblogWriter w;
        QVERIFY(w.open(path, false).ok());
        QVERIFY(w.append(2, 1, 1, 0, ExitStatus::exited(0), u"b"_s).ok());
    }
    const QByteArray after = readFile(path);
    QVERIFY(!after.contains('\0'));
    QVERIFY(after.startsWith(JoblogWriter::header()));
    QCOMPARE(after.count("Seq\t"), 1);
    read = readJoblog(path);
    QVERIFY(read.ok());
    QCOMPARE(read->seqs.size(), done + 1);
    QVERIFY2(read->warning.isEmpty(), qPrintable(read->warning));
}

// A fresh joblog replaces a symlink planted at its path; it never writes through it.
void TestJoblog::freshRefusesSymlink()
{
    // A symlink at the path is neither followed (a planted link to someone's file) nor replaced
    // (/dev/stdout is a symlink too, and renaming over it would break the system): refused.
    QTemporaryDir dir;
    const QString path = dir.filePath(u"log"_s);
    const QString victim = dir.filePath(u"victim"_s);
    writeFile(victim, "precious\n");
    QVERIFY(QFile::link(victim, path));
    {
        JoblogWriter w;
        const auto opened = w.open(path, true);
        QVERIFY(!opened.ok());
        QVERIFY2(opened.error().contains(u"symbolic link"_s), qPrintable(opened.error()));
    }
    QCOMPARE(readFile(victim), QByteArray("precious\n"));
    QVERIFY(QFileInfo(path).isSymLink());
    // A dangling symlink too; and nothing is left behind in the folder.
    QVERIFY(QFile::remove(path));
    QVERIFY(QFile::link(dir.filePath(u"nowhere"_s), path));
    {
        JoblogWriter w;
        QVERIFY(!w.open(path, true).ok());
    }
    QVERIFY(!QFileInfo::exists(dir.filePath(u"nowhere"_s)));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::System),
             QStringList({ u"log"_s, u"victim"_s })); // no temporary file left
    // A symlink to a device is what /dev/stderr is: written through.
    QVERIFY(QFile::remove(path));
    QVERIFY(QFile::link(u"/dev/null"_s, path));
    {
        JoblogWriter w;
        QVERIFY(w.open(path, true).ok());
        QVERIFY(w.append(1, 1, 1, 0, ExitStatus::exited(0), u"a"_s).ok());
    }
    QVERIFY(QFileInfo(path).isSymLink());
}

void TestJoblog::resumeRefusesSymlink()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"log"_s);
    const QString victim = dir.filePath(u"victim"_s);
    writeFile(victim, JoblogWriter::header() + "1\t:\t1.0\t0.1\t0\t0\t0\t0\ta\n");
    QVERIFY(QFile::link(victim, path));
    JoblogWriter w;
    const auto opened = w.open(path, false);
    QVERIFY(!opened.ok());
    QVERIFY2(opened.error().contains(u"symbolic link"_s) && opened.error().contains(path),
             qPrintable(opened.error()));
    const auto read = readJoblog(path);
    QVERIFY(!read.ok());
    QVERIFY2(read.error().contains(u"symbolic link"_s), qPrintable(read.error()));
    QCOMPARE(readFile(victim), JoblogWriter::header() + "1\t:\t1.0\t0.1\t0\t0\t0\t0\ta\n");
}

// A file with no complete line that is not a joblog's start is not cut to make room.
void TestJoblog::refusesToCutANonJoblog()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"notes"_s);
    writeFile(path, "my thesis, no newline");
    JoblogWriter w;
    const auto opened = w.open(path, false);
    QVERIFY(!opened.ok());
    QVERIFY2(opened.error().contains(u"does not look like a joblog"_s), qPrintable(opened.error()));
    QCOMPARE(readFile(path), QByteArray("my thesis, no newline"));
}

void TestJoblog::deviceIsWrittenInPlace()
{
    for (bool fresh : { true, false }) {
        JoblogWriter w;
        const auto opened = w.open(u"/dev/null"_s, fresh);
        QVERIFY2(opened.ok(), qPrintable(opened.error()));
        QVERIFY(w.append(1, 1, 1, 0, ExitStatus::exited(0), u"a"_s).ok());
    }
    QFileInfo null(u"/dev/null"_s);
    QVERIFY(!null.isFile());
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
