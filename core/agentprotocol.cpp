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
    void put(QByteArrayView bytes)
    {
        put(quint32(bytes.size()));
        std::memcpy(m_at, bytes.data(), size_t(bytes.size()));
        m_at += bytes.size();
    }
    const QByteArray &bytes() const { return m_bytes; }

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
    // A count of entries of at least minBytes each, no more than the bytes left hold.
    quint32 count(qsizetype minBytes)
    {
        const auto n = get<quint32>();
        return qsizetype(n) > (m_end - m_at) / minBytes ? fail<quint32>() : n;
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
    Type type(const Tasks &x)
    {
        Packer packed(4 + qsizetype(x.ids.size()) * 8 + textBytes(x.inputs));
        packed.put(quint32(x.ids.size()));
        for (size_t i = 0; i < x.ids.size(); ++i) {
            packed.put(qint64(x.ids[i]));
            packed.put(x.inputs.utf8(qsizetype(i)));
        }
        s << packed.bytes();
        return Type::Tasks;
    }
    Type type(const Results &x)
    {
        Packer packed(4 + qsizetype(x.entries.size()) * 26 + textBytes(x.texts));
        packed.put(quint32(x.entries.size()));
        for (size_t i = 0; i < x.entries.size(); ++i) {
            const Results::Entry &e = x.entries[i];
            packed.put(qint64(e.task));
            packed.put(quint8(e.exit.kind));
            packed.put(quint8(e.exit.signal));
            packed.put(qint32(e.exit.code));
            packed.put(qint32(e.exit.error));
            packed.put(qint64(e.durationMs));
            packed.put(x.texts.utf8(qsizetype(i)));
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
    const quint32 count = in.count(12); // an id and a length each, at least
    x.ids.reserve(count);
    for (quint32 i = 0; i < count && in.ok(); ++i) {
        const auto id = in.get<qint64>();
        const QByteArrayView input = in.bytes(in.get<quint32>());
        in.check(id >= 0 && id <= kMaxTaskId);
        x.ids.push_back(id);
        x.inputs.append(input);
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
    const quint32 count = in.count(30); // id, exit, duration and a length, at least
    x.entries.reserve(count);
    for (quint32 i = 0; i < count && in.ok(); ++i) {
        Results::Entry e;
        e.task = in.get<qint64>();
        const auto kind = in.get<quint8>();
        e.exit.kind = ExitStatus::Kind(kind);
        e.exit.signal = in.get<quint8>();
        e.exit.code = in.get<qint32>();
        e.exit.error = in.get<qint32>();
        e.durationMs = in.get<qint64>();
        const QByteArrayView text = in.bytes(in.get<quint32>());
        in.check(e.task >= 0 && e.durationMs >= 0 && kind <= quint8(ExitStatus::Kind::OutputLost));
        x.entries.push_back(e);
        x.texts.append(text);
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
    case Type::HoldWorker:
        return decodeInto<HoldWorker>(s, frame);
    }
    return Error { u"a frame of unknown type %1"_s.arg(int(type)) };
}

} // namespace shoal::agent
