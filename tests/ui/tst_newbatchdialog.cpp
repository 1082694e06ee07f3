#include "batchfile.h"
#include "commandpreview.h"
#include "formwidgets.h"
#include "hostsfield.h"
#include "newbatchdialog.h"
#include "testsupport.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;

namespace {

void chooseInputs(NewBatchDialog &dialog, InputSpec::Kind kind)
{
    dialog.inputKindCombo()->setCurrentIndex(dialog.inputKindCombo()->findData(int(kind)));
}

} // namespace

class TestNewBatchDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void startsValidWithARange()
    {
        NewBatchDialog dialog;
        dialog.show();
        QTest::keyClicks(dialog.commandEdit(), u"echo {#} {}"_s);
        QTRY_VERIFY(dialog.startButton()->isEnabled());
        QVERIFY(dialog.commandError()->isHidden());
        QCOMPARE(dialog.inputCount()->text(), u"100 inputs"_s);
        const QStringList preview = dialog.preview()->toPlainText().split(u'\n');
        QCOMPARE(preview.value(0), u"echo 1 1"_s);
        QCOMPARE(preview.value(4), u"echo 5 5"_s);
        QCOMPARE(preview.value(5), u"… and 95 more"_s);
    }

    // The preview shows what each input puts in its command: the highlighted spans are the
    // placeholders' values, through the shell quoting.
    void previewHighlightsWhatChangesPerInput()
    {
        NewBatchDialog dialog;
        dialog.show();
        dialog.commandEdit()->setText(u"cp {} 'backup dir/{/}'"_s);
        dialog.rangeTo()->setValue(3);
        QTRY_VERIFY(dialog.startButton()->isEnabled());
        QCOMPARE(dialog.preview()->toPlainText().split(u'\n').value(1), u"cp 2 'backup dir/2'"_s);
        QStringList highlighted;
        for (const QTextEdit::ExtraSelection &s : dialog.preview()->extraSelections())
            highlighted << u"%1:%2"_s.arg(s.cursor.blockNumber()).arg(s.cursor.selectedText());
        QCOMPARE(highlighted,
                 (QStringList { u"0:1"_s, u"0:1"_s, u"1:2"_s, u"1:2"_s, u"2:3"_s, u"2:3"_s }));
    }

    // The command takes several lines: Return starts a new one, Ctrl+Return starts the batch;
    // a shell script's lines show as one preview line per command.
    void multiLineCommand()
    {
        NewBatchDialog dialog;
        dialog.show();
        int requested = 0;
        connect(&dialog, &NewBatchDialog::startRequested, this, [&] { ++requested; });
        dialog.shellCheck()->setChecked(true);
        dialog.commandEdit()->setFocus();
        QTest::keyClicks(dialog.commandEdit(), u"set -e"_s);
        QTest::keyClick(dialog.commandEdit(), Qt::Key_Return);
        QTest::keyClicks(dialog.commandEdit(), u"echo {}"_s);
        QCOMPARE(dialog.commandEdit()->text(), u"set -e\necho {}"_s);
        QCOMPARE(requested, 0);
        QTRY_COMPARE(dialog.preview()->toPlainText().split(u'\n').value(0),
                     u"set -e\u23CEecho 1"_s);
        QCOMPARE(dialog.spec().command, QStringList { u"set -e\necho {}"_s });
        QTest::keyClick(dialog.commandEdit(), Qt::Key_Return, Qt::ControlModifier);
        QCOMPARE(requested, 1); // checked at once, not after the typing pause
        QCOMPARE(dialog.commandEdit()->text(), u"set -e\necho {}"_s);
        // Tab leaves the field (it is not typed into the command).
        dialog.setStarting(false);
        QTest::keyClick(dialog.commandEdit(), Qt::Key_Tab);
        QCOMPARE(dialog.commandEdit()->text(), u"set -e\necho {}"_s);

        // A trailing Return is not part of the command (the input appended after it would
        // run as a command of its own).
        dialog.commandEdit()->setText(u"gzip -9\n"_s);
        QCOMPARE(dialog.spec().command, QStringList { u"gzip -9"_s });
        // Only a line continuation: nothing to run, said as for an empty command.
        for (int kind : { 0, 1 }) {
            dialog.workerKindCombo()->setCurrentIndex(kind);
            dialog.shellCheck()->setChecked(false);
            dialog.commandEdit()->setText(u"\\\n"_s);
            QTRY_VERIFY(!dialog.isValidationPending());
            QVERIFY(!dialog.isValid());
            QVERIFY2(dialog.commandError()->text().startsWith(u"Enter the"_s) || kind == 0,
                     qPrintable(dialog.commandError()->text()));
        }
    }

    void noErrorBeforeTheUserTypesAndNoJump()
    {
        NewBatchDialog dialog;
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QVERIFY(!dialog.isValid()); // no command yet: Start waits for one
        QVERIFY(!dialog.startButton()->isEnabled());
        QVERIFY(dialog.commandError()->isHidden()); // but says nothing before the user typed
        QVERIFY(dialog.inputError()->isHidden());
        const int previewTop = dialog.preview()->mapTo(&dialog, QPoint()).y();
        QTest::keyClicks(dialog.commandEdit(), u"x"_s);
        dialog.commandEdit()->clear();
        QTRY_VERIFY(!dialog.isValidationPending());
        QVERIFY(dialog.commandError()->isVisible());
        QVERIFY2(dialog.commandError()->text().contains(u"Enter the command"_s),
                 qPrintable(dialog.commandError()->text()));
        QCoreApplication::sendPostedEvents(); // the layout, if it were to move
        QCOMPARE(dialog.preview()->mapTo(&dialog, QPoint()).y(), previewTop);
    }

    void invalidInputIsShownBesideTheField_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<int>("inputKind");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("commandError");
        QTest::addColumn<QString>("inputError");
        const int file = int(InputSpec::Kind::File), folder = int(InputSpec::Kind::Folder),
                  range = int(InputSpec::Kind::Range);
        QTest::newRow("empty command")
            << u"  "_s << range << QString() << u"Enter the command"_s << QString();
        QTest::newRow("unknown placeholder") << u"gzip {foo}"_s << range << QString()
                                             << u"Unknown placeholder '{foo}'"_s << QString();
        QTest::newRow("missing file") << u"gzip"_s << file << u"/nonexistent/inputs.txt"_s
                                      << QString() << u"/nonexistent/inputs.txt"_s;
        QTest::newRow("no file chosen")
            << u"gzip"_s << file << QString() << QString() << u"Choose the file"_s;
        QTest::newRow("missing folder") << u"gzip"_s << folder << u"/nonexistent/dir"_s << QString()
                                        << u"'/nonexistent/dir' does not exist"_s;
    }

    void invalidInputIsShownBesideTheField()
    {
        QFETCH(QString, command);
        QFETCH(int, inputKind);
        QFETCH(QString, path);
        QFETCH(QString, commandError);
        QFETCH(QString, inputError);
        NewBatchDialog dialog;
        dialog.show();
        chooseInputs(dialog, InputSpec::Kind(inputKind));
        (inputKind == int(InputSpec::Kind::File) ? dialog.fileEdit() : dialog.folderEdit())
            ->setText(path);
        QTest::keyClicks(dialog.commandEdit(), command);
        QTRY_VERIFY(!dialog.isValidationPending());
        QVERIFY(!dialog.startButton()->isEnabled());
        QVERIFY(!dialog.isValid());
        if (QByteArrayView(QTest::currentDataTag()) == "unknown placeholder") {
            const QString dir
                = qEnvironmentVariable("SHOAL_BUILD_DIR", QDir::currentPath()) + u"/screenshots"_s;
            QDir().mkpath(dir);
            QVERIFY(dialog.grab().save(dir + u"/newbatch-error.png"_s));
        }
        if (!commandError.isEmpty()) {
            QVERIFY(dialog.commandError()->isVisible());
            QVERIFY2(dialog.commandError()->text().contains(commandError),
                     qPrintable(dialog.commandError()->text()));
        } else {
            QVERIFY(dialog.commandError()->isHidden());
        }
        if (!inputError.isEmpty()) {
            QVERIFY(dialog.inputError()->isVisible());
            QVERIFY2(dialog.inputError()->text().contains(inputError),
                     qPrintable(dialog.inputError()->text()));
        }
        // Fixing the fields enables Start and clears the messages.
        dialog.commandEdit()->setText(u"gzip {}"_s);
        chooseInputs(dialog, InputSpec::Kind::Range);
        QTRY_VERIFY(dialog.startButton()->isEnabled());
        QVERIFY(dialog.commandError()->isHidden());
        QVERIFY(dialog.inputError()->isHidden());
    }

    void previewExpandsPlaceholders()
    {
        NewBatchDialog dialog;
        dialog.show();
        chooseInputs(dialog, InputSpec::Kind::Lines);
        dialog.linesEdit()->setPlainText(u"/data/photo one.jpg\n/data/b.png\n"_s);
        dialog.commandEdit()->setText(u"convert {} {/.}.webp {%}"_s);
        dialog.workersSpin()->setValue(4);
        QTRY_VERIFY(dialog.startButton()->isEnabled());
        QCOMPARE(dialog.preview()->toPlainText(),
                 u"convert '/data/photo one.jpg' 'photo one.webp' 1\n"
                 "convert /data/b.png b.webp 2"_s);
        const QString dir
            = qEnvironmentVariable("SHOAL_BUILD_DIR", QDir::currentPath()) + u"/screenshots"_s;
        QDir().mkpath(dir);
        QVERIFY(dialog.grab().save(dir + u"/newbatch.png"_s));
        // Shell mode quotes substituted values for the shell and shows the script.
        dialog.shellCheck()->setChecked(true);
        dialog.commandEdit()->setText(u"echo {} | wc -c"_s);
        QTRY_COMPARE(dialog.preview()->toPlainText().section(u'\n', 0, 0),
                     u"echo '/data/photo one.jpg' | wc -c"_s);
        QCOMPARE(dialog.inputCount()->text(), u"2 inputs"_s);
    }

    void folderAndPattern()
    {
        const QString folder = m_dir.filePath(u"pics"_s);
        QVERIFY(QDir().mkpath(folder));
        for (const QString &name : { u"a.jpg"_s, u"b.jpg"_s, u"c.txt"_s }) {
            QFile f(folder + u'/' + name);
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        NewBatchDialog dialog;
        dialog.show();
        chooseInputs(dialog, InputSpec::Kind::Folder);
        dialog.folderEdit()->setText(folder);
        dialog.patternEdit()->setText(u"*.jpg"_s);
        dialog.commandEdit()->setText(u"echo {/}"_s);
        QTRY_VERIFY(dialog.startButton()->isEnabled());
        QCOMPARE(dialog.inputCount()->text(), u"2 inputs"_s);
        QCOMPARE(dialog.preview()->toPlainText(), u"echo a.jpg\necho b.jpg"_s);
        // A pattern that matches nothing: nothing would run.
        dialog.patternEdit()->setText(u"*.gif"_s);
        QTRY_VERIFY(!dialog.inputError()->isHidden());
        QVERIFY(!dialog.startButton()->isEnabled());
    }

    void savesALoadableBatchFile()
    {
        NewBatchDialog dialog;
        chooseInputs(dialog, InputSpec::Kind::Range);
        dialog.rangeFrom()->setValue(5);
        dialog.rangeTo()->setValue(50);
        dialog.rangeStep()->setValue(5);
        dialog.commandEdit()->setText(u"sleep {}"_s);
        dialog.workersSpin()->setValue(3);
        dialog.validate();
        QVERIFY(dialog.isValid());
        QCOMPARE(dialog.inputCount()->text(), u"10 inputs"_s);
        const QString path = m_dir.filePath(u"naps.shoal.json"_s);
        QVERIFY(dialog.saveTo(path).ok());
        auto loaded = loadBatchFile(path);
        QVERIFY2(loaded.ok(), qPrintable(loaded.ok() ? QString() : loaded.error()));
        QCOMPARE(loaded->name, u"naps"_s);
        QCOMPARE(loaded->command, QStringList { u"sleep {}"_s });
        QCOMPARE(loaded->inputs.kind, InputSpec::Kind::Range);
        QCOMPARE(loaded->inputs.from, 5);
        QCOMPARE(loaded->inputs.step, 5);
        QCOMPARE(loaded->jobs, 3);

        // And it loads back into the dialog.
        NewBatchDialog again;
        again.setSpec(*loaded);
        QVERIFY(again.isValid());
        QCOMPARE(again.preview()->toPlainText().section(u'\n', 0, 0), u"sleep 5"_s);
    }

    void programIsCheckedAsTheUserTypes()
    {
        NewBatchDialog dialog;
        dialog.show();
        const QString script = m_dir.filePath(u"not-executable.sh"_s);
        QFile file(script);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("echo hi\n");
        file.close();
        const struct
        {
            QString command;
            bool shell;
            QString error; // empty: accepted
        } cases[] = {
            { u"no-such-program-shoal {}"_s, false,
              u"Cannot find the program 'no-such-program-shoal' on PATH"_s },
            { u"/nonexistent/tool {}"_s, false, u"Cannot find the program '/nonexistent/tool'"_s },
            { script + u" {}"_s, false, u"is not an executable program"_s },
            { m_dir.path() + u" {}"_s, false, u"is not an executable program"_s },
            { u"no-such-program-shoal {} | wc"_s, true, QString() }, // the shell runs it
            { u"{} --version"_s, false, QString() }, // the program is the input
            { u"gzip -9 {}"_s, false, QString() },
        };
        for (const auto &c : cases) {
            dialog.shellCheck()->setChecked(c.shell);
            dialog.commandEdit()->setText(c.command);
            QTRY_VERIFY(!dialog.isValidationPending());
            QCOMPARE(dialog.isValid(), c.error.isEmpty());
            QCOMPARE(dialog.startButton()->isEnabled(), c.error.isEmpty());
            QVERIFY2(dialog.commandError()->text().contains(c.error),
                     qPrintable(c.command + u" -> "_s + dialog.commandError()->text()));
            QCOMPARE(dialog.commandError()->isVisible(), !c.error.isEmpty());
        }
    }

    void placeholderButtonsInsertAtTheCursor()
    {
        NewBatchDialog dialog;
        dialog.show();
        dialog.commandEdit()->setText(u"convert  out.png"_s);
        dialog.commandEdit()->setCursorPosition(8);
        QToolButton *dotless = nullptr;
        for (auto *b : dialog.placeholderStrip()->findChildren<QToolButton *>()) {
            if (b->text() == u"{.}"_s)
                dotless = b;
        }
        QVERIFY(dotless);
        QVERIFY(!dotless->toolTip().isEmpty());
        QTest::mouseClick(dotless, Qt::LeftButton);
        QCOMPARE(dialog.commandEdit()->text(), u"convert {.} out.png"_s);
        dialog.workerKindCombo()->setCurrentIndex(1); // a service reads stdin: no placeholders
        QVERIFY(!dialog.placeholderStrip()->isVisibleTo(&dialog));
    }

    void timeoutReadsAsElsewhere()
    {
        NewBatchDialog dialog;
        dialog.timeoutSpin()->setValue(30);
        QCOMPARE(dialog.timeoutSpin()->text(), u"30 s"_s);
        dialog.timeoutSpin()->setValue(2.5);
        QCOMPARE(dialog.timeoutSpin()->text(), u"2.5 s"_s);
        dialog.timeoutSpin()->setValue(0);
        QCOMPARE(dialog.timeoutSpin()->text(), u"none"_s);
    }

    void shellSyntaxWithoutTheShellGetsAHint()
    {
        NewBatchDialog dialog;
        dialog.show();
        dialog.commandEdit()->setText(u"gzip -c {} > {}.gz"_s);
        QTRY_VERIFY(!dialog.isValidationPending());
        QVERIFY(dialog.shellHint()->isVisible());
        QVERIFY(dialog.isValid()); // a hint, not an error: '>' may be meant literally
        dialog.shellCheck()->setChecked(true);
        QTRY_VERIFY(!dialog.isValidationPending());
        QVERIFY(dialog.shellHint()->isHidden());
        dialog.shellCheck()->setChecked(false);
        dialog.commandEdit()->setText(u"gzip -9 {}"_s);
        QTRY_VERIFY(!dialog.isValidationPending());
        QVERIFY(dialog.shellHint()->isHidden());
    }

    void startWaitsForTheWindowAndShowsItsError()
    {
        NewBatchDialog dialog;
        dialog.show();
        dialog.commandEdit()->setText(u"gzip {}"_s);
        QTRY_VERIFY(dialog.startButton()->isEnabled());
        int requested = 0;
        connect(&dialog, &NewBatchDialog::startRequested, this, [&] { ++requested; });
        QTest::mouseClick(dialog.startButton(), Qt::LeftButton);
        QCOMPARE(requested, 1);
        QVERIFY(dialog.isVisible()); // open until the window says the batch started
        QVERIFY(dialog.isStarting());
        QVERIFY(!dialog.startButton()->isEnabled());
        QTest::mouseClick(dialog.startButton(), Qt::LeftButton);
        QCOMPARE(requested, 1); // one start at a time
        QTest::keyClick(&dialog, Qt::Key_Escape); // nor is it dropped while the window starts it
        QVERIFY(dialog.isVisible());
        // An error that belongs to no field shows above the buttons; what was typed stays.
        dialog.showStartError(u"cannot create the results folder"_s);
        QVERIFY(!dialog.isStarting());
        QVERIFY(dialog.startButton()->isEnabled());
        QVERIFY(dialog.actionError()->isVisible());
        QCOMPARE(dialog.actionError()->text(),
                 u"Could not start the batch: cannot create the results folder."_s);
        QCOMPARE(dialog.commandEdit()->text(), u"gzip {}"_s);
        // Editing clears it.
        dialog.commandEdit()->setText(u"gzip -9 {}"_s);
        QVERIFY(dialog.actionError()->isHidden());
    }

    // Where: this machine, ssh hosts typed as for -S, or a Slurm line; what cannot be used is
    // said under the field and keeps Start off.
    void choosesWhereTheTasksRun()
    {
        NewBatchDialog dialog;
        dialog.show();
        dialog.commandEdit()->setText(u"gzip {}"_s);
        chooseInputs(dialog, InputSpec::Kind::Range);
        QTRY_VERIFY(dialog.startButton()->isEnabled());
        QVERIFY(!dialog.spec().hosts.isValid()); // this machine by default
        HostsField *hosts = dialog.hostsField();
        QVERIFY(hosts->hostsEdit()->isHidden());
        // The keyboard: focus the choice, one step down (SSH hosts), type the hosts.
        hosts->whereCombo()->setFocus();
        QTest::keyClick(hosts->whereCombo(), Qt::Key_Down);
        QVERIFY(hosts->hostsEdit()->isVisible());
        QTest::keyClicks(hosts->hostsEdit(), u"2/hostA,0/hostB"_s);
        QTRY_VERIFY(!dialog.isValidationPending());
        QVERIFY(!dialog.startButton()->isEnabled());
        QVERIFY2(dialog.hostsError()->isVisible()
                     && dialog.hostsError()->text().contains(u"'0' is not a number of workers"_s),
                 qPrintable(dialog.hostsError()->text()));
        hosts->hostsEdit()->setText(u"2/hostA,1/:"_s);
        QTRY_VERIFY(dialog.startButton()->isEnabled());
        QVERIFY(dialog.hostsError()->isHidden());
        const HostsSpec ssh = dialog.spec().hosts;
        QCOMPARE(ssh.hosts.size(), size_t(2));
        QCOMPARE(ssh.hosts[0].login, u"hostA"_s);
        QCOMPARE(ssh.hosts[0].workers, 2);
        QVERIFY(ssh.hosts[1].isLocal());
        // A Slurm line: srun options that would take the agents' link are refused.
        QTest::keyClick(hosts->whereCombo(), Qt::Key_Down);
        QCOMPARE(hosts->hostsEdit()->text(), QString()); // each choice keeps its own text
        QTest::keyClicks(hosts->hostsEdit(), u"-N2 -o out.txt"_s);
        QTRY_VERIFY(!dialog.isValidationPending());
        QVERIFY(!dialog.startButton()->isEnabled());
        QVERIFY2(dialog.hostsError()->text().contains(u"-o cannot be used with --slurm"_s),
                 qPrintable(dialog.hostsError()->text()));
        hosts->hostsEdit()->setText(u"-N2 -p short"_s);
        QTRY_VERIFY(dialog.startButton()->isEnabled());
        QVERIFY(dialog.spec().hosts.slurm);
        QCOMPARE(dialog.spec().hosts.srunArgs, (QStringList { u"-N2"_s, u"-p"_s, u"short"_s }));
        // Back to SSH hosts: its text is still there.
        QTest::keyClick(hosts->whereCombo(), Qt::Key_Up);
        QCOMPARE(hosts->hostsEdit()->text(), u"2/hostA,1/:"_s);
    }

    // A batch file's hosts survive the dialog whole, with what it does not show (the ssh
    // command, the agent's path, the working folder, the files to move).
    void keepsTheHostsOfABatchFile()
    {
        BatchSpec spec;
        spec.command = { u"gzip"_s };
        spec.inputs.kind = InputSpec::Kind::Range;
        spec.hosts.hosts = { { u"hostA"_s, 3 }, { u":"_s, 0 } };
        spec.hosts.ssh = { u"ssh"_s, u"-p"_s, u"2222"_s };
        spec.hosts.agentPath = u"/opt/shoal"_s;
        spec.hosts.workdir = u"/scratch"_s;
        spec.hosts.transferFiles = { u"{}"_s };
        spec.hosts.returnFiles = { u"{}.gz"_s };
        spec.hosts.cleanup = true;
        NewBatchDialog dialog;
        dialog.setSpec(spec);
        dialog.show();
        QCOMPARE(dialog.hostsField()->hostsEdit()->text(), u"3/hostA,:"_s);
        const HostsSpec back = dialog.spec().hosts;
        QVERIFY(back.hosts == spec.hosts.hosts);
        QCOMPARE(back.ssh, spec.hosts.ssh);
        QCOMPARE(back.agentPath, spec.hosts.agentPath);
        QCOMPARE(back.workdir, spec.hosts.workdir);
        QCOMPARE(back.transferFiles, spec.hosts.transferFiles);
        QCOMPARE(back.returnFiles, spec.hosts.returnFiles);
        QVERIFY(back.cleanup);
        // Switched to a Slurm line, it saves a file that loads (no ssh command with it); a
        // Where that cannot be used is not saved as something else.
        QTemporaryDir dir;
        HostsField *hosts = dialog.hostsField();
        hosts->whereCombo()->setCurrentIndex(
            hosts->whereCombo()->findData(int(HostsField::Where::Slurm)));
        hosts->hostsEdit()->setText(u"-N2"_s);
        const QString path = dir.filePath(u"slurm.shoal.json"_s);
        QVERIFY(dialog.saveTo(path).ok());
        const auto loaded = loadBatchFile(path);
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : qPrintable(loaded.error()));
        QVERIFY(loaded->hosts.slurm);
        hosts->hostsEdit()->setText(u"-N2 --pty"_s);
        const auto refused = dialog.saveTo(dir.filePath(u"bad.shoal.json"_s));
        QVERIFY(!refused.ok());
        QVERIFY(!QFile::exists(dir.filePath(u"bad.shoal.json"_s)));
    }

    // Check reaches each host up front (here: nothing listens on port 1) and says why not,
    // without the window waiting for it.
    void checksTheHostsUpFront()
    {
        BatchSpec spec;
        spec.command = { u"gzip"_s };
        spec.inputs.kind = InputSpec::Kind::Range;
        spec.inputs.to = 100;
        spec.hosts.hosts = { { u"127.0.0.1"_s, 2 }, { u":"_s, 1 } };
        spec.hosts.ssh = { u"ssh"_s, u"-p"_s, u"1"_s, u"-o"_s, u"BatchMode=yes"_s };
        NewBatchDialog dialog;
        dialog.setSpec(spec);
        dialog.show();
        HostsField *hosts = dialog.hostsField();
        QSignalSpy checked(hosts, &HostsField::checked);
        QTest::mouseClick(hosts->checkButton(), Qt::LeftButton);
        QVERIFY(hosts->isChecking());
        QVERIFY(checked.wait(20000));
        QVERIFY2(hosts->checkResult()->text().startsWith(u"127.0.0.1: not reached: "_s),
                 qPrintable(hosts->checkResult()->text()));
        QVERIFY2(hosts->checkResult()->text().contains(u"refused"_s),
                 qPrintable(hosts->checkResult()->text()));
        const QString dir
            = qEnvironmentVariable("SHOAL_BUILD_DIR", QDir::currentPath()) + u"/screenshots"_s;
        QDir().mkpath(dir);
        QVERIFY(dialog.grab().save(dir + u"/newbatch-hosts.png"_s));
        // A Slurm line: srun is looked for.
        hosts->whereCombo()->setCurrentIndex(
            hosts->whereCombo()->findData(int(HostsField::Where::Slurm)));
        QTest::mouseClick(hosts->checkButton(), Qt::LeftButton);
        QVERIFY(checked.wait(20000));
        QVERIFY2(hosts->checkResult()->text().startsWith(u"srun is here"_s)
                     || hosts->checkResult()->text().startsWith(u"srun is not here"_s),
                 qPrintable(hosts->checkResult()->text()));
    }

    void composesAServiceBatch()
    {
        NewBatchDialog dialog;
        dialog.show();
        dialog.workerKindCombo()->setCurrentIndex(1);
        QVERIFY(!dialog.shellCheck()->isVisibleTo(&dialog));
        dialog.commandEdit()->setText(u"/nonexistent/worker --fast"_s);
        dialog.validate();
        QVERIFY(!dialog.isValid());
        QVERIFY(!dialog.startButton()->isEnabled());
        QVERIFY2(dialog.commandError()->text().contains(u"'/nonexistent/worker'"_s),
                 qPrintable(dialog.commandError()->text()));

        chooseInputs(dialog, InputSpec::Kind::Range);
        dialog.rangeFrom()->setValue(1);
        dialog.rangeTo()->setValue(3);
        dialog.commandEdit()->setText(QStringLiteral(SHOAL_DOUBLE_WORKER) + u" --quiet"_s);
        dialog.serviceModeCombo()->setCurrentIndex(
            dialog.serviceModeCombo()->findData(int(ServiceSpec::Mode::Json)));
        dialog.initializerEdit()->setText(u"echo ready"_s);
        dialog.maxTasksSpin()->setValue(100);
        dialog.validate();
        QVERIFY(dialog.isValid());
        QVERIFY(dialog.startButton()->isEnabled());
        QCOMPARE(dialog.preview()->toPlainText().section(u'\n', 0, 0),
                 u"worker 1 reads: {\"id\":0,\"input\":\"1\"}"_s);

        const BatchSpec spec = dialog.spec();
        QCOMPARE(spec.service.program,
                 (QStringList { QStringLiteral(SHOAL_DOUBLE_WORKER), u"--quiet"_s }));
        QCOMPARE(spec.service.mode, ServiceSpec::Mode::Json);
        QCOMPARE(spec.service.initializer, u"echo ready"_s);
        QCOMPARE(spec.service.maxTasksPerWorker, 100);
        QVERIFY(spec.command.isEmpty());

        // Saved and loaded back, it is the same service batch.
        const QString path = m_dir.filePath(u"service.shoal.json"_s);
        QVERIFY(dialog.saveTo(path).ok());
        auto loaded = loadBatchFile(path);
        QVERIFY2(loaded.ok(), qPrintable(loaded.ok() ? QString() : loaded.error()));
        QCOMPARE(loaded->service.program, spec.service.program);
        QCOMPARE(loaded->service.mode, ServiceSpec::Mode::Json);
        NewBatchDialog again;
        again.setSpec(*loaded);
        QCOMPARE(again.workerKindCombo()->currentIndex(), 1);
        QVERIFY(again.isValid());
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestNewBatchDialog)
#include "tst_newbatchdialog.moc"
