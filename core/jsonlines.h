#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace shoal {

// The service workers' JSON-lines protocol, read and written without building a DOM: a
// worker answers each request {"id":N,"input":"..."} with one of
//   {"id":N,"ok":true,"result":VALUE}   {"id":N,"ok":false,"error":VALUE}   {"id":N,"progress":0.4}
// The reader is strict about the shape (one object, a numeric id, valid JSON throughout) so
// that a worker writing garbage is caught at the first bad line, and fast enough for millions
// of lines a second.
struct ServiceReply
{
    enum class Kind : quint8 { Result, Error, Progress };
    Kind kind = Kind::Result;
    qint64 id = -1;
    double progress = 0;
    QByteArrayView value; // raw JSON of "result" or "error" (a view into the line)
};

// Parses one line (without its newline). On failure returns false and says why in *error.
bool parseServiceReply(QByteArrayView line, ServiceReply *reply, QString *error);
// Its two halves, public for the tests and the fuzzer, which check that they agree: the fast
// path for the shape nearly every answer has ({"id":N,"ok":true,"result":V}, V an integer or
// a string without escapes; false for anything else), and the general reader.
bool parseCommonReply(QByteArrayView line, ServiceReply *reply);
bool parseServiceReplyFully(QByteArrayView line, ServiceReply *reply, QString *error);

// Appends VALUE as text: a JSON string is decoded, anything else is kept as raw JSON.
void appendJsonValueAsText(QByteArray &out, QByteArrayView value);
// Appends utf8 as a JSON string literal (quoted, escaped), to a QByteArray or a std::string.
template<typename Buffer> void appendJsonString(Buffer &out, QByteArrayView utf8)
{
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    const char *p = utf8.data();
    const char *end = p + utf8.size();
    while (p < end) {
        const char *run = p;
        while (p < end && static_cast<unsigned char>(*p) >= 0x20 && *p != '"' && *p != '\\')
            ++p;
        out.append(run, size_t(p - run));
        if (p >= end)
            break;
        const unsigned char c = static_cast<unsigned char>(*p++);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    out += '"';
}

} // namespace shoal
