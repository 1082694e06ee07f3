// The control socket of `shoal run --control SOCKET` under hostile use: whatever a client sends,
// or however it comes and goes, it gets an error (or nothing) and the run goes on to complete
// normally. Each test starts a real run whose tasks wait for a file, attacks its socket, then
// lets the tasks finish and checks the run's exit status and output.
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <cstring>
#include <memory>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using namespace shoal::test;

namespace {

constexpr qsizetype kMaxRequestBytes = 4096; // ControlServer::kMaxRequestBytes
constexpr int kTasks = 4;

// A client speaking the control protocol: one request line out, one JSON line back.
class Client
{
public:
    bool connectTo(const QString &path)
    {
        m_socket.connectToServer(path);
        return m_socket.waitForConnected(5000);
    }
    void send(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        m_socket.flush();
    }
    // The next reply line, or an empty object when none came (or the server hung up).
    QJsonObject reply(int timeoutMs = 10000)
    {
        while (!m_socket.canReadLine()) {
            if (m_socket.state() != QLocalSocket::ConnectedState && !m_socket.bytesAvailable())
                return {};
            if (!m_socket.waitForReadyRead(timeoutMs))
                return {};
        }
        const QByteArray line = m_socket.readLine();
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject()) {
            qWarning("not a JSON object reply: %s", line.constData());
            return {};
        }
        return doc.object();
    }
    QJsonObject request(const QByteArray &line)
    {
        send(line + '\n');
        return reply();
    }
    bool waitForHangUp(int timeoutMs = 10000)
    {
        if (m_socket.state() == QLocalSocket::UnconnectedState)
            return true;
        return m_socket.waitForDisconnected(timeoutMs);
    }
    QLocalSocket &socket() { return m_socket; }

private:
    QLocalSocket m_socket;
};

// Sends bytes over a plain socket, then reads the first reply line. Unlike QLocalSocket, it
// still reads what the server answered after the server hung up on the rest of a big write.
QJsonObject rawExchange(const QString &path, const QByteArray &bytes)
{
    const QByteArray name = QFile::encodeName(path);
    sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    if (size_t(name.size()) >= sizeof addr.sun_path)
        return {};
    std::memcpy(addr.sun_path, name.constData(), size_t(name.size()));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return {};
    const timeval timeout { 10, 0 };
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    QByteArray received;
    if (::connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) == 0) {
        qsizetype sent = 0;
        while (sent < bytes.size()) {
            const ssize_t n
                = ::send(fd, bytes.constData() + sent, size_t(bytes.size() - sent), MSG_NOSIGNAL);
            if (n <= 0)
                break; // EPIPE: the server hung up, maybe after answering
            sent += n;
        }
        char buffer[4096];
        while (!received.contains('\n')) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0)
                break;
            received.append(buffer, n);
        }
    }
    ::close(fd);
    return QJsonDocument::fromJson(received.left(received.indexOf('\n'))).object();
}

bool isError(const QJsonObject &reply, const QString &fragment = {})
{
    return reply.value(u"ok"_s) == QJsonValue(false)
        && reply.value(u"error"_s).toString().contains(fragment);
}

QString describe(const QJsonObject &reply)
{
    return QString::fromUtf8(QJsonDocument(reply).toJson(QJsonDocument::Compact));
}

} // namespace

class TestControl : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { becomeSubreaper(); }
    void init();
    void cleanup();
    void socketIsOwnerOnly();
    void oversizeRequestIsRefused_data();
    void oversizeRequestIsRefused();
    void overlongLineIsNotSplitIntoRequests();
    void malformedRequestsGetErrors();
    void binaryGarbageGetsErrors();
    void manyClientsComingAndGoing();
    void idleClientDoesNotHoldTheRunOpen();
    void liveSocketIsNotTakenOver();
    void relativePathMeansTheCurrentDirectory();
    void nonSocketAtThePathIsRefused_data();
    void nonSocketAtThePathIsRefused();
    void staleSocketIsReplaced();
    void missingFolderIsNamed();
    void resizeFarBeyondTheTasks();

private:
    // `shoal run --control path` of one quick task, from workingDir.
    RunResult quickRun(const QString &path, const QString &workingDir = {});
    void startRun();
    void finishRun();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_run;
    QString m_socket;
    QString m_go;
};

void TestControl::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_socket = m_dir->filePath(u"ctl.sock"_s);
    m_go = m_dir->filePath(u"go"_s);
    startRun();
}

