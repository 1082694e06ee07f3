#include "serviceworker.h"

#include "bytes.h"
#include "fileio.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {
constexpr qsizetype kReadChunk = 256 * 1024;
constexpr qsizetype kMaxLineBytes = 64 * 1024 * 1024;
} // namespace

ServiceProcess::ServiceProcess(const ServiceSpec &spec)
    : m_spec(spec)
{
}

ServiceProcess::~ServiceProcess()
{
    closeStdin();
    if (m_stdout >= 0)
        ::close(m_stdout);
}

Result<void> ServiceProcess::start(Launcher &launcher, const QByteArray &path, int stderrFd,
                                   int guardFd, int cgroupFd)
{
    QStringList argv = m_spec.program;
    QByteArray program = path;
    if (!m_spec.initializer.isEmpty()) {
        argv = QStringList { u"/bin/sh"_s, u"-c"_s, m_spec.initializer + u"\nexec \"$@\""_s,
                             u"shoal-initializer"_s }
            + argv;
        argv[4] = decodeBytes(path); // the launcher encodes it back to these bytes
        program = "/bin/sh";
    }
    const Launcher::Piped piped = launcher.startPiped(program, argv, stderrFd, guardFd, cgroupFd);
    if (piped.pipeError)
        return Error { u"cannot create a pipe: %1"_s.arg(errnoText(piped.pipeError)) };
    m_process = piped.process;
    m_stdin = piped.toChild;
    m_stdout = piped.fromChild;
    fcntl(m_stdin, F_SETFL, O_NONBLOCK);
    fcntl(m_stdout, F_SETFL, O_NONBLOCK);
    fcntl(m_stdin, F_SETPIPE_SZ, 1 << 20);
    fcntl(m_stdout, F_SETPIPE_SZ, 1 << 20); // a worker answering a big read need not wait for us
    if (m_process.error) {
        return Error { u"cannot run '%1': %2"_s.arg(QString::fromLocal8Bit(path),
                                                    errnoText(m_process.error)) };
    }
    return {};
}

void ServiceProcess::queueRequest(TaskId id, QByteArrayView utf8)
{
    // This runs once per task: no allocation for ASCII inputs. Line mode passes the bytes as
    // they are (as GNU parallel does); JSON must be valid UTF-8, so bytes that are not become
    // U+FFFD there.
    if (m_spec.mode == ServiceSpec::Mode::Line) {
        m_writeBuffer.append(utf8.data(), size_t(utf8.size()));
    } else {
        char digits[24];
        const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, id);
        const size_t idSize = size_t(end - digits);
        const bool plain = std::all_of(utf8.begin(), utf8.end(), [](char c) {
            return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x80
                && c != '"' && c != '\\';
        });
        if (plain) { // the usual case: the whole request in one go
            constexpr size_t head = 6, mid = 10, tail = 3; // {"id":  ,"input":"  "}\n
            const size_t at = m_writeBuffer.size();
            m_writeBuffer.resize(at + head + idSize + mid + size_t(utf8.size()) + tail);
            char *p = m_writeBuffer.data() + at;
            std::memcpy(p, "{\"id\":", head); // fixed sizes: inlined stores, not calls
            p += head;
            std::memcpy(p, digits, idSize);
            p += idSize;
            std::memcpy(p, ",\"input\":\"", mid);
            p += mid;
            std::memcpy(p, utf8.data(), size_t(utf8.size()));
            p += utf8.size();
            std::memcpy(p, "\"}\n", tail);
            ++m_sent;
            return;
        }
        m_writeBuffer += "{\"id\":";
        m_writeBuffer.append(digits, size_t(end - digits));
        m_writeBuffer += ",\"input\":";
        if (utf8.isValidUtf8())
            appendJsonString(m_writeBuffer, utf8);
        else
            appendJsonString(m_writeBuffer, QString::fromUtf8(utf8).toUtf8());
        m_writeBuffer += '}';
    }
    m_writeBuffer += '\n';
    ++m_sent;
}

bool ServiceProcess::flush()
{
    if (m_stdin < 0 || m_writeOffset >= m_writeBuffer.size())
        return true;
    // Writing to a worker that just died must be an EPIPE here, never a SIGPIPE that ends the
    // host process, whatever its signal dispositions: block SIGPIPE for this thread around the
    // write and discard one that the write raised.
    sigset_t pipeSet, oldMask, pending;
    sigemptyset(&pipeSet);
    sigaddset(&pipeSet, SIGPIPE);
    sigpending(&pending);
    const bool alreadyPending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeSet, &oldMask);
    bool brokenPipe = false;
    while (m_stdin >= 0 && m_writeOffset < m_writeBuffer.size()) {
        const ssize_t n = ::write(m_stdin, m_writeBuffer.data() + m_writeOffset,
                                  m_writeBuffer.size() - m_writeOffset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            // EPIPE: the worker is gone; its exit is handled through its pidfd.
            brokenPipe = errno == EPIPE;
            m_writeOffset = m_writeBuffer.size();
            break;
        }
        m_writeOffset += size_t(n);
    }
    if (brokenPipe && !alreadyPending) {
        const timespec noWait { 0, 0 };
        sigtimedwait(&pipeSet, nullptr, &noWait);
    }
    pthread_sigmask(SIG_SETMASK, &oldMask, nullptr);
    if (m_writeOffset < m_writeBuffer.size())
        return false;
    m_writeBuffer.clear();
    m_writeOffset = 0;
    return true;
}

