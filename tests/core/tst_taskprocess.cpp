#include "launcher.h"
#include "processguard.h"
#include "processtree.h"
#include "processwatcher.h"
#include "taskprocess.h"
#include "testsupport.h"

#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;
using namespace shoal::test;

Q_DECLARE_METATYPE(shoal::ExitStatus)

// A process handle alone: its stop policy (TERM, grace, KILL), pause, the one sequence that ends
// and reaps it, and the watcher that says when it exited.
class TestTaskProcess : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { becomeSubreaper(); }
    void init();
    void cleanup();
    void exitIsWatchedAndReaped();
    void termEndsAProcessThatHandlesIt();
    void killFollowsWhenTermIsIgnored();
    void noGraceMeansKillAtOnce();
    void terminateWakesAStoppedGroup();
    void reapEndsWhatTheTaskLeft();
    void endAllEndsEveryProcess();
    void staleGenerationsDiffer();

private:
    // Starts the fixture worker with these steps, its stdout into a pipe we read.
    TaskProcess start(const QStringList &steps, ProcessWatcher::Tag tag = { 1, 1 });
    QByteArray readLine();
    // Starts a process that runs steps, then says it is up and hangs; true once it said so.
    bool startHanging(TaskProcess &process, QStringList steps = {});
    // Waits until the watcher reports an exit.
    bool waitForExit(int timeoutMs = 10000);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Launcher> m_launcher;
    std::unique_ptr<ProcessTree> m_tree;
    std::unique_ptr<ProcessGuard> m_guard;
    std::unique_ptr<ProcessWatcher> m_watcher;
    std::unique_ptr<QObject> m_context;
    QList<ProcessWatcher::Tag> m_ready;
    int m_out[2] = { -1, -1 };
    int m_devNull = -1;
};

void TestTaskProcess::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_launcher = std::make_unique<Launcher>();
    m_tree = std::make_unique<ProcessTree>();
    m_launcher->setTaskToken(m_tree->tokenPrefix());
    m_guard = std::make_unique<ProcessGuard>(m_tree->tokenPrefix());
    m_tree->setGuard(m_guard.get());
    m_context = std::make_unique<QObject>();
    m_watcher = std::make_unique<ProcessWatcher>();
    m_ready.clear();
    QVERIFY(m_watcher
                ->open(m_context.get(),
                       [this] {
                           m_watcher->takeReady(
                               [this](const ProcessWatcher::Tag &tag) { m_ready << tag; });
                       })
                .ok());
    QCOMPARE(pipe2(m_out, O_CLOEXEC), 0);
    m_devNull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
}

void TestTaskProcess::cleanup()
{
    m_watcher.reset();
    m_context.reset();
    m_tree.reset();
    m_guard.reset();
    m_launcher.reset();
    for (int &fd : m_out) {
        if (fd >= 0)
            ::close(std::exchange(fd, -1));
    }
    if (m_devNull >= 0)
        ::close(std::exchange(m_devNull, -1));
    QCOMPARE(waitForNoChildren(), QStringList());
}

TaskProcess TestTaskProcess::start(const QStringList &steps, ProcessWatcher::Tag tag)
{
    const QByteArray path = m_launcher->resolve(worker());
    const Launcher::Process p = m_launcher->start(path, QStringList { worker() } + steps, -1,
                                                  m_out[1], m_devNull, m_guard->registrationFd());
    TaskProcess process;
    if (p.error)
        return process;
    process.adopt(p.pid, p.pidfd);
    m_watcher->watch(p.pidfd, tag);
    return process;
}

bool TestTaskProcess::startHanging(TaskProcess &process, QStringList steps)
{
    process = start(steps << u"--print"_s << u"up"_s << u"--hang"_s);
    return process.isLive() && readLine() == "up";
}

QByteArray TestTaskProcess::readLine()
{
    QByteArray line;
    char c;
    while (::read(m_out[0], &c, 1) == 1 && c != '\n')
        line += c;
    return line;
}

bool TestTaskProcess::waitForExit(int timeoutMs)
{
    return QTest::qWaitFor([this] { return !m_ready.isEmpty(); }, timeoutMs);
}

void TestTaskProcess::exitIsWatchedAndReaped()
{
    TaskProcess p = start({ u"--exit"_s, u"3"_s }, { 7, 42, ProcessWatcher::Kind::Exited });
    QVERIFY(p.isLive());
    QVERIFY(waitForExit());
    QCOMPARE(m_ready.front().slot, 7);
    QCOMPARE(m_ready.front().generation, 42u);
    QCOMPARE(m_ready.front().kind, ProcessWatcher::Kind::Exited);
    QVERIFY(p.hasExited());
    const pid_t pid = p.pid();
    QCOMPARE(p.reap(*m_tree, *m_guard, *m_watcher), ExitStatus::exited(3));
    QVERIFY(!p.isLive());
    QVERIFY(!processExists(pid));
}

