#include "commandtemplate.h"

#include <QRegularExpression>

#include <algorithm>
#include <vector>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

bool isBareShellChar(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
        || c == u'-' || c == u'_' || c == u'.' || c == u'+' || c == u'/';
}

struct Known
{
    const char16_t *name;
    CommandTemplate::Placeholder placeholder;
};
constexpr Known kPlaceholders[] = {
    { u"", CommandTemplate::Placeholder::Input },
    { u".", CommandTemplate::Placeholder::NoExtension },
    { u"/", CommandTemplate::Placeholder::Basename },
    { u"//", CommandTemplate::Placeholder::Dirname },
    { u"/.", CommandTemplate::Placeholder::BasenameNoExtension },
    { u"#", CommandTemplate::Placeholder::Seq },
    { u"%", CommandTemplate::Placeholder::Slot },
};

// GNU: s:\.[^/.]*$::
QString stripExtension(const QString &path)
{
    for (qsizetype i = path.size() - 1; i >= 0; --i) {
        if (path[i] == u'/')
            return path;
        if (path[i] == u'.')
            return path.left(i);
    }
    return path;
}

// GNU: s:.*/::
QString basename(const QString &path)
{
    return path.mid(path.lastIndexOf(u'/') + 1);
}

// Perl's File::Basename::dirname, which GNU parallel uses for {//}.
QString dirname(QString path)
{
    while (path.size() > 1 && path.endsWith(u'/'))
        path.chop(1);
    const qsizetype slash = path.lastIndexOf(u'/');
    if (slash < 0)
        return u"."_s;
    path.truncate(slash);
    while (path.size() > 1 && path.endsWith(u'/'))
        path.chop(1);
    return path.isEmpty() ? u"/"_s : path;
}

// Text and, per character, whether a placeholder put it there.
struct Marked
{
    QString text;
    std::vector<bool> varying;

    void append(const QString &part, bool isVarying)
    {
        text += part;
        varying.insert(varying.end(), size_t(part.size()), isVarying);
    }
    void append(const Marked &other)
    {
        text += other.text;
        varying.insert(varying.end(), other.varying.begin(), other.varying.end());
    }
};

// shellQuote(word.text), each character keeping its mark.
Marked quoteMarked(const Marked &word)
{
    if (word.text.isEmpty() || std::all_of(word.text.begin(), word.text.end(), isBareShellChar)) {
        Marked bare = word;
        if (word.text.isEmpty())
            bare.append(u"''"_s, false);
        return bare;
    }
    Marked quoted;
    quoted.append(u"'"_s, false);
    for (qsizetype i = 0; i < word.text.size(); ++i) {
        const bool mark = word.varying[size_t(i)];
        quoted.append(word.text[i] == u'\'' ? u"'\"'\"'"_s : QString(word.text[i]), mark);
    }
    quoted.append(u"'"_s, false);
    if (quoted.text.startsWith(u"''"_s)) {
        quoted.text.remove(0, 2);
        quoted.varying.erase(quoted.varying.begin(), quoted.varying.begin() + 2);
    }
    if (quoted.text.endsWith(u"''"_s)) {
        quoted.text.chop(2);
        quoted.varying.resize(quoted.varying.size() - 2);
    }
    return quoted;
}

} // namespace

