// The control socket's watch mode (what `shoal attach` speaks), `shoal ps` and `shoal ctl ...
// watch|relay`, against real runs: a snapshot then every event in order, commands and requests,
// resuming after a sequence number, and a watcher that stops reading, which must neither hold
// the run back nor grow its memory past a bound.
#include "testsupport.h"
#include "watchprotocol.h"

#include <QDir>
#include <QFile>
#include <QLocalSocket>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

using namespace Qt::Literals::StringLiterals;
using namespace shoal;
using namespace shoal::test;

namespace {

constexpr int kTasks = 6;

// A watcher: the request line, then frames.
class Watcher
{
public:
    bool open(const QString &path, const QByteArray &line = "watch\n")
    {
        m_socket.connectToServer(path);
        if (!m_socket.waitForConnected(5000))
            return false;
        m_socket.write(line);
        return m_socket.flush() || m_socket.bytesToWrite() == 0;
    }
    // The next frame, or nothing when none came within timeoutMs (or the link ended).
    std::optional<watch::Frame> next(int timeoutMs = 10000)
    {
        watch::Frame frame;
        while (true) {
            auto got = m_reader.next(&frame);
            if (!got)
                return std::nullopt;
            if (*got)
                return frame;
            if (m_socket.bytesAvailable() == 0 && !m_socket.waitForReadyRead(timeoutMs))
                return std::nullopt;
            m_reader.append(m_socket.readAll());
        }
    }
    template<typename T> std::optional<T> nextOf(int timeoutMs = 10000)
    {
        auto frame = next(timeoutMs);
        if (!frame || !std::holds_alternative<T>(*frame))
            return std::nullopt;
        return std::get<T>(*frame);
    }
    void send(const watch::Frame &frame)
    {
        QByteArray bytes;
        watch::encode(frame, bytes);
        m_socket.write(bytes);
        m_socket.flush();
    }
    QLocalSocket &socket() { return m_socket; }

private:
    QLocalSocket m_socket;
    watch::FrameReader m_reader;
};

qint64 pidOfTask(const QString &dir, int input)
{
    return readPidFile(dir + u"/pid."_s + QString::number(input));
}

} // namespace

class TestWatch : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void snapshotThenEveryEvent();
    void commandsAndRequests();
    void resumesAfterItsSequenceNumber();
    void anotherRunsSequenceGetsASnapshot();
    void psListsRunsAndClearsStaleSockets();
    void ctlWatchAndRelay();
    void slowWatcherHoldsNothingBack();
    void aSnapshotOverTheBacklogBoundIsFollowedByEvents();

private:
    void startRun();
    void release();
    void finishRun();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_run;
    QString m_socket;
    QString m_go;
};

void TestWatch::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_socket = m_dir->filePath(u"ctl.sock"_s);
    m_go = m_dir->filePath(u"go"_s);
}

void TestWatch::cleanup()
{
    if (m_run && m_run->state() != QProcess::NotRunning) {
        m_run->kill();
        m_run->waitForFinished();
    }
    m_run.reset();
    const QStringList left = waitForNoChildren();
    QVERIFY2(left.isEmpty(), qPrintable(u"processes left behind: "_s + left.join(u", "_s)));
}

// Two workers, kTasks tasks that write their pid, wait for the go file, then print their input.
void TestWatch::startRun()
{
    m_run = std::make_unique<QProcess>();
    const QStringList args
        = QStringList { u"run"_s, u"--no-bar"_s, u"-j2"_s, u"--control"_s, m_socket }
        + gatedBatch(m_dir->path(), m_go, kTasks);
    m_run->start(shoalBinary(), args);
    QVERIFY(m_run->waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(m_socket), 10000);
}

void TestWatch::release()
{
    QFile go(m_go);
    QVERIFY(go.open(QIODevice::WriteOnly));
}

void TestWatch::finishRun()
{
    release();
    QVERIFY(m_run->waitForFinished(30000));
    QCOMPARE(m_run->exitStatus(), QProcess::NormalExit);
    QVERIFY2(m_run->exitCode() == 0, m_run->readAllStandardError().constData());
    QCOMPARE(joblogSummary(m_dir->filePath(u"log"_s)).size(), kTasks);
}

