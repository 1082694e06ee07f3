#include "runcommand.h"

#include "batchfile.h"
#include "batchrunner.h"
#include "bytes.h"
#include "commandtemplate.h"
#include "controlserver.h"
#include "eventjson.h"
#include "fileio.h"
#include "humanformat.h"
#include "inputreader.h"
#include "pool.h"
#include "reporter.h"
#include "signalwatcher.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSocketNotifier>
#include <QThread>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <map>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

void fail(const QString &message)
{
    writeAll(2, u"shoal: %1\n"_s.arg(message).toLocal8Bit());
}

// Parses GNU's --halt: now,fail=N | soon,fail=N | now,fail=P% (and success= is refused).
bool parseHalt(const QString &text, HaltPolicy *halt, QString *error)
{
    const QStringList parts = text.split(u',');
    if (parts.size() != 2 || (parts[0] != u"now"_s && parts[0] != u"soon"_s) || !parts[1].startsWith(u"fail="_s)) {
        *error = u"--halt takes now,fail=N, soon,fail=N or now,fail=P%, not '%1'"_s.arg(text);
        return false;
    }
    halt->when = parts[0] == u"now"_s ? HaltPolicy::When::Now : HaltPolicy::When::Soon;
    QString value = parts[1].mid(5);
    bool ok = false;
    if (value.endsWith(u'%')) {
        value.chop(1);
        halt->failPercent = value.toDouble(&ok);
        ok = ok && halt->failPercent > 0 && halt->failPercent <= 100;
    } else {
        halt->failCount = value.toInt(&ok);
        ok = ok && halt->failCount > 0;
    }
    if (!ok)
        *error = u"--halt: '%1' is not a positive count or a percentage"_s.arg(parts[1]);
    return ok;
}

struct FdCloser
{
    const int &fd;
    ~FdCloser()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

struct Inputs
{
    QStringList command;
    InputList values;
    QString streamFrom; // inputs read as they come from this file ('-': stdin), or empty
};

// Splits "TEMPLATE... ::: ARGS" / "TEMPLATE... :::: FILE"; with neither, inputs come from stdin.
// separator: what ends an input read from a file ('\n', or '\0' for -0).
Result<Inputs> splitPositionals(const QStringList &positional)
{
    Inputs in;
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

} // namespace

int runHeadless(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Run COMMAND once per input on a pool of workers (GNU parallel style)."_s);
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    parser.addHelpOption();
    const QCommandLineOption jobs({ u"j"_s, u"jobs"_s }, u"Workers (default: number of CPUs)."_s, u"N"_s);
    const QCommandLineOption joblog(
        u"joblog"_s,
        u"Write a GNU parallel joblog to FILE, starting it afresh (with --resume or --resume-failed: append to it)."_s,
        u"FILE"_s);
    const QCommandLineOption resume(u"resume"_s, u"Skip tasks already in the joblog."_s);
    const QCommandLineOption resumeFailed(u"resume-failed"_s, u"Rerun tasks the joblog records as failed."_s);
    const QCommandLineOption retries(u"retries"_s, u"Attempts in all per task (default 1)."_s, u"N"_s);
    const QCommandLineOption timeout(u"timeout"_s, u"End a task after SECONDS (fractions allowed)."_s, u"SECONDS"_s);
    const QCommandLineOption grace(u"grace"_s, u"Between SIGTERM and SIGKILL (default 2)."_s, u"SECONDS"_s);
    const QCommandLineOption results(u"results"_s, u"Write each task's stdout/stderr under DIR."_s, u"DIR"_s);
    const QCommandLineOption keepOrder({ u"k"_s, u"keep-order"_s }, u"Print outputs in input order."_s);
    const QCommandLineOption halt(u"halt"_s, u"now,fail=N | soon,fail=N | now,fail=P%"_s, u"SPEC"_s);
    const QCommandLineOption bar(u"bar"_s, u"Progress bar on stderr (default when stderr is a terminal)."_s);
    const QCommandLineOption noBar(u"no-bar"_s, u"No progress bar."_s);
    const QCommandLineOption control(u"control"_s, u"Listen for `shoal ctl` on this Unix socket."_s, u"SOCKET"_s);
    const QCommandLineOption events(u"events"_s, u"Write every engine event to FILE as JSON lines."_s, u"FILE"_s);
    const QCommandLineOption shell(u"shell"_s, u"Run each command with /bin/sh -c, inputs quoted."_s);
    const QCommandLineOption batch(u"batch"_s, u"Run the batch saved in FILE.shoal.json."_s, u"FILE"_s);
    const QCommandLineOption drain(u"drain"_s, u"Shrink policy: finish, requeue or pause."_s, u"POLICY"_s);
    const QCommandLineOption quote({ u"q"_s, u"quote"_s }, u"Accepted for GNU compatibility (argv is the default)."_s);
    const QCommandLineOption willCite(u"will-cite"_s, u"Accepted for GNU compatibility."_s);
    const QCommandLineOption service(u"service"_s, u"Feed the inputs to long-lived workers running PROGRAM."_s, u"PROGRAM ARGS"_s);
    const QCommandLineOption serviceMode(u"service-mode"_s, u"line (one line in, one out; default) or json."_s, u"MODE"_s);
    const QCommandLineOption initializer(u"initializer"_s, u"Shell command run once in each service worker before its program."_s, u"COMMAND"_s);
    const QCommandLineOption maxTasks(u"max-tasks-per-worker"_s, u"Recycle a service worker after N tasks."_s, u"N"_s);
    const QCommandLineOption prefetch(u"prefetch"_s, u"Tasks in flight per service worker (default: adaptive)."_s, u"K"_s);
    const QCommandLineOption memoryLimit(u"memory-limit"_s, u"Per task: end it when its processes hold more than SIZE (512M, 2G)."_s, u"SIZE"_s);
    const QCommandLineOption null({ u"0"_s, u"null"_s },
                                  u"Inputs (:::: FILE, stdin) end with NUL, not newline."_s);
    parser.addOptions({ jobs, joblog, resume, resumeFailed, retries, timeout, grace, results, keepOrder,
                        halt, bar, noBar, control, events, shell, batch, drain, quote, willCite, service,
                        serviceMode, initializer, maxTasks, prefetch, memoryLimit });
    parser.addOption(null);
    parser.addPositionalArgument(u"command"_s, u"The command template, then ::: ARGS or :::: FILE."_s,
                                 u"COMMAND... [::: ARG... | :::: FILE]"_s);

    if (!parser.parse(args)) {
        fail(parser.errorText());
        return 255;
    }
    if (parser.isSet(u"help"_s)) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }

    BatchSpec spec;
    spec.jobs = QThread::idealThreadCount();
    std::unique_ptr<InputReader> reader; // inputs from a file or stdin, read as they come
    InputList inputs;
    QString baseDir;
    const char separator = parser.isSet(null) ? '\0' : '\n';
    if (parser.isSet(batch) && parser.isSet(null)) {
        fail(u"-0/--null applies to inputs read from :::: FILE or stdin, not to --batch"_s);
        return 255;
    }
    if (parser.isSet(batch)) {
        auto loaded = loadBatchFile(parser.value(batch));
        if (!loaded) {
            fail(loaded.error());
            return 255;
        }
        spec = std::move(*loaded);
        if (spec.jobs <= 0)
            spec.jobs = QThread::idealThreadCount();
        baseDir = QFileInfo(parser.value(batch)).absolutePath();
        if (spec.inputs.kind == InputSpec::Kind::Range || spec.inputs.kind == InputSpec::Kind::File) {
            // Generated or read as they are needed: a range of millions starts at once.
            reader = std::make_unique<InputReader>();
            Result<void> opened;
            if (spec.inputs.kind == InputSpec::Kind::File) {
                opened = reader->open(resolveInputPath(spec.inputs.path, baseDir));
            } else if (auto count = rangeSize(spec.inputs); count) {
                reader->openRange(spec.inputs.from, spec.inputs.step, *count);
            } else {
                opened = Error { count.error() };
            }
            if (!opened) {
                fail(u"%1: %2"_s.arg(parser.value(batch), opened.error()));
                return 255;
            }
        } else {
            auto resolved = resolveInputs(spec.inputs, baseDir);
            if (!resolved) {
                fail(u"%1: %2"_s.arg(parser.value(batch), resolved.error()));
                return 255;
            }
            inputs = std::move(*resolved);
        }
        if (!parser.positionalArguments().isEmpty()) {
            fail(u"--batch takes no command line arguments (got '%1')"_s.arg(parser.positionalArguments().join(u' ')));
            return 255;
        }
    } else {
        auto split = splitPositionals(parser.positionalArguments());
        if (!split) {
            fail(split.error());
            return 255;
        }
        if (parser.isSet(service)) {
            if (!split->command.isEmpty()) {
                fail(u"--service takes no command template (got '%1')"_s.arg(split->command.join(u' ')));
                return 255;
            }
            auto words = splitShellWords(parser.value(service));
            if (!words || words->isEmpty()) {
                fail(words ? u"--service needs a program"_s : u"--service: %1"_s.arg(words.error()));
                return 255;
            }
            spec.service.program = *words;
        } else if (split->command.isEmpty()) {
            fail(u"no command given (usage: shoal run [options] COMMAND ::: ARG... | :::: FILE)"_s);
            return 255;
        }
        if (!split->streamFrom.isEmpty()) {
            reader = std::make_unique<InputReader>();
            auto opened = reader->open(split->streamFrom, separator);
            if (!opened) {
                fail(opened.error());
                return 255;
            }
        }
        spec.command = split->command;
        inputs = std::move(split->values);
    }

