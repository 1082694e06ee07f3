// Fixture worker for Shoal's tests: each argument is one step, run in order.
//   --print TEXT        write TEXT and a newline to stdout
//   --stderr TEXT       write TEXT and a newline to stderr
//   --sleep SECONDS     sleep (fractions allowed)
//   --hang              sleep forever
//   --ignore-term       ignore SIGTERM from here on
//   --spawn-grandchild FILE   fork a child that sleeps forever; write its pid to FILE
//   --pidfile FILE      write our own pid to FILE
//   --wait-file FILE    wait until FILE exists
//   --rss MB            allocate and touch MB megabytes
//   --garbage BYTES     write BYTES of binary noise to stdout
//   --crash             abort (SIGABRT)
//   --exit N            exit with status N
//   --tag VALUE         nothing (names the task's input in a template)
//   --escape HOW FILE   start a process that leaves this one's group: HOW is setsid (a new
//                       session), setpgid (a new group in this session) or double-fork (a
//                       daemon: fork, setsid, fork, the middle one exits). The escaped process
//                       writes its pid to FILE, then runs the steps up to --parent (where it
//                       hangs); this process skips to the steps after --parent (or ends).
//   --parent            see --escape
//   --clear-env         exec this program again with the remaining steps and an empty
//                       environment (the same pid, no task token)
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

void writeFile(const char *path, long value)
{
    const std::string tmp = std::string(path) + ".tmp";
    if (FILE *f = std::fopen(tmp.c_str(), "w")) {
        std::fprintf(f, "%ld\n", value);
        std::fclose(f);
        std::rename(tmp.c_str(), path);
    }
}

void sleepFor(double seconds)
{
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

// Forks the escaped process as HOW says: true in it, false in the original.
bool escape(const std::string &how)
{
    const pid_t child = fork();
    if (child != 0)
        return false;
    if (how == "setpgid") {
        setpgid(0, 0);
        return true;
    }
    setsid();
    if (how == "double-fork") {
        if (fork() != 0)
            _exit(0); // the daemon's parent: its child is orphaned
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    std::vector<char *> keep;
    for (int i = 1; i < argc; ++i) {
        const std::string step = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : "";
        if (step == "--print") {
            std::printf("%s\n", value);
            std::fflush(stdout);
            ++i;
        } else if (step == "--stderr") {
            std::fprintf(stderr, "%s\n", value);
            ++i;
        } else if (step == "--sleep") {
            sleepFor(std::atof(value));
            ++i;
        } else if (step == "--hang") {
            for (;;)
                pause();
        } else if (step == "--ignore-term") {
            std::signal(SIGTERM, SIG_IGN);
        } else if (step == "--spawn-grandchild") {
            const pid_t child = fork();
            if (child == 0) {
                for (;;)
                    pause();
            }
            writeFile(value, child);
            ++i;
        } else if (step == "--pidfile") {
            writeFile(value, getpid());
            ++i;
        } else if (step == "--wait-file") {
            while (access(value, F_OK) != 0)
                sleepFor(0.005);
            ++i;
        } else if (step == "--rss") {
            const size_t bytes = size_t(std::atol(value)) << 20;
            char *block = static_cast<char *>(std::malloc(bytes));
            if (!block) {
                std::fprintf(stderr, "shoal_test_worker: cannot allocate %s MB\n", value);
                return 12;
            }
            for (size_t b = 0; b < bytes; b += 4096)
                block[b] = 1;
            keep.push_back(block);
            ++i;
        } else if (step == "--garbage") {
            const long n = std::atol(value);
            for (long b = 0; b < n; ++b)
                std::putchar(char((b * 131 + 7) & 0xff));
            std::fflush(stdout);
            ++i;
        } else if (step == "--tag") {
            ++i;
        } else if (step == "--escape") {
            const std::string how = value;
            const char *file = i + 2 < argc ? argv[i + 2] : "";
            i += 2;
            if (escape(how)) {
                writeFile(file, getpid());
                continue;
            }
            if (how == "double-fork")
                wait(nullptr); // the middle process, gone at once
            while (i + 1 < argc && std::strcmp(argv[i + 1], "--parent") != 0)
                ++i;
            ++i; // past --parent
        } else if (step == "--clear-env") {
            char *empty[] = { nullptr };
            argv[i] = argv[0];
            execve("/proc/self/exe", argv + i, empty);
            std::perror("shoal_test_worker: exec");
            return 98;
        } else if (step == "--parent") {
            for (;;)
                pause(); // the escaped process's steps end here
        } else if (step == "--crash") {
            std::abort();
        } else if (step == "--exit") {
            std::fflush(stdout);
            return std::atoi(value);
        } else {
            std::fprintf(stderr, "shoal_test_worker: unknown step '%s'\n", step.c_str());
            return 99;
        }
    }
    return 0;
}
