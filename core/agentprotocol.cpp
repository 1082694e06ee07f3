#include "agentprotocol.h"

#include <QDataStream>
#include <QIODevice>
#include <QtEndian>

#include <cstring>

using namespace Qt::Literals::StringLiterals;

namespace shoal::agent {

namespace {

// Writes packed numbers and texts into a buffer sized beforehand (an append each would cost
// more than the rest of a task's trip).
class Packer
{
public:
    explicit Packer(qsizetype size)
        : m_bytes(size, Qt::Uninitialized)
        , m_at(m_bytes.data())
    {
    }
    template<typename T> void put(T value)
    {
        qToLittleEndian(value, m_at);
        m_at += sizeof value;
    }
    // LEB128: 7 bits a byte, low first; at most kMaxVarintBytes.
    void putVarint(quint64 value)
    {
        while (value >= 0x80) {
            *m_at++ = char(value | 0x80);
            value >>= 7;
        }
        *m_at++ = char(value);
    }
    void putSigned(qint64 value) { putVarint(zigzag(value)); } // small either side of 0: short
    void putText(QByteArrayView bytes)
    {
        putVarint(quint64(bytes.size()));
        std::memcpy(m_at, bytes.data(), size_t(bytes.size()));
        m_at += bytes.size();
    }
    // What was put (the buffer was sized for the most it could take).
    QByteArray bytes()
    {
        m_bytes.truncate(m_at - m_bytes.constData());
        return m_bytes;
    }
    static quint64 zigzag(qint64 v) { return (quint64(v) << 1) ^ quint64(v >> 63); }
    static constexpr qsizetype kMaxVarintBytes = 10;

private:
    QByteArray m_bytes;
    char *m_at;
};

// The bytes of n texts of a list: each with its length.
qsizetype textBytes(const InputList &texts)
{
    qsizetype bytes = 0;
    for (qsizetype i = 0; i < texts.size(); ++i)
        bytes += 4 + texts.utf8(i).size();
    return bytes;
}

// Results: the byte after each task holds its exit's kind and which numbers follow.
constexpr quint8 kResultKind = 0x0f;
constexpr quint8 kResultSignal = 0x10;
constexpr quint8 kResultCode = 0x20;
constexpr quint8 kResultError = 0x40;
constexpr quint8 kResultDuration = 0x80;

// Reads packed numbers and texts, bounds checked: a short or lying payload sets the stream's
// status (the frame is refused) and yields zeros.
class Unpacker
{
public:
    Unpacker(QDataStream &s, const QByteArray &bytes)
        : m_s(s)
        , m_at(bytes.constData())
        , m_end(bytes.constData() + bytes.size())
    {
    }
    template<typename T> T get()
    {
        if (m_end - m_at < qsizetype(sizeof(T)))
            return fail<T>();
        T value;
        std::memcpy(&value, m_at, sizeof value);
        m_at += sizeof value;
        return qFromLittleEndian(value);
    }
    QByteArrayView bytes(quint32 length)
    {
        if (m_end - m_at < qsizetype(length))
            return fail<QByteArrayView>();
        const QByteArrayView view(m_at, length);
        m_at += length;
        return view;
    }
    quint64 getVarint()
    {
        quint64 value = 0;
        for (int shift = 0; m_at < m_end && shift < 64; shift += 7) {
            const auto byte = quint8(*m_at++);
            if (shift == 63 && byte > 1)
                break; // past 64 bits
            value |= quint64(byte & 0x7f) << shift;
            if (!(byte & 0x80))
                return value;
        }
        return fail<quint64>(); // cut short, or too long
    }
    qint64 getSigned()
    {
        const quint64 v = getVarint();
        return qint64(v >> 1) ^ -qint64(v & 1);
    }
    QByteArrayView text()
    {
        const quint64 length = getVarint();
        return length > quint64(m_end - m_at) ? fail<QByteArrayView>() : bytes(quint32(length));
    }
    // The task after `previous` in a list (Tasks, Results): a difference, checked to give an id.
    TaskId nextTask(TaskId previous)
    {
        const qint64 delta = getSigned();
        const bool valid = delta >= -previous && delta <= kMaxTaskId - previous;
        return valid ? previous + delta : fail<TaskId>();
    }
    // A count of entries of at least minBytes each, no more than the bytes left hold nor
    // maxCount (what a peer may make us reserve before reading any).
    quint32 count(qsizetype minBytes, quint32 maxCount = UINT32_MAX)
    {
        const auto n = get<quint32>();
        return qsizetype(n) > (m_end - m_at) / minBytes || n > maxCount ? fail<quint32>() : n;
    }
    bool ok() const { return m_s.status() == QDataStream::Ok; }
    bool atEnd() const { return m_at == m_end; }
    void check(bool valid)
    {
        if (!valid)
            fail<int>();
    }

private:
    template<typename T> T fail()
    {
        m_s.setStatus(QDataStream::ReadCorruptData);
        m_at = m_end;
        return T {};
    }
    QDataStream &m_s;
    const char *m_at;
    const char *m_end;
};

struct Writer
{
    QDataStream &s;
    Type type(const Hello &h)
    {
        s << h.protocol << h.version << h.host << qint32(h.cores) << h.memoryBytes << h.slurmStep;
        return Type::Hello;
    }
    Type type(const Setup &x)
    {
        s << qint32(x.workers) << x.timeoutSeconds << x.memoryLimitBytes << qint32(x.termGraceMs)
          << x.workdir << x.probe << x.service.program << quint8(x.service.mode)
          << x.service.initializer << qint32(x.service.maxTasksPerWorker)
          << qint32(x.service.prefetch) << qint32(x.service.silenceWarningMs) << x.cleanup;
        return Type::Setup;
    }
    Type type(const Run &x)
    {
        s << qint64(x.task) << x.argv << x.returns << x.cleanup;
        return Type::Run;
    }
    Type type(const Cancel &x)
    {
        s << qint64(x.task);
        return Type::Cancel;
    }
    Type type(const Collected &x)
    {
        s << qint64(x.task);
        return Type::Collected;
    }
    Type type(const Started &x)
    {
        s << qint64(x.task) << x.pid;
        return Type::Started;
    }
    Type type(const Output &x)
    {
        s << qint64(x.task) << quint8(x.stream) << x.bytes;
        return Type::Output;
    }
    Type type(const Finished &x)
    {
        s << qint64(x.task) << x.exit << x.durationMs;
        return Type::Finished;
    }
    Type type(const Failure &x)
    {
        s << x.message;
        return Type::Failure;
    }
    Type type(const Hold &x)
    {
        s << qint64(x.task) << x.stopped;
        return Type::Hold;
    }
    Type type(const Usage &x)
    {
        s << qint64(x.task) << x.cpuPercent << x.rssBytes << x.pid;
        return Type::Usage;
    }
    // Each id as the difference from the one before (mostly 1: a byte), each input with its
    // length: a service task's trip is mostly its own input and answer.
    Type type(const Tasks &x)
    {
        Packer packed(4 + qsizetype(x.ids.size()) * 2 * Packer::kMaxVarintBytes
                      + textBytes(x.inputs));
        packed.put(quint32(x.ids.size()));
        TaskId previous = 0;
        for (size_t i = 0; i < x.ids.size(); ++i) {
            packed.putSigned(x.ids[i] - std::exchange(previous, x.ids[i]));
            packed.putText(x.inputs.utf8(qsizetype(i)));
        }
        s << packed.bytes();
        return Type::Tasks;
    }
    // Each entry: its task as in Tasks; a byte with the exit's kind and which of its numbers
    // follow (most are 0: an answer); those numbers; the text with its length.
    Type type(const Results &x)
    {
        Packer packed(4 + qsizetype(x.entries.size()) * (2 + 4 * Packer::kMaxVarintBytes)
                      + textBytes(x.texts));
        packed.put(quint32(x.entries.size()));
        TaskId previous = 0;
        for (size_t i = 0; i < x.entries.size(); ++i) {
            const Results::Entry &e = x.entries[i];
            packed.putSigned(e.task - std::exchange(previous, e.task));
            const quint8 kind = quint8(e.exit.kind);
            packed.put(quint8(kind | (e.exit.signal ? kResultSignal : 0)
                              | (e.exit.code ? kResultCode : 0) | (e.exit.error ? kResultError : 0)
                              | (e.durationMs ? kResultDuration : 0)));
            if (e.exit.signal)
                packed.put(quint8(e.exit.signal));
            if (e.exit.code)
                packed.putSigned(e.exit.code);
            if (e.exit.error)
                packed.putSigned(e.exit.error);
            if (e.durationMs)
                packed.putSigned(e.durationMs);
            packed.putText(x.texts.utf8(qsizetype(i)));
        }
        s << packed.bytes();
        return Type::Results;
    }
    Type type(const Note &x)
    {
        s << x.text;
        return Type::Note;
    }
    Type type(const Progress &x)
    {
        s << quint32(x.entries.size());
        for (const Progress::Entry &e : x.entries)
            s << qint64(e.task) << e.value;
        return Type::Progress;
    }
    Type type(const Workers &x)
    {
        s << qint32(x.count);
        return Type::Workers;
    }
    Type type(const HoldWorker &x)
    {
        s << qint32(x.worker) << x.stopped;
        return Type::HoldWorker;
    }
    Type type(const File &x)
    {
        s << qint64(x.task) << x.path << x.bytes << x.last << x.mode;
        return Type::File;
    }
};

template<typename T> T readPayload(QDataStream &s);

template<> Hello readPayload(QDataStream &s)
{
    Hello h;
    qint32 cores = 0;
    s >> h.protocol >> h.version >> h.host >> cores >> h.memoryBytes >> h.slurmStep;
    h.cores = cores;
    return h;
}

template<> Setup readPayload(QDataStream &s)
{
    Setup x;
    qint32 workers = 0, grace = 0, maxTasks = 0, prefetch = 0, silence = 0;
    quint8 mode = 0;
    s >> workers >> x.timeoutSeconds >> x.memoryLimitBytes >> grace >> x.workdir >> x.probe;
    x.service.program = readStrings(s);
    s >> mode >> x.service.initializer >> maxTasks >> prefetch >> silence >> x.cleanup;
    x.workers = workers;
    x.termGraceMs = grace;
    x.service.mode = ServiceSpec::Mode(mode);
    x.service.maxTasksPerWorker = maxTasks;
    x.service.prefetch = prefetch;
    x.service.silenceWarningMs = silence;
    if (workers < 1 || grace < 0 || x.timeoutSeconds < 0 || x.memoryLimitBytes < 0
        || mode > quint8(ServiceSpec::Mode::Json) || maxTasks < 0 || prefetch < 0)
        s.setStatus(QDataStream::ReadCorruptData);
    return x;
}

template<> Run readPayload(QDataStream &s)
{
    Run x;
    qint64 task = -1;
    s >> task;
    x.argv = readStrings(s);
    x.returns = readStrings(s);
    s >> x.cleanup;
    x.task = task;
    if (task < 0 || task > kMaxTaskId || x.argv.isEmpty())
        s.setStatus(QDataStream::ReadCorruptData);
    return x;
}

template<> Cancel readPayload(QDataStream &s)
{
    qint64 task = -1;
    s >> task;
    return { task };
}

template<> Collected readPayload(QDataStream &s)
{
    qint64 task = -1;
    s >> task;
    return { task };
}

template<> Started readPayload(QDataStream &s)
{
    Started x;
    qint64 task = -1;
    s >> task >> x.pid;
    x.task = task;
    return x;
}

template<> Output readPayload(QDataStream &s)
{
    Output x;
    qint64 task = -1;
    quint8 stream = 0;
    s >> task >> stream >> x.bytes;
    x.task = task;
    if (stream != quint8(Stream::Stdout) && stream != quint8(Stream::Stderr))
        s.setStatus(QDataStream::ReadCorruptData);
    x.stream = Stream(stream);
    return x;
}

template<> Finished readPayload(QDataStream &s)
{
    Finished x;
    qint64 task = -1;
    s >> task >> x.exit >> x.durationMs;
    x.task = task;
    return x;
}

template<> Hold readPayload(QDataStream &s)
{
    Hold x;
    qint64 task = -1;
    s >> task >> x.stopped;
    x.task = task;
    return x;
}

template<> Tasks readPayload(QDataStream &s)
{
    Tasks x;
    QByteArray packed;
    s >> packed;
    Unpacker in(s, packed);
    const quint32 count = in.count(2, kMaxPackedEntries); // an id and a length each, at least
    x.ids.reserve(count);
    TaskId id = 0;
    for (quint32 i = 0; i < count && in.ok(); ++i) {
        id = in.nextTask(id);
        x.ids.push_back(id);
        x.inputs.append(in.text());
    }
    in.check(in.atEnd());
    return x;
}

template<> Results readPayload(QDataStream &s)
{
    Results x;
    QByteArray packed;
    s >> packed;
    Unpacker in(s, packed);
    const quint32 count = in.count(3, kMaxPackedEntries); // an id, its exit's byte, a length
    x.entries.reserve(count);
    TaskId id = 0;
    for (quint32 i = 0; i < count && in.ok(); ++i) {
        Results::Entry e;
        e.task = id = in.nextTask(id);
        const auto flags = in.get<quint8>();
        const quint8 kind = flags & kResultKind;
        e.exit.kind = ExitStatus::Kind(kind);
        e.exit.signal = flags & kResultSignal ? in.get<quint8>() : 0;
        const qint64 code = flags & kResultCode ? in.getSigned() : 0;
        const qint64 error = flags & kResultError ? in.getSigned() : 0;
        e.durationMs = flags & kResultDuration ? in.getSigned() : 0;
        in.check(kind <= quint8(ExitStatus::Kind::OutputLost) && e.durationMs >= 0
                 && code == qint32(code) && error == qint32(error));
        e.exit.code = qint32(code);
        e.exit.error = qint32(error);
        x.entries.push_back(e);
        x.texts.append(in.text());
    }
    in.check(in.atEnd());
    return x;
}

template<> Note readPayload(QDataStream &s)
{
    Note x;
    s >> x.text;
    return x;
}

template<> Progress readPayload(QDataStream &s)
{
    Progress x;
    quint32 count = 0;
    s >> count;
    if (count > Progress::kMaxEntries) {
        s.setStatus(QDataStream::ReadCorruptData);
        return x;
    }
    for (quint32 i = 0; i < count && s.status() == QDataStream::Ok; ++i) {
        Progress::Entry e;
        qint64 task = -1;
        s >> task >> e.value;
        e.task = TaskId(task);
        if (task < 0 || task > kMaxTaskId || !(e.value >= 0 && e.value <= 1))
            s.setStatus(QDataStream::ReadCorruptData);
        x.entries.push_back(e);
    }
    return x;
}

template<> Workers readPayload(QDataStream &s)
{
    qint32 count = 0;
    s >> count;
    if (count < 0 || count > 100000) // 0: a host resized to none, its programs ended
        s.setStatus(QDataStream::ReadCorruptData);
    return { count };
}

template<> HoldWorker readPayload(QDataStream &s)
{
    HoldWorker x;
    qint32 worker = 0;
    s >> worker >> x.stopped;
    x.worker = worker;
    if (worker < 0)
        s.setStatus(QDataStream::ReadCorruptData);
    return x;
}

template<> File readPayload(QDataStream &s)
{
    File x;
    qint64 task = -1;
    s >> task >> x.path >> x.bytes >> x.last >> x.mode;
    x.task = task;
    // A name to write (no NUL, something after a "/./"), and permission bits only.
    if (task < 0 || x.path.isEmpty() || x.path.contains(QChar(0)) || x.path.endsWith(u"/."_s)
        || x.path.endsWith(u'/') || (x.mode & ~07777u) != 0)
        s.setStatus(QDataStream::ReadCorruptData);
    return x;
}

template<> Usage readPayload(QDataStream &s)
{
    Usage x;
    qint64 task = -1;
    s >> task >> x.cpuPercent >> x.rssBytes >> x.pid;
    x.task = task;
    if (task < 0 || !(x.cpuPercent >= 0) || x.rssBytes < 0)
        s.setStatus(QDataStream::ReadCorruptData);
    return x;
}

template<> Failure readPayload(QDataStream &s)
{
    Failure x;
    s >> x.message;
    return x;
}

template<typename T> Result<bool> decodeInto(QDataStream &s, Frame *frame)
{
    T value = readPayload<T>(s);
    // A Hello of another protocol may differ after its protocol and version: those two are
    // enough to say what is wrong.
    bool other = false;
    if constexpr (std::is_same_v<T, Hello>)
        other = value.protocol != kProtocol && !value.version.isEmpty();
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
    const auto type = Type(typeByte);
    QDataStream s(payload);
    s.setVersion(kFrameStreamVersion);
    switch (type) {
    case Type::Hello:
        return decodeInto<Hello>(s, frame);
    case Type::Setup:
        return decodeInto<Setup>(s, frame);
    case Type::Run:
        return decodeInto<Run>(s, frame);
    case Type::Cancel:
        return decodeInto<Cancel>(s, frame);
    case Type::Started:
        return decodeInto<Started>(s, frame);
    case Type::Output:
        return decodeInto<Output>(s, frame);
    case Type::Finished:
        return decodeInto<Finished>(s, frame);
    case Type::Failure:
        return decodeInto<Failure>(s, frame);
    case Type::Hold:
        return decodeInto<Hold>(s, frame);
    case Type::File:
        return decodeInto<File>(s, frame);
    case Type::Usage:
        return decodeInto<Usage>(s, frame);
    case Type::Tasks:
        return decodeInto<Tasks>(s, frame);
    case Type::Results:
        return decodeInto<Results>(s, frame);
    case Type::Note:
        return decodeInto<Note>(s, frame);
    case Type::Workers:
        return decodeInto<Workers>(s, frame);
    case Type::Progress:
        return decodeInto<Progress>(s, frame);
    case Type::Collected:
        return decodeInto<Collected>(s, frame);
    case Type::HoldWorker:
        return decodeInto<HoldWorker>(s, frame);
    }
    return Error { u"a frame of unknown type %1"_s.arg(int(type)) };
}

} // namespace shoal::agent