void TestControl::cleanup()
{
    if (m_run && m_run->state() != QProcess::NotRunning) {
        m_run->kill();
        m_run->waitForFinished();
    }
    m_run.reset();
    const QStringList left = waitForNoChildren();
    QVERIFY2(left.isEmpty(), qPrintable(u"processes left behind: "_s + left.join(u", "_s)));
}

// Two workers, four tasks that each wait for the go file, then print their input.
void TestControl::startRun()
{
    m_run = std::make_unique<QProcess>();
    QStringList args { u"run"_s,     u"--no-bar"_s, u"-j2"_s,         u"--control"_s,
                       m_socket,     worker(),      u"--wait-file"_s, m_go,
                       u"--print"_s, u"{}"_s,       u":::"_s };
    for (int i = 1; i <= kTasks; ++i)
        args << QString::number(i);
    m_run->start(shoalBinary(), args);
    QVERIFY(m_run->waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(m_socket), 10000);
}

// Lets the tasks end; the run must complete as if nobody had touched its socket.
void TestControl::finishRun()
{
    Client probe;
    QVERIFY2(probe.connectTo(m_socket), "the control socket stopped accepting");
    const QJsonObject status = probe.request("status");
    QVERIFY2(status.value(u"ok"_s).toBool(), qPrintable(describe(status)));
    QCOMPARE(status.value(u"stats"_s).toObject().value(u"workers"_s).toInt(), 2);
    QCOMPARE(status.value(u"stats"_s).toObject().value(u"paused"_s).toBool(), false);

    QFile go(m_go);
    QVERIFY(go.open(QIODevice::WriteOnly));
    go.close();
    QVERIFY(m_run->waitForFinished(30000));
    QCOMPARE(m_run->exitStatus(), QProcess::NormalExit);
    const QByteArray err = m_run->readAllStandardError();
    QVERIFY2(m_run->exitCode() == 0, err.constData());
    QList<QByteArray> lines = m_run->readAllStandardOutput().split('\n');
    lines.removeAll(QByteArray());
    std::sort(lines.begin(), lines.end());
    QCOMPARE(lines, (QList<QByteArray> { "1", "2", "3", "4" }));
    QVERIFY(!QFile::exists(m_socket)); // removed on exit
}

void TestControl::socketIsOwnerOnly()
{
    struct stat st
    {
    };
    QCOMPARE(::stat(QFile::encodeName(m_socket).constData(), &st), 0);
    QVERIFY(S_ISSOCK(st.st_mode));
    QCOMPARE(st.st_mode & 07777, mode_t(0600));
    QCOMPARE(st.st_uid, ::getuid());

    if (::getuid() == 0) {
        // Root can show the mode at work: another user may not even connect. The folder must
        // let that user through, so that only the socket's own mode stands in the way.
        QVERIFY(QFile::setPermissions(m_dir->path(),
                                      QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner
                                          | QFile::ExeGroup | QFile::ExeOther));
        const QByteArray path = QFile::encodeName(m_socket);
        sockaddr_un addr {};
        addr.sun_family = AF_UNIX;
        QVERIFY(size_t(path.size()) < sizeof addr.sun_path);
        std::memcpy(addr.sun_path, path.constData(), size_t(path.size()));
        const pid_t child = ::fork();
        if (child == 0) {
            // Raw system calls only between fork and _exit (this process has threads).
            if (::syscall(SYS_setgid, 65534) != 0 || ::syscall(SYS_setuid, 65534) != 0)
                ::_exit(5);
            const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            if (fd < 0)
                ::_exit(3);
            const int rc = ::connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr);
            ::_exit(rc == 0 ? 1 : errno == EACCES ? 0 : 4);
        }
        QVERIFY(child > 0);
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY(WIFEXITED(status));
        if (WEXITSTATUS(status) == 5)
            qInfo("cannot change user here (no CAP_SETUID): the connect probe is skipped");
        else
            QVERIFY2(WEXITSTATUS(status) == 0,
                     WEXITSTATUS(status) == 1 ? "another user could connect" : "the probe failed");
    }
    finishRun();
}

void TestControl::oversizeRequestIsRefused_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::newRow("line of 5000") << QByteArray(5000, 'x') + '\n';
    QTest::newRow("no newline, 5000") << QByteArray(5000, 'x');
    QTest::newRow("1 MB, no newline") << QByteArray(1 << 20, 'y');
    QTest::newRow("limit + 1") << QByteArray(kMaxRequestBytes, 'z') + '\n';
}

