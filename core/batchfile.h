#pragma once

#include "inputlist.h"
#include "result.h"
#include "serviceworker.h"
#include "task.h"
#include "workerhosts.h"

#include <QString>
#include <QStringList>

namespace shoal {

// Where a batch's inputs come from.
struct InputSpec
{
    enum class Kind : quint8 { Args, File, Folder, Lines, Range };
    Kind kind = Kind::Args;
    QStringList args; // Args; Lines (one input per element)
    QString path; // File ('-' = stdin); Folder
    QString pattern = QStringLiteral("*"); // Folder: a wildcard on file names
    bool recursive = false; // Folder
    qint64 from = 1, to = 0, step = 1; // Range, inclusive
};

// Bounds shared by `shoal run` options and batch files, so that no value overflows the engine's
// millisecond counts or leaves a task no room to start.
constexpr double kMaxTimeoutSeconds = 365.0 * 24 * 3600; // a year
constexpr double kMaxGraceSeconds = 24 * 3600; // a day
constexpr double kMinTimeoutSeconds = 0.001; // the engine counts milliseconds
// RLIMIT_AS below this kills any program while the loader maps it, before it can say a word.
constexpr qint64 kMinMemoryLimitBytes = qint64(1) << 20;

// What a user launches: saved and loaded as *.shoal.json.
struct BatchSpec
{
    QString name;
    QStringList command; // template words; one word with spaces is split (see CommandTemplate)
    ServiceSpec service; // or a service worker program instead of a command
    bool shell = false;
    InputSpec inputs;
    int jobs = 0; // 0: number of CPUs
    int attempts = 1; // in all: 1 runs each task once, without retry ("retries" in older files)
    double timeoutSeconds = 0; // 0: none
    DrainPolicy drain = DrainPolicy::Finish;
    bool keepOrder = false;
    qint64 memoryLimitBytes = 0; // per task; 0: none
    HostsSpec hosts; // worker hosts; none: this machine
};

// Errors name the file and, for JSON syntax errors, the line and column.
Result<BatchSpec> loadBatchFile(const QString &path);
// Whether a path names a batch file (*.json, any case): what the window opens on a drop, and
// what a save keeps as it is instead of appending ".shoal.json".
bool isBatchFilePath(const QString &path);
Result<void> saveBatchFile(const QString &path, const BatchSpec &spec);
Result<BatchSpec> parseBatchJson(const QByteArray &json, const QString &fileName);
QByteArray toBatchJson(const BatchSpec &spec);

// The inputs, one per task. Relative paths are resolved against baseDir.
Result<InputList> resolveInputs(const InputSpec &spec, const QString &baseDir = {});
// How many values a range input has (an error for a step of 0 or an absurd size).
Result<qint64> rangeSize(const InputSpec &spec);
// A batch file's input path, relative to the batch file's folder.
QString resolveInputPath(const QString &path, const QString &baseDir);
// One input per line (GNU parallel's ::::), or per NUL-terminated record with separator '\0'
// (-0/--null); '-' reads stdin. The bytes are kept as they are (see bytes.h). A NUL byte in a
// line is an error naming the file and line: no argument can carry one. Errors name the file.
Result<InputList> readInputFile(const QString &path, char separator = '\n');
// "512M", "2G", "100K", "1048576" (bytes); binary multiples. Returns -1 when malformed.
qint64 parseByteSize(const QString &text);
// 0 (none), or from kMinTimeoutSeconds to kMaxTimeoutSeconds. NaN is not valid.
bool validTimeout(double seconds);
// "line" or "json"
bool parseServiceMode(const QString &text, ServiceSpec::Mode *mode);

} // namespace shoal
