#include "sessionfiles.h"

#include "attachedengine.h"

#include "batchsession.h"
#include "humanformat.h"
#include "joblogexport.h"
#include "prompts.h"
#include "taskmodel.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMainWindow>
#include <QSaveFile>
#include <QStatusBar>

#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

SessionFiles::SessionFiles(QMainWindow *window, TaskModel *tasks, Prompts *prompts)
    : QObject(window)
    , m_window(window)
    , m_tasks(tasks)
    , m_prompts(prompts)
{
}

void SessionFiles::setSession(BatchSession *session)
{
    if (m_session && m_session->engine())
        disconnect(m_session->engine(), nullptr, this, nullptr);
    m_session = session;
    m_joblogExport = {};
    if (session && session->engine()) {
        connect(session->engine(), &EngineClient::commandsReady, this,
                &SessionFiles::writeExportedJoblog);
        // An attached batch's link may end before the commands come: the export says so.
        connect(session->engine(), &EngineClient::linkLost, this, [this](const QString &reason) {
            if (m_joblogExport.request == 0)
                return;
            const QString path = std::exchange(m_joblogExport, {}).path;
            const QString why = tr("The link to the batch ended before its commands came (%1). "
                                   "Reconnect (File > Reconnect) and export again.")
                                    .arg(reason);
            m_prompts->showError(tr("Cannot Export the Joblog"), why);
            Q_EMIT joblogExported(path, why);
        });
    }
}

void SessionFiles::saveBatchAs()
{
    if (!m_session)
        return;
    QString path = QFileDialog::getSaveFileName(m_window, tr("Save Batch As"),
                                                m_session->displayName() + u".shoal.json"_s,
                                                tr("Shoal batches (*.shoal.json)"));
    if (path.isEmpty())
        return;
    if (!isBatchFilePath(path))
        path += u".shoal.json"_s;
    BatchSpec spec = m_session->spec();
    // Input paths resolve against the batch file: anchor relative ones before moving it.
    if (!spec.inputs.path.isEmpty() && spec.inputs.path != u"-"_s
        && QDir::isRelativePath(spec.inputs.path)) {
        const QString base = m_session->filePath().isEmpty()
            ? QDir::currentPath()
            : QFileInfo(m_session->filePath()).absolutePath();
        spec.inputs.path = QDir(base).absoluteFilePath(spec.inputs.path);
    }
    const auto written = saveBatchFile(path, spec);
    if (!written) {
        m_prompts->showError(tr("Cannot Save the Batch"), written.error());
        return;
    }
    m_window->statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
    Q_EMIT saved(QFileInfo(path).absoluteFilePath());
}

void SessionFiles::exportCsv()
{
    if (!m_session)
        return;
    const QString path = QFileDialog::getSaveFileName(m_window, tr("Export Tasks"),
                                                      m_session->displayName() + u".csv"_s,
                                                      tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    exportCsvTo(path);
}

bool SessionFiles::exportCsvTo(const QString &path)
{
    if (!m_session)
        return false;
    const QList<int> rows = m_shownRows ? m_shownRows() : QList<int>();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)
        || !m_tasks->writeCsv(&file, m_shownRows ? &rows : nullptr, m_session->wallStartMs())
        || !file.commit()) {
        m_prompts->showError(tr("Cannot Export the Tasks"),
                             tr("Could not write '%1': %2").arg(path, file.errorString()));
        return false;
    }
    const qsizetype count = m_shownRows ? rows.size() : m_tasks->rowCount();
    m_window->statusBar()->showMessage(
        tr("Exported %1 to %2").arg(countOf(count, tr("task"), tr("tasks")), path), 8000);
    return true;
}

void SessionFiles::exportJoblog()
{
    if (!m_session)
        return;
    const QString path = QFileDialog::getSaveFileName(m_window, tr("Export Joblog"),
                                                      m_session->displayName() + u".joblog.tsv"_s,
                                                      tr("Joblogs (*.tsv *.log);;All files (*)"));
    if (!path.isEmpty())
        exportJoblogTo(path);
}

void SessionFiles::exportJoblogTo(const QString &path)
{
    if (!m_session || !m_session->engine())
        return;
    const auto refuse = [&](const QString &why) {
        m_prompts->showError(tr("Cannot Export the Joblog"), why);
        Q_EMIT joblogExported(path, why);
    };
    if (!m_session->hasStarted())
        return refuse(tr("The batch has not started yet."));
    if (m_joblogExport.request != 0)
        return refuse(tr("The joblog is still being exported to %1.").arg(m_joblogExport.path));
    if (m_session->attachedEngine() && !m_session->attachedEngine()->isLinked())
        return refuse(tr("The link to the batch is gone (its run ended, or the link dropped: "
                         "File > Reconnect). Its commands come from the run: export while "
                         "attached, or use the run's own --joblog."));
    // The rows are the table's now; their commands come from the engine.
    m_joblogExport.path = path;
    m_joblogExport.order = joblogOrder(*m_tasks);
    m_joblogExport.request = m_session->engine()->requestCommands(m_joblogExport.order);
    m_window->statusBar()->showMessage(tr("Exporting the joblog to %1…").arg(path));
}

void SessionFiles::writeExportedJoblog(quint64 request, const QStringList &commands)
{
    if (request != m_joblogExport.request || !m_session)
        return;
    const JoblogExport job = std::exchange(m_joblogExport, {});
    const auto written
        = writeJoblog(job.path, *m_tasks, job.order, commands, m_session->wallStartMs());
    if (!written)
        m_prompts->showError(tr("Cannot Export the Joblog"), written.error());
    else
        m_window->statusBar()->showMessage(tr("Exported the joblog to %1").arg(job.path), 5000);
    Q_EMIT joblogExported(job.path, written ? QString() : written.error());
}

} // namespace shoal
