// Worker hosts (-S/--sshlogin): tasks run through `shoal agent` on each host, reached by a
// transport. Here the transport is a stand-in for ssh that runs the command on this machine
// (fakessh HOST COMMAND), so every guarantee is checked without a network; tst_sshhosts does the
// same through a real sshd on 127.0.0.1.

#include "agentprotocol.h"
#include "commandtemplate.h"
#include "pool.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/stat.h>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;
using namespace shoal::test;

class TestHosts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        becomeSubreaper();
        QVERIFY(m_dir.isValid());
        // As ssh: the host, then the command for the far side's shell.
        m_fakeSsh = writeScript(m_dir.filePath(u"fakessh"_s),
                                "#!/bin/sh\nhost=$1; shift\nexec sh -c \"$*\"\n");
        QVERIFY(!m_fakeSsh.isEmpty());
    }

    void cleanup()
    {
        const QStringList left = waitForNoChildren();
        QVERIFY2(left.isEmpty(), qPrintable(u"processes left behind: "_s + left.join(u", "_s)));
    }

    // The same batch here, through this machine's agent and through a "remote" one: the same
    // output and the same joblog rows, the Host column naming where each task ran.
    void sameResultsOnEveryHost()
    {
        const QStringList batch { u"-k"_s, u"sh"_s, u"-c"_s, u"echo \"$0 {#}\"; exit $(($0 % 3))"_s,
                                  u"{}"_s, u":::"_s };
        QStringList inputs;
        for (int i = 1; i <= 12; ++i)
            inputs << QString::number(i);
        const auto run = [&](const QStringList &hosts, const QString &joblog) {
            return runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"-j2"_s, u"--joblog"_s, joblog }
                            + hosts + batch + inputs);
        };
        const QString here = m_dir.filePath(u"here.log"_s);
        const RunResult local = run({}, here);
        QCOMPARE(local.exitCode, 8); // 8 of 12 exit non-zero
        const struct
        {
            QStringList args;
            QString host;
        } cases[] = {
            { { u"-S"_s, u":"_s }, u":"_s },
            { { u"-S"_s, u"far"_s, u"--ssh"_s, m_fakeSsh, u"--agent-path"_s, shoalBinary() },
              u"far"_s },
        };
        for (const auto &c : cases) {
            const QString joblog = m_dir.filePath(u"through-%1.log"_s.arg(c.host));
            const RunResult through = run(c.args, joblog);
            QCOMPARE(through.exitCode, local.exitCode);
            QCOMPARE(through.out, local.out);
            QVERIFY2(through.err.isEmpty(), through.err.constData());
            QStringList expected = joblogSummary(here);
            expected.replaceInStrings(u" : "_s, u" %1 "_s.arg(c.host));
            QCOMPARE(joblogSummary(joblog), expected);
        }
    }

    // -S 2/hostA,1/: gives hostA two workers and this machine one: three tasks that wait for
    // each other run at once, two on hostA.
    void splitsAsAsked()
    {
        const QString dir = m_dir.filePath(u"split"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString joblog = dir + u"/joblog"_s;
        QProcess shoal;
        shoal.start(
            shoalBinary(),
            { u"run"_s, u"--no-bar"_s, u"-S"_s, u"2/hostA,1/:"_s, u"--ssh"_s, m_fakeSsh,
              u"--agent-path"_s, shoalBinary(), u"--joblog"_s, joblog, u"sh"_s, u"-c"_s,
              u"touch %1/started.$0; while [ ! -e %1/release ]; do sleep 0.01; done"_s.arg(dir),
              u":::"_s, u"1"_s, u"2"_s, u"3"_s });
        QVERIFY(waitForFiles(dir, u"started.*"_s, 3));
        QFile(dir + u"/release"_s).open(QIODevice::WriteOnly);
        QVERIFY(shoal.waitForFinished(20000));
        QCOMPARE(shoal.exitCode(), 0);
        const QStringList rows = joblogSummary(joblog);
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows.filter(u" hostA 0 "_s).size(), 2);
        QCOMPARE(rows.filter(u" : 0 "_s).size(), 1);
    }

    // Hosts that cannot serve: a clear error naming the host and why, and nothing runs.
    void hostErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("error");
        QByteArray hello;
        agent::encode(agent::Hello { agent::kProtocol, u"9.9.9"_s, u"far"_s, 4, 1 << 30, {} },
                      hello);
        const QString helloFile = m_dir.filePath(u"hello-9.9.9"_s);
        QFile f(helloFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(hello);
        f.close();
        const QString ssh = m_fakeSsh;
        QTest::newRow("unreachable") << QStringList { u"-S"_s, u"far"_s, u"--ssh"_s, u"false"_s }
                                     << u"host far: its agent did not start ('false' exit 1)"_s;
        QTest::newRow("no agent there")
            << QStringList { u"-S"_s, u"far"_s,          u"--ssh"_s,
                             ssh,     u"--agent-path"_s, u"/nonexistent/shoal"_s }
            << u"host far: its agent did not start"_s;
        QTest::newRow("another version")
            << QStringList { u"-S"_s, u"far"_s, u"--ssh"_s,
                             u"sh -c 'cat %1; exec sleep 30'"_s.arg(helloFile) }
            << u"host far runs Shoal 9.9.9 (agent protocol %1), this is Shoal "_s.arg(
                   agent::kProtocol);
        QTest::newRow("not an agent")
            << QStringList { u"-S"_s, u"far"_s, u"--ssh"_s,
                             u"sh -c 'echo Welcome!; exec sleep 30'"_s }
            << u"host far: its agent says something else than Shoal's agent protocol"_s;
        QTest::newRow("bad worker count")
            << QStringList { u"-S"_s, u"0/far"_s } << u"'0' is not a number of workers"_s;
        QTest::newRow("empty host") << QStringList { u"-S"_s, u"a,,b"_s } << u"an empty host"_s;
        QTest::newRow("ssh without hosts")
            << QStringList { u"--ssh"_s, u"ssh -p 2222"_s } << u"--ssh needs worker hosts"_s;
        QTest::newRow("slurm and ssh hosts")
            << QStringList { u"-S"_s, u"far"_s, u"--slurm"_s, u"-N1"_s }
            << u"--slurm and -S/--sshlogin cannot be combined"_s;
        QTest::newRow("slurm with --ssh") << QStringList { u"--slurm"_s, u""_s, u"--ssh"_s, ssh }
                                          << u"--ssh goes with -S/--sshlogin, not --slurm"_s;
        QTest::newRow("slurm output option") << QStringList { u"--slurm"_s, u"-N2 -o out.txt"_s }
                                             << u"--slurm: srun's -o cannot be used with --slurm"_s;
        QTest::newRow("slurm quoting")
            << QStringList { u"--slurm"_s, u"-J 'open"_s } << u"--slurm: "_s;
        QTest::newRow("return without hosts")
            << QStringList { u"--return"_s, u"{}.out"_s } << u"--return needs worker hosts"_s;
        QTest::newRow("unknown placeholder in a transfer")
            << QStringList { u"-S"_s, u"far"_s, u"--transferfile"_s, u"{x}"_s }
            << u"--transferfile '{x}': unknown placeholder '{x}'"_s;
        QTest::newRow("missing login file")
            << QStringList { u"--sshloginfile"_s, u"/nonexistent/hosts"_s }
            << u"--sshloginfile '/nonexistent/hosts'"_s;
    }

    void hostErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, error);
        const QString marker = m_dir.filePath(u"ran"_s);
        const RunResult r = runShoal(QStringList { u"run"_s, u"--no-bar"_s } + args
                                     + QStringList { u"touch"_s, marker, u":::"_s, u"x"_s });
        QCOMPARE(r.exitCode, 255);
        QVERIFY2(QString::fromLocal8Bit(r.err).contains(error), r.err.constData());
        QVERIFY(!QFile::exists(marker));
    }

    // A host whose agent dies mid-batch (killed, or ending its tasks on a signal): exactly its
    // running task goes back to the queue (no attempt charged); the host is started again and
    // runs it; every task ends once.
    void lostHostRequeuesItsRunningTask_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGKILL") << int(SIGKILL);
        QTest::newRow("SIGTERM") << int(SIGTERM);
    }

    void lostHostRequeuesItsRunningTask()
    {
        QFETCH(int, signal);
        const QString dir = m_dir.filePath(u"lost-%1"_s.arg(signal));
        QVERIFY(QDir().mkpath(dir));
        const QString joblog = dir + u"/joblog"_s;
        QProcess shoal;
        shoal.start(shoalBinary(),
                    { u"run"_s, u"--no-bar"_s, u"-S"_s, u"1/hostA,1/:"_s, u"--ssh"_s, m_fakeSsh,
                      u"--agent-path"_s, shoalBinary(), u"--joblog"_s, joblog, u"sh"_s, u"-c"_s,
                      u"echo $PPID > %1/agent.{%}.$0; "
                      "while [ ! -e %1/release ]; do sleep 0.01; done; echo done $0"_s.arg(dir),
                      u"{}"_s, u":::"_s, u"1"_s, u"2"_s });
        QVERIFY(waitForFiles(dir, u"agent.*"_s, 2));
        // Slot 1 is hostA's: its task's parent is hostA's agent.
        const QStringList onA = QDir(dir).entryList({ u"agent.1.*"_s }, QDir::Files);
        QCOMPARE(onA.size(), 1);
        const qint64 agentPid = readPidFile(dir + u'/' + onA.front());
        QVERIFY(agentPid > 0);
        QCOMPARE(::kill(pid_t(agentPid), signal), 0);
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT(
            (err += shoal.readAllStandardError()).contains("host hostA is back"), 10000);
        QVERIFY2(err.contains("host hostA is lost: its agent exited"), err.constData());
        QVERIFY2(err.contains("trying it again in 0.5 s"), err.constData());
        QFile(dir + u"/release"_s).open(QIODevice::WriteOnly);
        QVERIFY(shoal.waitForFinished(20000));
        QCOMPARE(shoal.exitCode(), 0);
        const QByteArray out = shoal.readAllStandardOutput();
        QCOMPARE(out.count("done 1\n"), 1);
        QCOMPARE(out.count("done 2\n"), 1);
        // Task 1 ran again on hostA once it was back (this machine's worker held task 2).
        const QStringList rows = joblogSummary(joblog);
        QCOMPARE(rows.size(), 2);
        QVERIFY2(rows[0].startsWith(u"1 hostA 0 "_s), qPrintable(rows[0]));
        QVERIFY2(rows[1].startsWith(u"2 : 0 "_s), qPrintable(rows[1]));
    }

    // A host that does not come back is tried five times, then given up: the tasks that wait
    // fail with the reason, and the batch ends.
    void hostThatStaysLostIsGivenUp()
    {
        const QString dir = m_dir.filePath(u"gone"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString once = dir + u"/sshonce"_s;
        QVERIFY(
            !writeScript(
                 once,
                 u"#!/bin/sh\n[ -e %1/used ] && exit 255\ntouch %1/used\nshift\nexec sh -c \"$*\"\n"_s
                     .arg(dir)
                     .toUtf8())
                 .isEmpty());
        QProcess shoal;
        shoal.start(shoalBinary(),
                    { u"run"_s, u"--no-bar"_s, u"-S"_s, u"1/far"_s, u"--ssh"_s, once,
                      u"--agent-path"_s, shoalBinary(), u"sh"_s, u"-c"_s,
                      u"echo $PPID > %1/agent.$0; sleep 30"_s.arg(dir), u"{}"_s, u":::"_s, u"1"_s,
                      u"2"_s });
        QVERIFY(waitForFiles(dir, u"agent.*"_s, 1));
        const qint64 agentPid = readPidFile(dir + u"/agent.1"_s);
        QCOMPARE(::kill(pid_t(agentPid), SIGKILL), 0);
        QVERIFY(shoal.waitForFinished(40000));
        const QByteArray err = shoal.readAllStandardError();
        QVERIFY2(err.contains("given up after 5 tries"), err.constData());
        QVERIFY2(err.contains("no worker host is left"), err.constData());
        QCOMPARE(shoal.exitCode(), 2); // both tasks failed: nothing ran them
    }

    // GNU parallel's --transferfile, --return and --cleanup: each task's input goes to the host
    // (its working folder, subfolders and mode kept), what it made comes back here, and with
    // --cleanup nothing of either is left there.
    void transfersFilesBothWays_data()
    {
        QTest::addColumn<bool>("cleanup");
        QTest::newRow("--cleanup") << true;
        QTest::newRow("kept there") << false;
    }

    void transfersFilesBothWays()
    {
        QFETCH(bool, cleanup);
        const QString local = m_dir.filePath(cleanup ? u"tf-local-c"_s : u"tf-local"_s);
        const QString remote = m_dir.filePath(cleanup ? u"tf-remote-c"_s : u"tf-remote"_s);
        QVERIFY(QDir().mkpath(local + u"/in"_s));
        QVERIFY(QDir().mkpath(remote));
        QByteArray big(600 * 1024, 'x'); // more than one File frame
        big.append("end\n");
        for (const auto &[name, data] : { std::pair { u"in/a.txt"_s, QByteArray("hello\n") },
                                          std::pair { u"in/b.txt"_s, big } }) {
            QFile f(local + u'/' + name);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(data);
        }
        QVERIFY(QFile::setPermissions(local + u"/in/a.txt"_s,
                                      QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        QStringList args { u"run"_s,       u"--no-bar"_s, u"-S"_s,           u"1/far"_s,
                           u"--ssh"_s,     m_fakeSsh,     u"--agent-path"_s, shoalBinary(),
                           u"--workdir"_s, remote,        u"--transfer"_s,   u"--return"_s,
                           u"{.}.out"_s };
        if (cleanup)
            args << u"--cleanup"_s;
        args << u"sh"_s << u"-c"_s
             << u"{ [ \"$0\" != in/a.txt ] || [ -x \"$0\" ]; } && wc -c < \"$0\" > \"$1\""_s
             << u"{}"_s << u"{.}.out"_s << u":::"_s << u"in/a.txt"_s << u"in/b.txt"_s;
        const RunResult r = runShoal(args, {}, 60000, local);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(readFile(local + u"/in/a.out"_s).trimmed(), QByteArray("6"));
        QCOMPARE(readFile(local + u"/in/b.out"_s).trimmed(), QByteArray::number(big.size()));
        const QStringList left = QDir(remote + u"/in"_s).entryList(QDir::Files);
        if (cleanup)
            QCOMPARE(left, QStringList());
        else
            QCOMPARE(left, (QStringList { u"a.out"_s, u"a.txt"_s, u"b.out"_s, u"b.txt"_s }));
    }

    // A host whose working folder is ours (a shared disk, Slurm's nodes, -S localhost): the
    // files are in place already, so --trc neither rewrites nor removes them, nor the results.
    void sharedFolderIsLeftAlone()
    {
        const QString dir = m_dir.filePath(u"tf-shared"_s);
        QVERIFY(QDir().mkpath(dir));
        QVERIFY(writeTestFile(dir + u"/in.txt"_s, "kept\n"));
        const RunResult r = runShoal(
            { u"run"_s, u"--no-bar"_s, u"-S"_s, u"1/far"_s, u"--ssh"_s, m_fakeSsh,
              u"--agent-path"_s, shoalBinary(), u"--workdir"_s, dir, u"--trc"_s, u"{}.out"_s,
              u"sh"_s, u"-c"_s, u"cat \"$0\" > \"$0.out\""_s, u"{}"_s, u":::"_s, u"in.txt"_s },
            {}, 60000, dir);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(readFile(dir + u"/in.txt"_s), QByteArray("kept\n"));
        QCOMPARE(readFile(dir + u"/in.txt.out"_s), QByteArray("kept\n"));
        QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden),
                 (QStringList { u"in.txt"_s, u"in.txt.out"_s })); // no probe, no temporaries
    }

    // In a working folder both hosts see, only plain relative names are the same file on both:
    // one rebased by /./ (src/./in.txt goes to in.txt) still goes, and --cleanup removes it.
    void sharedFolderStillGetsRebasedFiles()
    {
        const QString dir = m_dir.filePath(u"tf-shared-rebased"_s);
        QVERIFY(QDir().mkpath(dir + u"/src"_s));
        QVERIFY(writeTestFile(dir + u"/src/in.txt"_s, "rebased\n"));
        const RunResult r
            = runShoal({ u"run"_s, u"--no-bar"_s, u"-S"_s, u"1/far"_s, u"--ssh"_s, m_fakeSsh,
                         u"--agent-path"_s, shoalBinary(), u"--workdir"_s, dir, u"--transferfile"_s,
                         u"src/./{}"_s, u"--cleanup"_s, u"cat"_s, u"{}"_s, u":::"_s, u"in.txt"_s },
                       {}, 60000, dir);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(r.out, QByteArray("rebased\n"));
        QCOMPARE(readFile(dir + u"/src/in.txt"_s), QByteArray("rebased\n"));
        QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden), QStringList()); // --cleanup
    }

    // A file sent under a name where the host sees the very same file (an absolute name on a
    // disk both share, a working folder that is not ours): it is left as it is, and --cleanup
    // does not remove it. Before, the copy replaced it and the cleanup then removed the only one.
    void fileBothHostsSeeIsNotRemoved()
    {
        const QString dir = m_dir.filePath(u"tf-seen-by-both"_s);
        const QString remote = m_dir.filePath(u"tf-seen-by-both-remote"_s);
        QVERIFY(QDir().mkpath(dir));
        QVERIFY(QDir().mkpath(remote));
        const QString original = dir + u"/data.txt"_s;
        QVERIFY(writeTestFile(original, "the only copy\n"));
        const auto inodeOf = [&] {
            struct stat st = {};
            return ::stat(QFile::encodeName(original).constData(), &st) == 0 ? st.st_ino : 0;
        };
        const auto inode = inodeOf();
        const RunResult r = runShoal({ u"run"_s, u"--no-bar"_s, u"-S"_s, u"1/far"_s, u"--ssh"_s,
                                       m_fakeSsh, u"--agent-path"_s, shoalBinary(), u"--workdir"_s,
                                       remote, u"--transferfile"_s, u"{}"_s, u"--cleanup"_s,
                                       u"cat"_s, u"{}"_s, u":::"_s, original });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(r.out, QByteArray("the only copy\n"));
        QCOMPARE(readFile(original), QByteArray("the only copy\n"));
        QCOMPARE(inodeOf(), inode); // not replaced by a copy either
        QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden), QStringList { u"data.txt"_s });
    }

    // Two tasks on one host sent the same file (--tf ref.txt --cleanup): the one that got it
    // last and ends first leaves it to the other, which still reads it; the last one removes
    // it. Before, the first to end removed it from under the other.
    void sharedNameOutlivesTheFirstTask()
    {
        const Folders f = makeFolders(u"tf-same-name"_s);
        QVERIFY(!f.local.isEmpty());
        QVERIFY(writeTestFile(f.local + u"/ref.txt"_s, "reference\n"));
        const QString log = f.local + u"/joblog"_s;
        // Task 1 (its file first) reads it once task 2's row is in the joblog (its agent had
        // cleaned up by then); task 2 ends at once.
        const QString script = u"[ \"$0\" = 2 ] && exit 0; while ! grep -q '^2\t' %1; do "
                               "sleep 0.01; done; cat ref.txt"_s.arg(log);
        const RunResult r
            = runThere(f,
                       { u"--joblog"_s, log, u"--transferfile"_s, u"ref.txt"_s, u"--cleanup"_s,
                         u"sh"_s, u"-c"_s, script, u"{}"_s, u":::"_s, u"1"_s, u"2"_s },
                       2);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(r.out, QByteArray("reference\n"));
        QCOMPARE(QDir(f.remote).entryList(QDir::Files | QDir::Hidden), QStringList());
    }

    // A name as long as a file's name may be (255 bytes) still travels: its hidden name while
    // it arrives is no longer.
    void longNamesTravel()
    {
        const Folders f = makeFolders(u"tf-long"_s);
        QVERIFY(!f.local.isEmpty());
        const QString name = QString(251, u'n') + u".txt"_s;
        QVERIFY(writeTestFile(f.local + u'/' + name, "long\n"));
        const RunResult r = runThere(f, { u"--trc"_s, u"{}"_s, u"cat"_s, u"{}"_s, u":::"_s, name });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(r.out, QByteArray("long\n"));
        QCOMPARE(QDir(f.remote).entryList(QDir::Files | QDir::Hidden), QStringList());
    }

    // A file brought back (--return) that cannot be written here (a folder stands under its
    // name) fails its task, and --cleanup leaves it there: it is removed there only once Shoal
    // has it (Collected). Before, it was removed as it left, and the task's only result was lost.
    void returnNotWrittenHereStaysThere()
    {
        const Folders f = makeFolders(u"tf-return-kept"_s);
        QVERIFY(!f.local.isEmpty());
        QVERIFY(writeTestFile(f.local + u"/x.out/blocker"_s, "a folder where x.out would go\n"));
        const RunResult r
            = runThere(f,
                       { u"--return"_s, u"{}.out"_s, u"--cleanup"_s, u"sh"_s, u"-c"_s,
                         u"echo result > \"$0.out\""_s, u"{}"_s, u":::"_s, u"x"_s, u"y"_s });
        QCOMPARE(r.exitCode, 1); // x's result could not be written here
        QVERIFY2(r.err.contains("--return"), r.err.constData());
        QCOMPARE(readFile(f.remote + u"/x.out"_s), QByteArray("result\n")); // kept there
        QCOMPARE(readFile(f.local + u"/y.out"_s), QByteArray("result\n"));
        QVERIFY(!QFile::exists(f.remote + u"/y.out"_s)); // here whole: removed there
    }

    // A file to send that is not there fails its task, naming it, before anything runs; a file
    // to bring back that was not made fails the task too: nothing it was to give is lost.
    void fileTransferErrors()
    {
        const QString local = m_dir.filePath(u"tf-errors"_s);
        const QString remote = m_dir.filePath(u"tf-errors-remote"_s);
        QVERIFY(QDir().mkpath(local));
        QVERIFY(QDir().mkpath(remote));
        const QString marker = remote + u"/ran"_s;
        const QStringList host { u"run"_s,       u"--no-bar"_s, u"-S"_s,           u"1/far"_s,
                                 u"--ssh"_s,     m_fakeSsh,     u"--agent-path"_s, shoalBinary(),
                                 u"--workdir"_s, remote };
        const RunResult missing
            = runShoal(host
                           + QStringList { u"--transferfile"_s, u"{}"_s, u"touch"_s, marker,
                                           u":::"_s, u"absent.txt"_s },
                       {}, 60000, local);
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains("--transferfile: cannot read 'absent.txt'"),
                 missing.err.constData());
        QVERIFY(!QFile::exists(marker)); // it did not run
        const RunResult unmade = runShoal(
            host + QStringList { u"--return"_s, u"{}.out"_s, u"true"_s, u":::"_s, u"x"_s }, {},
            60000, local);
        QCOMPARE(unmade.exitCode, 1);
        QVERIFY2(unmade.err.contains("--return: cannot read 'x.out'"), unmade.err.constData());
        QVERIFY(!QFile::exists(local + u"/x.out"_s));
        // A file that opens but cannot be read (here Shoal's own memory from address 0): found
        // while it is being sent, it fails its task too, and the batch ends.
        const RunResult unreadable
            = runShoal(host
                           + QStringList { u"--transferfile"_s, u"/proc/self/./mem"_s, u"touch"_s,
                                           marker, u":::"_s, u"x"_s },
                       {}, 60000, local);
        QCOMPARE(unreadable.exitCode, 1);
        QVERIFY2(unreadable.err.contains("--transferfile: cannot read '/proc/self/./mem'"),
                 unreadable.err.constData());
        QVERIFY(!QFile::exists(marker));
    }

    // Files to send go a part at a time as the link takes them: two tasks sending 100 MB each
    // at once get them whole, and Shoal never holds them in memory (it held both, twice).
    void largeFilesGoAPartAtATime()
    {
        const QString local = m_dir.filePath(u"tf-large"_s);
        const QString remote = m_dir.filePath(u"tf-large-remote"_s);
        QVERIFY(QDir().mkpath(local));
        QVERIFY(QDir().mkpath(remote));
        constexpr qint64 kSize = 100 << 20;
        QFile big(local + u"/big.bin"_s);
        QVERIFY(big.open(QIODevice::WriteOnly));
        QVERIFY(big.resize(kSize)); // zeros, sparse here: only the link carries them all
        big.close();
        const MeasuredRun run = runShoalMeasured(
            { u"run"_s, u"--no-bar"_s, u"-S"_s, u"2/far"_s, u"--ssh"_s, m_fakeSsh,
              u"--agent-path"_s, shoalBinary(), u"--workdir"_s, remote, u"--transferfile"_s,
              local + u"/./big.bin"_s, u"sh"_s, u"-c"_s,
              u"test $(wc -c < big.bin) = %1 && touch done.$0"_s.arg(kSize), u"{}"_s, u":::"_s,
              u"1"_s, u"2"_s });
        QCOMPARE(run.exitCode, 0);
        QVERIFY(QFile::exists(remote + u"/done.1"_s) && QFile::exists(remote + u"/done.2"_s));
        QVERIFY2(!kRssIsMeaningful || run.maxRssKiB < 100 * 1024,
                 qPrintable(u"peak %1 KiB"_s.arg(run.maxRssKiB)));
    }

    // A task drained back to the queue while its file is on its way: the far side drops what
    // came of the file (no hidden part is left) and, with --cleanup, the file sent whole before
    // it; the task's command has not run, and its next attempt sends the files whole.
    void drainedWhileItsFileIsOnItsWay()
    {
        const QString local = m_dir.filePath(u"tf-drain"_s);
        const QString remote = m_dir.filePath(u"tf-drain-remote"_s);
        QVERIFY(QDir().mkpath(local));
        QVERIFY(QDir().mkpath(remote));
        QByteArray data;
        for (int i = 0; data.size() < 24 << 20; ++i)
            data += QByteArray::number(i) + '\n';
        QFile file(local + u"/data.txt"_s);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(data);
        file.close();
        QVERIFY(writeTestFile(local + u"/small.txt"_s, "small\n"));
        const QString fast = local + u"/fast"_s;
        const QString slowSsh = throttledSsh(local, fast);
        const QString socket = local + u"/control"_s;
        QProcess shoal;
        shoal.start(shoalBinary(),
                    { u"run"_s,
                      u"--no-bar"_s,
                      u"--control"_s,
                      socket,
                      u"-S"_s,
                      u"1/far"_s,
                      u"--ssh"_s,
                      slowSsh,
                      u"--agent-path"_s,
                      shoalBinary(),
                      u"--workdir"_s,
                      remote,
                      u"--cleanup"_s,
                      u"--transferfile"_s,
                      local + u"/./small.txt"_s,
                      u"--transferfile"_s,
                      local + u"/./data.txt"_s,
                      u"sh"_s,
                      u"-c"_s,
                      u"cat small.txt >> ran; cksum < data.txt >> ran"_s,
                      u":::"_s,
                      u"1"_s });
        QVERIFY(shoal.waitForStarted());
        const auto parts
            = [&] { return QDir(remote).entryList({ u".shoal-*"_s }, QDir::Files | QDir::Hidden); };
        const auto there = [&] { return QDir(remote).entryList(QDir::Files | QDir::Hidden); };
        // data.txt on its way (small.txt, sent before it, is there whole)
        QTRY_VERIFY_WITH_TIMEOUT(parts().filter(u"-data.txt"_s).size() == 1, 20000);
        const RunResult drained = runShoal({ u"ctl"_s, socket, u"resize"_s, u"0"_s, u"requeue"_s });
        QVERIFY2(drained.exitCode == 0, drained.err.constData());
        QTRY_COMPARE_WITH_TIMEOUT(there(), QStringList(), 20000); // both dropped there
        QFile(fast).open(QIODevice::WriteOnly);
        QCOMPARE(runShoal({ u"ctl"_s, socket, u"resize"_s, u"1"_s }).exitCode, 0);
        QVERIFY(shoal.waitForFinished(60000));
        QVERIFY2(shoal.exitCode() == 0, shoal.readAllStandardError().constData());
        QProcess cksum;
        cksum.setStandardInputFile(local + u"/data.txt"_s);
        cksum.start(u"cksum"_s, QStringList());
        QVERIFY(cksum.waitForFinished());
        // Once, with both files whole; then removed there (--cleanup).
        QCOMPARE(readFile(remote + u"/ran"_s), "small\n" + cksum.readAllStandardOutput());
        QCOMPARE(there(), QStringList { u"ran"_s });
    }

    // Inside an allocation whose nodes only Slurm can list (node[1-2]), a controller that does
    // not answer is not waited out: Ctrl-C ends the wait, and scontrol with it.
    void interruptedWhileSlurmListsTheNodes()
    {
        const QString dir = m_dir.filePath(u"silent-slurm"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString pidFile = dir + u"/scontrol.pid"_s;
        QVERIFY(
            !writeScript(dir + u"/scontrol"_s,
                         u"#!/bin/sh\necho $$ > %1\nexec sleep 1000\n"_s.arg(pidFile).toLocal8Bit())
                 .isEmpty());
        QProcess shoal;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"PATH"_s, dir + u':' + env.value(u"PATH"_s));
        env.insert(u"SLURM_JOB_ID"_s, u"77"_s);
        env.insert(u"SLURM_JOB_NODELIST"_s, u"node[1-2]"_s);
        shoal.setProcessEnvironment(env);
        shoal.start(shoalBinary(),
                    { u"run"_s, u"--no-bar"_s, u"--slurm"_s, u""_s, u"--agent-path"_s,
                      shoalBinary(), u"true"_s, u":::"_s, u"1"_s });
        const qint64 scontrol = readPidFile(pidFile, 20000);
        QVERIFY(scontrol > 0);
        QElapsedTimer waited;
        waited.start();
        ::kill(pid_t(shoal.processId()), SIGINT);
        QVERIFY(shoal.waitForFinished(20000));
        QVERIFY(waited.elapsed() < 20000); // the controller's own limit is 30 s
        const QByteArray err = shoal.readAllStandardError();
        QVERIFY2(shoal.exitCode() != 0 && err.contains("Slurm job 77: cannot list its nodes")
                     && err.contains("interrupted"),
                 err.constData());
        QVERIFY(!processExists(scontrol));
    }

    // Shoal killed while a file is on its way: the link ends, and the agent drops the part it has
    // (a hidden file beside the target) before it exits; with --cleanup, the task's file that
    // had come whole is removed too (its Run never came). Nothing stands there, half or whole.
    void killedWhileItsFileIsOnItsWay()
    {
        const QString local = m_dir.filePath(u"tf-killed"_s);
        const QString remote = m_dir.filePath(u"tf-killed-remote"_s);
        QVERIFY(QDir().mkpath(local));
        QVERIFY(QDir().mkpath(remote));
        QFile file(local + u"/data.bin"_s);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QVERIFY(file.resize(16 << 20));
        file.close();
        QVERIFY(writeTestFile(local + u"/small.txt"_s, "small\n"));
        QProcess shoal;
        shoal.start(shoalBinary(),
                    { u"run"_s, u"--no-bar"_s, u"-S"_s, u"1/far"_s, u"--ssh"_s,
                      throttledSsh(local, local + u"/fast"_s), u"--agent-path"_s, shoalBinary(),
                      u"--workdir"_s, remote, u"--cleanup"_s, u"--transferfile"_s,
                      local + u"/./small.txt"_s, u"--transferfile"_s, local + u"/./data.bin"_s,
                      u"cksum"_s, u"data.bin"_s, u":::"_s, u"1"_s });
        QVERIFY(shoal.waitForStarted());
        const auto there = [&] { return QDir(remote).entryList(QDir::Files | QDir::Hidden); };
        QTRY_VERIFY_WITH_TIMEOUT(there().size() == 2, 20000); // small.txt whole, a part of data.bin
        QVERIFY2(there().constFirst().startsWith(u".shoal-"_s), qPrintable(there().join(u' ')));
        QCOMPARE(there().constLast(), u"small.txt"_s);
        ::kill(pid_t(shoal.processId()), SIGKILL);
        QVERIFY(shoal.waitForFinished());
        QVERIFY(waitForNoChildren().isEmpty()); // the transport and the agent are gone
        QCOMPARE(there(), QStringList());
    }

    // SIGKILL of Shoal at a random point of a batch on two hosts, then --resume: every task
    // prints once (twice only where the killed run printed it before its joblog row, as here),
    // and the joblog has one row each. Nothing is left on either host.
    void killedMidBatchThenResumed()
    {
        const QString dir = m_dir.filePath(u"resumed"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString task
            = writeScript(dir + u"/task.sh"_s,
                          "#!/bin/sh\n[ \"$1\" = last ] && while [ ! -e \"$2/release\" ]; "
                          "do sleep 0.01; done\necho \"r $1\"\n");
        constexpr int kTasks = 300;
        QStringList inputs = numbers(kTasks);
        inputs.last() = u"last"_s; // the batch cannot end before the kill
        for (int round = 0; round < 2; ++round) {
            const QString log = dir + u"/joblog%1"_s.arg(round);
            const QString problem = killedThenResumedProblem(
                QStringList { u"--no-bar"_s, u"--joblog"_s, log, u"-S"_s, u"2/hostA,1/:"_s,
                              u"--ssh"_s, m_fakeSsh, u"--agent-path"_s, shoalBinary(), task,
                              u"{}"_s, dir, u":::"_s }
                    + inputs,
                log, dir + u"/out%1"_s.arg(round), dir + u"/release"_s, kTasks,
                [&](int seq) { return QList<QByteArray> { "r " + inputs[seq - 1].toLatin1() }; });
            QVERIFY2(problem.isEmpty(), qPrintable(u"round %1: %2"_s.arg(round).arg(problem)));
        }
    }

    // Each running task's CPU and memory, measured where it runs, reach the workers table
    // (here through `shoal ctl status`, which the window shares).
    void usageComesFromTheHost()
    {
        const QString dir = m_dir.filePath(u"usage"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString socket = dir + u"/control"_s;
        QProcess shoal;
        shoal.start(shoalBinary(),
                    { u"run"_s, u"--no-bar"_s, u"--control"_s, socket, u"-S"_s, u"1/far"_s,
                      u"--ssh"_s, m_fakeSsh, u"--agent-path"_s, shoalBinary(), worker(), u"--rss"_s,
                      u"64"_s, u"--pidfile"_s, dir + u"/task.{}"_s, u"--wait-file"_s,
                      dir + u"/release"_s, u":::"_s, u"1"_s });
        QVERIFY(waitForFiles(dir, u"task.*"_s, 1));
        const auto rss = [&] {
            const RunResult status = runShoal({ u"ctl"_s, socket, u"status"_s });
            const QJsonArray workers
                = QJsonDocument::fromJson(status.out).object().value(u"workers"_s).toArray();
            return workers.isEmpty() ? 0.0 : workers[0].toObject().value(u"rssBytes"_s).toDouble();
        };
        QTRY_VERIFY_WITH_TIMEOUT(rss() >= 64.0 * 1024 * 1024, 10000);
        QFile(dir + u"/release"_s).open(QIODevice::WriteOnly);
        QVERIFY(shoal.waitForFinished(20000));
        QCOMPARE(shoal.exitCode(), 0);
    }

    // Ctrl-C while a host has not answered yet (a slow login, a hung ssh): Shoal stops
    // waiting at once, says so, and leaves nothing running.
    void interruptWhileWaitingForAHost()
    {
        const QString dir = m_dir.filePath(u"interrupt"_s);
        QVERIFY(QDir().mkpath(dir));
        QProcess shoal;
        shoal.start(shoalBinary(),
                    { u"run"_s, u"--no-bar"_s, u"-S"_s, u"far"_s, u"--ssh"_s,
                      u"sh -c 'touch %1/waiting; exec sleep 60'"_s.arg(dir), u"true"_s, u":::"_s,
                      u"1"_s });
        QVERIFY(waitForFiles(dir, u"waiting"_s, 1));
        QElapsedTimer clock;
        clock.start();
        ::kill(pid_t(shoal.processId()), SIGINT);
        QVERIFY(shoal.waitForFinished(10000));
        QVERIFY(clock.elapsed() < 10000); // not the 30 s a host gets to answer
        QVERIFY(shoal.exitCode() != 0);
        const QByteArray err = shoal.readAllStandardError();
        QVERIFY2(err.contains("interrupted while waiting for host far"), err.constData());
        const QStringList left = waitForNoChildren(5000);
        QVERIFY2(left.isEmpty(), qPrintable(left.join(u", "_s)));
    }

    // Retry after the batch's end (the window's Retry failed): its agents had gone with it, so
    // each host is started again, and the task runs there.
    void retryAfterTheEndStartsTheHostsAgain()
    {
        const QString mark = m_dir.filePath(u"retry-mark"_s);
        PoolOptions options;
        options.hosts.hosts = { { u"far"_s, 1 } };
        options.hosts.ssh = { m_fakeSsh };
        options.hosts.agentPath = shoalBinary();
        auto command = CommandTemplate::parse(
            { u"sh"_s, u"-c"_s, u"test -e \"$0\" || { touch \"$0\"; exit 3; }"_s, mark }, false);
        QVERIFY(command.ok());
        Pool pool(*command, QStringList { u"1"_s }, options);
        QSignalSpy done(&pool, &Pool::finished);
        QVERIFY(pool.start().ok());
        QVERIFY(done.wait(20000));
        QCOMPARE(pool.stats().failed, 1);
        pool.retryFailed();
        QVERIFY(done.wait(20000));
        QCOMPARE(pool.stats().failed, 0);
        QCOMPARE(pool.stats().succeeded, 1);
    }

    // Pausing the batch stops the tasks where they run (state T there), resuming continues them.
    void pauseStopsTasksOnTheirHost()
    {
        // The task is the fixture worker, one process that never forks: a shell loop that
        // forks `sleep` is seen in state D (its vfork wait on a stopped child) when paused.
        const QString dir = m_dir.filePath(u"pause"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString socket = dir + u"/control"_s;
        QProcess shoal;
        shoal.start(shoalBinary(),
                    { u"run"_s, u"--no-bar"_s, u"--control"_s, socket, u"-S"_s, u"1/far"_s,
                      u"--ssh"_s, m_fakeSsh, u"--agent-path"_s, shoalBinary(), worker(),
                      u"--pidfile"_s, dir + u"/task.{}"_s, u"--wait-file"_s, dir + u"/release"_s,
                      u":::"_s, u"1"_s });
        QVERIFY(waitForFiles(dir, u"task.*"_s, 1));
        const qint64 task = readPidFile(dir + u"/task.1"_s);
        const RunResult paused = runShoal({ u"ctl"_s, socket, u"pause"_s });
        QVERIFY2(paused.exitCode == 0, paused.err.constData());
        QTRY_COMPARE_WITH_TIMEOUT(processState(task), 'T', 10000);
        QCOMPARE(runShoal({ u"ctl"_s, socket, u"resume"_s }).exitCode, 0);
        QTRY_VERIFY_WITH_TIMEOUT(processState(task) != 'T', 10000);
        QFile(dir + u"/release"_s).open(QIODevice::WriteOnly);
        QVERIFY(shoal.waitForFinished(20000));
        QCOMPARE(shoal.exitCode(), 0);
    }

    // One host resized alone (shoal ctl SOCK resize-host HOST N): hostA gets two workers more
    // and runs the next two tasks, this machine keeps its one; an unknown host is an error
    // naming it, and changes nothing.
    void resizeOneHost()
    {
        const QString dir = m_dir.filePath(u"resize-host"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString socket = dir + u"/control"_s;
        const QString joblog = dir + u"/joblog"_s;
        QProcess shoal;
        shoal.start(shoalBinary(),
                    { u"run"_s,
                      u"--no-bar"_s,
                      u"--control"_s,
                      socket,
                      u"-S"_s,
                      u"1/hostA,1/:"_s,
                      u"--ssh"_s,
                      m_fakeSsh,
                      u"--agent-path"_s,
                      shoalBinary(),
                      u"--joblog"_s,
                      joblog,
                      worker(),
                      u"--pidfile"_s,
                      dir + u"/task.{}"_s,
                      u"--wait-file"_s,
                      dir + u"/release"_s,
                      u":::"_s,
                      u"1"_s,
                      u"2"_s,
                      u"3"_s,
                      u"4"_s,
                      u"5"_s });
        QVERIFY(waitForFiles(dir, u"task.*"_s, 2));
        const RunResult unknown
            = runShoal({ u"ctl"_s, socket, u"resize-host"_s, u"hostZ"_s, u"4"_s });
        QVERIFY(unknown.exitCode != 0);
        QVERIFY2(unknown.err.contains("no worker host 'hostZ' in this batch"),
                 unknown.err.constData());
        const RunResult resized
            = runShoal({ u"ctl"_s, socket, u"resize-host"_s, u"hostA"_s, u"3"_s });
        QVERIFY2(resized.exitCode == 0, resized.err.constData());
        QVERIFY(waitForFiles(dir, u"task.*"_s, 4));
        // Three workers on hostA, one here (and so no fifth task running).
        const RunResult status = runShoal({ u"ctl"_s, socket, u"status"_s });
        QStringList hosts;
        for (const QJsonValue &w :
             QJsonDocument::fromJson(status.out).object().value(u"workers"_s).toArray())
            hosts << w.toObject().value(u"host"_s).toString();
        hosts.sort();
        QCOMPARE(hosts, (QStringList { u":"_s, u"hostA"_s, u"hostA"_s, u"hostA"_s }));
        // hostA down to none: its workers finish their tasks and leave; the last task runs here.
        QCOMPARE(runShoal({ u"ctl"_s, socket, u"resize-host"_s, u"hostA"_s, u"0"_s }).exitCode, 0);
        QFile(dir + u"/release"_s).open(QIODevice::WriteOnly);
        QVERIFY(shoal.waitForFinished(20000));
        QCOMPARE(shoal.exitCode(), 0);
        const QStringList rows = joblogSummary(joblog);
        QCOMPARE(rows.size(), 5);
        QVERIFY2(rows[0].startsWith(u"1 hostA "_s), qPrintable(rows[0]));
        QVERIFY2(rows[1].startsWith(u"2 : "_s), qPrintable(rows[1]));
        QVERIFY2(rows[2].startsWith(u"3 hostA "_s), qPrintable(rows[2]));
        QVERIFY2(rows[3].startsWith(u"4 hostA "_s), qPrintable(rows[3]));
        QVERIFY2(rows[4].startsWith(u"5 : "_s), qPrintable(rows[4]));
    }

    // The only host resized to none, then the pool resized: its new workers still go to that
    // host (no worker is left without one, waiting for ever).
    void poolResizedAfterItsOnlyHostWasResizedToNone()
    {
        const QString dir = m_dir.filePath(u"resize-none"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString socket = dir + u"/control"_s;
        QProcess shoal;
        shoal.start(shoalBinary(),
                    { u"run"_s, u"--no-bar"_s, u"--control"_s, socket, u"-S"_s, u"1/hostA"_s,
                      u"--ssh"_s, m_fakeSsh, u"--agent-path"_s, shoalBinary(), worker(),
                      u"--pidfile"_s, dir + u"/task.{}"_s, u"--wait-file"_s, dir + u"/release"_s,
                      u":::"_s, u"1"_s, u"2"_s, u"3"_s });
        QVERIFY(waitForFiles(dir, u"task.*"_s, 1));
        QCOMPARE(runShoal({ u"ctl"_s, socket, u"resize-host"_s, u"hostA"_s, u"0"_s }).exitCode, 0);
        QCOMPARE(runShoal({ u"ctl"_s, socket, u"resize"_s, u"3"_s }).exitCode, 0);
        QVERIFY(waitForFiles(dir, u"task.*"_s, 3));
        QFile(dir + u"/release"_s).open(QIODevice::WriteOnly);
        QVERIFY(shoal.waitForFinished(20000));
        QCOMPARE(shoal.exitCode(), 0);
    }

    // SIGKILL of Shoal: the agents see their link end and end every task they started,
    // grandchildren included; nothing is left on any host.
    void killedShoalLeavesNothingOnTheHosts()
    {
        const QString dir = m_dir.filePath(u"killed"_s);
        QVERIFY(QDir().mkpath(dir));
        QProcess shoal;
        // `sleep 30; true` makes sh fork sleep as a grandchild of the agent.
        shoal.start(shoalBinary(),
                    { u"run"_s, u"--no-bar"_s, u"-S"_s, u"2/far,1/:"_s, u"--ssh"_s, m_fakeSsh,
                      u"--agent-path"_s, shoalBinary(), u"sh"_s, u"-c"_s,
                      u"touch %1/started.$0; sleep 30; true"_s.arg(dir), u":::"_s, u"1"_s, u"2"_s,
                      u"3"_s, u"4"_s });
        QVERIFY(waitForFiles(dir, u"started.*"_s, 3));
        ::kill(pid_t(shoal.processId()), SIGKILL);
        QVERIFY(shoal.waitForFinished());
        const QStringList left = waitForNoChildren(15000);
        QVERIFY2(left.isEmpty(), qPrintable(left.join(u", "_s)));
    }

private:
    // A file test's folders, made: where Shoal runs, and the far host's working folder.
    struct Folders
    {
        QString local, remote;
    };
    Folders makeFolders(const QString &name) const
    {
        const Folders f { m_dir.filePath(name), m_dir.filePath(name + u"-remote"_s) };
        return QDir().mkpath(f.local) && QDir().mkpath(f.remote) ? f : Folders();
    }
    // shoal run ARGS through `workers`/far (fakessh) working in f.remote, run from f.local.
    RunResult runThere(const Folders &f, const QStringList &args, int workers = 1) const
    {
        return runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"-S"_s, u"%1/far"_s.arg(workers),
                                      u"--ssh"_s, m_fakeSsh, u"--agent-path"_s, shoalBinary(),
                                      u"--workdir"_s, f.remote }
                            + args,
                        {}, 60000, f.local);
    }

    // As fakessh, through a link of 64 KiB every 20 ms until `fast` exists. The far side is out
    // of Shoal's reach, as under sshd (not its descendant, a session of its own, without the
    // token its guard looks for): only the link's end ends it.
    static QString throttledSsh(const QString &dir, const QString &fast)
    {
        return writeScript(
            dir + u"/slowssh"_s,
            "#!/bin/sh\nshift\nwhile :; do\n"
            "  n=$(dd bs=65536 count=1 2>&1 >&3 | sed -n 's/ records in//p')\n"
            "  [ \"$n\" = 0+0 ] && break\n"
            "  [ -e "
                + fast.toLocal8Bit()
                + " ] || sleep 0.02\n"
                  "done 3>&1 | exec env -i PATH=\"$PATH\" HOME=\"$HOME\" setsid -f sh -c \"$*\"\n");
    }

    QTemporaryDir m_dir;
    QString m_fakeSsh;
};

QTEST_GUILESS_MAIN(TestHosts)
#include "tst_hosts.moc"
