#include "jsonfields.h"

#include <QJsonArray>

#include <cmath>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

QString lineColumn(const QByteArray &data, int offset)
{
    int line = 1, column = 1;
    for (int i = 0; i < offset && i < data.size(); ++i) {
        if (data[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return u"%1:%2"_s.arg(line).arg(column);
}

// A JSON number that is a whole number a double holds exactly (|n| <= 2^53), as a qint64.
bool exactInteger(const QJsonValue &v, qint64 *out)
{
    const double d = v.toDouble();
    if (!v.isDouble() || !(std::fabs(d) <= 0x1p53) || d != std::trunc(d))
        return false;
    *out = qint64(d);
    return true;
}

// Edit distance, for suggesting the key a typo meant: edits (insert, delete, change, swap two
// neighbours) from a to b, ignoring case: "workdri" is one swap from "workdir", not two changes
// (the optimal string alignment distance).
int editDistance(QStringView a, QStringView b)
{
    QList<int> before(b.size() + 1), previous(b.size() + 1), row(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        previous[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        row[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const bool same = a[i - 1].toLower() == b[j - 1].toLower();
            row[j]
                = std::min({ previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (same ? 0 : 1) });
            if (i > 1 && j > 1 && a[i - 1].toLower() == b[j - 2].toLower()
                && a[i - 2].toLower() == b[j - 1].toLower())
                row[j] = std::min(row[j], before[j - 2] + 1);
        }
        std::swap(before, previous);
        std::swap(previous, row);
    }
    return previous[b.size()];
}

// An error for the first key of o that is not known (a typo would otherwise do nothing at all),
// naming the closest known key when one is near.
QString unknownKey(const QJsonObject &o, const QStringList &known, const QString &where)
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString key = it.key();
        if (known.contains(key))
            continue;
        QString closest;
        int best = std::max(2, int(key.size()) / 3) + 1;
        for (const QString &k : known) {
            const int d = editDistance(key, k);
            if (d < best) {
                best = d;
                closest = k;
            }
        }
        const QString name = where.isEmpty() ? key : where + u'.' + key;
        return closest.isEmpty()
            ? u"unknown key \"%1\" (known: %2)"_s.arg(name, known.join(u", "_s))
            : u"unknown key \"%1\" (did you mean \"%2\"?)"_s.arg(name, closest);
    }
    return {};
}

QString wrongType(const QString &key, const QString &expected)
{
    return u"\"%1\" must be %2"_s.arg(key, expected);
}

// Reads an optional string field; an error names the key when it holds anything else.
QString stringField(const QJsonObject &o, const QString &key, const QString &name, QString *out)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined())
        return {};
    if (!v.isString())
        return wrongType(name, u"a string"_s);
    *out = v.toString();
    return {};
}

QString boolField(const QJsonObject &o, const QString &key, const QString &name, bool *out)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined())
        return {};
    if (!v.isBool())
        return wrongType(name, u"true or false"_s);
    *out = v.toBool();
    return {};
}

// A string, or an array of strings: a command line.
QString wordsField(const QJsonValue &v, const QString &name, QStringList *out)
{
    if (v.isString()) {
        *out = { v.toString() };
        return {};
    }
    if (!v.isArray())
        return wrongType(name, u"a string or an array of strings"_s);
    QStringList words;
    for (const QJsonValue &w : v.toArray()) {
        if (!w.isString())
            return wrongType(name, u"a string or an array of strings"_s);
        words << w.toString();
    }
    *out = words;
    return {};
}

QString intField(const QJsonObject &o, const QString &key, const QString &name, int min, int max,
                 int *out)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined())
        return {};
    if (!v.isDouble() || !(v.toDouble() >= min && v.toDouble() <= max)
        || v.toDouble() != std::trunc(v.toDouble()))
        return u"\"%1\" must be a whole number from %2 to %3"_s.arg(name).arg(min).arg(max);
    *out = int(v.toDouble());
    return {};
}

} // namespace shoal
