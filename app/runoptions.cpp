#include "runoptions.h"

#include "batchfile.h"
#include "batchrunner.h"
#include "bytes.h"
#include "fileio.h"
#include "inputreader.h"
#include "slurmallocation.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QThread>

#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

RunConfig::RunConfig() = default;
RunConfig::RunConfig(RunConfig &&) noexcept = default;
RunConfig &RunConfig::operator=(RunConfig &&) noexcept = default;
RunConfig::~RunConfig() = default;

namespace {

// Parses GNU's --halt: now,fail=N | soon,fail=N | now,fail=P% (and success= is refused).
Result<HaltPolicy> parseHalt(const QString &text)
{
    const QStringList parts = text.split(u',');
    if (parts.size() != 2 || (parts[0] != u"now"_s && parts[0] != u"soon"_s)
        || !parts[1].startsWith(u"fail="_s))
        return Error { u"--halt takes now,fail=N, soon,fail=N or now,fail=P%, not '%1'"_s.arg(
            text) };
    HaltPolicy halt;
    halt.when = parts[0] == u"now"_s ? HaltPolicy::When::Now : HaltPolicy::When::Soon;
    QString value = parts[1].mid(5);
    bool ok = false;
    if (value.endsWith(u'%')) {
        value.chop(1);
        halt.failPercent = value.toDouble(&ok);
        ok = ok && halt.failPercent > 0 && halt.failPercent <= 100;
    } else {
        halt.failCount = value.toInt(&ok);
        ok = ok && halt.failCount > 0;
    }
    if (!ok)
        return Error { u"--halt: '%1' is not a positive count or a percentage"_s.arg(parts[1]) };
    return halt;
}

struct Positionals
{
    QStringList command;
    InputList values;
    QString streamFrom; // inputs read as they come from this file ('-': stdin), or empty
};

// Splits "TEMPLATE... ::: ARGS" / "TEMPLATE... :::: FILE"; with neither, inputs come from stdin.
Result<Positionals> splitPositionals(const QStringList &positional)
{
    Positionals in;
    qsizetype sep = -1;
    for (qsizetype i = 0; i < positional.size(); ++i) {
        if (positional[i] == u":::"_s || positional[i] == u"::::"_s) {
            sep = i;
            break;
        }
    }
    in.command = positional.mid(0, sep < 0 ? positional.size() : sep);
    if (sep < 0) {
        in.streamFrom = u"-"_s;
        return in;
    }
    const bool fromFile = positional[sep] == u"::::"_s;
    const QStringList rest = positional.mid(sep + 1);
    if (rest.contains(u":::"_s) || rest.contains(u"::::"_s))
        return Error { u"only one input source (one ::: or :::: group) is supported"_s };
    if (!fromFile) {
        in.values = rest;
        return in;
    }
    if (rest.size() != 1)
        return Error { u":::: takes exactly one file ('-' for stdin)"_s };
    in.streamFrom = rest.front();
    return in;
}

// The options and the parser that knows them; each step below reads what it needs.
class RunParser
{
public:
    RunParser();
    Result<RunConfig> parse(const QStringList &args);

private:
    using Option = QCommandLineOption;
    Result<void> readBatchFile(RunConfig &run, BatchSpec &spec);
    Result<void> readCommandLine(RunConfig &run, BatchSpec &spec);
    Result<void> readServiceOptions(BatchSpec &spec);
    Result<void> readNumbers(BatchSpec &spec, double *graceSeconds);
    Result<void> readRecords(RunConfig &run);
    Result<void> readHosts(BatchSpec &spec);
    Result<void> readFileTransfers(HostsSpec &hosts);
    Result<int> wholeNumber(const Option &o, int min, int fallback) const;
    Result<double> seconds(const Option &o, double fallback) const;

