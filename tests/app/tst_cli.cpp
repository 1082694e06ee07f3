#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::Literals::StringLiterals;
using namespace shoal::test;

namespace {

void writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(data);
}

// The joblog without its timing columns, rows sorted: what must match GNU parallel's.
QStringList comparableJoblog(const QString &path)
{
    QStringList rows;
    const QList<QByteArray> lines = readFile(path).split('\n');
    for (const QByteArray &line : lines) {
        if (line.isEmpty())
            continue;
        QList<QByteArray> cols = line.split('\t');
        if (cols.size() >= 9)
            cols.remove(2, 2); // Starttime, JobRuntime
        rows << QString::fromLocal8Bit(cols.join('\t'));
    }
    std::sort(rows.begin() + (rows.isEmpty() ? 0 : 1), rows.end());
    return rows;
}

QSet<QString> joblogSeqs(const QString &path, bool successfulOnly)
{
    QSet<QString> seqs;
    const QList<QByteArray> lines = readFile(path).split('\n');
    for (const QByteArray &line : lines.mid(1)) {
        const QList<QByteArray> cols = line.split('\t');
        if (cols.size() < 9)
            continue;
        if (!successfulOnly || (cols[6] == "0" && cols[7] == "0"))
            seqs.insert(QString::fromLatin1(cols[0]));
    }
    return seqs;
}

bool waitForFileContaining(const QString &path, const QByteArray &needle, int minCount,
                           int timeoutMs = 20000)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        if (readFile(path).count(needle) >= minCount)
            return true;
        QTest::qWait(10);
    }
    return false;
}

} // namespace

class TestCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void sameAsGnuParallel_data();
    void sameAsGnuParallel();
    void exitStatus_data();
    void exitStatus();
    void badInput_data();
    void badInput();
    void helpSaysWhatJoblogDoes();
    void outputIsWholeAndOrdered();
    void resultsLayout();
    void eventsFile();
    void batchFile();
    void inputsAreBytes();
    void resumeRunsOnlyWhatIsMissing();
    void resumeAfterShoalWasKilled();
    void serviceWorkers();
    void largeOutputsKeepMemoryBounded();
    void ctlSteersARun();
    void manyWorkersWithinTheFileLimit();
    void killedShoalLeavesNoProcess_data();
    void killedShoalLeavesNoProcess();
    void killedShoalLeavesNoEscapee_data();
    void killedShoalLeavesNoEscapee();
    void memoryLimitCountsEscapees();
    void windowEndsItsBatchOnSigterm();

private:
    QTemporaryDir m_dir;
    QString m_parallel;
};

void TestCli::initTestCase()
{
    becomeSubreaper();
    m_parallel = QStandardPaths::findExecutable(u"parallel"_s);
}

void TestCli::cleanup()
{
    const QStringList left = waitForNoChildren();
    QVERIFY2(left.isEmpty(), qPrintable(u"processes left behind: "_s + left.join(u", "_s)));
}

void TestCli::sameAsGnuParallel_data()
{
    QTest::addColumn<bool>("shell");
    QTest::addColumn<QStringList>("args");
    auto row = [](const char *name, bool shell, const QStringList &args) {
        QTest::newRow(name) << shell << args;
    };
    row("placeholders", false,
        { u"-j1"_s, u"echo"_s, u"{}"_s, u"{.}"_s, u"{/}"_s, u"{//}"_s, u"{/.}"_s, u"{#}"_s,
          u"{%}"_s, u":::"_s, u"a b/c.d"_s, u"it's"_s, QString(), u"/x/y.tar.gz"_s });
    row("input appended", false, { u"-j1"_s, u"echo"_s, u"pre"_s, u":::"_s, u"x"_s, u"y z"_s });
    row("exit codes", false,
        { u"-j1"_s, u"sh"_s, u"-c"_s, u"exit $0"_s, u":::"_s, u"0"_s, u"3"_s, u"4"_s });
    row("retries", false,
        { u"-j1"_s, u"--retries"_s, u"3"_s, u"sh"_s, u"-c"_s, u"echo try; exit 2"_s, u":::"_s,
          u"x"_s });
    row("timeout", false,
        { u"-j1"_s, u"--timeout"_s, u"1"_s, u"sleep"_s, u":::"_s, u"3"_s, u"0"_s });
    row("halt now", false,
        { u"-j1"_s, u"--halt"_s, u"now,fail=1"_s, u"sh"_s, u"-c"_s, u"exit $0"_s, u":::"_s, u"0"_s,
          u"3"_s, u"0"_s });
    row("halt percent", false,
        { u"-j1"_s, u"--halt"_s, u"soon,fail=50%"_s, u"sh"_s, u"-c"_s, u"exit $0"_s, u":::"_s,
          u"1"_s, u"1"_s, u"0"_s, u"0"_s });
    // fail=N (N > 1) exits N, a percentage exits the failed percentage rounded up, and P% that
    // is exactly one task behaves as fail=1, as in GNU parallel 20221122.
    row("halt soon fail=2", false,
        { u"-j1"_s, u"--halt"_s, u"soon,fail=2"_s, u"sh"_s, u"-c"_s, u"exit $0"_s, u":::"_s, u"7"_s,
          u"9"_s, u"0"_s, u"11"_s });
    row("halt now fail=3", false,
        { u"-j1"_s, u"--halt"_s, u"now,fail=3"_s, u"sh"_s, u"-c"_s, u"exit $0"_s, u":::"_s, u"7"_s,
          u"0"_s, u"9"_s, u"11"_s, u"0"_s });
    row("halt fail=2 by signals", false,
        { u"-j1"_s, u"--halt"_s, u"now,fail=2"_s, u"sh"_s, u"-c"_s, u"kill -9 $$"_s, u":::"_s,
          u"1"_s, u"2"_s, u"3"_s });
    row("halt fail=2 never reached", false,
        { u"-j1"_s, u"--halt"_s, u"soon,fail=2"_s, u"sh"_s, u"-c"_s, u"exit $0"_s, u":::"_s, u"3"_s,
          u"0"_s });
    row("halt percent rounds up", false,
        { u"-j1"_s, u"--halt"_s, u"soon,fail=30%"_s, u"sh"_s, u"-c"_s, u"exit $0"_s, u":::"_s,
          u"5"_s, u"0"_s, u"0"_s });
    row("halt percent of one task", false,
        { u"-j1"_s, u"--halt"_s, u"now,fail=25%"_s, u"sh"_s, u"-c"_s, u"exit $0"_s, u":::"_s,
          u"0"_s, u"6"_s, u"0"_s, u"0"_s });
    row("killed by a signal", false,
        { u"-j1"_s, u"--halt"_s, u"now,fail=1"_s, u"sh"_s, u"-c"_s, u"kill -9 $$"_s, u":::"_s,
          u"1"_s, u"2"_s });
    row("shell mode", true,
        { u"-j1"_s, u"echo {} | tr a-z A-Z"_s, u":::"_s, u"a b"_s, u"it's"_s, u"$(id)"_s });
    row("shell mode appended", true, { u"-j1"_s, u"echo"_s, u":::"_s, u"a  b"_s, u"*"_s });
    row("no inputs", false, { u"-j1"_s, u"echo"_s, u":::"_s });
    row("keep order", false,
        { u"-k"_s, u"-j2"_s, u"sh"_s, u"-c"_s, u"sleep $0; echo $0"_s, u":::"_s, u"0.3"_s, u"0.1"_s,
          u"0.2"_s });
    const QString latin1 = m_dir.filePath(u"latin1-inputs.txt"_s);
    writeFile(latin1,
              "caf\xe9.txt\n\xff x\n"); // bytes, not UTF-8: passed through and logged as they are
    row("bytes that are not UTF-8", false,
        { u"-j1"_s, u"echo"_s, u"{}"_s, u"{.}"_s, u"{/}"_s, u"::::"_s, latin1 });
    row("many failures", false,
        { u"-j2"_s, u"sh"_s, u"-c"_s, u"exit $(( $0 % 2 ))"_s, u":::"_s, u"1"_s, u"2"_s, u"3"_s,
          u"4"_s, u"5"_s, u"7"_s });
}