void ServiceProcess::closeStdout()
{
    if (m_stdout >= 0) {
        ::close(m_stdout);
        m_stdout = -1;
    }
}

void ServiceProcess::closeStdin()
{
    if (m_stdin >= 0) {
        ::close(m_stdin);
        m_stdin = -1;
    }
}

ServiceProcess::ReadStatus ServiceProcess::read(std::vector<Reply> &replies, QByteArray &sink,
                                                QString *garbage)
{
    if (m_stdout < 0)
        return ReadStatus::EndOfFile;
    for (;;) {
        const qsizetype old = m_readBuffer.size();
        m_readBuffer.resize(old + kReadChunk);
        const ssize_t n = ::read(m_stdout, m_readBuffer.data() + old, size_t(kReadChunk));
        m_readBuffer.resize(old + qMax<ssize_t>(n, 0));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || n == 0) {
            const ReadStatus parsed = parseLines(replies, sink, garbage);
            if (parsed == ReadStatus::Garbage)
                return parsed;
            if (n == 0) {
                if (!m_readBuffer.isEmpty()) { // a last line without its newline still counts
                    m_readBuffer += '\n';
                    if (parseLines(replies, sink, garbage) == ReadStatus::Garbage)
                        return ReadStatus::Garbage;
                }
                return ReadStatus::EndOfFile;
            }
            return ReadStatus::More; // EAGAIN
        }
        if (parseLines(replies, sink, garbage) == ReadStatus::Garbage)
            return ReadStatus::Garbage;
        if (n < kReadChunk)
            return ReadStatus::More;
    }
}

ServiceProcess::ReadStatus ServiceProcess::parseLines(std::vector<Reply> &replies, QByteArray &sink,
                                                      QString *garbage)
{
    // The complete lines go to the sink in one copy; a reply's text is then a range of it
    // (a line, a number, a string without escapes), or decoded after it when it must be.
    const qsizetype complete = m_readBuffer.lastIndexOf('\n') + 1;
    const qsizetype base = sink.size();
    sink.append(m_readBuffer.constData(), complete);
    const char *data = sink.constData() + base;
    qsizetype start = 0;
    while (start < complete) {
        const char *nl
            = static_cast<const char *>(std::memchr(data + start, '\n', size_t(complete - start)));
        const QByteArrayView line(data + start, nl - (data + start));
        start = (nl - data) + 1;
        Reply r;
        if (m_spec.mode == ServiceSpec::Mode::Line) {
            r.offset = base + (line.data() - data);
            r.length = line.size();
        } else {
            ServiceReply reply;
            QString why;
            if (!parseServiceReply(line, &reply, &why)) {
                *garbage = u"'%1' (%2)"_s.arg(
                    QString::fromUtf8(line.first(qMin<qsizetype>(line.size(), 200)).toByteArray()),
                    why);
                m_readBuffer
                    .clear(); // the sink keeps the lines: the replies before point into them
                return ReadStatus::Garbage;
            }
            r.kind = reply.kind;
            r.id = reply.id;
            r.progress = reply.progress;
            if (reply.kind != ServiceReply::Kind::Progress) {
                const QByteArrayView v = reply.value;
                const bool quoted = v.size() >= 2 && v.front() == '"';
                if (v.data() >= line.data() && v.data() + v.size() <= line.data() + line.size()
                    && (!quoted || !v.contains('\\'))) {
                    r.offset = base + (v.data() - data) + (quoted ? 1 : 0);
                    r.length = v.size() - (quoted ? 2 : 0);
                } else { // escapes to decode, or the literal null: after the lines
                    const QByteArray value = v.toByteArray(); // v may point into sink
                    r.offset = sink.size();
                    appendJsonValueAsText(sink, value);
                    r.length = sink.size() - r.offset;
                    data = sink.constData() + base; // the append may have moved the buffer
                }
            }
        }
        replies.push_back(r);
    }
    m_readBuffer.remove(0, complete);
    if (m_readBuffer.size() > kMaxLineBytes) {
        *garbage = u"a line longer than %1 MiB"_s.arg(kMaxLineBytes >> 20);
        m_readBuffer.clear();
        return ReadStatus::Garbage;
    }
    return ReadStatus::More;
}

} // namespace shoal
