// A Shoal service worker in JSON-lines mode: doubles numbers.
//
//   shoal run --service build/bin/shoal-double-worker --service-mode json ::: 1 2 3
//
// Reads {"id":N,"input":"TEXT"} lines on stdin and answers {"id":N,"ok":true,"result":2*TEXT}
// (or "ok":false with an error when TEXT is not an integer). It reads and writes in large blocks
// and answers everything it has read before waiting for more, so that tiny tasks run at memory
// speed. A few inputs show what Shoal does when a worker misbehaves (its tests use them):
//   pid            answer with this process's pid
//   progress       report progress 0.5, then answer
//   crash          abort()                    exit   exit with status 3
//   hang           never answer               garbage  write a line that is not JSON
//   garbage-once:FILE   write garbage unless FILE exists (creating it), else answer "recovered"
// A line without an id (not this protocol: Shoal runs it in line mode) ends it with status 2.
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

std::string out;

void flushOut()
{
    size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = write(1, out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            std::exit(1);
        done += size_t(n);
    }
    out.clear();
}

void answer(std::string_view id, std::string_view result, bool ok = true, bool quote = false)
{
    out += "{\"id\":";
    out += id;
    out += ok ? ",\"ok\":true,\"result\":" : ",\"ok\":false,\"error\":";
    if (quote)
        out += '"';
    out += result;
    if (quote)
        out += '"';
    out += "}\n";
}

// The value of a key (given as the pattern "key":) in a flat JSON object line: a number, or a
// string's contents still JSON-escaped (so that they can go back into an answer as they are).
std::string_view field(std::string_view line, std::string_view pattern)
{
    size_t at = line.find(pattern);
    if (at == std::string_view::npos)
        return {};
    at += pattern.size();
    while (at < line.size() && line[at] == ' ')
        ++at;
    if (at < line.size() && line[at] == '"') {
        size_t end = at + 1;
        while (end < line.size() && line[end] != '"')
            end += line[end] == '\\' ? 2 : 1; // an escaped character, quotes included
        return end >= line.size() ? std::string_view() : line.substr(at + 1, end - at - 1);
    }
    size_t end = at;
    while (end < line.size() && line[end] != ',' && line[end] != '}')
        ++end;
    return line.substr(at, end - at);
}

// The input as a whole integer, if it is one (the fast path: no allocation).
bool integer(std::string_view text, long long *value)
{
    const bool negative = !text.empty() && text[0] == '-';
    const std::string_view digits = text.substr(negative ? 1 : 0);
    if (digits.empty() || digits.size() > 17)
        return false;
    long long v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *value = negative ? -v : v;
    return true;
}

// The shape Shoal writes, {"id":N,"input":"DIGITS"}, answered without searching or allocating;
// false for anything else (handle() then reads the line field by field).
bool handleFast(std::string_view line)
{
    constexpr std::string_view head = "{\"id\":", mid = ",\"input\":\"", tail = "\"}";
    if (line.size() < head.size() + 1 + mid.size() + 1 + tail.size()
        || line.substr(0, head.size()) != head || line.substr(line.size() - tail.size()) != tail)
        return false;
    size_t at = head.size();
    const size_t idStart = at;
    while (at < line.size() && line[at] >= '0' && line[at] <= '9')
        ++at;
    const std::string_view id = line.substr(idStart, at - idStart);
    if (id.empty() || line.substr(at, mid.size()) != mid)
        return false;
    long long value = 0;
    if (!integer(line.substr(at + mid.size(), line.size() - tail.size() - at - mid.size()), &value))
        return false;
    char answerLine[96];
    char *p = answerLine;
    std::memcpy(p, "{\"id\":", 6);
    p += 6;
    if (id.size() > 24)
        return false;
    std::memcpy(p, id.data(), id.size());
    p += id.size();
    std::memcpy(p, ",\"ok\":true,\"result\":", 20);
    p += 20;
    p = std::to_chars(p, answerLine + sizeof answerLine, value * 2).ptr;
    *p++ = '}';
    *p++ = '\n';
    out.append(answerLine, size_t(p - answerLine));
    return true;
}

void handle(std::string_view line)
{
    if (handleFast(line))
        return;
    const std::string_view id = field(line, "\"id\":");
    const std::string_view input = field(line, "\"input\":");
    if (id.empty()) {
        // Not the JSON-lines protocol (run in line mode?): a task left without an answer would
        // wait forever, so stop here and let Shoal report the reason from this stderr.
        flushOut();
        std::fprintf(
            stderr,
            "double_worker: no id in '%.*s' (this worker speaks JSON lines: --service-mode json)\n",
            int(line.size()), line.data());
        std::exit(2);
    }
    long long value = 0;
    if (integer(input, &value)) {
        char number[24];
        const auto [end, ec] = std::to_chars(number, number + sizeof number, value * 2);
        answer(id, std::string_view(number, size_t(end - number)));
        return;
    }
    const std::string text(input);
    if (text == "pid") {
        answer(id, std::to_string(getpid()));
    } else if (text == "progress") {
        out += "{\"id\":" + std::string(id) + ",\"progress\":0.5}\n";
        answer(id, "\"done\"");
    } else if (text == "crash") {
        flushOut();
        std::abort();
    } else if (text == "exit") {
        flushOut();
        std::exit(3);
    } else if (text == "hang") {
        flushOut();
        for (;;)
            pause();
    } else if (text == "garbage") {
        out += "this is not json\n";
    } else if (text.rfind("garbage-once:", 0) == 0) {
        const std::string marker = text.substr(13);
        if (access(marker.c_str(), F_OK) != 0) {
            if (FILE *f = std::fopen(marker.c_str(), "w"))
                std::fclose(f);
            out += "this is not json\n";
        } else {
            answer(id, "\"recovered\"");
        }
    } else {
        answer(id, "not an integer: " + text, false, true);
    }
}

} // namespace

int main()
{
    out.reserve(1 << 20);
    std::string buffer;
    char chunk[1 << 16];
    for (;;) {
        const ssize_t n = read(0, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        buffer.append(chunk, size_t(n));
        size_t start = 0;
        for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1)
            handle(std::string_view(buffer).substr(start, nl - start));
        buffer.erase(0, start);
        flushOut(); // everything read is answered before we wait for more
    }
    flushOut();
    return 0;
}