void TestCli::sameAsGnuParallel()
{
    if (m_parallel.isEmpty())
        QSKIP("GNU parallel is not installed (the setup script installs it)");
    QFETCH(bool, shell);
    QFETCH(QStringList, args);
    const QString gnuLog = m_dir.filePath(u"gnu.jl"_s);
    const QString ourLog = m_dir.filePath(u"shoal.jl"_s);

    QProcess gnu;
    gnu.start(m_parallel,
              QStringList { u"--will-cite"_s, u"--joblog"_s, gnuLog }
                  + (shell ? QStringList() : QStringList { u"-q"_s }) + args);
    gnu.closeWriteChannel();
    QVERIFY(gnu.waitForFinished(60000));
    const RunResult ours
        = runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"--joblog"_s, ourLog }
                   + (shell ? QStringList { u"--shell"_s } : QStringList()) + args);
    QCOMPARE(ours.exitCode, gnu.exitCode());
    QCOMPARE(ours.out, gnu.readAllStandardOutput());
    QCOMPARE(comparableJoblog(ourLog), comparableJoblog(gnuLog));
}

void TestCli::exitStatus_data()
{
    QTest::addColumn<int>("failing");
    QTest::addColumn<int>("status");
    QTest::newRow("all succeed") << 0 << 0;
    QTest::newRow("one fails") << 1 << 1;
    QTest::newRow("hundred fail") << 100 << 100;
    QTest::newRow("more than a hundred fail") << 105 << 101;
}

void TestCli::exitStatus()
{
    QFETCH(int, failing);
    QFETCH(int, status);
    QStringList inputs;
    for (int i = 0; i < 110; ++i)
        inputs << (i < failing ? u"1"_s : u"0"_s);
    const RunResult r = runShoal(
        QStringList { u"run"_s, u"--no-bar"_s, u"-j4"_s, u"sh"_s, u"-c"_s, u"exit $0"_s, u":::"_s }
        + inputs);
    QCOMPARE(r.exitCode, status);
}

