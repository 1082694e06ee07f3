#include "controlserver.h"

#include "eventjson.h"
#include "fileio.h"
#include "pool.h"
#include "runningbatches.h"
#include "watchserver.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

static_assert(ControlServer::kMaxSocketPathBytes == sizeof(sockaddr_un::sun_path) - 1);

namespace {

QByteArray reply(bool ok, const QJsonObject &extra = {}, const QString &error = {})
{
    QJsonObject o = extra;
    o[u"ok"_s] = ok;
    if (!ok)
        o[u"error"_s] = error;
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

// "N [finish|requeue|pause]" after resize or resize-host: an Error names the word at fault.
Result<std::pair<int, DrainPolicy>> parseResize(const QString &command, const QStringList &words,
                                                DrainPolicy policy)
{
    bool ok = false;
    const int n = words[0].toInt(&ok);
    if (!ok || n < 0)
        return Error { u"%1 needs a worker count of 0 or more, not '%2'"_s.arg(command, words[0]) };
    if (words.size() == 2 && !parseDrainPolicy(words[1], &policy))
        return Error { u"unknown drain policy '%1' (finish, requeue or pause)"_s.arg(words[1]) };
    return std::pair { n, policy };
}

bool peerIsOwner(qintptr fd)
{
    ucred cred {};
    socklen_t len = sizeof cred;
    return getsockopt(int(fd), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == getuid();
}

} // namespace

ControlServer::ControlServer(Pool &pool, watch::Hello hello, QObject *parent)
    : QObject(parent)
    , m_pool(pool)
    , m_server(new QLocalServer(this))
    , m_watch(new WatchServer(pool, std::move(hello), this))
{
    connect(m_server, &QLocalServer::newConnection, this, &ControlServer::onNewConnection);
}

ControlServer::~ControlServer()
{
    delete m_watch; // first: its watchers are sent the batch's last events
    m_server->close();
    // Remove the socket only if it is still the one this run made: never whatever took its place.
    struct stat st = {};
    if (m_socketIno != 0 && ::lstat(QFile::encodeName(m_path).constData(), &st) == 0
        && S_ISSOCK(st.st_mode) && st.st_dev == m_socketDev && st.st_ino == m_socketIno)
        ::unlink(QFile::encodeName(m_path).constData());
}

bool ControlServer::listen(const QString &path, QString *error)
{
    m_path = absoluteControlPath(path);
    const QByteArray target = QFile::encodeName(m_path);
    if (target.size() > kMaxSocketPathBytes) {
        *error
            = u"the control socket path '%1' is too long: a Unix socket path has at most %2 bytes"_s
                  .arg(m_path)
                  .arg(kMaxSocketPathBytes);
        return false;
    }
    const qsizetype slash = target.lastIndexOf('/');
    const QByteArray folder = slash == 0 ? QByteArray("/") : target.left(slash);
    struct stat st = {};
    QString folderProblem;
    if (::stat(folder.constData(), &st) != 0)
        folderProblem
            = errno == ENOENT || errno == ENOTDIR ? u"does not exist"_s : errnoText(errno);
    else if (!S_ISDIR(st.st_mode))
        folderProblem = u"is not a folder"_s;
    if (!folderProblem.isEmpty()) {
        *error = u"cannot create the control socket '%1': the folder '%2' %3"_s.arg(
            m_path, QFile::decodeName(folder), folderProblem);
        return false;
    }
    if (!clearStaleSocket(target, error))
        return false;

    // Bind in a private folder beside the target, give the socket its mode there, then link it
    // into place: link() fails if anything appeared at the path meanwhile, where a rename (what
    // QLocalServer does) would replace it. The socket is never reachable with a wider mode.
    QByteArray scratch = folder + (folder.endsWith('/') ? "" : "/") + ".shoal-ctl-XXXXXX";
    const QByteArray bound = scratch + "/s";
    if (bound.size() > kMaxSocketPathBytes) {
        *error
            = u"the control socket path '%1' is too long: its folder's path may have at most %2 bytes"_s
                  .arg(m_path)
                  .arg(kMaxSocketPathBytes - (bound.size() - folder.size()));
        return false;
    }
    if (!::mkdtemp(scratch.data())) {
        *error = u"cannot create the control socket '%1': %2"_s.arg(m_path, errnoText(errno));
        return false;
    }
    const QByteArray scratchSocket = scratch + "/s";
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, scratchSocket.constData(), size_t(scratchSocket.size()));
    QString failure;
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0
        || ::chmod(scratchSocket.constData(), 0600) != 0 || ::listen(fd, SOMAXCONN) != 0) {
        failure = errnoText(errno);
    } else if (::link(scratchSocket.constData(), target.constData()) != 0) {
        failure = errno == EEXIST ? u"something else was created at that path meanwhile"_s
                                  : errnoText(errno);
    }
    ::unlink(scratchSocket.constData());
    ::rmdir(scratch.constData());
    if (!failure.isEmpty()) {
        if (fd >= 0)
            ::close(fd);
        *error = u"cannot create the control socket '%1': %2"_s.arg(m_path, failure);
        return false;
    }
    if (::lstat(target.constData(), &st) == 0) {
        m_socketDev = st.st_dev;
        m_socketIno = st.st_ino;
    }
    if (!m_server->listen(qintptr(fd))) {
        *error = u"cannot listen on the control socket '%1': %2"_s.arg(m_path,
                                                                       m_server->errorString());
        return false;
    }
    return true;
}

