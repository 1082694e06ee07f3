#pragma once

#include <functional>

#include "task.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QStringList>

class QMainWindow;

namespace shoal {

class BatchSession;
class Prompts;
class TaskModel;

// What the File menu does with the batch on screen: save its spec as a batch file, export its
// tasks table as CSV or as a GNU parallel joblog (whose commands come from the engine: an
// asynchronous request, so the export completes when its answer arrives).
class SessionFiles : public QObject
{
    Q_OBJECT
public:
    SessionFiles(QMainWindow *window, TaskModel *tasks, Prompts *prompts);

    void setSession(BatchSession *session); // null: nothing to save or export
    // The rows the tasks table shows (its filter, its order): what Export CSV writes.
    void setShownRows(std::function<QList<int>()> rows) { m_shownRows = std::move(rows); }

    void saveBatchAs();
    void exportCsv(); // asks where
    bool exportCsvTo(const QString &path);
    void exportJoblog(); // asks where
    void exportJoblogTo(const QString &path);

Q_SIGNALS:
    void saved(const QString &path);
    void joblogExported(const QString &path, const QString &error); // error empty: written

private:
    void writeExportedJoblog(quint64 request, const QStringList &commands);

    QMainWindow *m_window;
    TaskModel *m_tasks;
    std::function<QList<int>()> m_shownRows;
    Prompts *m_prompts;
    QPointer<BatchSession> m_session;
    struct JoblogExport
    {
        QString path;
        QList<TaskId> order;
        quint64 request = 0;
    } m_joblogExport;
};

} // namespace shoal
