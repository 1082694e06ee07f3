#include "launcher.h"

#include "bytes.h"
#include "childregistry.h"
#include "guardrecord.h"

#include <QFile>
#include <QFileInfo>

#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace shoal {

namespace {

constexpr size_t kChildStackSize = 64 * 1024;

// Signals an engine or its front end may catch or ignore; the child sets them back to default
// (glibc's posix_spawn walks all 64 with ~120 syscalls instead).
constexpr int kResetSignals[] = { SIGPIPE, SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGCHLD,
                                  SIGUSR1, SIGUSR2, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU };

struct ChildArgs
{
    const char *path;
    char *const *argv;
    char *const *envp;
    int stdinFd;
    int stdoutFd;
    int stderrFd;
    int guardFd;
    int cgroupProcsFd; // a cgroup.procs to enter (where clone3 cannot start it there), or -1
    char *tokenPid; // where the child writes its pid in the token entry; null: no token
    pid_t parent;
    rlim_t memoryLimit;
    int deathSignal;
    volatile int error;
};

// The kernel's struct sigaction (rt_sigaction), not glibc's.
struct KernelSigaction
{
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    unsigned long mask;
};

// Runs in the CLONE_VM child, sharing the parent's memory while the parent is suspended: raw
// system calls only. Not even glibc's thin wrappers, which sanitizers intercept: TSan's
// sigaction interceptor, run here, would rewrite the parent's own handler table.
__attribute__((no_sanitize("address", "undefined", "thread"))) int childMain(void *p)
{
    auto *a = static_cast<ChildArgs *>(p);
    const KernelSigaction dfl { SIG_DFL, 0, nullptr, 0 };
    const unsigned long emptyMask = 0;
    const int redirects[3][2] = { { a->stdinFd, 0 }, { a->stdoutFd, 1 }, { a->stderrFd, 2 } };
    // Into the task's cgroup first: everything it starts from here on is born there.
    if (a->cgroupProcsFd >= 0 && syscall(SYS_write, a->cgroupProcsFd, "0", 1) != 1)
        goto fail;
    if (syscall(SYS_setpgid, 0, 0) != 0)
        goto fail;
    for (int sig : kResetSignals)
        syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(unsigned long));
    for (const auto &[from, to] : redirects) {
        if (from != to && syscall(SYS_dup3, from, to, 0) < 0)
            goto fail;
    }
    if (syscall(SYS_prctl, PR_SET_PDEATHSIG, a->deathSignal, 0, 0, 0) != 0
        || syscall(SYS_getppid) != a->parent)
        goto fail;
    if (a->memoryLimit) {
        const rlimit limit { a->memoryLimit, a->memoryLimit };
        if (syscall(SYS_prlimit64, 0, RLIMIT_AS, &limit, nullptr) != 0)
            goto fail;
    }
    if (a->guardFd >= 0) {
        const GuardRecord record { GuardRecord::kWatchGroup, qint32(syscall(SYS_getpid)), 0 };
        if (syscall(SYS_write, a->guardFd, &record, sizeof record) != sizeof record)
            goto fail;
    }
    if (a->tokenPid) {
        // The parent is suspended (CLONE_VFORK) and execve copies the environment: writing
        // into the shared entry is safe, and the next launch overwrites it.
        char digits[16];
        int n = 0;
        for (unsigned long v = (unsigned long)syscall(SYS_getpid); v && n < 16; v /= 10)
            digits[n++] = char('0' + v % 10);
        char *p = a->tokenPid;
        while (n)
            *p++ = digits[--n];
        *p = '\0';
    }
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &emptyMask, nullptr, sizeof emptyMask);
    syscall(SYS_execve, a->path, a->argv, a->envp);
fail:
    a->error = errno ? errno : EINVAL;
    syscall(SYS_exit_group, 127);
    return 127;
}

#if defined(__x86_64__)
// clone3() with a function to run on a stack of our own, as glibc's internal __clone3 (which
// it does not export): the child returns from the system call on the new stack, where C code
// cannot go on, so it calls fn(arg) from here and exits with its value. Returns the child's
// pid, or -errno. CLONE_INTO_CGROUP exists only in clone3.
extern "C" long shoalClone3(clone_args *args, size_t size, int (*fn)(void *), void *arg);
asm(R"(
    .pushsection .text
    .globl shoalClone3
    .hidden shoalClone3
    .type shoalClone3, @function
shoalClone3:
    .cfi_startproc
    endbr64
    mov %rcx, %r8
    mov $435, %eax
    .cfi_endproc
    syscall
    test %rax, %rax
    jz 1f
    ret
1:
    .cfi_startproc
    .cfi_undefined rip
    xor %ebp, %ebp
    and $-16, %rsp
    mov %r8, %rdi
    call *%rdx
    mov %rax, %rdi
    mov $60, %eax
    syscall
    hlt
    .cfi_endproc
    .size shoalClone3, .-shoalClone3
    .popsection
)");
static_assert(SYS_clone3 == 435 && SYS_exit == 60);
#endif

