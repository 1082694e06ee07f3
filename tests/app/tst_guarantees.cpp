// What `shoal run` promises under ordinary interruptions (issue 11): an interrupt or a kill
// followed by --resume loses nothing, the joblog never claims output nobody got, a full disk
// fails loudly, and outputs never follow a planted symlink.
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/mount.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using namespace shoal::test;

namespace {

bool waitFor(const std::function<bool()> &pred, int timeoutMs = 30000)
{
    QElapsedTimer t;
    t.start();
    while (!pred()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QTest::qWait(5);
    }
    return true;
}

// A small tmpfs of our own, to fill up: CI runs as root; elsewhere the tests that need it skip.
class SmallDisk
{
public:
    explicit SmallDisk(const QString &size)
    {
        m_mounted = m_dir.isValid()
            && ::mount("tmpfs", QFile::encodeName(m_dir.path()).constData(), "tmpfs", 0,
                       QByteArray("size=" + size.toLatin1()).constData())
                == 0;
    }
    ~SmallDisk()
    {
        if (m_mounted)
            ::umount2(QFile::encodeName(m_dir.path()).constData(), MNT_DETACH);
    }
    bool isMounted() const { return m_mounted; }
    QString path(const QString &name = {}) const
    {
        return name.isEmpty() ? m_dir.path() : m_dir.filePath(name);
    }
    // Fills the disk up, leaving about `room` bytes.
    void fill(qint64 room)
    {
        QFile f(path(u"filler"_s));
        QVERIFY(f.open(QIODevice::WriteOnly));
        const QByteArray block(4096, 'x');
        while (f.write(block) == block.size() && f.flush()) { }
        f.close();
        QVERIFY(f.resize(qMax<qint64>(0, f.size() - room)));
    }

private:
    QTemporaryDir m_dir;
    bool m_mounted = false;
};

} // namespace

class TestGuarantees : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void interruptThenResumeRunsTheInterrupted();
    void killAtRandomThenResume_data();
    void killAtRandomThenResume();
    void killedResultsAreWhole();
    void fullScratchFolderFailsTasks();
    void writeErrorsStopTheRun_data();
    void writeErrorsStopTheRun();
    void outputsNeverFollowSymlinks();
    void keepOrderBoundsMemoryAndDescriptors();
    void inputsStream();

private:
    QTemporaryDir m_dir;
};

void TestGuarantees::initTestCase()
{
    becomeSubreaper();
    QVERIFY(m_dir.isValid());
}

void TestGuarantees::cleanup()
{
    const QStringList left = waitForNoChildren();
    QVERIFY2(left.isEmpty(), qPrintable(u"processes left behind: "_s + left.join(u", "_s)));
}

void TestGuarantees::interruptThenResumeRunsTheInterrupted()
{
    // Tasks 1 and 2 are running when Ctrl-C comes: Shoal ends them, so they are not done. The
    // joblog must not say they are, and --resume runs them (GNU parallel does the same).
    const QString log = m_dir.filePath(u"interrupt.jl"_s);
    const QString started = m_dir.filePath(u"started."_s);
    const QString fast = m_dir.filePath(u"fast"_s);
    const QStringList args {
        u"run"_s, u"--no-bar"_s,
        u"-j2"_s, u"--joblog"_s,
        log,      u"sh"_s,
        u"-c"_s,  u"touch %1$0; [ -e %2 ] || sleep 60; echo done $0"_s.arg(started, fast),
        u":::"_s, u"1"_s,
        u"2"_s,   u"3"_s,
        u"4"_s
    };
    QProcess first;
    first.start(shoalBinary(), args);
    QVERIFY(first.waitForStarted());
    QVERIFY(waitFor(
        [&] { return QFile::exists(started + u"1"_s) && QFile::exists(started + u"2"_s); }));
    ::kill(pid_t(first.processId()), SIGINT);
    QVERIFY(first.waitForFinished(30000));
    QCOMPARE(first.exitCode(), 255);
    QCOMPARE(joblogRows(log).size(), 0);
    QVERIFY2(!first.readAllStandardOutput().contains("done"),
             "an interrupted task's output was printed");

    QFile(fast).open(QIODevice::WriteOnly);
    const RunResult again = runShoal(QStringList { u"run"_s, u"--resume"_s } + args.mid(1));
    QCOMPARE(again.exitCode, 0);
    QCOMPARE(lineCounts(again.out),
             (QHash<QByteArray, int> {
                 { "done 1", 1 }, { "done 2", 1 }, { "done 3", 1 }, { "done 4", 1 } }));
    QCOMPARE(joblogRows(log).size(), 4);
}

