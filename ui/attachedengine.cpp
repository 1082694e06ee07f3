#include "attachedengine.h"

#include "commandtemplate.h"

#include <QDir>
#include <QLocalSocket>
#include <QProcess>
#include <QUrl>

#include <algorithm>
#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

using namespace watch;

Result<AttachTarget> AttachTarget::parse(const QString &text)
{
    AttachTarget t;
    if (text.isEmpty())
        return Error { u"attach needs the path of a batch's control socket"_s };
    if (!text.startsWith(u"ssh://"_s)) {
        t.socketPath = QDir::current().absoluteFilePath(text);
        return t;
    }
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty())
        return Error { u"'%1' is not an ssh://[USER@]HOST[:PORT]/PATH address"_s.arg(text) };
    if (url.path().size() < 2 || !url.path().startsWith(u'/'))
        return Error { u"'%1' names no socket: the path after the host is the socket's, e.g. "
                       "ssh://server/run/user/1000/shoal/1234.sock"_s.arg(text) };
    if (url.userName().startsWith(u'-') || url.host().startsWith(u'-'))
        return Error { u"'%1': a user or host name cannot start with '-'"_s.arg(text) };
    t.sshHost = url.userName().isEmpty() ? url.host() : url.userName() + u'@' + url.host();
    t.sshPort = url.port(0);
    t.socketPath = url.path();
    return t;
}

QString AttachTarget::display() const
{
    if (sshHost.isEmpty())
        return socketPath;
    return u"ssh://%1%2%3"_s.arg(sshHost, sshPort ? u":%1"_s.arg(sshPort) : QString(), socketPath);
}

QStringList AttachTarget::transportArgv() const
{
    QStringList argv = sshCommand;
    if (sshPort)
        argv << u"-p"_s << QString::number(sshPort);
    // ssh hands the far side one command line, read by its shell.
    argv << sshHost << u"%1 ctl %2 relay"_s.arg(shellQuote(remoteShoal), shellQuote(socketPath));
    return argv;
}

AttachedEngine::AttachedEngine(AttachTarget target, QObject *parent)
    : EngineClient(parent)
    , m_target(std::move(target))
{
    // A link that never says hello (a hung ssh, a stopped engine) ends, and says why.
    m_helloTimer.setSingleShot(true);
    m_helloTimer.setInterval(kHelloTimeoutMs);
    connect(&m_helloTimer, &QTimer::timeout, this, [this] {
        onLinkEnded(tr("no answer from %1 within %2 s")
                        .arg(m_target.display())
                        .arg(kHelloTimeoutMs / 1000));
    });
}

AttachedEngine::~AttachedEngine()
{
    dropLink();
}

BatchSpec AttachedEngine::spec() const
{
    BatchSpec s;
    s.name = m_hello.name;
    s.command = m_hello.command;
    if (m_hello.service)
        s.service.program = QStringList { m_hello.name };
    s.attempts = m_hello.attempts;
    s.drain = m_hello.drain;
    return s;
}

void AttachedEngine::open()
{
    if (m_device || m_closed)
        return;
    connectLink();
}

void AttachedEngine::reconnect()
{
    if (m_closed || !m_opened || (m_device && m_helloSeen))
        return; // linked: nothing to do (a link still waiting for its Hello is dropped)
    dropLink();
    connectLink();
}

void AttachedEngine::close()
{
    if (m_closed)
        return;
    m_closed = true;
    dropLink(); // detaches: the batch runs on
    QMetaObject::invokeMethod(this, &EngineClient::closed, Qt::QueuedConnection);
}

