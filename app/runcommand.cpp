#include "runcommand.h"

#include "batchfile.h"
#include "batchrunner.h"
#include "commandtemplate.h"
#include "controlserver.h"
#include "eventjson.h"
#include "humanformat.h"
#include "pool.h"
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

void writeAll(int fd, const QByteArray &data)
{
    qsizetype done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.constData() + done, size_t(data.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        done += n;
    }
}

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

// Prints each task's output whole, as it finishes or in input order; draws the progress bar.
class Reporter : public QObject
{
public:
    Reporter(Pool &pool, bool keepOrder, bool printOutput, bool bar, QFile *events)
        : m_pool(pool), m_keepOrder(keepOrder), m_printOutput(printOutput), m_bar(bar), m_events(events)
    {
        connect(&pool, &Pool::eventsReady, this, &Reporter::onEvents);
    }

    void finish()
    {
        if (m_bar) {
            drawBar(true);
            writeAll(2, "\n");
        }
    }

private:
    void onEvents(const QList<Event> &events)
    {
        QByteArray jsonLines;
        for (const Event &e : events) {
            if (m_events)
                jsonLines += QJsonDocument(toJson(e)).toJson(QJsonDocument::Compact) + '\n';
            switch (e.type) {
            case Event::Type::TaskFinished:
                if (isTerminal(e.taskState))
                    onTaskDone(e.task, e.attempt > 0, { e.stdoutData, e.stderrData, e.stdoutFile, e.stderrFile });
                break;
            case Event::Type::TaskBatch:
                onBatch(*e.batch);
                break;
            case Event::Type::Message:
                clearBar();
                fail(e.text);
                break;
            case Event::Type::Stats:
            case Event::Type::BatchFinished:
            case Event::Type::PoolPaused:
            case Event::Type::PoolResumed:
            case Event::Type::PoolResized:
                m_stats = e.stats;
                break;
            default:
                break;
            }
        }
        if (m_events && !jsonLines.isEmpty()) {
            m_events->write(jsonLines);
            m_events->flush();
        }
        if (m_bar)
            drawBar(false);
    }

    // A task's output: in memory, or (when large) in the file it was written to.
    struct Output
    {
        QByteArray out, err;
        std::shared_ptr<const SpilledOutput> outFile, errFile;
    };

    void onTaskDone(TaskId task, bool ran, Output output)
    {
        if (!m_printOutput)
            return;
        if (!m_keepOrder) {
            if (ran)
                print(output);
            return;
        }
        Early *place = placeOf(task);
        if (!place)
            return;
        m_held.emplace(task, ran ? std::move(output) : Output {});
        place->kind = Early::Held;
        QByteArray out, err;
        drainInOrder(out, err);
        print(out, err);
    }

    // -k: the place of a task's output in the line of those waiting for their turn (null for a
    // task already printed, which cannot happen: tasks end once).
    struct Early;
    Early *placeOf(TaskId task)
    {
        if (task < m_nextInOrder)
            return nullptr;
        const size_t at = size_t(task - m_nextInOrder);
        if (m_early.size() <= at)
            m_early.resize(at + 1);
        return &m_early[at];
    }

    // -k: prints (into out and err, or directly for held outputs) whatever is next in order.
    void drainInOrder(QByteArray &out, QByteArray &err)
    {
        for (; !m_early.empty() && m_early.front().kind != Early::Pending; ++m_nextInOrder) {
            const Early &next = m_early.front();
            if (next.kind == Early::Held) {
                print(out, err); // what came before goes first
                out.clear();
                err.clear();
                if (auto it = m_held.find(m_nextInOrder); it != m_held.end()) {
                    print(it->second);
                    m_held.erase(it);
                }
            } else if (next.kind != Early::Nothing) {
                (next.kind == Early::Err ? err : out).append(m_earlyText.constData() + next.at, next.length);
                m_earlyLive -= next.length;
            }
            m_early.pop_front();
        }
        if (m_early.empty()) {
            m_earlyText.resize(0); // all printed: reuse the buffer from its start
        } else if (m_earlyText.size() > 2 * m_earlyLive + (1 << 20)) {
            // Mostly printed text: keep only what still waits.
            QByteArray live;
            live.reserve(m_earlyLive);
            for (Early &e : m_early) {
                if (e.kind == Early::Out || e.kind == Early::Err) {
                    const qsizetype at = live.size();
                    live.append(m_earlyText.constData() + e.at, e.length);
                    e.at = at;
                }
            }
            m_earlyText = std::move(live);
        }
    }

