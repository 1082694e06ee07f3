#include "inputlist.h"

#include <QTest>

using namespace shoal;
using namespace Qt::Literals::StringLiterals;

// InputList: a batch's inputs as one buffer of bytes.
class TestInputList : public QObject
{
    Q_OBJECT
private slots:
    void fromLines_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QStringList>("inputs");
        QTest::newRow("nothing") << QByteArray() << QStringList();
        QTest::newRow("one empty line") << QByteArray("\n") << QStringList { QString() };
        QTest::newRow("no final newline") << QByteArray("a\nb") << QStringList { u"a"_s, u"b"_s };
        QTest::newRow("final newline") << QByteArray("a\nb\n") << QStringList { u"a"_s, u"b"_s };
        QTest::newRow("empty line between")
            << QByteArray("a\n\nb\n") << QStringList { u"a"_s, QString(), u"b"_s };
        QTest::newRow("two final newlines")
            << QByteArray("a\n\n") << QStringList { u"a"_s, QString() };
        QTest::newRow("utf-8") << QByteArray("café\nnaïve\n")
                               << QStringList { u"café"_s, u"naïve"_s };
    }

    void fromLines()
    {
        QFETCH(QByteArray, text);
        QFETCH(QStringList, inputs);
        const InputList list = InputList::fromLines(text);
        QCOMPARE(list.size(), inputs.size());
        QCOMPARE(list.isEmpty(), inputs.isEmpty());
        QCOMPARE(list.toStringList(), inputs);
    }

    void nulSeparatedRecordsKeepNewlines()
    {
        const InputList list = InputList::fromRecords(QByteArray("one\ntwo\0three\0", 14), '\0');
        QCOMPARE(list.size(), 2);
        QCOMPARE(list.at(0), u"one\ntwo"_s);
        QCOMPARE(list.at(1), u"three"_s);
    }

    // Bytes that are not UTF-8 reach the task unchanged: utf8() gives them back as they came.
    void bytesSurvive()
    {
        const QByteArray latin1("caf\xe9.txt");
        InputList list = InputList::fromLines(latin1 + '\n');
        QCOMPARE(list.utf8(0).toByteArray(), latin1);
        InputList appended;
        appended.append(list.at(0)); // decoded for display, encoded back
        QCOMPARE(appended.utf8(0).toByteArray(), latin1);
    }

    void appendKeepsInputsWhole()
    {
        InputList list;
        list.append(QByteArrayView("a\nb")); // an input may hold a newline
        list.append(u"c"_s);
        QCOMPARE(list.size(), 2);
        QCOMPARE(list.at(0), u"a\nb"_s);
        QCOMPARE(list.at(1), u"c"_s);
        list.append(InputList::fromLines("d\ne\n"));
        QCOMPARE(list.toStringList(), (QStringList { u"a\nb"_s, u"c"_s, u"d"_s, u"e"_s }));
        InputList empty;
        empty.append(list);
        QVERIFY(empty == list);
    }

    void copiesAreIndependent()
    {
        InputList list(QStringList { u"x"_s, u"y"_s });
        const InputList copy = list;
        list.append(u"z"_s);
        QCOMPARE(copy.size(), 2);
        QCOMPARE(list.size(), 3);
        QVERIFY(!(copy == list));
    }

    void valueOutOfRangeIsEmpty()
    {
        const InputList list(QStringList { u"only"_s });
        QCOMPARE(list.value(0), u"only"_s);
        QCOMPARE(list.value(-1), QString());
        QCOMPARE(list.value(1), QString());
    }
};

QTEST_GUILESS_MAIN(TestInputList)
#include "tst_inputlist.moc"