void TestControl::oversizeRequestIsRefused()
{
    QFETCH(QByteArray, request);
    const QJsonObject reply = rawExchange(m_socket, request);
    QVERIFY2(isError(reply, u"too long"_s), qPrintable(describe(reply)));

    // A request of exactly the limit (newline included) is still read as one.
    Client fits;
    QVERIFY(fits.connectTo(m_socket));
    const QJsonObject atLimit = fits.request(QByteArray(kMaxRequestBytes - 1, 'w'));
    QVERIFY2(isError(atLimit, u"unknown request"_s), qPrintable(describe(atLimit)));
    QVERIFY2(fits.request("status").value(u"ok"_s).toBool(),
             "the connection did not survive a request at the limit");
    finishRun();
}

// A long line must be refused whole: were it read in pieces, its tail would run as a request
// of its own ("cancel" here would end the run with failures).
void TestControl::overlongLineIsNotSplitIntoRequests()
{
    for (qsizetype padding :
         { kMaxRequestBytes - 2, kMaxRequestBytes - 1, kMaxRequestBytes, kMaxRequestBytes + 1 }) {
        Client client;
        QVERIFY(client.connectTo(m_socket));
        client.send(QByteArray(padding, ' ') + "cancel\n");
        const QJsonObject reply = client.reply();
        QVERIFY2(isError(reply, u"too long"_s),
                 qPrintable(u"padding %1: %2"_s.arg(padding).arg(describe(reply))));
        const QJsonObject more = client.reply(500);
        QVERIFY2(more.isEmpty(),
                 qPrintable(u"padding %1: a second reply %2"_s.arg(padding).arg(describe(more))));
    }
    finishRun();
}

void TestControl::malformedRequestsGetErrors()
{
    const QList<std::pair<QByteArray, QString>> cases {
        { "", u"unknown request"_s },
        { "   ", u"unknown request"_s },
        { "\r", u"unknown request"_s },
        { "explode", u"unknown request"_s },
        { "PAUSE", u"unknown request"_s },
        { "pause now", u"unknown request"_s },
        { "status please", u"unknown request"_s },
        { "resize", u"unknown request"_s },
        { "resize -5", u"worker count"_s },
        { "resize -0x10", u"worker count"_s },
        { "resize 2147483648", u"worker count"_s },
        { "resize 1e3", u"worker count"_s },
        { "resize 3 sideways", u"drain policy"_s },
        { "resize 3 finish extra", u"unknown request"_s },
        { "{\"verb\":\"pause\"}", u"unknown request"_s },
    };
    Client client;
    QVERIFY(client.connectTo(m_socket));
    for (const auto &[request, fragment] : cases) {
        const QJsonObject reply = client.request(request);
        QVERIFY2(isError(reply, fragment),
                 qPrintable(u"'%1': %2"_s.arg(QString::fromUtf8(request), describe(reply))));
    }
    // Several requests in one write: one reply each, in order.
    client.send("nope\n\nstatus\nresize -1\n");
    QVERIFY(isError(client.reply(), u"unknown request"_s));
    QVERIFY(isError(client.reply(), u"unknown request"_s));
    QVERIFY(client.reply().value(u"ok"_s).toBool());
    QVERIFY(isError(client.reply(), u"worker count"_s));
    finishRun();
}

void TestControl::binaryGarbageGetsErrors()
{
    QRandomGenerator random(4242);
    Client client;
    QVERIFY(client.connectTo(m_socket));
    for (int i = 0; i < 50; ++i) {
        QByteArray junk(int(random.bounded(1, 300)), Qt::Uninitialized);
        for (char &c : junk) {
            c = char(random.bounded(256));
            if (c == '\n')
                c = '\0';
        }
        if (i % 10 == 0)
            junk.prepend("resize "); // garbage where a number should be
        const QJsonObject reply = client.request(junk);
        QVERIFY2(isError(reply),
                 qPrintable(u"garbage %1 (%2): %3"_s.arg(i).arg(QString::fromLatin1(junk.toHex()),
                                                                describe(reply))));
    }
    finishRun();
}

