#include "backgroundrun.h"

#include "fileio.h"
#include "runningbatches.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>

#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

using namespace Qt::Literals::StringLiterals;

namespace shoal {

bool BackgroundRun::isAlive() const
{
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (pid <= 0 || !stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray line = stat.readAll();
    const qsizetype paren = line.lastIndexOf(')');
    return paren > 0 && line.size() > paren + 2 && line.at(paren + 2) != 'Z';
}

namespace {

// Everything the child needs, prepared before fork(): after it, only async-signal-safe calls.
struct Exec
{
    QList<QByteArray> args;
    std::vector<char *> argv;
    QByteArray workdir, output, errors;
};

// fork, setsid, fork again (the run is nobody's child here), exec; the run's pid.
Result<qint64> spawnDetached(Exec &e)
{
    for (QByteArray &a : e.args)
        e.argv.push_back(a.data());
    e.argv.push_back(nullptr);
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0)
        return Error { u"cannot start the background run: %1"_s.arg(errnoText(errno)) };
    const pid_t middle = ::fork();
    if (middle < 0) {
        ::close(report[0]);
        ::close(report[1]);
        return Error { u"cannot start the background run: %1"_s.arg(errnoText(errno)) };
    }
    if (middle == 0) {
        ::setsid(); // its own session: the window's terminal and session end without it
        const pid_t run = ::fork();
        if (run == 0) {
            sigset_t none;
            sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            const int out = ::open(e.output.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            const int err = ::open(e.errors.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0
                || ::dup2(err, 2) < 0 || ::chdir(e.workdir.constData()) != 0)
                ::_exit(127);
            ::execve(e.argv[0], e.argv.data(), environ);
            ::_exit(127);
        }
        const qint64 pid = run;
        (void)!::write(report[1], &pid, sizeof pid);
        ::_exit(run > 0 ? 0 : 1);
    }
    ::close(report[1]);
    qint64 pid = -1;
    const ssize_t n = ::read(report[0], &pid, sizeof pid);
    ::close(report[0]);
    int status = 0;
    while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) { }
    if (n != sizeof pid || pid <= 0)
        return Error { u"cannot start the background run (fork failed)"_s };
    return pid;
}

} // namespace

Result<BackgroundRun> startBackgroundRun(const BatchSpec &spec, const QString &baseDir,
                                         const QString &shoal, const QString &runsFolder)
{
    auto sockets = controlFolder();
    if (!sockets)
        return Error { sockets.error() };
    const QString stamp = u"%1-%2"_s.arg(QDateTime::currentDateTime().toString(u"yyyyMMdd-HHmmss"_s))
                              .arg(QRandomGenerator::global()->bounded(1u << 24), 6, 16, QChar(u'0'));
    BackgroundRun run;
    run.folder = runsFolder + u'/' + stamp;
    run.socket = u"%1/bg-%2.sock"_s.arg(*sockets, stamp);
    if (!QDir().mkpath(run.folder))
        return Error { u"cannot create the folder '%1' for the background run"_s.arg(run.folder) };
    // Relative input paths stay what they were: relative to where the batch came from.
    BatchSpec saved = spec;
    saved.inputs.path = resolveInputPath(saved.inputs.path, baseDir);
    const QString batchFile = run.folder + u"/batch.shoal.json"_s;
    if (auto written = saveBatchFile(batchFile, saved); !written)
        return Error { written.error() };

    Exec e;
    e.args = { QFile::encodeName(shoal), "run",   "--no-bar",
               "--batch",                 QFile::encodeName(batchFile),
               "--control",               QFile::encodeName(run.socket),
               "--joblog",                QFile::encodeName(run.joblog()) };
    e.workdir = QFile::encodeName(baseDir.isEmpty() ? QDir::currentPath() : baseDir);
    e.output = QFile::encodeName(run.output());
    e.errors = QFile::encodeName(run.errors());
    auto pid = spawnDetached(e);
    if (!pid)
        return Error { pid.error() };
    run.pid = *pid;
    return run;
}

} // namespace shoal