void TestGuarantees::killAtRandomThenResume_data()
{
    QTest::addColumn<bool>("keepOrder");
    QTest::newRow("as they finish") << false;
    QTest::newRow("-k") << true;
}

void TestGuarantees::killAtRandomThenResume()
{
    // SIGKILL at a random moment of a run that prints and logs, then --resume: every task's
    // output is printed, and printed twice only where the killed run printed it and was killed
    // before its joblog row (output first, row after: never the other way round).
    QFETCH(bool, keepOrder);
    // SHOAL_CHAOS_SEED=N replays a run, as in tst_chaos.
    bool seeded = false;
    const quint32 seed = qEnvironmentVariableIntValue("SHOAL_CHAOS_SEED", &seeded);
    const quint32 used = seeded ? seed : QRandomGenerator::global()->generate();
    qInfo("SHOAL_CHAOS_SEED=%u", used);
    QRandomGenerator random(used);
    constexpr int kTasks = 400;
    QStringList inputs;
    for (int i = 1; i <= kTasks; ++i)
        inputs << QString::number(i);
    for (int round = 0; round < 4; ++round) {
        const QString log = m_dir.filePath(u"kill-%1-%2.jl"_s.arg(keepOrder).arg(round));
        const QString out = m_dir.filePath(u"kill-%1-%2.out"_s.arg(keepOrder).arg(round));
        QStringList args { u"run"_s, u"--no-bar"_s, u"-j2"_s, u"--joblog"_s, log };
        if (keepOrder)
            args << u"-k"_s;
        args << u"sh"_s << u"-c"_s << u"echo line $0; echo more $0"_s << u":::"_s << inputs;
        QProcess first;
        first.setStandardOutputFile(out);
        first.start(shoalBinary(), args);
        QVERIFY(first.waitForStarted());
        const int killAfterRows = 1 + int(random.bounded(kTasks / 2));
        QVERIFY(waitFor([&] {
            return joblogRows(log).size() >= killAfterRows || first.state() == QProcess::NotRunning;
        }));
        ::kill(pid_t(first.processId()), SIGKILL);
        QVERIFY(first.waitForFinished());
        const QHash<qint64, int> logged = joblogRows(log);
        const QHash<QByteArray, int> printedBefore = lineCounts(readFile(out));
        for (auto it = logged.cbegin(); it != logged.cend(); ++it) {
            QVERIFY2(printedBefore.value("line " + QByteArray::number(it.key())) == 1
                         && printedBefore.value("more " + QByteArray::number(it.key())) == 1,
                     qPrintable(u"round %1: task %2 is in the joblog but its output is not whole"_s
                                    .arg(round)
                                    .arg(it.key())));
        }

        QProcess second;
        second.setStandardOutputFile(out, QIODevice::Append);
        second.start(shoalBinary(), QStringList { u"run"_s, u"--resume"_s } + args.mid(1));
        QVERIFY(second.waitForFinished(120000));
        QCOMPARE(second.exitCode(), 0);
        const QString problem = resumedRunProblem(
            readFile(out), printedBefore, logged,
            [](int seq) {
                return QList<QByteArray> { "line " + QByteArray::number(seq),
                                           "more " + QByteArray::number(seq) };
            },
            kTasks, log);
        QVERIFY2(problem.isEmpty(), qPrintable(u"round %1: %2"_s.arg(round).arg(problem)));
    }
}

