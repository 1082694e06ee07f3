// Worker hosts in a Slurm allocation: a throwaway single-node Slurm on 127.0.0.1
// (tests/cluster/slurm-up.sh, run by CTest as this test's fixture), with `--slurm ARGS` outside
// an allocation (Shoal obtains one) and inside one (salloc runs Shoal). What runs in the job
// steps is not a child of this test, so what must not survive is checked by process id.

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::Literals::StringLiterals;
using namespace shoal::test;

class TestSlurmHosts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        becomeSubreaper();
        QVERIFY(m_dir.isValid());
        const QString dir = QStringLiteral(SHOAL_SLURM_DIR);
        if (QFile::exists(dir + u"/skip"_s))
            QSKIP(readFile(dir + u"/skip"_s).trimmed().constData());
        m_conf = dir + u"/slurm.conf"_s;
        QVERIFY2(QFile::exists(m_conf), "no test Slurm: run this test through ctest (its fixture)");
        // Shoal and srun find the test cluster; this test itself runs in no allocation.
        qputenv("SLURM_CONF", m_conf.toLocal8Bit());
        for (const char *name : { "SLURM_JOB_ID", "SLURM_JOBID", "SLURM_JOB_NODELIST" })
            qunsetenv(name);
        m_hostArgs = { u"--agent-path"_s, shoalBinary() };
    }

    void cleanup()
    {
        const QStringList left = waitForNoChildren(15000);
        QVERIFY2(left.isEmpty(), qPrintable(u"processes left behind: "_s + left.join(u", "_s)));
    }

    // The same batch here and in a Slurm step: the same output, the same joblog but for its
    // Host (the node's name), and each task ran inside the agent's job step.
    void sameResultsThroughSlurm()
    {
        const QStringList batch {
            u"-k"_s, u"sh"_s,  u"-c"_s, u"echo \"$0 {#}\" >&2; echo out $0; exit $(($0 % 2))"_s,
            u"{}"_s, u":::"_s, u"1"_s,  u"2"_s,
            u"3"_s,  u"4"_s,   u"5"_s
        };
        const QString here = m_dir.filePath(u"here.log"_s);
        const QString there = m_dir.filePath(u"there.log"_s);
        const RunResult local = runShoal(
            QStringList { u"run"_s, u"--no-bar"_s, u"-j2"_s, u"--joblog"_s, here } + batch);
        const RunResult slurm = runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"--joblog"_s,
                                                       there, u"--slurm"_s, u"-N1 -c2"_s }
                                         + m_hostArgs + batch);
        QCOMPARE(local.exitCode, 3);
        QVERIFY2(slurm.exitCode == 3, slurm.err.constData());
        QCOMPARE(slurm.out, local.out);
        QList<QByteArray> said = slurm.err.split('\n'); // Shoal's word on the allocation first
        QVERIFY2(said.first().startsWith("shoal: Slurm job ")
                     && said.first().endsWith(": 1 node(s), allocated for this batch"),
                 slurm.err.constData());
        QCOMPARE(said.mid(1).join('\n'), local.err);
        QStringList rows = joblogSummary(there);
        QCOMPARE(rows.size(), 5);
        for (QString &row : rows) { // "Seq Host Exitval Command"
            QCOMPARE(row.section(u' ', 1, 1), u"localhost"_s);
            row.replace(u" localhost "_s, u" : "_s);
        }
        QCOMPARE(rows, joblogSummary(here));
        QTRY_VERIFY_WITH_TIMEOUT(noJobsLeft(), 15000);
    }

    // Service workers in a job step: the same answers as here.
    void serviceWorkersThroughSlurm()
    {
        const QStringList service = doubleWorkerService();
        const QByteArray inputs = numberLines(5000);
        const RunResult local = runShoal(QStringList { u"run"_s, u"--no-bar"_s } + service, inputs);
        const RunResult slurm
            = runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"--slurm"_s, u"-N1 -c2"_s }
                           + m_hostArgs + service,
                       inputs);
        QVERIFY2(slurm.exitCode == 0, slurm.err.constData());
        QCOMPARE(sortedLines(slurm.out).size(), 5000);
        QCOMPARE(sortedLines(slurm.out), sortedLines(local.out));
        QTRY_VERIFY_WITH_TIMEOUT(noJobsLeft(), 15000);
    }

    // Inside an allocation (salloc runs Shoal): the agents are steps of that job, the window's
    // and `shoal ctl status`'s host names the step, and the allocation is left to its owner.
    void insideAnAllocation()
    {
        const QString dir = m_dir.filePath(u"inside"_s);
        QVERIFY(QDir().mkpath(dir));
        const QString socket = dir + u"/control"_s;
        QProcess salloc;
        salloc.start(
            u"salloc"_s,
            QStringList { u"-N1"_s, u"-c2"_s, shoalBinary(), u"run"_s, u"--no-bar"_s,
                          u"--control"_s, socket, u"--slurm"_s, u""_s }
                + m_hostArgs
                + QStringList { u"sh"_s, u"-c"_s,
                                u"echo $SLURM_STEP_ID > %1/step.$0; "
                                "while [ ! -e %1/release ]; do sleep 0.01; done"_s.arg(dir),
                                u"{}"_s, u":::"_s, u"1"_s, u"2"_s });
        QVERIFY(waitForFiles(dir, u"step.*"_s, 2));
        const RunResult status = runShoal({ u"ctl"_s, socket, u"status"_s });
        QCOMPARE(status.exitCode, 0);
        QVERIFY2(status.out.contains("\"host\": \"localhost (Slurm step "), status.out.constData());
        QFile(dir + u"/release"_s).open(QIODevice::WriteOnly);
        QVERIFY(salloc.waitForFinished(30000));
        const QByteArray err = salloc.readAllStandardError();
        QVERIFY2(salloc.exitCode() == 0, err.constData());
        QVERIFY2(err.contains("the allocation this runs in"), err.constData());
        QVERIFY(!readFile(dir + u"/step.1"_s).trimmed().isEmpty()); // it ran in a job step
    }

    // SIGKILL of Shoal: srun goes alone (its helper cancels the step; its stdin ends too), the
    // agent ends its tasks, grandchildren included, and the allocation Shoal obtained is
    // released. Nothing is left in the step.
    void killedShoalLeavesNothingInTheStep()
    {
        const QString dir = m_dir.filePath(u"killed"_s);
        QVERIFY(QDir().mkpath(dir));
        QProcess shoal;
        shoal.start(shoalBinary(),
                    QStringList { u"run"_s, u"--no-bar"_s, u"--slurm"_s, u"-N1 -c2"_s } + m_hostArgs
                        + QStringList { u"sh"_s, u"-c"_s,
                                        u"echo $PPID > %1/agent.$0; sleep 30 & echo $! > "
                                        "%1/child.$0; echo $$ > %1/task.$0; wait"_s.arg(dir),
                                        u"{}"_s, u":::"_s, u"1"_s, u"2"_s, u"3"_s });
        QVERIFY(waitForFiles(dir, u"task.*"_s, 2));
        QVERIFY(waitForFiles(dir, u"child.*"_s, 2));
        const QList<qint64> there = pidsIn(dir, u"*"_s);
        QCOMPARE(there.size(), 6); // the agent twice, two tasks, their two sleeps
        ::kill(pid_t(shoal.processId()), SIGKILL);
        QVERIFY(shoal.waitForFinished());
        QCOMPARE(survivors(there), QList<qint64>());
        QTRY_VERIFY_WITH_TIMEOUT(noJobsLeft(), 15000);
    }

    // What Slurm refuses, and an agent that is not there, are clear errors.
    void slurmErrors()
    {
        const QStringList task { u"true"_s, u":::"_s, u"1"_s };
        const RunResult partition = runShoal(
            QStringList { u"run"_s, u"--no-bar"_s, u"--slurm"_s, u"-p nosuchpartition"_s }
            + m_hostArgs + task);
        QVERIFY(partition.exitCode != 0);
        QVERIFY2(partition.err.contains("Slurm gave no allocation (srun -p nosuchpartition)"),
                 partition.err.constData());
        QVERIFY2(partition.err.contains("nosuchpartition"), partition.err.constData());
        const RunResult agent
            = runShoal(QStringList { u"run"_s, u"--no-bar"_s, u"--slurm"_s, u"-N1"_s,
                                     u"--agent-path"_s, m_dir.filePath(u"no-shoal-here"_s) }
                       + task);
        QVERIFY(agent.exitCode != 0);
        QVERIFY2(agent.err.contains("host localhost: its agent did not start"),
                 agent.err.constData());
        QTRY_VERIFY_WITH_TIMEOUT(noJobsLeft(), 15000);
    }

private:
    // No job of this test's cluster is running or pending (ending ones hold nothing).
    static bool noJobsLeft()
    {
        QProcess squeue;
        squeue.start(u"squeue"_s, { u"-h"_s, u"-t"_s, u"R,PD"_s, u"-o"_s, u"%i"_s });
        return squeue.waitForFinished(10000) && squeue.exitCode() == 0
            && squeue.readAllStandardOutput().trimmed().isEmpty();
    }

    QTemporaryDir m_dir;
    QString m_conf;
    QStringList m_hostArgs;
};

QTEST_GUILESS_MAIN(TestSlurmHosts)
#include "tst_slurmhosts.moc"
