#include "jsonlines.h"

#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;

class TestJsonLines : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void valid_data();
    void valid();
    void invalid_data();
    void invalid();
    void stringRoundTrip();
    void fastPathAgrees_data();
    void fastPathAgrees();
};

void TestJsonLines::valid_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<int>("kind");
    QTest::addColumn<qint64>("id");
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("number") << QByteArray(R"({"id":7,"ok":true,"result":14})")
                            << int(ServiceReply::Kind::Result) << qint64(7) << QByteArray("14");
    QTest::newRow("string") << QByteArray(
        R"({ "id" : 1 , "ok" : true , "result" : "a\nb\u00e9\ud83d\ude00" })")
                            << int(ServiceReply::Kind::Result) << qint64(1)
                            << QByteArray("a\nb\xc3\xa9\xf0\x9f\x98\x80");
    QTest::newRow("object") << QByteArray(R"({"id":2,"result":{"a":[1,2,{"b":null}]},"ok":true})")
                            << int(ServiceReply::Kind::Result) << qint64(2)
                            << QByteArray(R"({"a":[1,2,{"b":null}]})");
    QTest::newRow("error") << QByteArray(R"({"id":3,"ok":false,"error":"bad input"})")
                           << int(ServiceReply::Kind::Error) << qint64(3)
                           << QByteArray("bad input");
    QTest::newRow("progress") << QByteArray(R"({"id":4,"progress":0.4})")
                              << int(ServiceReply::Kind::Progress) << qint64(4) << QByteArray();
    QTest::newRow("extra keys") << QByteArray(
        R"({"id":5,"ok":true,"result":1,"took":[1.5e3,true,false]})")
                                << int(ServiceReply::Kind::Result) << qint64(5) << QByteArray("1");
    QTest::newRow("no result") << QByteArray(R"({"id":6,"ok":true})")
                               << int(ServiceReply::Kind::Result) << qint64(6)
                               << QByteArray("null");
}

void TestJsonLines::valid()
{
    QFETCH(QByteArray, line);
    QFETCH(int, kind);
    QFETCH(qint64, id);
    QFETCH(QByteArray, text);
    ServiceReply reply;
    QString error;
    QVERIFY2(parseServiceReply(line, &reply, &error), qPrintable(error));
    QCOMPARE(int(reply.kind), kind);
    QCOMPARE(reply.id, id);
    if (reply.kind != ServiceReply::Kind::Progress) {
        QByteArray decoded;
        appendJsonValueAsText(decoded, reply.value);
        QCOMPARE(decoded, text);
    } else {
        QCOMPARE(reply.progress, 0.4);
    }
}

void TestJsonLines::invalid_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("not json") << QByteArray("this is not json") << u"not a JSON object"_s;
    QTest::newRow("no id") << QByteArray(R"({"ok":true,"result":1})") << u"no \"id\""_s;
    QTest::newRow("string id") << QByteArray(R"({"id":"1","ok":true})") << u"whole number"_s;
    QTest::newRow("fraction id") << QByteArray(R"({"id":1.5,"ok":true})") << u"whole number"_s;
    QTest::newRow("no ok") << QByteArray(R"({"id":1,"result":1})") << u"no \"ok\""_s;
    QTest::newRow("bad ok") << QByteArray(R"({"id":1,"ok":"yes"})") << u"true or false"_s;
    QTest::newRow("trailing") << QByteArray(R"({"id":1,"ok":true} x)")
                              << u"after the JSON object"_s;
    QTest::newRow("unterminated") << QByteArray(R"({"id":1,"ok":true,"result":"abc)")
                                  << u"not valid JSON"_s;
    QTest::newRow("bad escape") << QByteArray(R"({"id":1,"ok":true,"result":"\q"})")
                                << u"not valid JSON"_s;
    QTest::newRow("deep nesting") << QByteArray(R"({"id":1,"ok":true,"result":)")
            + QByteArray(200, '[') + QByteArray(200, ']')
            + "}" << u"not valid JSON"_s;
    QTest::newRow("empty") << QByteArray() << u"not a JSON object"_s;
}

void TestJsonLines::invalid()
{
    QFETCH(QByteArray, line);
    QFETCH(QString, fragment);
    ServiceReply reply;
    QString error;
    QVERIFY(!parseServiceReply(line, &reply, &error));
    QVERIFY2(error.contains(fragment), qPrintable(error));
}

void TestJsonLines::stringRoundTrip()
{
    const QByteArray original = "tab\there \"quoted\" back\\slash \x01 caf\xc3\xa9";
    QByteArray json;
    appendJsonString(json, original);
    QCOMPARE(json,
             QByteArray(R"("tab\there \"quoted\" back\\slash \u0001 caf)"
                        "\xc3\xa9\""));
    QByteArray decoded;
    appendJsonValueAsText(decoded, json);
    QCOMPARE(decoded, original);
}

// The fast path takes only the common shape; whatever it takes, the full reader reads the same.
void TestJsonLines::fastPathAgrees_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<bool>("fast");
    QTest::newRow("integer") << QByteArray(R"({"id":12,"ok":true,"result":24})") << true;
    QTest::newRow("negative") << QByteArray(R"({"id":0,"ok":true,"result":-8})") << true;
    QTest::newRow("zero") << QByteArray(R"({"id":3,"ok":true,"result":0})") << true;
    QTest::newRow("string") << QByteArray(R"({"id":3,"ok":true,"result":"cafÃ© ok"})") << true;
    QTest::newRow("empty string") << QByteArray(R"({"id":3,"ok":true,"result":""})") << true;
    QTest::newRow("escape") << QByteArray(R"({"id":3,"ok":true,"result":"a
b"})") << false;
    QTest::newRow("fraction") << QByteArray(R"({"id":3,"ok":true,"result":1.5})") << false;
    QTest::newRow("leading zero id") << QByteArray(R"({"id":03,"ok":true,"result":1})") << false;
    QTest::newRow("leading zero value") << QByteArray(R"({"id":3,"ok":true,"result":01})") << false;
    QTest::newRow("minus only") << QByteArray(R"({"id":3,"ok":true,"result":-})") << false;
    QTest::newRow("huge id") << QByteArray(R"({"id":12345678901234567,"ok":true,"result":1})")
                             << false;
    QTest::newRow("space") << QByteArray(R"({"id":3, "ok":true,"result":1})") << false;
    QTest::newRow("error") << QByteArray(R"({"id":3,"ok":false,"error":"x"})") << false;
    QTest::newRow("trailing") << QByteArray(R"({"id":3,"ok":true,"result":1}})") << false;
    QTest::newRow("quote inside") << QByteArray(R"({"id":3,"ok":true,"result":"a"b"})") << false;
}

void TestJsonLines::fastPathAgrees()
{
    QFETCH(QByteArray, line);
    QFETCH(bool, fast);
    ServiceReply quick, full;
    QString error;
    QCOMPARE(parseCommonReply(line, &quick), fast);
    const bool valid = parseServiceReplyFully(line, &full, &error);
    if (!fast)
        return;
    QVERIFY2(valid, qPrintable(error));
    QCOMPARE(int(quick.kind), int(full.kind));
    QCOMPARE(quick.id, full.id);
    QCOMPARE(quick.value, full.value);
}

QTEST_GUILESS_MAIN(TestJsonLines)
#include "tst_jsonlines.moc"
