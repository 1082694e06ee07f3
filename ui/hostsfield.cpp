#include "hostsfield.h"

#include "commandtemplate.h"
#include "slurmallocation.h"

#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QTimer>

#include <csignal>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {
constexpr int kCheckTimeoutSeconds = 10;
} // namespace

HostsField::HostsField(QWidget *parent)
    : QWidget(parent)
    , m_where(new QComboBox(this))
    , m_text(new QLineEdit(this))
    , m_check(new QPushButton(tr("Check"), this))
    , m_result(new QLabel(this))
{
    m_where->addItem(tr("This machine"), int(Where::ThisMachine));
    m_where->addItem(tr("SSH hosts"), int(Where::Ssh));
    m_where->addItem(tr("Slurm allocation"), int(Where::Slurm));
    m_where->setToolTip(tr("Where the tasks run: here, on other hosts through ssh (each runs "
                           "`shoal agent`), or on the nodes of a Slurm allocation"));
    m_check->setToolTip(tr("Reach each host now (ssh, and its Shoal's version), or find srun"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_where, 0, 0);
    layout->addWidget(m_text, 0, 1);
    layout->addWidget(m_check, 0, 2);
    layout->addWidget(m_result, 1, 0, 1, 3);
    layout->setColumnStretch(1, 1);
    connect(m_where, &QComboBox::currentIndexChanged, this, [this] {
        stopChecks();
        update();
        Q_EMIT changed();
    });
    connect(m_text, &QLineEdit::textChanged, this, [this](const QString &text) {
        (where() == Where::Slurm ? m_slurmText : m_sshText) = text;
        stopChecks();
        m_result->clear();
        Q_EMIT changed();
    });
    connect(m_check, &QPushButton::clicked, this, &HostsField::check);
    update();
}

HostsField::~HostsField()
{
    stopChecks();
}

HostsField::Where HostsField::where() const
{
    return Where(m_where->currentData().toInt());
}

void HostsField::update()
{
    const Where w = where();
    m_text->setVisible(w != Where::ThisMachine);
    m_check->setVisible(w != Where::ThisMachine);
    m_result->clear();
    const QSignalBlocker quiet(m_text);
    if (w == Where::Ssh) {
        m_text->setText(m_sshText);
        m_text->setPlaceholderText(tr("e.g. 8/server1,server2,1/:   (N/ its workers, : here)"));
    } else if (w == Where::Slurm) {
        m_text->setText(m_slurmText);
        m_text->setPlaceholderText(tr("srun arguments, e.g. -N2 -c8 -p short (empty inside an "
                                      "allocation)"));
    }
}

HostsSpec HostsField::hosts() const
{
    HostsSpec spec = m_kept;
    spec.hosts.clear();
    spec.slurm = false;
    spec.srunArgs.clear();
    switch (where()) {
    case Where::ThisMachine:
        return HostsSpec();
    case Where::Ssh:
        if (auto logins = parseSshLogins(m_sshText.trimmed()))
            spec.hosts = *logins;
        break;
    case Where::Slurm:
        spec.ssh = HostsSpec().ssh; // a batch file's ssh command goes with its ssh hosts
        spec.slurm = true;
        if (auto words = splitShellWords(m_slurmText))
            spec.srunArgs = *words;
        break;
    }
    return spec;
}

void HostsField::setHosts(const HostsSpec &hosts)
{
    stopChecks();
    m_kept = hosts;
    QStringList logins;
    for (const HostSpec &h : hosts.hosts)
        logins << (h.workers > 0 ? u"%1/%2"_s.arg(h.workers).arg(h.login) : h.login);
    m_sshText = logins.join(u',');
    m_slurmText = shellJoin(hosts.srunArgs);
    const Where w = hosts.slurm ? Where::Slurm
        : hosts.hosts.empty()   ? Where::ThisMachine
                                : Where::Ssh;
    const QSignalBlocker quiet(m_where);
    m_where->setCurrentIndex(m_where->findData(int(w)));
    update();
}

QString HostsField::error() const
{
    if (where() == Where::Ssh) {
        if (m_sshText.trimmed().isEmpty())
            return tr("Name the hosts to run on (e.g. 4/server1,server2), or choose This machine.");
        if (auto logins = parseSshLogins(m_sshText.trimmed()); !logins)
            return logins.error();
    } else if (where() == Where::Slurm) {
        auto words = splitShellWords(m_slurmText);
        if (!words)
            return u"srun arguments: %1"_s.arg(words.error());
        if (QString error = SlurmAllocation::checkArgs(*words); !error.isEmpty())
            return error;
    }
    return {};
}

void HostsField::check()
{
    stopChecks();
    m_lines.clear();
    if (!error().isEmpty())
        return;
    if (where() == Where::Slurm) {
        checkSrun();
    } else {
        for (const HostSpec &h : hosts().hosts)
            if (!h.isLocal())
                checkHost(h.login);
    }
    m_result->setText(m_checks.empty() ? tr("Nothing to reach: ':' is this machine.")
                                       : tr("Checking…"));
    if (m_checks.empty())
        Q_EMIT checked();
}

// ssh HOST 'exec shoal --version': reachable without a prompt, and which Shoal is there.
void HostsField::checkHost(const QString &login)
{
    const HostsSpec spec = hosts();
    QStringList argv = spec.sshArgv();
    // No prompt, whatever a batch file's ssh command says: the window has no terminal for it.
    argv << u"-o"_s << u"BatchMode=yes"_s << u"-o"_s
         << u"ConnectTimeout=%1"_s.arg(kCheckTimeoutSeconds) << login
         << u"exec %1 --version"_s.arg(
                shellQuote(spec.agentPath.isEmpty() ? u"shoal"_s : spec.agentPath));
    auto *process = startCheck(login);
    const qsizetype line = m_lines.size() - 1;
    connect(process, &QProcess::finished, this, [this, process, login, line](int code) {
        const QString out = QString::fromLocal8Bit(process->readAllStandardOutput()).trimmed();
        const QString err = QString::fromLocal8Bit(process->readAllStandardError()).trimmed();
        const QString ours = u"shoal %1"_s.arg(QStringLiteral(SHOAL_VERSION));
        QString said;
        if (code == 0 && out == ours)
            said = tr("%1: reached, %2 ✓").arg(login, out);
        else if (code == 0)
            said = tr("%1: reached, but it runs %2 (this is %3)").arg(login, out, ours);
        else if (code == 127)
            said
                = tr("%1: reached, but Shoal is not there (%2)").arg(login, err.section(u'\n', -1));
        else if (code != 255) // ssh's own failures are 255; others are the far command's
            said = tr("%1: reached, but `shoal --version` there exited %2: %3")
                       .arg(login)
                       .arg(code)
                       .arg(err.section(u'\n', -1));
        else
            said = tr("%1: not reached: %2")
                       .arg(login, err.isEmpty() ? tr("ssh failed") : err.section(u'\n', -1));
        m_lines[line] = said;
        report(process);
    });
    connect(process, &QProcess::errorOccurred, this,
            [this, process, line, argv](QProcess::ProcessError e) {
                if (e != QProcess::FailedToStart)
                    return;
                m_lines[line] = tr("cannot run '%1': %2").arg(argv.front(), process->errorString());
                report(process);
            });
    process->start(argv.front(), argv.mid(1));
    process->closeWriteChannel();
}

// A check's process: in a session of its own (no terminal for ssh to prompt on), given up
// after a while (a handshake that stalls, a far command that hangs).
QProcess *HostsField::startCheck(const QString &label)
{
    m_lines << label + u": …"_s;
    const qsizetype line = m_lines.size() - 1;
    auto *process = new QProcess(this);
    process->setChildProcessModifier([] { ::setsid(); });
    const int giveUpMs = (kCheckTimeoutSeconds + 5) * 1000;
    QTimer::singleShot(giveUpMs, this, [this, process, line, label, giveUpMs] {
        if (std::find(m_checks.begin(), m_checks.end(), process) == m_checks.end())
            return; // answered, or let go
        m_lines[line] = tr("%1: no answer in %2 s").arg(label).arg(giveUpMs / 1000);
        report(process);
    });
    m_checks.push_back(process);
    return process;
}

void HostsField::checkSrun()
{
    auto *process = startCheck(u"srun"_s);
    connect(process, &QProcess::finished, this, [this, process](int code) {
        const QString out = QString::fromLocal8Bit(process->readAllStandardOutput()).trimmed();
        const QString err = QString::fromLocal8Bit(process->readAllStandardError()).trimmed();
        // srun reads its cluster's configuration first: a failure says what is missing there.
        m_lines[0] = code == 0 ? tr("srun is here (%1) ✓").arg(out)
                               : tr("srun is here, but: %1").arg(err.section(u'\n', -1));
        report(process);
    });
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart)
            return;
        m_lines[0] = tr("srun is not here: this is not a Slurm submit host (%1)")
                         .arg(process->errorString());
        report(process);
    });
    process->start(u"srun"_s, { u"--version"_s });
}

void HostsField::report(QProcess *process)
{
    std::erase(m_checks, process);
    let(process);
    m_result->setText(m_lines.join(u'\n'));
    if (m_checks.empty())
        Q_EMIT checked();
}

void HostsField::stopChecks()
{
    for (QProcess *p : std::exchange(m_checks, {}))
        let(p);
}

// A check is let go without waiting for it: its session is killed, and the process object
// goes once it has exited (it belongs to nobody meanwhile, so no destructor waits on it).
void HostsField::let(QProcess *process)
{
    process->disconnect(this);
    if (process->state() == QProcess::NotRunning) {
        process->deleteLater();
        return;
    }
    process->setParent(nullptr);
    QObject::connect(process, &QProcess::finished, process, &QObject::deleteLater);
    if (const qint64 pid = process->processId(); pid > 0)
        ::kill(-pid_t(pid), SIGKILL); // ssh and whatever it started (a ProxyCommand)
}

} // namespace shoal
