// The floor for service workers on this machine: the least any driver of Shoal's JSON-lines
// protocol can do with the same worker programs. It reads the inputs, keeps up to 4096
// requests in flight per worker, reads the answers with a fixed-shape parser and prints the
// results (unordered). No engine: no task records, events, retries, timeouts, pausing, guard
// or Qt. bench/service_bench.py runs it beside Shoal and Python's pools, so that Shoal's
// ratios can be read against what the protocol itself allows.
//
//   service_floor WORKER N_WORKERS INPUT_FILE > results
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <string>
#include <string_view>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char **environ;

namespace {

struct Worker
{
    pid_t pid = -1;
    int in = -1, out = -1;
    std::string pending; // requests not yet written
    size_t written = 0;
    std::string partial; // an answer line not yet complete
    long inflight = 0;
};

[[noreturn]] void die(const char *what)
{
    std::fprintf(stderr, "service_floor: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 4) {
        std::fputs("usage: service_floor WORKER N_WORKERS INPUT_FILE\n", stderr);
        return 2;
    }
    std::string text;
    if (FILE *f = std::fopen(argv[3], "rb")) {
        char chunk[1 << 16];
        for (size_t n; (n = std::fread(chunk, 1, sizeof chunk, f)) > 0;)
            text.append(chunk, n);
        std::fclose(f);
    } else {
        die(argv[3]);
    }
    std::vector<std::string_view> inputs;
    for (size_t start = 0, nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
        inputs.emplace_back(text.data() + start, nl - start);

    const int count = std::atoi(argv[2]);
    std::vector<Worker> workers(size_t(count > 0 ? count : 1));
    const int poller = epoll_create1(EPOLL_CLOEXEC);
    for (size_t k = 0; k < workers.size(); ++k) {
        Worker &w = workers[k];
        int toWorker[2], fromWorker[2];
        if (pipe2(toWorker, O_CLOEXEC) || pipe2(fromWorker, O_CLOEXEC))
            die("pipe");
        posix_spawn_file_actions_t files;
        posix_spawn_file_actions_init(&files);
        posix_spawn_file_actions_adddup2(&files, toWorker[0], 0);
        posix_spawn_file_actions_adddup2(&files, fromWorker[1], 1);
        char *args[] = { argv[1], nullptr };
        if (posix_spawn(&w.pid, argv[1], &files, nullptr, args, environ) != 0)
            die(argv[1]);
        posix_spawn_file_actions_destroy(&files);
        close(toWorker[0]);
        close(fromWorker[1]);
        w.in = toWorker[1];
        w.out = fromWorker[0];
        fcntl(w.in, F_SETFL, O_NONBLOCK);
        fcntl(w.out, F_SETFL, O_NONBLOCK);
        fcntl(w.in, F_SETPIPE_SZ, 1 << 20);
        fcntl(w.out, F_SETPIPE_SZ, 1 << 20);
        epoll_event ev {};
        ev.events = EPOLLIN;
        ev.data.u32 = uint32_t(k);
        epoll_ctl(poller, EPOLL_CTL_ADD, w.out, &ev);
    }

    size_t next = 0, done = 0;
    std::string results;
    auto feed = [&](Worker &w) {
        for (; w.inflight < 4096 && next < inputs.size(); ++next, ++w.inflight) {
            char id[24];
            const auto end = std::to_chars(id, id + sizeof id, next).ptr;
            w.pending += "{\"id\":";
            w.pending.append(id, size_t(end - id));
            w.pending += ",\"input\":\"";
            w.pending += inputs[next]; // numbers: nothing to escape
            w.pending += "\"}\n";
        }
        while (w.written < w.pending.size()) {
            const ssize_t n
                = write(w.in, w.pending.data() + w.written, w.pending.size() - w.written);
            if (n <= 0)
                break;
            w.written += size_t(n);
        }
        if (w.written == w.pending.size()) {
            w.pending.clear();
            w.written = 0;
        }
    };
    for (Worker &w : workers)
        feed(w);
    while (done < inputs.size()) {
        epoll_event events[16];
        const int ready = epoll_wait(poller, events, 16, -1);
        for (int i = 0; i < ready; ++i) {
            Worker &w = workers[events[i].data.u32];
            char chunk[1 << 18];
            for (ssize_t n; (n = read(w.out, chunk, sizeof chunk)) > 0;)
                w.partial.append(chunk, size_t(n));
            size_t start = 0;
            // {"id":N,"ok":true,"result":V}
            for (size_t nl; (nl = w.partial.find('\n', start)) != std::string::npos;
                 start = nl + 1) {
                const std::string_view line(w.partial.data() + start, nl - start);
                const size_t value = line.find("\"result\":");
                if (value == std::string_view::npos || line.back() != '}') {
                    std::fprintf(stderr, "service_floor: unexpected answer '%.*s'\n",
                                 int(line.size()), line.data());
                    return 1;
                }
                results.append(line.substr(value + 9, line.size() - value - 10));
                results += '\n';
                ++done;
                --w.inflight;
            }
            w.partial.erase(0, start);
            feed(w);
            if (results.size() > (1 << 16)) {
                std::fwrite(results.data(), 1, results.size(), stdout);
                results.clear();
            }
        }
    }
    std::fwrite(results.data(), 1, results.size(), stdout);
    for (Worker &w : workers) {
        close(w.in);
        waitpid(w.pid, nullptr, 0);
    }
    return 0;
}
