#include "jsonlines.h"

#include <cstdlib>
#include <cstring>
#include <string_view>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

class Scanner
{
public:
    explicit Scanner(QByteArrayView text)
        : m_p(text.data())
        , m_end(text.data() + text.size())
    {
    }

    void skipSpace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\t' || *m_p == '\r'))
            ++m_p;
    }
    bool atEnd() const { return m_p >= m_end; }
    bool consume(char c)
    {
        skipSpace();
        if (m_p < m_end && *m_p == c) {
            ++m_p;
            return true;
        }
        return false;
    }
    const char *pos() const { return m_p; }

    // A JSON string; *contents gets the raw bytes between the quotes.
    bool string(QByteArrayView *contents)
    {
        skipSpace();
        if (m_p >= m_end || *m_p != '"')
            return false;
        const char *start = ++m_p;
        while (m_p < m_end) {
            const unsigned char c = static_cast<unsigned char>(*m_p);
            if (c == '"') {
                if (contents)
                    *contents = QByteArrayView(start, m_p - start);
                ++m_p;
                return true;
            }
            if (c < 0x20)
                return false;
            if (c == '\\') {
                if (++m_p >= m_end)
                    return false;
                if (*m_p == 'u') {
                    for (int i = 0; i < 4; ++i) {
                        if (++m_p >= m_end || !std::isxdigit(static_cast<unsigned char>(*m_p)))
                            return false;
                    }
                } else if (!std::strchr("\"\\/bfnrt", *m_p) || *m_p == '\0') {
                    return false;
                }
            }
            ++m_p;
        }
        return false;
    }

    bool number(double *value)
    {
        skipSpace();
        const char *start = m_p;
        if (m_p < m_end && *m_p == '-')
            ++m_p;
        if (m_p >= m_end || !std::isdigit(static_cast<unsigned char>(*m_p)))
            return false;
        if (*m_p == '0')
            ++m_p;
        else
            while (m_p < m_end && std::isdigit(static_cast<unsigned char>(*m_p)))
                ++m_p;
        bool fraction = m_p - start > 15; // too long for an exact qint64: let strtod do it
        if (m_p < m_end && *m_p == '.') {
            fraction = true;
            ++m_p;
            if (m_p >= m_end || !std::isdigit(static_cast<unsigned char>(*m_p)))
                return false;
            while (m_p < m_end && std::isdigit(static_cast<unsigned char>(*m_p)))
                ++m_p;
        }
        if (m_p < m_end && (*m_p == 'e' || *m_p == 'E')) {
            fraction = true;
            ++m_p;
            if (m_p < m_end && (*m_p == '+' || *m_p == '-'))
                ++m_p;
            if (m_p >= m_end || !std::isdigit(static_cast<unsigned char>(*m_p)))
                return false;
            while (m_p < m_end && std::isdigit(static_cast<unsigned char>(*m_p)))
                ++m_p;
        }
        if (value && !fraction) {
            // Integers (ids) without strtod: this runs once per task.
            qint64 v = 0;
            for (const char *d = start + (*start == '-'); d < m_p; ++d)
                v = v * 10 + (*d - '0');
            *value = double(*start == '-' ? -v : v);
        } else if (value) {
            char buffer[64];
            const qsizetype n = qMin<qsizetype>(m_p - start, sizeof buffer - 1);
            std::memcpy(buffer, start, size_t(n));
            buffer[n] = '\0';
            *value = std::strtod(buffer, nullptr);
        }
        return true;
    }

    bool literal(const char *word)
    {
        const size_t n = std::strlen(word);
        if (size_t(m_end - m_p) < n || std::memcmp(m_p, word, n) != 0)
            return false;
        m_p += n;
        return true;
    }

    // Any JSON value; *raw gets its text. Depth-limited so hostile input cannot overflow the stack.
    bool value(QByteArrayView *raw, int depth = 0)
    {
        skipSpace();
        if (m_p >= m_end || depth > 64)
            return false;
        const char *start = m_p;
        bool ok;
        switch (*m_p) {
        case '"':
            ok = string(nullptr);
            break;
        case '{':
            ++m_p;
            ok = true;
            if (!consume('}')) {
                do {
                    ok = string(nullptr) && consume(':') && value(nullptr, depth + 1);
                } while (ok && consume(','));
                ok = ok && consume('}');
            }
            break;
        case '[':
            ++m_p;
            ok = true;
            if (!consume(']')) {
                do {
                    ok = value(nullptr, depth + 1);
                } while (ok && consume(','));
                ok = ok && consume(']');
            }
            break;
        case 't':
            ok = literal("true");
            break;
        case 'f':
            ok = literal("false");
            break;
        case 'n':
            ok = literal("null");
            break;
        default:
            ok = number(nullptr);
            break;
        }
        if (ok && raw)
            *raw = QByteArrayView(start, m_p - start);
        return ok;
    }

