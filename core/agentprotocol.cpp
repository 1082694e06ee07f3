#include "agentprotocol.h"

#include <QDataStream>
#include <QIODevice>

using namespace Qt::Literals::StringLiterals;

namespace shoal::agent {

namespace {

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
          << x.workdir << x.probe;
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
        s << qint64(x.task) << x.cpuPercent << x.rssBytes;
        return Type::Usage;
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
    qint32 workers = 0, grace = 0;
    s >> workers >> x.timeoutSeconds >> x.memoryLimitBytes >> grace >> x.workdir >> x.probe;
    x.workers = workers;
    x.termGraceMs = grace;
    if (workers < 1 || grace < 0 || x.timeoutSeconds < 0 || x.memoryLimitBytes < 0)
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
    if (task < 0 || x.argv.isEmpty())
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
    s >> task >> x.cpuPercent >> x.rssBytes;
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
    }
    return Error { u"a frame of unknown type %1"_s.arg(int(type)) };
}

} // namespace shoal::agent
