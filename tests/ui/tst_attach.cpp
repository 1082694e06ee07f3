// The window attached to a batch it did not start (`shoal run --control`), on the offscreen
// platform: it shows the run and steers it (pause stops the tasks, resize adds a worker), two
// windows at once, a dropped link that resumes from its sequence number, detaching (the run goes
// on and ends with exact counts), File > Attach, and clear errors.
#include "attachdialog.h"
#include "attachedengine.h"
#include "batchsession.h"
#include "mainwindow.h"
#include "newbatchdialog.h"
#include "overviewbar.h"
#include "taskmodel.h"
#include "testsupport.h"
#include "watchprotocol.h"
#include "welcomepage.h"
#include "workermodel.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QListWidget>
#include <QLocalServer>
#include <QLocalSocket>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyleFactory>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <csignal>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;
using namespace shoal::test;

namespace {

constexpr int kTasks = 6;

QString screenshotDir()
{
    const QString dir
        = qEnvironmentVariable("SHOAL_BUILD_DIR", QDir::currentPath()) + u"/screenshots"_s;
    QDir().mkpath(dir);
    return dir;
}

QAction *actionNamed(MainWindow &w, const QString &text)
{
    for (QAction *a : w.actions()) {
        if (a->text() == text)
            return a;
    }
    return nullptr;
}

} // namespace

class TestAttach : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"ShoalTests"_s);
        QCoreApplication::setApplicationName(u"tst_attach"_s);
        QSettings().clear();
        QApplication::setStyle(QStyleFactory::create(u"Fusion"_s));
        qputenv("SHOAL_PROGRAM", QFile::encodeName(shoalBinary())); // what background runs start
    }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_socket = m_dir->filePath(u"ctl.sock"_s);
        m_go = m_dir->filePath(u"go"_s);
    }

    void cleanup()
    {
        m_windows.clear();
        if (m_run && m_run->state() != QProcess::NotRunning) {
            m_run->kill();
            m_run->waitForFinished();
        }
        m_run.reset();
        QCOMPARE(waitForNoChildren(), QStringList());
    }

    void attachedWindowSteersAndDetaches();
    void twoWindowsAndALostLink();
    void attachDialogListsRunningBatches();
    void attachErrorsAreClear();
    void welcomePageListsRunningBatches();
    void anotherProtocolNamesBothVersions();
    void backgroundBatchOutlivesTheWindow();
    void batchRunningHereMovesToTheBackground();
    void attachThroughSsh();

private:
    MainWindow &newWindow()
    {
        m_windows.push_back(std::make_unique<MainWindow>());
        MainWindow &w = *m_windows.back();
        w.resize(1200, 760);
        w.show();
        if (!QTest::qWaitForWindowExposed(&w))
            qWarning("the window was not exposed");
        return w;
    }
    void startRun(const QStringList &control);
    void finishRun();
    // The gated batch (startRun's) as the window would start it, on 2 workers.
    BatchSpec gatedSpec(const QString &name) const
    {
        BatchSpec spec;
        spec.name = name;
        spec.command = QStringList { worker(),         u"--pidfile"_s, m_dir->filePath(u"pid.{}"_s),
                                     u"--wait-file"_s, m_go,           u"--print"_s,
                                     u"{}"_s };
        spec.inputs.args = numbers(kTasks);
        spec.jobs = 2;
        return spec;
    }
    qint64 pidOfTask(int input) const
    {
        return readPidFile(m_dir->filePath(u"pid.%1"_s.arg(input)));
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_run;
    std::vector<std::unique_ptr<MainWindow>> m_windows;
    QString m_socket;
    QString m_go;
};

// Two workers, kTasks tasks that write their pid, wait for the go file, then print their input.
void TestAttach::startRun(const QStringList &control)
{
    m_run = std::make_unique<QProcess>();
    const QStringList args = QStringList { u"run"_s, u"--no-bar"_s, u"-j2"_s } + control
        + gatedBatch(m_dir->path(), m_go, kTasks);
    m_run->start(shoalBinary(), args);
    QVERIFY(m_run->waitForStarted());
}