private:
    const char *m_p;
    const char *m_end;
};

void appendUtf8(QByteArray &out, uint cp)
{
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xc0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += char(0xe0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3f));
        out += char(0x80 | (cp & 0x3f));
    } else {
        out += char(0xf0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3f));
        out += char(0x80 | ((cp >> 6) & 0x3f));
        out += char(0x80 | (cp & 0x3f));
    }
}

} // namespace

bool parseCommonReply(QByteArrayView line, ServiceReply *reply)
{
    // Exactly {"id":N,"ok":true,"result":V} with N a plain whole number and V an integer or a
    // string without escapes: what nearly every answer of a busy worker looks like.
    static constexpr char kHead[] = "{\"id\":";
    static constexpr char kOk[] = ",\"ok\":true,\"result\":";
    constexpr qsizetype headSize = sizeof kHead - 1, okSize = sizeof kOk - 1;
    const char *p = line.data();
    const char *end = p + line.size();
    if (line.size() < headSize + 1 + okSize + 2 || std::memcmp(p, kHead, headSize) != 0
        || end[-1] != '}')
        return false;
    p += headSize;
    const char *digits = p;
    qint64 id = 0;
    while (p < end && static_cast<unsigned char>(*p - '0') < 10) {
        if (p - digits == 15)
            return false; // longer ids: the full reader decides (no overflow here)
        id = id * 10 + (*p++ - '0');
    }
    const qsizetype idSize = p - digits;
    if (idSize == 0 || (idSize > 1 && *digits == '0'))
        return false;
    if (end - p < okSize || std::memcmp(p, kOk, okSize) != 0)
        return false;
    const char *value = p + okSize;
    const char *valueEnd = end - 1;
    if (value >= valueEnd)
        return false;
    if (*value == '"') {
        if (valueEnd - value < 2 || valueEnd[-1] != '"')
            return false;
        for (const char *q = value + 1; q < valueEnd - 1; ++q) {
            const unsigned char c = static_cast<unsigned char>(*q);
            if (c < 0x20 || c == '"' || c == '\\')
                return false;
        }
    } else {
        const char *q = value + (*value == '-');
        if (q >= valueEnd)
            return false;
        if (*q == '0') {
            if (q + 1 != valueEnd)
                return false;
        } else {
            for (; q < valueEnd; ++q) {
                if (static_cast<unsigned char>(*q - '0') >= 10)
                    return false;
            }
        }
    }
    reply->kind = ServiceReply::Kind::Result;
    reply->id = id;
    reply->progress = 0;
    reply->value = QByteArrayView(value, valueEnd - value);
    return true;
}

bool parseServiceReply(QByteArrayView line, ServiceReply *reply, QString *error)
{
    return parseCommonReply(line, reply) || parseServiceReplyFully(line, reply, error);
}

