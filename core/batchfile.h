#pragma once

#include "inputlist.h"
#include "result.h"
#include "serviceworker.h"
#include "task.h"

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

// What a user launches: saved and loaded as *.shoal.json.
struct BatchSpec
{
    QString name;
    QStringList command; // template words; one word with spaces is split (see CommandTemplate)
    ServiceSpec service; // or a service worker program instead of a command
    bool shell = false;
    InputSpec inputs;
    int jobs = 0; // 0: number of CPUs
    int retries = 1; // attempts in all
    double timeoutSeconds = 0; // 0: none
    DrainPolicy drain = DrainPolicy::Finish;
    bool keepOrder = false;
    qint64 memoryLimitBytes = 0; // per task; 0: none
};

// Errors name the file and, for JSON syntax errors, the line and column.
Result<BatchSpec> loadBatchFile(const QString &path);
Result<void> saveBatchFile(const QString &path, const BatchSpec &spec);
Result<BatchSpec> parseBatchJson(const QByteArray &json, const QString &fileName);
QByteArray toBatchJson(const BatchSpec &spec);

// The inputs, one per task. Relative paths are resolved against baseDir.
Result<InputList> resolveInputs(const InputSpec &spec, const QString &baseDir = {});
// One input per line (GNU parallel's ::::), or per NUL-terminated record with separator '\0'
// (-0/--null); '-' reads stdin. The bytes are kept as they are (see bytes.h). A NUL byte in a
// line is an error naming the file and line: no argument can carry one. Errors name the file.
Result<InputList> readInputFile(const QString &path, char separator = '\n');
// "512M", "2G", "100K", "1048576" (bytes); binary multiples. Returns -1 when malformed.
qint64 parseByteSize(const QString &text);
// "line" or "json"
bool parseServiceMode(const QString &text, ServiceSpec::Mode *mode);

} // namespace shoal