void TestGuarantees::killedResultsAreWhole()
{
    // --results files are written under a temporary name and renamed into place: after a kill
    // any stdout that exists is whole, and every task in the joblog has its files.
    constexpr qint64 kSize = 3'000'000;
    const QString results = m_dir.filePath(u"killed-results"_s);
    const QString log = m_dir.filePath(u"killed-results.jl"_s);
    QStringList args { u"run"_s,      u"--no-bar"_s, u"-j2"_s,
                       u"--joblog"_s, log,           u"--results"_s,
                       results,       u"--shell"_s,  u"head -c %1 /dev/zero; : {}"_s.arg(kSize),
                       u":::"_s };
    for (int i = 1; i <= 60; ++i)
        args << QString::number(i);
    const QStringList resume = QStringList { u"run"_s, u"--resume"_s } + args.mid(1);
    for (int round = 0; round < 3; ++round) {
        QProcess run;
        run.start(shoalBinary(), round == 0 ? args : resume);
        QVERIFY(run.waitForStarted());
        const int killAfterRows = joblogRows(log).size() + 2 + 5 * round;
        QVERIFY(waitFor([&] {
            return joblogRows(log).size() >= killAfterRows || run.state() == QProcess::NotRunning;
        }));
        ::kill(pid_t(run.processId()), SIGKILL);
        QVERIFY(run.waitForFinished());
        const QHash<qint64, int> logged = joblogRows(log);
        for (int seq = 1; seq <= 60; ++seq) {
            const QFileInfo stdoutFile(results + u"/1/%1/stdout"_s.arg(seq));
            if (logged.contains(seq))
                QVERIFY2(stdoutFile.exists(),
                         qPrintable(u"task %1 is logged without its results"_s.arg(seq)));
            if (stdoutFile.exists())
                QCOMPARE(stdoutFile.size(), kSize);
        }
    }
    const RunResult last = runShoal(resume);
    QCOMPARE(last.exitCode, 0);
    for (int seq = 1; seq <= 60; ++seq)
        QCOMPARE(QFileInfo(results + u"/1/%1/stdout"_s.arg(seq)).size(), kSize);
}

void TestGuarantees::fullScratchFolderFailsTasks()
{
    SmallDisk disk(u"256k"_s);
    if (!disk.isMounted())
        QSKIP("cannot mount a small tmpfs here (needs root): the full-disk case is not tried");
    disk.fill(0);
    // `sh -c 'echo hello'` ignores its write error and exits 0: the output is lost all the same.
    const QString log = m_dir.filePath(u"full-tmpdir.jl"_s);
    QProcess run;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"TMPDIR"_s, disk.path());
    run.setProcessEnvironment(env);
    run.start(shoalBinary(),
              { u"run"_s, u"--no-bar"_s, u"--joblog"_s, log, u"sh"_s, u"-c"_s, u"echo hello"_s,
                u":::"_s, u"1"_s, u"2"_s, u"3"_s });
    QVERIFY(run.waitForFinished(60000));
    const QByteArray err = run.readAllStandardError();
    QCOMPARE(run.exitCode(), 3);
    QVERIFY2(err.contains("is full"), err.constData());
    const QList<QByteArray> rows = readFile(log).split('\n').mid(1);
    int failedRows = 0;
    for (const QByteArray &row : rows) {
        const QList<QByteArray> cols = row.split('\t');
        if (cols.size() >= 9) {
            QVERIFY2(cols[6] != "0" || cols[7] != "0", row.constData()); // never logged as done
            ++failedRows;
        }
    }
    QCOMPARE(failedRows, 3);
}

void TestGuarantees::writeErrorsStopTheRun_data()
{
    QTest::addColumn<QString>("record");
    QTest::newRow("joblog") << u"joblog"_s;
    QTest::newRow("results") << u"results"_s;
    QTest::newRow("events") << u"events"_s;
    QTest::newRow("stdout") << u"stdout"_s;
}

