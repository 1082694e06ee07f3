#include "batchfile.h"

#include "fileio.h"
#include "inputreader.h"
#include "jsonfields.h"

#include "bytes.h"
#include "commandtemplate.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSaveFile>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

// The regular files under dir whose names match pattern, as QDirIterator(QDir::Files) lists
// them (hidden entries and folders reached through symlinks skipped, the pattern a wildcard
// matched without case), but with their names' bytes: QDirIterator decodes a name that is not
// UTF-8 lossily, and the task would be handed a file that does not exist.
void listFiles(const QByteArray &dir, const QByteArray &pattern, bool recursive,
               QList<QByteArray> &files)
{
    DIR *d = ::opendir(dir.constData());
    if (!d)
        return;
    while (const dirent *entry = ::readdir(d)) {
        if (entry->d_name[0] == '.')
            continue; // hidden, and . and ..
        const QByteArray path = dir + '/' + entry->d_name;
        struct stat st;
        if (::stat(path.constData(), &st) != 0)
            continue; // a broken symlink
        if (S_ISDIR(st.st_mode)) {
            struct stat link;
            if (recursive && ::lstat(path.constData(), &link) == 0 && S_ISDIR(link.st_mode))
                listFiles(path, pattern, recursive, files);
        } else if (S_ISREG(st.st_mode)
                   && ::fnmatch(pattern.constData(), entry->d_name, FNM_CASEFOLD) == 0) {
            files << path;
        }
    }
    ::closedir(d);
}

constexpr qint64 kMaxRangeTasks = 100'000'000;

} // namespace

Result<InputList> readInputFile(const QString &path, char separator)
{
    QFile file;
    bool opened;
    if (path == u"-"_s)
        opened = file.open(stdin, QIODevice::ReadOnly);
    else {
        // By its bytes: QFile would encode a name that is not UTF-8 lossily, and not find it.
        const int fd = ::open(encodeBytes(path).constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return Error { u"cannot read inputs from '%1': %2"_s.arg(path, errnoText(errno)) };
        struct stat st;
        if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            ::close(fd);
            return Error { u"cannot read inputs from '%1': it is a directory"_s.arg(path) };
        }
        opened = file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle);
    }
    if (!opened)
        return Error { u"cannot read inputs from '%1': %2"_s.arg(path, file.errorString()) };
    QByteArray data = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return Error { u"cannot read inputs from '%1': %2"_s.arg(path, file.errorString()) };
    return InputReader::split(std::move(data), separator, u"'%1'"_s.arg(path));
}

Result<InputList> resolveInputs(const InputSpec &spec, const QString &baseDir)
{
    switch (spec.kind) {
    case InputSpec::Kind::Args:
    case InputSpec::Kind::Lines:
        for (qsizetype i = 0; i < spec.args.size(); ++i) {
            if (spec.args[i].contains(QChar(0)))
                return Error { u"input %1 holds a NUL byte, which no argument can carry"_s.arg(
                    i + 1) };
        }
        return InputList(spec.args);
    case InputSpec::Kind::File:
        return readInputFile(resolveInputPath(spec.path, baseDir));
    case InputSpec::Kind::Folder: {
        const QString dir = resolveInputPath(spec.path, baseDir);
        struct stat st;
        if (::stat(encodeBytes(dir).constData(), &st) != 0 || !S_ISDIR(st.st_mode))
            return Error { u"the input folder '%1' does not exist"_s.arg(dir) };
        QList<QByteArray> files;
        listFiles(encodeBytes(dir), encodeBytes(spec.pattern.isEmpty() ? u"*"_s : spec.pattern),
                  spec.recursive, files);
        std::sort(files.begin(), files.end());
        InputList list;
        for (const QByteArray &file : std::as_const(files))
            list.append(QByteArrayView(file));
        return list;
    }
    case InputSpec::Kind::Range: {
        auto count = rangeSize(spec);
        if (!count)
            return Error { count.error() };
        InputList values;
        const qint64 n = *count;
        // Every value lies between from and to, so stepping never overflows; the step after
        // the last value is not taken.
        qint64 v = spec.from;
        for (qint64 i = 0; i < n; ++i) {
            char digits[24];
            const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
            values.append(QByteArrayView(digits, end - digits));
            if (i + 1 < n)
                v += spec.step;
        }
        return values;
    }
    }
    return InputList();
}

