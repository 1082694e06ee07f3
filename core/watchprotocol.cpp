#include "watchprotocol.h"

#include <algorithm>
#include <limits>

using namespace Qt::Literals::StringLiterals;

namespace shoal::watch {

namespace {

// Enums travel as one byte, checked against their last value when read.
template<typename E> void readEnum(QDataStream &s, E *value, E last)
{
    quint8 raw = 0;
    s >> raw;
    if (raw > quint8(last))
        s.setStatus(QDataStream::ReadCorruptData);
    *value = E(raw);
}

void write(QDataStream &s, const WorkerInfo &w)
{
    s << qint32(w.slot) << w.host << quint8(w.state) << w.parked << w.pid << qint64(w.task)
      << w.taskStartedMs << w.taskElapsedMs << qint32(w.tasksDone) << qint32(w.failures)
      << w.cpuPercent << w.rssBytes;
}

void read(QDataStream &s, WorkerInfo &w)
{
    qint32 slot = 0, done = 0, failures = 0;
    qint64 task = -1;
    s >> slot >> w.host;
    readEnum(s, &w.state, WorkerState::Crashed);
    s >> w.parked >> w.pid >> task >> w.taskStartedMs >> w.taskElapsedMs >> done >> failures
        >> w.cpuPercent >> w.rssBytes;
    w.slot = slot;
    w.task = task;
    w.tasksDone = done;
    w.failures = failures;
}

void write(QDataStream &s, const PoolStats &p)
{
    s << p.timeMs << p.total << p.queued << p.running << p.pausedTasks << p.succeeded << p.failed
      << p.cancelled << qint32(p.workers) << qint32(p.busyWorkers) << qint32(p.parkedWorkers)
      << p.paused << p.throughput << p.etaSeconds;
}

void read(QDataStream &s, PoolStats &p)
{
    qint32 workers = 0, busy = 0, parked = 0;
    s >> p.timeMs >> p.total >> p.queued >> p.running >> p.pausedTasks >> p.succeeded >> p.failed
        >> p.cancelled >> workers >> busy >> parked >> p.paused >> p.throughput >> p.etaSeconds;
    p.workers = workers;
    p.busyWorkers = busy;
    p.parkedWorkers = parked;
}

void write(QDataStream &s, const TaskInfo &t)
{
    s << qint64(t.id) << t.seq << quint8(t.state) << qint32(t.slot) << qint32(t.attempts)
      << t.startedMs << t.durationMs << t.exit;
}

void read(QDataStream &s, TaskInfo &t)
{
    qint64 id = -1;
    qint32 slot = 0, attempts = 0;
    s >> id >> t.seq;
    readEnum(s, &t.state, TaskState::TimedOut);
    s >> slot >> attempts >> t.startedMs >> t.durationMs >> t.exit;
    t.id = id;
    t.slot = slot;
    t.attempts = attempts;
}

// What a watcher needs of a command task's outputs: its stderr's last lines (a failed attempt's
// error). Its stdout, and the whole of either, are asked for with a Details request.
constexpr qint64 kCapturedTail = 4096;

void write(QDataStream &s, const TaskBatch &b)
{
    s << quint32(b.started.size());
    for (const auto &x : b.started)
        s << qint64(x.task) << qint32(x.slot) << qint32(x.attempt) << x.pid;
    s << quint32(b.finished.size());
    for (const auto &x : b.finished)
        s << qint64(x.task) << qint32(x.slot) << qint32(x.attempt) << quint8(x.state)
          << qint32(x.captured) << x.exit << x.durationMs << qint64(x.offset) << qint64(x.length);
    s << quint32(b.progress.size());
    for (const auto &x : b.progress)
        s << qint64(x.task) << x.value;
    s << quint32(b.captured.size());
    for (const auto &c : b.captured)
        s << (c.errFile ? c.errFile->tail(kCapturedTail) : c.err.right(kCapturedTail));
    s << b.outputs;
}

bool read(QDataStream &s, TaskBatch &b)
{
    b.started.resize(readCount(s, 24));
    for (auto &x : b.started) {
        qint64 task = -1;
        qint32 slot = 0, attempt = 0;
        s >> task >> slot >> attempt >> x.pid;
        x = { task, slot, attempt, x.pid };
    }
    b.finished.resize(readCount(s, 49));
    for (auto &x : b.finished) {
        qint64 task = -1, offset = 0, length = 0;
        qint32 slot = 0, attempt = 0, captured = -1;
        s >> task >> slot >> attempt;
        readEnum(s, &x.state, TaskState::TimedOut);
        s >> captured >> x.exit >> x.durationMs >> offset >> length;
        x.task = task;
        x.slot = slot;
        x.attempt = attempt;
        x.captured = captured;
        x.offset = offset;
        x.length = length;
    }
    b.progress.resize(readCount(s, 16));
    for (auto &x : b.progress) {
        qint64 task = -1;
        s >> task >> x.value;
        x.task = task;
    }
    b.captured.resize(readCount(s, 4));
    for (auto &c : b.captured)
        s >> c.err;
    s >> b.outputs;
    // Every reference must land inside what came.
    for (const auto &x : b.finished) {
        if (x.offset < 0 || x.length < 0 || x.offset > b.outputs.size() - x.length
            || x.captured < -1 || x.captured >= qint64(b.captured.size()))
            return false;
    }
    return s.status() == QDataStream::Ok;
}

// An event carries only what its type uses (as EngineFeed and the reporter read it): a worker
// change its worker, the pool's events their stats, a message its text, a batch its tasks.
enum EventParts : quint8 { kWorker = 1, kStats = 2, kText = 4, kBatch = 8 };

quint8 partsOf(const Event &e)
{
    quint8 parts = 0;
    if (e.type == Event::Type::WorkerChanged)
        parts |= kWorker;
    if (carriesStats(e.type))
        parts |= kStats;
    if (!e.text.isEmpty())
        parts |= kText;
    if (e.batch)
        parts |= kBatch;
    return parts;
}

void write(QDataStream &s, const Event &e)
{
    const quint8 parts = partsOf(e);
    s << e.seq << quint8(e.type) << parts << e.timeMs << qint64(e.task) << qint64(e.lastTask)
      << qint32(e.slot);
    if (parts & kWorker)
        write(s, e.worker);
    if (parts & kStats)
        write(s, e.stats);
    if (parts & kText)
        s << e.text;
    if (parts & kBatch)
        write(s, *e.batch);
}

bool read(QDataStream &s, Event &e)
{
    qint64 task = -1, last = -1;
    qint32 slot = 0;
    quint8 parts = 0;
    s >> e.seq;
    readEnum(s, &e.type, Event::Type::TaskBatch);
    s >> parts >> e.timeMs >> task >> last >> slot;
    if (parts & kWorker)
        read(s, e.worker);
    if (parts & kStats)
        read(s, e.stats);
    if (parts & kText)
        s >> e.text;
    e.task = task;
    e.lastTask = last;
    e.slot = slot;
    if (parts & kBatch) {
        auto batch = std::make_shared<TaskBatch>();
        if (!read(s, *batch))
            return false;
        e.batch = std::move(batch);
    }
    if (e.type == Event::Type::TaskBatch && !e.batch)
        return false;
    if (e.type == Event::Type::TasksAdded
        && (e.task < 0 || e.task > e.lastTask || e.lastTask >= std::numeric_limits<int>::max()))
        return false;
    return s.status() == QDataStream::Ok;
}

void write(QDataStream &s, const InputList &inputs)
{
    s << quint32(inputs.size());
    for (qsizetype i = 0; i < inputs.size(); ++i) {
        const QByteArrayView bytes = inputs.utf8(i);
        s.writeBytes(bytes.constData(), uint(bytes.size()));
    }
}

void read(QDataStream &s, InputList &inputs)
{
    const quint32 count = readCount(s, 4);
    QByteArray bytes;
    for (quint32 i = 0; i < count && s.status() == QDataStream::Ok; ++i) {
        s >> bytes;
        inputs.append(QByteArrayView(bytes));
    }
}

void write(QDataStream &s, const PoolSnapshot &p)
{
    s << p.seq << p.wallStartMs;
    write(s, p.stats);
    s << quint32(p.workers.size());
    for (const WorkerInfo &w : p.workers)
        write(s, w);
    s << p.taskCount << quint32(p.tasks.size());
    for (const TaskInfo &t : p.tasks)
        write(s, t);
    s << p.compact << quint32(p.seqs.size());
    for (qint64 seq : p.seqs)
        s << seq;
    write(s, p.inputs);
}

bool read(QDataStream &s, PoolSnapshot &p)
{
    s >> p.seq >> p.wallStartMs;
    read(s, p.stats);
    p.workers.resize(readCount(s, 60));
    for (WorkerInfo &w : p.workers)
        read(s, w);
    s >> p.taskCount;
    p.tasks.resize(readCount(s, 40));
    for (TaskInfo &t : p.tasks)
        read(s, t);
    s >> p.compact;
    p.seqs.resize(readCount(s, 8));
    for (qint64 &seq : p.seqs)
        s >> seq;
    read(s, p.inputs);
    // What the window sizes its tables by must be backed by what came: as many tasks as inputs,
    // seqs or records were sent (no frame of a few bytes asks for a billion rows), one seq per
    // task, and the records in id order.
    const qint64 sent
        = std::max({ qint64(p.inputs.size()), qint64(p.seqs.size()), qint64(p.tasks.size()) });
    if (p.taskCount < 0 || p.taskCount > std::numeric_limits<int>::max() || p.taskCount > sent
        || qint64(p.tasks.size()) > p.taskCount
        || (!p.seqs.empty() && qint64(p.seqs.size()) != p.taskCount)
        || (!p.compact && qint64(p.tasks.size()) != p.taskCount))
        return false;
    for (size_t i = 0; i < p.tasks.size(); ++i) {
        const TaskId id = p.tasks[i].id;
        if (p.compact ? (id < 0 || id >= p.taskCount || (i > 0 && id <= p.tasks[i - 1].id))
                      : id != TaskId(i))
            return false;
    }
    return s.status() == QDataStream::Ok;
}

struct Writer
{
    QDataStream &s;
    Type type(const Hello &h)
    {
        s << h.protocol << h.version << h.pid << h.host << h.name << h.command << h.service
          << qint32(h.attempts) << quint8(h.drain) << h.resumed;
        return Type::Hello;
    }
    Type type(const Snapshot &x)
    {
        s << x.request;
        write(s, x.snapshot);
        return Type::Snapshot;
    }
    Type type(const Events &x)
    {
        s << quint32(x.events.size());
        for (const Event &e : x.events)
            write(s, e);
        return Type::Events;
    }
    Type type(const Command &x)
    {
        s << quint8(x.verb) << x.value << quint8(x.policy) << x.host;
        return Type::Command;
    }
    Type type(const Request &x)
    {
        s << x.request << quint8(x.kind) << x.ids << qint32(x.workerSlot);
        return Type::Request;
    }
    Type type(const Details &x)
    {
        const TaskDetails &d = x.details;
        s << x.request << qint64(d.task) << d.command << d.stdoutData << d.stderrData
          << d.workerStderr;
        return Type::Details;
    }
    Type type(const Commands &x)
    {
        s << x.request << x.commands;
        return Type::Commands;
    }
};

bool readPayload(QDataStream &s, Hello &h)
{
    qint32 attempts = 1;
    s >> h.protocol >> h.version;
    if (h.protocol != kProtocol)
        return !h.version.isEmpty(); // enough to say what is wrong
    s >> h.pid >> h.host >> h.name;
    h.command = readStrings(s);
    s >> h.service >> attempts;
    readEnum(s, &h.drain, DrainPolicy::Pause);
    s >> h.resumed;
    h.attempts = attempts;
    return true;
}

bool readPayload(QDataStream &s, Snapshot &x)
{
    s >> x.request;
    return read(s, x.snapshot);
}

bool readPayload(QDataStream &s, Events &x)
{
    const quint32 count = readCount(s, 38); // an event takes 38 bytes at least
    for (quint32 i = 0; i < count; ++i) { // appended as read: the count alone reserves nothing
        Event e;
        if (!read(s, e))
            return false;
        x.events.append(std::move(e));
    }
    return true;
}

bool readPayload(QDataStream &s, Command &x)
{
    readEnum(s, &x.verb, Command::Verb::ResizeHost);
    s >> x.value;
    readEnum(s, &x.policy, DrainPolicy::Pause);
    s >> x.host;
    return true;
}

bool readPayload(QDataStream &s, Request &x)
{
    qint32 slot = 0;
    s >> x.request;
    readEnum(s, &x.kind, Request::Kind::Snapshot);
    const quint32 count = readCount(s, 8);
    x.ids.reserve(count);
    for (quint32 i = 0; i < count && s.status() == QDataStream::Ok; ++i) {
        qint64 id = -1;
        s >> id;
        x.ids << id;
    }
    s >> slot;
    x.workerSlot = slot;
    return true;
}

bool readPayload(QDataStream &s, Details &x)
{
    qint64 task = -1;
    s >> x.request >> task >> x.details.command >> x.details.stdoutData >> x.details.stderrData
        >> x.details.workerStderr;
    x.details.task = task;
    return true;
}

bool readPayload(QDataStream &s, Commands &x)
{
    s >> x.request;
    x.commands = readStrings(s);
    return true;
}

template<typename T> Result<bool> decodeInto(QDataStream &s, Frame *frame)
{
    T value;
    if (!readPayload(s, value))
        return Error { u"a malformed frame"_s };
    bool other = false;
    if constexpr (std::is_same_v<T, Hello>)
        other = value.protocol != kProtocol; // enough to say what is wrong
    return acceptFrame(s, std::move(value), frame, other);
}

} // namespace

void encode(const Frame &frame, QByteArray &out)
{
    appendVariantFrame<Writer>(out, frame);
}

Result<bool> FrameReader::next(Frame *frame)
{
    quint8 typeByte = 0;
    QByteArray payload;
    if (auto got = m_frames.next(&typeByte, &payload); !got || !*got)
        return got;
    QDataStream s(payload);
    s.setVersion(kFrameStreamVersion);
    switch (Type(typeByte)) {
    case Type::Hello:
        return decodeInto<Hello>(s, frame);
    case Type::Snapshot:
        return decodeInto<Snapshot>(s, frame);
    case Type::Events:
        return decodeInto<Events>(s, frame);
    case Type::Command:
        return decodeInto<Command>(s, frame);
    case Type::Request:
        return decodeInto<Request>(s, frame);
    case Type::Details:
        return decodeInto<Details>(s, frame);
    case Type::Commands:
        return decodeInto<Commands>(s, frame);
    }
    return Error { u"a frame of unknown type %1"_s.arg(int(typeByte)) };
}

} // namespace shoal::watch
