#include "runcommand.h"

#include "controlserver.h"
#include "fileio.h"
#include "inputreader.h"
#include "pool.h"
#include "reporter.h"
#include "runningbatches.h"
#include "runoptions.h"
#include "signalwatcher.h"

#include <QCoreApplication>
#include <QSysInfo>

#include <csignal>
#include <cstdio>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

// What watchers (`shoal attach`) are told this batch is.
watch::Hello helloFor(const BatchSpec &spec)
{
    watch::Hello h;
    h.version = QStringLiteral(SHOAL_VERSION);
    h.pid = ::getpid();
    h.host = QSysInfo::machineHostName();
    h.name = spec.name.isEmpty() ? spec.command.join(u' ') : spec.name;
    if (h.name.isEmpty())
        h.name = spec.service.program.join(u' ');
    h.command = spec.command;
    h.service = spec.service.isValid();
    h.attempts = spec.attempts;
    h.drain = spec.drain;
    return h;
}

void fail(const QString &message)
{
    writeAll(2, u"shoal: %1\n"_s.arg(message).toLocal8Bit());
}

// Inputs that stream in (a pipe, a file, a range) join the pool as they are read, with a
// bounded look-ahead: reading pauses while enough tasks wait, as GNU parallel starts the first
// task before it has read all input. A halt or an error stops reading: the rest is not wanted.
void feedPool(InputReader &reader, Pool &pool, int workers)
{
    const qint64 lookAhead = qMax<qint64>(10000, 4 * qint64(workers));
    QObject::connect(&reader, &InputReader::inputsRead, &pool,
                     [&, lookAhead](const InputList &more) {
                         pool.addInputs(more);
                         if (pool.queuedCount() >= lookAhead)
                             reader.setPaused(true);
                     });
    QObject::connect(&pool, &Pool::eventsReady, &reader, [&, lookAhead] {
        if (!reader.isOpen())
            return;
        if (pool.isStopping()) {
            reader.stop();
            pool.endInputs();
        } else if (reader.isPaused() && pool.queuedCount() < lookAhead / 2) {
            reader.setPaused(false);
        }
    });
    QObject::connect(&reader, &InputReader::finished, &pool, [&] { pool.endInputs(); });
    QObject::connect(&reader, &InputReader::failed, &pool, [&](const QString &error) {
        pool.stopForError(error);
        pool.endInputs();
    });
}

// GNU parallel's exit status: 0 all succeeded, 1-100 failed tasks, 101 more; the halt's own;
// 255 for an interrupt, an error or a loop that exited otherwise.
int exitStatusOf(const Pool &pool, int loop, bool interrupted)
{
    if (loop != 0 || interrupted || pool.stoppedByError())
        return 255;
    if (pool.halted())
        return pool.haltExitStatus();
    const PoolStats s = pool.stats();
    const qint64 failed = s.failed + s.cancelled;
    return failed > 100 ? 101 : int(failed);
}

} // namespace

int runHeadless(const QStringList &args)
{
    auto parsed = parseRunOptions(args);
    if (!parsed) {
        fail(parsed.error());
        return 255;
    }
    RunConfig &run = *parsed;
    if (!run.helpText.isEmpty()) {
        std::fputs(qPrintable(run.helpText), stdout);
        return 0;
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

    Pool pool(std::move(run.command), std::move(run.inputs), run.pool);
    Reporter reporter(pool, run.report);
    std::unique_ptr<ControlServer> server;
    if (!run.controlPath.isEmpty()) {
        server = std::make_unique<ControlServer>(pool, helloFor(run.spec));
        QString error;
        if (!server->listen(run.controlPath, &error)) {
            fail(error);
            return 255;
        }
    } else if (run.defaultControl) {
        // Not asked for: a run that cannot have one goes on without (and says so).
        auto path = defaultControlPath();
        QString error;
        if (path) {
            server = std::make_unique<ControlServer>(pool, helloFor(run.spec));
            if (!server->listen(*path, &error))
                server.reset();
        } else {
            error = path.error();
        }
        if (!server)
            fail(u"warning: no control socket (shoal ps and shoal attach will not find this "
                 "run): %1"_s.arg(error));
    }

    // A window that started this run in the background waits for this word: it listens now.
    if (const int ready = qEnvironmentVariableIntValue("SHOAL_READY_FD"); ready > 2) {
        qunsetenv("SHOAL_READY_FD");
        writeAll(ready, server ? QByteArrayView("ready\n") : QByteArrayView("no socket\n"));
        ::close(ready);
    }

    bool interrupted = false;
    QObject::connect(&termination, &SignalWatcher::received, [&] {
        if (interrupted) {
            fail(u"interrupted again: exiting now"_s);
            QCoreApplication::exit(255);
            return;
        }
        interrupted = true;
        fail(u"interrupted: ending %1 running task(s) (interrupt again to exit at once)"_s.arg(
            pool.stats().running));
        pool.cancelAll();
        if (run.reader) {
            run.reader->stop();
            pool.endInputs();
        }
    });
    QObject::connect(&pool, &Pool::finished, [] { QCoreApplication::exit(0); });
    if (run.reader)
        feedPool(*run.reader, pool, run.pool.workers);

    auto started = pool.start();
    if (!started) {
        fail(started.error());
        return 255;
    }
    if (!run.report.eventsPath.isEmpty()) {
        auto created = createReplacing(run.report.eventsPath);
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
    return exitStatusOf(pool, loop, interrupted);
}

} // namespace shoal
