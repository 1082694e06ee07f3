#include "framing.h"

using namespace Qt::Literals::StringLiterals;

namespace shoal {

Result<bool> FrameSplitter::next(quint8 *type, QByteArray *payload)
{
    if (buffered() < 4)
        return false;
    const quint32 length = qFromLittleEndian<quint32>(m_buffer.constData() + m_offset);
    if (length < 1 || length > m_maxBytes)
        return Error { u"a frame of %1 bytes"_s.arg(length) };
    if (buffered() < 4 + qsizetype(length))
        return false;
    *payload = m_buffer.sliced(m_offset + 5, length - 1);
    *type = quint8(m_buffer.at(m_offset + 4));
    m_offset += 4 + length;
    if (m_offset == m_buffer.size()) {
        m_buffer.clear();
        m_offset = 0;
    } else if (m_offset > 1 << 20 && m_offset * 2 > m_buffer.size()) { // drop what was read
        m_buffer.remove(0, m_offset);
        m_offset = 0;
    }
    return true;
}

QDataStream &operator<<(QDataStream &s, const ExitStatus &e)
{
    return s << quint8(e.kind) << e.signal << qint32(e.code) << qint32(e.error);
}

QDataStream &operator>>(QDataStream &s, ExitStatus &e)
{
    quint8 kind = 0;
    qint32 code = 0, error = 0;
    s >> kind >> e.signal >> code >> error;
    if (kind > quint8(ExitStatus::Kind::OutputLost))
        s.setStatus(QDataStream::ReadCorruptData);
    e.kind = ExitStatus::Kind(kind);
    e.code = code;
    e.error = error;
    return s;
}

quint32 readCount(QDataStream &s, qint64 minBytes)
{
    quint32 count = 0;
    s >> count;
    const qint64 left = s.device() ? s.device()->bytesAvailable() : 0;
    if (s.status() != QDataStream::Ok || qint64(count) > left / qMax<qint64>(minBytes, 1)) {
        s.setStatus(QDataStream::ReadCorruptData);
        return 0;
    }
    return count;
}

QStringList readStrings(QDataStream &s)
{
    const quint32 count = readCount(s, 4); // each string takes 4 bytes at least
    QStringList list;
    list.reserve(count);
    for (quint32 i = 0; i < count && s.status() == QDataStream::Ok; ++i) {
        QString word;
        s >> word;
        list << word;
    }
    return list;
}

} // namespace shoal