void AttachedEngine::connectLink()
{
    m_lost = false;
    m_helloSeen = false;
    m_resyncing = false;
    m_helloTimer.start();
    m_reader = watch::FrameReader();
    // Going on after the last event applied, when it is the same run; else a snapshot.
    const QByteArray watchLine = m_opened
        ? "watch " + QByteArray::number(m_lastSeq) + ' ' + QByteArray::number(m_hello.pid) + '\n'
        : QByteArray("watch\n");
    if (m_target.sshHost.isEmpty()) {
        m_socket = new QLocalSocket(this);
        m_device = m_socket;
        connect(m_socket, &QLocalSocket::connected, this,
                [this, watchLine] { m_socket->write(watchLine); });
        connect(m_socket, &QLocalSocket::readyRead, this, &AttachedEngine::onReadable);
        connect(m_socket, &QLocalSocket::disconnected, this,
                [this] { onLinkEnded(tr("the batch's control socket closed")); });
        connect(m_socket, &QLocalSocket::errorOccurred, this, [this] {
            onLinkEnded(
                tr("cannot reach '%1': %2").arg(m_target.socketPath, m_socket->errorString()));
        });
        m_socket->connectToServer(m_target.socketPath);
        return;
    }
    m_ssh = new QProcess(this);
    m_device = m_ssh;
    m_sshErrors.clear();
    const QStringList argv = m_target.transportArgv();
    m_ssh->setProgram(argv.front());
    m_ssh->setArguments(argv.mid(1));
    connect(m_ssh, &QProcess::readyReadStandardOutput, this, &AttachedEngine::onReadable);
    connect(m_ssh, &QProcess::readyReadStandardError, this, [this] {
        m_sshErrors = QByteArray(m_sshErrors + m_ssh->readAllStandardError()).right(4096);
    });
    connect(m_ssh, &QProcess::finished, this, [this](int code) {
        m_sshErrors += m_ssh->readAllStandardError();
        const QString said = QString::fromUtf8(m_sshErrors).trimmed().section(u'\n', -1);
        onLinkEnded(said.isEmpty()
                        ? tr("%1 exited (status %2)").arg(m_target.sshCommand.front()).arg(code)
                        : said);
    });
    connect(m_ssh, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            onLinkEnded(tr("cannot start '%1': %2").arg(m_ssh->program(), m_ssh->errorString()));
    });
    m_ssh->start();
    m_ssh->write(watchLine);
}

void AttachedEngine::dropLink()
{
    if (m_socket) {
        disconnect(m_socket, nullptr, this, nullptr);
        m_socket->abort();
        m_socket->deleteLater();
    }
    if (m_ssh) {
        disconnect(m_ssh, nullptr, this, nullptr);
        if (m_ssh->state() == QProcess::NotRunning) {
            m_ssh->deleteLater();
        } else {
            // Reaped when it has ended: never a blocking wait in QProcess's destructor.
            m_ssh->setParent(nullptr);
            connect(m_ssh, &QProcess::finished, m_ssh, &QObject::deleteLater);
            m_ssh->kill();
        }
    }
    m_socket = nullptr;
    m_ssh = nullptr;
    m_device = nullptr;
    m_helloSeen = false;
    m_helloTimer.stop();
}

void AttachedEngine::onLinkEnded(const QString &reason)
{
    if (m_closed || !m_device)
        return;
    // What arrived before the end still counts (the batch's last events).
    QIODevice *ended = m_device;
    onReadable();
    if (m_device != ended)
        return; // onReadable ended it already
    dropLink();
    fail(reason);
}

// The link ended (dropLink done): before opened, the attach failed; after, the link is lost.
void AttachedEngine::fail(const QString &reason)
{
    if (!m_opened) {
        Q_EMIT failed(reason);
    } else if (!std::exchange(m_lost, true)) {
        Q_EMIT linkLost(reason);
    }
}

void AttachedEngine::onReadable()
{
    if (!m_device)
        return;
    if (!m_device->isOpen())
        return;
    m_reader.append(m_ssh ? m_ssh->readAllStandardOutput() : m_device->readAll());
    Frame frame;
    while (m_device) {
        auto got = m_reader.next(&frame);
        if (!got) {
            dropLink();
            fail(tr("the batch's engine sent %1").arg(got.error()));
            return;
        }
        if (!*got)
            return;
        onFrame(frame);
    }
}