void TestCli::badInput_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("unknown placeholder") << QStringList { u"echo"_s, u"{nope}"_s, u":::"_s, u"a"_s }
                                         << u"unknown placeholder '{nope}'"_s;
    QTest::newRow("missing program") << QStringList { u"no-such-program-xyz"_s, u":::"_s, u"a"_s }
                                     << u"'no-such-program-xyz': command not found"_s;
    QTest::newRow("unreadable input file")
        << QStringList { u"echo"_s, u"::::"_s, u"/nonexistent/inputs.txt"_s }
        << u"'/nonexistent/inputs.txt'"_s;
    QTest::newRow("missing batch file")
        << QStringList { u"--batch"_s, u"/nonexistent/b.shoal.json"_s }
        << u"/nonexistent/b.shoal.json"_s;
    QTest::newRow("bad jobs") << QStringList { u"-j"_s, u"many"_s, u"echo"_s, u":::"_s, u"a"_s }
                              << u"--jobs"_s;
    QTest::newRow("bad halt") << QStringList { u"--halt"_s, u"2"_s, u"echo"_s, u":::"_s, u"a"_s }
                              << u"--halt"_s;
    QTest::newRow("resume without joblog")
        << QStringList { u"--resume"_s, u"echo"_s, u":::"_s, u"a"_s } << u"--joblog"_s;
    QTest::newRow("two input sources")
        << QStringList { u"echo"_s, u":::"_s, u"a"_s, u":::"_s, u"b"_s } << u"one input source"_s;
    QTest::newRow("no command") << QStringList { u":::"_s, u"a"_s } << u"no command"_s;
    // Numbers: bounded (no overflow of the engine's milliseconds), finite, and big enough to work.
    const auto option = [](const char *name, const char *value) {
        return QStringList { QString::fromLatin1(name), QString::fromLatin1(value), u"echo"_s,
                             u":::"_s, u"a"_s };
    };
    QTest::newRow("grace overflows")
        << option("--grace", "3e6")
        << u"--grace needs a number of seconds from 0 to 86400 (a day), not '3e6'"_s;
    QTest::newRow("grace nan") << option("--grace", "nan")
                               << u"--grace needs a number of seconds"_s;
    QTest::newRow("grace inf") << option("--grace", "inf")
                               << u"--grace needs a number of seconds"_s;
    QTest::newRow("grace negative")
        << option("--grace", "-1") << u"--grace needs a number of seconds"_s;
    QTest::newRow("timeout nan")
        << option("--timeout", "nan")
        << u"--timeout needs 0 (none) or a number of seconds from 0.001 to 31536000 (a year), not 'nan'"_s;
    QTest::newRow("timeout inf") << option("--timeout", "inf") << u"--timeout needs 0 (none)"_s;
    QTest::newRow("timeout too long")
        << option("--timeout", "1e300") << u"--timeout needs 0 (none)"_s;
    QTest::newRow("timeout below a millisecond")
        << option("--timeout", "0.0001") << u"--timeout needs 0 (none)"_s;
    QTest::newRow("memory limit of a byte")
        << option("--memory-limit", "1") << u"--memory-limit needs at least 1M"_s;
    QTest::newRow("memory limit of 512K")
        << option("--memory-limit", "512K") << u"--memory-limit needs at least 1M"_s;
    QTest::newRow("null with a batch")
        << QStringList { u"-0"_s, u"--batch"_s, u"b.shoal.json"_s } << u"-0/--null"_s;
}

void TestCli::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(QString, fragment);
    const RunResult r = runShoal(QStringList { u"run"_s, u"--no-bar"_s } + args);
    QCOMPARE(r.exitCode, 255);
    QVERIFY2(QString::fromLocal8Bit(r.err).contains(fragment), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

// --help says what --joblog does: start afresh, append only with --resume.
void TestCli::helpSaysWhatJoblogDoes()
{
    const RunResult r = runShoal({ u"run"_s, u"--help"_s });
    QCOMPARE(r.exitCode, 0);
    const QByteArray help = r.out.simplified();
    QVERIFY2(help.contains("starting it afresh (with --resume or --resume-failed: append to it)"),
             r.out.constData());
    QVERIFY(!help.contains("Append a GNU parallel joblog"));
}

void TestCli::outputIsWholeAndOrdered()
{
    // Four tasks write 2000 lines each at once; each task's output must come out in one piece.
    const RunResult r = runShoal({ u"run"_s, u"--no-bar"_s, u"-j4"_s, u"--shell"_s,
                                   u"i=0; while [ $i -lt 2000 ]; do echo {} $i; i=$((i+1)); done"_s,
                                   u":::"_s, u"a"_s, u"b"_s, u"c"_s, u"d"_s });
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> lines = r.out.split('\n');
    QCOMPARE(lines.size(), 8001);
    QString blocks;
    for (const QByteArray &line : lines) {
        if (!line.isEmpty() && (blocks.isEmpty() || blocks.back() != QLatin1Char(line[0])))
            blocks += QLatin1Char(line[0]);
    }
    QCOMPARE(blocks.size(), 4);

    const RunResult ordered
        = runShoal({ u"run"_s, u"--no-bar"_s, u"-k"_s, u"-j3"_s, u"sh"_s, u"-c"_s,
                     u"sleep $0; echo $0"_s, u":::"_s, u"0.3"_s, u"0.2"_s, u"0.1"_s, u"0"_s });
    QCOMPARE(ordered.out, QByteArray("0.3\n0.2\n0.1\n0\n"));
}

void TestCli::resultsLayout()
{
    const QString res = m_dir.filePath(u"res"_s);
    const RunResult r = runShoal({ u"run"_s, u"--no-bar"_s, u"--results"_s, res, u"sh"_s, u"-c"_s,
                                   u"echo out $0; echo err $0 >&2"_s, u":::"_s, u"a/b"_s, u"c"_s });
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.isEmpty()); // as GNU: with --results, outputs go to files only
    QCOMPARE(readFile(res + u"/1/a\\_b/stdout"_s), QByteArray("out a/b\n"));
    QCOMPARE(readFile(res + u"/1/a\\_b/stderr"_s), QByteArray("err a/b\n"));
    QCOMPARE(readFile(res + u"/1/c/seq"_s), QByteArray("2\n"));
}

void TestCli::eventsFile()
{
    const QString events = m_dir.filePath(u"events.jsonl"_s);
    const RunResult r = runShoal({ u"run"_s, u"--no-bar"_s, u"--events"_s, events, u"-j2"_s,
                                   u"true"_s, u":::"_s, u"1"_s, u"2"_s, u"3"_s });
    QCOMPARE(r.exitCode, 0);
    int finished = 0;
    double lastSeq = 0;
    QString lastType;
    for (const QByteArray &line : readFile(events).split('\n')) {
        if (line.isEmpty())
            continue;
        QJsonParseError error;
        const QJsonObject o = QJsonDocument::fromJson(line, &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QVERIFY(o.value(u"seq"_s).toDouble() > lastSeq);
        lastSeq = o.value(u"seq"_s).toDouble();
        lastType = o.value(u"type"_s).toString();
        if (lastType == u"task-batch"_s) {
            for (const QJsonValue &end : o.value(u"finished"_s).toArray()) {
                QCOMPARE(end[u"state"_s].toString(), u"succeeded"_s);
                QCOMPARE(end[u"stdoutBytes"_s].toDouble(), 0.0);
                ++finished;
            }
        }
    }
    QCOMPARE(finished, 3);
    QCOMPARE(lastType, u"batch-finished"_s);
}

void TestCli::batchFile()
{
    QDir(m_dir.path()).mkpath(u"batch"_s);
    writeFile(m_dir.filePath(u"batch/inputs.txt"_s), "x\ny\n");
    writeFile(
        m_dir.filePath(u"batch/b.shoal.json"_s),
        R"({"command": "echo got {}", "inputs": {"file": "inputs.txt"}, "jobs": 1, "keepOrder": true})");
    RunResult r = runShoal(
        { u"run"_s, u"--no-bar"_s, u"--batch"_s, m_dir.filePath(u"batch/b.shoal.json"_s) });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("got x\ngot y\n"));

    writeFile(m_dir.filePath(u"batch/bad.shoal.json"_s),
              "{\n \"command\": \"echo\",\n \"inputs\": [1,,]\n}\n");
    r = runShoal(
        { u"run"_s, u"--no-bar"_s, u"--batch"_s, m_dir.filePath(u"batch/bad.shoal.json"_s) });
    QCOMPARE(r.exitCode, 255);
    QVERIFY2(r.err.contains("bad.shoal.json:3:"), r.err.constData());
}

