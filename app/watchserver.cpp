#include "watchserver.h"

#include "pool.h"

#include <QElapsedTimer>
#include <QLocalSocket>

#include <algorithm>
#include <limits>

namespace shoal {

using namespace watch;

void applyCommand(Pool &pool, const Command &c)
{
    const int value = int(std::clamp<qint64>(c.value, -1, std::numeric_limits<int>::max()));
    switch (c.verb) {
    case Command::Verb::Pause:
        return pool.pause();
    case Command::Verb::Resume:
        return pool.resume();
    case Command::Verb::Resize:
        if (value >= 0)
            pool.resizeWith(value, c.policy);
        return;
    case Command::Verb::PauseWorker:
        return pool.pauseWorker(value);
    case Command::Verb::ResumeWorker:
        return pool.resumeWorker(value);
    case Command::Verb::CancelWorkerTask:
        return pool.cancelWorkerTask(value);
    case Command::Verb::CancelTask:
        return pool.cancelTask(TaskId(c.value));
    case Command::Verb::RetryTask:
        return pool.retryTask(TaskId(c.value));
    case Command::Verb::CancelAll:
        return pool.cancelAll();
    case Command::Verb::RetryFailed:
        return pool.retryFailed();
    case Command::Verb::ResizeHost:
        if (value >= 0)
            (void)pool.resizeHost(c.host, value, c.policy); // an error is the pool's message too
        return;
    }
}

WatchServer::WatchServer(Pool &pool, Hello hello, QObject *parent)
    : QObject(parent)
    , m_pool(pool)
    , m_hello(std::move(hello))
{
    connect(&pool, &Pool::eventsReady, this, &WatchServer::onEvents);
}

WatchServer::~WatchServer()
{
    // The batch's last events (BatchFinished) reach its watchers before the process ends.
    QElapsedTimer clock;
    clock.start();
    for (const auto &w : m_watchers) {
        disconnect(w->socket, nullptr, this, nullptr);
        while (w->socket->bytesToWrite() > 0 && clock.elapsed() < 2000
               && w->socket->waitForBytesWritten(int(2000 - clock.elapsed()))) { }
        w->socket->disconnectFromServer();
    }
}

WatchServer::Watcher *WatchServer::find(QLocalSocket *socket)
{
    for (const auto &w : m_watchers) {
        if (w->socket == socket)
            return w.get();
    }
    return nullptr;
}

void WatchServer::drop(QLocalSocket *socket)
{
    std::erase_if(m_watchers, [socket](const auto &w) { return w->socket == socket; });
    socket->deleteLater();
}

void WatchServer::adopt(QLocalSocket *socket, std::optional<quint64> afterSeq)
{
    disconnect(socket, nullptr, nullptr, nullptr); // the control server's line handling
    socket->setParent(this); // flushed by this object's destructor, not cut by the server's
    auto owned = std::make_unique<Watcher>();
    Watcher &w = *owned;
    w.socket = socket;
    m_watchers.push_back(std::move(owned));
    m_everWatched = true;
    connect(socket, &QLocalSocket::disconnected, this, [this, socket] { drop(socket); });
    connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
        if (Watcher *w = find(socket))
            onReadyRead(*w);
    });
    connect(socket, &QLocalSocket::bytesWritten, this, [this, socket] {
        if (Watcher *w = find(socket))
            onBytesWritten(*w);
    });

    // Resumable when every event after SEQ is kept, or SEQ is the latest.
    const quint64 last = m_recent.empty() ? m_lastSeq : m_recent.back().lastSeq;
    const bool resume = afterSeq && *afterSeq <= last
        && (*afterSeq == last || (!m_recent.empty() && m_recent.front().firstSeq <= *afterSeq + 1));
    Hello hello = m_hello;
    hello.resumed = resume;
    QByteArray frame;
    encode(hello, frame);
    send(w, frame);
    if (!resume) {
        sendSnapshot(w, 0);
    } else {
        for (const Recent &r : m_recent) {
            if (r.lastSeq > *afterSeq)
                send(w, r.frame);
        }
    }
    if (socket->bytesAvailable() > 0)
        onReadyRead(w);
}

void WatchServer::onEvents(const QList<Event> &events)
{
    if (events.isEmpty())
        return;
    m_lastSeq = events.back().seq;
    if (!m_everWatched)
        return; // a run nobody attached to pays nothing
    Recent r;
    r.firstSeq = events.front().seq;
    r.lastSeq = events.back().seq;
    encode(Events { events }, r.frame);
    for (const auto &w : m_watchers) {
        if (!w->behind)
            send(*w, r.frame);
    }
    m_recentBytes += r.frame.size();
    m_recent.push_back(std::move(r));
    while (m_recentBytes > kRecentBytes && m_recent.size() > 1) {
        m_recentBytes -= m_recent.front().frame.size();
        m_recent.pop_front();
    }
}

void WatchServer::send(Watcher &w, const QByteArray &frame)
{
    if (w.behind)
        return; // nothing after a gap: the snapshot comes first
    // A snapshot still being written does not count: it may be larger than the bound itself.
    if (w.socket->bytesToWrite() - w.allowance + frame.size() > kMaxBacklogBytes
        && frame.size() < kMaxBacklogBytes) {
        w.behind = true; // what it has not read yet goes first; then a snapshot
        return;
    }
    w.socket->write(frame);
}

void WatchServer::onBytesWritten(Watcher &w)
{
    w.allowance = std::min(w.allowance, w.socket->bytesToWrite());
    if (w.behind && w.socket->bytesToWrite() == 0) {
        w.behind = false;
        sendSnapshot(w, 0);
    }
}

void WatchServer::sendSnapshot(Watcher &w, quint64 request)
{
    QByteArray frame;
    encode(Snapshot { request, m_pool.snapshot(true) }, frame);
    w.socket->write(frame); // a snapshot always goes: it replaces whatever was skipped
    w.allowance = w.socket->bytesToWrite();
}

void WatchServer::onReadyRead(Watcher &w)
{
    w.reader.append(w.socket->readAll());
    Frame frame;
    while (true) {
        auto got = w.reader.next(&frame);
        if (got && !*got)
            return;
        if (!got
            || !(std::holds_alternative<Command>(frame)
                 || std::holds_alternative<Request>(frame))) {
            w.socket->abort(); // malformed, or a frame only an engine sends (drops w)
            return;
        }
        handle(w, frame);
    }
}

void WatchServer::handle(Watcher &w, const Frame &frame)
{
    if (const auto *c = std::get_if<Command>(&frame)) {
        applyCommand(m_pool, *c);
        return;
    }
    const auto &r = std::get<Request>(frame);
    if (w.socket->bytesToWrite() - w.allowance > kMaxBacklogBytes) {
        w.socket->abort(); // it asks and never reads its answers: not one more byte (drops w)
        return;
    }
    QByteArray out;
    switch (r.kind) {
    case Request::Kind::Details:
        encode(Details { r.request, m_pool.taskDetails(r.ids.value(0, -1), r.workerSlot) }, out);
        break;
    case Request::Kind::Commands:
        encode(Commands { r.request, m_pool.commandsOf(r.ids) }, out);
        break;
    case Request::Kind::Snapshot:
        sendSnapshot(w, r.request);
        return;
    }
    w.socket->write(out);
}

} // namespace shoal
