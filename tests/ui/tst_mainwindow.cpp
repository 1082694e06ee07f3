#include "batchsession.h"
#include "chartpanel.h"
#include "commandpreview.h"
#include "dashboard.h"
#include "formwidgets.h"
#include "joblog.h"
#include "joblogexport.h"
#include "mainwindow.h"
#include "newbatchdialog.h"
#include "overviewbar.h"
#include "taskfiltermodel.h"
#include "taskmodel.h"
#include "taskpanel.h"
#include "testsupport.h"
#include "theme.h"
#include "welcomepage.h"
#include "workermodel.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QListWidget>
#include <QMenu>
#include <QMimeData>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QStyleFactory>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;

namespace {

BatchSpec sleepers(int tasks, int workers, const QString &seconds = u"30"_s)
{
    BatchSpec spec;
    spec.name = u"sleepers"_s;
    spec.command = { u"sleep"_s };
    spec.inputs.kind = InputSpec::Kind::Args;
    for (int i = 0; i < tasks; ++i)
        spec.inputs.args << seconds;
    spec.jobs = workers;
    return spec;
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(bytes), bytes.size());
}

// Opens the tasks' context menu as a right click would, and returns what it offers.
QStringList contextMenuOf(TaskPanel *panel)
{
    QStringList offered;
    QTimer::singleShot(0, panel, [&offered] {
        if (auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget())) {
            for (QAction *a : menu->actions())
                offered << a->text();
            menu->close();
        }
    });
    Q_EMIT panel->view()->customContextMenuRequested(QPoint(5, 5));
    return offered;
}

// What the current box says: its heading and its details.
QString promptText(const MainWindow &w)
{
    QMessageBox *box = w.currentPrompt();
    return box ? box->text() + u'\n' + box->informativeText() : QString();
}

