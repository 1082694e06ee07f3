#pragma once

#include "events.h"
#include "framing.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <variant>

namespace shoal::watch {

// A control socket's watch mode (`shoal attach`): after the request line "watch" (or
// "watch SEQ", to go on after event SEQ), the connection carries frames (framing.h) both ways.
// The engine's side sends Hello, then a Snapshot (or, when it still holds every event after SEQ,
// those events: Hello.resumed), then Events as the engine publishes them, and answers each
// Request with the Request's number. The watcher sends Commands and Requests. A watcher that
// falls behind is sent a fresh Snapshot (request 0) instead of what it missed.
//
// A change that an older peer cannot read bumps kProtocol; both sides refuse another protocol,
// naming both Shoal versions.
inline constexpr quint32 kProtocol = 2; // 2: Command.host (ResizeHost)
inline constexpr quint32 kMaxFrameBytes = 1u << 30; // a snapshot of millions of tasks
inline constexpr quint32 kMaxWatcherFrameBytes = 64u << 20; // what a watcher may send

enum class Type : quint8 { Hello = 1, Snapshot, Events, Command, Request, Details, Commands };

struct Hello // engine -> watcher, first
{
    quint32 protocol = kProtocol;
    QString version; // the engine's Shoal version
    qint64 pid = 0; // of the process running the batch
    QString host; // where it runs
    QString name; // the batch's name, or its command line
    QStringList command; // the command template's words (empty for service workers)
    bool service = false;
    int attempts = 1;
    DrainPolicy drain = DrainPolicy::Finish;
    bool resumed = false; // the events after the watcher's SEQ follow, and no Snapshot
};

struct Snapshot // engine -> watcher
{
    quint64 request = 0; // 0: the stream's own (first, or instead of what a watcher missed)
    PoolSnapshot snapshot;
};

struct Events // engine -> watcher: one batch of the engine's events, in seq order
{
    QList<Event> events;
};

struct Command // watcher -> engine
{
    enum class Verb : quint8 {
        Pause,
        Resume,
        Resize, // value workers, policy
        PauseWorker, // value: slot
        ResumeWorker,
        CancelWorkerTask,
        CancelTask, // value: task id
        RetryTask,
        CancelAll,
        RetryFailed,
        ResizeHost, // host, value workers, policy
    };
    Verb verb = Verb::Pause;
    qint64 value = 0;
    DrainPolicy policy = DrainPolicy::Finish;
    QString host;
};

struct Request // watcher -> engine
{
    enum class Kind : quint8 { Details, Commands, Snapshot };
    quint64 request = 0;
    Kind kind = Kind::Snapshot;
    QList<qint64> ids; // Details: one task; Commands: any
    int workerSlot = 0; // Details: > 0 also asks for that service worker's stderr
};

struct Details // engine -> watcher
{
    quint64 request = 0;
    TaskDetails details;
};

struct Commands // engine -> watcher
{
    quint64 request = 0;
    QStringList commands;
};

using Frame = std::variant<Hello, Snapshot, Events, Command, Request, Details, Commands>;

// Appends one frame to out.
void encode(const Frame &frame, QByteArray &out);

// Splits a byte stream into frames.
class FrameReader
{
public:
    explicit FrameReader(quint32 maxBytes = kMaxFrameBytes)
        : m_frames(maxBytes)
    {
    }
    void append(QByteArrayView bytes) { m_frames.append(bytes); }
    // The next whole frame, if one is buffered; an Error for a malformed one (the link is then
    // unusable: the caller ends it).
    Result<bool> next(Frame *frame);
    qsizetype buffered() const { return m_frames.buffered(); }

private:
    FrameSplitter m_frames;
};

} // namespace shoal::watch
