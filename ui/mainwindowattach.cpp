// The window on a batch that runs elsewhere: attaching, losing the link, reconnecting.
#include "attachdialog.h"
#include "attachedengine.h"
#include "batchrunner.h"
#include "batchsession.h"
#include "mainwindow.h"
#include "overviewbar.h"
#include "prompts.h"
#include "sessionfiles.h"

#include <QAction>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QMenuBar>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>

#include <cstdio>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

void MainWindow::attachTo(const QString &text, const QStringList &sshCommand,
                          const QString &remoteShoal)
{
    if (m_quitWhenClosed)
        return;
    auto target = AttachTarget::parse(text);
    if (!target) {
        m_prompts->showError(tr("Cannot Attach"), target.error());
        return;
    }
    if (!sshCommand.isEmpty())
        target->sshCommand = sshCommand;
    if (!remoteShoal.isEmpty())
        target->remoteShoal = remoteShoal;
    auto attach = [this, t = *target] { attachSession(t); };
    if (m_session && m_session->isRunning() && !m_session->attachedEngine()) {
        m_prompts->ask(tr("Replace the Running Batch?"),
                       tr("The batch “%1” is still running here. Cancel it and attach to %2?")
                           .arg(m_session->displayName(), target->display()),
                       tr("Cancel It and Attach"), attach);
        return;
    }
    attach();
}

void MainWindow::attachSession(const AttachTarget &target,
                               const std::optional<BackgroundRun> &background)
{
    auto session = std::make_unique<BatchSession>(std::make_unique<AttachedEngine>(target));
    if (background)
        session->setBackgroundRun(*background);
    adoptSession(std::move(session));
    m_session->open();
    statusBar()->showMessage(tr("Attaching to %1…").arg(target.display()));
    updateActions();
    updateTitle();
}

bool MainWindow::backgroundChoice()
{
    return QSettings().value(u"newBatch/background"_s, false).toBool();
}

void MainWindow::rememberBackgroundChoice(bool background)
{
    QSettings().setValue(u"newBatch/background"_s, background);
}

// The `shoal` executable a background run starts: this process's, or $SHOAL_PROGRAM when this
// process is not shoal (the window's tests).
static QString shoalProgram()
{
    const QString own = QCoreApplication::applicationFilePath();
    if (QFileInfo(own).fileName() == u"shoal"_s)
        return own;
    return qEnvironmentVariable("SHOAL_PROGRAM", u"shoal"_s);
}

// Where background runs keep their files.
static QString runsFolder()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + u"/runs"_s;
}

void MainWindow::startInBackground(const BatchSpec &spec, const QString &filePath,
                                   std::function<void()> onDeclined)
{
    auto start = [this, spec, filePath] {
        // Checked here first: a batch that cannot start says so in the dialog, as in-process.
        if (auto prepared = prepareBatch(spec, filePath); !prepared) {
            reportStartError(prepared.error());
            return;
        }
        const QString base
            = filePath.isEmpty() ? QDir::currentPath() : QFileInfo(filePath).absolutePath();
        auto run = startBackgroundRun(spec, base, shoalProgram(), runsFolder());
        if (!run) {
            reportStartError(run.error());
            return;
        }
        statusBar()->showMessage(
            tr("Starting “%1” in the background…").arg(BatchSession(spec, filePath).displayName()));
        // Attached once it listens; a run that ends first says why (its stderr).
        auto *poll = new QTimer(this);
        auto waited = std::make_shared<QElapsedTimer>();
        waited->start();
        connect(poll, &QTimer::timeout, this, [this, poll, waited, r = *run] {
            if (QFile::exists(r.socket)) {
                poll->deleteLater();
                AttachTarget target;
                target.socketPath = r.socket;
                attachSession(target, r);
            } else if (!r.isAlive() || waited->elapsed() > 20000) {
                poll->deleteLater();
                QFile errors(r.errors());
                const QString said = errors.open(QIODevice::ReadOnly)
                    ? QString::fromUtf8(errors.readAll().right(2000)).trimmed()
                    : QString();
                reportStartError(said.isEmpty()
                                     ? tr("the background run (pid %1) did not start listening on "
                                          "'%2'")
                                           .arg(r.pid)
                                           .arg(r.socket)
                                     : said);
            }
        });
        poll->start(50);
    };
    if (m_session && m_session->isRunning() && !m_session->attachedEngine()) {
        m_prompts->ask(
            tr("Replace the Running Batch?"),
            tr("The batch “%1” is still running here. Cancel it and start “%2” in the "
               "background?")
                .arg(m_session->displayName(), BatchSession(spec, filePath).displayName()),
            tr("Cancel It and Start"), start, std::move(onDeclined));
        return;
    }
    start();
}