QString resolveInputPath(const QString &path, const QString &baseDir)
{
    if (path == u"-"_s || baseDir.isEmpty() || QDir::isAbsolutePath(path))
        return path;
    return QDir(baseDir).filePath(path);
}

Result<qint64> rangeSize(const InputSpec &spec)
{
    if (spec.step == 0)
        return Error { u"the input range has a step of 0"_s };
    // In long double (64-bit mantissa on x86-64): to - from may not fit a qint64.
    const long double count
        = std::floor((static_cast<long double>(spec.to) - spec.from) / spec.step) + 1;
    if (count > kMaxRangeTasks)
        return Error {
            u"the input range %1..%2 has more than %3 values"_s.arg(spec.from).arg(spec.to).arg(
                kMaxRangeTasks)
        };
    return count > 0 ? qint64(count) : qint64(0);
}

qint64 parseByteSize(const QString &text)
{
    static const QRegularExpression pattern(
        u"^\\s*(\\d+(?:\\.\\d+)?)\\s*([kKmMgGtT]?)(?:i?[bB])?\\s*$"_s);
    const QRegularExpressionMatch m = pattern.match(text);
    if (!m.hasMatch())
        return -1;
    const int shift = QStringView(u"_kmgt").indexOf(m.captured(2).toLower().isEmpty()
                                                        ? u'_'
                                                        : m.captured(2).toLower().front())
        * 10;
    const double bytes = m.captured(1).toDouble() * double(qint64(1) << shift);
    return bytes >= 1 && bytes < 9e18 ? qint64(bytes) : -1;
}

bool validTimeout(double seconds)
{
    return seconds == 0 || (seconds >= kMinTimeoutSeconds && seconds <= kMaxTimeoutSeconds);
}

bool parseServiceMode(const QString &text, ServiceSpec::Mode *mode)
{
    if (text == u"line"_s)
        *mode = ServiceSpec::Mode::Line;
    else if (text == u"json"_s)
        *mode = ServiceSpec::Mode::Json;
    else
        return false;
    return true;
}

// Each part of a batch file: an error message naming the key, or an empty string.
#define SHOAL_CHECK(expr)                                                                          \
    if (QString error_ = (expr); !error_.isEmpty())                                                \
        return error_;

