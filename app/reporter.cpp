#include "reporter.h"

#include "eventjson.h"
#include "fileio.h"
#include "humanformat.h"
#include "outputcapture.h"
#include "pool.h"

#include <QJsonDocument>

#include <cstring>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

Reporter::Reporter(Pool &pool, Options options)
    : m_pool(pool)
    , m_options(std::move(options))
{
    connect(&pool, &Pool::eventsReady, this, &Reporter::onEvents);
}

void Reporter::finish()
{
    if (m_options.bar) {
        drawBar(true);
        writeAll(2, "\n");
    }
}

void Reporter::onEvents(const QList<Event> &events)
{
    QByteArray jsonLines;
    for (const Event &e : events) {
        if (m_options.eventsFd >= 0)
            jsonLines += QJsonDocument(toJson(e)).toJson(QJsonDocument::Compact) + '\n';
        switch (e.type) {
        case Event::Type::TaskBatch:
            onBatch(*e.batch);
            break;
        case Event::Type::Message:
            clearBar();
            writeAll(2, u"shoal: %1\n"_s.arg(e.text).toLocal8Bit());
            break;
        default:
            break;
        }
    }
    if (!jsonLines.isEmpty() && !m_eventsBroken && !writeAll(m_options.eventsFd, jsonLines)) {
        m_eventsBroken = true;
        m_pool.stopForError(
            u"cannot write the events file '%1': %2"_s.arg(m_options.eventsPath, errnoText()));
    }
    if (m_options.bar)
        drawBar(false);
}

// A task that Shoal ended (interrupt, cancel, halt) printed only part of its output: none of it
// goes out, and it gets no joblog row, so --resume runs it again and prints it whole once.
bool Reporter::delivers(TaskState state, int attempt) const
{
    // Nor once the joblog cannot be written: printed output with no row would be printed again.
    return state != TaskState::Cancelled && attempt > 0 && m_pool.canRecord();
}

// A command task's end: its own stdout and stderr (none for one that never ran).
void Reporter::onTaskDone(const TaskBatch::Finished &f, const TaskBatch::Captured &c)
{
    const bool deliver = delivers(f.state, f.attempt);
    if (!m_options.keepOrder || m_ordered.isNext(f.task)) {
        if (deliver) {
            clearBar();
            printFile(1, c.outFile, c.out);
            printFile(2, c.errFile, c.err);
            if (m_outputBroken)
                return;
            record({ { f.task, c.outBytes() } });
        }
        if (!m_options.keepOrder)
            return;
        (void)m_ordered.add(f.task, {}, {}, false); // its turn is taken
    } else if (!m_ordered.add(f.task, { c.out, c.outFile.get() }, { c.err, c.errFile.get() },
                              deliver)) {
        m_outputBroken = true;
        m_pool.stopForError(
            u"cannot hold an output for -k in the scratch folder (TMPDIR): %1"_s.arg(errnoText()));
        return;
    }
    drain();
}

void Reporter::drain()
{
    m_delivered.clear();
    const bool drained = m_ordered.drain(*this, &m_delivered);
    record(m_delivered); // what went out, even when something failed after it
    if (!drained && m_ordered.spoolError() && !std::exchange(m_outputBroken, true)) {
        m_pool.stopForError(
            u"cannot hold an output for -k in the scratch folder (TMPDIR): %1"_s.arg(
                errnoText(m_ordered.spoolError())));
    }
}

void Reporter::onBatch(const TaskBatch &batch)
{
    if (!m_options.printOutput || m_outputBroken || batch.finished.empty())
        return;
    if (!batch.captured.empty()) { // command tasks: each its own stdout and stderr
        static const TaskBatch::Captured none;
        for (const TaskBatch::Finished &f : batch.finished) {
            if (isTerminal(f.state))
                onTaskDone(f, f.captured >= 0 ? batch.captured[size_t(f.captured)] : none);
            if (m_outputBroken)
                return;
        }
        return;
    }
    // Service tasks: one line per result.
    m_delivered.clear();
    if (!m_options.keepOrder) {
        // One line per result, copied straight into a buffer sized for them all.
        QByteArray out, err;
        qsizetype bytes = 0;
        for (const TaskBatch::Finished &f : batch.finished)
            bytes += f.state == TaskState::Succeeded ? f.length + 1 : 0;
        out.resize(bytes);
        char *p = out.data();
        for (const TaskBatch::Finished &f : batch.finished) {
            if (f.state == TaskState::Succeeded) {
                std::memcpy(p, batch.outputs.constData() + f.offset, size_t(f.length));
                p += f.length;
                *p++ = '\n';
            } else if (isTerminal(f.state) && delivers(f.state, f.attempt)) {
                err += taskError(f, batch.output(f));
            }
            if (isTerminal(f.state) && delivers(f.state, f.attempt))
                m_delivered.emplace_back(f.task, f.state == TaskState::Succeeded ? f.length : 0);
        }
        print(out, err);
        if (!m_outputBroken)
            record(m_delivered);
        return;
    }
    // In input order: a result that arrives before its turn waits (OrderedOutput); whatever is
    // next goes out as soon as it is there.
    for (const TaskBatch::Finished &f : batch.finished) {
        if (!isTerminal(f.state))
            continue;
        bool held = true;
        if (!delivers(f.state, f.attempt)) {
            held = m_ordered.add(f.task, {}, {}, false);
        } else if (f.state == TaskState::Succeeded) {
            held = m_ordered.add(f.task, { batch.output(f), nullptr, true }, {}, true);
        } else {
            const QByteArray text = taskError(f, batch.output(f));
            held = m_ordered.add(f.task, {}, { text }, true);
        }
        if (!held) {
            m_outputBroken = true;
            m_pool.stopForError(
                u"cannot hold an output for -k in the scratch folder (TMPDIR): %1"_s.arg(
                    errnoText()));
            return;
        }
    }
    drain();
}

