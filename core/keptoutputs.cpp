#include "keptoutputs.h"

#include <cstring>

namespace shoal {

QByteArray KeptOutputs::keep(QByteArrayView text)
{
    if (text.isEmpty())
        return {};
    if (text.size() > kBlockSize / 16)
        return text.toByteArray();
    if (m_blocks.empty() || m_used + text.size() > kBlockSize) {
        m_blocks.emplace_back(new char[kBlockSize]); // uninitialised: pages are touched as used
        m_used = 0;
    }
    char *p = m_blocks.back().get() + m_used;
    std::memcpy(p, text.data(), size_t(text.size()));
    m_used += text.size();
    return QByteArray::fromRawData(p, text.size());
}

} // namespace shoal
