#include "bytes.h"

#include <algorithm>

namespace shoal {

namespace {

constexpr char16_t kEscapeBase = 0xDC00; // a byte b >= 0x80 becomes U+DC00 + b (U+DC80..U+DCFF)

bool isContinuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

// The length of the valid UTF-8 sequence at p (at most end - p bytes), or 0 when it is not one:
// overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid, as in Qt.
int validSequenceLength(const unsigned char *p, const unsigned char *end)
{
    const unsigned char c = p[0];
    const qsizetype left = end - p;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return left >= 2 && isContinuation(p[1]) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (left < 3 || !isContinuation(p[1]) || !isContinuation(p[2]))
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)) // overlong; surrogates
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (left < 4 || !isContinuation(p[1]) || !isContinuation(p[2]) || !isContinuation(p[3]))
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)) // overlong; > U+10FFFF
            return 0;
        return 4;
    }
    return 0;
}

} // namespace

QString decodeBytes(QByteArrayView bytes)
{
    if (bytes.isValidUtf8())
        return QString::fromUtf8(bytes); // the usual case
    QString text;
    text.reserve(bytes.size());
    auto p = reinterpret_cast<const unsigned char *>(bytes.data());
    const auto end = p + bytes.size();
    while (p < end) {
        // Runs of valid UTF-8 are decoded by Qt; each byte that starts no valid sequence is
        // escaped on its own (so the result does not depend on how invalid sequences group).
        const unsigned char *run = p;
        int n;
        while (p < end && (n = validSequenceLength(p, end)) > 0)
            p += n;
        if (p > run)
            text += QString::fromUtf8(reinterpret_cast<const char *>(run), p - run);
        if (p < end)
            text += QChar(char16_t(kEscapeBase + *p++));
    }
    return text;
}

QByteArray encodeBytes(QStringView text)
{
    const auto isSurrogate = [](QChar c) { return c.isSurrogate(); };
    if (std::none_of(text.begin(), text.end(), isSurrogate))
        return text.toUtf8(); // the usual case
    QByteArray bytes;
    bytes.reserve(text.size() * 3);
    qsizetype runStart = 0;
    const auto flushRun = [&](qsizetype upTo) {
        if (upTo > runStart)
            bytes += text.sliced(runStart, upTo - runStart).toUtf8();
    };
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t c = text[i].unicode();
        if (QChar::isHighSurrogate(c) && i + 1 < text.size()
            && QChar::isLowSurrogate(text[i + 1].unicode())) {
            ++i; // a pair: a code point past U+FFFF, encoded with its run
            continue;
        }
        if (c >= kEscapeBase + 0x80 && c <= kEscapeBase + 0xFF) {
            flushRun(i);
            bytes += char(c - kEscapeBase);
            runStart = i + 1;
        }
        // Any other lone surrogate stays in its run; toUtf8() writes '?' for it.
    }
    flushRun(text.size());
    return bytes;
}

} // namespace shoal
