#include "batchsession.h"

#include "attachedengine.h"
#include "batchrunner.h"
#include "localengine.h"

#include <QFileInfo>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

BatchSession::BatchSession(BatchSpec spec, QString filePath, QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
    , m_filePath(std::move(filePath))
{
    // First in line: whoever else listens to the feed sees the session already up to date.
    connect(&m_feed, &EngineFeed::frameReady, this, [this](const Frame &frame) {
        if (frame.hasStats)
            m_stats = frame.stats;
    });
}

BatchSession::BatchSession(std::unique_ptr<AttachedEngine> engine, QObject *parent)
    : BatchSession(BatchSpec {}, QString(), parent)
{
    m_attached = engine.get();
    m_engine = std::move(engine);
    wire();
}

BatchSession::~BatchSession()
{
    m_feed.disconnect(); // no frames into a half-destroyed window
    m_engine.reset();
}

QString BatchSession::displayName() const
{
    if (!m_spec.name.isEmpty())
        return m_spec.name;
    if (!m_filePath.isEmpty())
        return QFileInfo(m_filePath).fileName();
    return m_spec.command.join(u' ');
}

Result<void> BatchSession::start()
{
    auto prepared = prepare();
    if (prepared)
        open();
    return prepared;
}

void BatchSession::open()
{
    if (!m_engine || m_opened || m_closing)
        return;
    m_opened = true;
    m_engine->open();
}

Result<void> BatchSession::prepare()
{
    if (m_engine)
        return Error { u"this batch has already started"_s };
    auto prepared = prepareBatch(m_spec, m_filePath);
    if (!prepared)
        return Error { prepared.error() };
    m_engine = std::make_unique<LocalEngine>(std::move(*prepared));
    wire();
    return {};
}

void BatchSession::wire()
{
    connect(m_engine.get(), &EngineClient::eventsReady, &m_feed, &EngineFeed::addEvents);
    connect(m_engine.get(), &EngineClient::opened, this, [this](const PoolSnapshot &snapshot) {
        if (m_attached)
            m_spec = m_attached->spec();
        m_started = true;
        m_stats = snapshot.stats;
        m_wallStartMs = snapshot.wallStartMs;
        m_feed.setSnapshotSeq(snapshot.seq);
        Q_EMIT started(snapshot);
    });
    connect(m_engine.get(), &EngineClient::failed, this, [this](const QString &error) {
        Q_EMIT failed(m_filePath.isEmpty() ? error : u"%1: %2"_s.arg(m_filePath, error));
    });
    connect(m_engine.get(), &EngineClient::closed, this, &BatchSession::closed);
    connect(m_engine.get(), &EngineClient::linkLost, this, &BatchSession::linkLost);
    connect(m_engine.get(), &EngineClient::resynced, this, [this](const PoolSnapshot &snapshot) {
        if (m_attached)
            m_spec = m_attached->spec(); // reconnected to what may be another run at that path
        m_stats = snapshot.stats;
        m_feed.restart(snapshot.seq);
        Q_EMIT resynced(snapshot);
    });
}

void BatchSession::close()
{
    if (m_closing)
        return;
    m_closing = true;
    if (m_engine)
        m_engine->close();
    else
        Q_EMIT closed();
}

bool BatchSession::isClosed() const
{
    return m_closing && (!m_engine || m_engine->isClosed());
}

bool BatchSession::isRunning() const
{
    return m_started && !m_closing && m_stats.ended() < m_stats.total;
}

} // namespace shoal