// Inputs are bytes, as for GNU parallel: what is not UTF-8 reaches the task, the program's name
// and the joblog unchanged; a NUL byte in a :::: file is refused; -0 splits on NUL bytes.
void TestCli::inputsAreBytes()
{
    const QString dir = m_dir.filePath(u"bytes"_s);
    QVERIFY(QDir().mkpath(dir));
    // Raw bytes in argv go through sh: QProcess would encode its arguments as UTF-8.
    auto viaShell = [&](const QString &script) {
        QProcess p;
        p.setWorkingDirectory(dir);
        p.start(u"/bin/sh"_s, { u"-c"_s, script, u"sh"_s, shoalBinary() });
        if (!p.waitForFinished(60000))
            p.kill();
        return RunResult { p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError() };
    };
    RunResult r = viaShell(
        uR"sh(exec "$1" run --no-bar --joblog jl sh -c 'printf %s "$1$2" | od -An -tx1' sh )sh"
        uR"sh("$(printf 'x\377')" ::: "$(printf 'caf\351')")sh"_s);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.simplified(), QByteArray("78 ff 63 61 66 e9"));
    const QByteArray joblog = readFile(dir + u"/jl"_s);
    QVERIFY2(joblog.endsWith("\tsh -c 'printf %s \"$1$2\" | od -An -tx1' sh 'x\xff' 'caf\xe9'\n"),
             joblog.constData());
    r = viaShell(
        uR"sh(cp /bin/echo "$(printf 'ech\351')" && exec "$1" run --no-bar "./$(printf 'ech\351')" ::: hi)sh"_s);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("hi\n"));
    r = viaShell(
        uR"sh(printf 'x\n' > "$(printf 'in\351')" && exec "$1" run --no-bar echo :::: "$(printf 'in\351')")sh"_s);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("x\n"));

    writeFile(dir + u"/latin1.txt"_s, "caf\xe9\n\xff\xfe.txt\n");
    r = runShoal({ u"run"_s, u"--no-bar"_s, u"-k"_s, u"sh"_s, u"-c"_s,
                   u"printf %s \"$1\" | od -An -tx1"_s, u"sh"_s, u"::::"_s,
                   dir + u"/latin1.txt"_s });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.simplified(), QByteArray("63 61 66 e9 ff fe 2e 74 78 74"));

    writeFile(dir + u"/nul.txt"_s, QByteArray("a\nb\0c\n", 6));
    r = runShoal({ u"run"_s, u"--no-bar"_s, u"echo"_s, u"::::"_s, dir + u"/nul.txt"_s });
    QCOMPARE(r.exitCode, 255);
    QVERIFY2(r.err.contains("nul.txt': line 2 holds a NUL byte"), r.err.constData());
    QVERIFY(r.out.isEmpty());

    writeFile(dir + u"/records"_s, QByteArray("a b\0c\nd\0", 8));
    r = runShoal({ u"run"_s, u"--no-bar"_s, u"-k"_s, u"-0"_s, u"sh"_s, u"-c"_s,
                   u"printf '[%s]' \"$1\""_s, u"sh"_s, u"::::"_s, dir + u"/records"_s });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("[a b][c\nd]"));
    r = runShoal({ u"run"_s, u"--no-bar"_s, u"-k"_s, u"--null"_s, u"echo"_s },
                 QByteArray("x\0y", 3));
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("x\ny\n"));
}

void TestCli::resumeRunsOnlyWhatIsMissing()
{
    const QString log = m_dir.filePath(u"resume.jl"_s);
    const QStringList common { u"run"_s, u"--no-bar"_s, u"-j1"_s, u"--joblog"_s, log };
    const QStringList command { u"sh"_s,
                                u"-c"_s,
                                u"echo ran $0; [ $0 != 3 ] || [ -e \"$1\" ]"_s,
                                u"{}"_s,
                                m_dir.filePath(u"fixed"_s),
                                u":::"_s,
                                u"1"_s,
                                u"2"_s,
                                u"3"_s,
                                u"4"_s,
                                u"5"_s };
    RunResult r = runShoal(common + QStringList { u"--halt"_s, u"now,fail=1"_s } + command);
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.out, QByteArray("ran 1\nran 2\nran 3\n"));

    r = runShoal(common + QStringList { u"--resume"_s } + command); // 3 is logged (failed): skipped
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("ran 4\nran 5\n"));

    writeFile(m_dir.filePath(u"fixed"_s), "");
    r = runShoal(common + QStringList { u"--resume-failed"_s } + command);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("ran 3\n"));
    QCOMPARE(joblogSeqs(log, true), (QSet<QString> { u"1"_s, u"2"_s, u"3"_s, u"4"_s, u"5"_s }));

    r = runShoal(common + QStringList { u"--resume"_s } + command);
    QCOMPARE(r.out, QByteArray()); // everything is done
}