void TestAttach::finishRun()
{
    QFile go(m_go);
    QVERIFY(go.open(QIODevice::WriteOnly));
    go.close();
    QVERIFY(m_run->waitForFinished(30000));
    QVERIFY2(m_run->exitCode() == 0, m_run->readAllStandardError().constData());
    QCOMPARE(sortedLines(m_run->readAllStandardOutput()),
             (QList<QByteArray> { "1", "2", "3", "4", "5", "6" }));
    QCOMPARE(joblogSummary(m_dir->filePath(u"log"_s)).size(), kTasks);
}

void TestAttach::attachedWindowSteersAndDetaches()
{
    startRun({ u"--control"_s, m_socket });
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(m_socket), 10000);
    MainWindow &w = newWindow();
    w.attachTo(m_socket);
    QVERIFY(w.session() && w.session()->attachedEngine());
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->hasStarted(), 10000);
    BatchSession *s = w.session();
    QTRY_COMPARE_WITH_TIMEOUT(s->stats().running, 2, 10000);
    QCOMPARE(w.workerModel()->rowCount(), 2);
    QCOMPARE(w.taskModel()->rowCount(), kTasks);
    QVERIFY2(w.windowTitle().contains(u"(attached)"_s), qPrintable(w.windowTitle()));
    QVERIFY2(s->displayName().contains(worker()), qPrintable(s->displayName()));

    // Pause from the window stops the tasks there (state T); resume continues them.
    const qint64 first = pidOfTask(1), second = pidOfTask(2);
    QVERIFY(first > 0 && second > 0);
    QTRY_VERIFY(w.overview()->pauseButton()->isEnabled());
    w.overview()->pauseButton()->click();
    QTRY_COMPARE_WITH_TIMEOUT(processState(first), 'T', 10000);
    QTRY_COMPARE_WITH_TIMEOUT(processState(second), 'T', 10000);
    QTRY_VERIFY_WITH_TIMEOUT(s->stats().paused, 10000);
    QTRY_COMPARE(w.workerModel()->worker(0).state, WorkerState::Paused);
    w.overview()->pauseButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(processState(first) != 'T', 10000);
    QTRY_VERIFY(!s->stats().paused);

    // Resize: a third worker starts the third task.
    s->engine()->resize(3, DrainPolicy::Finish);
    QTRY_COMPARE_WITH_TIMEOUT(w.workerModel()->rowCount(), 3, 10000);
    QVERIFY(pidOfTask(3) > 0);
    QTRY_COMPARE_WITH_TIMEOUT(s->stats().running, 3, 10000);

    // A task's details come from the engine over the link.
    QSignalSpy details(s->engine(), &EngineClient::taskDetailsReady);
    const quint64 asked = s->engine()->requestTaskDetails(0, 0);
    QTRY_COMPARE_WITH_TIMEOUT(details.size(), 1, 10000);
    QCOMPARE(details.at(0).at(0).toULongLong(), asked);
    QVERIFY(details.at(0).at(1).value<TaskDetails>().command.contains(u"--print 1"_s));

    QTest::qWait(300); // a stats frame or two: the charts have something to draw
    QVERIFY(w.grab().save(screenshotDir() + u"/attached.png"_s));

    // Closing the window detaches without a question; the run goes on.
    w.close();
    QVERIFY(!w.currentPrompt());
    QTRY_VERIFY_WITH_TIMEOUT(!w.isVisible(), 10000);
    QCOMPARE(m_run->state(), QProcess::Running);
    finishRun();
}