void TestWatch::snapshotThenEveryEvent()
{
    startRun();
    Watcher w;
    QVERIFY(w.open(m_socket));
    auto hello = w.nextOf<watch::Hello>();
    QVERIFY(hello);
    QCOMPARE(hello->protocol, watch::kProtocol);
    QCOMPARE(hello->pid, m_run->processId());
    QVERIFY2(hello->name.contains(worker()), qPrintable(hello->name));
    QVERIFY(!hello->resumed);
    auto snap = w.nextOf<watch::Snapshot>();
    QVERIFY(snap);
    QCOMPARE(snap->request, quint64(0));
    QCOMPARE(snap->snapshot.taskCount, qint64(kTasks));
    QCOMPARE(snap->snapshot.inputs.size(), kTasks);
    QCOMPARE(snap->snapshot.inputs.at(2), u"3"_s);

    release();
    // Every event after the snapshot's seq, without a gap, up to BatchFinished; each task ends
    // once, succeeded.
    quint64 expected = snap->snapshot.seq + 1;
    QSet<TaskId> ended;
    bool finished = false;
    while (!finished) {
        auto events = w.nextOf<watch::Events>();
        QVERIFY2(events, "the stream ended before BatchFinished");
        for (const Event &e : std::as_const(events->events)) {
            if (e.seq < expected)
                continue; // already in the snapshot
            QCOMPARE(e.seq, expected);
            ++expected;
            if (e.batch) {
                for (const auto &f : e.batch->finished) {
                    QCOMPARE(f.state, TaskState::Succeeded);
                    QVERIFY(!ended.contains(f.task));
                    ended.insert(f.task);
                }
            }
            finished = finished || e.type == Event::Type::BatchFinished;
        }
    }
    QCOMPARE(ended.size(), kTasks);
    QVERIFY(m_run->waitForFinished(30000));
    QCOMPARE(m_run->exitCode(), 0);
}

void TestWatch::commandsAndRequests()
{
    startRun();
    Watcher w;
    QVERIFY(w.open(m_socket));
    QVERIFY(w.nextOf<watch::Hello>());
    QVERIFY(w.nextOf<watch::Snapshot>());
    const qint64 first = pidOfTask(m_dir->path(), 1);
    const qint64 second = pidOfTask(m_dir->path(), 2);
    QVERIFY(first > 0 && second > 0);

    w.send(watch::Command { watch::Command::Verb::Pause, 0, DrainPolicy::Finish, {} });
    QTRY_COMPARE_WITH_TIMEOUT(processState(first), 'T', 10000);
    QTRY_COMPARE_WITH_TIMEOUT(processState(second), 'T', 10000);
    w.send(watch::Command { watch::Command::Verb::Resume, 0, DrainPolicy::Finish, {} });
    QTRY_VERIFY_WITH_TIMEOUT(processState(first) != 'T', 10000);

    // Answers carry their request's number, between the events.
    w.send(watch::Request { 41, watch::Request::Kind::Details, { 0 }, 0 });
    w.send(watch::Request { 42, watch::Request::Kind::Commands, { 0, 5, 99 }, 0 });
    w.send(watch::Request { 43, watch::Request::Kind::Snapshot, {}, 0 });
    bool details = false, commands = false, snapshot = false;
    while (!(details && commands && snapshot)) {
        auto frame = w.next();
        QVERIFY2(frame, "a request was not answered");
        if (auto *d = std::get_if<watch::Details>(&*frame)) {
            QCOMPARE(d->request, quint64(41));
            QCOMPARE(d->details.task, TaskId(0));
            QVERIFY2(d->details.command.contains(u"--print 1"_s), qPrintable(d->details.command));
            details = true;
        } else if (auto *c = std::get_if<watch::Commands>(&*frame)) {
            QCOMPARE(c->request, quint64(42));
            QCOMPARE(c->commands.size(), 3);
            QVERIFY(c->commands[1].contains(u"--print 6"_s));
            QVERIFY(c->commands[2].isEmpty()); // no task 99
            commands = true;
        } else if (auto *s = std::get_if<watch::Snapshot>(&*frame)) {
            QCOMPARE(s->request, quint64(43));
            snapshot = true;
        }
    }

    // Resize through the watcher: a third task starts.
    w.send(watch::Command { watch::Command::Verb::Resize, 3, DrainPolicy::Finish, {} });
    QVERIFY(pidOfTask(m_dir->path(), 3) > 0);

    // A frame only an engine sends ends the watcher's connection, not the run.
    w.send(watch::Hello {});
    QTRY_COMPARE_WITH_TIMEOUT(w.socket().state(), QLocalSocket::UnconnectedState, 10000);
    finishRun();
}

