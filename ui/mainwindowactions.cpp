// The main window's actions (with their shortcuts), its menus, and what they and the title say.

#include "attachedengine.h"
#include "batchsession.h"
#include "chartpanel.h"
#include "dashboard.h"
#include "mainwindow.h"
#include "sessionfiles.h"
#include "taskpanel.h"
#include "theme.h"
#include "welcomepage.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSignalBlocker>
#include <QStackedWidget>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

void MainWindow::createActions()
{
    m_newAction = new QAction(QIcon::fromTheme(u"document-new"_s), tr("&New Batch…"), this);
    m_newAction->setShortcut(QKeySequence::New);
    connect(m_newAction, &QAction::triggered, this, &MainWindow::newBatch);
    m_openAction = new QAction(QIcon::fromTheme(u"document-open"_s), tr("&Open Batch File…"), this);
    m_openAction->setShortcut(QKeySequence::Open);
    connect(m_openAction, &QAction::triggered, this, &MainWindow::openWithDialog);
    m_saveAction
        = new QAction(QIcon::fromTheme(u"document-save-as"_s), tr("&Save Batch As…"), this);
    m_saveAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S)); // it always asks
    connect(m_saveAction, &QAction::triggered, m_files, &SessionFiles::saveBatchAs);
    m_demoAction = new QAction(tr("Run the &Demo Batch"), this);
    connect(m_demoAction, &QAction::triggered, this, &MainWindow::openDemo);
    m_exportCsvAction = new QAction(tr("Export Tasks as &CSV…"), this);
    connect(m_exportCsvAction, &QAction::triggered, m_files, &SessionFiles::exportCsv);
    m_exportJoblogAction = new QAction(tr("Export &Joblog…"), this);
    connect(m_exportJoblogAction, &QAction::triggered, m_files, &SessionFiles::exportJoblog);
    m_quitAction = new QAction(QIcon::fromTheme(u"application-exit"_s), tr("&Quit"), this);
    m_quitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    m_pauseAction = new QAction(tr("&Pause"), this);
    m_pauseAction->setShortcut(QKeySequence(Qt::Key_Space));
    connect(m_pauseAction, &QAction::triggered, this, &MainWindow::togglePause);
    m_cancelAction = new QAction(tr("&Cancel Batch"), this);
    connect(m_cancelAction, &QAction::triggered, this, [this] {
        if (m_session)
            m_session->engine()->cancelAll();
    });
    m_retryAction = new QAction(tr("&Retry Failed Tasks"), this);
    m_retryAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    connect(m_retryAction, &QAction::triggered, this, [this] {
        if (m_session)
            m_session->engine()->retryFailed();
        announceRetry();
    });
    m_attachAction = new QAction(tr("&Attach to a Running Batch…"), this);
    m_attachAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    connect(m_attachAction, &QAction::triggered, this, &MainWindow::attachWithDialog);
    m_reconnectAction = new QAction(tr("Re&connect"), this);
    m_reconnectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    connect(m_reconnectAction, &QAction::triggered, this, &MainWindow::reconnect);
    // Window-wide shortcuts work whichever child has focus.
    addActions({ m_newAction, m_openAction, m_attachAction, m_reconnectAction, m_saveAction,
                 m_quitAction, m_pauseAction, m_retryAction });
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_newAction);
    file->addAction(m_openAction);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    file->addAction(m_attachAction);
    file->addAction(m_reconnectAction);
    file->addAction(m_saveAction);
    file->addSeparator();
    file->addAction(m_exportCsvAction);
    file->addAction(m_exportJoblogAction);
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu *batch = menuBar()->addMenu(tr("&Batch"));
    batch->addAction(m_pauseAction);
    batch->addAction(m_cancelAction);
    batch->addAction(m_retryAction);
    batch->addSeparator();
    batch->addAction(m_demoAction);

    createViewMenu();
    createHelpMenu();
}

