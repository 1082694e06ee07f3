#pragma once

#include "backgroundrun.h"
#include "batchfile.h"
#include "engineclient.h"
#include "enginefeed.h"
#include "inputlist.h"

#include <QObject>

#include <memory>
#include <optional>

namespace shoal {

class AttachedEngine;

// One batch the window runs: its spec, the engine client that runs it and the feed that turns
// the engine's events into frames. Nothing here waits on the engine: commands and reads go
// through engine(), and what the session knows of the pool (stats, running or not) is what the
// latest frame said.
class BatchSession : public QObject
{
    Q_OBJECT
public:
    BatchSession(BatchSpec spec, QString filePath, QObject *parent = nullptr);
    // A batch that runs elsewhere, watched through its control socket: open() attaches,
    // close() detaches (the batch runs on), and its spec is what its engine says.
    explicit BatchSession(std::unique_ptr<AttachedEngine> engine, QObject *parent = nullptr);
    ~BatchSession() override; // waits for the engine only if close() was never called

    // Prepares the spec and the engine that will run it (an error: nothing starts).
    Result<void> prepare();
    // Opens the prepared engine: started (with the state to render first) or failed follows.
    void open();
    Result<void> start(); // prepare(), then open()
    bool hasOpened() const { return m_opened; }
    bool hasStarted() const { return m_started; } // started has been delivered
    // Ends the batch: its running tasks get their stop sequence in the engine; closed() follows.
    void close();
    bool isClosed() const;

    const BatchSpec &spec() const { return m_spec; }
    QString filePath() const { return m_filePath; }
    QString displayName() const;
    EngineFeed *feed() { return &m_feed; }
    EngineClient *engine() const { return m_engine.get(); }
    qint64 wallStartMs() const { return m_wallStartMs; } // the pool clock's zero, epoch ms

    // As of the latest frame.
    PoolStats stats() const { return m_stats; }
    bool isRunning() const; // started, not closed, and some task is not terminal
    AttachedEngine *attachedEngine() const { return m_attached; } // null for a batch run here
    // Attached to a batch this window started in the background (its files, its pid).
    const std::optional<BackgroundRun> &backgroundRun() const { return m_background; }
    void setBackgroundRun(BackgroundRun run) { m_background = std::move(run); }

Q_SIGNALS:
    void started(const shoal::PoolSnapshot &snapshot);
    void failed(const QString &error);
    void closed();
    void linkLost(const QString &reason); // attached: the link ended; what was shown stays
    void resynced(const shoal::PoolSnapshot &snapshot); // render this instead of what was shown

private:
    void wire();

    BatchSpec m_spec;
    QString m_filePath;
    std::unique_ptr<EngineClient> m_engine;
    AttachedEngine *m_attached = nullptr; // m_engine, when attached
    std::optional<BackgroundRun> m_background;
    EngineFeed m_feed;
    PoolStats m_stats;
    qint64 m_wallStartMs = 0;
    bool m_opened = false;
    bool m_started = false;
    bool m_closing = false;
};

} // namespace shoal
