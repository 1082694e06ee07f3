// Service workers on worker hosts (-S with --service): each host's agent runs the service
// programs and is sent their tasks in batches. The transport is the same stand-in for ssh as in
// tst_hosts (fakessh HOST COMMAND), so the guarantees are checked without a network.

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::Literals::StringLiterals;
using namespace shoal::test;

class TestServiceHosts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        becomeSubreaper();
        QVERIFY(m_dir.isValid());
        // The host's name is in the environment of what it starts (SHOAL_TEST_HOST).
        m_fakeSsh = writeScript(u"fakessh"_s,
                                "#!/bin/sh\nexport SHOAL_TEST_HOST=$1; shift\nexec sh -c \"$*\"\n");
        // A line-mode service worker: "r INPUT" for each line. "crash" ends it (exit 3); "wait"
        // answers once DIR/release exists. It leaves DIR/worker.PID holding its parent's pid (the
        // agent that started it).
        m_worker = writeScript(u"worker.sh"_s,
                               "#!/bin/sh\necho $PPID > \"$1/worker.$$\"\n"
                               "while read -r x; do\n"
                               "  case $x in\n"
                               "    crash) exit 3 ;;\n"
                               "    wait*) while [ ! -e \"$1/release\" ]; do sleep 0.01; done ;;\n"
                               "  esac\n"
                               "  echo \"r $x\"\n"
                               "done\n");
    }

    void cleanup()
    {
        const QStringList left = waitForNoChildren();
        QVERIFY2(left.isEmpty(), qPrintable(u"processes left behind: "_s + left.join(u", "_s)));
    }

    // The same service batch here, through this machine's agent and through a "remote" one: the
    // same answers, the same failure (a worker that crashes on one input, retried once), the same
    // joblog rows with the Host column naming where each task ran.
    void sameResultsOnEveryHost()
    {
        const QString dir = m_dir.filePath(u"same"_s);
        QVERIFY(QDir().mkpath(dir));
        QStringList inputs = numbers(300);
        inputs.insert(150, u"crash"_s);
        const auto run = [&](const QStringList &hosts, const QString &joblog) {
            return runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"-j2"_s, u"--retries"_s, u"2"_s,
                                          u"--joblog"_s, joblog, u"--service"_s,
                                          u"sh %1 %2"_s.arg(m_worker, dir) }
                            + hosts + QStringList { u":::"_s } + inputs);
        };
        const QString here = m_dir.filePath(u"here.log"_s);
        const RunResult local = run({}, here);
        QCOMPARE(local.exitCode, 1); // the crash, twice
        QCOMPARE(sortedLines(local.out).size(), 300);
        const struct
        {
            QStringList args;
            QString host;
        } cases[] = {
            { { u"-S"_s, u"2/:"_s }, u":"_s },
            { { u"-S"_s, u"2/far"_s, u"--ssh"_s, m_fakeSsh, u"--agent-path"_s, shoalBinary() },
              u"far"_s },
        };
        for (const auto &c : cases) {
            const QString joblog = m_dir.filePath(u"through-%1.log"_s.arg(c.host));
            const RunResult through = run(c.args, joblog);
            QCOMPARE(through.exitCode, local.exitCode);
            QCOMPARE(sortedLines(through.out), sortedLines(local.out));
            QVERIFY2(through.err.contains("task 151 failed"), through.err.constData());
            QStringList expected = joblogSummary(here);
            expected.replaceInStrings(u" : "_s, u" %1 "_s.arg(c.host));
            QCOMPARE(joblogSummary(joblog), expected);
        }
    }

    // Killing a host's agent mid-batch: the tasks it had in flight go to the other host (or to
    // it once it is back), each task is answered exactly once, and nothing is left running.
    void lostHostRequeuesItsTasksInFlight()
    {
        const QString dir = m_dir.filePath(u"lost"_s);
        QVERIFY(QDir().mkpath(dir));
        QProcess shoal;
        QStringList args { u"run"_s,          u"--no-bar"_s,
                           u"-S"_s,           u"1/hostA,1/:"_s,
                           u"--ssh"_s,        m_fakeSsh,
                           u"--agent-path"_s, shoalBinary(),
                           u"--service"_s,    u"sh %1 %2"_s.arg(m_worker, dir),
                           u":::"_s };
        for (int i = 1; i <= 40; ++i)
            args << u"wait %1"_s.arg(i);
        shoal.start(shoalBinary(), args);
        QVERIFY(waitForFiles(dir, u"worker.*"_s, 2));
        // hostA's agent: the parent of a worker, started through fakessh for hostA.
        qint64 agentOfA = 0;
        for (const qint64 agent : pidsIn(dir, u"worker.*"_s))
            if (readFile(u"/proc/%1/environ"_s.arg(agent)).contains("SHOAL_TEST_HOST=hostA"))
                agentOfA = agent;
        QVERIFY(agentOfA > 0);
        QCOMPARE(::kill(pid_t(agentOfA), SIGKILL), 0);
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT(
            (err += shoal.readAllStandardError()).contains("host hostA is back"), 10000);
        QVERIFY2(err.contains("host hostA is lost: its agent exited"), err.constData());
        QFile(dir + u"/release"_s).open(QIODevice::WriteOnly);
        QVERIFY(shoal.waitForFinished(20000));
        QCOMPARE(shoal.exitCode(), 0);
        const QList<QByteArray> out = sortedLines(shoal.readAllStandardOutput());
        QCOMPARE(out.size(), 40);
        QCOMPARE(QSet<QByteArray>(out.begin(), out.end()).size(), 40); // each exactly once
    }

    // A service program the far host cannot run: its agent says so, the host is not started
    // again and again, and the batch ends with the reason instead of waiting.
    void programMissingThereEndsTheBatch()
    {
        const RunResult r = runShoal({ u"run"_s, u"--no-bar"_s, u"-S"_s, u"far"_s, u"--ssh"_s,
                                       m_fakeSsh, u"--agent-path"_s, shoalBinary(), u"--service"_s,
                                       u"no-such-program-here"_s, u":::"_s, u"1"_s, u"2"_s },
                                     {}, 30000);
        QVERIFY2(r.exitCode != 0, r.err.constData());
        QVERIFY2(r.err.contains("host far is lost: its agent failed: cannot run the service "
                                "program 'no-such-program-here'"),
                 r.err.constData());
        QVERIFY2(r.err.contains("not tried again"), r.err.constData());
        QCOMPARE(r.err.count("is lost"), 1);
        QVERIFY(r.out.isEmpty());
    }

private:
    QString writeScript(const QString &name, const QByteArray &text)
    {
        const QString path = m_dir.filePath(name);
        QFile script(path);
        if (!script.open(QIODevice::WriteOnly) || script.write(text) != text.size())
            return {};
        script.close();
        script.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        return path;
    }

    QTemporaryDir m_dir;
    QString m_fakeSsh;
    QString m_worker;
};

QTEST_GUILESS_MAIN(TestServiceHosts)
#include "tst_servicehosts.moc"