QString screenshotDir()
{
    const QString build = qEnvironmentVariable("SHOAL_BUILD_DIR", QDir::currentPath());
    const QString dir = build + u"/screenshots"_s;
    QDir().mkpath(dir);
    return dir;
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        test::becomeSubreaper();
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"ShoalTests"_s);
        QCoreApplication::setApplicationName(u"tst_mainwindow"_s);
        QSettings().clear();
        QApplication::setStyle(QStyleFactory::create(u"Fusion"_s));
        m_lightPalette = QApplication::style()->standardPalette();
        QApplication::setPalette(m_lightPalette);
        QVERIFY(m_dir.isValid());
    }

    void cleanup()
    {
        m_window.reset();
        QApplication::setPalette(m_lightPalette);
        QCOMPARE(test::waitForNoChildren(), QStringList());
    }

    void emptyWindowOffersNewOpenAndRecent()
    {
        MainWindow &w = window();
        QVERIFY(!w.session());
        QVERIFY(w.findChild<QPushButton *>()); // the welcome page's buttons
        QVERIFY(!w.overview()->pauseButton()->isEnabled());
        QCOMPARE(w.windowTitle(), u"Shoal"_s);
        QStringList shortcuts;
        for (QAction *a : w.actions())
            shortcuts << a->shortcut().toString();
        for (const QString &key :
             { u"Ctrl+N"_s, u"Ctrl+O"_s, u"Ctrl+Shift+S"_s, u"Space"_s, u"Ctrl+Q"_s })
            QVERIFY2(shortcuts.contains(key), qPrintable(key));
        QVERIFY(!shortcuts.contains(u"Ctrl+S"_s)); // Save As always asks: not Save's key
        QVERIFY(w.grab().save(screenshotDir() + u"/welcome.png"_s));

        // A long recent path is cut in the middle, not scrolled sideways.
        auto *welcome = w.findChild<WelcomePage *>();
        QVERIFY(welcome);
        const QString deep = u"/home/someone/projects/"_s
            + QString(u"very-long-folder-name/"_s).repeated(8) + u"sweep.shoal.json"_s;
        welcome->setRecentFiles({ deep, u"/tmp/a.shoal.json"_s });
        w.show();
        QTRY_VERIFY(welcome->recentList()->isVisible());
        QCOMPARE(welcome->recentList()->textElideMode(), Qt::ElideMiddle);
        QVERIFY(!welcome->recentList()->horizontalScrollBar()->isVisible());
        QVERIFY(welcome->recentList()->width() <= 560);
        QCOMPARE(welcome->recentList()->item(0)->toolTip(), deep);
        QVERIFY(w.grab().save(screenshotDir() + u"/welcome-recent.png"_s));
    }

    // The buttons drive a real pool: pause, resume, resize and cancel, checked in the engine.
    void controlsDriveTheRunningPool()
    {
        MainWindow &w = window();
        QVERIFY(w.startBatch(sleepers(20, 2)));
        BatchSession *s = w.session();
        QTRY_COMPARE(s->stats().running, 2);
        QTRY_VERIFY(w.overview()->pauseButton()->isEnabled());

        QTest::mouseClick(w.overview()->pauseButton(), Qt::LeftButton);
        QTRY_VERIFY(s->stats().paused);
        QTRY_COMPARE(w.overview()->pauseButton()->text(), u"Resume"_s);
        QTRY_COMPARE(w.workerModel()->worker(0).state, WorkerState::Paused);
        QTest::mouseClick(w.overview()->pauseButton(), Qt::LeftButton);
        QTRY_VERIFY(!s->stats().paused);
        QTRY_COMPARE(w.workerModel()->worker(0).state, WorkerState::Busy);

        // Grow with the spin box (Enter commits it), then shrink with the requeue policy.
        QSpinBox *spin = w.overview()->workerSpin();
        spin->setFocus();
        spin->selectAll();
        QTest::keyClicks(spin, u"4"_s);
        QTest::keyClick(spin, Qt::Key_Return);
        QTRY_COMPARE(s->stats().workers, 4);
        QTRY_COMPARE(s->stats().running, 4);
        QTRY_COMPARE(w.workerModel()->rowCount(), 4);
        w.overview()->drainCombo()->setCurrentIndex(
            w.overview()->drainCombo()->findData(int(DrainPolicy::Requeue)));
        w.overview()->workerSlider()->setValue(1);
        QTRY_COMPARE(s->stats().running, 1);
        QTRY_COMPARE(w.workerModel()->rowCount(), 1);
        QCOMPARE(s->stats().queued, 19);
        // The workers that left are still accounted for.
        QTRY_VERIFY(w.dashboard()->retiredLabel()->isVisible());
        QVERIFY2(w.dashboard()->retiredLabel()->text().startsWith(u"Workers that left: 3 ·"_s),
                 qPrintable(w.dashboard()->retiredLabel()->text()));
        QCOMPARE(w.workerModel()->retired().workers, 3);

        QTest::mouseClick(w.overview()->cancelButton(), Qt::LeftButton);
        QTRY_VERIFY(!s->isRunning());
        QCOMPARE(s->stats().cancelled, 20);
        QTRY_VERIFY(!w.overview()->cancelButton()->isEnabled());
        QTRY_VERIFY(w.overview()->progressBar()->text().contains(u"20 of 20"_s));
    }

    // Running, paused and parked are counted apart; the title and the bar say "paused".
    void overviewCountsPausedAndParkedApart()
    {
        MainWindow &w = window();
        QVERIFY(w.startBatch(sleepers(6, 2)));
        BatchSession *s = w.session();
        QTRY_COMPARE(s->stats().running, 2);
        QTRY_VERIFY(w.overview()->pauseButton()->isEnabled());
        QTest::mouseClick(w.overview()->pauseButton(), Qt::LeftButton);
        QTRY_VERIFY2(w.overview()->countsText().contains(u"0 running · 2 paused · 4 queued"_s),
                     qPrintable(w.overview()->countsText()));
        QVERIFY(w.windowTitle().startsWith(u"Paused"_s));
        QVERIFY(w.overview()->progressBar()->text().contains(u"paused"_s));
        QTest::mouseClick(w.overview()->pauseButton(), Qt::LeftButton);
        QTRY_VERIFY2(w.overview()->countsText().contains(u"2 running · 4 queued"_s),
                     qPrintable(w.overview()->countsText()));
        QVERIFY(!w.windowTitle().startsWith(u"Paused"_s));

        // Shrinking to 1 with the park policy: one task runs, one is paused with its parked
        // worker.
        s->engine()->resize(1, DrainPolicy::Pause);
        QTRY_VERIFY2(w.overview()->countsText().contains(u"1 running · 1 paused · 4 queued"_s),
                     qPrintable(w.overview()->countsText()));
        QVERIFY2(w.overview()->countsText().contains(u"1 worker parked"_s),
                 qPrintable(w.overview()->countsText()));
        QVERIFY(!s->stats().paused);
    }

    void spaceTogglesPause()
    {
        MainWindow &w = window();
        QVERIFY(w.startBatch(sleepers(4, 2)));
        QTRY_COMPARE(w.session()->stats().running, 2);
        QTRY_VERIFY(w.overview()->pauseButton()->isEnabled());
        w.workerView()->setFocus();
        QTest::keyClick(w.workerView(), Qt::Key_Space);
        QTRY_VERIFY(w.session()->stats().paused);
        QTRY_VERIFY(!QTest::currentTestFailed() && w.overview()->isPaused());
        QTest::keyClick(w.workerView(), Qt::Key_Space);
        QTRY_VERIFY(!w.session()->stats().paused);
    }

    void retryFailedReruns()
    {
        MainWindow &w = window();
        BatchSpec spec;
        spec.command = { u"test -e {}"_s };
        spec.inputs.kind = InputSpec::Kind::Args;
        const QString flag = m_dir.filePath(u"flag"_s);
        spec.inputs.args = { u"/"_s, flag, u"/"_s };
        spec.jobs = 2;
        QVERIFY(w.startBatch(spec));
        QTRY_COMPARE(w.session()->stats().failed, 1);
        QTRY_VERIFY(w.overview()->retryButton()->isEnabled());
        QTRY_VERIFY(w.statusBar()->currentMessage().contains(u"finished"_s));
        QFile f(flag);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        QSignalSpy messages(w.statusBar(), &QStatusBar::messageChanged);
        QTest::mouseClick(w.overview()->retryButton(), Qt::LeftButton);
        QTRY_COMPARE(w.session()->stats().succeeded, 3);
        QTRY_COMPARE(w.taskModel()->task(1).state, TaskState::Succeeded);
        // The status bar did not go on saying "finished" while the task ran again.
        QVERIFY(!messages.isEmpty());
        QVERIFY2(messages.at(0).at(0).toString().contains(u"Retrying 1 failed task"_s),
                 qPrintable(messages.at(0).at(0).toString()));
        // The attempt before the Retry stays in the task's history.
        w.taskPanel()->view()->selectRow(1);
        QTRY_COMPARE(w.taskPanel()->commandView()->text(), u"test -e "_s + flag);
        const QStringList attempts = w.taskPanel()->attemptsView()->toPlainText().split(u'\n');
        QCOMPARE(attempts.size(), 3);
        QVERIFY2(attempts[0].startsWith(u"Attempt 1 · failed · worker "_s),
                 qPrintable(attempts[0]));
        QVERIFY2(attempts[0].contains(u" · exit 1"_s), qPrintable(attempts[0]));
        QCOMPARE(attempts[1], u"— retried —"_s);
        QVERIFY2(attempts[2].startsWith(u"Attempt 2 · succeeded"_s), qPrintable(attempts[2]));
    }

    void tasksFilterAndDetails()
    {
        MainWindow &w = window();
        BatchSpec spec;
        spec.command = { u"echo out-{}; echo err-{} >&2; exit {}"_s };
        spec.shell = true;
        spec.inputs.kind = InputSpec::Kind::Args;
        for (int i = 0; i < 12; ++i)
            spec.inputs.args << QString::number(i % 4 == 3 ? 3 : 0);
        spec.jobs = 3;
        QVERIFY(w.startBatch(spec));
        QTRY_COMPARE(w.session()->stats().failed, 3);
        QTRY_COMPARE(w.taskModel()->rowCount(), 12);
        QTRY_COMPARE(w.taskModel()->task(11).state, TaskState::Failed);

        TaskPanel *panel = w.taskPanel();
        QAbstractItemModelTester tester(panel->proxy(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        panel->stateCombo()->setCurrentIndex(
            panel->stateCombo()->findData(int(TaskFilterModel::StateGroup::Failed)));
        QCOMPARE(panel->proxy()->rowCount(), 3);
        // Export CSV writes what the table shows, and says so.
        const QString csv = m_dir.filePath(u"failed.csv"_s);
        QVERIFY(w.exportCsvTo(csv));
        QFile csvFile(csv);
        QVERIFY(csvFile.open(QIODevice::ReadOnly));
        QCOMPARE(csvFile.readAll().count('\n'), 1 + 3);
        QVERIFY2(w.statusBar()->currentMessage().startsWith(u"Exported 3 tasks"_s),
                 qPrintable(w.statusBar()->currentMessage()));
        panel->stateCombo()->setCurrentIndex(
            panel->stateCombo()->findData(int(TaskFilterModel::StateGroup::Succeeded)));
        QCOMPARE(panel->proxy()->rowCount(), 9);
        panel->stateCombo()->setCurrentIndex(0);
        QTest::keyClicks(panel->filterEdit(), u"3"_s);
        QTRY_COMPARE(panel->proxy()->rowCount(), 3);
        panel->filterEdit()->clear();
        QTRY_COMPARE(panel->proxy()->rowCount(), 12);

        // Selecting a failed task shows its command and both streams.
        panel->view()->selectRow(3);
        QTRY_COMPARE(panel->commandView()->text(), u"echo out-3; echo err-3 >&2; exit 3"_s);
        QCOMPARE(panel->stdoutView()->toPlainText(), u"out-3\n"_s);
        QCOMPARE(panel->stderrView()->toPlainText(), u"err-3\n"_s);
        // A filter that hides the selected task: the details and the count follow.
        panel->stateCombo()->setCurrentIndex(
            panel->stateCombo()->findData(int(TaskFilterModel::StateGroup::Succeeded)));
        QCOMPARE(panel->countLabel()->text(), u"9 of 12"_s);
        QCOMPARE(panel->selectedTask(), TaskId(-1));
        QTRY_COMPARE(panel->commandView()->text(), QString());
        panel->stateCombo()->setCurrentIndex(0);
        QCOMPARE(panel->countLabel()->text(), u"12 tasks"_s);
        panel->view()->selectRow(3);
        QTRY_COMPARE(panel->commandView()->text(), u"echo out-3; echo err-3 >&2; exit 3"_s);
        // Its error in the table, and its one attempt in its history.
        QCOMPARE(w.taskModel()->index(3, TaskModel::ErrorColumn).data().toString(), u"err-3"_s);
        QCOMPARE(w.taskModel()->index(2, TaskModel::ErrorColumn).data().toString(), QString());
        QVERIFY2(panel->attemptsView()->toPlainText().endsWith(u" · exit 3 · err-3"_s),
                 qPrintable(panel->attemptsView()->toPlainText()));

        // The joblog export is GNU's format: its header, then one row per task that ran.
        const QString joblog = m_dir.filePath(u"tasks.joblog"_s);
        QSignalSpy exported(&w, &MainWindow::joblogExported);
        w.exportJoblogTo(joblog);
        QVERIFY(exported.wait());
        QCOMPARE(exported.at(0).at(1).toString(), QString()); // no error
        QFile log(joblog);
        QVERIFY(log.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = log.readAll().split('\n');
        QCOMPARE(lines.value(0) + '\n', JoblogWriter::header());
        QCOMPARE(lines.size(), 1 + 12 + 1); // the header, 12 rows, the final newline
        int failures = 0;
        for (const QByteArray &line : lines.mid(1, 12)) {
            const QList<QByteArray> columns = line.split('\t');
            QCOMPARE(columns.size(), 9);
            QCOMPARE(columns[1], ":");
            const qint64 seq = columns[0].toLongLong();
            QCOMPARE(columns[5], "6"); // Receive: "out-N\n"
            QCOMPARE(columns[6], seq % 4 == 0 ? "3" : "0");
            QCOMPARE(columns[8],
                     u"echo out-{}; echo err-{} >&2; exit {}"_s
                         .replace(u"{}"_s, w.taskModel()->inputOf(int(seq - 1)))
                         .toUtf8());
            QVERIFY(qAbs(columns[2].toDouble() - double(QDateTime::currentSecsSinceEpoch())) < 120);
            failures += columns[6] == "3";
        }
        QCOMPARE(failures, 3);
    }

    // A service task's details: its result as stdout, then what its worker wrote to stderr.
    // The state filter counts its tasks and starts over with a new batch; the tasks' menu
    // offers what applies to the selected tasks.
    void stateFilterCountsAndResetsAndTheMenuFitsTheTasks()
    {
        MainWindow &w = window();
        BatchSpec spec;
        spec.command = { u"sh -c 'exit {}'"_s };
        spec.inputs.kind = InputSpec::Kind::Args;
        spec.inputs.args = { u"0"_s, u"3"_s, u"3"_s, u"0"_s, u"0"_s };
        spec.jobs = 2;
        QVERIFY(w.startBatch(spec));
        QTRY_COMPARE(w.session()->stats().failed, 2);
        QTRY_VERIFY(!w.session()->isRunning());
        TaskPanel *panel = w.taskPanel();
        const int failed = panel->stateCombo()->findData(int(TaskFilterModel::StateGroup::Failed));
        QTRY_COMPARE(panel->stateCombo()->itemText(failed), u"Failed (2)"_s);
        panel->stateCombo()->setCurrentIndex(failed);
        QCOMPARE(panel->proxy()->rowCount(), 2);

        // A failed task's menu retries, it does not cancel.
        panel->view()->selectRow(0);
        QCOMPARE(contextMenuOf(panel), QStringList { u"Retry 1 task"_s });

        // A new batch opens showing all of its tasks.
        QVERIFY(w.startBatch(sleepers(3, 1)));
        QTRY_COMPARE(w.session()->stats().running, 1);
        QCOMPARE(panel->stateCombo()->currentData().toInt(), int(TaskFilterModel::StateGroup::All));
        QTRY_COMPARE(panel->proxy()->rowCount(), 3);
        // A running task's menu cancels it, it does not retry it.
        QTRY_COMPARE(w.taskModel()->task(0).state, TaskState::Running);
        panel->view()->selectRow(0);
        QCOMPARE(contextMenuOf(panel), QStringList { u"Cancel 1 task"_s });
    }

    // Return (or a double click) on a worker selects its task, whose details show its output;
    // the worker's menu offers the same. A task the filter hides is shown anyway.
    void workerShowsItsTask()
    {
        MainWindow &w = window();
        QVERIFY(w.startBatch(sleepers(6, 2)));
        QTRY_COMPARE(w.session()->stats().running, 2);
        QTRY_VERIFY(w.workerModel()->worker(1).task >= 0);
        const TaskId task = w.workerModel()->worker(1).task;
        TaskPanel *panel = w.taskPanel();
        panel->stateCombo()->setCurrentIndex(
            panel->stateCombo()->findData(int(TaskFilterModel::StateGroup::Failed)));
        QTableView *workers = w.workerView();
        workers->setFocus();
        workers->setCurrentIndex(w.workerModel()->index(1, 0));
        QTRY_COMPARE(panel->stateCombo()->itemText(0), u"All states (6)"_s);
        QTest::keyClick(workers, Qt::Key_Return);
        QCOMPARE(panel->stateCombo()->itemText(0), u"All states (6)"_s); // counts kept
        QCOMPARE(panel->selectedTask(), task);
        QCOMPARE(panel->stateCombo()->currentData().toInt(), int(TaskFilterModel::StateGroup::All));
        QTRY_COMPARE(panel->commandView()->text(), u"sleep "_s + w.taskModel()->inputOf(int(task)));
        QCOMPARE(w.focusWidget(), panel->view()); // even if the window is not the active one

        // With the tasks hidden (View > Tasks), Show Its Task brings them back, and the View
        // menu says so.
        QAction *tasksPanel = w.panelActions().at(2);
        tasksPanel->toggle();
        QVERIFY(panel->isHidden());
        QTest::keyClick(workers, Qt::Key_Return);
        QVERIFY(!panel->isHidden());
        QVERIFY(tasksPanel->isChecked());
    }

    // A worker's task is its input and number ("30  · #1"); in a range 1, 2, 3... the input is
    // the number, said once ("#1").
    void aRangeTaskIsNamedByItsNumber()
    {
        MainWindow &w = window();
        BatchSpec spec;
        spec.command = { u"sleep 30 {}"_s };
        spec.inputs.kind = InputSpec::Kind::Range;
        spec.inputs.from = 1;
        spec.inputs.to = 4;
        spec.jobs = 2;
        QVERIFY(w.startBatch(spec));
        QTRY_VERIFY(w.workerModel()->rowCount() > 0 && w.workerModel()->worker(0).task >= 0);
        const TaskId task = w.workerModel()->worker(0).task;
        QTRY_COMPARE(w.workerModel()->index(0, WorkerModel::TaskColumn).data().toString(),
                     u"#%1"_s.arg(task + 1));
    }

    void serviceTaskDetailsShowTheWorkersStderr()
    {
        MainWindow &w = window();
        BatchSpec spec;
        spec.service.program
            = { u"/bin/sh"_s, u"-c"_s,
                u"echo 'worker warming up' >&2; while read -r l; do echo \"r$l\"; done"_s };
        spec.inputs.kind = InputSpec::Kind::Args;
        spec.inputs.args = { u"a"_s, u"b"_s };
        spec.jobs = 1;
        QVERIFY(w.startBatch(spec));
        QTRY_COMPARE(w.taskModel()->rowCount(), 2);
        QTRY_COMPARE(w.taskModel()->task(1).state, TaskState::Succeeded);
        TaskPanel *panel = w.taskPanel();
        panel->view()->selectRow(1);
        QTRY_COMPARE(panel->stdoutView()->toPlainText(), u"rb"_s);
        QCOMPARE(panel->stderrView()->toPlainText(),
                 u"── stderr of worker 1 ──\nworker warming up\n"_s);
    }

    void malformedBatchFileShowsAnErrorAndKeepsTheWindowUsable()
    {
        MainWindow &w = window();
        const QString bad = m_dir.filePath(u"broken.shoal.json"_s);
        writeFile(bad, "{ \"command\": \"echo\", \n  \"inputs\": [1, 2,, ] }");
        QVERIFY(!w.openBatchFile(bad));
        QTRY_VERIFY(w.currentPrompt() && w.currentPrompt()->isVisible());
        QVERIFY2(promptText(w).contains(bad), qPrintable(promptText(w)));
        QVERIFY(promptText(w).contains(u":2:"_s)); // the line
        QVERIFY(w.currentPrompt()->grab().save(screenshotDir() + u"/error-box.png"_s));
        QVERIFY(!w.session());
        QTest::mouseClick(w.currentPrompt()->button(QMessageBox::Ok), Qt::LeftButton);
        QTRY_VERIFY(!w.currentPrompt());

        // Still usable: a good file opens and runs.
        const QString good = m_dir.filePath(u"good.shoal.json"_s);
        BatchSpec spec = sleepers(1, 1, u"0"_s);
        QVERIFY(saveBatchFile(good, spec).ok());
        QVERIFY(w.openBatchFile(good));
        QVERIFY(w.session());
        QTRY_COMPARE(w.session()->stats().succeeded, 1);
        QCOMPARE(w.recentFiles().value(0), QFileInfo(good).absoluteFilePath());
    }

    void missingProgramShowsAnError()
    {
        MainWindow &w = window();
        BatchSpec spec = sleepers(2, 1);
        spec.command = { u"/nonexistent/program"_s };
        QVERIFY(w.startBatch(spec)); // the spec is fine: the engine finds the program missing
        QTRY_VERIFY(w.currentPrompt() && promptText(w).contains(u"/nonexistent/program"_s));
        QVERIFY(!w.session());
        QVERIFY(!w.overview()->pauseButton()->isEnabled());
        // A spec that cannot even be prepared says so at once.
        spec.command = { u"echo {nope}"_s };
        QVERIFY(!w.startBatch(spec));
        QVERIFY(promptText(w).contains(u"{nope}"_s));
        // A heading, then the details as a sentence.
        QCOMPARE(w.currentPrompt()->text(), u"<b>Cannot Start the Batch</b>"_s);
        QVERIFY(w.currentPrompt()->informativeText().at(0).isUpper());
        QVERIFY(w.currentPrompt()->informativeText().endsWith(u'.'));
    }

    void failedStartKeepsTheDialogOpen()
    {
        // The program passes the dialog's check, then stops being executable before Start: the
        // engine cannot start the batch, and the dialog stays open with the error under the
        // command and everything typed in place; fixed, the same dialog starts it.
        MainWindow &w = window();
        const QString tool = m_dir.filePath(u"tool.sh"_s);
        writeFile(tool, "#!/bin/sh\nexit 0\n");
        QFile file(tool);
        const auto executable = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;
        QVERIFY(file.setPermissions(executable));
        QTest::keySequence(&w, QKeySequence::New);
        QPointer<NewBatchDialog> dialog = w.findChild<NewBatchDialog *>();
        QVERIFY(dialog && dialog->isVisible());
        dialog->commandEdit()->setText(tool + u" {}"_s);
        dialog->rangeTo()->setValue(3);
        QTRY_VERIFY(dialog->startButton()->isEnabled());
        QVERIFY(file.setPermissions(QFile::ReadOwner | QFile::WriteOwner));
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QTRY_VERIFY(dialog->commandError()->isVisible());
        QVERIFY2(dialog->commandError()->text().contains(u"not an executable"_s),
                 qPrintable(dialog->commandError()->text()));
        QVERIFY(dialog->isVisible());
        QVERIFY(!w.currentPrompt()); // no error box over it: the error is in the dialog
        QCOMPARE(dialog->commandEdit()->text(), tool + u" {}"_s);
        QCOMPARE(dialog->rangeTo()->value(), 3);
        QVERIFY(!dialog->startButton()->isEnabled());

        QVERIFY(file.setPermissions(executable));
        dialog->validate();
        QVERIFY(dialog->startButton()->isEnabled());
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QTRY_VERIFY(!dialog || !dialog->isVisible());
        QVERIFY(w.session());
        QTRY_COMPARE(w.session()->stats().succeeded, 3);
    }

    // A replacement that cannot even be prepared leaves the running batch alone.
    void unpreparableReplacementKeepsTheRunningBatch()
    {
        MainWindow &w = window();
        QVERIFY(w.startBatch(sleepers(3, 1)));
        QTRY_COMPARE(w.session()->stats().running, 1);
        BatchSession *running = w.session();
        BatchSpec bad = sleepers(1, 1);
        bad.command = { u"echo {nope}"_s };
        QVERIFY(!w.startBatch(bad));
        QTRY_VERIFY(w.currentPrompt() && promptText(w).contains(u"{nope}"_s));
        QCOMPARE(w.session(), running);
        QVERIFY(running->isRunning());
        QCOMPARE(running->stats().running, 1);
    }

    void dropABatchFileToOpenIt()
    {
        MainWindow &w = window();
        const QString path = m_dir.filePath(u"dropped.shoal.json"_s);
        QVERIFY(saveBatchFile(path, sleepers(2, 1, u"0"_s)).ok());
        QMimeData mime;
        mime.setUrls({ QUrl::fromLocalFile(path) });
        QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton,
                              Qt::NoModifier);
        QApplication::sendEvent(&w, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &drop);
        QVERIFY(w.session());
        QCOMPARE(w.session()->filePath(), QFileInfo(path).absoluteFilePath());
        QTRY_COMPARE(w.session()->stats().succeeded, 2);
    }

    // The tasks' grace period runs in the engine: closing the window returns at once, the
    // window stays responsive meanwhile, and it closes once the tasks are gone.
    void closingNeverWaitsForTheGracePeriod()
    {
        MainWindow &w = window();
        BatchSpec spec = sleepers(2, 2);
        spec.command = { u"trap '' TERM; sleep 30"_s }; // sleep inherits the ignored TERM
        spec.shell = true;
        QVERIFY(w.startBatch(spec));
        QTRY_COMPARE(w.session()->stats().running, 2);
        QTRY_VERIFY(w.workerModel()->rowCount() == 2 && w.workerModel()->worker(0).pid > 0);
        const qint64 pid = w.workerModel()->worker(0).pid;
        bool yes = false;
        QTimer::singleShot(0, &w, [&] {
            for (QAbstractButton *b : w.currentPrompt()->buttons()) {
                if (w.currentPrompt()->buttonRole(b) == QMessageBox::DestructiveRole) {
                    yes = true;
                    b->click();
                }
            }
        });
        QVERIFY(!w.close()); // asks
        QTRY_VERIFY(yes);
        // The click returned while the task still runs: its grace period has not been waited.
        QVERIFY(test::processExists(pid));
        QVERIFY(!w.session());
        QVERIFY(w.isVisible());
        QVERIFY(!w.startBatch(sleepers(1, 1))); // closing: nothing new starts
        QTRY_VERIFY_WITH_TIMEOUT(!w.isVisible(), 15000);
        QVERIFY(!test::processExists(pid));
    }

    // A batch that replaces another starts once the other's tasks have ended, so that "Cancel
    // It and Start" never runs the same command twice at once; the window waits meanwhile.
    void replacingWaitsForTheOldTasks()
    {
        MainWindow &w = window();
        BatchSpec stubborn = sleepers(1, 1);
        stubborn.command = { u"trap '' TERM; sleep 30"_s };
        stubborn.shell = true;
        QVERIFY(w.startBatch(stubborn));
        QTRY_VERIFY(w.workerModel()->rowCount() == 1 && w.workerModel()->worker(0).pid > 0);
        const qint64 oldPid = w.workerModel()->worker(0).pid;
        bool oldGoneAtStart = false;
        connect(&w, &MainWindow::batchStarted, this,
                [&] { oldGoneAtStart = !test::processExists(oldPid); });
        QSignalSpy started(&w, &MainWindow::batchStarted);
        QVERIFY(w.startBatch(sleepers(1, 1, u"0"_s)));
        QVERIFY(!w.session()->hasOpened()); // waits: the old task is in its grace period
        QVERIFY(test::processExists(oldPid));
        QVERIFY(started.wait(15000));
        QVERIFY(oldGoneAtStart);
        QTRY_COMPARE(w.session()->stats().succeeded, 1);
    }

    void closingWhileRunningAsksFirst()
    {
        MainWindow &w = window();
        QVERIFY(w.startBatch(sleepers(6, 2)));
        QTRY_COMPARE(w.session()->stats().running, 2);
        QVERIFY(!w.close()); // asked, not closed
        QTRY_VERIFY(w.currentPrompt() && w.currentPrompt()->isVisible());
        QVERIFY(w.isVisible());
        // "Don't Close": the batch goes on.
        QPushButton *keep = nullptr;
        for (QAbstractButton *b : w.currentPrompt()->buttons()) {
            if (w.currentPrompt()->buttonRole(b) == QMessageBox::RejectRole)
                keep = qobject_cast<QPushButton *>(b);
        }
        QVERIFY(keep);
        QTest::mouseClick(keep, Qt::LeftButton);
        QTRY_VERIFY(!w.currentPrompt());
        QVERIFY(w.isVisible());
        QVERIFY(w.session()->isRunning());
        // Now cancel it and quit.
        QVERIFY(!w.close());
        QTRY_VERIFY(w.currentPrompt());
        QAbstractButton *yes = nullptr;
        for (QAbstractButton *b : w.currentPrompt()->buttons()) {
            if (w.currentPrompt()->buttonRole(b) == QMessageBox::DestructiveRole)
                yes = b;
        }
        QVERIFY(yes);
        QTest::mouseClick(yes, Qt::LeftButton);
        QTRY_VERIFY(!w.isVisible());
        QVERIFY(!w.session());
        QVERIFY(QSettings().contains(u"window/geometry"_s));
    }

    void closingPromptKeepsRunningOnReturnAndEscape()
    {
        // The safe answer is the default: Return and Escape, as a user presses them (to the
        // prompt's focused widget), keep the batch running; cancelling it is explicit.
        MainWindow &w = window();
        QVERIFY(w.startBatch(sleepers(4, 2)));
        QTRY_COMPARE(w.session()->stats().running, 2);
        for (const Qt::Key key : { Qt::Key_Return, Qt::Key_Enter, Qt::Key_Escape, Qt::Key_Space }) {
            QVERIFY(!w.close());
            QTRY_VERIFY(w.currentPrompt() && w.currentPrompt()->isVisible());
            QMessageBox *prompt = w.currentPrompt();
            QCOMPARE(prompt->icon(), QMessageBox::Warning);
            QCOMPARE(prompt->buttonRole(prompt->defaultButton()), QMessageBox::RejectRole);
            QCOMPARE(prompt->escapeButton(), prompt->defaultButton());
            QWidget *focused = prompt->focusWidget() ? prompt->focusWidget() : prompt;
            QCOMPARE(focused, prompt->defaultButton());
            QTest::keyClick(focused, key);
            QTRY_VERIFY2(!w.currentPrompt(), QTest::toString(key));
            QVERIFY(w.isVisible());
            QVERIFY(w.session()->isRunning());
            QCOMPARE(w.session()->stats().running, 2);
        }
    }

    // View > Theme switches the palette and is remembered; View's panel items hide panels.
    void themeAndPanelsFromTheViewMenu()
    {
        MainWindow &w = window();
        QCOMPARE(w.themeActions().size(), 3);
        w.themeActions().at(2)->trigger(); // dark
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 128);
        QCOMPARE(QSettings().value(u"view/theme"_s).toString(), u"dark"_s);
        w.themeActions().at(0)->trigger(); // the desktop's own again
        QCOMPARE(QApplication::palette().color(QPalette::Window),
                 m_lightPalette.color(QPalette::Window));
        QCOMPARE(QSettings().value(u"view/theme"_s).toString(), u"system"_s);

        QVERIFY(w.startBatch(sleepers(1, 1, u"0"_s)));
        QTRY_VERIFY(w.chartPanel()->isVisible());
        w.panelActions().at(1)->toggle(); // Charts off
        QVERIFY(!w.chartPanel()->isVisible());
        QVERIFY(w.taskPanel()->isVisible());
        w.panelActions().at(1)->toggle();
        QVERIFY(w.chartPanel()->isVisible());
    }

    void demoBatchIsBundled()
    {
        auto spec = parseBatchJson(MainWindow::demoBatchJson(), u"demo.shoal.json"_s);
        QVERIFY2(spec.ok(), spec.ok() ? "" : qPrintable(spec.error()));
        auto inputs = resolveInputs(spec->inputs);
        QVERIFY(inputs.ok());
        QCOMPARE(inputs->size(), 300);
        QVERIFY(spec->shell);
        QCOMPARE(spec->jobs, 4);
    }

    // Renders the window during the running demo batch, in a light and a dark palette.
    void screenshotsOfARunningBatch()
    {
        MainWindow &w = window();
        w.resize(1400, 900);
        QVERIFY(w.openDemo());
        BatchSession *s = w.session();
        QVERIFY(s);
        QTRY_VERIFY_WITH_TIMEOUT(s->stats().failed >= 3 && s->stats().succeeded >= 60, 30000);
        QTRY_VERIFY(w.chartPanel()->series(ChartPanel::QueueChart)->count() >= 4);
        QTRY_VERIFY(w.chartPanel()->series(ChartPanel::DurationChart)->count() > 0);
        // Show a failed task's output in the details pane.
        const int failedRow = 6; // the demo fails every task with n % 20 == 7
        QTRY_COMPARE(w.taskModel()->task(failedRow).state, TaskState::Failed);
        w.taskPanel()->view()->selectRow(failedRow);
        QTRY_VERIFY(!w.taskPanel()->stderrView()->toPlainText().isEmpty());
        QCoreApplication::sendPostedEvents(); // pending layouts, before the picture

        const QString light = screenshotDir() + u"/mainwindow.png"_s;
        QVERIFY(w.grab().save(light));
        QApplication::setPalette(darkPalette());
        const int redraws = w.chartPanel()->redrawCount();
        QTRY_VERIFY(w.chartPanel()->redrawCount() > redraws); // a frame in the new colours
        QCoreApplication::sendPostedEvents();
        const QString dark = screenshotDir() + u"/mainwindow-dark.png"_s;
        QVERIFY(w.grab().save(dark));
        qInfo("screenshots: %s %s", qPrintable(light), qPrintable(dark));
    }

    // The window at a large and a small size, light and dark: the welcome page, a batch with
    // a paused and a parked worker, and a finished batch with failures.
    void screenshotsAtTwoSizesLightAndDark()
    {
        MainWindow &w = window();
        const QList<QSize> sizes { QSize(1600, 1000), QSize(1024, 700) };
        // overlay: a dialog over the window, drawn where a window manager would centre it.
        const auto shoot = [&](const QString &name, QWidget *overlay = nullptr) {
            for (const bool dark : { false, true }) {
                QApplication::setPalette(dark ? darkPalette() : m_lightPalette);
                const QString tone = dark ? u"dark"_s : u"light"_s;
                for (const QSize &size : sizes) {
                    const int redraws = w.chartPanel()->redrawCount();
                    w.resize(size);
                    QCoreApplication::sendPostedEvents();
                    if (w.chartPanel()->isVisible()) // the charts re-ticked for the new size
                        QTRY_VERIFY(w.chartPanel()->redrawCount() > redraws);
                    // Every column of the workers and of the tasks in view, at either size.
                    if (w.workerView()->isVisible()) {
                        QTRY_VERIFY2(!w.workerView()->horizontalScrollBar()->isVisible(),
                                     qPrintable(name));
                        QTRY_VERIFY2(!w.taskPanel()->view()->horizontalScrollBar()->isVisible(),
                                     qPrintable(name));
                    }
                    QCoreApplication::processEvents();
                    const QString path = u"%1/%2-%3-%4x%5.png"_s.arg(screenshotDir(), name, tone)
                                             .arg(size.width())
                                             .arg(size.height());
                    QImage shot = w.grab().toImage();
                    if (overlay) {
                        QPainter painter(&shot);
                        const QPixmap dialog = overlay->grab();
                        const QRect at(QPoint((shot.width() - dialog.width()) / 2,
                                              qMax(0, (shot.height() - dialog.height()) / 2)),
                                       dialog.size());
                        painter.fillRect(at.translated(4, 4), QColor(0, 0, 0, 90)); // a shadow
                        painter.drawPixmap(at.topLeft(), dialog);
                        painter.setPen(overlay->palette().color(QPalette::Shadow));
                        painter.drawRect(at.adjusted(-1, -1, 0, 0)); // the frame a WM draws
                    }
                    QVERIFY(shot.save(path));
                }
            }
            QApplication::setPalette(m_lightPalette);
        };
        w.show();
        shoot(u"welcome"_s);

        // The New Batch dialog with an error under the command.
        QTest::keySequence(&w, QKeySequence::New);
        QPointer<NewBatchDialog> dialog = w.findChild<NewBatchDialog *>();
        QVERIFY(dialog && dialog->isVisible());
        dialog->commandEdit()->setFocus();
        QTest::keyClicks(dialog->commandEdit(), u"convert {} {/.}.webp {name}"_s);
        QTRY_VERIFY(dialog->commandError()->isVisible());
        shoot(u"newbatch-error"_s, dialog);
        dialog->reject();

        QVERIFY(w.startBatch(sleepers(12, 4)));
        BatchSession *s = w.session();
        QTRY_COMPARE(s->stats().running, 4);
        s->engine()->pauseWorker(1);
        s->engine()->resize(3, DrainPolicy::Pause);
        QTRY_COMPARE(s->stats().parkedWorkers, 1);
        QTRY_VERIFY(w.overview()->countsText().contains(u"2 running · 2 paused"_s));
        shoot(u"paused-and-parked"_s);

        // Shrinking by letting running tasks finish: the surplus workers drain.
        s->engine()->resize(4, DrainPolicy::Pause);
        s->engine()->resumeWorker(1);
        QTRY_COMPARE(s->stats().parkedWorkers, 0);
        QTRY_COMPARE(s->stats().running, 4);
        s->engine()->resize(2, DrainPolicy::Finish);
        QTRY_VERIFY(w.workerModel()->worker(2).state == WorkerState::Draining
                    && w.workerModel()->worker(3).state == WorkerState::Draining);
        shoot(u"shrinking"_s);

        BatchSpec failing;
        failing.name = u"some fail"_s;
        failing.command = { u"sh -c 'sleep 0.0{}; [ $(( {} % 4 )) -ne 0 ] || "
                            u"{ echo \"convert: frame {} is corrupt\" >&2; exit 1; }'"_s };
        failing.inputs.kind = InputSpec::Kind::Range;
        failing.inputs.from = 1;
        failing.inputs.to = 40;
        failing.jobs = 4;
        QVERIFY(w.startBatch(failing));
        QTRY_VERIFY_WITH_TIMEOUT(
            w.session() && w.session()->stats().failed == 10 && !w.session()->isRunning(), 20000);
        QTRY_VERIFY(w.overview()->progressBar()->text().contains(u"10 failed"_s));
        // Inputs 1..40 are the tasks' numbers: shown once, not in two columns.
        QVERIFY(w.taskPanel()->view()->isColumnHidden(TaskModel::InputColumn));
        shoot(u"finished-with-failures"_s);
    }

    // A service batch whose workers report progress, then wait to be let go: the tasks table
    // and the workers show it.
    void screenshotOfAServiceBatch()
    {
        MainWindow &w = window();
        w.resize(1400, 900);
        const QString release = m_dir.filePath(u"release-service"_s);
        BatchSpec spec;
        spec.name = u"progress demo"_s;
        spec.service.mode = ServiceSpec::Mode::Json;
        spec.service.program
            = test::progressThenWaitWorker(release, u"0.$(( (id * 37) % 9 + 1 ))"_s, u"$id"_s);
        spec.service.prefetch = 1;
        spec.inputs.kind = InputSpec::Kind::Range;
        spec.inputs.from = 1;
        spec.inputs.to = 12;
        spec.jobs = 3;
        QVERIFY(w.startBatch(spec));
        QTRY_COMPARE(w.taskModel()->rowCount(), 12);
        QTRY_VERIFY(w.taskModel()->task(0).progress > 0 && w.taskModel()->task(1).progress > 0
                    && w.taskModel()->task(2).progress > 0);
        QTRY_VERIFY(
            w.workerModel()->index(0, WorkerModel::TaskColumn).data().toString().endsWith(u"%)"_s));
        w.taskPanel()->view()->selectRow(1);
        QTRY_VERIFY(!w.taskPanel()->commandView()->text().isEmpty());
        const QString shot = screenshotDir() + u"/service.png"_s;
        QVERIFY(w.grab().save(shot));
        qInfo("screenshot: %s", qPrintable(shot));
        QFile(release).open(QIODevice::WriteOnly);
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->stats().succeeded, 12, 20000);
    }

    // A batch on worker hosts (two "remote" ones through a stand-in for ssh, and this machine):
    // the workers table shows each worker's host.
    void screenshotOfABatchOnWorkerHosts()
    {
        const QString fakeSsh = writeFakeSsh();
        QVERIFY(!fakeSsh.isEmpty());
        MainWindow &w = window();
        w.resize(1400, 900);
        const QString release = m_dir.filePath(u"release-hosts"_s);
        BatchSpec spec;
        spec.name = u"sweep on three hosts"_s;
        spec.command
            = { u"sh"_s, u"-c"_s, u"while [ ! -e %1 ]; do sleep 0.05; done; echo $0"_s.arg(release),
                u"{}"_s };
        spec.inputs.kind = InputSpec::Kind::Range;
        spec.inputs.from = 1;
        spec.inputs.to = 20;
        spec.hosts.hosts
            = { { u"node-a.cluster"_s, 2 }, { u"node-b.cluster"_s, 2 }, { u":"_s, 1 } };
        spec.hosts.ssh = { fakeSsh };
        spec.hosts.agentPath = test::shoalBinary();
        QVERIFY(w.startBatch(spec));
        QTRY_COMPARE(w.workerModel()->rowCount(), 5);
        QTRY_VERIFY(!w.workerView()->isColumnHidden(WorkerModel::HostColumn));
        QStringList hosts;
        for (int row = 0; row < 5; ++row)
            hosts << w.workerModel()->index(row, WorkerModel::HostColumn).data().toString();
        hosts.sort();
        QCOMPARE(hosts,
                 (QStringList { u":"_s, u"node-a.cluster"_s, u"node-a.cluster"_s,
                                u"node-b.cluster"_s, u"node-b.cluster"_s }));
        // Each task's process id on its host, as the agents report them.
        QTRY_VERIFY([&w] {
            for (int row = 0; row < 5; ++row)
                if (w.workerModel()->worker(row).pid <= 0)
                    return false;
            return true;
        }());
        // Each host's totals under the table: all five workers busy, nothing done yet.
        QLabel *totals = w.dashboard()->hostsLabel();
        QTRY_VERIFY(totals->isVisible()
                    && totals->text().contains(u"node-b.cluster: 2 workers, 2 busy, 0 done"_s));
        QVERIFY2(totals->text().contains(u"node-a.cluster: 2 workers, 2 busy, 0 done, "
                                         "0 failed attempts"_s),
                 qPrintable(totals->text()));
        QVERIFY2(totals->text().contains(u"this machine: 1 worker, 1 busy"_s),
                 qPrintable(totals->text()));
        QCoreApplication::sendPostedEvents();
        QVERIFY(!w.workerView()->horizontalScrollBar()->isVisible());
        const QString shot = screenshotDir() + u"/hosts.png"_s;
        QVERIFY(w.grab().save(shot));
        qInfo("screenshot: %s", qPrintable(shot));
        QFile(release).open(QIODevice::WriteOnly);
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->stats().succeeded, 20, 20000);
        QTRY_VERIFY(totals->text().contains(u"node-a.cluster: 2 workers, 0 busy"_s));
    }

    // Service workers on worker hosts, one host resized alone from the window's engine: its
    // workers grow, the other host keeps its one, and every task is answered.
    // Closing a batch while its worker host has not answered (an ssh login that hangs): the
    // engine gives up that wait at once, not after the 30 s a login is allowed, and the
    // transport is ended.
    void closingWhileAHostIsSilent()
    {
        const QString pidFile = m_dir.filePath(u"silent-ssh.pid"_s);
        const QString silentSsh = shoal::test::writeScript(
            m_dir.filePath(u"silentssh"_s),
            u"#!/bin/sh\necho $$ > %1\nexec sleep 1000\n"_s.arg(pidFile).toLocal8Bit());
        QVERIFY(!silentSsh.isEmpty());
        MainWindow &w = window();
        BatchSpec spec;
        spec.name = u"on a silent host"_s;
        spec.command = { u"true"_s };
        spec.inputs.kind = InputSpec::Kind::Range;
        spec.inputs.from = 1;
        spec.inputs.to = 3;
        spec.hosts.hosts = { { u"silent.cluster"_s, 1 } };
        spec.hosts.ssh = { silentSsh };
        spec.hosts.agentPath = test::shoalBinary();
        QVERIFY(w.startBatch(spec));
        const qint64 ssh = test::readPidFile(pidFile, 20000); // the engine waits for its Hello
        QVERIFY(ssh > 0);
        EngineClient *engine = w.session()->engine();
        QSignalSpy closed(engine, &EngineClient::closed);
        engine->close();
        QVERIFY(closed.wait(20000));
        QTRY_VERIFY(!test::processExists(ssh));
    }

    void serviceWorkersOnHostsResizedAlone()
    {
        const QString fakeSsh = writeFakeSsh();
        QVERIFY(!fakeSsh.isEmpty());
        MainWindow &w = window();
        w.resize(1400, 900);
        const QString release = m_dir.filePath(u"release-service-hosts"_s);
        BatchSpec spec;
        spec.name = u"service sweep on two hosts"_s;
        spec.service.program
            = { u"sh"_s, u"-c"_s,
                u"while read x; do while [ ! -e %1 ]; do sleep 0.05; done; echo r $x; done"_s.arg(
                    release) };
        spec.inputs.kind = InputSpec::Kind::Range;
        spec.inputs.from = 1;
        spec.inputs.to = 30;
        spec.hosts.hosts = { { u"node-a.cluster"_s, 2 }, { u":"_s, 1 } };
        spec.hosts.ssh = { fakeSsh };
        spec.hosts.agentPath = test::shoalBinary();
        QVERIFY(w.startBatch(spec));
        QTRY_COMPARE(w.workerModel()->rowCount(), 3);
        w.session()->engine()->resizeHost(u"node-a.cluster"_s, 4, DrainPolicy::Finish);
        QTRY_COMPARE(w.workerModel()->rowCount(), 5);
        QLabel *totals = w.dashboard()->hostsLabel();
        QTRY_VERIFY2(totals->text().contains(u"node-a.cluster: 4 workers, 4 busy"_s),
                     qPrintable(totals->text()));
        QVERIFY2(totals->text().contains(u"this machine: 1 worker, 1 busy"_s),
                 qPrintable(totals->text()));
        // Each worker's service program there, as its agent measures it.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&w] {
                for (int row = 0; row < 5; ++row)
                    if (w.workerModel()->worker(row).pid <= 0)
                        return false;
                return true;
            }(),
            10000);
        QCoreApplication::sendPostedEvents();
        const QString shot = screenshotDir() + u"/service-hosts.png"_s;
        QVERIFY(w.grab().save(shot));
        qInfo("screenshot: %s", qPrintable(shot));
        QFile(release).open(QIODevice::WriteOnly);
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->stats().succeeded, 30, 20000);
    }

private:
    // A stand-in for ssh that runs the command here (fakessh HOST COMMAND).
    QString writeFakeSsh()
    {
        return shoal::test::writeScript(m_dir.filePath(u"fakessh"_s),
                                        "#!/bin/sh\nhost=$1; shift\nexec sh -c \"$*\"\n");
    }

    MainWindow &window()
    {
        m_window = std::make_unique<MainWindow>();
        m_window->show();
        if (!QTest::qWaitForWindowExposed(m_window.get()))
            qWarning("the window was not exposed");
        return *m_window;
    }

    std::unique_ptr<MainWindow> m_window;
    QTemporaryDir m_dir;
    QPalette m_lightPalette;
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
