#include "runningbatches.h"

#include "fileio.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <cerrno>
#include <cstring>
#include <optional>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

Result<QString> controlFolder()
{
    const QByteArray runtime = qgetenv("XDG_RUNTIME_DIR");
    const QString folder = !runtime.isEmpty() && runtime.startsWith('/')
        ? QFile::decodeName(runtime) + u"/shoal"_s
        : u"/tmp/shoal-%1"_s.arg(::getuid());
    const QByteArray path = QFile::encodeName(folder);
    if (::mkdir(path.constData(), 0700) != 0 && errno != EEXIST)
        return Error { u"cannot create the folder of control sockets '%1': %2"_s.arg(
            folder, errnoText(errno)) };
    struct stat st = {};
    if (::lstat(path.constData(), &st) != 0)
        return Error { u"cannot use '%1': %2"_s.arg(folder, errnoText(errno)) };
    if (!S_ISDIR(st.st_mode))
        return Error { u"'%1' is not a folder (a symbolic link?): refusing to put control "
                       "sockets there"_s.arg(folder) };
    if (st.st_uid != ::getuid() || (st.st_mode & 077) != 0)
        return Error { u"'%1' belongs to another user or is open to others: refusing to put "
                       "control sockets there"_s.arg(folder) };
    return folder;
}

Result<QString> defaultControlPath()
{
    auto folder = controlFolder();
    if (!folder)
        return folder;
    return u"%1/%2.sock"_s.arg(*folder).arg(::getpid());
}

int probeSocket(const QByteArray &path)
{
    sockaddr_un addr {};
    if (size_t(path.size()) >= sizeof addr.sun_path)
        return ENAMETOOLONG;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return errno;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.constData(), size_t(path.size()));
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr);
    const int err = errno;
    ::close(fd);
    // EAGAIN: a listener whose backlog is full is alive all the same.
    return rc == 0 || err == EAGAIN || err == EINPROGRESS ? 0 : err;
}

namespace {

// The socket at path, removed if it is still the same one nobody listens on.
void removeStale(const QByteArray &path, const struct stat &seen)
{
    struct stat now = {};
    if (::lstat(path.constData(), &now) == 0 && S_ISSOCK(now.st_mode) && now.st_dev == seen.st_dev
        && now.st_ino == seen.st_ino && probeSocket(path) == ECONNREFUSED)
        ::unlink(path.constData());
}

} // namespace

// One request line, one answer line, on a socket whose reads and writes time out.
QByteArray askControlSocket(const QByteArray &path, const QByteArray &request, int timeoutMs)
{
    sockaddr_un addr {};
    if (size_t(path.size()) >= sizeof addr.sun_path)
        return {};
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return {};
    const FdCloser closer { fd };
    const timeval tv { timeoutMs / 1000, (timeoutMs % 1000) * 1000 };
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.constData(), size_t(path.size()));
    if (::connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0
        || !writeAll(fd, request))
        return {};
    QByteArray answer;
    char buffer[4096];
    while (!answer.contains('\n') && answer.size() < (1 << 20)) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0)
            return {};
        answer.append(buffer, n);
    }
    return answer.left(answer.indexOf('\n'));
}

std::optional<RunningBatch> batchStatus(const QString &path, int timeoutMs)
{
    const QJsonObject answer
        = QJsonDocument::fromJson(askControlSocket(QFile::encodeName(path), "status\n", timeoutMs))
              .object();
    if (!answer.value(u"ok"_s).toBool())
        return std::nullopt;
    const QJsonObject stats = answer.value(u"stats"_s).toObject();
    const QJsonObject batch = answer.value(u"batch"_s).toObject();
    RunningBatch b;
    b.socket = path;
    b.name = batch.value(u"name"_s).toString();
    b.host = batch.value(u"host"_s).toString();
    b.pid = qint64(batch.value(u"pid"_s).toDouble());
    const auto count = [&stats](const char16_t *key) {
        return qint64(stats.value(QStringView(key)).toDouble());
    };
    b.total = count(u"total");
    b.running = count(u"running");
    b.failed = count(u"failed");
    b.ended = count(u"succeeded") + b.failed + count(u"cancelled");
    b.workers = stats.value(u"workers"_s).toInt();
    b.paused = stats.value(u"paused"_s).toBool();
    b.throughput = stats.value(u"throughput"_s).toDouble();
    b.etaSeconds = stats.value(u"etaSeconds"_s).toDouble(-1);
    return b;
}

std::vector<RunningBatch> listRunningBatches(int timeoutMs)
{
    std::vector<RunningBatch> found;
    auto folder = controlFolder();
    if (!folder)
        return found;
    const QStringList names = QDir(*folder).entryList({ u"*.sock"_s }, QDir::System, QDir::Name);
    for (const QString &name : names) {
        const QString path = *folder + u'/' + name;
        const QByteArray encoded = QFile::encodeName(path);
        struct stat st = {};
        if (::lstat(encoded.constData(), &st) != 0 || !S_ISSOCK(st.st_mode))
            continue;
        if (probeSocket(encoded) == ECONNREFUSED) {
            removeStale(encoded, st);
            continue;
        }
        if (auto batch = batchStatus(path, timeoutMs))
            found.push_back(std::move(*batch));
    }
    return found;
}

} // namespace shoal