void TestAttach::twoWindowsAndALostLink()
{
    startRun({ u"--control"_s, m_socket });
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(m_socket), 10000);
    MainWindow &a = newWindow();
    MainWindow &b = newWindow();
    a.attachTo(m_socket);
    b.attachTo(m_socket);
    QTRY_VERIFY_WITH_TIMEOUT(a.session()->hasStarted() && b.session()->hasStarted(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(b.session()->stats().running, 2, 10000);

    // What one window does, the other sees.
    a.session()->engine()->pause();
    QTRY_VERIFY_WITH_TIMEOUT(b.session()->stats().paused, 10000);
    a.session()->engine()->resume();
    QTRY_VERIFY_WITH_TIMEOUT(!b.session()->stats().paused, 10000);

    // B's link drops: it says so and keeps what it showed.
    QSignalSpy resynced(b.session(), &BatchSession::resynced);
    auto *socket = b.session()->engine()->findChild<QLocalSocket *>();
    QVERIFY(socket);
    socket->abort();
    QTRY_VERIFY(b.windowTitle().contains(u"(link lost)"_s));
    QVERIFY(b.statusBar()->currentMessage().contains(u"Lost the link"_s));
    QCOMPARE(b.workerModel()->rowCount(), 2);
    QAction *reconnect = actionNamed(b, u"Re&connect"_s);
    QVERIFY(reconnect && reconnect->isEnabled());
    // Its joblog's commands come from the batch: without a link, the export says why.
    QSignalSpy refused(&b, &MainWindow::joblogExported);
    b.exportJoblogTo(m_dir->filePath(u"lost.tsv"_s));
    QCOMPARE(refused.size(), 1);
    QVERIFY(refused.at(0).at(1).toString().contains(u"Reconnect"_s));
    QVERIFY(b.currentPrompt());
    b.currentPrompt()->accept();

    // Meanwhile A grows the pool; B, reconnected, is sent only what it missed.
    a.session()->engine()->resize(3, DrainPolicy::Finish);
    QTRY_COMPARE_WITH_TIMEOUT(a.workerModel()->rowCount(), 3, 10000);
    reconnect->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(b.workerModel()->rowCount(), 3, 10000);
    QTRY_VERIFY(b.windowTitle().contains(u"(attached)"_s));
    QVERIFY(!reconnect->isEnabled());
    QCOMPARE(resynced.size(), 0); // resumed from its seq, not a fresh snapshot

    // A joblog exported from an attached window (its commands asked of the run): the rows of
    // what has ended so far, none yet.
    const QString exported = m_dir->filePath(u"exported.tsv"_s);
    QSignalSpy written(&a, &MainWindow::joblogExported);
    a.exportJoblogTo(exported);
    QTRY_COMPARE_WITH_TIMEOUT(written.size(), 1, 10000);
    QCOMPARE(written.at(0).at(1).toString(), QString());
    QVERIFY(readFile(exported).startsWith("Seq\tHost"));

    finishRun();
    // Both show the end, exactly: six tasks, six succeeded.
    for (MainWindow *w : { &a, &b }) {
        QTRY_COMPARE_WITH_TIMEOUT(w->session()->stats().succeeded, qint64(kTasks), 10000);
        QTRY_VERIFY(w->statusBar()->currentMessage().contains(u"finished"_s));
        for (int row = 0; row < kTasks; ++row)
            QCOMPARE(w->taskModel()->task(row).state, TaskState::Succeeded);
    }
}

void TestAttach::attachDialogListsRunningBatches()
{
    // The default socket, in the tests' own XDG_RUNTIME_DIR.
    startRun({});
    const QString folder = qEnvironmentVariable("XDG_RUNTIME_DIR") + u"/shoal"_s;
    const QString socket = u"%1/%2.sock"_s.arg(folder).arg(m_run->processId());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(socket), 10000);
    MainWindow &w = newWindow();
    QAction *attach = actionNamed(w, u"&Attach to a Running Batch…"_s);
    QVERIFY(attach);
    attach->trigger();
    auto *dialog = w.findChild<AttachDialog *>();
    QVERIFY(dialog);
    QTRY_VERIFY_WITH_TIMEOUT(
        !dialog->list()
             ->findItems(QString::number(m_run->processId()), Qt::MatchExactly, 3)
             .isEmpty(),
        10000);
    QTreeWidgetItem *item
        = dialog->list()
              ->findItems(QString::number(m_run->processId()), Qt::MatchExactly, 3)
              .front();
    dialog->list()->setCurrentItem(item);
    QCOMPARE(dialog->addressEdit()->text(), socket);
    QVERIFY(dialog->grab().save(screenshotDir() + u"/attach-dialog.png"_s));
    QTest::keyClick(dialog->addressEdit(), Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(w.session() && w.session()->hasStarted(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->stats().running, 2, 10000);
    finishRun();
}

void TestAttach::welcomePageListsRunningBatches()
{
    startRun({});
    const QString socket = u"%1/shoal/%2.sock"_s.arg(qEnvironmentVariable("XDG_RUNTIME_DIR"))
                               .arg(m_run->processId());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(socket), 10000);
    MainWindow &w = newWindow();
    auto *welcome = w.findChild<WelcomePage *>();
    QVERIFY(welcome && welcome->isVisible());
    QListWidget *running = welcome->runningList();
    const auto itemOfRun = [&]() -> QListWidgetItem * {
        for (int i = 0; i < running->count(); ++i) {
            if (running->item(i)->data(Qt::UserRole).toString() == socket)
                return running->item(i);
        }
        return nullptr;
    };
    QTRY_VERIFY_WITH_TIMEOUT(itemOfRun(), 15000);
    QVERIFY(running->isVisible());
    QVERIFY(w.grab().save(screenshotDir() + u"/welcome-running.png"_s));
    running->setCurrentItem(itemOfRun());
    running->setFocus();
    QTest::keyClick(running, Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(w.session() && w.session()->hasStarted(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->stats().running, 2, 10000);
    finishRun();
}

void TestAttach::attachErrorsAreClear()
{
    MainWindow &w = newWindow();
    const QString missing = m_dir->filePath(u"nobody.sock"_s);
    w.attachTo(missing);
    QTRY_VERIFY_WITH_TIMEOUT(w.currentPrompt(), 10000);
    QVERIFY(w.currentPrompt()->text().contains(u"Cannot Attach"_s));
    QVERIFY2(w.currentPrompt()->informativeText().contains(missing),
             qPrintable(w.currentPrompt()->informativeText()));
    w.currentPrompt()->accept();
    QTRY_VERIFY(!w.session());

    w.attachTo(u"ssh://server"_s);
    QTRY_VERIFY(w.currentPrompt());
    QVERIFY2(w.currentPrompt()->informativeText().contains(u"names no socket"_s),
             qPrintable(w.currentPrompt()->informativeText()));
    w.currentPrompt()->accept();

    // Something that is not a batch's socket: a plain file.
    const QString plain = m_dir->filePath(u"plain"_s);
    QFile(plain).open(QIODevice::WriteOnly);
    QTRY_VERIFY(!w.currentPrompt());
    w.attachTo(plain);
    QTRY_VERIFY_WITH_TIMEOUT(w.currentPrompt(), 10000);
    QVERIFY2(w.currentPrompt()->informativeText().contains(plain),
             qPrintable(w.currentPrompt()->informativeText()));
}

void TestAttach::anotherProtocolNamesBothVersions()
{
    // An engine of another Shoal that speaks another watch protocol.
    QLocalServer server;
    QVERIFY(server.listen(m_socket));
    connect(&server, &QLocalServer::newConnection, &server, [&server] {
        QLocalSocket *peer = server.nextPendingConnection();
        watch::Hello hello;
        hello.protocol = watch::kProtocol + 7;
        hello.version = u"9.8.7"_s;
        QByteArray bytes;
        watch::encode(hello, bytes);
        peer->write(bytes);
    });
    MainWindow &w = newWindow();
    w.attachTo(m_socket);
    QTRY_VERIFY_WITH_TIMEOUT(w.currentPrompt(), 10000);
    const QString text = w.currentPrompt()->informativeText();
    QVERIFY2(text.contains(u"runs Shoal 9.8.7"_s) && text.contains(u"this is Shoal "_s),
             qPrintable(text));
}

// New Batch > "Keep running when Shoal closes": the batch runs as its own process; closing the
// window asks, then leaves it running; another window attaches to it again; its joblog and
// outputs are complete.
void TestAttach::backgroundBatchOutlivesTheWindow()
{
    MainWindow &w = newWindow();
    const BatchSpec spec = gatedSpec(u"background sweep"_s);
    actionNamed(w, u"&New Batch…"_s)->trigger();
    auto *dialog = w.findChild<NewBatchDialog *>();
    QVERIFY(dialog);
    dialog->setSpec(spec);
    dialog->backgroundCheck()->setChecked(true);
    QTRY_VERIFY(dialog->startButton()->isEnabled());
    QVERIFY(dialog->grab().save(screenshotDir() + u"/newbatch-background.png"_s));
    dialog->startButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(w.session() && w.session()->hasStarted(), 20000);
    QVERIFY(w.session()->backgroundRun());
    const BackgroundRun run = *w.session()->backgroundRun();
    QCOMPARE(w.session()->displayName(), u"background sweep"_s);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->stats().running, 2, 10000);

    // Closing asks; "Don't Close" keeps the window, the other answer closes it and only it.
    w.close();
    QTRY_VERIFY(w.currentPrompt());
    QVERIFY(w.currentPrompt()->text().contains(run.folder));
    QAbstractButton *keepWindow = nullptr, *closeWindow = nullptr;
    for (QAbstractButton *b : w.currentPrompt()->buttons())
        (w.currentPrompt()->buttonRole(b) == QMessageBox::RejectRole ? keepWindow : closeWindow)
            = b;
    QVERIFY(keepWindow && closeWindow);
    QCOMPARE(keepWindow->text(), u"Don't Close"_s);
    QTest::mouseClick(closeWindow, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!w.isVisible(), 10000);
    QVERIFY(run.isAlive());

    // Attached again while it runs, from another window; then it finishes.
    MainWindow &again = newWindow();
    again.attachTo(run.socket);
    QTRY_VERIFY_WITH_TIMEOUT(again.session() && again.session()->hasStarted(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(again.session()->stats().running, 2, 10000);
    QFile go(m_go);
    QVERIFY(go.open(QIODevice::WriteOnly));
    go.close();
    QTRY_COMPARE_WITH_TIMEOUT(again.session()->stats().succeeded, qint64(kTasks), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(!run.isAlive(), 20000);
    QCOMPARE(joblogSummary(run.joblog()).size(), kTasks);
    QCOMPARE(sortedLines(readFile(run.output())),
             (QList<QByteArray> { "1", "2", "3", "4", "5", "6" }));
    QVERIFY(!QFile::exists(run.socket));
}

// Closing the window while its own (in-process) batch runs: "Keep Running in the Background"
// lets the running tasks end here, then a background run resumes after their joblog rows:
// every task runs exactly once.
void TestAttach::batchRunningHereMovesToTheBackground()
{
    const QString runs
        = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + u"/runs"_s;
    const QStringList before = QDir(runs).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    MainWindow &w = newWindow();
    const BatchSpec spec = gatedSpec(u"moved"_s);
    QVERIFY(w.startBatch(spec));
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->hasStarted(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->stats().running, 2, 10000);
    QVERIFY(!w.session()->attachedEngine());
    // One worker paused, its task frozen: the hand-off must not wait on it forever.
    const qint64 frozen = pidOfTask(1);
    QTRY_COMPARE(w.workerModel()->rowCount(), 2);
    w.session()->engine()->pauseWorker(w.workerModel()->worker(0).slot);
    QTRY_VERIFY_WITH_TIMEOUT(processState(frozen) == 'T' || processState(pidOfTask(2)) == 'T',
                             10000);

    w.close();
    QTRY_VERIFY(w.currentPrompt());
    QAbstractButton *move = nullptr;
    for (QAbstractButton *b : w.currentPrompt()->buttons()) {
        if (b->text() == u"Keep Running in the Background"_s)
            move = b;
    }
    QVERIFY(move);
    QVERIFY(w.currentPrompt()->grab().save(screenshotDir() + u"/close-keep-running.png"_s));
    QTest::mouseClick(move, Qt::LeftButton);
    // Nothing new starts here; the two running tasks end here once they may.
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->stats().workers, 0, 10000);
    QVERIFY(w.isVisible());
    for (QAction *a : w.actions()) { // Space (pause) would freeze what must end here
        if (a->shortcut() == QKeySequence(Qt::Key_Space))
            QVERIFY(!a->isEnabled());
    }
    QFile go(m_go);
    QVERIFY(go.open(QIODevice::WriteOnly));
    go.close();
    QTRY_VERIFY2_WITH_TIMEOUT(
        !w.isVisible(),
        qPrintable(u"%1; running %2, paused tasks %3, workers %4"_s
                       .arg(w.currentPrompt() ? w.currentPrompt()->informativeText()
                                              : w.statusBar()->currentMessage())
                       .arg(w.session() ? w.session()->stats().running : -1)
                       .arg(w.session() ? w.session()->stats().pausedTasks : -1)
                       .arg(w.session() ? w.session()->stats().workers : -1)),
        20000);

    QStringList added = QDir(runs).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &old : before)
        added.removeAll(old);
    QCOMPARE(added.size(), 1);
    const QString folder = runs + u'/' + added.front();
    // Every task once: the joblog has each Seq once, and the background run printed only what
    // had not run here.
    QTRY_COMPARE_WITH_TIMEOUT(joblogSummary(folder + u"/joblog"_s).size(), kTasks, 20000);
    QStringList seqs;
    for (const QString &row : joblogSummary(folder + u"/joblog"_s))
        seqs << row.section(u' ', 0, 0);
    QCOMPARE(seqs, numbers(kTasks));
    QTRY_COMPARE_WITH_TIMEOUT(sortedLines(readFile(folder + u"/output.txt"_s)),
                              (QList<QByteArray> { "3", "4", "5", "6" }), 20000);
}

// ssh://HOST/SOCKET through the tests' sshd: `shoal ctl SOCKET relay` on the far side.
void TestAttach::attachThroughSsh()
{
#ifndef SHOAL_SSHD_DIR
    QSKIP("built without the test sshd");
#else
    const QString config = QStringLiteral(SHOAL_SSHD_DIR) + u"/ssh_config"_s;
    QVERIFY2(QFile::exists(config), "no test sshd: run this test through ctest (its fixture)");
    startRun({ u"--control"_s, m_socket });
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(m_socket), 10000);
    MainWindow &w = newWindow();
    const QStringList ssh { u"ssh"_s, u"-F"_s, config };
    w.attachTo(u"ssh://shoal-test-host"_s + m_socket, ssh, shoalBinary());
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->hasStarted(), 20000);
    BatchSession *s = w.session();
    QTRY_COMPARE_WITH_TIMEOUT(s->stats().running, 2, 10000);
    const qint64 first = pidOfTask(1);
    s->engine()->pause();
    QTRY_COMPARE_WITH_TIMEOUT(processState(first), 'T', 10000);
    s->engine()->resume();
    QTRY_VERIFY_WITH_TIMEOUT(processState(first) != 'T', 10000);

    // ssh killed: the link is lost, and Reconnect brings it back.
    auto *transport = s->engine()->findChild<QProcess *>();
    QVERIFY(transport);
    ::kill(pid_t(transport->processId()), SIGKILL);
    QTRY_VERIFY_WITH_TIMEOUT(w.windowTitle().contains(u"(link lost)"_s), 10000);
    s->engine()->resize(3, DrainPolicy::Finish); // no link: goes nowhere
    actionNamed(w, u"Re&connect"_s)->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(w.windowTitle().contains(u"(attached)"_s), 20000);
    s->engine()->resize(3, DrainPolicy::Finish);
    QTRY_COMPARE_WITH_TIMEOUT(w.workerModel()->rowCount(), 3, 10000);

    // Detaching ends the relay on the far side: nothing of the link stays there.
    w.close();
    QTRY_VERIFY_WITH_TIMEOUT(!w.isVisible(), 10000);
    const auto relays = [this] {
        QStringList found;
        for (const QString &pid : QDir(u"/proc"_s).entryList(QDir::Dirs)) {
            QFile cmdline(u"/proc/%1/cmdline"_s.arg(pid));
            if (cmdline.open(QIODevice::ReadOnly)) {
                const QByteArray words = cmdline.readAll();
                if (words.contains("relay") && words.contains(QFile::encodeName(m_socket)))
                    found << pid;
            }
        }
        return found;
    };
    QTRY_COMPARE_WITH_TIMEOUT(relays(), QStringList(), 15000);
    finishRun();
#endif
}

QTEST_MAIN(TestAttach)
#include "tst_attach.moc"