void TestGuarantees::writeErrorsStopTheRun()
{
    // A record the user asked for cannot be written: one clear message naming it, nothing more
    // starts, and the exit status says so. A joblog elsewhere lists only what was delivered.
    QFETCH(QString, record);
    SmallDisk disk(u"64k"_s);
    if (!disk.isMounted())
        QSKIP("cannot mount a small tmpfs here (needs root): the full-disk case is not tried");
    disk.fill(16 * 1024);
    const QString log = m_dir.filePath(u"write-errors-%1.jl"_s.arg(record));
    QStringList args { u"run"_s, u"--no-bar"_s, u"-j2"_s };
    QString named;
    if (record == u"joblog"_s) {
        named = disk.path(u"jl"_s);
        args << u"--joblog"_s << named;
    } else {
        args << u"--joblog"_s << log;
        if (record == u"results"_s) {
            named = disk.path(u"results"_s);
            args << u"--results"_s << named;
        } else if (record == u"events"_s) {
            named = disk.path(u"events"_s);
            args << u"--events"_s << named;
        } else {
            named = u"standard output"_s;
        }
    }
    args << u"sh"_s << u"-c"_s << u"head -c 2000 /dev/zero | tr '\\0' x; echo"_s << u":::"_s
         << numbers(2000);
    QProcess run;
    if (record == u"stdout"_s)
        run.setStandardOutputFile(disk.path(u"out"_s));
    else
        run.setStandardOutputFile(QProcess::nullDevice());
    run.start(shoalBinary(), args);
    QVERIFY(run.waitForFinished(120000));
    const QByteArray err = run.readAllStandardError();
    QCOMPARE(run.exitCode(), 255);
    QVERIFY2(err.count("No space left on device") == 1, err.constData());
    QVERIFY2(err.contains(named.toLocal8Bit()), err.constData());
    const QHash<qint64, int> rows = joblogRows(record == u"joblog"_s ? named : log);
    QVERIFY2(rows.size() < 2000, "the run did not stop");
    if (record == u"stdout"_s) {
        // Every logged task's line is in the file that filled up.
        const QHash<QByteArray, int> lines = lineCounts(readFile(disk.path(u"out"_s)));
        QVERIFY(lines.value(QByteArray(2000, 'x')) >= rows.size());
    }
    if (record == u"results"_s) {
        for (auto it = rows.cbegin(); it != rows.cend(); ++it)
            QCOMPARE(QFileInfo(named + u"/1/%1/stdout"_s.arg(it.key())).size(), 2001);
    }
}