// Chart window, panels, theme.
void MainWindow::createViewMenu()
{
    QMenu *view = menuBar()->addMenu(tr("&View"));
    QMenu *chartWindow = view->addMenu(tr("Chart &Window"));
    // One of them at a time (radio items); each shows more or less of the same history.
    auto *windows = new QActionGroup(chartWindow);
    windows->setExclusive(true);
    for (int minutes : { 1, 5, 15, 60 }) {
        QAction *a = chartWindow->addAction(minutes == 1 ? tr("Last minute")
                                                         : tr("Last %1 minutes").arg(minutes));
        a->setCheckable(true);
        a->setChecked(minutes * 60 == chartPanel()->windowSeconds());
        windows->addAction(a);
        connect(a, &QAction::triggered, this,
                [this, minutes] { chartPanel()->setWindowSeconds(minutes * 60); });
    }

    view->addSeparator();
    // The dashboard's panels, each shown or hidden; remembered with the window's layout.
    const std::pair<QString, QWidget *> panels[] = {
        { tr("&Workers"), m_dashboard->workersPane() },
        { tr("&Charts"), chartPanel() },
        { tr("&Tasks"), taskPanel() },
    };
    for (const auto &[name, panel] : panels) {
        QAction *a = view->addAction(name);
        a->setCheckable(true);
        a->setChecked(true);
        connect(a, &QAction::toggled, m_dashboard,
                [this, panel](bool on) { m_dashboard->setPanelVisible(panel, on); });
        m_panelActions << a;
        // A panel may come back by other ways (Show Its Task shows the tasks).
        connect(m_dashboard, &Dashboard::panelVisibilityChanged, a,
                [a, panel = panel](QWidget *changed, bool visible) {
                    if (changed != panel)
                        return;
                    const QSignalBlocker blocker(a);
                    a->setChecked(visible);
                });
    }
    view->addSeparator();
    QMenu *themes = view->addMenu(tr("&Theme"));
    auto *themeGroup = new QActionGroup(themes);
    themeGroup->setExclusive(true);
    for (const auto &[theme, name] :
         { std::pair { Theme::System, tr("&System") }, std::pair { Theme::Light, tr("&Light") },
           std::pair { Theme::Dark, tr("&Dark") } }) {
        QAction *a = themes->addAction(name);
        a->setCheckable(true);
        a->setData(nameOf(theme));
        themeGroup->addAction(a);
        connect(a, &QAction::triggered, this, [theme] {
            applyTheme(theme);
            QSettings().setValue(u"view/theme"_s, nameOf(theme));
        });
        m_themeActions << a;
    }
}

void MainWindow::createHelpMenu()
{
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Placeholders"), this, [this] {
        QMessageBox::information(
            this, tr("Placeholders"),
            tr("<table>"
               "<tr><td><tt>{}</tt></td><td>the input</td></tr>"
               "<tr><td><tt>{.}</tt></td><td>the input without its extension</td></tr>"
               "<tr><td><tt>{/}</tt></td><td>its base name</td></tr>"
               "<tr><td><tt>{//}</tt></td><td>its folder</td></tr>"
               "<tr><td><tt>{/.}</tt></td><td>its base name without the extension</td></tr>"
               "<tr><td><tt>{#}</tt></td><td>the task's number</td></tr>"
               "<tr><td><tt>{%}</tt></td><td>the worker's slot</td></tr>"
               "</table><p>A command without any placeholder gets the input appended.</p>"));
    });
    help->addAction(tr("&Keyboard Shortcuts"), this, [this] {
        QString rows;
        for (QAction *a : actions()) {
            if (!a->shortcut().isEmpty())
                rows += u"<tr><td>%1</td><td>%2</td></tr>"_s.arg(
                    a->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped(),
                    a->text().remove(u'&').toHtmlEscaped());
        }
        QMessageBox::information(this, tr("Keyboard Shortcuts"), u"<table>%1</table>"_s.arg(rows));
    });
    help->addAction(tr("&About Shoal"), this, [this] {
        QMessageBox::about(
            this, tr("About Shoal"),
            tr("<b>Shoal %1</b><p>Runs, watches and steers pools of worker processes.</p>")
                .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::updateActions()
{
    const bool has = m_session != nullptr;
    const bool finished = !has || m_lastStats.ended() == m_lastStats.total;
    // An attached batch's spec is what its engine said (no inputs): nothing to save.
    m_saveAction->setEnabled(has && !m_session->attachedEngine());
    m_exportCsvAction->setEnabled(has);
    m_exportJoblogAction->setEnabled(has);
    m_pauseAction->setEnabled(has && !finished);
    m_pauseAction->setText(m_lastStats.paused ? tr("&Resume") : tr("&Pause"));
    m_cancelAction->setEnabled(has && !finished);
    const AttachedEngine *attached = has ? m_session->attachedEngine() : nullptr;
    const bool linked = !attached || attached->isLinked();
    m_pauseAction->setEnabled(m_pauseAction->isEnabled() && linked);
    m_cancelAction->setEnabled(m_cancelAction->isEnabled() && linked);
    m_retryAction->setEnabled(has && linked && m_lastStats.failed > 0);
    m_reconnectAction->setEnabled(attached && !linked);
    m_reconnectAction->setVisible(attached);
    if (m_handOff != HandOff::None) { // moving to the background: hands off the batch
        for (QAction *a : { m_pauseAction, m_cancelAction, m_retryAction, m_newAction, m_openAction,
                            m_attachAction, m_demoAction, m_exportCsvAction, m_exportJoblogAction,
                            m_saveAction })
            a->setEnabled(false);
    }
    if (!has)
        m_stack->setCurrentWidget(m_welcome);
}

void MainWindow::updateTitle()
{
    if (!m_session) {
        setWindowTitle(tr("Shoal"));
        return;
    }
    const PoolStats &s = m_lastStats;
    const qint64 done = s.ended();
    QString progress
        = s.total && done < s.total ? u"%1% · "_s.arg(done * 100 / s.total) : QString();
    if (s.paused && done < s.total)
        progress = tr("Paused · %1").arg(progress);
    QString where;
    if (const AttachedEngine *attached = m_session->attachedEngine())
        where = attached->isLinked() ? tr(" (attached)") : tr(" (link lost)");
    setWindowTitle(u"%1%2%3 — Shoal"_s.arg(progress, m_session->displayName(), where));
}

} // namespace shoal
