#pragma once

#include <QObject>
#include <QString>

class QLocalServer;
class QLocalSocket;

namespace shoal {

class Pool;

// `shoal run --control SOCKET`: a Unix socket (mode 0600, peer uid checked) through which
// `shoal ctl` steers the running pool. One request line in, one JSON line out.
class ControlServer : public QObject
{
    Q_OBJECT
public:
    ControlServer(Pool &pool, QObject *parent = nullptr);
    ~ControlServer() override;
    bool listen(const QString &path, QString *error);

    static constexpr qsizetype kMaxRequestBytes = 4096;

private:
    void onNewConnection();
    void onReadyRead(QLocalSocket *socket);
    QByteArray handle(const QByteArray &request);

    Pool &m_pool;
    QLocalServer *m_server;
    QString m_path;
};

// `shoal ctl SOCKET COMMAND...`
int runCtl(const QStringList &args);

} // namespace shoal