// Starts childMain like clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD), born in the cgroup whose
// folder is cgroupFd when that is not -1. Returns the pid, or -1 with errno.
pid_t cloneChild(ChildArgs &a, char *stack, size_t stackSize, int *pidfd, int cgroupFd)
{
#if defined(__x86_64__)
    static std::atomic<bool> noClone3 { false };
    if (cgroupFd >= 0 && !noClone3.load(std::memory_order_relaxed)) {
        clone_args args {};
        args.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_INTO_CGROUP;
        args.pidfd = quint64(reinterpret_cast<quintptr>(pidfd));
        args.exit_signal = SIGCHLD;
        args.stack = quint64(reinterpret_cast<quintptr>(stack));
        args.stack_size = stackSize;
        args.cgroup = quint64(cgroupFd);
        const long pid = shoalClone3(&args, sizeof args, childMain, &a);
        if (pid >= 0)
            return pid_t(pid);
        errno = int(-pid); // the raw system call's -errno
        if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
            return -1;
        noClone3.store(true, std::memory_order_relaxed); // an older kernel: enter it by hand
    }
#endif
    int procs = -1;
    if (cgroupFd >= 0) {
        procs = ::openat(cgroupFd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (procs < 0)
            return -1;
    }
    a.cgroupProcsFd = procs;
    const pid_t pid = clone(childMain, stack + stackSize,
                            CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &a, pidfd);
    const int error = errno;
    if (procs >= 0)
        ::close(procs);
    errno = error;
    return pid;
}

} // namespace

Launcher::Launcher()
    : m_stack(kChildStackSize)
{
    for (char **e = environ; e && *e; ++e)
        m_env.emplace_back(*e);
    for (QByteArray &e : m_env)
        m_envp.push_back(e.data());
    m_envp.push_back(nullptr);
    m_path = qgetenv("PATH");
    if (m_path.isEmpty())
        m_path = "/usr/local/bin:/usr/bin:/bin";
    m_devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

Launcher::~Launcher()
{
    if (m_devNull >= 0)
        ::close(m_devNull);
}

void Launcher::setTaskToken(const QByteArray &prefix)
{
    // This run's token comes first (what getenv() finds); the tokens of the Shoal runs this one
    // runs inside (a task, or a worker host's agent started by a Shoal here) stay after it, so
    // that each of their guards finds these tasks too, wherever the process tree breaks.
    m_token.assign(prefix.begin(), prefix.end());
    m_tokenPidOffset = m_token.size();
    m_token.resize(m_token.size() + 16, '\0'); // room for any pid and its NUL
    m_envp.clear();
    m_envp.push_back(m_token.data());
    for (QByteArray &e : m_env)
        m_envp.push_back(e.data());
    m_envp.push_back(nullptr);
}

QByteArray Launcher::resolve(const QString &program)
{
    auto it = m_resolved.constFind(program);
    if (it != m_resolved.constEnd())
        return *it;
    QByteArray found;
    const QByteArray local = encodeBytes(program); // a name that is not UTF-8 keeps its bytes
    auto runnable = [](const QByteArray &path) {
        struct stat st;
        return ::access(path.constData(), X_OK) == 0 && ::stat(path.constData(), &st) == 0
            && !S_ISDIR(st.st_mode);
    };
    if (program.contains(u'/')) {
        if (runnable(local))
            found = local;
    } else if (!program.isEmpty()) {
        for (const QByteArray &dir : m_path.split(':')) {
            const QByteArray candidate = (dir.isEmpty() ? QByteArray(".") : dir) + '/' + local;
            if (runnable(candidate)) {
                found = candidate;
                break;
            }
        }
    }
    m_resolved.insert(program, found);
    return found;
}

Launcher::Piped Launcher::startPiped(const QByteArray &path, const QStringList &argv, int stderrFd,
                                     int guardFd, int cgroupFd)
{
    Piped piped;
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) {
        piped.pipeError = errno;
        return piped;
    }
    if (::pipe2(out, O_CLOEXEC) != 0) {
        piped.pipeError = errno;
        ::close(in[0]);
        ::close(in[1]);
        return piped;
    }
    piped.process = start(path, argv, in[0], out[1], stderrFd, guardFd, cgroupFd);
    ::close(in[0]);
    ::close(out[1]);
    piped.toChild = in[1];
    piped.fromChild = out[0];
    return piped;
}

Launcher::Process Launcher::start(const QByteArray &path, const QStringList &argv, int stdinFd,
                                  int stdoutFd, int stderrFd, int guardFd, int cgroupFd)
{
    std::vector<QByteArray> args;
    args.reserve(argv.size());
    for (const QString &a : argv)
        args.push_back(encodeBytes(a)); // inputs that were not UTF-8 get their bytes back
    std::vector<char *> argp;
    argp.reserve(args.size() + 1);
    for (QByteArray &a : args)
        argp.push_back(a.data());
    argp.push_back(nullptr);

    ChildArgs a { path.constData(),
                  argp.data(),
                  m_envp.data(),
                  stdinFd >= 0 ? stdinFd : m_devNull,
                  stdoutFd,
                  stderrFd,
                  guardFd,
                  -1,
                  m_token.empty() ? nullptr : m_token.data() + m_tokenPidOffset,
                  getpid(),
                  rlim_t(m_memoryLimit),
                  m_deathSignal,
                  0 };

    // Block every signal so that no handler of ours runs in the child before exec.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int pidfd = -1;
    pid_t pid;
    int cloneErrno;
    {
        // Claimed before anyone sweeping adopted orphans can look (ChildRegistry).
        std::shared_lock launching(ChildRegistry::launchLock());
        pid = cloneChild(a, m_stack.data(), m_stack.size(), &pidfd, cgroupFd);
        cloneErrno = errno;
        if (pid > 0)
            ChildRegistry::claim(pid);
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);

    Process p;
    if (pid < 0) {
        p.error = cloneErrno;
        return p;
    }
    p.pid = pid;
    p.pidfd = pidfd;
    if (a.error) {
        // The child has _exit()ed already (CLONE_VFORK resumed us): reap it now.
        siginfo_t info;
        while (waitid(P_PIDFD, id_t(pidfd), &info, WEXITED) < 0 && errno == EINTR) { }
        ChildRegistry::release(pid);
        p.error = a.error;
    }
    return p;
}

} // namespace shoal
