#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>

namespace shoal {

// Inputs, arguments and file names are bytes on Unix, not necessarily UTF-8 (a Latin-1 file
// name, a binary line). Shoal carries them in QStrings so that placeholders and quoting work on
// text, and uses Python's "surrogateescape" convention to lose nothing on the way:
// decodeBytes() decodes UTF-8 and maps each byte of an invalid sequence to the lone surrogate
// U+DC80 + (byte - 0x80); encodeBytes() encodes back to UTF-8 and turns those surrogates into
// the original bytes. encodeBytes(decodeBytes(b)) == b for every byte string b. Use them
// wherever bytes come in (argv, input files) and go out (execve, the joblog); what is only
// shown to a user may still go through QString::toUtf8().
QString decodeBytes(QByteArrayView bytes);
QByteArray encodeBytes(QStringView text);

} // namespace shoal