void TestGuarantees::outputsNeverFollowSymlinks()
{
    // Another user plants symlinks where Shoal will write: nothing is written through them.
    const QString victim = m_dir.filePath(u"victim"_s);
    QFile v(victim);
    QVERIFY(v.open(QIODevice::WriteOnly));
    v.write("precious\n");
    v.close();

    const QString results = m_dir.filePath(u"planted-results"_s);
    QVERIFY(QDir().mkpath(results + u"/1/foo"_s));
    QVERIFY(QFile::link(victim, results + u"/1/foo/stdout"_s));
    RunResult r = runShoal({ u"run"_s, u"--no-bar"_s, u"--results"_s, results, u"echo"_s, u"x"_s,
                             u":::"_s, u"foo"_s });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(readFile(victim), QByteArray("precious\n"));
    QCOMPARE(readFile(results + u"/1/foo/stdout"_s), QByteArray("x foo\n"));
    QVERIFY(!QFileInfo(results + u"/1/foo/stdout"_s).isSymLink());

    // A planted folder link: refused with a message naming it, the target untouched.
    QVERIFY(QDir().mkpath(results + u"/1"_s));
    QVERIFY(QFile::link(m_dir.path(), results + u"/1/bar"_s));
    r = runShoal({ u"run"_s, u"--no-bar"_s, u"--results"_s, results, u"echo"_s, u"x"_s, u":::"_s,
                   u"bar"_s });
    QCOMPARE(r.exitCode, 255);
    QVERIFY2(r.err.contains("1/bar") && r.err.contains("symbolic link"), r.err.constData());
    QVERIFY(!QFile::exists(m_dir.filePath(u"stdout"_s)));

    // Inputs "." and ".." name folders inside DIR/1, not DIR/1 itself or DIR.
    r = runShoal(
        { u"run"_s, u"--no-bar"_s, u"--results"_s, results, u"echo"_s, u":::"_s, u"."_s, u".."_s });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(readFile(results + u"/1/\\./stdout"_s), QByteArray(".\n"));
    QCOMPARE(readFile(results + u"/1/\\../stdout"_s), QByteArray("..\n"));
    QVERIFY(!QFile::exists(results + u"/stdout"_s));

    // The events file and the joblog: a symlink at the path is refused, never written through
    // and never replaced (/dev/stdout is a symlink too); nothing runs.
    const QString events = m_dir.filePath(u"planted-events"_s);
    QVERIFY(QFile::link(victim, events));
    const QString ran = m_dir.filePath(u"ran-with-planted-link"_s);
    for (const QString &option : { u"--events"_s, u"--joblog"_s }) {
        r = runShoal({ u"run"_s, u"--no-bar"_s, option, events, u"touch"_s, u":::"_s, ran });
        QCOMPARE(r.exitCode, 255);
        QVERIFY2(r.err.contains("symbolic link"), r.err.constData());
        QCOMPARE(readFile(victim), QByteArray("precious\n"));
        QVERIFY(QFileInfo(events).isSymLink());
        QVERIFY(!QFile::exists(ran));
    }
    // Devices, directly or behind a symlink, are written as they are, never replaced.
    const QString toNull = m_dir.filePath(u"to-null"_s);
    QVERIFY(QFile::link(u"/dev/null"_s, toNull));
    r = runShoal({ u"run"_s, u"--no-bar"_s, u"--events"_s, toNull, u"--joblog"_s, u"/dev/null"_s,
                   u"true"_s, u":::"_s, u"1"_s });
    QCOMPARE(r.exitCode, 0);
    QVERIFY(QFileInfo(toNull).isSymLink());
    QVERIFY(!QFileInfo(u"/dev/null"_s).isFile());
}

void TestGuarantees::keepOrderBoundsMemoryAndDescriptors()
{
    // -k with a slow first task: the 1 MiB outputs of all the others wait for it. They wait in
    // a spool file, not in memory, and hold no descriptor each (a low `ulimit -n` is enough).
    const QString go = m_dir.filePath(u"first-may-end"_s);
    const QString script = u"if [ $0 = 1 ]; then while [ ! -e %1 ]; do sleep 0.01; done; fi; "
                           "head -c 1100000 /dev/zero; [ $0 != 300 ] || touch %1"_s.arg(go);
    QStringList args { u"run"_s, u"--no-bar"_s, u"-k"_s, u"-j2"_s,
                       u"sh"_s,  u"-c"_s,       script,  u":::"_s };
    args << numbers(300);
    const MeasuredRun run = runShoalMeasured(args);
    QCOMPARE(run.exitCode, 0);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    qInfo("peak RSS with 300 held 1.1 MB outputs: %lld KiB", run.maxRssKiB);
    QVERIFY2(run.maxRssKiB < 64 * 1024, qPrintable(QString::number(run.maxRssKiB)));
#endif
    QFile::remove(go);

    // The same under 64 descriptors, through a shell that lowers the limit for shoal alone.
    QStringList quoted;
    for (const QString &a : QStringList { shoalBinary() } + args)
        quoted << u"'"_s + QString(a).replace(u"'"_s, u"'\\''"_s) + u"'"_s;
    const QString outFile = m_dir.filePath(u"keep-order.out"_s);
    QProcess sh;
    sh.setStandardOutputFile(outFile);
    sh.start(u"sh"_s, { u"-c"_s, u"ulimit -n 64 && exec "_s + quoted.join(u' ') });
    QVERIFY(sh.waitForFinished(120000));
    QCOMPARE(sh.exitCode(), 0);
    QCOMPARE(QFileInfo(outFile).size(), 300 * 1100000LL);
}

