// libFuzzer target: CommandTemplate::parse on words split from the input, then expand/display.
//
// Input layout: the first byte picks the mode (bit 0: shell mode); the rest is UTF-8 text,
// template words separated by '\n', then an optional '\0' and the input value to expand with.
// Besides "no crash, no UB", it checks the invariants front ends rely on: a parsed template
// expands to a non-empty argv, and in argv mode display() reads back, word for word, as the
// argv it was made from (the joblog's Command column can be pasted into a shell).
#include "commandtemplate.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace Qt::Literals::StringLiterals;

namespace {

void check(bool condition, const char *what, const QString &detail)
{
    if (condition)
        return;
    std::fprintf(stderr, "fuzz_commandtemplate: %s: %s\n", what, qPrintable(detail));
    std::abort();
}

void checkQuoteRoundTrip(const QString &word)
{
    const auto split = shoal::splitShellWords(shoal::shellQuote(word));
    check(split.ok() && *split == QStringList { word }, "splitShellWords(shellQuote(w)) != [w]",
          word + u" -> "_s + shoal::shellQuote(word));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    const bool shell = data[0] & 1;
    const QByteArray rest(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    const qsizetype nul = rest.indexOf('\0');
    const QString text = QString::fromUtf8(nul < 0 ? rest : rest.left(nul));
    const QString input
        = nul < 0 ? u"some/dir/file.tar.gz"_s : QString::fromUtf8(rest.mid(nul + 1));
    const QStringList words = text.split(u'\n');

    (void)shoal::splitShellWords(text);
    checkQuoteRoundTrip(input);

    const auto parsed = shoal::CommandTemplate::parse(words, shell);
    if (!parsed) {
        check(!parsed.error().isEmpty(), "parse failed without a message", text);
        return 0;
    }
    const shoal::CommandTemplate &t = *parsed;
    for (int slot : { 1, 7 }) {
        const QStringList argv = t.expand(input, 42, slot);
        check(!argv.isEmpty(), "expand() gave an empty argv", text);
        const QString display = t.display(argv);
        if (shell) {
            check(argv.size() == 3 && argv[0] == u"/bin/sh"_s && argv[1] == u"-c"_s, "shell argv",
                  text);
            check(display == argv[2], "shell display is not the script", text);
        } else {
            const auto back = shoal::splitShellWords(display);
            check(back.ok() && *back == argv, "display() does not read back as the argv", display);
        }
    }
    (void)t.fixedProgram();
    (void)t.words();
    return 0;
}