    auto intOption = [&](const QCommandLineOption &o, int min, int *out) {
        if (!parser.isSet(o))
            return true;
        bool ok = false;
        const int v = parser.value(o).toInt(&ok);
        if (!ok || v < min) {
            fail(u"--%1 needs a whole number of at least %2, not '%3'"_s.arg(o.names().last()).arg(min).arg(parser.value(o)));
            return false;
        }
        *out = v;
        return true;
    };
    // toDouble() takes "nan" and "inf": only finite values within the bounds pass.
    auto secondsOption = [&](const QCommandLineOption &o, double *out) {
        if (!parser.isSet(o))
            return true;
        bool ok = false;
        const double v = parser.value(o).toDouble(&ok);
        const bool isTimeout = &o == &timeout;
        if (!ok || !(isTimeout ? validTimeout(v) : v >= 0 && v <= kMaxGraceSeconds)) {
            fail(
                isTimeout
                    ? u"--timeout needs 0 (none) or a number of seconds from %1 to %2 (a year), not '%3'"_s
                          .arg(kMinTimeoutSeconds)
                          .arg(kMaxTimeoutSeconds, 0, 'f', 0)
                          .arg(parser.value(o))
                    : u"--%1 needs a number of seconds from 0 to %2 (a day), not '%3'"_s
                          .arg(o.names().last())
                          .arg(kMaxGraceSeconds, 0, 'f', 0)
                          .arg(parser.value(o)));
            return false;
        }
        *out = v;
        return true;
    };
    double graceSeconds = 2;
    if (parser.isSet(serviceMode) && !parseServiceMode(parser.value(serviceMode), &spec.service.mode)) {
        fail(u"--service-mode takes line or json, not '%1'"_s.arg(parser.value(serviceMode)));
        return 255;
    }
    if (parser.isSet(initializer))
        spec.service.initializer = parser.value(initializer);
    if ((parser.isSet(serviceMode) || parser.isSet(initializer) || parser.isSet(maxTasks) || parser.isSet(prefetch))
        && !spec.service.isValid()) {
        fail(u"--service-mode, --initializer, --max-tasks-per-worker and --prefetch need --service"_s);
        return 255;
    }
    if (!intOption(maxTasks, 0, &spec.service.maxTasksPerWorker) || !intOption(prefetch, 0, &spec.service.prefetch))
        return 255;
    if (!intOption(jobs, 0, &spec.jobs) || !intOption(retries, 1, &spec.retries)
        || !secondsOption(timeout, &spec.timeoutSeconds) || !secondsOption(grace, &graceSeconds))
        return 255;
    if (spec.jobs == 0)
        spec.jobs = QThread::idealThreadCount();
    if (parser.isSet(memoryLimit)) {
        spec.memoryLimitBytes = parseByteSize(parser.value(memoryLimit));
        if (spec.memoryLimitBytes <= 0) {
            fail(u"--memory-limit needs a size such as 512M or 2G, not '%1'"_s.arg(parser.value(memoryLimit)));
            return 255;
        }
        if (spec.memoryLimitBytes < kMinMemoryLimitBytes) {
            fail(u"--memory-limit needs at least 1M (no program can start in less), not '%1'"_s.arg(
                parser.value(memoryLimit)));
            return 255;
        }
    }
    spec.shell = spec.shell || parser.isSet(shell);
    spec.keepOrder = spec.keepOrder || parser.isSet(keepOrder);
    if (parser.isSet(drain) && !parseDrainPolicy(parser.value(drain), &spec.drain)) {
        fail(u"--drain takes finish, requeue or pause, not '%1'"_s.arg(parser.value(drain)));
        return 255;
    }

    PoolOptions options = poolOptions(spec); // what the batch asks for, as the window builds it
    options.termGraceMs = int(graceSeconds * 1000);
    options.joblogPath = parser.value(joblog);
    options.resultsDir = parser.value(results);
    options.keepOutputBytes = 0; // printed as tasks end; nothing to keep for later
    if (parser.isSet(resume) || parser.isSet(resumeFailed)) {
        if (options.joblogPath.isEmpty()) {
            fail(u"--resume and --resume-failed need --joblog FILE"_s);
            return 255;
        }
        options.resume = parser.isSet(resumeFailed) ? ResumeMode::ResumeFailed : ResumeMode::Resume;
    }
    if (parser.isSet(halt)) {
        QString error;
        if (!parseHalt(parser.value(halt), &options.halt, &error)) {
            fail(error);
            return 255;
        }
    }

