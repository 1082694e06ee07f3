#pragma once

#include "events.h"
#include "orderedoutput.h"

#include <QObject>

namespace shoal {

class Pool;

// `shoal run`'s front end: prints each task's output whole, as it finishes or (-k) in input
// order, writes the --events file, draws the progress bar. It delivers first and records after:
// a task's joblog row is written (Pool::recordDelivered) only once its output is out, and a
// failed write of anything the user asked for stops the batch (Pool::stopForWriteError).
class Reporter : public QObject, private OutputSink
{
public:
    struct Options
    {
        bool keepOrder = false;
        bool printOutput = true;
        bool bar = false;
        int eventsFd = -1; // --events, or -1
        QString eventsPath;
    };
    Reporter(Pool &pool, Options options);

    void finish(); // the final bar
    void setEventsFd(int fd) { m_options.eventsFd = fd; } // events from now on go there

private:
    void onEvents(const QList<Event> &events);
    void onTaskDone(const TaskBatch::Finished &f, const TaskBatch::Captured &c);
    void onBatch(const TaskBatch &batch);
    bool delivers(TaskState state, int attempt) const;
    void drain(); // -k: what is next in order goes out, then its rows
    QByteArray taskError(const TaskBatch::Finished &f, QByteArrayView text) const;
    void print(const QByteArray &out, const QByteArray &err);
    void printFile(int fd, const std::shared_ptr<const SpilledOutput> &file,
                   const QByteArray &data);
    void record(const std::vector<std::pair<TaskId, qint64>> &delivered);
    void outputFailed(int fd, int err);
    void clearBar();
    void drawBar(bool force);

    // OutputSink
    bool write(int fd, QByteArrayView data) override;
    bool copy(int fd, int fromFd, qint64 offset, qint64 length) override;

    Pool &m_pool;
    Options m_options;
    OrderedOutput m_ordered;
    std::vector<std::pair<TaskId, qint64>> m_delivered; // scratch
    bool m_outputBroken = false; // stdout could not be written: nothing more is printed
    bool m_eventsBroken = false;
    bool m_barDrawn = false;
    qint64 m_lastBarMs = 0;
};

} // namespace shoal