void TestTaskProcess::termEndsAProcessThatHandlesIt()
{
    TaskProcess p;
    QVERIFY(startHanging(p));
    QVERIFY(!p.hasExited());
    QVERIFY(p.terminate(60000, 100)); // TERM now, KILL scheduled a minute later
    QCOMPARE(p.killAtMs(), 60100);
    QCOMPARE(p.lastSignal(), SIGTERM);
    QVERIFY(waitForExit());
    QCOMPARE(p.reap(*m_tree, *m_guard, *m_watcher), ExitStatus::signaled(SIGTERM));
}

void TestTaskProcess::killFollowsWhenTermIsIgnored()
{
    TaskProcess p;
    QVERIFY(startHanging(p, { u"--ignore-term"_s }));
    QVERIFY(p.terminate(60000, 0));
    // An ignored TERM is dropped when sent: it keeps running until the scheduled KILL (sent
    // here at once).
    QVERIFY(!p.hasExited());
    QVERIFY(processExists(p.pid()));
    p.kill();
    QCOMPARE(p.killAtMs(), -1);
    QCOMPARE(p.lastSignal(), SIGKILL);
    QVERIFY(waitForExit());
    QCOMPARE(p.reap(*m_tree, *m_guard, *m_watcher), ExitStatus::signaled(SIGKILL));
}

void TestTaskProcess::noGraceMeansKillAtOnce()
{
    TaskProcess p;
    QVERIFY(startHanging(p, { u"--ignore-term"_s }));
    QVERIFY(!p.terminate(0, 0)); // no KILL to schedule: it was the KILL
    QCOMPARE(p.lastSignal(), SIGKILL);
    QVERIFY(waitForExit());
    QCOMPARE(p.reap(*m_tree, *m_guard, *m_watcher), ExitStatus::signaled(SIGKILL));
}

void TestTaskProcess::terminateWakesAStoppedGroup()
{
    TaskProcess p;
    QVERIFY(startHanging(p));
    p.stop();
    p.setFrozen(true);
    QVERIFY(QTest::qWaitFor([&] { return processState(p.pid()) == 'T'; }, 5000));
    // A stopped process cannot act on TERM until it is continued: terminate() does both.
    p.terminate(60000, 0);
    QVERIFY(waitForExit());
    QCOMPARE(p.reap(*m_tree, *m_guard, *m_watcher), ExitStatus::signaled(SIGTERM));
}

void TestTaskProcess::reapEndsWhatTheTaskLeft()
{
    const QString pidFile = m_dir->filePath(u"grandchild"_s);
    TaskProcess p = start({ u"--spawn-grandchild"_s, pidFile, u"--exit"_s, u"0"_s });
    const qint64 grandchild = readPidFile(pidFile);
    QVERIFY(grandchild > 0);
    QVERIFY(waitForExit());
    QVERIFY(processExists(grandchild)); // the leader is gone, its grandchild is not
    QCOMPARE(p.reap(*m_tree, *m_guard, *m_watcher), ExitStatus::exited(0));
    QVERIFY(QTest::qWaitFor([&] { return !processExists(grandchild); }, 5000));
}

void TestTaskProcess::endAllEndsEveryProcess()
{
    TaskProcess polite;
    QVERIFY(startHanging(polite));
    TaskProcess stubborn;
    QVERIFY(startHanging(stubborn, { u"--ignore-term"_s }));
    TaskProcess done = start({ u"--exit"_s, u"0"_s });
    QVERIFY(QTest::qWaitFor([&] { return done.hasExited(); }, 5000));
    const QList<pid_t> pids { polite.pid(), stubborn.pid(), done.pid() };
    TaskProcess::endAll({ &polite, &stubborn, &done }, 200, *m_tree, *m_guard, *m_watcher);
    for (TaskProcess *p : { &polite, &stubborn, &done })
        QVERIFY(!p->isLive());
    for (pid_t pid : pids)
        QVERIFY(!processExists(pid));
}

void TestTaskProcess::staleGenerationsDiffer()
{
    const quint32 a = ProcessWatcher::nextGeneration();
    const quint32 b = ProcessWatcher::nextGeneration();
    QVERIFY(a != b);
}

QTEST_GUILESS_MAIN(TestTaskProcess)
#include "tst_taskprocess.moc"
