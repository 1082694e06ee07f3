#include "bytes.h"
#include "inputlist.h"

#include <QRandomGenerator>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;

class TestBytes : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void decode_data();
    void decode();
    void everyByteRoundTrips();
    void randomBytesRoundTrip();
    void otherLoneSurrogatesAreNotBytes();
    void inputListKeepsBytes();
};

// Escaped: a byte b that starts no valid UTF-8 sequence becomes U+DC00 + b.
static QString esc(std::initializer_list<char16_t> units)
{
    return QString(reinterpret_cast<const QChar *>(units.begin()), qsizetype(units.size()));
}

void TestBytes::decode_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("text");
    QTest::newRow("ascii") << QByteArray("a b.txt") << u"a b.txt"_s;
    QTest::newRow("utf-8") << QByteArray("caf\xc3\xa9 \xf0\x9f\x90\x9f")
                           << u"caf\u00e9 \U0001F41F"_s;
    QTest::newRow("latin-1") << QByteArray("caf\xe9.txt") << u"caf"_s + esc({ 0xDCE9 }) + u".txt"_s;
    QTest::newRow("truncated sequence")
        << QByteArray("\xf0\x9f\x90") << esc({ 0xDCF0, 0xDC9F, 0xDC90 });
    QTest::newRow("lone continuation") << QByteArray("\x80x") << esc({ 0xDC80, u'x' });
    QTest::newRow("overlong slash") << QByteArray("\xc0\xaf") << esc({ 0xDCC0, 0xDCAF });
    QTest::newRow("overlong three bytes")
        << QByteArray("\xe0\x80\xaf") << esc({ 0xDCE0, 0xDC80, 0xDCAF });
    QTest::newRow("encoded surrogate")
        << QByteArray("\xed\xa0\x80") << esc({ 0xDCED, 0xDCA0, 0xDC80 });
    QTest::newRow("past U+10FFFF")
        << QByteArray("\xf4\x90\x80\x80") << esc({ 0xDCF4, 0xDC90, 0xDC80, 0xDC80 });
    QTest::newRow("valid after invalid") << QByteArray("\xff\xc3\xa9") << esc({ 0xDCFF, 0x00E9 });
    QTest::newRow("four bytes then a bad one")
        << QByteArray("\xf0\x9f\x90\x9f\x80") << u"\U0001F41F"_s + esc({ 0xDC80 });
}

void TestBytes::decode()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, text);
    QCOMPARE(decodeBytes(bytes), text);
    QCOMPARE(encodeBytes(text), bytes);
}

void TestBytes::everyByteRoundTrips()
{
    for (int b = 0; b < 256; ++b) {
        const QByteArray bytes = "x" + QByteArray(1, char(b)) + "y";
        QCOMPARE(encodeBytes(decodeBytes(bytes)), bytes);
    }
}

void TestBytes::randomBytesRoundTrip()
{
    QRandomGenerator random(11); // fixed: a failure replays
    for (int i = 0; i < 20000; ++i) {
        QByteArray bytes(random.bounded(1, 12), Qt::Uninitialized);
        for (char &c : bytes) // mostly high bytes, where the sequences are
            c = char(random.bounded(4) == 0 ? random.bounded(0x80) : random.bounded(0x80, 0x100));
        QCOMPARE(encodeBytes(decodeBytes(bytes)), bytes);
    }
}

void TestBytes::otherLoneSurrogatesAreNotBytes()
{
    // Only U+DC80..U+DCFF stand for bytes; other lone surrogates are not text: '?', as toUtf8()
    // writes them.
    QCOMPARE(encodeBytes(esc({ u'a', 0xD800, u'b' })), QByteArray("a?b"));
    QCOMPARE(encodeBytes(esc({ 0xDC7F, 0xDCE9 })), QByteArray("?\xe9"));
}

// Inputs travel as bytes: read from a file, seen as text (placeholders work on it), and
// appended back, they are the same bytes.
void TestBytes::inputListKeepsBytes()
{
    const QByteArray file("caf\xe9.txt\n\xff\xfe\nplain\n");
    const InputList list = InputList::fromLines(file);
    QCOMPARE(list.size(), 3);
    QCOMPARE(list.utf8(0), QByteArrayView("caf\xe9.txt"));
    QCOMPARE(list.at(0), u"caf"_s + esc({ 0xDCE9 }) + u".txt"_s);
    const InputList copy(list.toStringList());
    QCOMPARE(copy, list);
    QCOMPARE(copy.utf8(1), QByteArrayView("\xff\xfe"));

    const InputList records = InputList::fromRecords(QByteArray("a\nb\0c\0", 6), '\0');
    QCOMPARE(records.size(), 2);
    QCOMPARE(records.at(0), u"a\nb"_s);
    QCOMPARE(records.at(1), u"c"_s);
}

QTEST_GUILESS_MAIN(TestBytes)
#include "tst_bytes.moc"
