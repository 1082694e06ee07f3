#include "bytes.h"
#include "commandtemplate.h"

#include <QTest>

using namespace Qt::Literals::StringLiterals;
using shoal::CommandTemplate;

class TestCommandTemplate : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void expand_data();
    void expand();
    void shellMode_data();
    void shellMode();
    void shellQuote_data();
    void shellQuote();
    void errors_data();
    void errors();
    void display();
    void displayVarying_data();
    void displayVarying();
    void multiLineCommands();
    void fixedProgram();
    void bytesThatAreNotUtf8Survive();
};

void TestCommandTemplate::expand_data()
{
    QTest::addColumn<QStringList>("words");
    QTest::addColumn<QString>("input");
    QTest::addColumn<QStringList>("argv");

    QTest::newRow("input") << QStringList { u"echo"_s, u"{}"_s } << u"a b"_s
                           << QStringList { u"echo"_s, u"a b"_s };
    QTest::newRow("no placeholder appends") << QStringList { u"gzip"_s, u"-9"_s } << u"f.txt"_s
                                            << QStringList { u"gzip"_s, u"-9"_s, u"f.txt"_s };
    QTest::newRow("empty input is an empty argument")
        << QStringList { u"echo"_s } << QString() << QStringList { u"echo"_s, QString() };
    QTest::newRow("no extension") << QStringList { u"x"_s, u"{.}"_s } << u"dir.d/file.tar.gz"_s
                                  << QStringList { u"x"_s, u"dir.d/file.tar"_s };
    QTest::newRow("no extension, dot in dir only")
        << QStringList { u"x"_s, u"{.}"_s } << u"dir.d/file"_s
        << QStringList { u"x"_s, u"dir.d/file"_s };
    QTest::newRow("basename") << QStringList { u"x"_s, u"{/}"_s } << u"/a/b/c.txt"_s
                              << QStringList { u"x"_s, u"c.txt"_s };
    QTest::newRow("dirname") << QStringList { u"x"_s, u"{//}"_s } << u"/a/b/c.txt"_s
                             << QStringList { u"x"_s, u"/a/b"_s };
    QTest::newRow("dirname of a bare name")
        << QStringList { u"x"_s, u"{//}"_s } << u"c.txt"_s << QStringList { u"x"_s, u"."_s };
    QTest::newRow("dirname of a root file")
        << QStringList { u"x"_s, u"{//}"_s } << u"/c"_s << QStringList { u"x"_s, u"/"_s };
    QTest::newRow("basename no extension")
        << QStringList { u"x"_s, u"{/.}"_s } << u"a.b/c.d.e"_s << QStringList { u"x"_s, u"c.d"_s };
    QTest::newRow("seq and slot") << QStringList { u"x"_s, u"{#}-{%}"_s } << u"in"_s
                                  << QStringList { u"x"_s, u"7-3"_s };
    QTest::newRow("inside a word")
        << QStringList { u"cp"_s, u"{}"_s, u"out/{/.}.bak"_s } << u"src/a.txt"_s
        << QStringList { u"cp"_s, u"src/a.txt"_s, u"out/a.bak"_s };
    QTest::newRow("quotes and spaces survive")
        << QStringList { u"echo"_s, u"{}"_s } << u"it's \"q\" $HOME *"_s
        << QStringList { u"echo"_s, u"it's \"q\" $HOME *"_s };
    QTest::newRow("literal braces stay")
        << QStringList { u"awk"_s, u"{print $1}"_s, u"{}"_s } << u"f"_s
        << QStringList { u"awk"_s, u"{print $1}"_s, u"f"_s };
    QTest::newRow("one word with spaces is split") << QStringList { u"gzip -9 '{}'"_s } << u"a b"_s
                                                   << QStringList { u"gzip"_s, u"-9"_s, u"a b"_s };
    QTest::newRow("split keeps double quotes' words")
        << QStringList { u"printf \"%s %s\\n\" {} \\$x"_s } << u"in"_s
        << QStringList { u"printf"_s, u"%s %s\\n"_s, u"in"_s, u"$x"_s };
    QTest::newRow("placeholder in the program")
        << QStringList { u"{}"_s, u"--version"_s } << u"/bin/true"_s
        << QStringList { u"/bin/true"_s, u"--version"_s };
}

void TestCommandTemplate::expand()
{
    QFETCH(QStringList, words);
    QFETCH(QString, input);
    QFETCH(QStringList, argv);
    auto t = CommandTemplate::parse(words, false);
    QVERIFY2(t.ok(), qPrintable(t.ok() ? QString() : t.error()));
    QCOMPARE(t->expand(input, 7, 3), argv);
}

