#pragma once

#include <QPointer>
#include <QWidget>

class QSettings;
class QSplitter;
class QTableView;

namespace shoal {

class ChartPanel;
class EngineClient;
class OverviewBar;
class TaskModel;
class TaskPanel;
class WorkerModel;

// The window with a batch: the overview strip, the workers table beside the charts, and the
// tasks table with the selected task's output. It steers the batch's engine itself (the
// overview's buttons, the tasks' and the workers' context menus): commands are posted to the
// engine client, never waited on.
class Dashboard : public QWidget
{
    Q_OBJECT
public:
    Dashboard(WorkerModel *workers, TaskModel *tasks, QWidget *parent = nullptr);

    // The engine the controls steer; null: they do nothing.
    void setEngine(EngineClient *engine) { m_engine = engine; }

    OverviewBar *overview() const { return m_overview; }
    QTableView *workerView() const { return m_workerView; }
    ChartPanel *charts() const { return m_charts; }
    TaskPanel *taskPanel() const { return m_taskPanel; }

    void restoreLayout(const QSettings &settings);
    void saveLayout(QSettings &settings) const;

private:
    void createWorkerView();
    void connectControls();
    void showWorkerMenu(const QPoint &pos);

    WorkerModel *m_workerModel;
    TaskModel *m_taskModel;
    QPointer<EngineClient> m_engine;
    OverviewBar *m_overview = nullptr;
    QTableView *m_workerView = nullptr;
    ChartPanel *m_charts = nullptr;
    TaskPanel *m_taskPanel = nullptr;
    QSplitter *m_mainSplitter = nullptr;
    QSplitter *m_topSplitter = nullptr;
};

} // namespace shoal
