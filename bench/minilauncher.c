/* The launch-rate limit for Shoal's guarantees, as lean as C allows: keeps K tasks in flight,
 * each started with clone(CLONE_VM|CLONE_VFORK|CLONE_PIDFD) into its own process group, with
 * stdout/stderr captured into per-slot O_TMPFILE files, PR_SET_PDEATHSIG + getppid check, the
 * group registered with a guard process over a pipe (as Shoal's ProcessGuard), reaped through
 * pidfds on epoll, and its group killed after the leader exits. No event loop, no bookkeeping.
 *
 *   minilauncher K PROGRAM < inputs     (one task per input line, the line appended as argv)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SLOTS 64
#define STACK_SIZE (64 * 1024)

struct child_args
{
    const char *path;
    char *const *argv;
    int out, err, devnull, guard;
    pid_t parent;
    volatile int error;
};

static int child_main(void *p)
{
    struct child_args *a = p;
    sigset_t empty;
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    if (dup2(a->devnull, 0) < 0 || dup2(a->out, 1) < 0 || dup2(a->err, 2) < 0)
        goto fail;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != a->parent)
        goto fail;
    int pid = (int)syscall(SYS_getpid);
    if (write(a->guard, &pid, sizeof pid) != sizeof pid)
        goto fail;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    execv(a->path, a->argv);
fail:
    a->error = errno;
    _exit(127);
}

static int scratch(void)
{
    int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror("O_TMPFILE");
        exit(1);
    }
    return fd;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: minilauncher K PROGRAM < inputs\n");
        return 2;
    }
    int k = atoi(argv[1]);
    if (k < 1 || k > MAX_SLOTS)
        return 2;
    const char *path = argv[2];
    signal(SIGPIPE, SIG_IGN);

    int guard[2];
    if (pipe2(guard, O_CLOEXEC) != 0)
        return 1;
    fcntl(guard[1], F_SETPIPE_SZ, 1 << 20);
    pid_t guardPid = fork();
    if (guardPid == 0) { /* the guard: drain registrations until EOF */
        close(guard[1]);
        int buf[4096];
        for (;;) {
            ssize_t n = read(guard[0], buf, sizeof buf);
            if (n <= 0)
                _exit(0);
            struct timespec t = { 0, 10000000 };
            nanosleep(&t, NULL);
        }
    }
    close(guard[0]);

    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int out[MAX_SLOTS], err[MAX_SLOTS], pidfd[MAX_SLOTS];
    pid_t pids[MAX_SLOTS];
    for (int s = 0; s < k; ++s) {
        out[s] = scratch();
        err[s] = scratch();
        pidfd[s] = -1;
    }
    char *stack = malloc(STACK_SIZE);
    char *line = NULL;
    size_t cap = 0;
    long started = 0, done = 0;
    int running = 0, eof = 0;
    char buffer[65536];

    for (;;) {
        for (int s = 0; s < k && !eof; ++s) {
            if (pidfd[s] >= 0)
                continue;
            ssize_t len = getline(&line, &cap, stdin);
            if (len < 0) {
                eof = 1;
                break;
            }
            if (len > 0 && line[len - 1] == '\n')
                line[len - 1] = '\0';
            char *args[] = { (char *)path, line, NULL };
            struct child_args a = { path, args, out[s], err[s], devnull, guard[1], getpid(), 0 };
            sigset_t all, old;
            sigfillset(&all);
            pthread_sigmask(SIG_SETMASK, &all, &old);
            int fd = -1;
            pid_t pid = clone(child_main, stack + STACK_SIZE,
                              CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &a, &fd);
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            if (pid < 0 || a.error) {
                fprintf(stderr, "minilauncher: cannot start %s\n", path);
                return 1;
            }
            pids[s] = pid;
            pidfd[s] = fd;
            struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)s };
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            ++started;
            ++running;
        }
        if (running == 0)
            break;
        struct epoll_event events[MAX_SLOTS];
        int n = epoll_wait(ep, events, MAX_SLOTS, -1);
        for (int i = 0; i < n; ++i) {
            int s = (int)events[i].data.u32;
            siginfo_t info;
            kill(-pids[s], SIGKILL);
            waitid(P_PIDFD, (id_t)pidfd[s], &info, WEXITED);
            epoll_ctl(ep, EPOLL_CTL_DEL, pidfd[s], NULL);
            close(pidfd[s]);
            pidfd[s] = -1;
            int unreg = -pids[s];
            if (write(guard[1], &unreg, sizeof unreg) < 0)
                return 1;
            /* Hand the captured output on, as Shoal prints it. */
            for (int f = 0; f < 2; ++f) {
                int fd = f ? err[s] : out[s];
                off_t size = lseek(fd, 0, SEEK_CUR);
                if (size > 0) {
                    ssize_t got = pread(
                        fd, buffer, size < (off_t)sizeof buffer ? (size_t)size : sizeof buffer, 0);
                    if (got > 0 && write(f ? 2 : 1, buffer, (size_t)got) < 0)
                        return 1;
                    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
                        return 1;
                }
            }
            if (info.si_code != CLD_EXITED || info.si_status != 0) {
                fprintf(stderr, "minilauncher: task failed\n");
                return 1;
            }
            --running;
            ++done;
        }
    }
    close(guard[1]);
    waitpid(guardPid, NULL, 0);
    free(line);
    free(stack);
    return done == started ? 0 : 1;
}
