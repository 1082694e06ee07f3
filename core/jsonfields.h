#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

namespace shoal {

// Reading a JSON file's fields with errors a person can act on: each reader returns an empty
// string, or a message naming the key and what it must hold.

// "line:column" of a byte offset, for a parse error.
QString lineColumn(const QByteArray &data, int offset);
// A JSON number that is a whole number a double holds exactly (|n| <= 2^53), as a qint64.
bool exactInteger(const QJsonValue &v, qint64 *out);
// Edit distance, for suggesting the key a typo meant.
int editDistance(QStringView a, QStringView b);
// An error for the first key of o that is not known (a typo would otherwise do nothing at all),
// naming the closest known key when one is near. where: the enclosing key ("" at the top).
QString unknownKey(const QJsonObject &o, const QStringList &known, const QString &where);
QString wrongType(const QString &key, const QString &expected);
// Optional fields: the output is left alone when the key is missing.
QString stringField(const QJsonObject &o, const QString &key, const QString &name, QString *out);
QString boolField(const QJsonObject &o, const QString &key, const QString &name, bool *out);
// A string, or an array of strings: a command line.
QString wordsField(const QJsonValue &v, const QString &name, QStringList *out);
QString intField(const QJsonObject &o, const QString &key, const QString &name, int min, int max,
                 int *out);

} // namespace shoal