namespace {

QString parseService(const QJsonValue &service, BatchSpec *spec)
{
    if (!service.isObject())
        return u"\"service\" must be an object with a \"program\""_s;
    const QJsonObject so = service.toObject();
    SHOAL_CHECK(unknownKey(
        so, { u"program"_s, u"mode"_s, u"initializer"_s, u"maxTasksPerWorker"_s, u"prefetch"_s },
        u"service"_s));
    const QJsonValue program = so.value(u"program"_s);
    if (program.isString()) {
        auto words = splitShellWords(program.toString());
        if (!words)
            return u"\"service.program\": %1"_s.arg(words.error());
        spec->service.program = *words;
    } else if (!program.isUndefined()) {
        SHOAL_CHECK(wordsField(program, u"service.program"_s, &spec->service.program));
    }
    if (spec->service.program.isEmpty() || spec->service.program.front().isEmpty())
        return u"\"service.program\" is missing or empty"_s;
    QString mode = u"line"_s;
    SHOAL_CHECK(stringField(so, u"mode"_s, u"service.mode"_s, &mode));
    if (!parseServiceMode(mode, &spec->service.mode))
        return u"\"service.mode\" must be \"line\" or \"json\", not \"%1\""_s.arg(mode);
    SHOAL_CHECK(
        stringField(so, u"initializer"_s, u"service.initializer"_s, &spec->service.initializer));
    SHOAL_CHECK(intField(so, u"maxTasksPerWorker"_s, u"service.maxTasksPerWorker"_s, 0,
                         std::numeric_limits<int>::max(), &spec->service.maxTasksPerWorker));
    SHOAL_CHECK(intField(so, u"prefetch"_s, u"service.prefetch"_s, 0,
                         std::numeric_limits<int>::max(), &spec->service.prefetch));
    if (!spec->command.isEmpty())
        return u"a batch has either \"command\" or \"service\", not both"_s;
    return {};
}

QString parseRange(const QJsonValue &range, InputSpec *inputs)
{
    if (!range.isObject())
        return wrongType(u"inputs.range"_s, u"an object with \"from\", \"to\" (and \"step\")"_s);
    const QJsonObject r = range.toObject();
    SHOAL_CHECK(unknownKey(r, { u"from"_s, u"to"_s, u"step"_s }, u"inputs.range"_s));
    inputs->kind = InputSpec::Kind::Range;
    const QJsonValue step = r.value(u"step"_s).isUndefined() ? QJsonValue(1) : r.value(u"step"_s);
    if (!exactInteger(r.value(u"from"_s), &inputs->from)
        || !exactInteger(r.value(u"to"_s), &inputs->to) || !exactInteger(step, &inputs->step))
        return u"\"inputs.range\" needs whole numbers \"from\", \"to\" (and \"step\") within ±2^53"_s;
    if (inputs->step == 0)
        return u"\"inputs.range.step\" must not be 0"_s;
    return {};
}

// The one source an "inputs" object names: file, folder (with pattern, recursive), lines or
// range.
QString parseInputSource(const QJsonObject &in, InputSpec *inputs)
{
    SHOAL_CHECK(unknownKey(
        in, { u"file"_s, u"folder"_s, u"pattern"_s, u"recursive"_s, u"lines"_s, u"range"_s },
        u"inputs"_s));
    QStringList sources;
    for (const QString &kind : { u"file"_s, u"folder"_s, u"lines"_s, u"range"_s }) {
        if (in.contains(kind))
            sources << kind;
    }
    if (sources.size() > 1)
        return u"\"inputs\" has both \"%1\" and \"%2\": give one source of inputs"_s.arg(
            sources[0], sources[1]);
    if (sources.isEmpty())
        return u"\"inputs\" must have one of \"file\", \"folder\", \"lines\" or \"range\""_s;
    const QString source = sources.front();
    if (source != u"folder"_s) {
        for (const QString &key : { u"pattern"_s, u"recursive"_s }) {
            if (in.contains(key))
                return u"\"inputs.%1\" goes only with \"inputs.folder\""_s.arg(key);
        }
    }
    if (source == u"file"_s) {
        inputs->kind = InputSpec::Kind::File;
        SHOAL_CHECK(stringField(in, u"file"_s, u"inputs.file"_s, &inputs->path));
    } else if (source == u"folder"_s) {
        inputs->kind = InputSpec::Kind::Folder;
        SHOAL_CHECK(stringField(in, u"folder"_s, u"inputs.folder"_s, &inputs->path));
        SHOAL_CHECK(stringField(in, u"pattern"_s, u"inputs.pattern"_s, &inputs->pattern));
        SHOAL_CHECK(boolField(in, u"recursive"_s, u"inputs.recursive"_s, &inputs->recursive));
    } else if (source == u"lines"_s) {
        inputs->kind = InputSpec::Kind::Lines;
        QString text;
        SHOAL_CHECK(stringField(in, u"lines"_s, u"inputs.lines"_s, &text));
        if (text.endsWith(u'\n'))
            text.chop(1);
        inputs->args = text.isEmpty() ? QStringList() : text.split(u'\n');
    } else {
        SHOAL_CHECK(parseRange(in.value(u"range"_s), inputs));
    }
    if ((inputs->kind == InputSpec::Kind::File || inputs->kind == InputSpec::Kind::Folder)
        && inputs->path.isEmpty())
        return u"\"inputs\" names an empty path"_s;
    return {};
}

QString parseInputs(const QJsonValue &inputs, InputSpec *spec)
{
    if (inputs.isArray()) {
        spec->kind = InputSpec::Kind::Args;
        for (const QJsonValue &v : inputs.toArray()) {
            if (v.isString())
                spec->args << v.toString();
            else if (v.isDouble())
                spec->args << QString::number(v.toDouble(), 'g', 17);
            else
                return u"\"inputs\" must hold strings or numbers"_s;
        }
        return {};
    }
    if (inputs.isObject())
        return parseInputSource(inputs.toObject(), spec);
    if (inputs.isUndefined())
        return u"\"inputs\" is missing (an array, or an object with file, folder, lines or range)"_s;
    return wrongType(u"inputs"_s, u"an array, or an object with file, folder, lines or range"_s);
}

// How the batch runs: jobs, attempts, timeout, drain, order, memory.
QString parseRunOptions(const QJsonObject &o, BatchSpec *spec)
{
    SHOAL_CHECK(intField(o, u"jobs"_s, u"jobs"_s, 0, 100000, &spec->jobs));
    // "attempts" (in all); "retries" is the older key for the same number (as --retries N).
    SHOAL_CHECK(intField(o, u"retries"_s, u"retries"_s, 1, 1000, &spec->attempts));
    int attempts = spec->attempts;
    SHOAL_CHECK(intField(o, u"attempts"_s, u"attempts"_s, 1, 1000, &attempts));
    if (o.contains(u"retries"_s) && o.contains(u"attempts"_s) && attempts != spec->attempts)
        return u"\"retries\" (%1) and \"attempts\" (%2) say the same thing differently: give one"_s
            .arg(spec->attempts)
            .arg(attempts);
    spec->attempts = attempts;
    const QJsonValue timeout = o.value(u"timeout"_s);
    if (!timeout.isUndefined() && (!timeout.isDouble() || !validTimeout(timeout.toDouble())))
        return u"\"timeout\" must be 0 (none) or a number of seconds from %1 to %2 (a year)"_s
            .arg(kMinTimeoutSeconds)
            .arg(kMaxTimeoutSeconds, 0, 'f', 0);
    spec->timeoutSeconds = timeout.toDouble(0);
    QString drain = u"finish"_s;
    SHOAL_CHECK(stringField(o, u"drain"_s, u"drain"_s, &drain));
    if (!parseDrainPolicy(drain, &spec->drain))
        return u"\"drain\" must be \"finish\", \"requeue\" or \"pause\", not \"%1\""_s.arg(drain);
    SHOAL_CHECK(boolField(o, u"keepOrder"_s, u"keepOrder"_s, &spec->keepOrder));
    const QJsonValue memory = o.value(u"memoryLimit"_s);
    if (!memory.isUndefined()) {
        spec->memoryLimitBytes = memory.isString() ? parseByteSize(memory.toString()) : -1;
        if (spec->memoryLimitBytes <= 0)
            return u"\"memoryLimit\" must be a size such as \"512M\" or \"2G\""_s;
        if (spec->memoryLimitBytes < kMinMemoryLimitBytes)
            return u"\"memoryLimit\" must be at least 1M (no program can start in less)"_s;
    }
    return {};
}

QString parseBatchObject(const QJsonObject &o, BatchSpec *spec)
{
    SHOAL_CHECK(unknownKey(o,
                           { u"name"_s, u"command"_s, u"service"_s, u"shell"_s, u"inputs"_s,
                             u"jobs"_s, u"retries"_s, u"attempts"_s, u"timeout"_s, u"drain"_s,
                             u"keepOrder"_s, u"memoryLimit"_s, u"hosts"_s },
                           {}));
    SHOAL_CHECK(stringField(o, u"name"_s, u"name"_s, &spec->name));
    const QJsonValue command = o.value(u"command"_s);
    if (!command.isUndefined())
        SHOAL_CHECK(wordsField(command, u"command"_s, &spec->command));
    const QJsonValue service = o.value(u"service"_s);
    if (!service.isUndefined()) {
        SHOAL_CHECK(parseService(service, spec));
    } else if (spec->command.isEmpty() || spec->command.join(QString()).trimmed().isEmpty()) {
        return u"\"command\" is missing or empty"_s;
    }
    SHOAL_CHECK(boolField(o, u"shell"_s, u"shell"_s, &spec->shell));
    SHOAL_CHECK(parseInputs(o.value(u"inputs"_s), &spec->inputs));
    if (o.contains(u"hosts"_s)) {
        SHOAL_CHECK(parseHostsJson(o.value(u"hosts"_s), &spec->hosts));
        if (spec->service.isValid()
            && !(spec->hosts.transferFiles.isEmpty() && spec->hosts.returnFiles.isEmpty()))
            return u"\"hosts\": \"transferFiles\" and \"returnFiles\" move the files of command "
                   "tasks; service workers are given their tasks on stdin"_s;
    }
    return parseRunOptions(o, spec);
}

} // namespace

