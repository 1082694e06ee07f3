#pragma once

#include "agentprotocol.h"
#include "events.h"
#include "filetransfer.h"

#include <QHash>
#include <QObject>
#include <QTimer>

#include <memory>
#include <optional>
#include <vector>

class QSocketNotifier;

namespace shoal {

class Pool;

// `shoal agent`: a worker host's end of the link (agentprotocol.h), started there by a transport
// (ssh, srun) with the link on its stdin and stdout. It runs the tasks Shoal sends on a Pool of
// its own (process groups, cgroups, timeouts, memory limit, output capture, the guard), with the
// argv Shoal expanded, and sends back their starts, outputs and ends. Retries, records and
// steering stay with Shoal.
//
// When its stdin ends or the link breaks (Shoal killed, ssh or srun killed, the network lost), it
// ends every process group it started, grandchildren included, and finishes: nothing is left on
// the host.
class Agent : public QObject
{
    Q_OBJECT
public:
    Agent(int inFd, int outFd, QObject *parent = nullptr);
    ~Agent() override;

    // Says Hello and waits for Setup.
    void start();
    // Ends every task and finishes, as when the link ends (a signal to the agent).
    void stop(const QString &why) { end(why); }

Q_SIGNALS:
    // Everything it started has ended; exitCode 0 after an orderly end of the link.
    void finished(int exitCode);

private:
    void onReadable();
    Result<void> handle(agent::Frame &frame);
    Result<void> setUp(const agent::Setup &setup);
    void onEvents(const QList<Event> &events);
    void sendFinished(const TaskBatch &batch, const TaskBatch::Finished &f);
    // Service workers: the batch's ended tasks as Results; true when any ended.
    bool sendResults(const TaskBatch &batch);
    void sendProgress(const TaskBatch &batch); // JSON mode's progress of tasks in flight
    // A task Shoal sent (Run, Tasks), added to the pool with the next read's.
    void admit(TaskId shoalId, QByteArrayView input);
    void forget(TaskId id); // the pool's task id ended: Cancel and Hold no longer find it
    // The pool's id of Shoal's task while it is live (the latest attempt's), or -1. Live tasks
    // are the newest, so the search is short; only Cancel and Hold search.
    TaskId liveTask(TaskId shoalId);
    void cancel(TaskId shoalId);
    // --transferfile: a part of a file for a task to come.
    void receiveFile(const agent::File &file);
    // The task's Run; false when it is not to run (a file sent for it could not be written),
    // its end already sent.
    bool admitRun(const agent::Run &run);
    // --return, then --cleanup, as the task ends: an exit with the errno of a file that could
    // not be sent back.
    ExitStatus sendReturns(TaskId task, ExitStatus exit);
    void send(const agent::Frame &frame) { agent::encode(frame, m_outBuffer); }
    void flush();
    // The link is over (ended, broken, or unusable): end every task, then finish.
    void end(const QString &why);

    int m_inFd;
    int m_outFd;
    QSocketNotifier *m_readable = nullptr;
    agent::FrameReader m_reader;
    QByteArray m_outBuffer;
    // Started frames wait a little for their task's end, so that a short task costs the link
    // one write, not two: a transport's TCP hop (srun's, without TCP_NODELAY) holds a second
    // small write until the first is acknowledged, up to a delayed ACK's 40 ms.
    QTimer m_startedFlush;
    // What moves files for a task (Shoal's task id): those it was sent, those to send back.
    struct TaskFiles
    {
        // Each file received, with what it is once whole (invalid until then).
        std::vector<std::pair<QString, FileId>> received;
        QString error; // a file sent for it could not be written
        int errorCode = 0;
        QStringList returns;
        bool cleanup = false;
    };
    QHash<TaskId, TaskFiles> m_files;
    // --return files sent back, removed (--cleanup) once Shoal says it has them (Collected).
    QHash<TaskId, std::vector<std::pair<QString, FileId>>> m_collecting;
    void removeMoved(const std::vector<std::pair<QString, FileId>> &moved);
    bool isShoalsFile(const QString &path) const;
    bool m_sharedFolder = false; // its working folder is Shoal's (Setup's probe is here)
    bool m_cleanup = false; // --cleanup (Setup)
    FileReceiver m_fileReceiver;
    std::unique_ptr<Pool> m_pool;
    std::vector<TaskId> m_shoalIds; // by the agent pool's task id
    std::vector<bool> m_ended; // by the pool's task id: its end was sent
    TaskId m_oldestLive = 0; // the pool's tasks before it have all ended
    QHash<TaskId, int> m_ackAfterEnd; // the pool's ids cancelled as they ended: acks owed after
    // Shoal's id -> the pool's for the live tasks, built for the Cancels of one read when the
    // live range is long (a task that runs long holds m_oldestLive back).
    std::optional<QHash<TaskId, TaskId>> m_liveCache;
    bool m_service = false; // Setup asked for service workers
    QString m_lastNote;
    InputList m_pending; // argvs read, added to the pool once the read is done
    bool m_ending = false;
    int m_exitCode = 0;
};

} // namespace shoal