    QCommandLineParser m_parser;
    const Option m_jobs { { u"j"_s, u"jobs"_s }, u"Workers (default: number of CPUs)."_s, u"N"_s };
    const Option m_joblog {
        u"joblog"_s,
        u"Write a GNU parallel joblog to FILE, starting it afresh (with --resume or --resume-failed: append to it)."_s,
        u"FILE"_s
    };
    const Option m_resume { u"resume"_s, u"Skip tasks already in the joblog."_s };
    const Option m_resumeFailed { u"resume-failed"_s,
                                  u"Rerun tasks the joblog records as failed."_s };
    const Option m_retries { u"retries"_s,
                             u"Attempts in all per task, as GNU parallel (default 1: no retry)."_s,
                             u"N"_s };
    const Option m_timeout { u"timeout"_s, u"End a task after SECONDS (fractions allowed)."_s,
                             u"SECONDS"_s };
    const Option m_grace { u"grace"_s, u"Between SIGTERM and SIGKILL (default 2)."_s,
                           u"SECONDS"_s };
    const Option m_results { u"results"_s, u"Write each task's stdout/stderr under DIR."_s,
                             u"DIR"_s };
    const Option m_keepOrder { { u"k"_s, u"keep-order"_s }, u"Print outputs in input order."_s };
    const Option m_halt { u"halt"_s, u"now,fail=N | soon,fail=N | now,fail=P%"_s, u"SPEC"_s };
    const Option m_bar { u"bar"_s,
                         u"Progress bar on stderr (default when stderr is a terminal)."_s };
    const Option m_noBar { u"no-bar"_s, u"No progress bar."_s };
    const Option m_control { u"control"_s,
                             u"Listen for `shoal ctl` and `shoal attach` on this Unix socket "
                             "(default: $XDG_RUNTIME_DIR/shoal/PID.sock, listed by `shoal ps`)."_s,
                             u"SOCKET"_s };
    const Option m_noControl { u"no-control"_s, u"No control socket."_s };
    const Option m_events { u"events"_s, u"Write every engine event to FILE as JSON lines."_s,
                            u"FILE"_s };
    const Option m_shell { u"shell"_s, u"Run each command with /bin/sh -c, inputs quoted."_s };
    const Option m_batch { u"batch"_s, u"Run the batch saved in FILE.shoal.json."_s, u"FILE"_s };
    const Option m_drain { u"drain"_s, u"Shrink policy: finish, requeue or pause."_s, u"POLICY"_s };
    const Option m_quote { { u"q"_s, u"quote"_s },
                           u"Accepted for GNU compatibility (argv is the default)."_s };
    const Option m_willCite { u"will-cite"_s, u"Accepted for GNU compatibility."_s };
    const Option m_service { u"service"_s,
                             u"Feed the inputs to long-lived workers running PROGRAM."_s,
                             u"PROGRAM ARGS"_s };
    const Option m_serviceMode { u"service-mode"_s,
                                 u"line (one line in, one out; default) or json."_s, u"MODE"_s };
    const Option m_initializer {
        u"initializer"_s, u"Shell command run once in each service worker before its program."_s,
        u"COMMAND"_s
    };
    const Option m_maxTasks { u"max-tasks-per-worker"_s,
                              u"Recycle a service worker after N tasks."_s, u"N"_s };
    const Option m_prefetch { u"prefetch"_s,
                              u"Tasks in flight per service worker (default: adaptive)."_s,
                              u"K"_s };
    const Option m_memoryLimit {
        u"memory-limit"_s, u"Per task: end it when its processes hold more than SIZE (512M, 2G)."_s,
        u"SIZE"_s
    };
    const Option m_sshlogin { { u"S"_s, u"sshlogin"_s },
                              u"Run tasks on these hosts through ssh: [N/]HOST[,...], ':' for this "
                              "machine, N its workers (default: -j, or its cores)."_s,
                              u"HOSTS"_s };
    const Option m_sshloginfile { u"sshloginfile"_s, u"Hosts for -S, one per line."_s, u"FILE"_s };
    const Option m_ssh { u"ssh"_s, u"The command that reaches a host (default: ssh)."_s,
                         u"COMMAND"_s };
    const Option m_slurm { u"slurm"_s,
                           u"Run tasks on the nodes of a Slurm allocation, one agent per node in a "
                           "job step of its own; ARGS go to srun (inside an allocation to each "
                           "step, outside one to the srun that obtains it)."_s,
                           u"ARGS"_s };
    const Option m_transferFile { { u"transferfile"_s, u"tf"_s },
                                  u"Send FILE (placeholders allowed, e.g. {}) to the worker host "
                                  "before each task there (not to ':')."_s,
                                  u"FILE"_s };
    const Option m_transfer { u"transfer"_s, u"Short for --transferfile {}."_s };
    const Option m_return { u"return"_s,
                            u"Bring FILE (placeholders allowed) back from the worker host after "
                            "each task there."_s,
                            u"FILE"_s };
    const Option m_cleanup { u"cleanup"_s,
                             u"Remove the files sent and brought back from the worker host after "
                             "each task there."_s };
    const Option m_trc { u"trc"_s, u"Short for --transfer --return FILE --cleanup."_s, u"FILE"_s };
    const Option m_agentPath { u"agent-path"_s,
                               u"Shoal on the worker hosts (default: shoal on their PATH)."_s,
                               u"PATH"_s };
    const Option m_workdir { u"workdir"_s, u"Run tasks in DIR on the worker hosts."_s, u"DIR"_s };
    const Option m_null { { u"0"_s, u"null"_s },
                          u"Inputs (:::: FILE, stdin) end with NUL, not newline."_s };
};

RunParser::RunParser()
{
    m_parser.setApplicationDescription(
        u"Run COMMAND once per input on a pool of workers (GNU parallel style)."_s);
    m_parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    m_parser.addHelpOption();
    m_parser.addOptions(
        { m_jobs,        m_joblog,      m_resume,   m_resumeFailed, m_retries,
          m_timeout,     m_grace,       m_results,  m_keepOrder,    m_halt,
          m_bar,         m_noBar,       m_control,  m_events,       m_shell,
          m_batch,       m_drain,       m_quote,    m_willCite,     m_service,
          m_serviceMode, m_initializer, m_maxTasks, m_prefetch,     m_memoryLimit });
    m_parser.addOptions({ m_noControl, m_null, m_sshlogin, m_sshloginfile, m_ssh, m_slurm,
                          m_agentPath, m_workdir, m_transferFile, m_transfer, m_return, m_cleanup,
                          m_trc });
    m_parser.addPositionalArgument(u"command"_s,
                                   u"The command template, then ::: ARGS or :::: FILE."_s,
                                   u"COMMAND... [::: ARG... | :::: FILE]"_s);
}

Result<RunConfig> RunParser::parse(const QStringList &args)
{
    RunConfig run;
    if (!m_parser.parse(args))
        return Error { m_parser.errorText() };
    if (m_parser.isSet(u"help"_s)) {
        run.helpText = m_parser.helpText();
        return run;
    }
    BatchSpec spec;
    spec.jobs = QThread::idealThreadCount();
    double graceSeconds = 2;
    if (auto read = m_parser.isSet(m_batch) ? readBatchFile(run, spec) : readCommandLine(run, spec);
        !read)
        return Error { read.error() };
    if (auto service = readServiceOptions(spec); !service)
        return Error { service.error() };
    if (auto numbers = readNumbers(spec, &graceSeconds); !numbers)
        return Error { numbers.error() };
    if (auto hosts = readHosts(spec); !hosts)
        return Error { hosts.error() };
    spec.shell = spec.shell || m_parser.isSet(m_shell);
    if (!spec.service.isValid()) {
        auto parsed = CommandTemplate::parse(spec.command, spec.shell);
        if (!parsed)
            return Error { parsed.error() };
        run.command = std::move(*parsed);
    }
    run.pool = poolOptions(spec); // what the batch asks for, as the window builds it
    run.pool.termGraceMs = int(graceSeconds * 1000);
    run.report.keepOrder = spec.keepOrder;
    if (auto records = readRecords(run); !records)
        return Error { records.error() };
    run.spec = spec;
    run.spec.inputs = {};
    run.controlPath = m_parser.value(m_control);
    if (m_parser.isSet(m_control) && run.controlPath.isEmpty())
        return Error { u"--control needs the path of a socket"_s };
    if (m_parser.isSet(m_control) && m_parser.isSet(m_noControl))
        return Error { u"--control and --no-control contradict each other"_s };
    run.defaultControl = !m_parser.isSet(m_control) && !m_parser.isSet(m_noControl);
    return run;
}

Result<void> RunParser::readBatchFile(RunConfig &run, BatchSpec &spec)
{
    const QString path = m_parser.value(m_batch);
    if (m_parser.isSet(m_null))
        return Error {
            u"-0/--null applies to inputs read from :::: FILE or stdin, not to --batch"_s
        };
    if (!m_parser.positionalArguments().isEmpty())
        return Error { u"--batch takes no command line arguments (got '%1')"_s.arg(
            m_parser.positionalArguments().join(u' ')) };
    auto loaded = loadBatchFile(path);
    if (!loaded)
        return Error { loaded.error() };
    spec = std::move(*loaded);
    if (spec.jobs <= 0)
        spec.jobs = QThread::idealThreadCount();
    const QString baseDir = QFileInfo(path).absolutePath();
    Result<void> opened;
    if (spec.inputs.kind == InputSpec::Kind::File) {
        // Read as they are needed: a file of millions of lines starts at once.
        run.reader = std::make_unique<InputReader>();
        opened = run.reader->open(resolveInputPath(spec.inputs.path, baseDir));
    } else if (spec.inputs.kind == InputSpec::Kind::Range) {
        // Generated as they are needed, never materialised.
        auto count = rangeSize(spec.inputs);
        if (count) {
            run.reader = std::make_unique<InputReader>();
            run.reader->openRange(spec.inputs.from, spec.inputs.step, *count);
        } else {
            opened = Error { count.error() };
        }
    } else if (auto resolved = resolveInputs(spec.inputs, baseDir)) {
        run.inputs = std::move(*resolved);
    } else {
        opened = Error { resolved.error() };
    }
    if (!opened)
        return Error { u"%1: %2"_s.arg(path, opened.error()) };
    return {};
}

Result<void> RunParser::readCommandLine(RunConfig &run, BatchSpec &spec)
{
    auto split = splitPositionals(m_parser.positionalArguments());
    if (!split)
        return Error { split.error() };
    if (m_parser.isSet(m_service)) {
        if (!split->command.isEmpty())
            return Error { u"--service takes no command template (got '%1')"_s.arg(
                split->command.join(u' ')) };
        auto words = splitShellWords(m_parser.value(m_service));
        if (!words || words->isEmpty())
            return Error { words ? u"--service needs a program"_s
                                 : u"--service: %1"_s.arg(words.error()) };
        spec.service.program = *words;
    } else if (split->command.isEmpty()) {
        return Error {
            u"no command given (usage: shoal run [options] COMMAND ::: ARG... | :::: FILE)"_s
        };
    }
    if (!split->streamFrom.isEmpty()) {
        run.reader = std::make_unique<InputReader>();
        auto opened = run.reader->open(split->streamFrom, m_parser.isSet(m_null) ? '\0' : '\n');
        if (!opened)
            return opened;
    }
    spec.command = split->command;
    run.inputs = std::move(split->values);
    return {};
}

Result<void> RunParser::readServiceOptions(BatchSpec &spec)
{
    if (m_parser.isSet(m_serviceMode)
        && !parseServiceMode(m_parser.value(m_serviceMode), &spec.service.mode))
        return Error { u"--service-mode takes line or json, not '%1'"_s.arg(
            m_parser.value(m_serviceMode)) };
    if (m_parser.isSet(m_initializer))
        spec.service.initializer = m_parser.value(m_initializer);
    if ((m_parser.isSet(m_serviceMode) || m_parser.isSet(m_initializer)
         || m_parser.isSet(m_maxTasks) || m_parser.isSet(m_prefetch))
        && !spec.service.isValid())
        return Error {
            u"--service-mode, --initializer, --max-tasks-per-worker and --prefetch need --service"_s
        };
    auto maxTasks = wholeNumber(m_maxTasks, 0, spec.service.maxTasksPerWorker);
    if (!maxTasks)
        return Error { maxTasks.error() };
    auto prefetch = wholeNumber(m_prefetch, 0, spec.service.prefetch);
    if (!prefetch)
        return Error { prefetch.error() };
    spec.service.maxTasksPerWorker = *maxTasks;
    spec.service.prefetch = *prefetch;
    return {};
}

Result<void> RunParser::readNumbers(BatchSpec &spec, double *graceSeconds)
{
    auto jobs = wholeNumber(m_jobs, 0, spec.jobs);
    if (!jobs)
        return Error { jobs.error() };
    auto retries = wholeNumber(m_retries, 1, spec.attempts);
    if (!retries)
        return Error { retries.error() };
    auto timeout = seconds(m_timeout, spec.timeoutSeconds);
    if (!timeout)
        return Error { timeout.error() };
    auto grace = seconds(m_grace, *graceSeconds);
    if (!grace)
        return Error { grace.error() };
    spec.jobs = *jobs == 0 ? QThread::idealThreadCount() : *jobs;
    spec.attempts = *retries;
    spec.timeoutSeconds = *timeout;
    *graceSeconds = *grace;
    if (m_parser.isSet(m_memoryLimit)) {
        const QString text = m_parser.value(m_memoryLimit);
        spec.memoryLimitBytes = parseByteSize(text);
        if (spec.memoryLimitBytes <= 0)
            return Error { u"--memory-limit needs a size such as 512M or 2G, not '%1'"_s.arg(
                text) };
        if (spec.memoryLimitBytes < kMinMemoryLimitBytes)
            return Error {
                u"--memory-limit needs at least 1M (no program can start in less), not '%1'"_s.arg(
                    text)
            };
    }
    spec.keepOrder = spec.keepOrder || m_parser.isSet(m_keepOrder);
    if (m_parser.isSet(m_drain) && !parseDrainPolicy(m_parser.value(m_drain), &spec.drain))
        return Error { u"--drain takes finish, requeue or pause, not '%1'"_s.arg(
            m_parser.value(m_drain)) };
    return {};
}

// Worker hosts (-S, --sshloginfile) and how they are reached.
Result<void> RunParser::readHosts(BatchSpec &spec)
{
    HostsSpec &hosts = spec.hosts;
    for (const QString &value : m_parser.values(m_sshlogin)) {
        auto parsed = parseSshLogins(value);
        if (!parsed)
            return Error { parsed.error() };
        hosts.hosts.insert(hosts.hosts.end(), parsed->begin(), parsed->end());
    }
    if (m_parser.isSet(m_sshloginfile)) {
        auto read = readSshLoginFile(m_parser.value(m_sshloginfile));
        if (!read)
            return Error { read.error() };
        hosts.hosts.insert(hosts.hosts.end(), read->begin(), read->end());
    }
    if (m_parser.isSet(m_slurm)) {
        if (hosts.isValid())
            return Error { u"--slurm and -S/--sshlogin cannot be combined: choose one"_s };
        if (m_parser.isSet(m_ssh))
            return Error { u"--ssh goes with -S/--sshlogin, not --slurm"_s };
        auto words = splitShellWords(m_parser.value(m_slurm));
        if (!words)
            return Error { u"--slurm: %1"_s.arg(words.error()) };
        if (const QString error = SlurmAllocation::checkArgs(*words); !error.isEmpty())
            return Error { u"--slurm: %1"_s.arg(error) };
        hosts.slurm = true;
        hosts.srunArgs = *words;
    }
    if (!hosts.isValid()) {
        for (const Option *o : { &m_ssh, &m_agentPath, &m_workdir, &m_transferFile, &m_transfer,
                                 &m_return, &m_cleanup, &m_trc })
            if (m_parser.isSet(*o))
                return Error {
                    u"--%1 needs worker hosts (-S HOST, --sshloginfile FILE or --slurm ARGS)"_s.arg(
                        o->names().last())
                };
        return {};
    }
    if (m_parser.isSet(m_ssh)) {
        auto words = splitShellWords(m_parser.value(m_ssh));
        if (!words || words->isEmpty())
            return Error { u"--ssh needs a command, such as 'ssh -p 2222'"_s };
        hosts.ssh = *words;
    }
    if (auto files = readFileTransfers(hosts); !files)
        return files;
    if (spec.service.isValid() && !(hosts.transferFiles.isEmpty() && hosts.returnFiles.isEmpty()))
        return Error { u"--transferfile and --return move the files of command tasks; --service "
                       "workers are given their tasks on stdin"_s };
    if (m_parser.isSet(m_agentPath))
        hosts.agentPath = m_parser.value(m_agentPath);
    if (m_parser.isSet(m_workdir))
        hosts.workdir = m_parser.value(m_workdir);
    // As GNU parallel: -j is each host's number of workers, unless N/HOST says otherwise.
    if (m_parser.isSet(m_jobs) && hosts.slurm)
        hosts.slurmWorkers = qMin(spec.jobs, HostSpec::kMaxWorkers);
    if (m_parser.isSet(m_jobs))
        for (HostSpec &host : hosts.hosts)
            if (host.workers == 0)
                host.workers = qMin(spec.jobs, HostSpec::kMaxWorkers);
    return {};
}

// GNU parallel's --transferfile/--tf, --transfer, --return, --cleanup and --trc.
Result<void> RunParser::readFileTransfers(HostsSpec &hosts)
{
    hosts.transferFiles = m_parser.values(m_transferFile);
    hosts.returnFiles = m_parser.values(m_return);
    if (m_parser.isSet(m_transfer) || m_parser.isSet(m_trc))
        hosts.transferFiles << u"{}"_s;
    hosts.returnFiles += m_parser.values(m_trc);
    hosts.cleanup = m_parser.isSet(m_cleanup) || m_parser.isSet(m_trc);
    for (const QStringList *list : { &hosts.transferFiles, &hosts.returnFiles })
        for (const QString &pattern : *list)
            if (QString error = checkFileTemplate(pattern); !error.isEmpty())
                return Error { u"--%1 %2"_s.arg(
                    list == &hosts.returnFiles ? u"return"_s : u"transferfile"_s, error) };
    hosts.transferFiles.removeDuplicates();
    return {};
}

// The files the run writes (joblog, results, events) and what follows from them.
Result<void> RunParser::readRecords(RunConfig &run)
{
    PoolOptions &options = run.pool;
    options.joblogPath = m_parser.value(m_joblog);
    options.resultsDir = m_parser.value(m_results);
    options.keepOutputBytes = 0; // printed as tasks end; nothing to keep for later
    if (m_parser.isSet(m_resume) || m_parser.isSet(m_resumeFailed)) {
        if (options.joblogPath.isEmpty())
            return Error { u"--resume and --resume-failed need --joblog FILE"_s };
        options.resume
            = m_parser.isSet(m_resumeFailed) ? ResumeMode::ResumeFailed : ResumeMode::Resume;
    }
    if (m_parser.isSet(m_halt)) {
        auto halt = parseHalt(m_parser.value(m_halt));
        if (!halt)
            return Error { halt.error() };
        options.halt = *halt;
    }
    run.report.printOutput = options.resultsDir.isEmpty();
    run.report.bar = m_parser.isSet(m_bar) || (!m_parser.isSet(m_noBar) && ::isatty(2));
    options.joblogAfterDelivery = run.report.printOutput; // the row follows the printed output
    options.inputsOpen = run.reader != nullptr;
    options.ownsAllChildren = true; // this process starts nothing but the tasks and their guard
    options.taskCgroups = qEnvironmentVariable("SHOAL_CGROUPS") != "0"_L1;
    if (m_parser.isSet(m_events)) {
        // Checked now, created once the batch has started: a run that fails to start leaves
        // the previous events file as it was.
        run.report.eventsPath = m_parser.value(m_events);
        const OutputTarget target = outputTarget(encodeBytes(run.report.eventsPath));
        if (target == OutputTarget::Symlink || target == OutputTarget::Folder)
            return Error { u"cannot write the events file '%1': it is a %2"_s.arg(
                run.report.eventsPath,
                target == OutputTarget::Folder ? u"folder"_s
                                               : u"symbolic link (name the file itself)"_s) };
    }
    return {};
}

Result<int> RunParser::wholeNumber(const Option &o, int min, int fallback) const
{
    if (!m_parser.isSet(o))
        return fallback;
    bool ok = false;
    const int v = m_parser.value(o).toInt(&ok);
    if (!ok || v < min)
        return Error { u"--%1 needs a whole number of at least %2, not '%3'"_s.arg(o.names().last())
                           .arg(min)
                           .arg(m_parser.value(o)) };
    return v;
}

// toDouble() takes "nan" and "inf": only finite values within the bounds pass.
Result<double> RunParser::seconds(const Option &o, double fallback) const
{
    if (!m_parser.isSet(o))
        return fallback;
    bool ok = false;
    const double v = m_parser.value(o).toDouble(&ok);
    const bool isTimeout = &o == &m_timeout;
    if (ok && (isTimeout ? validTimeout(v) : v >= 0 && v <= kMaxGraceSeconds))
        return v;
    if (isTimeout)
        return Error {
            u"--timeout needs 0 (none) or a number of seconds from %1 to %2 (a year), not '%3'"_s
                .arg(kMinTimeoutSeconds)
                .arg(kMaxTimeoutSeconds, 0, 'f', 0)
                .arg(m_parser.value(o))
        };
    return Error { u"--%1 needs a number of seconds from 0 to %2 (a day), not '%3'"_s
                       .arg(o.names().last())
                       .arg(kMaxGraceSeconds, 0, 'f', 0)
                       .arg(m_parser.value(o)) };
}

} // namespace

Result<RunConfig> parseRunOptions(const QStringList &args)
{
    return RunParser().parse(args);
}

} // namespace shoal