Result<QStringList> splitShellWords(const QString &text)
{
    QStringList words;
    QString word;
    bool inWord = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (c == u'\'') {
            const qsizetype close = text.indexOf(u'\'', i + 1);
            if (close < 0)
                return Error { u"unterminated single quote in '%1'"_s.arg(text) };
            word += text.mid(i + 1, close - i - 1);
            i = close;
            inWord = true;
        } else if (c == u'"') {
            qsizetype j = i + 1;
            for (; j < text.size() && text[j] != u'"'; ++j) {
                if (text[j] == u'\\' && j + 1 < text.size() && text[j + 1] == u'\n') {
                    ++j; // a line continued inside the quotes: both go, as in sh
                    continue;
                }
                if (text[j] == u'\\' && j + 1 < text.size()
                    && QStringView(u"\"\\$`").contains(text[j + 1]))
                    ++j;
                word += text[j];
            }
            if (j >= text.size())
                return Error { u"unterminated double quote in '%1'"_s.arg(text) };
            i = j;
            inWord = true;
        } else if (c == u'\\' && i + 1 < text.size()) {
            if (text[i + 1] == u'\n') { // a line continued: both go, as in sh
                ++i;
                continue;
            }
            word += text[++i];
            inWord = true;
        } else if (c.isSpace()) {
            if (inWord)
                words << std::exchange(word, {});
            inWord = false;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (inWord)
        words << word;
    return words;
}

QString shellQuote(const QString &word)
{
    if (word.isEmpty())
        return u"''"_s;
    if (std::all_of(word.begin(), word.end(), isBareShellChar))
        return word;
    QString quoted = u"'"_s + QString(word).replace(u"'"_s, u"'\"'\"'"_s) + u"'"_s;
    if (quoted.startsWith(u"''"_s))
        quoted.remove(0, 2);
    if (quoted.endsWith(u"''"_s))
        quoted.chop(2);
    return quoted;
}

QString shellJoin(const QStringList &words)
{
    QStringList quoted;
    quoted.reserve(words.size());
    for (const QString &w : words)
        quoted << shellQuote(w);
    return quoted.join(u' ');
}

Result<CommandTemplate> CommandTemplate::parsePath(const QString &pattern)
{
    if (pattern.isEmpty())
        return Error { u"an empty file name"_s };
    auto parsed = parse({ pattern }, false, true);
    if (parsed)
        parsed->m_appendInput = false;
    return parsed;
}

Result<CommandTemplate> CommandTemplate::parse(const QStringList &words, bool shell, bool asIs)
{
    QStringList source = words;
    if (!shell && !asIs && source.size() == 1
        && source.front().contains(QRegularExpression(u"\\s"_s))) {
        auto split = splitShellWords(source.front());
        if (!split)
            return Error { split.error() };
        source = *split;
    }
    if (source.isEmpty() || (source.size() == 1 && source.front().trimmed().isEmpty()))
        return Error { u"the command template is empty"_s };

    // Brace groups whose content could only be a placeholder ({x}, {1}, {..}) are checked;
    // others ({print $1}, {a,b}) are literal text, as in GNU parallel.
    static const QRegularExpression placeholderLike(u"^[A-Za-z0-9_./#%+]*$"_s);

    CommandTemplate t;
    t.m_shell = shell;
    t.m_source = words;
    bool anyPlaceholder = false;
    const QStringList parsedWords = shell ? QStringList { source.join(u' ') } : source;
    for (const QString &text : parsedWords) {
        Word word;
        QString literal;
        qsizetype i = 0;
        while (i < text.size()) {
            const QChar c = text[i];
            if (c == u'{') {
                const qsizetype close = text.indexOf(u'}', i + 1);
                if (close > 0) {
                    const QString content = text.mid(i + 1, close - i - 1);
                    if (placeholderLike.match(content).hasMatch()) {
                        const auto known
                            = std::find_if(std::begin(kPlaceholders), std::end(kPlaceholders),
                                           [&](const Known &k) { return content == k.name; });
                        if (known == std::end(kPlaceholders)) {
                            return Error {
                                u"unknown placeholder '{%1}' in the command template '%2' "
                                "(known: {} {.} {/} {//} {/.} {#} {%})"_s.arg(content,
                                                                              words.join(u' '))
                            };
                        }
                        if (!literal.isEmpty())
                            word.append(
                                Part { true, Placeholder::Input, std::exchange(literal, {}) });
                        word.append(Part { false, known->placeholder, {} });
                        anyPlaceholder = true;
                        i = close + 1;
                        continue;
                    }
                }
            }
            literal += c;
            ++i;
        }
        if (!literal.isEmpty() || word.isEmpty())
            word.append(Part { true, Placeholder::Input, literal });
        t.m_words.append(word);
    }
    t.m_appendInput = !anyPlaceholder;
    return t;
}

QString CommandTemplate::substitute(Placeholder placeholder, const QString &input, qint64 seq,
                                    int slot)
{
    switch (placeholder) {
    case Placeholder::Input:
        return input;
    case Placeholder::NoExtension:
        return stripExtension(input);
    case Placeholder::Basename:
        return basename(input);
    case Placeholder::Dirname:
        return dirname(input);
    case Placeholder::BasenameNoExtension:
        return stripExtension(basename(input));
    case Placeholder::Seq:
        return QString::number(seq);
    case Placeholder::Slot:
        return QString::number(slot);
    }
    return {};
}

QString CommandTemplate::expandWord(const Word &word, const QString &input, qint64 seq,
                                    int slot) const
{
    QString out;
    for (const Part &part : word) {
        if (part.literal)
            out += part.text;
        else if (m_shell)
            out += shellQuote(substitute(part.placeholder, input, seq, slot));
        else
            out += substitute(part.placeholder, input, seq, slot);
    }
    return out;
}

QStringList CommandTemplate::expand(const QString &input, qint64 seq, int slot) const
{
    if (m_shell) {
        QString script = expandWord(m_words.front(), input, seq, slot);
        if (m_appendInput)
            script += u' ' + shellQuote(input);
        return { u"/bin/sh"_s, u"-c"_s, script };
    }
    QStringList argv;
    argv.reserve(m_words.size() + 1);
    for (const Word &w : m_words)
        argv << expandWord(w, input, seq, slot);
    if (m_appendInput)
        argv << input;
    return argv;
}

QString CommandTemplate::display(const QStringList &argv) const
{
    return m_shell ? argv.value(2) : shellJoin(argv);
}

QString CommandTemplate::displayVarying(const QString &input, qint64 seq, int slot,
                                        QList<std::pair<qsizetype, qsizetype>> *varying) const
{
    Marked out;
    if (m_shell) {
        for (const Part &part : m_words.front()) {
            if (part.literal)
                out.append(part.text, false);
            else
                out.append(shellQuote(substitute(part.placeholder, input, seq, slot)), true);
        }
        if (m_appendInput) {
            out.append(u" "_s, false);
            out.append(shellQuote(input), true);
        }
    } else {
        QList<Marked> words;
        for (const Word &w : m_words) {
            Marked word;
            for (const Part &part : w) {
                if (part.literal)
                    word.append(part.text, false);
                else
                    word.append(substitute(part.placeholder, input, seq, slot), true);
            }
            words << word;
        }
        if (m_appendInput) {
            Marked last;
            last.append(input, true);
            words << last;
        }
        for (qsizetype i = 0; i < words.size(); ++i) {
            if (i > 0)
                out.append(u" "_s, false);
            out.append(quoteMarked(words[i]));
        }
    }
    if (varying) {
        varying->clear();
        for (size_t i = 0; i < out.varying.size(); ++i) {
            if (!out.varying[i])
                continue;
            if (!varying->isEmpty() && varying->last().second == qsizetype(i))
                varying->last().second = qsizetype(i) + 1;
            else
                varying->append({ qsizetype(i), qsizetype(i) + 1 });
        }
    }
    return out.text;
}

QString CommandTemplate::fixedProgram() const
{
    if (m_shell)
        return u"/bin/sh"_s;
    const Word &first = m_words.front();
    return first.size() == 1 && first.front().literal ? first.front().text : QString();
}

} // namespace shoal
