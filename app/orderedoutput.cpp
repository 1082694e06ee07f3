#include "orderedoutput.h"

#include "fileio.h"
#include "outputcapture.h"

#include <fcntl.h>
#include <unistd.h>

namespace shoal {

namespace {

constexpr qsizetype kSpoolBufferSize = 1 << 20;

// One stream's pending write while draining: bytes from memory, or a range of the spool;
// consecutive pieces of the same kind go out in one write.
struct PendingWrite
{
    int fd;
    QByteArray bytes;
    qint64 spoolAt = 0, spoolLength = 0;

    bool flush(OutputSink &sink, int spool)
    {
        bool ok = true;
        if (!bytes.isEmpty()) {
            ok = sink.write(fd, bytes);
            bytes.resize(0);
        }
        if (ok && spoolLength > 0)
            ok = sink.copy(fd, spool, spoolAt, spoolLength);
        spoolLength = 0;
        return ok;
    }
    bool addBytes(OutputSink &sink, int spool, QByteArrayView data)
    {
        if (data.isEmpty())
            return true;
        if (spoolLength > 0 && !flush(sink, spool))
            return false;
        bytes.append(data);
        return bytes.size() < (1 << 20) || flush(sink, spool);
    }
    bool addSpool(OutputSink &sink, int spool, qint64 at, qint64 length)
    {
        if (length == 0)
            return true;
        if ((!bytes.isEmpty() || (spoolLength > 0 && spoolAt + spoolLength != at))
            && !flush(sink, spool))
            return false;
        if (spoolLength == 0)
            spoolAt = at;
        spoolLength += length;
        return true;
    }
};

void appendStream(QByteArray &to, const OrderedOutput::Stream &stream)
{
    to.append(stream.data);
    if (stream.newline)
        to.append('\n');
}

} // namespace

qint64 OrderedOutput::Stream::size() const
{
    return file ? file->size() : data.size() + (newline ? 1 : 0);
}

OrderedOutput::OrderedOutput(qint64 memoryBudget)
    : m_budget(memoryBudget)
{
}

OrderedOutput::~OrderedOutput()
{
    if (m_spool >= 0)
        ::close(m_spool);
}

OrderedOutput::Entry *OrderedOutput::placeOf(TaskId task)
{
    if (task < m_next)
        return nullptr; // its turn has passed (a task retried after it went out)
    const size_t at = size_t(task - m_next);
    if (m_waiting.size() <= at)
        m_waiting.resize(at + 1);
    return &m_waiting[at];
}

bool OrderedOutput::isNext(TaskId task) const
{
    return task == m_next;
}

bool OrderedOutput::add(TaskId task, Stream out, Stream err, bool delivered)
{
    Entry *e = placeOf(task);
    if (!e || e->ready)
        return true;
    e->ready = true;
    e->delivered = delivered;
    e->received = out.size() - (out.newline ? 1 : 0);
    e->outLength = out.size();
    e->errLength = err.size();
    if (!out.file && !err.file && m_memoryLive + e->outLength + e->errLength <= m_budget) {
        e->outAt = m_memory.size();
        appendStream(m_memory, out);
        e->errAt = m_memory.size();
        appendStream(m_memory, err);
        m_memoryLive += e->outLength + e->errLength;
        return true;
    }
    e->spooled = true;
    return spoolAppend(out, &e->outAt) && spoolAppend(err, &e->errAt);
}

bool OrderedOutput::spoolAppend(Stream stream, qint64 *at)
{
    *at = m_spoolWritten + m_spoolBuffer.size();
    if (stream.size() == 0)
        return true;
    if (m_spool < 0) {
        m_spool = openScratchFile();
        if (m_spool < 0)
            return false;
    }
    if (stream.file) {
        if (!flushSpoolBuffer() || ::lseek(m_spool, m_spoolWritten, SEEK_SET) < 0
            || !stream.file->copyTo(m_spool))
            return false;
        m_spoolWritten += stream.size();
        return true;
    }
    appendStream(m_spoolBuffer, stream);
    return m_spoolBuffer.size() < kSpoolBufferSize || flushSpoolBuffer();
}

bool OrderedOutput::flushSpoolBuffer()
{
    for (qsizetype done = 0; done < m_spoolBuffer.size();) {
        const ssize_t n = ::pwrite(m_spool, m_spoolBuffer.constData() + done,
                                   size_t(m_spoolBuffer.size() - done), m_spoolWritten + done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return false;
        }
        done += n;
    }
    m_spoolWritten += m_spoolBuffer.size();
    m_spoolBuffer.resize(0);
    return true;
}

bool OrderedOutput::drain(OutputSink &sink, std::vector<std::pair<TaskId, qint64>> *delivered)
{
    if (m_waiting.empty() || !m_waiting.front().ready)
        return true;
    PendingWrite out { 1, {} }, err { 2, {} };
    bool ok = true;
    bool spoolFlushed = false;
    for (; ok && !m_waiting.empty() && m_waiting.front().ready; ++m_next) {
        const Entry &e = m_waiting.front();
        if (e.spooled) {
            if (!spoolFlushed) {
                if (!flushSpoolBuffer()) {
                    m_spoolError = errno;
                    ok = false;
                    break; // this entry stays: it is not out
                }
                spoolFlushed = true;
            }
            ok = out.addSpool(sink, m_spool, e.outAt, e.outLength)
                && err.addSpool(sink, m_spool, e.errAt, e.errLength);
        } else {
            ok = out.addBytes(sink, m_spool, QByteArrayView(m_memory).sliced(e.outAt, e.outLength))
                && err.addBytes(sink, m_spool,
                                QByteArrayView(m_memory).sliced(e.errAt, e.errLength));
            m_memoryLive -= e.outLength + e.errLength;
        }
        if (e.delivered)
            delivered->emplace_back(m_next, e.received);
        m_waiting.pop_front();
    }
    // After a spool failure, what was gathered before it still goes out (and is delivered).
    const bool spoolFailed = m_spoolError != 0;
    ok = (ok || spoolFailed) && out.flush(sink, m_spool) && err.flush(sink, m_spool);
    if (!ok) {
        delivered->clear(); // the output failed: what went out before cannot be told apart
        return false;
    }
    compactMemory();
    return !spoolFailed;
}

void OrderedOutput::compactMemory()
{
    if (m_waiting.empty()) {
        m_memory.resize(0); // all out: reuse both buffers from their start
        m_memoryLive = 0;
        m_spoolBuffer.resize(0);
        if (m_spool >= 0 && m_spoolWritten > 0 && ::ftruncate(m_spool, 0) == 0)
            m_spoolWritten = 0;
        return;
    }
    if (m_memory.size() <= 2 * m_memoryLive + (1 << 20))
        return;
    // Mostly written out: keep only what still waits.
    QByteArray live;
    live.reserve(m_memoryLive);
    for (Entry &e : m_waiting) {
        if (!e.ready || e.spooled)
            continue;
        const qint64 outAt = live.size();
        live.append(m_memory.constData() + e.outAt, e.outLength);
        const qint64 errAt = live.size();
        live.append(m_memory.constData() + e.errAt, e.errLength);
        e.outAt = outAt;
        e.errAt = errAt;
    }
    m_memory = std::move(live);
}

} // namespace shoal
