#include "controlserver.h"

#include "eventjson.h"
#include "pool.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>

#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

QByteArray reply(bool ok, const QJsonObject &extra = {}, const QString &error = {})
{
    QJsonObject o = extra;
    o[u"ok"_s] = ok;
    if (!ok)
        o[u"error"_s] = error;
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

bool peerIsOwner(qintptr fd)
{
    ucred cred {};
    socklen_t len = sizeof cred;
    return getsockopt(int(fd), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == getuid();
}

} // namespace

ControlServer::ControlServer(Pool &pool, QObject *parent)
    : QObject(parent), m_pool(pool), m_server(new QLocalServer(this))
{
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    connect(m_server, &QLocalServer::newConnection, this, &ControlServer::onNewConnection);
}

ControlServer::~ControlServer()
{
    m_server->close(); // removes the socket file
}

bool ControlServer::listen(const QString &path, QString *error)
{
    m_path = path;
    if (QFile::exists(path)) {
        // Refuse to take over a live server; remove a stale socket left by a killed run.
        QLocalSocket probe;
        probe.connectToServer(path);
        if (probe.waitForConnected(200)) {
            *error = u"the control socket '%1' is in use by another run"_s.arg(path);
            return false;
        }
        QLocalServer::removeServer(path);
    }
    if (!m_server->listen(path)) {
        *error = u"cannot listen on the control socket '%1': %2"_s.arg(path, m_server->errorString());
        return false;
    }
    QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);
    return true;
}

void ControlServer::onNewConnection()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        if (!peerIsOwner(socket->socketDescriptor())) {
            socket->write(reply(false, {}, u"permission denied: the control socket accepts only its owner"_s));
            socket->disconnectFromServer();
            continue;
        }
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        if (socket->bytesAvailable())
            onReadyRead(socket);
    }
}

void ControlServer::onReadyRead(QLocalSocket *socket)
{
    while (socket->canReadLine()) {
        // readLine(n) returns at most n - 1 bytes: a longer line comes back without its newline.
        const QByteArray line = socket->readLine(kMaxRequestBytes + 1);
        if (!line.endsWith('\n')) {
            socket->write(reply(false, {}, u"request too long (at most %1 bytes)"_s.arg(kMaxRequestBytes)));
            socket->disconnectFromServer();
            return;
        }
        socket->write(handle(line.trimmed()));
    }
    if (socket->bytesAvailable() > kMaxRequestBytes) {
        socket->write(reply(false, {}, u"request too long (at most %1 bytes)"_s.arg(kMaxRequestBytes)));
        socket->disconnectFromServer();
    }
}

QByteArray ControlServer::handle(const QByteArray &request)
{
    const QStringList words = QString::fromUtf8(request).split(u' ', Qt::SkipEmptyParts);
    const QString command = words.value(0);
    if (command == u"pause"_s && words.size() == 1) {
        m_pool.pause();
    } else if (command == u"resume"_s && words.size() == 1) {
        m_pool.resume();
    } else if (command == u"cancel"_s && words.size() == 1) {
        m_pool.cancelAll();
    } else if (command == u"resize"_s && (words.size() == 2 || words.size() == 3)) {
        bool ok = false;
        const int n = words[1].toInt(&ok);
        if (!ok || n < 0)
            return reply(false, {}, u"resize needs a worker count of 0 or more, not '%1'"_s.arg(words[1]));
        DrainPolicy policy = DrainPolicy::Finish;
        if (words.size() == 3) {
            if (!parseDrainPolicy(words[2], &policy))
                return reply(false, {}, u"unknown drain policy '%1' (finish, requeue or pause)"_s.arg(words[2]));
            m_pool.resizeWith(n, policy);
        } else {
            m_pool.resize(n);
        }
    } else if (command == u"status"_s && words.size() == 1) {
        // fall through to the status reply
    } else {
        return reply(false, {}, u"unknown request '%1' (pause, resume, resize N [finish|requeue|pause], "
                                "cancel, status)"_s.arg(QString::fromUtf8(request.left(200))));
    }
    const PoolSnapshot snap = m_pool.snapshot();
    QJsonArray workers;
    for (const WorkerInfo &w : snap.workers)
        workers.append(toJson(w));
    return reply(true, { { u"stats"_s, toJson(snap.stats) }, { u"workers"_s, workers } });
}

int runCtl(const QStringList &args)
{
    if (args.size() < 2) {
        std::fprintf(stderr, "usage: shoal ctl SOCKET pause|resume|resize N [finish|requeue|pause]|cancel|status\n");
        return 255;
    }
    QLocalSocket socket;
    socket.connectToServer(args[0]);
    if (!socket.waitForConnected(5000)) {
        std::fprintf(stderr, "shoal ctl: cannot connect to '%s': %s\n", qPrintable(args[0]),
                     qPrintable(socket.errorString()));
        return 255;
    }
    socket.write(args.mid(1).join(u' ').toUtf8() + '\n');
    socket.flush();
    while (!socket.canReadLine()) {
        if (!socket.waitForReadyRead(10000)) {
            std::fprintf(stderr, "shoal ctl: no answer from '%s'\n", qPrintable(args[0]));
            return 255;
        }
    }
    const QJsonObject answer = QJsonDocument::fromJson(socket.readLine()).object();
    if (!answer.value(u"ok"_s).toBool()) {
        std::fprintf(stderr, "shoal ctl: %s\n", qPrintable(answer.value(u"error"_s).toString()));
        return 255;
    }
    if (args[1] == u"status"_s) {
        std::fputs(QJsonDocument(answer).toJson(QJsonDocument::Indented).constData(), stdout);
    } else {
        const QJsonObject s = answer.value(u"stats"_s).toObject();
        std::printf("ok: %s, %d workers, %lld queued, %lld running, %lld done\n",
                    s.value(u"paused"_s).toBool() ? "paused" : "running", s.value(u"workers"_s).toInt(),
                    qint64(s.value(u"queued"_s).toDouble()), qint64(s.value(u"running"_s).toDouble()),
                    qint64(s.value(u"succeeded"_s).toDouble() + s.value(u"failed"_s).toDouble()));
    }
    return 0;
}

} // namespace shoal