void TestControl::manyClientsComingAndGoing()
{
    QRandomGenerator random(77);
    constexpr int kRounds = 300;
    int answered = 0;
    for (int i = 0; i < kRounds; ++i) {
        Client client;
        QVERIFY2(client.connectTo(m_socket), qPrintable(u"connection %1 refused"_s.arg(i)));
        switch (random.bounded(5)) {
        case 0: // connect and vanish
            client.socket().abort();
            break;
        case 1: // half a request, then vanish
            client.send("resi");
            client.socket().abort();
            break;
        case 2: // a request, gone before the answer
            client.send("status\n");
            client.socket().abort();
            break;
        case 3: // a burst of requests, only the first answer read
            client.send("status\nstatus\nstatus\nstatus\n");
            answered += client.reply().value(u"ok"_s).toBool();
            client.socket().abort();
            break;
        default: // a polite one
            answered += client.request("status").value(u"ok"_s).toBool();
            client.socket().disconnectFromServer();
            break;
        }
    }
    QVERIFY(answered > 0);

    // Many at once, then all gone together.
    std::vector<std::unique_ptr<Client>> crowd;
    for (int i = 0; i < 100; ++i) {
        crowd.push_back(std::make_unique<Client>());
        QVERIFY(crowd.back()->connectTo(m_socket));
        crowd.back()->send(i % 2 ? "status\n" : "stat");
    }
    QVERIFY(crowd.front()->request("us").value(u"ok"_s).toBool());
    crowd.clear();
    finishRun();
}

void TestControl::idleClientDoesNotHoldTheRunOpen()
{
    Client idle;
    QVERIFY(idle.connectTo(m_socket));
    Client partial;
    QVERIFY(partial.connectTo(m_socket));
    partial.send("pau"); // never finished
    finishRun();
    QVERIFY(idle.waitForHangUp());
    QVERIFY(partial.waitForHangUp());
}

RunResult TestControl::quickRun(const QString &path, const QString &workingDir)
{
    return runShoal({ u"run"_s, u"--no-bar"_s, u"--control"_s, path, worker(), u"--print"_s,
                      u"{}"_s, u":::"_s, u"x"_s },
                    {}, 60000, workingDir);
}

// A second run on the same path must not take over (or remove) the first run's socket.
void TestControl::liveSocketIsNotTakenOver()
{
    const RunResult second = quickRun(m_socket);
    QCOMPARE(second.exitCode, 255);
    QVERIFY2(second.err.contains("another shoal run is listening"), second.err.constData());
    QVERIFY(second.out.isEmpty());
    finishRun();
}

// A relative path names the same file for the liveness check, for listening and for `ctl`:
// the current directory, not /tmp.
void TestControl::relativePathMeansTheCurrentDirectory()
{
    const RunResult second = quickRun(u"ctl.sock"_s, m_dir->path());
    QCOMPARE(second.exitCode, 255);
    QVERIFY2(second.err.contains("another shoal run is listening"), second.err.constData());
    QVERIFY2(second.err.contains(m_socket.toUtf8()), second.err.constData()); // the absolute path

    const RunResult status
        = runShoal({ u"ctl"_s, u"ctl.sock"_s, u"status"_s }, {}, 60000, m_dir->path());
    QVERIFY2(status.exitCode == 0, status.err.constData());
    QVERIFY(status.out.contains("\"workers\""));

    // A run of its own on a relative name listens in its current directory.
    QTemporaryDir other;
    QVERIFY(other.isValid());
    QProcess run;
    run.setWorkingDirectory(other.path());
    run.start(shoalBinary(),
              { u"run"_s, u"--no-bar"_s, u"--control"_s, u"own.sock"_s, worker(), u"--wait-file"_s,
                m_go, u"--print"_s, u"{}"_s, u":::"_s, u"1"_s });
    QVERIFY(run.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(other.filePath(u"own.sock"_s)), 10000);
    const RunResult own
        = runShoal({ u"ctl"_s, u"own.sock"_s, u"status"_s }, {}, 60000, other.path());
    QVERIFY2(own.exitCode == 0, own.err.constData());
    finishRun(); // creates the go file: both runs end
    QVERIFY(run.waitForFinished(30000));
    QVERIFY2(run.exitCode() == 0, run.readAllStandardError().constData());
    QVERIFY(!QFile::exists(other.filePath(u"own.sock"_s)));
}