void TestCommandTemplate::shellMode_data()
{
    QTest::addColumn<QStringList>("words");
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("script");
    QTest::newRow("quoted input") << QStringList { u"echo {} | wc -c"_s } << u"a b"_s
                                  << u"echo 'a b' | wc -c"_s;
    QTest::newRow("words joined") << QStringList { u"echo"_s, u"{}"_s, u";"_s, u"true"_s } << u"x"_s
                                  << u"echo x ; true"_s;
    QTest::newRow("appended") << QStringList { u"echo"_s } << u"it's"_s << u"echo 'it'\"'\"'s'"_s;
    QTest::newRow("no injection") << QStringList { u"echo {}"_s } << u"$(touch /tmp/x); `id`"_s
                                  << u"echo '$(touch /tmp/x); `id`'"_s;
}

void TestCommandTemplate::shellMode()
{
    QFETCH(QStringList, words);
    QFETCH(QString, input);
    QFETCH(QString, script);
    auto t = CommandTemplate::parse(words, true);
    QVERIFY(t.ok());
    const QStringList argv = t->expand(input, 1, 1);
    QCOMPARE(argv, (QStringList { u"/bin/sh"_s, u"-c"_s, script }));
    QCOMPARE(t->display(argv), script);
}

void TestCommandTemplate::shellQuote_data()
{
    QTest::addColumn<QString>("word");
    QTest::addColumn<QString>("quoted");
    QTest::newRow("bare") << u"a-b_c.d+e/f9"_s << u"a-b_c.d+e/f9"_s;
    QTest::newRow("empty") << QString() << u"''"_s;
    QTest::newRow("space") << u"a b"_s << u"'a b'"_s;
    QTest::newRow("quote inside") << u"it's"_s << u"'it'\"'\"'s'"_s;
    QTest::newRow("leading quote") << u"'x"_s << u"\"'\"'x'"_s;
    QTest::newRow("trailing quote") << u"x'"_s << u"'x'\"'\""_s;
}

void TestCommandTemplate::shellQuote()
{
    QFETCH(QString, word);
    QFETCH(QString, quoted);
    QCOMPARE(shoal::shellQuote(word), quoted);
}

void TestCommandTemplate::errors_data()
{
    QTest::addColumn<QStringList>("words");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("unknown placeholder")
        << QStringList { u"echo"_s, u"{x}"_s } << u"unknown placeholder '{x}'"_s;
    QTest::newRow("positional is unknown") << QStringList { u"echo"_s, u"{1}"_s } << u"'{1}'"_s;
    QTest::newRow("double dot") << QStringList { u"echo"_s, u"{..}"_s } << u"'{..}'"_s;
    QTest::newRow("empty") << QStringList {} << u"empty"_s;
    QTest::newRow("blank") << QStringList { u"  "_s } << u"empty"_s;
    QTest::newRow("unterminated quote")
        << QStringList { u"echo 'x {}"_s } << u"unterminated single quote"_s;
}

void TestCommandTemplate::errors()
{
    QFETCH(QStringList, words);
    QFETCH(QString, fragment);
    auto t = CommandTemplate::parse(words, false);
    QVERIFY(!t.ok());
    QVERIFY2(t.error().contains(fragment), qPrintable(t.error()));
}

void TestCommandTemplate::display()
{
    auto t = CommandTemplate::parse({ u"echo"_s, u"{}"_s, u"{.}"_s }, false);
    QVERIFY(t.ok());
    // The joblog's Command column, as GNU parallel -q writes it.
    QCOMPARE(t->display(t->expand(u"a b/c.d"_s, 1, 1)), u"echo 'a b/c.d' 'a b/c'"_s);
}

// What the New Batch preview highlights: the spans of the shown command that the input (or the
// number, or the slot) put there, through the shell quoting.
void TestCommandTemplate::displayVarying_data()
{
    QTest::addColumn<QStringList>("words");
    QTest::addColumn<bool>("shell");
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("marked"); // the display, with [ ] around each varying span

    QTest::newRow("argv, bare") << QStringList { u"gzip"_s, u"-9"_s, u"{}"_s } << false
                                << u"a.txt"_s << u"gzip -9 [a.txt]"_s;
    QTest::newRow("argv, quoted word")
        << QStringList { u"convert"_s, u"{}"_s, u"out/{/.}.png"_s } << false << u"in dir/x y.jpg"_s
        << u"convert '[in dir/x y.jpg]' 'out/[x y].png'"_s;
    QTest::newRow("argv, quote in input")
        << QStringList { u"echo"_s, u"{}"_s } << false << u"it's"_s << u"echo '[it'\"'\"'s]'"_s;
    QTest::newRow("argv, appended")
        << QStringList { u"wc"_s, u"-l"_s } << false << u"f"_s << u"wc -l [f]"_s;
    QTest::newRow("argv, number and slot")
        << QStringList { u"job-{#}-{%}"_s } << false << u"x"_s << u"job-[7]-[2]"_s;
    QTest::newRow("shell") << QStringList { u"echo {} >> {.}.log"_s } << true << u"a b.txt"_s
                           << u"echo ['a b.txt'] >> ['a b'].log"_s;
    QTest::newRow("shell, appended") << QStringList { u"cat"_s } << true << u"f"_s << u"cat [f]"_s;
}

