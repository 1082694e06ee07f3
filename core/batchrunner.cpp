#include "batchrunner.h"

#include <QFileInfo>
#include <QThread>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

PoolOptions poolOptions(const BatchSpec &spec)
{
    PoolOptions options;
    options.workers = spec.jobs > 0 ? spec.jobs : QThread::idealThreadCount();
    options.attempts = spec.attempts;
    options.timeoutSeconds = spec.timeoutSeconds;
    options.drain = spec.drain;
    options.service = spec.service;
    options.memoryLimitBytes = spec.memoryLimitBytes;
    options.hosts = spec.hosts;
    return options;
}

Result<PreparedBatch> prepareBatch(const BatchSpec &spec, const QString &batchFile)
{
    auto withFile = [&](const QString &message) {
        return Error { batchFile.isEmpty() ? message : u"%1: %2"_s.arg(batchFile, message) };
    };
    // A service batch feeds its inputs to long-lived programs: it has no command template.
    Result<CommandTemplate> command = CommandTemplate();
    if (!spec.service.isValid())
        command = CommandTemplate::parse(spec.command, spec.shell);
    if (!command)
        return withFile(command.error());
    const QString baseDir = batchFile.isEmpty() ? QString() : QFileInfo(batchFile).absolutePath();
    auto inputs = resolveInputs(spec.inputs, baseDir);
    if (!inputs)
        return withFile(inputs.error());
    return PreparedBatch { std::move(*command), std::move(*inputs), poolOptions(spec) };
}

} // namespace shoal