void MainWindow::handOffToBackground()
{
    if (!m_session || m_session->attachedEngine() || m_handOff != HandOff::None)
        return;
    m_handOff = HandOff::Draining;
    // Nothing new starts here; what runs goes on (a paused batch too: it was asked to run on).
    m_session->engine()->resize(0, DrainPolicy::Finish);
    m_session->engine()->resume();
    centralWidget()->setEnabled(false);
    menuBar()->setEnabled(false);
    statusBar()->showMessage(tr("“%1” goes on in the background once its %2 running tasks have "
                                "ended here…")
                                 .arg(m_session->displayName())
                                 .arg(m_lastStats.running));
    continueHandOff(m_lastStats);
}

void MainWindow::continueHandOff(const PoolStats &stats)
{
    if (m_handOff != HandOff::Draining || stats.running > 0 || !m_session)
        return;
    if (stats.allEnded()) { // nothing left to hand over
        m_handOff = HandOff::None;
        m_closeConfirmed = true;
        close();
        return;
    }
    // The rows of what ran here, then a run that resumes after them: nothing runs twice.
    m_handOff = HandOff::Exporting;
    m_handOffJoblog = u"%1/shoal-handoff-%2-%3.tsv"_s.arg(QDir::tempPath())
                          .arg(QCoreApplication::applicationPid())
                          .arg(QDateTime::currentMSecsSinceEpoch());
    connect(
        this, &MainWindow::joblogExported, this,
        [this](const QString &path, const QString &error) {
            if (path != m_handOffJoblog)
                return;
            if (error.isEmpty())
                startHandedOffRun(path);
            else
                abandonHandOff(error);
        },
        Qt::SingleShotConnection);
    m_files->exportJoblogTo(m_handOffJoblog);
}

void MainWindow::startHandedOffRun(const QString &joblog)
{
    const QString file = m_session->filePath();
    const QString base = file.isEmpty() ? QDir::currentPath() : QFileInfo(file).absolutePath();
    auto run = startBackgroundRun(m_session->spec(), base, shoalProgram(), runsFolder(), joblog);
    QFile::remove(joblog);
    if (!run) {
        abandonHandOff(run.error());
        return;
    }
    std::fprintf(stderr,
                 "shoal: “%s” goes on in the background (pid %lld): shoal attach %s; its joblog "
                 "and outputs are in %s\n",
                 qPrintable(m_session->displayName()), static_cast<long long>(run->pid),
                 qPrintable(run->socket), qPrintable(run->folder));
    m_handOff = HandOff::None;
    m_closeConfirmed = true;
    close();
}

// The batch stays here, as it was (its workers back), and says why.
void MainWindow::abandonHandOff(const QString &error)
{
    m_handOff = HandOff::None;
    QFile::remove(m_handOffJoblog);
    centralWidget()->setEnabled(true);
    menuBar()->setEnabled(true);
    if (m_session)
        m_session->engine()->resize(qMax(1, m_session->spec().jobs), DrainPolicy::Finish);
    m_prompts->showError(tr("Cannot Move the Batch to the Background"), error);
}

void MainWindow::askToKeepRunning()
{
    const BackgroundRun &run = *m_session->backgroundRun();
    m_prompts->ask(
        tr("Keep the Batch Running?"),
        tr("“%1” runs in the background and goes on when Shoal closes (%2 tasks left). "
           "Its joblog and outputs are in %3; File > Attach, or `shoal attach %4`, "
           "shows it again. To stop it instead, use Batch > Cancel Batch.")
            .arg(m_session->displayName())
            .arg(m_lastStats.queued + m_lastStats.running)
            .arg(run.folder, run.socket),
        tr("Close, Keep It Running"),
        [this] {
            m_closeConfirmed = true;
            close();
        },
        {}, tr("Don't Close"));
}

void MainWindow::attachWithDialog()
{
    auto *dialog = new AttachDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &AttachDialog::attachRequested, this,
            [this](const QString &target) { attachTo(target); });
    dialog->open();
}

void MainWindow::onLinkLost(const QString &reason)
{
    const QString name = m_session ? m_session->displayName() : QString();
    if (m_lastStats.allEnded())
        statusBar()->showMessage(
            tr("“%1” has finished and its run has ended; what it did stays on screen.").arg(name));
    else
        statusBar()->showMessage(
            tr("Lost the link to “%1”: %2. What it showed stays; File > Reconnect tries again.")
                .arg(name, reason));
    updateActions();
    updateTitle();
}

void MainWindow::onRelinked()
{
    statusBar()->showMessage(
        tr("Reconnected to “%1”.").arg(m_session ? m_session->displayName() : QString()));
    updateActions();
    updateTitle();
}

void MainWindow::reconnect()
{
    if (!m_session || !m_session->attachedEngine())
        return;
    statusBar()->showMessage(
        tr("Reconnecting to %1…").arg(m_session->attachedEngine()->target().display()));
    m_session->engine()->reconnect();
}

} // namespace shoal
