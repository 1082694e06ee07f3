#pragma once

#include "result.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <utility>

namespace shoal {

// GNU parallel's shell quoting: words of [-_.+a-zA-Z0-9/] stay bare, others are single-quoted.
QString shellQuote(const QString &word);
QString shellJoin(const QStringList &words);
// Splits a command line into words as a POSIX shell would (quotes, backslashes); no expansions.
Result<QStringList> splitShellWords(const QString &text);

// A command template with GNU parallel's placeholders: {} {.} {/} {//} {/.} {#} {%}.
// In argv mode (the default) each template word becomes one argv element and inputs are never
// re-parsed; in shell mode the words are joined into one /bin/sh -c script with each
// substituted value quoted for the shell. No placeholder at all: the input is the last word.
class CommandTemplate
{
public:
    enum class Placeholder : quint8 {
        Input,
        NoExtension,
        Basename,
        Dirname,
        BasenameNoExtension,
        Seq,
        Slot
    };

    CommandTemplate() = default;
    // A single word with white space in argv mode is split like a shell would split it
    // (`'gzip -9 {}'`), so GNU parallel habits carry over; the inputs are still never split.
    // asIs: each word is one argv element even with white space in it.
    static Result<CommandTemplate> parse(const QStringList &words, bool shell, bool asIs = false);
    // A file name with placeholders (--transferfile {}, --return {.}.out): one word, never split,
    // nothing appended; expand() gives it as its only element.
    static Result<CommandTemplate> parsePath(const QString &pattern);

    bool isEmpty() const { return m_words.isEmpty(); }
    bool shell() const { return m_shell; }
    QStringList words() const { return m_source; }

    // The argv to exec (in shell mode: /bin/sh -c SCRIPT).
    QStringList expand(const QString &input, qint64 seq, int slot) const;
    // The command as a shell would read it: the joblog's Command column and what a user sees.
    QString display(const QStringList &argv) const;
    // display(expand(input, seq, slot)), and in *varying the [start, end) spans of it that the
    // placeholders (or the appended input) put there: what changes from one input to the next.
    QString displayVarying(const QString &input, qint64 seq, int slot,
                           QList<std::pair<qsizetype, qsizetype>> *varying) const;
    // The program when it does not depend on the input (empty when argv[0] has a placeholder).
    QString fixedProgram() const;

    static QString substitute(Placeholder placeholder, const QString &input, qint64 seq, int slot);

private:
    struct Part
    {
        bool literal = true;
        Placeholder placeholder = Placeholder::Input;
        QString text;
    };
    using Word = QList<Part>;

    QString expandWord(const Word &word, const QString &input, qint64 seq, int slot) const;

    QList<Word> m_words;
    QStringList m_source;
    bool m_shell = false;
    bool m_appendInput = false;
};

} // namespace shoal
