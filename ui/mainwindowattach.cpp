// The window on a batch that runs elsewhere: attaching, losing the link, reconnecting.
#include "attachdialog.h"
#include "attachedengine.h"
#include "batchsession.h"
#include "mainwindow.h"
#include "overviewbar.h"
#include "prompts.h"

#include <QAction>
#include <QStatusBar>

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
    auto attach = [this, t = *target] {
        adoptSession(std::make_unique<BatchSession>(std::make_unique<AttachedEngine>(t)));
        m_session->open();
        statusBar()->showMessage(tr("Attaching to %1…").arg(t.display()));
        updateActions();
        updateTitle();
    };
    if (m_session && m_session->isRunning() && !m_session->attachedEngine()) {
        m_prompts->ask(tr("Replace the Running Batch?"),
                       tr("The batch “%1” is still running here. Cancel it and attach to %2?")
                           .arg(m_session->displayName(), target->display()),
                       tr("Cancel It and Attach"), attach);
        return;
    }
    attach();
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

void MainWindow::reconnect()
{
    if (!m_session || !m_session->attachedEngine())
        return;
    statusBar()->showMessage(
        tr("Reconnecting to %1…").arg(m_session->attachedEngine()->target().display()));
    m_session->engine()->reconnect();
}

} // namespace shoal