// What is at the path may go only if it is a socket nobody answers on (left by a killed run).
bool ControlServer::clearStaleSocket(const QByteArray &target, QString *error)
{
    struct stat st = {};
    if (::lstat(target.constData(), &st) != 0) {
        if (errno == ENOENT)
            return true;
        *error = u"cannot check the control socket path '%1': %2"_s.arg(m_path, errnoText(errno));
        return false;
    }
    if (S_ISLNK(st.st_mode)) {
        *error
            = u"the control socket path '%1' is a symbolic link: refusing to follow or remove it"_s
                  .arg(m_path);
        return false;
    }
    if (!S_ISSOCK(st.st_mode)) {
        *error
            = u"'%1' exists and is not a socket: refusing to replace it with the control socket"_s
                  .arg(m_path);
        return false;
    }
    const int err = probeSocket(target);
    if (err == 0) {
        *error = u"another shoal run is listening on the control socket '%1'"_s.arg(m_path);
        return false;
    }
    if (err != ECONNREFUSED) {
        *error = u"cannot tell whether the control socket '%1' is in use: %2"_s.arg(m_path,
                                                                                    errnoText(err));
        return false;
    }
    // Stale. Check again that it is the same socket right before removing it.
    struct stat again = {};
    if (::lstat(target.constData(), &again) == 0
        && (!S_ISSOCK(again.st_mode) || again.st_dev != st.st_dev || again.st_ino != st.st_ino)) {
        *error = u"the control socket path '%1' changed while it was checked"_s.arg(m_path);
        return false;
    }
    if (::unlink(target.constData()) != 0 && errno != ENOENT) {
        *error = u"cannot remove the stale control socket '%1': %2"_s.arg(m_path, errnoText(errno));
        return false;
    }
    return true;
}

QString absoluteControlPath(const QString &path)
{
    // QLocalServer and QLocalSocket take a bare name to mean a file in /tmp; Shoal means the
    // current directory, the same for `run --control` and `ctl`.
    return QDir::current().absoluteFilePath(path);
}

void ControlServer::onNewConnection()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        if (!peerIsOwner(socket->socketDescriptor())) {
            socket->write(reply(false, {},
                                u"permission denied: the control socket accepts only its owner"_s));
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
            socket->write(
                reply(false, {}, u"request too long (at most %1 bytes)"_s.arg(kMaxRequestBytes)));
            socket->disconnectFromServer();
            return;
        }
        const QByteArray request = line.trimmed();
        if (request == "watch" || request.startsWith("watch ")) {
            watch(socket, request);
            return;
        }
        socket->write(handle(request));
    }
    if (socket->bytesAvailable() > kMaxRequestBytes) {
        socket->write(
            reply(false, {}, u"request too long (at most %1 bytes)"_s.arg(kMaxRequestBytes)));
        socket->disconnectFromServer();
    }
}

// "watch": a snapshot first; "watch SEQ PID": after event SEQ of the run PID, when it is this
// run (else, again, a snapshot).
void ControlServer::watch(QLocalSocket *socket, const QByteArray &request)
{
    const QList<QByteArray> words = request.split(' ');
    std::optional<quint64> after;
    bool seqOk = false, pidOk = false;
    const quint64 seq = words.value(1).toULongLong(&seqOk);
    const qint64 pid = words.value(2).toLongLong(&pidOk);
    if (words.size() == 3 && seqOk && pidOk && pid == qint64(::getpid()))
        after = seq;
    m_watch->adopt(socket, after);
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
        auto size = parseResize(command, words.mid(1), m_pool.defaultDrain());
        if (!size)
            return reply(false, {}, size.error());
        m_pool.resizeWith(size->first, size->second);
    } else if (command == u"resize-host"_s && (words.size() == 3 || words.size() == 4)) {
        auto size = parseResize(command, words.mid(2), m_pool.defaultDrain());
        if (!size)
            return reply(false, {}, size.error());
        if (auto resized = m_pool.resizeHost(words[1], size->first, size->second); !resized)
            return reply(false, {}, resized.error());
    } else if (command == u"status"_s && words.size() == 1) {
        // fall through to the status reply
    } else {
        return reply(false, {},
                     u"unknown request '%1' (pause, resume, resize N [finish|requeue|pause], "
                     "resize-host HOST N [finish|requeue|pause], cancel, status, watch)"_s.arg(
                         QString::fromUtf8(request.left(200))));
    }
    const PoolSnapshot snap = m_pool.snapshot();
    QJsonArray workers;
    for (const WorkerInfo &w : snap.workers)
        workers.append(toJson(w));
    const watch::Hello &hello = m_watch->hello();
    const QJsonObject batch { { u"name"_s, hello.name },
                              { u"pid"_s, hello.pid },
                              { u"host"_s, hello.host },
                              { u"socket"_s, m_path } };
    return reply(
        true,
        { { u"stats"_s, toJson(snap.stats) }, { u"workers"_s, workers }, { u"batch"_s, batch } });
}

} // namespace shoal