#undef SHOAL_CHECK

Result<BatchSpec> parseBatchJson(const QByteArray &json, const QString &fileName)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return Error { u"%1:%2: not valid JSON: %3"_s.arg(
            fileName, lineColumn(json, parseError.offset), parseError.errorString()) };
    }
    if (!doc.isObject())
        return Error { u"%1: a batch file must hold a JSON object"_s.arg(fileName) };
    BatchSpec spec;
    spec.name = QFileInfo(fileName).completeBaseName();
    if (const QString error = parseBatchObject(doc.object(), &spec); !error.isEmpty())
        return Error { u"%1: %2"_s.arg(fileName, error) };
    return spec;
}

bool isBatchFilePath(const QString &path)
{
    return path.endsWith(u".json"_s, Qt::CaseInsensitive);
}

Result<BatchSpec> loadBatchFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error { u"cannot open the batch file '%1': %2"_s.arg(path, file.errorString()) };
    return parseBatchJson(file.readAll(), path);
}

QByteArray toBatchJson(const BatchSpec &spec)
{
    QJsonObject o;
    if (!spec.name.isEmpty())
        o[u"name"_s] = spec.name;
    if (spec.service.isValid()) {
        QJsonObject so { { u"program"_s, QJsonArray::fromStringList(spec.service.program) },
                         { u"mode"_s,
                           spec.service.mode == ServiceSpec::Mode::Json ? u"json"_s : u"line"_s } };
        if (!spec.service.initializer.isEmpty())
            so[u"initializer"_s] = spec.service.initializer;
        if (spec.service.maxTasksPerWorker > 0)
            so[u"maxTasksPerWorker"_s] = spec.service.maxTasksPerWorker;
        if (spec.service.prefetch > 0)
            so[u"prefetch"_s] = spec.service.prefetch;
        o[u"service"_s] = so;
    } else {
        o[u"command"_s] = spec.command.size() == 1
            ? QJsonValue(spec.command.front())
            : QJsonValue(QJsonArray::fromStringList(spec.command));
    }
    if (spec.shell)
        o[u"shell"_s] = true;
    QJsonObject in;
    switch (spec.inputs.kind) {
    case InputSpec::Kind::Args:
        o[u"inputs"_s] = QJsonArray::fromStringList(spec.inputs.args);
        break;
    case InputSpec::Kind::Lines:
        in[u"lines"_s] = spec.inputs.args.join(u'\n');
        break;
    case InputSpec::Kind::File:
        in[u"file"_s] = spec.inputs.path;
        break;
    case InputSpec::Kind::Folder:
        in[u"folder"_s] = spec.inputs.path;
        in[u"pattern"_s] = spec.inputs.pattern;
        if (spec.inputs.recursive)
            in[u"recursive"_s] = true;
        break;
    case InputSpec::Kind::Range:
        in[u"range"_s] = QJsonObject { { u"from"_s, double(spec.inputs.from) },
                                       { u"to"_s, double(spec.inputs.to) },
                                       { u"step"_s, double(spec.inputs.step) } };
        break;
    }
    if (!in.isEmpty())
        o[u"inputs"_s] = in;
    o[u"jobs"_s] = spec.jobs;
    o[u"attempts"_s] = spec.attempts;
    o[u"timeout"_s] = spec.timeoutSeconds;
    o[u"drain"_s] = nameOf(spec.drain);
    if (spec.keepOrder)
        o[u"keepOrder"_s] = true;
    if (spec.memoryLimitBytes > 0)
        o[u"memoryLimit"_s] = QString(QString::number(spec.memoryLimitBytes >> 20) + u"M"_s);
    if (spec.hosts.isValid())
        o[u"hosts"_s] = hostsJson(spec.hosts);
    return QJsonDocument(o).toJson(QJsonDocument::Indented);
}

Result<void> saveBatchFile(const QString &path, const BatchSpec &spec)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error { u"cannot write the batch file '%1': %2"_s.arg(path, file.errorString()) };
    file.write(toBatchJson(spec));
    if (!file.commit())
        return Error { u"cannot write the batch file '%1': %2"_s.arg(path, file.errorString()) };
    return {};
}

} // namespace shoal