    void print(const Output &o)
    {
        if (!o.outFile && !o.errFile) {
            print(o.out, o.err);
            return;
        }
        clearBar();
        o.outFile ? void(o.outFile->copyTo(1)) : writeAll(1, o.out);
        o.errFile ? void(o.errFile->copyTo(2)) : writeAll(2, o.err);
    }

    // Service results: one line per task (a failure's text on stderr), a whole batch per write.
    void onBatch(const TaskBatch &batch)
    {
        if (!m_printOutput || batch.finished.empty())
            return;
        QByteArray out, err;
        if (!m_keepOrder) {
            // One line per result, copied straight into a buffer sized for them all.
            qsizetype bytes = 0;
            for (const TaskBatch::Finished &f : batch.finished)
                bytes += f.state == TaskState::Succeeded ? f.length + 1 : 0;
            out.resize(bytes);
            char *p = out.data();
            for (const TaskBatch::Finished &f : batch.finished) {
                if (f.state == TaskState::Succeeded) {
                    std::memcpy(p, batch.outputs.constData() + f.offset, size_t(f.length));
                    p += f.length;
                    *p++ = '\n';
                } else if (isTerminal(f.state) && f.attempt > 0) {
                    err += taskError(f, batch.output(f));
                }
            }
            print(out, err);
            return;
        }
        // In input order: a result that arrives before its turn waits in one shared buffer
        // (not an allocation each); whatever is next goes out as soon as it is there.
        for (const TaskBatch::Finished &f : batch.finished) {
            if (!isTerminal(f.state))
                continue;
            Early *place = placeOf(f.task);
            if (!place)
                continue;
            Early &e = *place;
            e.at = m_earlyText.size();
            if (f.state == TaskState::Succeeded) {
                e.kind = Early::Out;
                m_earlyText.append(batch.outputs.constData() + f.offset, f.length);
                m_earlyText += '\n';
            } else if (f.attempt > 0) {
                e.kind = Early::Err;
                m_earlyText += taskError(f, batch.output(f));
            } else {
                e.kind = Early::Nothing;
            }
            e.length = m_earlyText.size() - e.at;
            m_earlyLive += e.length;
            drainInOrder(out, err);
        }
        print(out, err);
    }

    QByteArray taskError(const TaskBatch::Finished &f, QByteArrayView text) const
    {
        return u"shoal: task %1 %2: "_s.arg(m_pool.seqOf(f.task)).arg(nameOf(f.state)).toLocal8Bit() + text.toByteArray() + '\n';
    }

    void print(const QByteArray &out, const QByteArray &err)
    {
        if (out.isEmpty() && err.isEmpty())
            return;
        clearBar();
        writeAll(1, out);
        writeAll(2, err);
    }

    void clearBar()
    {
        if (m_bar && m_barDrawn) {
            writeAll(2, "\r\033[K");
            m_barDrawn = false;
        }
    }

    void drawBar(bool force)
    {
        const qint64 t = m_pool.stats().timeMs;
        if (!force && m_barDrawn && t - m_lastBarMs < 100)
            return;
        m_lastBarMs = t;
        const PoolStats s = m_pool.stats();
        const qint64 done = s.succeeded + s.failed + s.cancelled;
        const double fraction = s.total ? double(done) / double(s.total) : 1.0;
        constexpr int kWidth = 30;
        const int filled = int(fraction * kWidth);
        const QString line = u"\r[%1%2] %3% %4/%5 done, %6 failed, %7 running, %8/s, ETA %9%10\033[K"_s
                                     .arg(QString(filled, u'#'), QString(kWidth - filled, u'.'))
                                     .arg(int(fraction * 100))
                                     .arg(done)
                                     .arg(s.total)
                                     .arg(s.failed)
                                     .arg(s.running)
                                     .arg(s.throughput, 0, 'f', 1)
                                     .arg(formatClock(s.etaSeconds), s.paused ? u" (paused)"_s : QString());
        writeAll(2, line.toLocal8Bit());
        m_barDrawn = true;
    }

