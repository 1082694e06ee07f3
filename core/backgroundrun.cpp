#include "backgroundrun.h"

#include "fileio.h"
#include "runningbatches.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QStandardPaths>

#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

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
    QList<QByteArray> environment;
    std::vector<char *> envp;
    QByteArray workdir, output, errors;
    int readyFd = -1; // the read end of the run's "listening" pipe, for the caller
};

// The run says "ready" on fd 3 once it listens on its socket (`shoal run` reads
// SHOAL_READY_FD): quick as it may end after, the caller then knows it started.
constexpr int kReadyFd = 3;

// fork, setsid, fork again (the run is nobody's child here), exec; the run's pid.
Result<qint64> spawnDetached(Exec &e)
{
    for (QByteArray &a : e.args)
        e.argv.push_back(a.data());
    e.argv.push_back(nullptr);
    for (char **var = environ; *var; ++var) {
        if (!QByteArray(*var).startsWith("SHOAL_READY_FD="))
            e.environment << QByteArray(*var);
    }
    e.environment << "SHOAL_READY_FD=" + QByteArray::number(kReadyFd);
    for (QByteArray &v : e.environment)
        e.envp.push_back(v.data());
    e.envp.push_back(nullptr);
    int report[2], ready[2];
    if (::pipe2(report, O_CLOEXEC) != 0)
        return Error { u"cannot start the background run: %1"_s.arg(errnoText(errno)) };
    if (::pipe2(ready, O_CLOEXEC) != 0) {
        ::close(report[0]);
        ::close(report[1]);
        return Error { u"cannot start the background run: %1"_s.arg(errnoText(errno)) };
    }
    const pid_t middle = ::fork();
    if (middle < 0) {
        for (int fd : { report[0], report[1], ready[0], ready[1] })
            ::close(fd);
        return Error { u"cannot start the background run: %1"_s.arg(errnoText(errno)) };
    }
    if (middle == 0) {
        ::setsid(); // its own session: the window's terminal and session end without it
        const pid_t run = ::fork();
        if (run == 0) {
            // Signals as a fresh program has them: none blocked, none ignored.
            sigset_t none;
            sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            for (int sig = 1; sig < NSIG; ++sig)
                ::signal(sig, SIG_DFL);
            const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            const int out
                = ::open(e.output.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            const int err
                = ::open(e.errors.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            // dup2 onto itself keeps O_CLOEXEC (the window had that std stream closed): clear it.
            auto place = [](int fd, int target) {
                return fd == target ? ::fcntl(fd, F_SETFD, 0) == 0 : ::dup2(fd, target) == target;
            };
            if (in < 0 || out < 0 || err < 0 || !place(in, 0) || !place(out, 1) || !place(err, 2)
                || !place(ready[1], kReadyFd) || ::chdir(e.workdir.constData()) != 0)
                ::_exit(127);
            ::close_range(kReadyFd + 1, ~0U, 0); // nothing of the window's descriptors
            ::execve(e.argv[0], e.argv.data(), e.envp.data());
            static const char message[] = "shoal: cannot start the background run (exec failed)\n";
            (void)!::write(2, message, sizeof message - 1);
            ::_exit(127);
        }
        const qint64 pid = run;
        (void)!::write(report[1], &pid, sizeof pid);
        ::_exit(run > 0 ? 0 : 1);
    }
    ::close(report[1]);
    ::close(ready[1]);
    e.readyFd = ready[0];
    qint64 pid = -1;
    ssize_t n = -1;
    while ((n = ::read(report[0], &pid, sizeof pid)) < 0 && errno == EINTR) { }
    ::close(report[0]);
    int status = 0;
    while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) { }
    if (n != sizeof pid || pid <= 0) {
        ::close(std::exchange(e.readyFd, -1));
        return Error { u"cannot start the background run (fork failed)"_s };
    }
    return pid;
}

// Writes the batch file and starts the run in run.folder.
Result<BackgroundRun> startIn(BackgroundRun run, const BatchSpec &spec, const QString &baseDir,
                              const QString &program, const QString &resumeFrom)
{
    if (!resumeFrom.isEmpty() && !QFile::copy(resumeFrom, run.joblog()))
        return Error { u"cannot copy the joblog '%1' for the background run"_s.arg(resumeFrom) };
    // Relative input paths stay what they were: relative to where the batch came from.
    BatchSpec saved = spec;
    saved.inputs.path = resolveInputPath(saved.inputs.path, baseDir);
    const QString batchFile = run.folder + u"/batch.shoal.json"_s;
    if (auto written = saveBatchFile(batchFile, saved); !written)
        return Error { written.error() };

    Exec e;
    e.args = { QFile::encodeName(program),
               "run",
               "--no-bar",
               "--batch",
               QFile::encodeName(batchFile),
               "--control",
               QFile::encodeName(run.socket),
               "--joblog",
               QFile::encodeName(run.joblog()) };
    if (!resumeFrom.isEmpty())
        e.args << "--resume";
    e.workdir = QFile::encodeName(baseDir.isEmpty() ? QDir::currentPath() : baseDir);
    e.output = QFile::encodeName(run.output());
    e.errors = QFile::encodeName(run.errors());
    auto pid = spawnDetached(e);
    if (!pid)
        return Error { pid.error() };
    run.pid = *pid;
    run.readyFd = e.readyFd;
    return run;
}

} // namespace

Result<BackgroundRun> startBackgroundRun(const BatchSpec &spec, const QString &baseDir,
                                         const QString &shoal, const QString &runsFolder,
                                         const QString &resumeFrom)
{
    auto sockets = controlFolder();
    if (!sockets)
        return Error { sockets.error() };
    // execve() does not search PATH.
    const QString program = shoal.contains(u'/') ? shoal : QStandardPaths::findExecutable(shoal);
    if (program.isEmpty())
        return Error { u"cannot find '%1' to run the batch in the background"_s.arg(shoal) };
    const QString stamp
        = u"%1-%2"_s.arg(QDateTime::currentDateTime().toString(u"yyyyMMdd-HHmmss"_s))
              .arg(QRandomGenerator::global()->bounded(1u << 24), 6, 16, QChar(u'0'));
    BackgroundRun run;
    run.folder = runsFolder + u'/' + stamp;
    run.socket = u"%1/bg-%2.sock"_s.arg(*sockets, stamp);
    // Its outputs are the user's alone.
    if (!QDir().mkpath(run.folder)
        || !QFile::setPermissions(run.folder,
                                  QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner))
        return Error { u"cannot create the folder '%1' for the background run"_s.arg(run.folder) };
    auto started = startIn(run, spec, baseDir, program, resumeFrom);
    if (!started)
        QDir(run.folder).removeRecursively(); // nothing ran: nothing to keep
    return started;
}

} // namespace shoal