void TestControl::nonSocketAtThePathIsRefused_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QByteArray>("message");
    QTest::newRow("regular file") << u"file"_s << QByteArray("is not a socket");
    QTest::newRow("folder") << u"folder"_s << QByteArray("is not a socket");
    QTest::newRow("symlink to a file") << u"symlink"_s << QByteArray("symbolic link");
    QTest::newRow("dangling symlink") << u"dangling"_s << QByteArray("symbolic link");
    QTest::newRow("symlink to the live socket") << u"socketlink"_s << QByteArray("symbolic link");
}

// Nothing but a stale socket may be removed: a file, a folder or a planted symlink stays as it
// was, and the run refuses to start.
void TestControl::nonSocketAtThePathIsRefused()
{
    QFETCH(QString, kind);
    QFETCH(QByteArray, message);
    const QString path = m_dir->filePath(u"other.sock"_s);
    const QString precious = m_dir->filePath(u"precious"_s);
    QFile file(precious);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("keep me\n");
    file.close();
    if (kind == u"file"_s)
        QVERIFY(QFile::copy(precious, path));
    else if (kind == u"folder"_s)
        QVERIFY(QDir().mkdir(path));
    else if (kind == u"symlink"_s)
        QVERIFY(QFile::link(precious, path));
    else if (kind == u"dangling"_s)
        QVERIFY(QFile::link(m_dir->filePath(u"nowhere"_s), path));
    else
        QVERIFY(QFile::link(m_socket, path));

    const RunResult r = quickRun(path);
    QCOMPARE(r.exitCode, 255);
    QVERIFY2(r.err.contains(message), r.err.constData());
    QVERIFY(r.out.isEmpty());
    const QFileInfo after(path);
    if (kind == u"file"_s) {
        QVERIFY(after.isFile() && !after.isSymLink());
        QFile kept(path);
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), QByteArray("keep me\n"));
    } else if (kind == u"folder"_s) {
        QVERIFY(after.isDir());
    } else {
        QVERIFY(after.isSymLink());
    }
    QFile kept(precious);
    QVERIFY(kept.open(QIODevice::ReadOnly));
    QCOMPARE(kept.readAll(), QByteArray("keep me\n"));
    finishRun();
}

// A socket nobody listens on (left by a killed run) is replaced, and the new run works.
void TestControl::staleSocketIsReplaced()
{
    const QString path = m_dir->filePath(u"stale.sock"_s);
    const QByteArray name = QFile::encodeName(path);
    sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.constData(), size_t(name.size()));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    QVERIFY(fd >= 0);
    QCOMPARE(::bind(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr), 0);
    ::close(fd); // the file stays, nobody answers
    QVERIFY(QFileInfo::exists(path));

    const RunResult r = quickRun(path);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.out, QByteArray("x\n"));
    QVERIFY(!QFileInfo::exists(path)); // its own socket removed on exit
    finishRun();
}

void TestControl::missingFolderIsNamed()
{
    const QString path = m_dir->filePath(u"missing/x.sock"_s);
    const RunResult r = quickRun(path);
    QCOMPARE(r.exitCode, 255);
    QVERIFY2(r.err.contains("folder"), r.err.constData());
    QVERIFY2(r.err.contains(
                 QByteArray(QFile::encodeName(m_dir->filePath(u"missing"_s)) + "' does not exist")),
             r.err.constData());
    QVERIFY2(!r.err.contains("Name error"), r.err.constData());

    const RunResult relative = quickRun(u"missing/x.sock"_s, m_dir->path());
    QCOMPARE(relative.exitCode, 255);
    QVERIFY2(relative.err.contains("' does not exist"), relative.err.constData());
    finishRun();
}

// resize 30000 with four tasks: the socket answers at once, slots are made for the four tasks
// only (no descriptors for the idle surplus), and the run completes normally.
void TestControl::resizeFarBeyondTheTasks()
{
    Client client;
    QVERIFY(client.connectTo(m_socket));
    QJsonObject reply = client.request("resize 30000");
    QVERIFY2(reply.value(u"ok"_s).toBool(), qPrintable(describe(reply)));
    QCOMPARE(reply.value(u"stats"_s).toObject().value(u"workers"_s).toInt(), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(
        client.request("status").value(u"stats"_s).toObject().value(u"running"_s).toInt() == kTasks,
        10000);
    reply = client.request("status");
    QCOMPARE(reply.value(u"workers"_s).toArray().size(), kTasks);
    QVERIFY(client.request("resize 2").value(u"ok"_s).toBool());
    finishRun();
}

QTEST_GUILESS_MAIN(TestControl)
#include "tst_control.moc"
