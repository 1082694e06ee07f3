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

// Appends VALUE as text: a JSON string is decoded, anything else is kept as raw JSON.
void appendJsonValueAsText(QByteArray &out, QByteArrayView value);
// Appends utf8 as a JSON string literal (quoted, escaped).
void appendJsonString(QByteArray &out, QByteArrayView utf8);

} // namespace shoal