    Pool &m_pool;
    bool m_keepOrder;
    bool m_printOutput;
    bool m_bar;
    QFile *m_events;
    PoolStats m_stats;
    // -k: every task from m_nextInOrder on has a place in m_early; service results wait in
    // m_earlyText, command outputs (which may be files) in m_held.
    std::map<TaskId, Output> m_held;
    TaskId m_nextInOrder = 0;
    struct Early
    {
        enum Kind : quint8 { Pending, Out, Err, Nothing, Held };
        qsizetype at = 0; // in m_earlyText
        qsizetype length = 0;
        Kind kind = Pending;
    };
    std::deque<Early> m_early; // from m_nextInOrder on
    QByteArray m_earlyText;
    qsizetype m_earlyLive = 0; // bytes of m_earlyText still waiting
    bool m_barDrawn = false;
    qint64 m_lastBarMs = 0;
};

struct Inputs
{
    QStringList command;
    InputList values;
    bool fromStdin = false;
};

// Splits "TEMPLATE... ::: ARGS" / "TEMPLATE... :::: FILE"; with neither, inputs come from stdin.
// separator: what ends an input read from a file ('\n', or '\0' for -0).
Result<Inputs> splitPositionals(const QStringList &positional, char separator)
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
        in.fromStdin = true;
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
    auto lines = readInputFile(rest.front(), separator);
    if (!lines)
        return Error { lines.error() };
    in.values = std::move(*lines);
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
    const QCommandLineOption joblog(u"joblog"_s, u"Append a GNU parallel joblog to FILE."_s, u"FILE"_s);
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
        auto resolved = resolveInputs(spec.inputs, baseDir);
        if (!resolved) {
            fail(u"%1: %2"_s.arg(parser.value(batch), resolved.error()));
            return 255;
        }
        inputs = std::move(*resolved);
        if (!parser.positionalArguments().isEmpty()) {
            fail(u"--batch takes no command line arguments (got '%1')"_s.arg(parser.positionalArguments().join(u' ')));
            return 255;
        }
    } else {
        auto split = splitPositionals(parser.positionalArguments(), separator);
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
        if (split->fromStdin) {
            auto lines = readInputFile(u"-"_s, separator);
            if (!lines) {
                fail(lines.error());
                return 255;
            }
            split->values = std::move(*lines);
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
    auto secondsOption = [&](const QCommandLineOption &o, double *out) {
        if (!parser.isSet(o))
            return true;
        bool ok = false;
        const double v = parser.value(o).toDouble(&ok);
        if (!ok || v < 0) {
            fail(u"--%1 needs a number of seconds, not '%2'"_s.arg(o.names().last(), parser.value(o)));
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

    std::unique_ptr<QFile> eventsFile;
    if (parser.isSet(events)) {
        eventsFile = std::make_unique<QFile>(parser.value(events));
        if (!eventsFile->open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            fail(u"cannot write the events file '%1': %2"_s.arg(parser.value(events), eventsFile->errorString()));
            return 255;
        }
    }

    // Signals become events on the loop: the first ends the batch (its tasks' groups get the
    // termination sequence), a second one exits at once (the pool's destructor still ends them).
    SignalWatcher termination({ SIGINT, SIGTERM, SIGHUP });
    if (!termination.isValid()) {
        fail(u"cannot create the signal pipe"_s);
        return 255;
    }
    ::signal(SIGPIPE, SIG_IGN);

    Pool pool(std::move(*parsed), std::move(inputs), options);
    const bool showBar = parser.isSet(bar) || (!parser.isSet(noBar) && ::isatty(2));
    Reporter reporter(pool, spec.keepOrder, options.resultsDir.isEmpty(), showBar, eventsFile.get());

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
    });
    QObject::connect(&pool, &Pool::finished, [] { QCoreApplication::exit(0); });

    auto started = pool.start();
    if (!started) {
        fail(started.error());
        return 255;
    }
    const int loop = QCoreApplication::exec();
    QCoreApplication::processEvents(); // deliver the last queued events
    reporter.finish();
    if (loop != 0 || interrupted)
        return 255;
    if (pool.halted())
        return pool.haltExitStatus();
    const PoolStats s = pool.stats();
    const qint64 failed = s.failed + s.cancelled;
    return failed > 100 ? 101 : int(failed);
}

} // namespace shoal