    Result<CommandTemplate> parsed = CommandTemplate();
    if (!spec.service.isValid())
        parsed = CommandTemplate::parse(spec.command, spec.shell);
    if (!parsed) {
        fail(parsed.error());
        return 255;
    }

    Reporter::Options report;
    report.keepOrder = spec.keepOrder;
    report.printOutput = options.resultsDir.isEmpty();
    report.bar = parser.isSet(bar) || (!parser.isSet(noBar) && ::isatty(2));
    options.joblogAfterDelivery = report.printOutput; // the row follows the printed output
    options.inputsOpen = reader != nullptr;
    options.ownsAllChildren = true; // this process starts nothing but the tasks and their guard
    options.taskCgroups = qEnvironmentVariable("SHOAL_CGROUPS") != "0"_L1;
    if (parser.isSet(events)) {
        // Checked now, created once the batch has started: a run that fails to start leaves
        // the previous events file as it was.
        report.eventsPath = parser.value(events);
        const OutputTarget target = outputTarget(encodeBytes(report.eventsPath));
        if (target == OutputTarget::Symlink || target == OutputTarget::Folder) {
            fail(u"cannot write the events file '%1': it is a %2"_s.arg(
                report.eventsPath,
                target == OutputTarget::Folder ? u"folder"_s
                                               : u"symbolic link (name the file itself)"_s));
            return 255;
        }
    }
    int eventsFd = -1;
    const FdCloser closeEvents { eventsFd };

    // Signals become events on the loop: the first ends the batch (its tasks' groups get the
    // termination sequence), a second one exits at once (the pool's destructor still ends them).
    SignalWatcher termination({ SIGINT, SIGTERM, SIGHUP });
    if (!termination.isValid()) {
        fail(u"cannot create the signal pipe"_s);
        return 255;
    }
    ::signal(SIGPIPE, SIG_IGN);

    Pool pool(std::move(*parsed), std::move(inputs), options);
    Reporter reporter(pool, report);

    std::unique_ptr<ControlServer> server;
    if (parser.isSet(control)) {
        server = std::make_unique<ControlServer>(pool);
        QString error;
        if (!server->listen(parser.value(control), &error)) {
            fail(error);
            return 255;
        }
    }

    bool interrupted = false;
    QObject::connect(&termination, &SignalWatcher::received, [&] {
        if (interrupted) {
            fail(u"interrupted again: exiting now"_s);
            QCoreApplication::exit(255);
            return;
        }
        interrupted = true;
        fail(u"interrupted: ending %1 running task(s) (interrupt again to exit at once)"_s.arg(pool.stats().running));
        pool.cancelAll();
        if (reader) {
            reader->stop();
            pool.endInputs();
        }
    });
    QObject::connect(&pool, &Pool::finished, [] { QCoreApplication::exit(0); });
    if (reader) {
        // Bounded look-ahead: reading pauses while this many tasks wait, as GNU parallel starts
        // the first task before it has read all input.
        const qint64 lookAhead = qMax<qint64>(10000, 4 * qint64(options.workers));
        QObject::connect(reader.get(), &InputReader::inputsRead, &pool, [&, lookAhead](const InputList &more) {
            pool.addInputs(more);
            if (pool.queuedCount() >= lookAhead)
                reader->setPaused(true);
        });
        QObject::connect(&pool, &Pool::eventsReady, reader.get(), [&, lookAhead] {
            if (!reader->isOpen())
                return;
            if (pool.isStopping()) { // a halt or an error: the rest of the input is not wanted
                reader->stop();
                pool.endInputs();
            } else if (reader->isPaused() && pool.queuedCount() < lookAhead / 2) {
                reader->setPaused(false);
            }
        });
        QObject::connect(reader.get(), &InputReader::finished, &pool, [&] { pool.endInputs(); });
        QObject::connect(reader.get(), &InputReader::failed, &pool, [&](const QString &error) {
            pool.stopForError(error);
            pool.endInputs();
        });
    }

    auto started = pool.start();
    if (!started) {
        fail(started.error());
        return 255;
    }
    if (!report.eventsPath.isEmpty()) {
        auto created = createReplacing(report.eventsPath);
        if (created) {
            eventsFd = *created;
            reporter.setEventsFd(eventsFd);
        } else {
            pool.stopForError(u"cannot write the events file: %1"_s.arg(created.error()));
        }
    }
    const int loop = QCoreApplication::exec();
    QCoreApplication::processEvents(); // deliver the last queued events
    reporter.finish();
    if (loop != 0 || interrupted || pool.stoppedByError())
        return 255;
    if (pool.halted())
        return pool.haltExitStatus();
    const PoolStats s = pool.stats();
    const qint64 failed = s.failed + s.cancelled;
    return failed > 100 ? 101 : int(failed);
}

} // namespace shoal
