#include "newbatchdialog.h"

#include "commandpreview.h"
#include "formwidgets.h"
#include "hostsfield.h"
#include "overviewbar.h"
#include "prompts.h"

#include "commandtemplate.h"
#include "humanformat.h"
#include "jsonlines.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QThread>
#include <QToolButton>
#include <QVBoxLayout>

#include <limits>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

constexpr int kMaxSpin = 2'000'000'000;

} // namespace

NewBatchDialog::NewBatchDialog(QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("New Batch"));
    createCommandFields();
    createInputFields();
    createPoolFields();
    createPreviewAndButtons();
    layOut();
    connectValidation();
    m_inputKind->setCurrentIndex(m_inputKind->findData(int(InputSpec::Kind::Range)));
    m_commandTouched = m_inputsTouched = false; // no error before the user has typed
    validate();
}

void NewBatchDialog::createCommandFields()
{
    m_name = new QLineEdit(this);
    m_name->setPlaceholderText(tr("optional"));
    m_command = new CommandEdit(this);
    m_command->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_command->setPlaceholderText(tr("e.g. gzip -9 {}   ·   convert {} {.}.png"));
    m_command->setToolTip(tr("Without any placeholder the input is appended. A shell command "
                             "may take several lines; Ctrl+Return starts the batch."));
    m_placeholders = makePlaceholderStrip(m_command, this);
    m_shell = new QCheckBox(tr("Run with /bin/sh -c (inputs quoted for the shell)"), this);
    m_commandError = makeErrorLabel(this);
    m_shellHint = new QLabel(this);
    m_shellHint->setWordWrap(true);
    m_shellHint->setTextFormat(Qt::PlainText);
    m_shellHint->setForegroundRole(QPalette::PlaceholderText);
    m_shellHint->hide();

    // Service workers: one long-lived program per worker, fed one input per line on stdin.
    m_workerKind = new QComboBox(this);
    m_workerKind->addItem(tr("Run a command for each input"));
    m_workerKind->addItem(tr("Feed the inputs to a service program (one per worker)"));
    m_serviceOptions = new QWidget(this);
    m_serviceMode = new QComboBox(m_serviceOptions);
    m_serviceMode->addItem(tr("Line mode: one line in, one line out"),
                           int(ServiceSpec::Mode::Line));
    m_serviceMode->addItem(tr("JSON lines: {\"id\",\"input\"} in; ok/result, error, progress out"),
                           int(ServiceSpec::Mode::Json));
    m_initializer = new QLineEdit(m_serviceOptions);
    m_initializer->setPlaceholderText(tr("optional shell command run once in each worker first"));
    m_maxTasks = new QSpinBox(m_serviceOptions);
    m_maxTasks->setRange(0, 1'000'000'000);
    m_maxTasks->setSpecialValueText(tr("never"));
    {
        auto *form = new QFormLayout(m_serviceOptions);
        form->setContentsMargins(0, 0, 0, 0);
        form->addRow(tr("Protocol:"), m_serviceMode);
        form->addRow(tr("Initializer:"), m_initializer);
        form->addRow(tr("Recycle after:"), m_maxTasks);
    }
    m_serviceOptions->setVisible(false);
}

void NewBatchDialog::createInputFields()
{
    m_inputKind = new QComboBox(this);
    m_inputKind->addItem(tr("Lines from a file"), int(InputSpec::Kind::File));
    m_inputKind->addItem(tr("Files in a folder"), int(InputSpec::Kind::Folder));
    m_inputKind->addItem(tr("Pasted lines"), int(InputSpec::Kind::Lines));
    m_inputKind->addItem(tr("A number range"), int(InputSpec::Kind::Range));
    m_inputPages = new QStackedWidget(this);

    QToolButton *browseFileButton = nullptr;
    QToolButton *browseFolderButton = nullptr;
    m_file = new QLineEdit(this);
    m_file->setPlaceholderText(tr("a text file, one input per line"));
    m_inputPages->addWidget(topAligned(withBrowse(m_file, &browseFileButton, this)));

    auto *folderPage = new QWidget(this);
    auto *folderLayout = new QFormLayout(folderPage);
    folderLayout->setContentsMargins(0, 0, 0, 0);
    m_folder = new QLineEdit(folderPage);
    m_pattern = new QLineEdit(u"*"_s, folderPage);
    m_recursive = new QCheckBox(tr("Include subfolders"), folderPage);
    folderLayout->addRow(tr("Folder:"), withBrowse(m_folder, &browseFolderButton, folderPage));
    folderLayout->addRow(tr("Pattern:"), m_pattern);
    folderLayout->addRow(QString(), m_recursive);
    m_inputPages->addWidget(topAligned(folderPage));

    m_lines = new QPlainTextEdit(this);
    m_lines->setPlaceholderText(tr("one input per line"));
    m_lines->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_inputPages->addWidget(m_lines);

    auto *rangePage = new QWidget(this);
    auto *rangeLayout = new QHBoxLayout(rangePage);
    rangeLayout->setContentsMargins(0, 0, 0, 0);
    m_from = makeSpin(-kMaxSpin, kMaxSpin, 1, rangePage);
    m_to = makeSpin(-kMaxSpin, kMaxSpin, 100, rangePage);
    m_step = makeSpin(-kMaxSpin, kMaxSpin, 1, rangePage);
    rangeLayout->addWidget(new QLabel(tr("From"), rangePage));
    rangeLayout->addWidget(m_from, 1);
    rangeLayout->addWidget(new QLabel(tr("to"), rangePage));
    rangeLayout->addWidget(m_to, 1);
    rangeLayout->addWidget(new QLabel(tr("step"), rangePage));
    rangeLayout->addWidget(m_step, 1);
    m_inputPages->addWidget(topAligned(rangePage));
    m_inputError = makeErrorLabel(this);
    m_inputCount = new QLabel(this);
    connect(browseFileButton, &QToolButton::clicked, this, &NewBatchDialog::browseFile);
    connect(browseFolderButton, &QToolButton::clicked, this, &NewBatchDialog::browseFolder);
}

void NewBatchDialog::createPoolFields()
{
    m_workers = makeSpin(1, 100000, qMax(1, QThread::idealThreadCount()), this);
    m_retries = makeSpin(1, 1000, 1, this);
    m_retries->setToolTip(tr("Attempts in all for each task: 1 runs it once, 3 retries a failed "
                             "task twice (\"attempts\" in the batch file, --retries on the "
                             "command line)"));
    m_timeout = new SecondsSpinBox(this);
    m_timeout->setRange(0, 7 * 24 * 3600);
    m_timeout->setDecimals(1);
    m_timeout->setSuffix(tr(" s"));
    m_timeout->setSpecialValueText(tr("none"));
    m_drain = new QComboBox(this);
    OverviewBar::addDrainPolicies(m_drain);
    m_hosts = new HostsField(this);
    m_hostsError = makeErrorLabel(this);
}

void NewBatchDialog::createPreviewAndButtons()
{
    m_preview = new CommandPreview(this);

    m_buttons = new QDialogButtonBox(this);
    m_startButton = m_buttons->addButton(tr("Start"), QDialogButtonBox::AcceptRole);
    m_startButton->setDefault(true);
    m_saveButton = m_buttons->addButton(tr("Save As…"), QDialogButtonBox::ActionRole);
    m_buttons->addButton(QDialogButtonBox::Cancel);
    m_background = new QCheckBox(tr("&Keep running when Shoal closes (runs as a process of its "
                                    "own; File > Attach finds it)"),
                                 this);
}

// The command, the inputs beside the pool, the preview.
void NewBatchDialog::layOut()
{
    auto *commandBox = new QGroupBox(tr("Command"), this);
    auto *commandLayout = new QVBoxLayout(commandBox);
    commandLayout->addWidget(m_workerKind);
    commandLayout->addWidget(m_command);
    commandLayout->addWidget(m_placeholders);
    commandLayout->addWidget(m_commandError);
    commandLayout->addWidget(m_shellHint);
    commandLayout->addWidget(m_shell);
    commandLayout->addWidget(m_serviceOptions);

    auto *inputBox = new QGroupBox(tr("Inputs"), this);
    auto *inputLayout = new QVBoxLayout(inputBox);
    inputLayout->addWidget(m_inputKind);
    inputLayout->addWidget(m_inputPages);
    inputLayout->addWidget(m_inputError);
    inputLayout->addWidget(m_inputCount);

    auto *poolBox = new QGroupBox(tr("Pool"), this);
    auto *poolLayout = new QFormLayout(poolBox);
    poolLayout->addRow(tr("Workers:"), m_workers);
    poolLayout->addRow(tr("Attempts:"), m_retries);
    poolLayout->addRow(tr("Timeout:"), m_timeout);
    poolLayout->addRow(tr("On shrink:"), m_drain);

    auto *whereBox = new QGroupBox(tr("Where"), this);
    auto *whereLayout = new QVBoxLayout(whereBox);
    whereLayout->addWidget(m_hosts);
    whereLayout->addWidget(m_hostsError);

    auto *previewBox = new QGroupBox(tr("Preview"), this);
    auto *previewLayout = new QVBoxLayout(previewBox);
    previewLayout->addWidget(m_preview);

    auto *top = new QFormLayout;
    top->addRow(tr("Name:"), m_name);
    auto *middle = new QHBoxLayout;
    middle->addWidget(inputBox, 2);
    middle->addWidget(poolBox, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(commandBox);
    layout->addLayout(middle, 1);
    layout->addWidget(whereBox);
    layout->addWidget(previewBox);
    m_actionError = makeErrorLabel(this);
    layout->addWidget(m_actionError);
    layout->addWidget(m_background);
    layout->addWidget(m_buttons);
    resize(760, 680);
}

void NewBatchDialog::connectValidation()
{
    // Validation reads files and folders: once typing pauses, not on every key.
    m_validateTimer.setSingleShot(true);
    m_validateTimer.setInterval(150);
    connect(&m_validateTimer, &QTimer::timeout, this, &NewBatchDialog::validate);
    // A field's error shows once the user has edited it (or pressed Start).
    const auto commandEdited = [this] { m_commandTouched = true; };
    const auto inputsEdited = [this] { m_inputsTouched = true; };
    connect(m_command, &QPlainTextEdit::textChanged, this, commandEdited);
    connect(m_shell, &QCheckBox::toggled, this, commandEdited);
    connect(m_workerKind, &QComboBox::currentIndexChanged, this, commandEdited);
    for (QLineEdit *edit : { m_file, m_folder, m_pattern })
        connect(edit, &QLineEdit::textChanged, this, inputsEdited);
    connect(m_lines, &QPlainTextEdit::textChanged, this, inputsEdited);
    connect(m_inputKind, &QComboBox::currentIndexChanged, this, inputsEdited);
    for (QSpinBox *spin : { m_from, m_to, m_step })
        connect(spin, &QSpinBox::valueChanged, this, inputsEdited);
    for (QLineEdit *edit : { m_file, m_folder, m_pattern })
        connect(edit, &QLineEdit::textChanged, this, &NewBatchDialog::scheduleValidation);
    for (QPlainTextEdit *edit : { static_cast<QPlainTextEdit *>(m_command), m_lines })
        connect(edit, &QPlainTextEdit::textChanged, this, &NewBatchDialog::scheduleValidation);
    for (QSpinBox *spin : { m_from, m_to, m_step, m_workers })
        connect(spin, &QSpinBox::valueChanged, this, &NewBatchDialog::scheduleValidation);
    connect(m_shell, &QCheckBox::toggled, this, &NewBatchDialog::scheduleValidation);
    connect(m_hosts, &HostsField::changed, this, &NewBatchDialog::scheduleValidation);
    connect(m_workerKind, &QComboBox::currentIndexChanged, this, [this] {
        m_shell->setVisible(!isService());
        m_placeholders->setVisible(!isService()); // a service program gets its inputs on stdin
        m_serviceOptions->setVisible(isService());
        m_command->setPlaceholderText(isService() ? tr("e.g. python3 -u worker.py")
                                                  : tr("e.g. gzip -9 {}   ·   convert {} {.}.png"));
        scheduleValidation();
    });
    connect(m_serviceMode, &QComboBox::currentIndexChanged, this,
            &NewBatchDialog::scheduleValidation);
    connect(m_recursive, &QCheckBox::toggled, this, &NewBatchDialog::scheduleValidation);
    connect(m_inputKind, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_inputPages->setCurrentIndex(index);
        scheduleValidation();
    });
    connect(m_startButton, &QPushButton::clicked, this, &NewBatchDialog::requestStart);
    connect(m_command, &CommandEdit::submitted, this, &NewBatchDialog::requestStart);
    connect(m_saveButton, &QPushButton::clicked, this, &NewBatchDialog::saveWithDialog);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

// Start (or Ctrl+Return in the command): checked now, not after the typing pause.
void NewBatchDialog::requestStart()
{
    m_commandTouched = m_inputsTouched = true;
    validate();
    if (!m_valid || m_starting)
        return;
    showError(m_actionError, {});
    setStarting(true);
    Q_EMIT startRequested();
}

void NewBatchDialog::scheduleValidation()
{
    m_startButton->setEnabled(false); // until the edit is checked
    showError(m_actionError, {}); // an earlier Start's or Save's error is about other values
    m_validateTimer.start();
}

void NewBatchDialog::setBaseDir(const QString &dir)
{
    m_baseDir = dir;
    scheduleValidation();
}

bool NewBatchDialog::isService() const
{
    return m_workerKind->currentIndex() == 1;
}

// The program the command or the service starts: found on PATH, or a path to an executable.
// A command run by the shell, or whose program is a placeholder, is left to run time.
QString NewBatchDialog::validateProgram(bool service) const
{
    const QString enter = service ? tr("Enter the service program to start in each worker.")
                                  : tr("Enter the command to run for each input.");
    if (m_command->text().trimmed().isEmpty())
        return enter;
    if (!service && m_shell->isChecked())
        return {};
    auto words = splitShellWords(m_command->text());
    if (!words)
        return words.error();
    if (words->isEmpty()) // only line continuations: "\" then Return
        return enter;
    const QString program = words->front();
    if (!service && program.contains(u'{'))
        return {};
    if (!program.contains(u'/')) {
        if (QStandardPaths::findExecutable(program).isEmpty())
            return tr("Cannot find the program '%1' on PATH.").arg(program);
        return {};
    }
    const QFileInfo file(program);
    if (!file.exists())
        return tr("Cannot find the program '%1'.").arg(program);
    if (file.isDir() || !file.isExecutable())
        return tr("'%1' is not an executable program.").arg(program);
    return {};
}

void NewBatchDialog::setStarting(bool starting)
{
    m_starting = starting;
    m_startButton->setText(starting ? tr("Starting…") : tr("Start"));
    m_startButton->setEnabled(m_valid && !starting);
    // Cancel would close the dialog while the batch starts anyway.
    if (QPushButton *cancel = m_buttons->button(QDialogButtonBox::Cancel))
        cancel->setEnabled(!starting);
}

void NewBatchDialog::reject()
{
    if (!m_starting) // Escape while starting: the window's answer comes first
        QDialog::reject();
}

void NewBatchDialog::showStartError(const QString &error)
{
    setStarting(false);
    m_commandTouched = m_inputsTouched = true;
    validate(); // the field at fault (a program or file gone since) shows its own error
    showError(m_actionError, tr("Could not start the batch: %1").arg(error));
}

void NewBatchDialog::setSpec(const BatchSpec &spec)
{
    m_name->setText(spec.name);
    m_workerKind->setCurrentIndex(spec.service.isValid() ? 1 : 0);
    if (spec.service.isValid()) {
        m_command->setText(shellJoin(spec.service.program));
        m_serviceMode->setCurrentIndex(m_serviceMode->findData(int(spec.service.mode)));
        m_initializer->setText(spec.service.initializer);
        m_maxTasks->setValue(spec.service.maxTasksPerWorker);
    } else {
        m_command->setText(spec.command.size() == 1 ? spec.command.front()
                               : spec.shell         ? spec.command.join(u' ')
                                                    : shellJoin(spec.command));
    }
    m_shell->setChecked(spec.shell);
    const InputSpec &in = spec.inputs;
    const InputSpec::Kind kind
        = in.kind == InputSpec::Kind::Args ? InputSpec::Kind::Lines : in.kind;
    m_inputKind->setCurrentIndex(m_inputKind->findData(int(kind)));
    switch (in.kind) {
    case InputSpec::Kind::File:
        m_file->setText(in.path);
        break;
    case InputSpec::Kind::Folder:
        m_folder->setText(in.path);
        m_pattern->setText(in.pattern);
        m_recursive->setChecked(in.recursive);
        break;
    case InputSpec::Kind::Args:
    case InputSpec::Kind::Lines:
        m_lines->setPlainText(in.args.join(u'\n'));
        break;
    case InputSpec::Kind::Range:
        m_from->setValue(int(qBound(qint64(-kMaxSpin), in.from, qint64(kMaxSpin))));
        m_to->setValue(int(qBound(qint64(-kMaxSpin), in.to, qint64(kMaxSpin))));
        m_step->setValue(int(qBound(qint64(-kMaxSpin), in.step, qint64(kMaxSpin))));
        break;
    }
    if (spec.jobs > 0)
        m_workers->setValue(spec.jobs);
    m_retries->setValue(spec.attempts);
    m_timeout->setValue(spec.timeoutSeconds);
    m_drain->setCurrentIndex(m_drain->findData(int(spec.drain)));
    m_hosts->setHosts(spec.hosts);
    validate();
}

BatchSpec NewBatchDialog::spec() const
{
    BatchSpec spec;
    spec.name = m_name->text().trimmed();
    if (isService()) {
        if (auto words = splitShellWords(m_command->text()); words && !words->isEmpty())
            spec.service.program = *words;
        spec.service.mode = ServiceSpec::Mode(m_serviceMode->currentData().toInt());
        spec.service.initializer = m_initializer->text().trimmed();
        spec.service.maxTasksPerWorker = m_maxTasks->value();
    } else {
        // A Return typed after the command (a line edit's habit) is not part of it: with the
        // input appended, a trailing newline would make the input a command of its own.
        spec.command = { m_command->text().trimmed() };
        spec.shell = m_shell->isChecked();
    }
    InputSpec &in = spec.inputs;
    in.kind = InputSpec::Kind(m_inputKind->currentData().toInt());
    switch (in.kind) {
    case InputSpec::Kind::File:
        in.path = m_file->text().trimmed();
        break;
    case InputSpec::Kind::Folder:
        in.path = m_folder->text().trimmed();
        in.pattern = m_pattern->text().trimmed().isEmpty() ? u"*"_s : m_pattern->text().trimmed();
        in.recursive = m_recursive->isChecked();
        break;
    case InputSpec::Kind::Args:
    case InputSpec::Kind::Lines: {
        QString text = m_lines->toPlainText();
        if (text.endsWith(u'\n'))
            text.chop(1);
        in.args = text.isEmpty() ? QStringList() : text.split(u'\n');
        break;
    }
    case InputSpec::Kind::Range:
        in.from = m_from->value();
        in.to = m_to->value();
        in.step = m_step->value();
        break;
    }
    spec.jobs = m_workers->value();
    spec.attempts = m_retries->value();
    spec.timeoutSeconds = m_timeout->value();
    spec.drain = DrainPolicy(m_drain->currentData().toInt());
    spec.hosts = m_hosts->hosts();
    return spec;
}

void NewBatchDialog::showError(QLabel *label, const QString &error)
{
    label->setText(Prompts::asSentence(error)); // the engine's words, as a sentence
    label->setVisible(!error.isEmpty());
}

Result<InputList> NewBatchDialog::previewInputs(qint64 *count) const
{
    InputSpec in = spec().inputs;
    if (in.kind == InputSpec::Kind::File && in.path.isEmpty())
        return Error { tr("Choose the file that holds the inputs.") };
    if (in.kind == InputSpec::Kind::Folder && in.path.isEmpty())
        return Error { tr("Choose the folder whose files are the inputs.") };
    if (in.kind == InputSpec::Kind::Range) {
        // A range is counted, not listed: only the first few values are made.
        if (in.step == 0)
            return Error { tr("The step must not be 0.") };
        const bool empty = in.step > 0 ? in.to < in.from : in.to > in.from;
        *count = empty ? 0 : (in.to - in.from) / in.step + 1;
        const qint64 shown = qMin<qint64>(*count, CommandPreview::kCommands);
        in.to = in.from + (shown - 1) * in.step;
        if (shown == 0)
            return InputList();
    }
    auto inputs = resolveInputs(in, m_baseDir);
    if (inputs && in.kind != InputSpec::Kind::Range)
        *count = inputs->size();
    return inputs;
}

void NewBatchDialog::validate()
{
    m_validateTimer.stop();
    const BatchSpec s = spec();
    QString commandError;
    Result<CommandTemplate> command = Error { QString() };
    if (isService()) {
        commandError = validateProgram(true);
        if (commandError.isEmpty())
            command = CommandTemplate(); // no template: the preview shows what the worker reads
    } else if (s.command.join(QString()).trimmed().isEmpty()) {
        commandError = tr("Enter the command to run for each input.");
    } else {
        command = CommandTemplate::parse(s.command, s.shell);
        if (!command)
            commandError = command.error();
        else
            commandError = validateProgram(false);
    }
    showError(m_commandError, m_commandTouched ? commandError : QString());
    // Shell syntax without the shell reaches the program as plain arguments: say so.
    static const QRegularExpression shellSyntax(u"[;|&$`<>]"_s);
    const bool looksLikeShell
        = !isService() && !m_shell->isChecked() && m_command->text().contains(shellSyntax);
    m_shellHint->setText(looksLikeShell
                             ? tr("The command has shell syntax (; | & $ ` < >): without “Run with "
                                  "/bin/sh -c” the program gets it as plain arguments.")
                             : QString());
    m_shellHint->setVisible(looksLikeShell);

    qint64 count = 0;
    const auto inputs = previewInputs(&count);
    showError(m_inputError, inputs || !m_inputsTouched ? QString() : inputs.error());
    m_inputCount->setText(inputs ? countOf(count, tr("input"), tr("inputs")) : QString());
    if (inputs && count == 0 && m_inputsTouched)
        showError(m_inputError, tr("There are no inputs: nothing would run."));

    if (!command || !inputs)
        m_preview->showNothing();
    else if (!isService())
        m_preview->showCommands(*command, *inputs, count, m_workers->value());
    else
        m_preview->showServiceInputs(s.service.mode, *inputs, count, m_workers->value());
    QString hostsError = m_hosts->error();
    if (hostsError.isEmpty() && isService()
        && !(s.hosts.transferFiles.isEmpty() && s.hosts.returnFiles.isEmpty()))
        hostsError = tr("Files to send and return belong to command tasks: service workers are "
                        "given their tasks on stdin.");
    showError(m_hostsError, hostsError);
    m_valid = command && inputs && count > 0 && commandError.isEmpty() && hostsError.isEmpty();
    m_startButton->setEnabled(m_valid && !m_starting);
    m_saveButton->setEnabled(command.ok());
}

Result<void> NewBatchDialog::saveTo(const QString &path)
{
    if (const QString error = m_hosts->error(); !error.isEmpty())
        return Error { error }; // a file that would run elsewhere than asked
    BatchSpec s = spec();
    if (s.name.isEmpty()) {
        QString base = QFileInfo(path).fileName();
        base.chop(base.endsWith(u".shoal.json"_s) ? 11 : QFileInfo(path).suffix().size() + 1);
        s.name = base;
    }
    return saveBatchFile(path, s);
}

void NewBatchDialog::saveWithDialog()
{
    QString path = QFileDialog::getSaveFileName(
        this, tr("Save Batch"),
        m_name->text().isEmpty() ? u"batch.shoal.json"_s : m_name->text() + u".shoal.json"_s,
        tr("Shoal batches (*.shoal.json);;JSON files (*.json)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(u".json"_s))
        path += u".shoal.json"_s;
    const auto saved = saveTo(path);
    showError(m_actionError, saved ? QString() : saved.error());
}

void NewBatchDialog::browseFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Inputs File"), m_file->text());
    if (!path.isEmpty())
        m_file->setText(path);
}

void NewBatchDialog::browseFolder()
{
    const QString path
        = QFileDialog::getExistingDirectory(this, tr("Inputs Folder"), m_folder->text());
    if (!path.isEmpty())
        m_folder->setText(path);
}

} // namespace shoal
