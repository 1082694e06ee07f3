// libFuzzer target: the service workers' JSON-lines reader. Every line of the input goes
// through parseServiceReply (its fast path checked against the full reader), and each value it
// accepts through appendJsonValueAsText, as the pool does with a worker's stdout. The whole input
// is also tried as a result value, and as text that must survive appendJsonString -> parse ->
// appendJsonValueAsText unchanged.
#include "jsonlines.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

void check(bool condition, const char *what, const QByteArray &detail)
{
    if (condition)
        return;
    std::fprintf(stderr, "fuzz_jsonlines: %s: %s\n", what, detail.toHex().constData());
    std::abort();
}

void parseLine(QByteArrayView line)
{
    shoal::ServiceReply reply;
    QString error;
    // Whatever the fast path accepts, the full reader must read the same way.
    shoal::ServiceReply quick, full;
    if (shoal::parseCommonReply(line, &quick)) {
        check(shoal::parseServiceReplyFully(line, &full, &error),
              "fast path accepted what the full reader rejects", line.toByteArray());
        check(quick.kind == full.kind && quick.id == full.id && quick.value == full.value,
              "fast path and full reader disagree", line.toByteArray());
    }
    if (!shoal::parseServiceReply(line, &reply, &error)) {
        check(!error.isEmpty(), "rejected without a reason", line.toByteArray());
        return;
    }
    check(reply.id >= 0, "accepted a negative id", line.toByteArray());
    if (reply.kind == shoal::ServiceReply::Kind::Progress)
        return;
    // The value is a view into the line: it must lie inside it.
    const bool isLiteral = reply.value == QByteArrayView("null");
    check(isLiteral
              || (reply.value.data() >= line.data()
                  && reply.value.data() + reply.value.size() <= line.data() + line.size()),
          "the value points outside the line", line.toByteArray());
    QByteArray text;
    shoal::appendJsonValueAsText(text, reply.value);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    // Each line on its own heap block, so that ASan sees any read past its end.
    const QByteArray all(reinterpret_cast<const char *>(data), qsizetype(size));
    for (const QByteArray &piece : all.split('\n')) {
        const QByteArray line(piece.constData(), piece.size());
        parseLine(line);
    }

    // The whole input as a result value.
    const QByteArray wrapped = QByteArray(R"({"id":1,"ok":true,"result":)") + all + '}';
    parseLine(wrapped);

    // Any bytes, encoded as a JSON string, come back unchanged.
    QByteArray encoded(R"({"id":2,"ok":false,"error":)");
    shoal::appendJsonString(encoded, all);
    encoded += '}';
    shoal::ServiceReply reply;
    QString error;
    check(shoal::parseServiceReply(encoded, &reply, &error), "appendJsonString made invalid JSON",
          encoded);
    QByteArray decoded;
    shoal::appendJsonValueAsText(decoded, reply.value);
    check(decoded == all, "appendJsonString -> appendJsonValueAsText changed the text", all);
    return 0;
}
