#pragma once

#include "task.h"

#include <QPointer>
#include <QTimer>
#include <QWidget>

class QLabel;
class QSettings;
class QSplitter;
class QTableView;

namespace shoal {

class ChartPanel;
class EngineClient;
struct Frame;
struct TaskDetails;
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

    // The engine the controls steer and the selected task's details come from (service: a
    // batch of service workers, whose stderr is the worker's); null: none.
    void setEngine(EngineClient *engine, bool service = false);
    // After the models took a frame: the selected task's details follow its changes.
    void followFrame(const Frame &frame);
    // Asks the engine for the selected task's command and output (one question at a time).
    void refreshTaskDetails();

    OverviewBar *overview() const { return m_overview; }
    QTableView *workerView() const { return m_workerView; }
    QLabel *retiredLabel() const { return m_retiredLabel; }
    QLabel *hostsLabel() const { return m_hostsLabel; }
    QWidget *workersPane() const { return m_workersPane; }
    void setPanelVisible(QWidget *panel, bool visible);
    ChartPanel *charts() const { return m_charts; }
    TaskPanel *taskPanel() const { return m_taskPanel; }

    void restoreLayout(const QSettings &settings);
    void saveLayout(QSettings &settings) const;

Q_SIGNALS:
    // A panel was shown or hidden (from the View menu or otherwise: Show Its Task).
    void panelVisibilityChanged(QWidget *panel, bool visible);

private:
    void createWorkerView();
    void showRetired();
    void connectControls();
    bool eventFilter(QObject *watched, QEvent *event) override;
    void fitTaskColumn();
    void showWorkerMenu(const QPoint &pos);
    void showWorkerTask(TaskId task);
    void resizeHost(const QString &host);
    void showTaskDetails(quint64 request, const TaskDetails &details);

    WorkerModel *m_workerModel;
    TaskModel *m_taskModel;
    QPointer<EngineClient> m_engine;
    OverviewBar *m_overview = nullptr;
    QTableView *m_workerView = nullptr;
    QLabel *m_retiredLabel = nullptr;
    QLabel *m_hostsLabel = nullptr; // each worker host's totals
    QTimer m_hostsTimer; // they are counted at most twice a second
    void showHostTotals();
    QWidget *m_workersPane = nullptr;
    ChartPanel *m_charts = nullptr;
    TaskPanel *m_taskPanel = nullptr;
    QSplitter *m_mainSplitter = nullptr;
    QSplitter *m_topSplitter = nullptr;
    bool m_service = false;
    quint64 m_detailsRequest = 0; // the only task details answer still wanted (0: none)
    TaskId m_detailsTask = -1; // what it asked about
    bool m_detailsStale = false; // the task changed since: ask again once it answers
};

} // namespace shoal