void TestCli::resumeAfterShoalWasKilled()
{
    const QString log = m_dir.filePath(u"crash.jl"_s);
    const QString ran = m_dir.filePath(u"ran.txt"_s);
    QStringList inputs;
    for (int i = 1; i <= 60; ++i)
        inputs << QString::number(i);
    const QStringList args = QStringList { u"run"_s,
                                           u"--no-bar"_s,
                                           u"-j2"_s,
                                           u"--joblog"_s,
                                           log,
                                           u"--shell"_s,
                                           u"sleep 0.02; echo {} >> "_s + ran,
                                           u":::"_s }
        + inputs;
    QProcess first;
    first.start(shoalBinary(), args);
    QVERIFY(first.waitForStarted());
    QVERIFY(waitForFileContaining(log, "\n", 16)); // the header and 15 rows
    ::kill(pid_t(first.processId()), SIGKILL);
    QVERIFY(first.waitForFinished());
    const QSet<QString> doneBefore = joblogSeqs(log, true);
    QVERIFY2(doneBefore.size() >= 15 && doneBefore.size() < 60,
             qPrintable(QString::number(doneBefore.size())));

    // Run again with --resume: the torn last line is tolerated, nothing logged runs twice.
    const RunResult again = runShoal(QStringList { u"run"_s, u"--resume"_s } + args.mid(1));
    QCOMPARE(again.exitCode, 0);
    QSet<QString> all;
    for (const QString &i : inputs)
        all.insert(i);
    QCOMPARE(joblogSeqs(log, true), all); // none missing
    QHash<QString, int> runs;
    for (const QByteArray &line : readFile(ran).split('\n')) {
        if (!line.isEmpty())
            ++runs[QString::fromLatin1(line)];
    }
    for (const QString &seq : all)
        QVERIFY2(runs.value(seq) >= 1, qPrintable(u"task %1 never ran"_s.arg(seq)));
    for (const QString &seq : doneBefore)
        QVERIFY2(runs.value(seq) == 1, qPrintable(u"task %1 succeeded, then ran again"_s.arg(seq)));
    // One row per task: the resumed run logged only what the killed one had not.
    QHash<QString, int> rows;
    for (const QByteArray &line : readFile(log).split('\n').mid(1)) {
        if (!line.isEmpty())
            ++rows[QString::fromLatin1(line.split('\t').value(0))];
    }
    QCOMPARE(rows.size(), 60);
    for (auto it = rows.cbegin(); it != rows.cend(); ++it)
        QVERIFY2(it.value() == 1,
                 qPrintable(u"Seq %1 has %2 rows"_s.arg(it.key()).arg(it.value())));
}

void TestCli::serviceWorkers()
{
    const QString worker = QStringLiteral(SHOAL_DOUBLE_WORKER);
    QStringList inputs;
    QByteArray expected;
    for (int i = 1; i <= 2000; ++i) {
        inputs << QString::number(i);
        expected += QByteArray::number(2 * i) + '\n';
    }
    // Ordered results with -k; unordered without, but every result exactly once.
    RunResult r = runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"-k"_s, u"-j2"_s, u"--service"_s,
                                         worker, u"--service-mode"_s, u"json"_s, u":::"_s }
                           + inputs);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, expected);
    r = runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"-j2"_s, u"--service"_s, worker,
                               u"--service-mode"_s, u"json"_s, u":::"_s }
                 + inputs);
    QCOMPARE(r.exitCode, 0);
    QList<QByteArray> lines = r.out.split('\n');
    QList<QByteArray> wanted = expected.split('\n');
    std::sort(lines.begin(), lines.end());
    std::sort(wanted.begin(), wanted.end());
    QCOMPARE(lines, wanted);

    // An error answer fails the task: its text on stderr, the count in the exit status.
    r = runShoal({ u"run"_s, u"--no-bar"_s, u"-k"_s, u"--service"_s, worker, u"--service-mode"_s,
                   u"json"_s, u":::"_s, u"1"_s, u"x"_s, u"3"_s });
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.out, QByteArray("2\n6\n"));
    QVERIFY2(r.err.contains("task 2 failed: not an integer: x"), r.err.constData());
    // Inputs with quotes and backslashes travel escaped both ways.
    r = runShoal({ u"run"_s, u"--no-bar"_s, u"-k"_s, u"--service"_s, worker, u"--service-mode"_s,
                   u"json"_s, u":::"_s, u"say \"hi\""_s, u"back\\slash"_s });
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("task 1 failed: not an integer: say \"hi\"\n"), r.err.constData());
    QVERIFY2(r.err.contains("task 2 failed: not an integer: back\\slash\n"), r.err.constData());
    QVERIFY2(!r.err.contains("invalid"), r.err.constData());

    // -k while a halt cancels the queued tasks: every result that succeeded (as the joblog
    // says) is printed, in input order, none twice.
    const QString log = m_dir.filePath(u"service-halt.jl"_s);
    QStringList haltInputs = inputs.mid(0, 400);
    haltInputs[150] = u"x"_s;
    r = runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"-k"_s, u"-j2"_s, u"--halt"_s,
                               u"soon,fail=1"_s, u"--prefetch"_s, u"8"_s, u"--joblog"_s, log,
                               u"--service"_s, worker, u"--service-mode"_s, u"json"_s, u":::"_s }
                 + haltInputs);
    QVERIFY2(r.exitCode != 0, r.err.constData());
    QList<qint64> printed;
    for (const QByteArray &line : r.out.split('\n')) {
        if (!line.isEmpty())
            printed << line.toLongLong() / 2;
    }
    QVERIFY(std::is_sorted(printed.begin(), printed.end()));
    QList<qint64> succeeded;
    for (const QByteArray &row : readFile(log).split('\n').mid(1)) {
        const QList<QByteArray> columns = row.split('\t');
        if (columns.size() == 9 && columns[6] == "0")
            succeeded << columns[0].toLongLong();
    }
    std::sort(succeeded.begin(), succeeded.end());
    QCOMPARE(printed, succeeded);
    QVERIFY(printed.size() < 400);

    // Line mode with the Python example, as in the README.
    if (!QStandardPaths::findExecutable(u"python3"_s).isEmpty()) {
        r = runShoal({ u"run"_s, u"--no-bar"_s, u"-k"_s, u"--service"_s,
                       u"python3 -u "_s + QStringLiteral(SHOAL_SOURCE_DIR)
                           + u"/resources/examples/double_worker.py"_s,
                       u":::"_s, u"5"_s, u"6"_s, u"7"_s });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QByteArray("10\n12\n14\n"));
    }
    r = runShoal(
        { u"run"_s, u"--no-bar"_s, u"--service"_s, u"/nonexistent/worker"_s, u":::"_s, u"1"_s });
    QCOMPARE(r.exitCode, 255);
    QVERIFY(r.err.contains("/nonexistent/worker"));
    r = runShoal({ u"run"_s, u"--no-bar"_s, u"--prefetch"_s, u"4"_s, u"echo"_s, u":::"_s, u"1"_s });
    QCOMPARE(r.exitCode, 255);
    QVERIFY(r.err.contains("need --service"));
}

