#pragma once

#include "events.h"

#include "task.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLayout;
class QLineEdit;
class QPlainTextEdit;
class QSplitter;
class QTabWidget;
class QTableView;
class QTimer;

namespace shoal {

class TaskFilterModel;
class TaskModel;

// The tasks table with its state and text filters, and below it (a splitter) the selected
// task's command and captured output. It asks for details through signals; the window
// answers from the engine with showDetails().
class TaskPanel : public QWidget
{
    Q_OBJECT
public:
    explicit TaskPanel(TaskModel *model, QWidget *parent = nullptr);

    TaskFilterModel *proxy() const { return m_proxy; }
    QTableView *view() const { return m_view; }
    QComboBox *stateCombo() const { return m_stateCombo; }
    QLineEdit *filterEdit() const { return m_filterEdit; }
    QSplitter *splitter() const { return m_splitter; }
    QPlainTextEdit *stdoutView() const { return m_stdout; }
    QPlainTextEdit *stderrView() const { return m_stderr; }
    QPlainTextEdit *attemptsView() const { return m_attempts; }
    QLineEdit *commandView() const { return m_command; }
    QLabel *countLabel() const { return m_countLabel; }

    TaskId selectedTask() const;
    // Selects the task (showing every task if the filter hid it) and scrolls to it.
    void selectTask(TaskId id);
    void showDetails(TaskId id, const QString &command, const QString &status,
                     const QByteArray &out, const QByteArray &err);
    void clearDetails();
    // A new batch: every state and no text filter, so that it opens showing all its tasks.
    void resetFilter();
    // Every state and no text filter (the counts stay).
    void clearFilter();
    // The task model's rows the table shows, in its order (its filter and sort applied).
    QList<int> shownRows() const;
    // The state filter's items say how many tasks each would show: "Failed (5)".
    void setStateCounts(const PoolStats &stats);

Q_SIGNALS:
    void taskSelected(shoal::TaskId id); // -1: none
    void cancelRequested(const QList<shoal::TaskId> &ids);
    void retryRequested(const QList<shoal::TaskId> &ids);
    void exportCsvRequested();
    void exportJoblogRequested();

private:
    QLayout *createFilterRow();
    void createTable();
    QWidget *createDetails();
    void updateCount();
    void showContextMenu(const QPoint &pos);
    void showHistory(TaskId id);
    void announceSelection(); // taskSelected() when the selected task changed

    TaskModel *m_model;
    TaskFilterModel *m_proxy;
    QComboBox *m_stateCombo;
    QLineEdit *m_filterEdit;
    QTimer *m_filterTimer;
    QLabel *m_countLabel;
    QTableView *m_view;
    QSplitter *m_splitter;
    QLineEdit *m_command;
    QLabel *m_status;
    QTabWidget *m_outputTabs;
    QPlainTextEdit *m_stdout;
    QPlainTextEdit *m_stderr;
    QPlainTextEdit *m_attempts;
    TaskId m_shown = -1;
    TaskId m_announced = -1; // what taskSelected() said last
};

} // namespace shoal