void TestGuarantees::inputsStream()
{
    // The first task runs while the input is still open (GNU parallel does the same): an
    // endless producer (`yes | shoal run ...`) is served, not read into memory first.
    QProcess run;
    run.start(shoalBinary(), { u"run"_s, u"--no-bar"_s, u"-j2"_s, u"echo"_s, u"got"_s });
    QVERIFY(run.waitForStarted());
    run.write("1\n2\n");
    QVERIFY(waitFor([&] {
        run.waitForReadyRead(50);
        return run.peek(1 << 20).count("got") >= 2;
    }));
    QCOMPARE(run.state(), QProcess::Running); // still reading
    run.write("3");
    run.closeWriteChannel(); // the last input needs no newline
    QVERIFY(run.waitForFinished(30000));
    QCOMPARE(run.exitCode(), 0);
    QCOMPARE(lineCounts(run.readAllStandardOutput()),
             (QHash<QByteArray, int> { { "got 1", 1 }, { "got 2", 1 }, { "got 3", 1 } }));

    // A range of a hundred million values is generated as it is needed: the first task runs
    // at once, and an interrupt ends the batch at once (nothing waits in memory).
    const QString batchFile = m_dir.filePath(u"huge-range.shoal.json"_s);
    QFile b(batchFile);
    QVERIFY(b.open(QIODevice::WriteOnly));
    b.write(
        R"({"command": ["echo", "value"], "inputs": {"range": {"from": 1, "to": 100000000}}, "jobs": 2})");
    b.close();
    QProcess huge;
    huge.start(shoalBinary(), { u"run"_s, u"--no-bar"_s, u"--batch"_s, batchFile });
    QVERIFY(huge.waitForStarted());
    QVERIFY(waitFor([&] {
        huge.waitForReadyRead(50);
        return huge.peek(1 << 20).contains("value 2\n");
    }));
    ::kill(pid_t(huge.processId()), SIGINT);
    QVERIFY(huge.waitForFinished(30000));
    QCOMPARE(huge.exitCode(), 255);

    // A NUL byte inside a line cut the input short before: now it is an error naming the line.
    RunResult r = runShoal({ u"run"_s, u"--no-bar"_s, u"echo"_s }, QByteArray("a\nb\0c\n", 6));
    QCOMPARE(r.exitCode, 255);
    QVERIFY2(r.err.contains("line 2") && r.err.contains("NUL"), r.err.constData());
    // An endless line is an error, not all of memory.
    QProcess zero;
    zero.setStandardInputFile(u"/dev/zero"_s);
    zero.start(shoalBinary(), { u"run"_s, u"--no-bar"_s, u"echo"_s });
    QVERIFY(zero.waitForFinished(60000));
    QCOMPARE(zero.exitCode(), 255);
    QVERIFY(zero.readAllStandardError().contains("longer than"));

    // A run that halts stops reading its endless input instead of waiting for its end (it
    // used to hang with `yes |` in front of it).
    QProcess halting;
    halting.start(u"/bin/sh"_s,
                  { u"-c"_s, u"yes | \"$0\" run --no-bar -j2 --halt now,fail=1 sh -c 'exit 3'"_s,
                    shoalBinary() });
    QVERIFY(halting.waitForFinished(30000));
    QCOMPARE(halting.exitCode(), 3); // GNU parallel's: the failing task's own status
}

QTEST_GUILESS_MAIN(TestGuarantees)
#include "tst_guarantees.moc"
