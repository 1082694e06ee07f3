#pragma once

#include "watchprotocol.h"

#include <QObject>
#include <QString>

#include <sys/types.h>

class QLocalServer;
class QLocalSocket;

namespace shoal {

class Pool;
class WatchServer;

// `shoal run --control SOCKET`: a Unix socket (mode 0600, peer uid checked) through which
// `shoal ctl` steers the running pool. One request line in, one JSON line out; or the line
// "watch [SEQ PID]", after which the connection speaks the watch protocol (WatchServer,
// `shoal attach`). Only a stale socket (nobody answers) at SOCKET is replaced; anything else
// there is an error.
class ControlServer : public QObject
{
    Q_OBJECT
public:
    // hello: what watchers (`shoal attach`) are told the batch is.
    ControlServer(Pool &pool, watch::Hello hello, QObject *parent = nullptr);
    ~ControlServer() override;
    bool listen(const QString &path, QString *error);

    static constexpr qsizetype kMaxRequestBytes = 4096;
    // sockaddr_un::sun_path holds the path and its terminating NUL.
    static constexpr qsizetype kMaxSocketPathBytes = 107;

private:
    bool clearStaleSocket(const QByteArray &target, QString *error);
    void onNewConnection();
    void onReadyRead(QLocalSocket *socket);
    QByteArray handle(const QByteArray &request);
    void watch(QLocalSocket *socket, const QByteArray &request);

    Pool &m_pool;
    QLocalServer *m_server;
    WatchServer *m_watch;
    QString m_path; // absolute
    dev_t m_socketDev = 0;
    ino_t m_socketIno = 0; // of the socket this run created; 0 before listen() succeeds
};

// The absolute path a `--control` or `shoal ctl` SOCKET argument names: relative to the current
// directory (never /tmp, as a bare QLocalServer name would be).
QString absoluteControlPath(const QString &path);

} // namespace shoal
