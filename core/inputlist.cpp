#include "inputlist.h"

#include <cstring>

namespace shoal {

InputList::InputList(const QStringList &inputs)
{
    m_ends.reserve(inputs.size());
    for (const QString &input : inputs)
        append(input);
}

InputList InputList::fromRecords(QByteArray text, char separator)
{
    InputList list;
    if (text.isEmpty())
        return list; // no records (a lone separator is one empty record)
    if (text.endsWith(separator))
        text.chop(1);
    const char *begin = text.constData();
    const char *p = begin;
    const char *end = p + text.size();
    list.m_ends.resize(text.count(separator) + 1);
    qint64 *ends = list.m_ends.data(); // filled in place: a million lines, no per-line checks
    // The separators stay in the buffer: utf8() skips them.
    for (;;) {
        const char *nl = static_cast<const char *>(std::memchr(p, separator, size_t(end - p)));
        *ends++ = (nl ? nl : end) - begin;
        if (!nl)
            break;
        p = nl + 1;
    }
    list.m_text = std::move(text);
    return list;
}

void InputList::append(QByteArrayView utf8)
{
    if (!m_ends.isEmpty())
        m_text += '\n'; // a separator, as in fromLines(); inputs may hold newlines themselves
    m_text.append(utf8.data(), utf8.size());
    m_ends.push_back(m_text.size());
}

void InputList::append(const InputList &more)
{
    if (more.isEmpty())
        return;
    if (isEmpty()) {
        *this = more;
        return;
    }
    m_text += '\n';
    const qint64 shift = m_text.size();
    m_text += more.m_text;
    // resize() grows geometrically (reserve() would allocate exactly, and copy the whole list
    // again on every chunk a reader appends).
    const qsizetype first = m_ends.size();
    m_ends.resize(first + more.m_ends.size());
    qint64 *ends = m_ends.data() + first;
    for (const qint64 end : more.m_ends)
        *ends++ = end + shift;
}

QStringList InputList::toStringList() const
{
    QStringList list;
    list.reserve(size());
    for (qsizetype i = 0; i < size(); ++i)
        list << at(i);
    return list;
}

} // namespace shoal