void AttachedEngine::onFrame(Frame &frame)
{
    if (auto *h = std::get_if<Hello>(&frame)) {
        if (h->protocol != kProtocol) {
            const QString reason
                = tr("the batch runs Shoal %1 (watch protocol %2); this is Shoal %3 (protocol %4)")
                      .arg(h->version)
                      .arg(h->protocol)
                      .arg(QStringLiteral(SHOAL_VERSION))
                      .arg(kProtocol);
            dropLink();
            fail(reason);
            return;
        }
        m_hello = std::move(*h);
        m_helloSeen = true;
        m_helloTimer.stop();
        if (m_opened)
            Q_EMIT relinked(); // the missed events, or a snapshot, follow
    } else if (!m_helloSeen) {
        dropLink();
        fail(tr("the batch's engine did not start with its Hello"));
    } else if (auto *s = std::get_if<Snapshot>(&frame)) {
        if (s->request != 0) {
            Q_EMIT snapshotReady(s->request, s->snapshot);
            return;
        }
        m_lastSeq = s->snapshot.seq;
        m_resyncing = false;
        if (!std::exchange(m_opened, true))
            Q_EMIT opened(s->snapshot);
        else
            Q_EMIT resynced(s->snapshot);
    } else if (auto *e = std::get_if<Events>(&frame)) {
        if (!m_opened || e->events.isEmpty())
            return;
        if (m_resyncing)
            return; // a snapshot replaces what these would have changed
        if (e->events.front().seq > m_lastSeq + 1) {
            // A gap (the engine never sends one): a fresh snapshot, on the same link (pending
            // requests still get their answers).
            m_resyncing = true;
            send(Request { 0, Request::Kind::Snapshot, {}, 0 });
            return;
        }
        m_lastSeq = std::max(m_lastSeq, e->events.back().seq);
        Q_EMIT eventsReady(e->events);
    } else if (auto *d = std::get_if<Details>(&frame)) {
        Q_EMIT taskDetailsReady(d->request, d->details);
    } else if (auto *c = std::get_if<Commands>(&frame)) {
        Q_EMIT commandsReady(c->request, c->commands);
    }
}

void AttachedEngine::send(const Frame &frame)
{
    if (!m_device || !m_helloSeen)
        return; // no link: nothing to ask (what the window shows says so)
    QByteArray bytes;
    encode(frame, bytes);
    m_device->write(bytes);
}

void AttachedEngine::command(Command::Verb verb, qint64 value, DrainPolicy policy)
{
    send(Command { verb, value, policy, {} });
}

quint64 AttachedEngine::request(Request::Kind kind, QList<qint64> ids, int workerSlot)
{
    const quint64 id = nextRequest();
    send(Request { id, kind, std::move(ids), workerSlot });
    return id;
}

void AttachedEngine::pause()
{
    command(Command::Verb::Pause);
}
void AttachedEngine::resume()
{
    command(Command::Verb::Resume);
}
void AttachedEngine::resize(int workers, DrainPolicy policy)
{
    command(Command::Verb::Resize, workers, policy);
}
void AttachedEngine::resizeHost(const QString &host, int workers, DrainPolicy policy)
{
    send(Command { Command::Verb::ResizeHost, workers, policy, host });
}
void AttachedEngine::pauseWorker(int slot)
{
    command(Command::Verb::PauseWorker, slot);
}
void AttachedEngine::resumeWorker(int slot)
{
    command(Command::Verb::ResumeWorker, slot);
}
void AttachedEngine::cancelWorkerTask(int slot)
{
    command(Command::Verb::CancelWorkerTask, slot);
}
void AttachedEngine::cancelTask(TaskId id)
{
    command(Command::Verb::CancelTask, id);
}
void AttachedEngine::retryTask(TaskId id)
{
    command(Command::Verb::RetryTask, id);
}
void AttachedEngine::cancelAll()
{
    command(Command::Verb::CancelAll);
}
void AttachedEngine::retryFailed()
{
    command(Command::Verb::RetryFailed);
}

quint64 AttachedEngine::requestTaskDetails(TaskId id, int workerSlot)
{
    return request(Request::Kind::Details, { id }, workerSlot);
}

quint64 AttachedEngine::requestCommands(const QList<TaskId> &ids)
{
    return request(Request::Kind::Commands, ids);
}

quint64 AttachedEngine::requestSnapshot()
{
    return request(Request::Kind::Snapshot);
}

} // namespace shoal
