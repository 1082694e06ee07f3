#pragma once

#include "batchfile.h"
#include "commandtemplate.h"
#include "pool.h"
#include "result.h"

#include <QStringList>

namespace shoal {

// Everything a Pool needs to run a saved batch: the parsed template, the resolved inputs and
// the options the spec asks for. Kept apart from the Pool itself so that each front end builds
// the pool where it wants it to live (the window builds it inside its engine thread).
struct PreparedBatch
{
    CommandTemplate command;
    InputList inputs;
    PoolOptions options;
};

// The PoolOptions a spec asks for (workers, attempts, timeout, drain, service, memory limit);
// jobs 0: the number of CPUs. Options a spec does not carry (joblog, results, halt) keep their
// defaults.
PoolOptions poolOptions(const BatchSpec &spec);

// Resolves a spec: inputs relative to the batch file's folder (the current folder when
// batchFile is empty), the command template parsed. Errors name the batch file when there is one.
Result<PreparedBatch> prepareBatch(const BatchSpec &spec, const QString &batchFile = {});

} // namespace shoal