namespace {

// The keys of a reply object as read so far.
struct ReplyFields
{
    bool haveId = false, haveOk = false, ok = false, haveResult = false, haveError = false,
         haveProgress = false;
    QByteArrayView result, error;
};

// Reads the value of one key of a reply: an error message, or nullptr.
const char *readReplyField(Scanner &s, std::string_view key, ServiceReply *reply, ReplyFields *f)
{
    if (key == "id") {
        double id = 0;
        // Range first: converting a double beyond qint64 is undefined behaviour.
        if (!s.number(&id) || !(id >= 0 && id < 0x1p63) || id != double(qint64(id)))
            return "\"id\" must be a whole number";
        reply->id = qint64(id);
        f->haveId = true;
    } else if (key == "ok") {
        s.skipSpace();
        if (s.literal("true"))
            f->ok = true;
        else if (s.literal("false"))
            f->ok = false;
        else
            return "\"ok\" must be true or false";
        f->haveOk = true;
    } else if (key == "result" || key == "error") {
        QByteArrayView raw;
        if (!s.value(&raw))
            return "not valid JSON";
        (key == "result" ? f->result : f->error) = raw;
        (key == "result" ? f->haveResult : f->haveError) = true;
    } else if (key == "progress") {
        if (!s.number(&reply->progress))
            return "\"progress\" must be a number";
        f->haveProgress = true;
    } else if (!s.value(nullptr)) { // unknown keys are allowed, if valid
        return "not valid JSON";
    }
    return nullptr;
}

// The object's keys, up to and with its closing brace.
const char *readReplyObject(Scanner &s, ServiceReply *reply, ReplyFields *f)
{
    if (!s.consume('{'))
        return "not a JSON object";
    if (s.consume('}'))
        return nullptr;
    do {
        QByteArrayView keyView;
        if (!s.string(&keyView) || !s.consume(':'))
            return "not valid JSON";
        const std::string_view key(keyView.data(), size_t(keyView.size()));
        if (const char *error = readReplyField(s, key, reply, f))
            return error;
    } while (s.consume(','));
    return s.consume('}') ? nullptr : "not valid JSON";
}

} // namespace

bool parseServiceReplyFully(QByteArrayView line, ServiceReply *reply, QString *error)
{
    Scanner s(line);
    *reply = {};
    ReplyFields f;
    const char *problem = readReplyObject(s, reply, &f);
    if (!problem) {
        s.skipSpace();
        if (!s.atEnd())
            problem = "text after the JSON object";
        else if (!f.haveId)
            problem = "no \"id\"";
        else if (!f.haveOk && !f.haveProgress)
            problem = "no \"ok\" (nor \"progress\")";
    }
    if (problem) {
        *error = QString::fromLatin1(problem);
        return false;
    }
    if (!f.haveOk) {
        reply->kind = ServiceReply::Kind::Progress;
    } else if (f.ok) {
        reply->kind = ServiceReply::Kind::Result;
        reply->value = f.haveResult ? f.result : QByteArrayView("null");
    } else {
        reply->kind = ServiceReply::Kind::Error;
        reply->value = f.haveError ? f.error : QByteArrayView("null");
    }
    return true;
}

void appendJsonValueAsText(QByteArray &out, QByteArrayView value)
{
    if (value.size() < 2 || value.front() != '"') {
        out.append(value.data(), value.size());
        return;
    }
    const char *p = value.data() + 1;
    const char *end = value.data() + value.size() - 1;
    while (p < end) {
        const char *run = p;
        while (p < end && *p != '\\')
            ++p;
        out.append(run, p - run);
        if (p >= end)
            break;
        ++p; // the backslash
        switch (*p) {
        case 'n':
            out += '\n';
            break;
        case 't':
            out += '\t';
            break;
        case 'r':
            out += '\r';
            break;
        case 'b':
            out += '\b';
            break;
        case 'f':
            out += '\f';
            break;
        case 'u': {
            uint cp = uint(std::strtoul(QByteArray(p + 1, 4).constData(), nullptr, 16));
            p += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && end - p > 6 && p[1] == '\\' && p[2] == 'u') {
                const uint low = uint(std::strtoul(QByteArray(p + 3, 4).constData(), nullptr, 16));
                if (low >= 0xdc00 && low < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                    p += 6;
                }
            }
            appendUtf8(out, cp);
            break;
        }
        default:
            out += *p;
            break; // " \ /
        }
        ++p;
    }
}

} // namespace shoal
