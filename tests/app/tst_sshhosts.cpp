// Worker hosts through a real ssh: a throwaway sshd on 127.0.0.1 (tests/cluster/sshd-up.sh, run
// by CTest as this test's fixture), reached with `--ssh "ssh -F CONFIG"`. What runs on the far
// side is not a child of this test, so what must not survive is checked by process id.

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::Literals::StringLiterals;
using namespace shoal::test;

namespace {

const QString kHost = u"shoal-test-host"_s;

// The ssh client that Shoal (pid) started: its child named ssh.
qint64 sshClientOf(qint64 shoal)
{
    for (const QString &entry : QDir(u"/proc"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QByteArray stat = readFile(u"/proc/%1/stat"_s.arg(entry));
        const qsizetype close = stat.lastIndexOf(')');
        const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
        if (stat.contains("(ssh)") && fields.size() > 1 && fields[1].toLongLong() == shoal)
            return entry.toLongLong();
    }
    return -1;
}

} // namespace

class TestSshHosts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        becomeSubreaper();
        QVERIFY(m_dir.isValid());
        const QString config = QStringLiteral(SHOAL_SSHD_DIR) + u"/ssh_config"_s;
        QVERIFY2(QFile::exists(config), "no test sshd: run this test through ctest (its fixture)");
        m_hostArgs = { u"--ssh"_s, u"ssh -F %1"_s.arg(config), u"--agent-path"_s, shoalBinary() };
    }

    void cleanup()
    {
        const QStringList left = waitForNoChildren();
        QVERIFY2(left.isEmpty(), qPrintable(u"processes left behind: "_s + left.join(u", "_s)));
    }

    // The same batch here and through ssh: the same output, the same joblog but for its Host.
    void sameResultsThroughSsh()
    {
        const QStringList batch { u"-k"_s,
                                  u"-j2"_s,
                                  u"sh"_s,
                                  u"-c"_s,
                                  u"echo \"$0 {#}\" >&2; echo out $0; exit $(($0 % 2))"_s,
                                  u"{}"_s,
                                  u":::"_s,
                                  u"1"_s,
                                  u"2"_s,
                                  u"3"_s,
                                  u"4"_s,
                                  u"5"_s };
        const QString here = m_dir.filePath(u"here.log"_s);
        const QString there = m_dir.filePath(u"there.log"_s);
        const RunResult local
            = runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"--joblog"_s, here } + batch);
        const RunResult remote
            = runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"--joblog"_s, there, u"-S"_s, kHost }
                       + m_hostArgs + batch);
        QCOMPARE(local.exitCode, 3);
        QCOMPARE(remote.exitCode, 3);
        QCOMPARE(remote.out, local.out);
        QCOMPARE(remote.err, local.err);
        const auto rows = [](const QString &path, const QString &host) {
            QStringList out;
            for (const QByteArray &line : readFile(path).split('\n').mid(1)) {
                const QList<QByteArray> c = line.split('\t');
                if (c.size() >= 9)
                    out << QString::fromUtf8(c[0] + ' ' + c[6] + ' ' + c[8]) + u' '
                            + (QString::fromUtf8(c[1]) == host ? u"ok"_s : u"wrong host"_s);
            }
            return out;
        };
        QCOMPARE(rows(there, kHost), rows(here, u":"_s));
    }

    // Service workers through ssh: the same answers as here. SIGKILL of Shoal mid-batch then
    // leaves no worker (nor agent) on the far side.
    void serviceWorkersThroughSsh()
    {
        const QStringList service = doubleWorkerService();
        const QByteArray inputs = numberLines(20000);
        const RunResult local = runShoal(QStringList { u"run"_s, u"--no-bar"_s } + service, inputs);
        const RunResult remote = runShoal(
            QStringList { u"run"_s, u"--no-bar"_s, u"-S"_s, kHost } + m_hostArgs + service, inputs);
        QCOMPARE(local.exitCode, 0);
        QVERIFY2(remote.exitCode == 0, remote.err.constData());
        QCOMPARE(sortedLines(remote.out).size(), 20000);
        QCOMPARE(sortedLines(remote.out), sortedLines(local.out));

        const QString dir = m_dir.filePath(u"service-killed"_s);
        QVERIFY(QDir().mkpath(dir));
        QFile worker(m_dir.filePath(u"sleepy-service.sh"_s));
        QVERIFY(worker.open(QIODevice::WriteOnly));
        worker.write("echo $PPID > \"$1/agent.$$\"; echo $$ > \"$1/worker.$$\"\n"
                     "while read -r x; do sleep 30; done\n");
        worker.close();
        QProcess shoal;
        shoal.start(shoalBinary(),
                    QStringList { u"run"_s, u"--no-bar"_s, u"-S"_s, u"2/"_s + kHost } + m_hostArgs
                        + QStringList { u"--service"_s, u"sh %1 %2"_s.arg(worker.fileName(), dir),
                                        u":::"_s, u"1"_s, u"2"_s, u"3"_s });
        QVERIFY(waitForFiles(dir, u"worker.*"_s, 2));
        const QList<qint64> there = pidsIn(dir, u"agent.*"_s) + pidsIn(dir, u"worker.*"_s);
        QCOMPARE(there.size(), 4);
        ::kill(pid_t(shoal.processId()), SIGKILL);
        QVERIFY(shoal.waitForFinished());
        QCOMPARE(survivors(there), QList<qint64>());
    }

    // --trc through a real ssh: the input goes there, the result comes back, nothing is left.
    void transferReturnCleanupThroughSsh()
    {
        const QString local = m_dir.filePath(u"trc-local"_s);
        const QString remote = m_dir.filePath(u"trc-remote"_s);
        QVERIFY(QDir().mkpath(local));
        QVERIFY(QDir().mkpath(remote));
        for (const QString &name : { u"one.txt"_s, u"two.txt"_s }) {
            QFile f(local + u'/' + name);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(name.toUtf8() + '\n');
        }
        const RunResult r = runShoal(
            QStringList { u"run"_s, u"--no-bar"_s, u"-S"_s, kHost, u"--workdir"_s, remote,
                          u"--trc"_s, u"{.}.up"_s }
                + m_hostArgs
                + QStringList { u"sh"_s, u"-c"_s, u"tr a-z A-Z < \"$0\" > \"$1\""_s, u"{}"_s,
                                u"{.}.up"_s, u":::"_s, u"one.txt"_s, u"two.txt"_s },
            {}, 60000, local);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(readFile(local + u"/one.up"_s), QByteArray("ONE.TXT\n"));
        QCOMPARE(readFile(local + u"/two.up"_s), QByteArray("TWO.TXT\n"));
        QCOMPARE(QDir(remote).entryList(QDir::Files), QStringList());
    }

    // SIGKILL of Shoal: ssh goes with it (the guard), the far sshd closes the session, the agent
    // sees its stdin end and ends its tasks, grandchildren included. Nothing is left there.
    void killedShoalLeavesNothingThere()
    {
        const QString dir = m_dir.filePath(u"killed"_s);
        QVERIFY(QDir().mkpath(dir));
        QProcess shoal;
        shoal.start(
            shoalBinary(),
            QStringList { u"run"_s, u"--no-bar"_s, u"-S"_s, u"2/"_s + kHost } + m_hostArgs
                + QStringList { u"sh"_s, u"-c"_s,
                                u"echo $PPID > %1/agent.$0; sleep 30 & echo $! > %1/child.$0; "
                                "echo $$ > %1/task.$0; wait"_s.arg(dir),
                                u"{}"_s, u":::"_s, u"1"_s, u"2"_s, u"3"_s });
        QVERIFY(waitForFiles(dir, u"task.*"_s, 2));
        const QList<qint64> there = pidsIn(dir, u"*"_s);
        QCOMPARE(there.size(), 6); // the agent twice, two tasks, their two sleeps
        ::kill(pid_t(shoal.processId()), SIGKILL);
        QVERIFY(shoal.waitForFinished());
        QCOMPARE(survivors(there), QList<qint64>());
    }

    // A killed ssh: its host is lost, the far side ends what it ran, and the host, started again,
    // runs exactly that task again.
    void killedSshRequeuesItsRunningTask()
    {
        const QString dir = m_dir.filePath(u"ssh-killed"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString joblog = dir + u"/joblog"_s;
        QProcess shoal;
        shoal.start(shoalBinary(),
                    QStringList { u"run"_s, u"--no-bar"_s, u"-S"_s, u"1/%1,1/:"_s.arg(kHost),
                                  u"--joblog"_s, joblog }
                        + m_hostArgs
                        + QStringList { u"sh"_s, u"-c"_s,
                                        u"echo $$ > %1/task.{%}.$0; "
                                        "while [ ! -e %1/release ]; do sleep 0.01; done; "
                                        "echo done $0"_s.arg(dir),
                                        u"{}"_s, u":::"_s, u"1"_s, u"2"_s });
        QVERIFY(waitForFiles(dir, u"task.*"_s, 2));
        const QList<qint64> farTask = pidsIn(dir, u"task.1.*"_s); // slot 1 is the ssh host's
        QCOMPARE(farTask.size(), 1);
        const qint64 ssh = sshClientOf(shoal.processId());
        QVERIFY(ssh > 0);
        QCOMPARE(::kill(pid_t(ssh), SIGKILL), 0);
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT(
            (err += shoal.readAllStandardError()).contains("host shoal-test-host is lost"), 10000);
        QCOMPARE(survivors(farTask), QList<qint64>());
        QTRY_VERIFY_WITH_TIMEOUT(
            (err += shoal.readAllStandardError()).contains("host shoal-test-host is back"), 10000);
        QFile(dir + u"/release"_s).open(QIODevice::WriteOnly);
        QVERIFY(shoal.waitForFinished(20000));
        QCOMPARE(shoal.exitCode(), 0);
        const QByteArray out = shoal.readAllStandardOutput();
        QCOMPARE(out.count("done 1\n"), 1);
        QCOMPARE(out.count("done 2\n"), 1);
        QCOMPARE(readFile(joblog).count("\t:\t"), 1);
        QCOMPARE(readFile(joblog).count("\tshoal-test-host\t"), 1);
    }

private:
    QTemporaryDir m_dir;
    QStringList m_hostArgs;
};

QTEST_GUILESS_MAIN(TestSshHosts)
#include "tst_sshhosts.moc"