void TestCli::largeOutputsKeepMemoryBounded()
{
    // 200 tasks print 5 MiB each (1 GiB in all): outputs stay in files, not in Shoal's memory.
    const QString log = m_dir.filePath(u"big.jl"_s);
    QStringList args { u"run"_s,  u"--no-bar"_s, u"-j4"_s, u"--joblog"_s,  log,
                       u"head"_s, u"-c"_s,       u"5M"_s,  u"/dev/zero"_s, u":::"_s };
    for (int i = 0; i < 200; ++i)
        args << u"--"_s;
    // `head -c 5M /dev/zero --` reads /dev/zero only; the input is the end-of-options marker.
    MeasuredRun run = runShoalMeasured(args);
    QCOMPARE(run.exitCode, 0);
    qInfo("peak RSS with 1 GiB of task output: %lld KiB", run.maxRssKiB);
    QVERIFY2(!kRssIsMeaningful || run.maxRssKiB < 64 * 1024,
             qPrintable(QString::number(run.maxRssKiB)));
    int rows = 0;
    for (const QByteArray &line : readFile(log).split('\n').mid(1)) {
        if (line.isEmpty())
            continue;
        ++rows;
        QCOMPARE(line.split('\t').value(5), QByteArray("5242880")); // Receive: every byte was there
    }
    QCOMPARE(rows, 200);
    // In input order too: held outputs are files, not memory.
    args.insert(2, u"-k"_s);
    run = runShoalMeasured(args);
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(!kRssIsMeaningful || run.maxRssKiB < 64 * 1024,
             qPrintable(QString::number(run.maxRssKiB)));
}

// -j 100000 with two inputs, and -j 100 under `ulimit -n 64`: slots are made for what can run
// within the descriptor limit, and every task succeeds.
void TestCli::manyWorkersWithinTheFileLimit()
{
    RunResult r = runShoal({ u"run"_s, u"--no-bar"_s, u"-j"_s, u"100000"_s, worker(), u"--print"_s,
                             u"{}"_s, u":::"_s, u"a"_s, u"b"_s });
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QList<QByteArray> lines = r.out.split('\n');
    lines.removeAll(QByteArray());
    std::sort(lines.begin(), lines.end());
    QCOMPARE(lines, (QList<QByteArray> { "a", "b" }));

    QProcess limited;
    limited.start(u"/bin/sh"_s,
                  QStringList { u"-c"_s, u"ulimit -n 64 && exec \"$0\" \"$@\""_s, shoalBinary(),
                                u"run"_s, u"--no-bar"_s, u"-j"_s, u"100"_s, worker(), u"--print"_s,
                                u"{}"_s, u":::"_s }
                      + numbers(200));
    QVERIFY(limited.waitForFinished(60000));
    const QByteArray err = limited.readAllStandardError();
    QVERIFY2(limited.exitStatus() == QProcess::NormalExit && limited.exitCode() == 0,
             err.constData());
    QCOMPARE(limited.readAllStandardOutput().count('\n'), 200);
    QVERIFY2(err.contains("workers can run at once within the limit on open files"),
             err.constData());
}

void TestCli::ctlSteersARun()
{
    const QString socket = m_dir.filePath(u"ctl.sock"_s);
    const QString go = m_dir.filePath(u"go"_s);
    QProcess run;
    run.start(shoalBinary(),
              { u"run"_s, u"--no-bar"_s, u"-j1"_s, u"--control"_s, socket, worker(),
                u"--wait-file"_s, go, u"--print"_s, u"{}"_s, u":::"_s, u"1"_s, u"2"_s, u"3"_s,
                u"4"_s });
    QVERIFY(run.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(socket), 10000);
    QCOMPARE(QFileInfo(socket).permissions()
                 & (QFile::ReadGroup | QFile::WriteGroup | QFile::ReadOther | QFile::WriteOther),
             QFile::Permissions());

    RunResult r = runShoal({ u"ctl"_s, socket, u"pause"_s });
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("paused"), r.out.constData());
    r = runShoal({ u"ctl"_s, socket, u"status"_s });
    QCOMPARE(r.exitCode, 0);
    QJsonObject status = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(status.value(u"stats"_s).toObject().value(u"paused"_s).toBool(), true);

    r = runShoal({ u"ctl"_s, socket, u"resize"_s, u"3"_s });
    QCOMPARE(r.exitCode, 0);
    r = runShoal({ u"ctl"_s, socket, u"resume"_s });
    QCOMPARE(r.exitCode, 0);
    r = runShoal({ u"ctl"_s, socket, u"status"_s });
    status = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(status.value(u"stats"_s).toObject().value(u"workers"_s).toInt(), 3);
    QCOMPARE(status.value(u"workers"_s).toArray().size(), 3);
    QTRY_COMPARE_WITH_TIMEOUT(
        QJsonDocument::fromJson(runShoal({ u"ctl"_s, socket, u"status"_s }).out)
            .object()
            .value(u"stats"_s)
            .toObject()
            .value(u"running"_s)
            .toInt(),
        3, 10000);

    r = runShoal({ u"ctl"_s, socket, u"resize"_s, u"many"_s });
    QCOMPARE(r.exitCode, 255);
    QVERIFY(r.err.contains("worker count"));
    r = runShoal({ u"ctl"_s, socket, u"explode"_s });
    QCOMPARE(r.exitCode, 255);
    QVERIFY(r.err.contains("unknown request"));

    writeFile(go, "");
    QVERIFY(run.waitForFinished(20000));
    QCOMPARE(run.exitCode(), 0);
    QCOMPARE(run.readAllStandardOutput().split('\n').size(), 5);
    QVERIFY(!QFile::exists(socket)); // removed on exit
}

