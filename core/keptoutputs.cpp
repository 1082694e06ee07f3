#include "keptoutputs.h"

#include <cstring>

namespace shoal {

void KeptOutputs::keep(TaskId id, Stream stream, QByteArrayView text)
{
    if (text.isEmpty() && (size_t(id) >= m_positions.size()))
        return;
    if (size_t(id) >= m_positions.size())
        m_positions.resize(size_t(id) + 1, { -1, -1 });
    qint64 &position = m_positions[size_t(id)][stream == Stream::Stderr ? 1 : 0];
    if (text.isEmpty()) {
        position = -1;
        return;
    }
    if (text.size() > kLargeText) {
        position = -qint64(m_large.size()) - 2;
        m_large.push_back(text.toByteArray());
        return;
    }
    const quint32 length = quint32(text.size());
    if (m_used + qsizetype(sizeof length) + text.size() > kBlockSize) {
        m_blocks.emplace_back(new char[kBlockSize]); // uninitialised: pages are touched as used
        m_used = 0;
    }
    char *p = m_blocks.back().get() + m_used;
    std::memcpy(p, &length, sizeof length);
    std::memcpy(p + sizeof length, text.data(), size_t(text.size()));
    position = (qint64(m_blocks.size() - 1) << kBlockBits) | m_used;
    m_used += qsizetype(sizeof length) + text.size();
}

QByteArray KeptOutputs::get(TaskId id, Stream stream) const
{
    if (id < 0 || size_t(id) >= m_positions.size())
        return {};
    const qint64 position = m_positions[size_t(id)][stream == Stream::Stderr ? 1 : 0];
    if (position == -1)
        return {};
    if (position < -1)
        return m_large[size_t(-position - 2)];
    const char *p = m_blocks[size_t(position >> kBlockBits)].get() + (position & (kBlockSize - 1));
    quint32 length;
    std::memcpy(&length, p, sizeof length);
    return QByteArray(p + sizeof length, qsizetype(length));
}

} // namespace shoal
