#pragma once

#include "batchfile.h"
#include "engineclient.h"
#include "result.h"
#include "watchprotocol.h"

#include <QPointer>
#include <QTimer>

class QIODevice;
class QLocalSocket;
class QProcess;

namespace shoal {

// Where an attached window's batch runs: a control socket here, or one on another host reached
// through the user's own ssh (`ssh://[USER@]HOST[:PORT]/PATH`), where `shoal ctl PATH relay`
// carries the stream.
struct AttachTarget
{
    QString socketPath; // absolute, on the batch's host
    QString sshHost; // [USER@]HOST; empty: this machine
    int sshPort = 0; // 0: ssh's own
    QStringList sshCommand { QStringLiteral("ssh") }; // --ssh
    QString remoteShoal = QStringLiteral("shoal"); // shoal on the far host (--shoal-path)

    static Result<AttachTarget> parse(const QString &text);
    QString display() const; // as the user would write it
    QStringList transportArgv() const; // ssh targets: the command that reaches the relay
};

// The window's second EngineClient: an engine in another process, through its control socket's
// watch mode (watchprotocol.h). Closing detaches: the batch runs on. A link that ends says so
// (linkLost) and keeps nothing running here; reconnect() asks only for the events missed since
// the last one applied, or the engine sends a fresh snapshot.
class AttachedEngine : public EngineClient
{
    Q_OBJECT
public:
    explicit AttachedEngine(AttachTarget target, QObject *parent = nullptr);
    ~AttachedEngine() override;

    const AttachTarget &target() const { return m_target; }
    // What the engine said the batch is (valid once opened).
    const watch::Hello &hello() const { return m_hello; }
    BatchSpec spec() const;
    bool isLinked() const { return m_device != nullptr && m_helloSeen; }

    void open() override;
    void close() override;
    bool isClosed() const override { return m_closed; }
    bool isRemote() const override { return true; }
    void reconnect() override;

    void pause() override;
    void resume() override;
    void resize(int workers, DrainPolicy policy) override;
    void resizeHost(const QString &host, int workers, DrainPolicy policy) override;
    void pauseWorker(int slot) override;
    void resumeWorker(int slot) override;
    void cancelWorkerTask(int slot) override;
    void cancelTask(TaskId id) override;
    void retryTask(TaskId id) override;
    void cancelAll() override;
    void retryFailed() override;

    quint64 requestTaskDetails(TaskId id, int workerSlot) override;
    quint64 requestCommands(const QList<TaskId> &ids) override;
    quint64 requestSnapshot() override;

    static constexpr int kHelloTimeoutMs = 20000;

Q_SIGNALS:
    void relinked(); // a Hello after Reconnect: the link is up again

private:
    void connectLink();
    void fail(const QString &reason);
    void onReadable();
    void onFrame(watch::Frame &frame);
    void onLinkEnded(const QString &reason);
    void dropLink();
    void send(const watch::Frame &frame);
    void command(watch::Command::Verb verb, qint64 value = 0,
                 DrainPolicy policy = DrainPolicy::Finish);
    quint64 request(watch::Request::Kind kind, QList<qint64> ids = {}, int workerSlot = 0);

    AttachTarget m_target;
    QIODevice *m_device = nullptr; // the link: a QLocalSocket, or ssh's QProcess
    QLocalSocket *m_socket = nullptr;
    QProcess *m_ssh = nullptr;
    QByteArray m_sshErrors; // the last of ssh's stderr, for the reason the link ended
    watch::FrameReader m_reader;
    QTimer m_helloTimer;
    watch::Hello m_hello;
    bool m_helloSeen = false; // on this link
    bool m_opened = false; // opened has been emitted
    bool m_closed = false;
    bool m_lost = false; // linkLost emitted for the current link
    bool m_resyncing = false; // a snapshot was asked for after a gap: events wait for it
    quint64 m_lastSeq = 0; // of the last event applied (or the snapshot's)
};

} // namespace shoal