// With the shoal-guard program beside shoal, and without it (a copy of shoal alone, whose
// guard is then a fork of itself).
void TestCli::killedShoalLeavesNoProcess_data()
{
    QTest::addColumn<bool>("guardProgram");
    QTest::newRow("shoal-guard") << true;
    QTest::newRow("forked guard") << false;
}

void TestCli::killedShoalLeavesNoProcess()
{
    QFETCH(bool, guardProgram);
    QString binary = shoalBinary();
    if (!guardProgram) {
        const QString alone = m_dir.filePath(u"alone/bin/shoal"_s);
        QDir().mkpath(QFileInfo(alone).absolutePath());
        QFile::remove(alone);
        QVERIFY(QFile::copy(binary, alone));
        QVERIFY(
            QFile::setPermissions(alone, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        binary = alone;
    }
    const QString events = m_dir.filePath(u"kill-events.jsonl"_s);
    QFile::remove(events);
    QProcess run;
    // `sleep 30; true` makes sh fork sleep as a grandchild of shoal.
    run.start(binary,
              { u"run"_s, u"--no-bar"_s, u"-j3"_s, u"--events"_s, events, u"sh"_s, u"-c"_s,
                u"sleep 30; true"_s, u":::"_s, u"1"_s, u"2"_s, u"3"_s, u"4"_s });
    QVERIFY(run.waitForStarted());
    // Three task starts, each with its process id.
    QVERIFY(waitForFileContaining(events, "\"attempt\":1,\"pid\":", 3));
    // The grandchildren exist now.
    QTRY_VERIFY_WITH_TIMEOUT(
        [] {
            QProcess p;
            p.start(u"pgrep"_s, { u"-f"_s, u"^sleep 30$"_s });
            p.waitForFinished();
            return p.readAllStandardOutput().split('\n').size() >= 4;
        }(),
        10000);
    ::kill(pid_t(run.processId()), SIGKILL);
    QVERIFY(run.waitForFinished());
    const QStringList left = waitForNoChildren(10000);
    QVERIFY2(left.isEmpty(), qPrintable(left.join(u", "_s)));
}

// Tasks whose processes left their groups (a new session, a new group, a daemon's double
// fork, a new session with an empty environment): a SIGKILL of Shoal still ends them all.
void TestCli::killedShoalLeavesNoEscapee_data()
{
    QTest::addColumn<bool>("guardProgram");
    QTest::addColumn<bool>("cgroups");
    for (bool cgroups : { false, true }) {
        const char *how = cgroups ? "task cgroups" : "traced";
        QTest::addRow("shoal-guard, %s", how) << true << cgroups;
        QTest::addRow("forked guard, %s", how) << false << cgroups;
    }
}

void TestCli::killedShoalLeavesNoEscapee()
{
    QFETCH(bool, guardProgram);
    QFETCH(bool, cgroups);
    QString binary = shoalBinary();
    if (!guardProgram) {
        binary = m_dir.filePath(u"alone/bin/shoal"_s);
        QDir().mkpath(QFileInfo(binary).absolutePath());
        QFile::remove(binary);
        QVERIFY(QFile::copy(shoalBinary(), binary));
        QVERIFY(
            QFile::setPermissions(binary, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    }
    const QString events = m_dir.filePath(u"escape-events.jsonl"_s);
    QFile::remove(events);
    QStringList hows { u"setsid"_s, u"setpgid"_s, u"double-fork"_s, u"setsid --clear-env"_s };
    if (cgroups) // a daemon nobody can trace: no token, its parent gone before any stats pass
        hows << u"double-fork --clear-env"_s;
    QStringList files;
    for (int i = 0; i < hows.size(); ++i) {
        files << m_dir.filePath(u"escapee%1"_s.arg(i + 1));
        QFile::remove(files.last());
    }
    QProcess run;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"SHOAL_CGROUPS"_s, cgroups ? u"1"_s : u"0"_s);
    run.setProcessEnvironment(env);
    // The input is how to escape, then steps for the escaped process only (--clear-env).
    const QString script
        = u"w=$0; f=$2; set -- $1; exec \"$w\" --escape \"$1\" \"$f\" $2 --hang --parent --hang"_s;
    run.start(binary,
              QStringList { u"run"_s, u"--no-bar"_s, u"-j%1"_s.arg(hows.size()), u"--events"_s,
                            events, u"sh"_s, u"-c"_s, script, worker(), u"{}"_s,
                            m_dir.filePath(u"escapee{#}"_s), u":::"_s }
                  + hows);
    QVERIFY(run.waitForStarted());
    QList<qint64> pids;
    for (const QString &file : files)
        pids << readPidFile(file, 10000);
    for (qint64 pid : pids)
        QVERIFY(processExists(pid));
    // The folder of the run's task cgroups: "0::/<...>/shoal-<run>/c<N>" in /proc/PID/cgroup.
    QString cgroupFolder;
    const QByteArray cgroupLine
        = readFile(u"/proc/%1/cgroup"_s.arg(pids.last())).trimmed().split('\n').last();
    if (cgroups) {
        const qsizetype at = cgroupLine.indexOf("/shoal-");
        if (at < 0)
            QSKIP(qPrintable(u"no cgroup v2 can be made here (the task is in %1)"_s.arg(
                QString::fromLatin1(cgroupLine))));
        const QString mount = u"/sys/fs/cgroup"_s
            + (QFileInfo::exists(u"/sys/fs/cgroup/unified/cgroup.procs"_s) ? u"/unified"_s
                                                                           : QString());
        cgroupFolder
            = mount + QString::fromLocal8Bit(cgroupLine.mid(3, cgroupLine.lastIndexOf('/') - 3));
        QVERIFY2(QFileInfo::exists(cgroupFolder), qPrintable(cgroupFolder));
    } else {
        QVERIFY2(!cgroupLine.contains("/shoal-"), cgroupLine.constData());
        // The empty environment hides its escapee's task: Shoal must have seen it once while
        // its parent still lived (a stats pass) and told the guard.
        const int passes = int(readFile(events).count("\"stats\""));
        QVERIFY(waitForFileContaining(events, "\"stats\"", passes + 2));
    }
    ::kill(pid_t(run.processId()), SIGKILL);
    QVERIFY(run.waitForFinished());
    // What a survivor was, should one be left: its /proc/PID/stat (pid, name, state, parent,
    // group, session) and its parent's.
    const auto survivor = [&](int i) {
        const QByteArray stat = readFile(u"/proc/%1/stat"_s.arg(pids[i])).trimmed();
        const QByteArray parent = stat.mid(stat.lastIndexOf(')') + 4).split(' ').value(0);
        return u"escaped by '%1' and still there: %2; its parent: %3"_s.arg(
            hows[i], QString::fromLatin1(stat.left(120)),
            QString::fromLatin1(
                readFile(u"/proc/%1/stat"_s.arg(QString::fromLatin1(parent))).left(120)));
    };
    for (int i = 0; i < pids.size(); ++i)
        QTRY_VERIFY2_WITH_TIMEOUT(!processExists(pids[i]), qPrintable(survivor(i)), 10000);
    if (cgroups) // the guard removed the folders
        QTRY_VERIFY_WITH_TIMEOUT(!QFileInfo::exists(cgroupFolder), 10000);
}

// Three processes of 120 MB, each in a session of its own, under a 250 MB limit: the task is
// ended for memory and they go with it.
void TestCli::memoryLimitCountsEscapees()
{
    QStringList files;
    for (int i = 0; i < 3; ++i) {
        files << m_dir.filePath(u"hog%1"_s.arg(i));
        QFile::remove(files.last());
    }
    QProcess run;
    run.start(
        shoalBinary(),
        { u"run"_s, u"--no-bar"_s, u"--memory-limit"_s, u"250M"_s, u"sh"_s, u"-c"_s,
          u"for f in \"$1\" \"$2\" \"$3\"; do \"$0\" --escape setsid \"$f\" --rss 120 --hang; done; exec sleep 100"_s,
          worker(), files[0], files[1], files[2], u":::"_s, u"x"_s });
    QVERIFY(run.waitForStarted());
    QList<qint64> pids;
    for (const QString &file : files)
        pids << readPidFile(file, 10000);
    QVERIFY(run.waitForFinished(20000));
    QCOMPARE(run.exitCode(), 1);
    QVERIFY2(run.readAllStandardError().contains("over the 250 MiB limit"),
             "not ended for its memory");
    for (qint64 pid : pids)
        QTRY_VERIFY_WITH_TIMEOUT(!processExists(pid), 5000);
}

// The window (offscreen) running a batch of sleepers: SIGTERM ends the batch (the tasks'
// groups get the termination sequence) and the window exits cleanly, leaving no process.
void TestCli::windowEndsItsBatchOnSigterm()
{
#ifndef SHOAL_WINDOW_MODULE_PATH
    QSKIP("this build has no window");
#else
    const QString pids = m_dir.filePath(u"window-pids"_s);
    const QString batch = m_dir.filePath(u"sleepers.shoal.json"_s);
    writeFile(batch,
              QJsonDocument(QJsonObject { { u"command"_s,
                                            u": {}; echo $$ >> '%1'; exec sleep 30"_s.arg(pids) },
                                          { u"shell"_s, true },
                                          { u"jobs"_s, 2 },
                                          { u"inputs"_s, QJsonArray { u"a"_s, u"b"_s, u"c"_s } } })
                  .toJson());
    QProcess window;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
    // The window remembers the batch among its recent files: in a configuration of the test's
    // own, never the user's.
    const QString config = m_dir.filePath(u"config"_s);
    env.insert(u"XDG_CONFIG_HOME"_s, config);
    window.setProcessEnvironment(env);
    window.start(shoalBinary(), { u"open"_s, batch });
    QVERIFY(window.waitForStarted());
    QTRY_VERIFY2_WITH_TIMEOUT(
        readFile(pids).count('\n') == 2,
        qPrintable(u"pids: '%1'; the window wrote: %2"_s.arg(
            QString::fromUtf8(readFile(pids)), QString::fromUtf8(window.readAllStandardError()))),
        20000);
    const QList<QByteArray> started = readFile(pids).trimmed().split('\n');
    ::kill(pid_t(window.processId()), SIGTERM);
    QVERIFY(window.waitForFinished(15000));
    QCOMPARE(window.exitStatus(), QProcess::NormalExit);
    QCOMPARE(window.exitCode(), 0);
    QCOMPARE(readFile(pids).count('\n'), 2); // nothing new started while it closed
    for (const QByteArray &pid : started)
        QVERIFY2(!processExists(pid.toLongLong()), pid.constData());
    const QStringList left = waitForNoChildren(10000);
    QVERIFY2(left.isEmpty(), qPrintable(left.join(u", "_s)));
    QVERIFY2(readFile(config + u"/Shoal/shoal.conf"_s).contains("sleepers.shoal.json"),
             "the recent files went elsewhere than the test's configuration");
#endif
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
