#pragma once

#include "batchfile.h"
#include "commandtemplate.h"
#include "inputlist.h"
#include "pool.h"
#include "reporter.h"
#include "result.h"

#include <memory>

namespace shoal {

class InputReader;

// `shoal run`'s command line, checked: everything a run needs before anything starts. Bad
// input is an Error naming the option and the value at fault.
struct RunConfig
{
    RunConfig();
    RunConfig(RunConfig &&) noexcept;
    RunConfig &operator=(RunConfig &&) noexcept;
    ~RunConfig();

    QString helpText; // --help: print this and exit 0; nothing else is set
    CommandTemplate command; // empty for service workers
    InputList inputs; // given on the command line (::: ARGS) or in a batch file's list
    // Inputs that stream as they are read (:::: FILE, stdin, a batch file's file or range).
    std::unique_ptr<InputReader> reader;
    PoolOptions pool;
    Reporter::Options report;
    QString controlPath; // --control, or empty
    bool defaultControl = false; // no --control, no --no-control: one in controlFolder()
    BatchSpec spec; // the batch as asked, without its inputs: what an attached window shows
};

Result<RunConfig> parseRunOptions(const QStringList &args);

} // namespace shoal
