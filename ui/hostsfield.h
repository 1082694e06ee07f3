#pragma once

#include "workerhosts.h"

#include <QWidget>

#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QProcess;
class QPushButton;

namespace shoal {

// Where a new batch runs (the New Batch dialog): this machine, a list of ssh hosts (-S's
// "[N/]HOST,..."), or the nodes of a Slurm allocation (--slurm's srun arguments), with the
// check that can be made up front: each host reached through ssh and its Shoal's version, or
// srun's presence. Checks run as processes of their own; nothing waits for them.
class HostsField : public QWidget
{
    Q_OBJECT
public:
    enum class Where : quint8 { ThisMachine, Ssh, Slurm };

    explicit HostsField(QWidget *parent = nullptr);
    ~HostsField() override;

    // What the fields say, with what a batch file set that they do not show (ssh command,
    // agent path, working folder, file transfers) kept from setHosts().
    HostsSpec hosts() const;
    void setHosts(const HostsSpec &hosts);
    // Why hosts() cannot be used (a malformed host list, a refused srun option); empty if it can.
    QString error() const;

    QComboBox *whereCombo() const { return m_where; }
    QLineEdit *hostsEdit() const { return m_text; }
    QPushButton *checkButton() const { return m_check; }
    QLabel *checkResult() const { return m_result; }
    bool isChecking() const { return !m_checks.empty(); }

Q_SIGNALS:
    void changed();
    void checked(); // every check of the last Check has answered

private:
    Where where() const;
    void update();
    void check();
    void checkHost(const QString &login);
    void checkSrun();
    void report(QProcess *process); // one check answered
    QProcess *startCheck(const QString &label); // its line in the result, "label: …" for now
    void let(QProcess *process);
    void stopChecks();

    QComboBox *m_where = nullptr;
    QLineEdit *m_text = nullptr;
    QPushButton *m_check = nullptr;
    QLabel *m_result = nullptr;
    HostsSpec m_kept;
    QString m_sshText, m_slurmText; // each choice keeps its own text
    std::vector<QProcess *> m_checks;
    QStringList m_lines; // the last check's findings, in the order of its hosts
};

} // namespace shoal
