// The window on a batch that runs elsewhere: attaching, losing the link, reconnecting.
#include "attachdialog.h"
#include "attachedengine.h"
#include "batchrunner.h"
#include "batchsession.h"
#include "mainwindow.h"
#include "prompts.h"
#include "sessionfiles.h"
#include "taskmodel.h"
#include "workermodel.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMenuBar>
#include <QSettings>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryFile>
#include <QTimer>

#include <cerrno>
#include <cstdio>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

void MainWindow::attachTo(const QString &text, const QStringList &sshCommand,
                          const QString &remoteShoal)
{
    if (m_quitWhenClosed || m_handOff != HandOff::None)
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

// Calls onListening once run listens on its socket (it says so on its ready pipe, however soon
// it ends after), or onFailed with why (its stderr) if it ends first or takes over 20 s.
static void whenListening(QObject *context, const BackgroundRun &run,
                          std::function<void()> onListening,
                          std::function<void(const QString &)> onFailed)
{
    auto *notifier = new QSocketNotifier(run.readyFd, QSocketNotifier::Read, context);
    auto *timeout = new QTimer(notifier);
    timeout->setSingleShot(true);
    auto finish = [notifier, timeout, run, onListening, onFailed](bool ready) {
        if (!notifier->isEnabled())
            return; // decided already
        timeout->stop();
        notifier->setEnabled(false);
        notifier->deleteLater();
        ::close(run.readyFd);
        if (ready) {
            onListening();
            return;
        }
        QFile errors(run.errors());
        const QString said = errors.open(QIODevice::ReadOnly)
            ? QString::fromUtf8(errors.readAll().right(2000)).trimmed()
            : QString();
        onFailed(said.isEmpty()
                     ? QObject::tr("the background run (pid %1) did not start listening on '%2'")
                           .arg(run.pid)
                           .arg(run.socket)
                     : said);
    };
    QObject::connect(notifier, &QSocketNotifier::activated, context, [run, finish] {
        char word[16] = {};
        ssize_t n = -1;
        while ((n = ::read(run.readyFd, word, sizeof word - 1)) < 0 && errno == EINTR) { }
        finish(n > 0 && QByteArrayView(word).startsWith("ready"));
    });
    QObject::connect(timeout, &QTimer::timeout, context, [finish] { finish(false); });
    timeout->start(20000);
}

void MainWindow::startInBackground(const BatchSpec &spec, const QString &filePath,
                                   std::function<void()> onDeclined)
{
    if (m_handOff != HandOff::None)
        return; // the window is handing its batch over and closing
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
        whenListening(
            this, *run,
            [this, r = *run] {
                AttachTarget target;
                target.socketPath = r.socket;
                attachSession(target, r);
            },
            [this](const QString &error) { reportStartError(error); });
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
    // Nothing new starts here; what runs goes on, whatever froze it: parked workers are taken
    // back (a grow unparks them first) before all drain, then the pool and each paused worker
    // resume. Commands reach the engine in this order.
    EngineClient *engine = m_session->engine();
    m_handOffFrom = m_lastStats; // what abandoning it restores
    engine->resize(m_lastStats.workers + m_lastStats.parkedWorkers, DrainPolicy::Finish);
    engine->resize(0, DrainPolicy::Finish);
    engine->resume();
    for (int row = 0; row < m_workerModel->rowCount(); ++row) // a no-op for one not paused
        engine->resumeWorker(m_workerModel->worker(row).slot);
    updateActions(); // and none of the batch's actions meanwhile (Space would pause it)
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
    // Only a frame sent after the resize to 0 shows no workers: an earlier one's "0 running"
    // may predate tasks that start before it.
    if (m_handOff != HandOff::Draining || stats.running > 0 || stats.workers > 0 || !m_session)
        return;
    if (stats.allEnded()) { // nothing left to hand over
        m_handOff = HandOff::None;
        m_closeConfirmed = true;
        close();
        return;
    }
    // The rows of what ran here, then a run that resumes after them: nothing runs twice.
    m_handOff = HandOff::Leaving;
    QTemporaryFile joblog(QDir::tempPath() + u"/shoal-handoff-XXXXXX.tsv"_s); // 0600
    joblog.setAutoRemove(false);
    if (!joblog.open()) {
        abandonHandOff(tr("cannot create a temporary file: %1").arg(joblog.errorString()));
        return;
    }
    m_handOffJoblog = joblog.fileName();
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

// The batch's inputs as the window has them, one per line, in a file of the runs folder: a
// folder listed again, a file changed or stdin would not give the same Seq numbers, which
// --resume matches.
static Result<QString> writeInputs(const InputList &inputs)
{
    QDir().mkpath(runsFolder());
    QTemporaryFile file(runsFolder() + u"/handed-off-XXXXXX.inputs"_s); // 0600
    file.setAutoRemove(false);
    if (!file.open())
        return Error { QObject::tr("cannot write the batch's inputs: %1").arg(file.errorString()) };
    for (qsizetype i = 0; i < inputs.size(); ++i) {
        if (inputs.utf8(i).contains('\n')) {
            file.remove();
            return Error { QObject::tr("input %1 holds a line break: a background run reads its "
                                       "inputs line by line")
                               .arg(i + 1) };
        }
        file.write(inputs.utf8(i).toByteArray() + '\n');
    }
    if (!file.flush()) {
        file.remove();
        return Error { QObject::tr("cannot write the batch's inputs: %1").arg(file.errorString()) };
    }
    return file.fileName();
}

void MainWindow::startHandedOffRun(const QString &joblog)
{
    const QString file = m_session->filePath();
    const QString base = file.isEmpty() ? QDir::currentPath() : QFileInfo(file).absolutePath();
    auto inputs = writeInputs(m_taskModel->inputs());
    if (!inputs) {
        abandonHandOff(inputs.error());
        return;
    }
    BatchSpec spec = m_session->spec();
    spec.inputs = {};
    spec.inputs.kind = InputSpec::Kind::File;
    spec.inputs.path = *inputs;
    auto run = startBackgroundRun(spec, base, shoalProgram(), runsFolder(), joblog);
    QFile::remove(joblog);
    if (!run) {
        QFile::remove(*inputs);
        abandonHandOff(run.error());
        return;
    }
    // Closed only once the run listens: one that fails says why, and the batch stays here.
    whenListening(
        this, *run, [this, r = *run] { handedOff(r); },
        [this](const QString &error) { abandonHandOff(error); });
}

void MainWindow::handedOff(const BackgroundRun &run)
{
    if (!m_session)
        return;
    std::fprintf(stderr,
                 "shoal: “%s” goes on in the background (pid %lld): shoal attach %s; its joblog "
                 "and outputs are in %s\n",
                 qPrintable(m_session->displayName()), static_cast<long long>(run.pid),
                 qPrintable(run.socket), qPrintable(run.folder));
    m_handOff = HandOff::None;
    m_closeConfirmed = true;
    close();
}

// The batch stays here, as it was (its workers back), and says why.
void MainWindow::abandonHandOff(const QString &error)
{
    m_handOff = HandOff::None;
    updateActions();
    QFile::remove(m_handOffJoblog);
    centralWidget()->setEnabled(true);
    menuBar()->setEnabled(true);
    if (m_session) { // as it was: its workers, paused or not
        m_session->engine()->resize(qMax(1, m_handOffFrom.workers), DrainPolicy::Finish);
        if (m_handOffFrom.paused)
            m_session->engine()->pause();
    }
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