QByteArray Reporter::taskError(const TaskBatch::Finished &f, QByteArrayView text) const
{
    return u"shoal: task %1 %2: "_s.arg(m_pool.seqOf(f.task)).arg(nameOf(f.state)).toLocal8Bit()
        + text.toByteArray() + '\n';
}

void Reporter::record(const std::vector<std::pair<TaskId, qint64>> &delivered)
{
    if (delivered.empty())
        return;
    std::vector<Pool::Delivered> rows;
    rows.reserve(delivered.size());
    for (const auto &[task, received] : delivered)
        rows.push_back({ task, received });
    m_pool.recordDelivered(rows);
}

void Reporter::print(const QByteArray &out, const QByteArray &err)
{
    if (out.isEmpty() && err.isEmpty())
        return;
    clearBar();
    if (!out.isEmpty())
        write(1, out);
    if (!err.isEmpty())
        write(2, err);
}

void Reporter::printFile(int fd, const std::shared_ptr<const SpilledOutput> &file,
                         const QByteArray &data)
{
    if (!file) {
        if (!data.isEmpty())
            write(fd, data);
        return;
    }
    if (!m_outputBroken && !file->copyTo(fd))
        outputFailed(fd, errno);
}

bool Reporter::write(int fd, QByteArrayView data)
{
    if (m_outputBroken)
        return false;
    if (writeAll(fd, data))
        return true;
    outputFailed(fd, errno);
    return false;
}

bool Reporter::copy(int fd, int fromFd, qint64 offset, qint64 length)
{
    char buffer[64 * 1024];
    while (length > 0) {
        const ssize_t n
            = ::pread(fromFd, buffer, size_t(qMin<qint64>(sizeof buffer, length)), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            m_outputBroken = true;
            m_pool.stopForError(
                u"cannot read back a held output for -k from the scratch folder (TMPDIR): %1"_s.arg(
                    n == 0 ? errnoText(EIO) : errnoText()));
            return false;
        }
        if (!write(fd, QByteArrayView(buffer, n)))
            return false;
        offset += n;
        length -= n;
    }
    return true;
}

void Reporter::outputFailed(int fd, int err)
{
    if (std::exchange(m_outputBroken, true))
        return;
    m_pool.stopForError(u"cannot write to standard %1: %2"_s.arg(fd == 1 ? u"output"_s : u"error"_s,
                                                                 errnoText(err)));
}

void Reporter::clearBar()
{
    if (m_options.bar && m_barDrawn) {
        writeAll(2, "\r\033[K");
        m_barDrawn = false;
    }
}

void Reporter::drawBar(bool force)
{
    const qint64 t = m_pool.stats().timeMs;
    if (!force && m_barDrawn && t - m_lastBarMs < 100)
        return;
    m_lastBarMs = t;
    const PoolStats s = m_pool.stats();
    const qint64 done = s.ended();
    const double fraction = s.total ? double(done) / double(s.total) : 1.0;
    constexpr int kWidth = 30;
    const int filled = int(fraction * kWidth);
    const QString line = u"\r[%1%2] %3% %4/%5 done, %6 failed, %7 running, %8/s, ETA %9%10\033[K"_s
                             .arg(QString(filled, u'#'), QString(kWidth - filled, u'.'))
                             .arg(int(fraction * 100))
                             .arg(done)
                             .arg(s.total)
                             .arg(s.failed)
                             .arg(s.running)
                             .arg(s.throughput, 0, 'f', 1)
                             .arg(formatClock(s.etaSeconds), s.paused ? u" (paused)"_s : QString());
    writeAll(2, line.toLocal8Bit());
    m_barDrawn = true;
}

} // namespace shoal
