// Service workers on worker hosts (-S with --service): each host's agent runs the service
// programs and is sent their tasks in batches. The transport is the same stand-in for ssh as in
// tst_hosts (fakessh HOST COMMAND), so the guarantees are checked without a network.

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
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
        // agent that started it). On the host named "broken" it exits at once.
        m_worker = writeScript(u"worker.sh"_s,
                               "#!/bin/sh\n[ \"$SHOAL_TEST_HOST\" = broken ] && exit 3\n"
                               "echo $PPID > \"$1/worker.$$\"\n"
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

    // A host whose service workers all keep exiting (a module missing there, say): it is given
    // up, its tasks run on the healthy host, and none fails for it.
    void hostWhoseWorkersKeepExitingIsGivenUp()
    {
        // The healthy host's worker holds its task until the broken host is given up; the tasks
        // the crashes were charged to are retried (--retries), here.
        const QString dir = m_dir.filePath(u"broken"_s);
        QVERIFY(QDir().mkpath(dir));
        QProcess shoal;
        QStringList args { u"run"_s,      u"--no-bar"_s,  u"--retries"_s,
                           u"10"_s,       u"-S"_s,        u"2/broken,1/:"_s,
                           u"--ssh"_s,    m_fakeSsh,      u"--agent-path"_s,
                           shoalBinary(), u"--service"_s, u"sh %1 %2"_s.arg(m_worker, dir),
                           u":::"_s };
        for (int i = 1; i <= 20; ++i)
            args << u"wait %1"_s.arg(i);
        shoal.start(shoalBinary(), args);
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += shoal.readAllStandardError()).contains("is lost"), 20000);
        QFile(dir + u"/release"_s).open(QIODevice::WriteOnly);
        QVERIFY(shoal.waitForFinished(20000));
        err += shoal.readAllStandardError();
        QVERIFY2(shoal.exitCode() == 0, err.constData());
        QCOMPARE(sortedLines(shoal.readAllStandardOutput()).size(), 20);
        QVERIFY2(err.contains("host broken is lost: its agent failed: on "), err.constData());
        QVERIFY2(err.contains("every worker's service program kept exiting"), err.constData());
        QVERIFY2(err.contains("not tried again"), err.constData());
    }

    // Steering service tasks on a host: a drain that requeues (their Cancel acknowledged, then
    // each runs again once), then cancel all: the batch ends at once, nothing left running.
    void drainAndCancelThere()
    {
        const QString dir = m_dir.filePath(u"steer"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString socket = dir + u"/control"_s;
        const QString joblog = dir + u"/joblog"_s;
        QStringList args { u"run"_s,          u"--no-bar"_s,
                           u"--control"_s,    socket,
                           u"--joblog"_s,     joblog,
                           u"-S"_s,           u"3/far"_s,
                           u"--ssh"_s,        m_fakeSsh,
                           u"--agent-path"_s, shoalBinary(),
                           u"--service"_s,    u"sh %1 %2"_s.arg(m_worker, dir),
                           u":::"_s };
        for (int i = 1; i <= 12; ++i)
            args << (i <= 6 ? u"%1"_s.arg(i) : u"wait %1"_s.arg(i));
        QProcess shoal;
        shoal.start(shoalBinary(), args);
        QVERIFY(waitForFiles(dir, u"worker.*"_s, 3));
        // The six quick tasks answered, six waiting ones held on the host's three workers.
        QTRY_VERIFY_WITH_TIMEOUT(QByteArray(readFile(joblog)).count('\n') >= 7, 10000);
        const RunResult drained
            = runShoal({ u"ctl"_s, socket, u"resize-host"_s, u"far"_s, u"1"_s, u"requeue"_s });
        QVERIFY2(drained.exitCode == 0, drained.err.constData());
        const RunResult cancelled = runShoal({ u"ctl"_s, socket, u"cancel"_s });
        QVERIFY2(cancelled.exitCode == 0, cancelled.err.constData());
        QVERIFY(shoal.waitForFinished(20000));
        QVERIFY(shoal.exitCode() != 0); // tasks were cancelled
        const QList<QByteArray> out = sortedLines(shoal.readAllStandardOutput());
        QCOMPARE(out.size(), 6); // the quick ones, each once
        QCOMPARE(QSet<QByteArray>(out.begin(), out.end()).size(), 6);
        QCOMPARE(joblogSummary(joblog).size(), 6); // cancelled tasks are not recorded as run
    }

    // An input that crashes its worker, retried (--retries 3): the input fails alone, after its
    // attempts; the host's worker, answering the others between its crashes, is not given up.
    void crashingInputIsRetriedLast()
    {
        const QString dir = m_dir.filePath(u"poison"_s);
        QVERIFY(QDir().mkpath(dir));
        const RunResult r = runShoal(
            QStringList { u"run"_s, u"--no-bar"_s, u"--retries"_s, u"3"_s, u"-S"_s, u"1/far"_s,
                          u"--ssh"_s, m_fakeSsh, u"--agent-path"_s, shoalBinary(), u"--service"_s,
                          u"sh %1 %2"_s.arg(m_worker, dir), u":::"_s, u"crash"_s }
            + numbers(30));
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(sortedLines(r.out).size(), 30);
        QVERIFY2(r.err.contains("task 1 failed"), r.err.constData());
        QVERIFY2(!r.err.contains("is lost"), r.err.constData());
    }

    // An input whose worker ends its own agent (kill $PPID) takes the host down each time it is
    // sent there: twice free, then each loss is an attempt, so the retries bound it and the
    // batch ends (it looped for ever before). A host lost with tasks on their way is fed one at
    // a time until it answers, so the inputs sent with the bad one are answered, not charged.
    void inputThatEndsItsAgentIsNotRequeuedForEver()
    {
        const QString worker = writeScript(u"ends-its-agent.sh"_s,
                                           "#!/bin/sh\nwhile read -r x; do\n"
                                           "  [ \"$x\" = bad ] && kill $PPID && sleep 30\n"
                                           "  echo \"r $x\"\ndone\n");
        const RunResult r = runShoal(
            QStringList { u"run"_s, u"--no-bar"_s, u"--retries"_s, u"2"_s, u"-S"_s, u"1/far"_s,
                          u"--ssh"_s, m_fakeSsh, u"--agent-path"_s, shoalBinary(), u"--service"_s,
                          u"sh "_s + worker, u":::"_s, u"bad"_s, u"1"_s, u"2"_s });
        QVERIFY2(r.exitCode == 1, r.err.constData());
        QCOMPARE(sortedLines(r.out), (QList<QByteArray> { "r 1", "r 2" }));
        // Losses 1 and 2 free, 3 and 4 its two attempts: it fails on the fourth, alone.
        QVERIFY2(r.err.contains("task 1 failed: shoal: its host was lost each of the 4 times this "
                                "task was on its way"),
                 r.err.constData());
        QVERIFY2(!r.err.contains("task 2 failed") && !r.err.contains("task 3 failed"),
                 r.err.constData());
    }

    // At the batch's end the programs there get EOF on stdin and finish as they would here
    // (write what they keep, say), rather than being ended.
    void programsThereFinishOnEndOfInput()
    {
        const QString dir = m_dir.filePath(u"eof"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString worker = writeScript(
            u"eof-worker.sh"_s,
            "#!/bin/sh\nwhile read -r x; do echo \"r $x\"; done\necho done > \"$1/eof.$$\"\n");
        const RunResult r
            = runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"-S"_s, u"2/far"_s, u"--ssh"_s,
                                     m_fakeSsh, u"--agent-path"_s, shoalBinary(), u"--service"_s,
                                     u"sh %1 %2"_s.arg(worker, dir), u":::"_s }
                       + numbers(20));
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(sortedLines(r.out).size(), 20);
        QCOMPARE(QDir(dir).entryList({ u"eof.*"_s }, QDir::Files).size(), 2);
    }

    // JSON-mode service workers on a host say how far their tasks are: that reaches Shoal's
    // events (and so the window) as it does from workers here.
    void progressComesFromTheHost()
    {
        const QString dir = m_dir.filePath(u"progress"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString worker
            = writeScript(u"progress-worker.sh"_s,
                          "#!/bin/sh\nwhile read -r l; do id=${l#*:}; id=${id%%,*}\n"
                          "  echo \"{\\\"id\\\":$id,\\\"progress\\\":0.4}\"\n"
                          "  while [ ! -e \"$1\" ]; do sleep 0.02; done\n"
                          "  echo \"{\\\"id\\\":$id,\\\"ok\\\":true,\\\"result\\\":$id}\"\n"
                          "done\n");
        const QString events = dir + u"/events.jsonl"_s;
        const QString release = dir + u"/release"_s;
        QProcess shoal;
        shoal.start(shoalBinary(),
                    { u"run"_s, u"--no-bar"_s, u"--events"_s, events, u"-S"_s, u"1/far"_s,
                      u"--ssh"_s, m_fakeSsh, u"--agent-path"_s, shoalBinary(), u"--service"_s,
                      u"sh %1 %2"_s.arg(worker, release), u"--service-mode"_s, u"json"_s, u":::"_s,
                      u"a"_s });
        QTRY_VERIFY_WITH_TIMEOUT(readFile(events).contains("\"progress\":0.4"), 20000);
        QFile(release).open(QIODevice::WriteOnly);
        QVERIFY(shoal.waitForFinished(20000));
        QVERIFY2(shoal.exitCode() == 0, shoal.readAllStandardError().constData());
        QCOMPARE(shoal.readAllStandardOutput(), QByteArray("0\n"));
    }

    // SIGKILL of Shoal in the middle of a service batch on two hosts, then --resume: nothing
    // is left running on either host; every input is answered, twice only where the killed
    // run printed the answer and was killed before its joblog row; one row per task.
    void killedMidBatchThenResumed()
    {
        const QString dir = m_dir.filePath(u"resumed"_s);
        QVERIFY(QDir().mkpath(dir));
        // Paced (a few milliseconds a task), so that the kill finds answers on their way.
        const QString worker = writeScript(
            u"paced-worker.sh"_s,
            "#!/bin/sh\nwhile read -r x; do\n"
            "  [ \"$x\" = last ] && while [ ! -e \"$1/release\" ]; do sleep 0.01; done\n"
            "  sleep 0.002; echo \"r $x\"\n"
            "done\n");
        constexpr int kTasks = 1000;
        QStringList inputs = numbers(kTasks);
        inputs.last() = u"last"_s; // the batch cannot end before the kill
        for (int round = 0; round < 2; ++round) {
            const QString log = dir + u"/joblog%1"_s.arg(round);
            const QString problem = killedThenResumedProblem(
                QStringList { u"--no-bar"_s, u"--joblog"_s, log, u"-S"_s, u"1/hostA,1/:"_s,
                              u"--ssh"_s, m_fakeSsh, u"--agent-path"_s, shoalBinary(),
                              u"--service"_s, u"sh %1 %2"_s.arg(worker, dir), u":::"_s }
                    + inputs,
                log, dir + u"/out%1"_s.arg(round), dir + u"/release"_s, kTasks,
                [&](int seq) { return QList<QByteArray> { "r " + inputs[seq - 1].toLatin1() }; });
            QVERIFY2(problem.isEmpty(), qPrintable(u"round %1: %2"_s.arg(round).arg(problem)));
        }
    }

    // Long answers (16 KB each, 96 MB in all): they travel in frames of their own size, and
    // the host is never taken for one that talks nonsense.
    void longAnswersTravelWhole()
    {
        const QString worker = writeScript(u"long-answers.sh"_s,
                                           "#!/bin/sh\npad=$(printf '%16000s' '' | tr ' ' a)\n"
                                           "while read -r x; do echo \"$x $pad\"; done\n");
        const RunResult r = runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"-S"_s, u"2/:"_s,
                                                   u"--service"_s, u"sh "_s + worker, u":::"_s }
                                     + numbers(6000));
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(!r.err.contains("is lost"), r.err.constData());
        const QList<QByteArray> lines = sortedLines(r.out);
        QCOMPARE(lines.size(), 6000);
        QCOMPARE(lines.front().size(), qsizetype(1 + 1 + 16000));
    }

    // Pausing the batch stops the service programs on their host (state T), resuming
    // continues them, and every task is answered.
    void pauseStopsServiceWorkersThere()
    {
        const QString dir = m_dir.filePath(u"pause"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString socket = dir + u"/control"_s;
        QProcess shoal;
        QStringList args { u"run"_s,      u"--no-bar"_s,  u"--control"_s,
                           socket,        u"-S"_s,        u"2/far"_s,
                           u"--ssh"_s,    m_fakeSsh,      u"--agent-path"_s,
                           shoalBinary(), u"--service"_s, u"sh %1 %2"_s.arg(m_worker, dir),
                           u":::"_s };
        for (int i = 1; i <= 10; ++i)
            args << u"wait %1"_s.arg(i);
        shoal.start(shoalBinary(), args);
        QVERIFY(waitForFiles(dir, u"worker.*"_s, 2));
        QList<qint64> workers;
        for (const QString &name : QDir(dir).entryList({ u"worker.*"_s }, QDir::Files))
            workers << name.section(u'.', 1).toLongLong();
        QCOMPARE(runShoal({ u"ctl"_s, socket, u"pause"_s }).exitCode, 0);
        for (const qint64 pid : workers)
            QTRY_COMPARE_WITH_TIMEOUT(processState(pid), 'T', 10000);
        QCOMPARE(runShoal({ u"ctl"_s, socket, u"resume"_s }).exitCode, 0);
        for (const qint64 pid : workers)
            QTRY_VERIFY_WITH_TIMEOUT(processState(pid) != 'T', 10000);
        QFile(dir + u"/release"_s).open(QIODevice::WriteOnly);
        QVERIFY(shoal.waitForFinished(20000));
        QCOMPARE(shoal.exitCode(), 0);
        QCOMPARE(sortedLines(shoal.readAllStandardOutput()).size(), 10);
    }

private:
    QString writeScript(const QString &name, const QByteArray &text)
    {
        return shoal::test::writeScript(m_dir.filePath(name), text);
    }

    QTemporaryDir m_dir;
    QString m_fakeSsh;
    QString m_worker;
};

QTEST_GUILESS_MAIN(TestServiceHosts)
#include "tst_servicehosts.moc"