void TestWatch::resumesAfterItsSequenceNumber()
{
    startRun();
    quint64 last = 0;
    {
        Watcher w;
        QVERIFY(w.open(m_socket));
        QVERIFY(w.nextOf<watch::Hello>());
        auto snap = w.nextOf<watch::Snapshot>();
        QVERIFY(snap);
        last = snap->snapshot.seq;
        w.send(watch::Command { watch::Command::Verb::Pause, 0, DrainPolicy::Finish, {} });
        // Read until the pause is reported.
        bool paused = false;
        while (!paused) {
            auto events = w.nextOf<watch::Events>();
            QVERIFY(events);
            for (const Event &e : std::as_const(events->events)) {
                last = std::max(last, e.seq);
                paused = paused || e.type == Event::Type::PoolPaused;
            }
        }
    } // the link drops here
    // While nobody watches, more happens.
    {
        Watcher steer;
        QVERIFY(steer.open(m_socket));
        QVERIFY(steer.nextOf<watch::Hello>());
        QVERIFY(steer.nextOf<watch::Snapshot>());
        steer.send(watch::Command { watch::Command::Verb::Resume, 0, DrainPolicy::Finish, {} });
        steer.send(watch::Command { watch::Command::Verb::Resize, 1, DrainPolicy::Requeue, {} });
        bool resized = false;
        while (!resized) {
            auto events = steer.nextOf<watch::Events>();
            QVERIFY(events);
            for (const Event &e : std::as_const(events->events))
                resized = resized || e.type == Event::Type::PoolResized;
        }
    }
    Watcher again;
    QVERIFY(again.open(m_socket, u"watch %1 %2\n"_s.arg(last).arg(m_run->processId()).toUtf8()));
    auto hello = again.nextOf<watch::Hello>();
    QVERIFY(hello);
    QVERIFY(hello->resumed);
    // No snapshot: the events after `last`, from last + 1, with the resume and the resize.
    auto events = again.nextOf<watch::Events>();
    QVERIFY2(events, "a resumed watcher was sent something else than events");
    QVERIFY(!events->events.isEmpty());
    QVERIFY2(events->events.front().seq <= last + 1,
             qPrintable(u"first seq %1 after %2"_s.arg(events->events.front().seq).arg(last)));
    bool resumed = false, resized = false;
    quint64 expected = last + 1;
    while (!(resumed && resized)) {
        for (const Event &e : std::as_const(events->events)) {
            if (e.seq < expected)
                continue;
            QCOMPARE(e.seq, expected);
            ++expected;
            resumed = resumed || e.type == Event::Type::PoolResumed;
            resized = resized || e.type == Event::Type::PoolResized;
        }
        if (!(resumed && resized)) {
            events = again.nextOf<watch::Events>();
            QVERIFY(events);
        }
    }
    finishRun();
}

void TestWatch::anotherRunsSequenceGetsASnapshot()
{
    startRun();
    Watcher w;
    // Another pid (a run that was at this path before), or a seq this run has not reached.
    QVERIFY(w.open(m_socket, "watch 3 1\n"));
    auto hello = w.nextOf<watch::Hello>();
    QVERIFY(hello && !hello->resumed);
    QVERIFY(w.nextOf<watch::Snapshot>());
    Watcher ahead;
    QVERIFY(ahead.open(m_socket, u"watch 999999 %1\n"_s.arg(m_run->processId()).toUtf8()));
    hello = ahead.nextOf<watch::Hello>();
    QVERIFY(hello && !hello->resumed);
    QVERIFY(ahead.nextOf<watch::Snapshot>());
    finishRun();
}

