#pragma once

#include "watchprotocol.h"

#include <QObject>

#include <deque>
#include <optional>
#include <vector>

class QLocalSocket;

namespace shoal {

class Pool;

// The control socket's watch mode (`shoal attach`; watchprotocol.h): every watcher gets a
// snapshot, then the engine's events, each batch encoded once for all of them. Watchers never
// slow the engine: one whose socket holds more than kMaxBacklogBytes unsent is sent nothing more
// until it has caught up, then a fresh snapshot. The latest events (about kRecentBytes) are kept,
// so that a watcher that reconnects after event SEQ is sent only what it missed.
class WatchServer : public QObject
{
    Q_OBJECT
public:
    static constexpr qsizetype kMaxBacklogBytes = 16 << 20;
    static constexpr qsizetype kRecentBytes = 16 << 20;

    // hello: what the batch is (name, command...), sent first to every watcher.
    WatchServer(Pool &pool, watch::Hello hello, QObject *parent = nullptr);
    ~WatchServer() override; // sends what is pending, for up to 2 s

    // Takes over a connection that asked for watch mode (after SEQ, to resume).
    void adopt(QLocalSocket *socket, std::optional<quint64> afterSeq);
    int watcherCount() const { return int(m_watchers.size()); }
    const watch::Hello &hello() const { return m_hello; }

private:
    struct Watcher
    {
        QLocalSocket *socket = nullptr;
        watch::FrameReader reader { watch::kMaxWatcherFrameBytes };
        bool behind = false; // sent nothing since its backlog overflowed; a snapshot is due
        qint64 allowance = 0; // unsent bytes of the latest snapshot (not held against it)
    };
    struct Recent
    {
        quint64 firstSeq = 0, lastSeq = 0;
        QByteArray frame;
    };

    void onEvents(const QList<Event> &events);
    void onReadyRead(Watcher &w);
    void onBytesWritten(Watcher &w);
    void sendSnapshot(Watcher &w, quint64 request);
    void send(Watcher &w, const QByteArray &frame);
    void handle(Watcher &w, const watch::Frame &frame);
    Watcher *find(QLocalSocket *socket);
    void drop(QLocalSocket *socket);

    Pool &m_pool;
    watch::Hello m_hello;
    std::vector<std::unique_ptr<Watcher>> m_watchers;
    std::deque<Recent> m_recent;
    qsizetype m_recentBytes = 0;
    quint64 m_lastSeq = 0; // of the latest event published
    bool m_everWatched = false; // events are kept (m_recent) once a watcher has come
};

// Applies a watcher's command to the pool (also what `shoal ctl`'s lines map to).
void applyCommand(Pool &pool, const watch::Command &command);

} // namespace shoal
