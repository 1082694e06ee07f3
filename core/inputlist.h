#pragma once

#include "bytes.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>

namespace shoal {

// A batch's inputs, as one buffer of bytes and where each input ends: about 8 bytes per input
// beyond its text and no allocation per input, where a QStringList takes ~60 and one each. A
// million-line input file is read into it without a copy. Implicitly shared, like Qt's
// containers: copies are cheap and never see later appends. Inputs are bytes (UTF-8 or not, as
// GNU parallel takes them): at() decodes them with decodeBytes() and append() encodes with
// encodeBytes(), so that bytes that are not UTF-8 reach the task unchanged.
class InputList
{
public:
    InputList() = default;
    InputList(const QStringList &inputs); // NOLINT: implicit, lists of arguments are inputs too
    // Lines of text (a file's contents): '\n' separates, one final '\n' ends the last line.
    static InputList fromLines(QByteArray text) { return fromRecords(std::move(text), '\n'); }
    // The same with any separator ('\0' for -0/--null).
    static InputList fromRecords(QByteArray text, char separator);

    qsizetype size() const { return m_ends.size(); }
    bool isEmpty() const { return m_ends.isEmpty(); }
    // The input's bytes: UTF-8 unless the input was not.
    QByteArrayView utf8(qsizetype i) const
    {
        const qsizetype start = i > 0 ? m_ends.at(i - 1) + 1 : 0; // skips the separator
        return QByteArrayView(m_text.constData() + start, m_ends.at(i) - start);
    }
    QString at(qsizetype i) const { return decodeBytes(utf8(i)); }
    QString value(qsizetype i) const
    {
        return i >= 0 && i < size() ? at(i) : QString();
    } // empty when out of range
    void append(QByteArrayView utf8);
    void append(const QString &input) { append(QByteArrayView(encodeBytes(input))); }
    void append(const InputList &more); // all of more's inputs, after these
    QStringList toStringList() const;

    friend bool operator==(const InputList &a, const InputList &b)
    {
        return a.m_ends == b.m_ends && a.m_text == b.m_text;
    }

private:
    QByteArray m_text; // the inputs, one byte (a separator) between each two
    QList<qint64> m_ends; // where each input ends in m_text
};

} // namespace shoal