void TestWatch::psListsRunsAndClearsStaleSockets()
{
    // This test's own runtime folder: nothing of the user's, and nobody else's runs.
    QTemporaryDir runtime;
    QVERIFY(runtime.isValid());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"XDG_RUNTIME_DIR"_s, runtime.path());
    QProcess run;
    run.setProcessEnvironment(env);
    run.start(shoalBinary(),
              QStringList { u"run"_s, u"--no-bar"_s, u"-j2"_s, worker(), u"--wait-file"_s, m_go,
                            u"--tag"_s, u"{}"_s, u":::"_s }
                  + numbers(3));
    QVERIFY(run.waitForStarted());
    const QString sock = runtime.filePath(u"shoal/%1.sock"_s.arg(run.processId()));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(sock), 10000);
    // A socket nobody listens on any more (its run was killed): ps removes it.
    const QString stale = runtime.filePath(u"shoal/424242.sock"_s);
    {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr {};
        addr.sun_family = AF_UNIX;
        const QByteArray path = QFile::encodeName(stale);
        std::memcpy(addr.sun_path, path.constData(), size_t(path.size()));
        QCOMPARE(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
        ::close(fd);
    }
    QVERIFY(QFile::exists(stale));
    QProcess ps;
    ps.setProcessEnvironment(env);
    ps.start(shoalBinary(), { u"ps"_s });
    QVERIFY(ps.waitForFinished(20000));
    QCOMPARE(ps.exitCode(), 0);
    const QString out = QString::fromUtf8(ps.readAllStandardOutput());
    QVERIFY2(out.contains(sock), qPrintable(out));
    QVERIFY2(out.contains(QString::number(run.processId())), qPrintable(out));
    QVERIFY2(out.contains(worker().left(40)), qPrintable(out)); // names are cut at 40
    QVERIFY(!QFile::exists(stale));

    // A run with --no-control has no socket: ps says there is nothing.
    release();
    QVERIFY(run.waitForFinished(30000));
    QVERIFY2(run.exitCode() == 0, run.readAllStandardError().constData());
    QVERIFY(!QFile::exists(sock)); // removed with its run
    const QString go2 = m_dir->filePath(u"go2"_s);
    run.start(shoalBinary(),
              { u"run"_s, u"--no-bar"_s, u"--no-control"_s, worker(), u"--pidfile"_s,
                m_dir->filePath(u"quiet.pid"_s), u"--wait-file"_s, go2, u"--tag"_s, u"{}"_s,
                u":::"_s, u"1"_s });
    QVERIFY(run.waitForStarted());
    QVERIFY(readPidFile(m_dir->filePath(u"quiet.pid"_s)) > 0);
    ps.start(shoalBinary(), { u"ps"_s });
    QVERIFY(ps.waitForFinished(20000));
    QCOMPARE(ps.exitCode(), 0);
    QVERIFY(ps.readAllStandardOutput().isEmpty());
    QVERIFY(ps.readAllStandardError().contains("no running batches"));
    ps.start(shoalBinary(), { u"ps"_s, u"--all"_s }); // takes nothing
    QVERIFY(ps.waitForFinished(20000));
    QCOMPARE(ps.exitCode(), 255);
    QVERIFY(ps.readAllStandardError().contains("usage: shoal ps"));
    QFile(go2).open(QIODevice::WriteOnly);
    QVERIFY(run.waitForFinished(30000));
    QCOMPARE(run.exitCode(), 0);
}

void TestWatch::ctlWatchAndRelay()
{
    startRun();
    // relay: the socket on stdin/stdout (what ssh carries for `shoal attach ssh://...`).
    QProcess relay;
    relay.start(shoalBinary(), { u"ctl"_s, m_socket, u"relay"_s });
    QVERIFY(relay.waitForStarted());
    relay.write("status\n");
    QTRY_VERIFY_WITH_TIMEOUT(relay.canReadLine() || relay.waitForReadyRead(100), 10000);
    while (!relay.canReadLine())
        QVERIFY(relay.waitForReadyRead(10000));
    const QByteArray line = relay.readLine();
    QVERIFY2(line.contains("\"ok\":true") && line.contains("\"workers\":2"), line.constData());
    relay.closeWriteChannel(); // the watcher left: the relay ends
    QVERIFY(relay.waitForFinished(10000));
    QCOMPARE(relay.exitCode(), 0);

    // watch: a status line a second until the batch ends.
    QProcess watch;
    watch.start(shoalBinary(), { u"ctl"_s, m_socket, u"watch"_s });
    QVERIFY(watch.waitForStarted());
    while (!watch.canReadLine())
        QVERIFY(watch.waitForReadyRead(10000));
    const QByteArray status = watch.readLine();
    QVERIFY2(status.contains("0/6 done") && status.contains("2 running"), status.constData());
    finishRun();
    QVERIFY(watch.waitForFinished(20000));
    QCOMPARE(watch.exitCode(), 0);
    QVERIFY(watch.readAll().contains(": ended"));

    QProcess none;
    none.start(shoalBinary(), { u"ctl"_s, m_socket, u"watch"_s });
    QVERIFY(none.waitForFinished(20000));
    QCOMPARE(none.exitCode(), 255);
    QVERIFY(none.readAllStandardError().contains("no batch answers"));
}

