// libFuzzer target: parseBatchJson on any bytes, then resolveInputs for the kinds that need no
// file system (Args, Lines, Range). A batch that parses must survive a save/load round trip.
#include "batchfile.h"

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
    std::fprintf(stderr, "fuzz_batchfile: %s: %s\n", what, qPrintable(detail));
    std::abort();
}

// Ranges the engine accepts may still hold up to 100 million values: resolving those is a
// legitimate multi-gigabyte allocation, not a bug, so only small or out-of-limit ranges are
// resolved. The count is computed in 128 bits, so the filter cannot overflow itself.
bool worthResolving(const shoal::InputSpec &in)
{
    if (in.kind != shoal::InputSpec::Kind::Range)
        return true;
    if (in.step == 0)
        return true;
    const __int128 count = (__int128(in.to) - __int128(in.from)) / __int128(in.step) + 1;
    return count <= 100'000 || count > 100'000'000;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    const QByteArray json(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto spec = shoal::parseBatchJson(json, u"fuzz.shoal.json"_s);
    if (!spec) {
        check(spec.error().startsWith(u"fuzz.shoal.json"_s), "the error does not name the file",
              spec.error());
        return 0;
    }
    const shoal::InputSpec::Kind kind = spec->inputs.kind;
    if (kind == shoal::InputSpec::Kind::File || kind == shoal::InputSpec::Kind::Folder)
        return 0;
    if (!worthResolving(spec->inputs))
        return 0;
    const auto inputs = shoal::resolveInputs(spec->inputs);
    if (inputs && kind == shoal::InputSpec::Kind::Args)
        check(*inputs == spec->inputs.args, "Args resolved to something else",
              QString::fromUtf8(json));

    // What the window saves, it must load again.
    const QByteArray saved = shoal::toBatchJson(*spec);
    const auto again = shoal::parseBatchJson(saved, u"again.shoal.json"_s);
    check(again.ok(), "a parsed batch does not load after saving",
          again ? QString() : again.error());
    return 0;
}
