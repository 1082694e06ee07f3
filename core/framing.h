#pragma once

#include "result.h"
#include "task.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QDataStream>
#include <QIODevice>
#include <QStringList>
#include <QtEndian>

#include <utility>
#include <variant>

namespace shoal {

// The framing both of Shoal's links speak (the agent's, and the control socket's watch mode):
// frames of a little-endian u32 length, then a type byte and a QDataStream payload.
inline constexpr QDataStream::Version kFrameStreamVersion = QDataStream::Qt_6_4;

// Appends one frame whose payload is what write(QDataStream &) writes; write returns the frame's
// type (an enum of quint8).
template<typename Write> void appendFrame(QByteArray &out, Write write)
{
    const qsizetype start = out.size();
    out.append(5, '\0'); // the length and the type, filled in below
    {
        QDataStream s(&out, QIODevice::Append);
        s.setVersion(kFrameStreamVersion);
        out[start + 4] = char(write(s));
    }
    qToLittleEndian(quint32(out.size() - start - 4), out.data() + start);
}

// Appends a frame holding one alternative of a std::variant of frame types: Writer{s}.type(x)
// writes x's payload and returns its type.
template<typename Writer, typename Variant>
void appendVariantFrame(QByteArray &out, const Variant &frame)
{
    appendFrame(out, [&frame](QDataStream &s) {
        Writer w { s };
        return std::visit([&w](const auto &x) { return w.type(x); }, frame);
    });
}

// Stores value in *frame when its payload was read whole (no more, no less, nothing corrupt), or
// when it is a greeting of another protocol (the caller names both versions).
template<typename Frame, typename T>
Result<bool> acceptFrame(const QDataStream &s, T &&value, Frame *frame, bool otherProtocol = false)
{
    if (!otherProtocol && !(s.status() == QDataStream::Ok && s.atEnd()))
        return Error { QStringLiteral("a malformed frame") };
    *frame = std::forward<T>(value);
    return true;
}

// Splits a byte stream into frames of at most maxBytes.
class FrameSplitter
{
public:
    explicit FrameSplitter(quint32 maxBytes)
        : m_maxBytes(maxBytes)
    {
    }
    void append(QByteArrayView bytes) { m_buffer.append(bytes); }
    // The next whole frame's type and payload, if one is buffered; an Error for a length out of
    // bounds (the stream is then unusable).
    Result<bool> next(quint8 *type, QByteArray *payload);
    qsizetype buffered() const { return m_buffer.size() - m_offset; }

private:
    QByteArray m_buffer;
    qsizetype m_offset = 0;
    quint32 m_maxBytes;
};

QDataStream &operator<<(QDataStream &s, const ExitStatus &e);
QDataStream &operator>>(QDataStream &s, ExitStatus &e);

// A count of elements that each take at least minBytes, checked against the bytes left first:
// QDataStream reserves what a count says, and a frame of a few bytes must not ask for gigabytes.
// On a count that cannot be, the stream's status becomes ReadCorruptData and 0 comes back.
quint32 readCount(QDataStream &s, qint64 minBytes);
// A QStringList, its count checked (readCount).
QStringList readStrings(QDataStream &s);

} // namespace shoal
