#pragma once

#include "batchfile.h"

#include <QDialog>
#include <QTimer>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;

namespace shoal {

class CommandEdit;
class HostsField;
class CommandPreview;

// Composes a batch: a command template, where its inputs come from, and the pool's policy,
// with a live preview of the first commands. Errors appear under the field at fault and Start
// stays disabled until they are fixed. Save writes the batch as *.shoal.json. Start asks the
// window to start the batch (startRequested()) and the dialog stays open until it has: a start
// that fails shows its error here, and nothing typed is lost.
class NewBatchDialog : public QDialog
{
    Q_OBJECT
public:
    explicit NewBatchDialog(QWidget *parent = nullptr);

    void setSpec(const BatchSpec &spec);
    BatchSpec spec() const;
    // Where relative input paths resolve from (a loaded batch file's folder); empty: current
    // folder.
    void setBaseDir(const QString &dir);

    bool isValid() const { return m_valid; }
    bool isValidationPending() const { return m_validateTimer.isActive(); }
    // Validates and refreshes the preview now (it also happens shortly after each edit).
    void validate();
    Result<void> saveTo(const QString &path);
    // While the window starts the batch: Start is disabled and says so.
    void setStarting(bool starting);
    bool isStarting() const { return m_starting; }
    // A start that failed: the fields are checked again (the program or an input file may have
    // gone since), and an error that belongs to no field shows above the buttons.
    void showStartError(const QString &error);
    void reject() override;

    QComboBox *workerKindCombo() const { return m_workerKind; }
    QComboBox *serviceModeCombo() const { return m_serviceMode; }
    QLineEdit *initializerEdit() const { return m_initializer; }
    QSpinBox *maxTasksSpin() const { return m_maxTasks; }
    CommandEdit *commandEdit() const { return m_command; }
    QCheckBox *shellCheck() const { return m_shell; }
    QComboBox *inputKindCombo() const { return m_inputKind; }
    QLineEdit *fileEdit() const { return m_file; }
    QLineEdit *folderEdit() const { return m_folder; }
    QLineEdit *patternEdit() const { return m_pattern; }
    QPlainTextEdit *linesEdit() const { return m_lines; }
    QSpinBox *rangeFrom() const { return m_from; }
    QSpinBox *rangeTo() const { return m_to; }
    QSpinBox *rangeStep() const { return m_step; }
    QSpinBox *workersSpin() const { return m_workers; }
    QDoubleSpinBox *timeoutSpin() const { return m_timeout; }
    QLabel *commandError() const { return m_commandError; }
    QLabel *shellHint() const { return m_shellHint; }
    QWidget *placeholderStrip() const { return m_placeholders; }
    QLabel *inputError() const { return m_inputError; }
    QLabel *actionError() const { return m_actionError; }
    CommandPreview *preview() const { return m_preview; }
    HostsField *hostsField() const { return m_hosts; }
    QLabel *hostsError() const { return m_hostsError; }
    QLabel *inputCount() const { return m_inputCount; }
    QPushButton *startButton() const { return m_startButton; }
    QPushButton *saveButton() const { return m_saveButton; }
    // "Keep running when Shoal closes": the batch runs as a process of its own, attached to.
    QCheckBox *backgroundCheck() const { return m_background; }

Q_SIGNALS:
    void startRequested();

private:
    void createCommandFields();
    void createInputFields();
    void createPoolFields();
    void createPreviewAndButtons();
    void layOut();
    void connectValidation();
    void requestStart();
    void scheduleValidation();
    void saveWithDialog();
    void browseFile();
    void browseFolder();
    static void showError(QLabel *label, const QString &error);
    Result<InputList> previewInputs(qint64 *count) const;

    bool isService() const;
    QString validateProgram(bool service) const;

    QLineEdit *m_name;
    QComboBox *m_workerKind;
    QWidget *m_serviceOptions;
    QComboBox *m_serviceMode;
    QLineEdit *m_initializer;
    QSpinBox *m_maxTasks;
    CommandEdit *m_command;
    QCheckBox *m_shell;
    QLabel *m_commandError;
    QLabel *m_shellHint; // shell syntax in a command run without the shell
    QWidget *m_placeholders; // buttons that insert {}, {.}, ... into the command
    QComboBox *m_inputKind;
    QStackedWidget *m_inputPages;
    QLineEdit *m_file;
    QLineEdit *m_folder;
    QLineEdit *m_pattern;
    QCheckBox *m_recursive;
    QPlainTextEdit *m_lines;
    QSpinBox *m_from;
    QSpinBox *m_to;
    QSpinBox *m_step;
    QLabel *m_inputError;
    QLabel *m_inputCount;
    QSpinBox *m_workers;
    QSpinBox *m_retries;
    QDoubleSpinBox *m_timeout;
    QComboBox *m_drain;
    CommandPreview *m_preview;
    HostsField *m_hosts = nullptr;
    QLabel *m_hostsError = nullptr;
    QLabel *m_actionError = nullptr; // Save's and Start's errors that belong to no field
    QDialogButtonBox *m_buttons;
    QPushButton *m_startButton;
    QPushButton *m_saveButton;
    QCheckBox *m_background;
    QTimer m_validateTimer;
    QString m_baseDir;
    bool m_valid = false;
    bool m_starting = false;
    bool m_commandTouched = false; // edited by the user: its errors show
    bool m_inputsTouched = false;
};

} // namespace shoal