namespace {

// Runs shoal with tasks on its stdin, optionally watched by a connection that never reads;
// returns its peak RSS in KiB (-1 when it failed).
qint64 peakRssOfServiceRun(const QString &socket, int tasks, bool watched)
{
    int in[2];
    if (::pipe(in) != 0)
        return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    const QList<QByteArray> args { QFile::encodeName(shoalBinary()),
                                   "run",
                                   "--no-bar",
                                   "-j2",
                                   "--control",
                                   QFile::encodeName(socket),
                                   "--service",
                                   SHOAL_DOUBLE_WORKER,
                                   "--service-mode",
                                   "json",
                                   "::::",
                                   "-" };
    std::vector<char *> argv;
    for (const QByteArray &a : args)
        argv.push_back(const_cast<char *>(a.constData()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    if (rc != 0) {
        ::close(in[1]);
        return -1;
    }
    int watcher = -1;
    if (watched) {
        // Connected and asking for the stream, and never reading a byte of it.
        for (int i = 0; i < 1000 && !QFile::exists(socket); ++i)
            ::usleep(10000);
        watcher = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr {};
        addr.sun_family = AF_UNIX;
        const QByteArray path = QFile::encodeName(socket);
        std::memcpy(addr.sun_path, path.constData(), size_t(path.size()));
        if (::connect(watcher, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0
            || ::write(watcher, "watch\n", 6) != 6)
            qWarning("the watcher could not connect");
    }
    QByteArray chunk;
    for (int i = 1; i <= tasks; ++i) {
        chunk += QByteArray::number(i) + '\n';
        if (chunk.size() > 1 << 16 || i == tasks) {
            if (::write(in[1], chunk.constData(), size_t(chunk.size())) != chunk.size())
                break;
            chunk.clear();
        }
    }
    ::close(in[1]);
    int status = 0;
    rusage usage {};
    while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) { }
    if (watcher >= 0)
        ::close(watcher);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? usage.ru_maxrss : -1;
}

} // namespace

void TestWatch::slowWatcherHoldsNothingBack()
{
    // 1.5 million tasks' events are well over 100 MB encoded: a watcher that reads none of them
    // must cost the run at most its bounded backlog and the kept recent events (16 MiB each),
    // and the run must end as it would unwatched (a blocked engine would never end).
    constexpr int kServiceTasks = 1500000;
    const qint64 alone = peakRssOfServiceRun(m_dir->filePath(u"a.sock"_s), kServiceTasks, false);
    QVERIFY(alone > 0);
    const qint64 watched = peakRssOfServiceRun(m_dir->filePath(u"b.sock"_s), kServiceTasks, true);
    QVERIFY2(watched > 0, "the watched run failed");
    qInfo("peak RSS: %lld KiB alone, %lld KiB with a watcher that never reads", alone, watched);
    QVERIFY2(watched - alone < 64 * 1024,
             qPrintable(u"a watcher that never reads cost the run %1 KiB"_s.arg(watched - alone)));
}

// A batch whose snapshot alone is larger than the backlog bound (16 MiB of inputs): the watcher
// gets it, then events, not one snapshot after another.
void TestWatch::aSnapshotOverTheBacklogBoundIsFollowedByEvents()
{
    // Inputs a batch file lists are all in the snapshot (a file's would stream in).
    QByteArray lines;
    for (int i = 0; i < 700000; ++i)
        lines += "input-with-a-long-name-" + QByteArray::number(i) + "\\n";
    const QString batch = m_dir->filePath(u"big.shoal.json"_s);
    {
        QFile f(batch);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"command\": [\"" + QFile::encodeName(worker()) + "\", \"--wait-file\", \""
                + QFile::encodeName(m_go)
                + "\", \"--tag\", \"{}\"], \"jobs\": 1, "
                  "\"inputs\": {\"lines\": \""
                + lines + "\"}}");
    }
    m_run = std::make_unique<QProcess>();
    m_run->start(shoalBinary(),
                 { u"run"_s, u"--no-bar"_s, u"--control"_s, m_socket, u"--batch"_s, batch });
    QVERIFY(m_run->waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(m_socket), 10000);
    // The pause goes with the watch line: its events come while the snapshot is still unsent.
    QByteArray request = "watch\n";
    watch::encode(watch::Command { watch::Command::Verb::Pause, 0, DrainPolicy::Finish, {} },
                  request);
    Watcher w;
    QVERIFY(w.open(m_socket, request));
    QVERIFY(w.nextOf<watch::Hello>());
    auto snap = w.nextOf<watch::Snapshot>(30000);
    QVERIFY(snap);
    QCOMPARE(snap->snapshot.inputs.size(), 700000); // over 20 MB
    bool paused = false;
    while (!paused) {
        auto frame = w.next(30000);
        QVERIFY2(frame, "nothing came after the snapshot");
        QVERIFY2(!std::holds_alternative<watch::Snapshot>(*frame), "a snapshot again");
        if (auto *events = std::get_if<watch::Events>(&*frame)) {
            for (const Event &e : std::as_const(events->events))
                paused = paused || e.type == Event::Type::PoolPaused;
        }
    }
    w.send(watch::Command { watch::Command::Verb::CancelAll, 0, DrainPolicy::Finish, {} });
    QVERIFY(m_run->waitForFinished(30000));
}

QTEST_GUILESS_MAIN(TestWatch)
#include "tst_watch.moc"
