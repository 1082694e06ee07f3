#pragma once

#include "task.h"

#include <QByteArray>
#include <QByteArrayView>

#include <deque>
#include <vector>

namespace shoal {

class SpilledOutput;

// Where `shoal run` writes: standard output and standard error, and what to do when a write
// fails. A failed write is remembered (the first errno) and reported once by the owner.
class OutputSink
{
public:
    virtual ~OutputSink() = default;
    // Writes to fd 1 (stdout) or 2 (stderr); false when the write failed.
    virtual bool write(int fd, QByteArrayView data) = 0;
    // Copies [offset, offset + length) of the file at fromFd to fd; false when it failed.
    virtual bool copy(int fd, int fromFd, qint64 offset, qint64 length) = 0;
};

// -k: task outputs that end before their turn wait here and go out in task order. Memory stays
// bounded whatever the tasks print: past a budget, waiting outputs move to one spool file (an
// unlinked file in TMPDIR), and outputs that are files already (over 1 MiB) are copied there at
// once, so no descriptor is held per waiting task.
class OrderedOutput
{
public:
    explicit OrderedOutput(qint64 memoryBudget = 8 << 20);
    ~OrderedOutput();
    OrderedOutput(const OrderedOutput &) = delete;
    OrderedOutput &operator=(const OrderedOutput &) = delete;

    struct Stream
    {
        QByteArrayView data;
        const SpilledOutput *file = nullptr;
        bool newline = false; // a line: data and a '\n' (service results)
        qint64 size() const;
    };
    // Task's output (both streams empty for a task with nothing to print: it still takes its
    // turn). delivered: whether the task counts as delivered once its turn has come (its
    // joblog row follows). False when it could not be held (the spool's write failed: errno).
    bool add(TaskId task, Stream out, Stream err, bool delivered);
    // Writes out everything whose turn has come; appends to *delivered the tasks that went out
    // (with their stdout size). False when a write failed (the sink's errno).
    bool drain(OutputSink &sink, std::vector<std::pair<TaskId, qint64>> *delivered);

    qint64 waitingBytesInMemory() const { return m_memoryLive; }
    int spoolError() const { return m_spoolError; } // errno of a failed spool write, or 0
    qint64 spoolBytes() const { return m_spoolWritten + m_spoolBuffer.size(); }
    // Whether task's turn is now: its output may go out directly (then add() it with nothing).
    bool isNext(TaskId task) const;

private:
    struct Entry
    {
        qint64 outAt = 0, outLength = 0;
        qint64 errAt = 0, errLength = 0;
        qint64 received = 0;
        bool ready = false;
        bool spooled = false; // the ranges are in the spool, not in m_memory
        bool delivered = false;
    };
    Entry *placeOf(TaskId task);
    bool spoolAppend(Stream stream, qint64 *at);
    bool flushSpoolBuffer();
    void compactMemory();

    std::deque<Entry> m_waiting; // from m_next on
    TaskId m_next = 0;
    qint64 m_budget;
    QByteArray m_memory;
    qint64 m_memoryLive = 0;
    int m_spool = -1;
    qint64 m_spoolWritten = 0; // bytes in the spool file; m_spoolBuffer continues it
    QByteArray m_spoolBuffer;
    int m_spoolError = 0;
};

} // namespace shoal
