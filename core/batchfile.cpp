#include "batchfile.h"

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
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

QString lineColumn(const QByteArray &data, int offset)
{
    int line = 1, column = 1;
    for (int i = 0; i < offset && i < data.size(); ++i) {
        if (data[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return u"%1:%2"_s.arg(line).arg(column);
}

QString resolvePath(const QString &path, const QString &baseDir)
{
    if (path == u"-"_s || baseDir.isEmpty() || QDir::isAbsolutePath(path))
        return path;
    return QDir(baseDir).filePath(path);
}

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

// A JSON number that is a whole number a double holds exactly (|n| <= 2^53), as a qint64.
bool exactInteger(const QJsonValue &v, qint64 *out)
{
    const double d = v.toDouble();
    if (!v.isDouble() || !(std::fabs(d) <= 0x1p53) || d != std::trunc(d))
        return false;
    *out = qint64(d);
    return true;
}

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
            return Error { u"cannot read inputs from '%1': %2"_s.arg(
                path, QString::fromLocal8Bit(strerror(errno))) };
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
    if (separator != '\0') {
        // execve() would cut the argument short at a NUL byte, and the task would silently
        // run with less than its input.
        if (const qsizetype nul = data.indexOf('\0'); nul >= 0) {
            const qsizetype line = QByteArrayView(data).first(nul).count(separator) + 1;
            const QString text
                = u"cannot read inputs from '%1': line %2 holds a NUL byte, which no "
                  "argument can carry (-0/--null reads inputs separated by NUL bytes)"_s;
            return Error { text.arg(path).arg(line) };
        }
    }
    // An empty file: no inputs (a lone separator is one empty input).
    return InputList::fromRecords(std::move(data), separator);
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
        return readInputFile(resolvePath(spec.path, baseDir));
    case InputSpec::Kind::Folder: {
        const QString dir = resolvePath(spec.path, baseDir);
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
        if (spec.step == 0)
            return Error { u"the input range has a step of 0"_s };
        // In long double (64-bit mantissa on x86-64): to - from may not fit a qint64.
        const long double count = std::floor((static_cast<long double>(spec.to) - spec.from) / spec.step) + 1;
        if (count > kMaxRangeTasks)
            return Error { u"the input range %1..%2 has more than %3 values"_s.arg(spec.from).arg(spec.to).arg(kMaxRangeTasks) };
        InputList values;
        const qint64 n = count > 0 ? qint64(count) : 0;
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

qint64 parseByteSize(const QString &text)
{
    static const QRegularExpression pattern(u"^\\s*(\\d+(?:\\.\\d+)?)\\s*([kKmMgGtT]?)(?:i?[bB])?\\s*$"_s);
    const QRegularExpressionMatch m = pattern.match(text);
    if (!m.hasMatch())
        return -1;
    const int shift = QStringView(u"_kmgt").indexOf(m.captured(2).toLower().isEmpty() ? u'_' : m.captured(2).toLower().front()) * 10;
    const double bytes = m.captured(1).toDouble() * double(qint64(1) << shift);
    return bytes >= 1 && bytes < 9e18 ? qint64(bytes) : -1;
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

Result<BatchSpec> parseBatchJson(const QByteArray &json, const QString &fileName)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return Error { u"%1:%2: not valid JSON: %3"_s.arg(fileName, lineColumn(json, parseError.offset),
                                                          parseError.errorString()) };
    }
    if (!doc.isObject())
        return Error { u"%1: a batch file must hold a JSON object"_s.arg(fileName) };
    const QJsonObject o = doc.object();
    auto bad = [&](const QString &what) { return Error { u"%1: %2"_s.arg(fileName, what) }; };

    BatchSpec spec;
    spec.name = o.value(u"name"_s).toString(QFileInfo(fileName).completeBaseName());
    const QJsonValue command = o.value(u"command"_s);
    if (command.isString()) {
        spec.command = { command.toString() };
    } else if (command.isArray()) {
        for (const QJsonValue &w : command.toArray()) {
            if (!w.isString())
                return bad(u"\"command\" must be a string or an array of strings"_s);
            spec.command << w.toString();
        }
    }
    const QJsonValue service = o.value(u"service"_s);
    if (!service.isUndefined()) {
        if (!service.isObject())
            return bad(u"\"service\" must be an object with a \"program\""_s);
        const QJsonObject so = service.toObject();
        const QJsonValue program = so.value(u"program"_s);
        if (program.isString()) {
            auto words = splitShellWords(program.toString());
            if (!words)
                return bad(u"\"service.program\": %1"_s.arg(words.error()));
            spec.service.program = *words;
        } else if (program.isArray()) {
            for (const QJsonValue &w : program.toArray())
                spec.service.program << w.toString();
        }
        if (spec.service.program.isEmpty() || spec.service.program.front().isEmpty())
            return bad(u"\"service.program\" is missing or empty"_s);
        const QString mode = so.value(u"mode"_s).toString(u"line"_s);
        if (!parseServiceMode(mode, &spec.service.mode))
            return bad(u"\"service.mode\" must be \"line\" or \"json\", not \"%1\""_s.arg(mode));
        spec.service.initializer = so.value(u"initializer"_s).toString();
        spec.service.maxTasksPerWorker = so.value(u"maxTasksPerWorker"_s).toInt(0);
        spec.service.prefetch = so.value(u"prefetch"_s).toInt(0);
        if (spec.service.maxTasksPerWorker < 0 || spec.service.prefetch < 0)
            return bad(u"\"service.maxTasksPerWorker\" and \"service.prefetch\" must not be negative"_s);
        if (!spec.command.isEmpty())
            return bad(u"a batch has either \"command\" or \"service\", not both"_s);
    } else if (spec.command.isEmpty() || spec.command.join(QString()).trimmed().isEmpty()) {
        return bad(u"\"command\" is missing or empty"_s);
    }
    spec.shell = o.value(u"shell"_s).toBool(false);

    const QJsonValue inputs = o.value(u"inputs"_s);
    if (inputs.isArray()) {
        spec.inputs.kind = InputSpec::Kind::Args;
        for (const QJsonValue &v : inputs.toArray()) {
            if (v.isString())
                spec.inputs.args << v.toString();
            else if (v.isDouble())
                spec.inputs.args << QString::number(v.toDouble(), 'g', 17);
            else
                return bad(u"\"inputs\" must hold strings or numbers"_s);
        }
    } else if (inputs.isObject()) {
        const QJsonObject in = inputs.toObject();
        if (in.contains(u"file"_s)) {
            spec.inputs.kind = InputSpec::Kind::File;
            spec.inputs.path = in.value(u"file"_s).toString();
        } else if (in.contains(u"folder"_s)) {
            spec.inputs.kind = InputSpec::Kind::Folder;
            spec.inputs.path = in.value(u"folder"_s).toString();
            spec.inputs.pattern = in.value(u"pattern"_s).toString(u"*"_s);
            spec.inputs.recursive = in.value(u"recursive"_s).toBool(false);
        } else if (in.contains(u"lines"_s)) {
            spec.inputs.kind = InputSpec::Kind::Lines;
            QString text = in.value(u"lines"_s).toString();
            if (text.endsWith(u'\n'))
                text.chop(1);
            spec.inputs.args = text.isEmpty() ? QStringList() : text.split(u'\n');
        } else if (in.contains(u"range"_s)) {
            const QJsonObject r = in.value(u"range"_s).toObject();
            spec.inputs.kind = InputSpec::Kind::Range;
            if (!exactInteger(r.value(u"from"_s), &spec.inputs.from) || !exactInteger(r.value(u"to"_s), &spec.inputs.to)
                || !exactInteger(r.value(u"step"_s).isUndefined() ? QJsonValue(1) : r.value(u"step"_s), &spec.inputs.step))
                return bad(u"\"inputs.range\" needs whole numbers \"from\", \"to\" (and \"step\") within ±2^53"_s);
            if (spec.inputs.step == 0)
                return bad(u"\"inputs.range.step\" must not be 0"_s);
        } else {
            return bad(u"\"inputs\" must have one of \"file\", \"folder\", \"lines\" or \"range\""_s);
        }
        if ((spec.inputs.kind == InputSpec::Kind::File || spec.inputs.kind == InputSpec::Kind::Folder)
            && spec.inputs.path.isEmpty())
            return bad(u"\"inputs\" names an empty path"_s);
    } else {
        return bad(u"\"inputs\" is missing (an array, or an object with file, folder, lines or range)"_s);
    }

    auto intField = [&](const QString &key, int def, int min, int max, int *out) -> QString {
        const QJsonValue v = o.value(key);
        if (v.isUndefined()) {
            *out = def;
            return {};
        }
        if (!v.isDouble() || !(v.toDouble() >= min && v.toDouble() <= max) || v.toDouble() != std::trunc(v.toDouble()))
            return u"\"%1\" must be a whole number from %2 to %3"_s.arg(key).arg(min).arg(max);
        *out = int(v.toDouble());
        return {};
    };
    for (const QString &err : { intField(u"jobs"_s, 0, 0, 100000, &spec.jobs),
                                intField(u"retries"_s, 1, 1, 1000, &spec.retries) }) {
        if (!err.isEmpty())
            return bad(err);
    }
    const QJsonValue timeout = o.value(u"timeout"_s);
    if (!timeout.isUndefined() && (!timeout.isDouble() || timeout.toDouble() < 0))
        return bad(u"\"timeout\" must be a number of seconds (0: none)"_s);
    spec.timeoutSeconds = timeout.toDouble(0);
    const QString drain = o.value(u"drain"_s).toString(u"finish"_s);
    if (!parseDrainPolicy(drain, &spec.drain))
        return bad(u"\"drain\" must be \"finish\", \"requeue\" or \"pause\", not \"%1\""_s.arg(drain));
    spec.keepOrder = o.value(u"keepOrder"_s).toBool(false);
    const QJsonValue memory = o.value(u"memoryLimit"_s);
    if (!memory.isUndefined()) {
        spec.memoryLimitBytes = memory.isString() ? parseByteSize(memory.toString()) : -1;
        if (spec.memoryLimitBytes <= 0)
            return bad(u"\"memoryLimit\" must be a size such as \"512M\" or \"2G\""_s);
    }
    return spec;
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
                         { u"mode"_s, spec.service.mode == ServiceSpec::Mode::Json ? u"json"_s : u"line"_s } };
        if (!spec.service.initializer.isEmpty())
            so[u"initializer"_s] = spec.service.initializer;
        if (spec.service.maxTasksPerWorker > 0)
            so[u"maxTasksPerWorker"_s] = spec.service.maxTasksPerWorker;
        if (spec.service.prefetch > 0)
            so[u"prefetch"_s] = spec.service.prefetch;
        o[u"service"_s] = so;
    } else {
        o[u"command"_s] = spec.command.size() == 1 ? QJsonValue(spec.command.front())
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
    o[u"retries"_s] = spec.retries;
    o[u"timeout"_s] = spec.timeoutSeconds;
    o[u"drain"_s] = nameOf(spec.drain);
    if (spec.keepOrder)
        o[u"keepOrder"_s] = true;
    if (spec.memoryLimitBytes > 0)
        o[u"memoryLimit"_s] = QString(QString::number(spec.memoryLimitBytes >> 20) + u"M"_s);
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