void TestCommandTemplate::displayVarying()
{
    QFETCH(QStringList, words);
    QFETCH(bool, shell);
    QFETCH(QString, input);
    QFETCH(QString, marked);
    auto t = CommandTemplate::parse(words, shell);
    if (!t)
        QFAIL(qPrintable(t.error()));
    QList<std::pair<qsizetype, qsizetype>> spans;
    const QString shown = t->displayVarying(input, 7, 2, &spans);
    QCOMPARE(shown, t->display(t->expand(input, 7, 2)));
    QString withMarks = shown;
    for (qsizetype i = spans.size() - 1; i >= 0; --i) {
        withMarks.insert(spans[i].second, u']');
        withMarks.insert(spans[i].first, u'[');
    }
    QCOMPARE(withMarks, marked);
}

// A command of several lines: a shell script keeps them; in argv mode a newline separates
// words, and a backslash before it continues the line as in sh.
void TestCommandTemplate::multiLineCommands()
{
    auto script = CommandTemplate::parse({ u"set -e\necho {}\necho done"_s }, true);
    QVERIFY(script.ok());
    QCOMPARE(script->expand(u"x"_s, 1, 1).value(2), u"set -e\necho x\necho done"_s);
    auto argv = CommandTemplate::parse({ u"convert {}\n  -resize 50%\n  {.}.png"_s }, false);
    QVERIFY(argv.ok());
    QCOMPARE(argv->expand(u"a.jpg"_s, 1, 1),
             (QStringList { u"convert"_s, u"a.jpg"_s, u"-resize"_s, u"50%"_s, u"a.png"_s }));
    QCOMPARE(*shoal::splitShellWords(u"a \\\nb c\\\nd"_s),
             (QStringList { u"a"_s, u"b"_s, u"cd"_s }));
    QCOMPARE(*shoal::splitShellWords(u"\"x\\\ny\" \\\n"_s), QStringList { u"xy"_s });
}

void TestCommandTemplate::fixedProgram()
{
    QCOMPARE(CommandTemplate::parse({ u"gzip"_s, u"{}"_s }, false)->fixedProgram(), u"gzip"_s);
    QCOMPARE(CommandTemplate::parse({ u"{}"_s }, false)->fixedProgram(), QString());
    QCOMPARE(CommandTemplate::parse({ u"echo {}"_s }, true)->fixedProgram(), u"/bin/sh"_s);
}

// An input that is not UTF-8, decoded with decodeBytes(), keeps its bytes through every
// placeholder and the shell quoting: encodeBytes() gives them back for execve and the joblog.
void TestCommandTemplate::bytesThatAreNotUtf8Survive()
{
    const QString input = shoal::decodeBytes("d\xe9/f\xff.tar\xfe");
    auto t = CommandTemplate::parse({ u"x"_s, u"{}"_s, u"{.}"_s, u"{/}"_s, u"{//}"_s, u"{/.}"_s },
                                    false);
    QVERIFY(t.ok());
    const QStringList argv = t->expand(input, 1, 1);
    QList<QByteArray> bytes;
    for (const QString &a : argv)
        bytes << shoal::encodeBytes(a);
    QCOMPARE(bytes,
             (QList<QByteArray> { "x", "d\xe9/f\xff.tar\xfe", "d\xe9/f\xff", "f\xff.tar\xfe",
                                  "d\xe9", "f\xff" }));
    QCOMPARE(shoal::encodeBytes(t->display(argv)),
             QByteArray("x 'd\xe9/f\xff.tar\xfe' 'd\xe9/f\xff' 'f\xff.tar\xfe' 'd\xe9' 'f\xff'"));

    auto shell = CommandTemplate::parse({ u"cat {/} > {.}.out"_s }, true);
    QVERIFY(shell.ok());
    QCOMPARE(shoal::encodeBytes(shell->expand(input, 1, 1).value(2)),
             QByteArray("cat 'f\xff.tar\xfe' > 'd\xe9/f\xff'.out"));
}

QTEST_GUILESS_MAIN(TestCommandTemplate)
#include "tst_commandtemplate.moc"
