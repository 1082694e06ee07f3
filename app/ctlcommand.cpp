#include "ctlcommand.h"

#include "controlserver.h"
#include "fileio.h"
#include "humanformat.h"
#include "runningbatches.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

// stdin to the socket and the socket to stdout, until the socket ends: the far end of
// `shoal attach ssh://HOST/SOCKET`. The end of stdin (ssh gone) ends the connection.
int relay(const QString &path)
{
    const QByteArray target = QFile::encodeName(path);
    sockaddr_un addr {};
    if (size_t(target.size()) >= sizeof addr.sun_path) {
        std::fprintf(stderr, "shoal ctl: the socket path '%s' is too long\n", qPrintable(path));
        return 255;
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const FdCloser closer { fd };
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, target.constData(), size_t(target.size()));
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0) {
        std::fprintf(stderr, "shoal ctl: cannot connect to '%s': %s\n", qPrintable(path),
                     std::strerror(errno));
        return 255;
    }
    ::signal(SIGPIPE, SIG_IGN); // a reader gone is a write error, ended below, not a kill
    pollfd fds[2] = { { 0, POLLIN, 0 }, { fd, POLLIN, 0 } };
    char buffer[64 * 1024];
    while (true) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 255;
        }
        if (fds[1].revents) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0)
                return n == 0 ? 0 : 255; // the batch's end (or its socket's)
            if (!writeAll(1, QByteArrayView(buffer, n)))
                return 255; // nobody reads any more
        }
        if (fds[0].revents) {
            const ssize_t n = ::read(0, buffer, sizeof buffer);
            if (n <= 0)
                return 0; // the watcher left
            if (!writeAll(fd, QByteArrayView(buffer, n)))
                return 255;
        }
    }
}

QString statusLine(const RunningBatch &b)
{
    QString line
        = u"%1  %2/%3 done  %4 running  %5 failed  %6 workers"_s.arg(b.percentDone(u"0%"_s))
              .arg(b.ended)
              .arg(b.total)
              .arg(b.running)
              .arg(b.failed)
              .arg(b.workers);
    if (b.throughput > 0)
        line += u"  %1/s"_s.arg(b.throughput, 0, 'f', 1);
    if (b.etaSeconds >= 0 && b.ended < b.total)
        line += u"  ETA %1"_s.arg(formatClock(b.etaSeconds));
    if (b.paused)
        line += u"  PAUSED"_s;
    return line;
}

// A live one-line status, once a second, until the batch ends.
int watchStatus(const QString &path)
{
    const bool tty = ::isatty(1);
    bool seen = false;
    while (true) {
        const auto b = batchStatus(path, 5000);
        if (!b) {
            if (!seen) {
                std::fprintf(stderr, "shoal ctl: no batch answers on '%s'\n", qPrintable(path));
                return 255;
            }
            std::printf(tty ? "\n%s: ended\n" : "%s: ended\n", qPrintable(path));
            return 0;
        }
        seen = true;
        const QString line = u"%1: %2"_s.arg(b->name, statusLine(*b));
        std::printf(tty ? "\r\33[K%s" : "%s\n", qPrintable(line));
        std::fflush(stdout);
        ::usleep(1000 * 1000);
    }
}

} // namespace

int runCtl(const QStringList &args)
{
    if (args.size() < 2) {
        std::fprintf(stderr,
                     "usage: shoal ctl SOCKET pause|resume|resize N [finish|requeue|pause]|"
                     "resize-host HOST N [finish|requeue|pause]|cancel|status|watch|relay\n");
        return 255;
    }
    if (args.size() == 2 && args[1] == u"relay"_s)
        return relay(absoluteControlPath(args[0]));
    if (args.size() == 2 && args[1] == u"watch"_s)
        return watchStatus(absoluteControlPath(args[0]));
    QLocalSocket socket;
    socket.connectToServer(absoluteControlPath(args[0]));
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
                    s.value(u"paused"_s).toBool() ? "paused" : "running",
                    s.value(u"workers"_s).toInt(), qint64(s.value(u"queued"_s).toDouble()),
                    qint64(s.value(u"running"_s).toDouble()),
                    qint64(s.value(u"succeeded"_s).toDouble() + s.value(u"failed"_s).toDouble()));
    }
    return 0;
}

int runPs(const QStringList &args)
{
    if (!args.isEmpty()) {
        std::fprintf(stderr, "usage: shoal ps\n");
        return 255;
    }
    auto folder = controlFolder();
    if (!folder) {
        std::fprintf(stderr, "shoal ps: %s\n", qPrintable(folder.error()));
        return 255;
    }
    const std::vector<RunningBatch> batches = listRunningBatches();
    if (batches.empty()) {
        std::fprintf(stderr, "shoal ps: no running batches (control sockets in %s)\n",
                     qPrintable(*folder));
        return 0;
    }
    std::printf("%-8s %-16s %-9s %-7s %-40s %s\n", "PID", "HOST", "DONE", "WORKERS", "NAME",
                "SOCKET");
    for (const RunningBatch &b : batches) {
        const QString done = b.percentDone(u"-"_s);
        std::printf("%-8lld %-16s %-9s %-7d %-40s %s\n", b.pid, qPrintable(b.host),
                    qPrintable(done + (b.paused ? u" P"_s : QString())), b.workers,
                    qPrintable(b.name.left(40)), qPrintable(b.socket));
    }
    return 0;
}

} // namespace shoal
