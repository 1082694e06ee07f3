#pragma once

#include "framing.h"
#include "inputlist.h"
#include "result.h"
#include "serviceworker.h"
#include "task.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <variant>
#include <vector>

namespace shoal::agent {

// The link between Shoal and a `shoal agent` on a worker host, carried by the transport's
// stdin/stdout (ssh, srun, or a pipe to a local agent). Frames, each a little-endian u32 length,
// then a type byte and its QDataStream payload. The agent speaks first (Hello); Shoal answers with
// Setup, then sends Run and Cancel; the agent sends Started, Output and Finished. The end of the
// agent's stdin is the end of the batch: it ends every process group it started and exits.
//
// A protocol change that an older peer cannot read bumps kProtocol; both sides refuse a peer with
// another protocol, naming both Shoal versions.
// 2: Hello.slurmStep; 3: File, Setup.probe; 4: Usage; 5: service workers (Setup.service, Tasks,
// Results, Note, Workers, HoldWorker); 6: a File part of no bytes that is not the last drops
// the file being received (its sender gave up on it), Progress; 7: Tasks and Results packed
// tighter (ids as differences, numbers of 0 left out, lengths as variable-length integers),
// Collected
inline constexpr quint32 kProtocol = 7;
// A service answer may be a 64 MiB line (ServiceProcess), and travels in one frame.
inline constexpr quint32 kMaxFrameBytes = 72u << 20;
inline constexpr qsizetype kOutputChunkBytes = 256 * 1024;
inline constexpr TaskId kMaxTaskId = (TaskId(1) << 31) - 1; // an agent indexes by Shoal's ids

enum class Type : quint8 {
    Hello = 1,
    Setup,
    Run,
    Cancel,
    Started,
    Output,
    Finished,
    Failure,
    Hold,
    File,
    Usage,
    Tasks,
    Results,
    Note,
    Workers,
    HoldWorker,
    Progress,
    Collected
};

struct Hello // agent -> Shoal, first
{
    quint32 protocol = kProtocol;
    QString version; // the agent's Shoal version
    QString host; // its host name
    int cores = 0;
    qint64 memoryBytes = 0;
    QString slurmStep; // "JOB.STEP" when it runs as a Slurm job step, else empty
};

struct Setup // Shoal -> agent, once
{
    int workers = 1;
    double timeoutSeconds = 0;
    qint64 memoryLimitBytes = 0;
    int termGraceMs = 2000;
    QString workdir; // empty: the agent's own
    // Files travel (--transferfile, --return, --cleanup): the name of a file Shoal made in its
    // own working folder, holding that name. An agent that finds it in its working folder
    // shares Shoal's: it writes, sends back and removes nothing (the files are there already).
    QString probe;
    // Service workers (multiprocessing.Pool style) when its program is set: the agent runs them
    // and is sent Tasks, not Run.
    ServiceSpec service;
    // --cleanup: the files sent for a task whose Run never comes (File's "given up") are
    // removed too, as those of a task that ran are.
    bool cleanup = false;
};

struct Run // Shoal -> agent: run argv (already expanded) as task `task`
{
    TaskId task = -1;
    QStringList argv;
    // GNU parallel's --return: files (in the working folder, unless absolute) sent back as File
    // frames before its Finished. cleanup: the files sent for it (File) and those sent back are
    // removed there after it ends.
    QStringList returns;
    bool cleanup = false;
};

// A part of a file, in order: Shoal -> agent before a task's Run (--transferfile), agent ->
// Shoal before its Finished (--return). The first part of a path makes the file anew; `last`
// closes it with its mode. A part of no bytes that is not the last drops what came of the file
// (Shoal could not read the rest, or the task was cancelled while it was sent). path: relative
// to the working folder (a local one: Shoal's), or absolute.
struct File
{
    TaskId task = -1;
    QString path;
    QByteArray bytes;
    bool last = true;
    quint32 mode = 0644;
};

struct Cancel // Shoal -> agent: end the task (its Finished follows, cancelled)
{
    TaskId task = -1;
};

// Shoal -> agent: what the task sent back (--return) is here, written whole: with --cleanup it
// may go there now. Until then (a link lost, Shoal killed, a write that failed here) it stays.
struct Collected
{
    TaskId task = -1;
};

struct Hold // Shoal -> agent: stop (SIGSTOP) or continue the task's processes (a pause)
{
    TaskId task = -1;
    bool stopped = true;
};

struct Started // agent -> Shoal
{
    TaskId task = -1;
    qint64 pid = 0; // on the agent's host
};

struct Output // agent -> Shoal: the next part of a task's stdout or stderr, before its Finished
{
    TaskId task = -1;
    Stream stream = Stream::Stdout;
    QByteArray bytes;
};

struct Finished // agent -> Shoal
{
    TaskId task = -1;
    ExitStatus exit;
    qint64 durationMs = 0;
};

struct Failure // agent -> Shoal: the agent cannot go on (the link ends after it)
{
    QString message;
};

// agent -> Shoal, about once a second for each running task: what its processes use there.
struct Usage
{
    TaskId task = -1;
    double cpuPercent = 0; // of one core
    qint64 rssBytes = 0;
    qint64 pid = 0; // the process there: the task's, or the service worker running it
};

// Shoal -> agent: service tasks (Setup.service), in order, each with its input line. A task sent
// again (after a Cancel) is a new attempt.
struct Tasks
{
    std::vector<TaskId> ids;
    InputList inputs; // one per id, in one buffer
};

// agent -> Shoal: service tasks that ended, each with its answer (or the error that ended it):
// texts.utf8(i) belongs to entries[i]. Each Cancel Shoal sends is acknowledged by an entry with
// a Cancelled exit (the task's, or one for a task that had ended): what Shoal receives for the
// task before that is the cancelled attempt's.
//
// Tasks and Results travel packed (each entry's numbers and text in a few bytes, all of them in
// one piece), not entry by entry through QDataStream: a service link carries about a million of
// them a second, and through ssh every byte is encrypted twice over.
// The most entries a Tasks or Results frame may hold (senders put up to 8192 in one).
inline constexpr quint32 kMaxPackedEntries = 65536;

struct Results
{
    struct Entry
    {
        TaskId task = -1;
        ExitStatus exit; // exited(0): answered; exited(1): the worker's error; else the crash
        qint64 durationMs = 0;
    };
    std::vector<Entry> entries;
    InputList texts; // one per entry, in one buffer
};

// agent -> Shoal: how far service tasks in flight are, as their workers said (JSON mode's
// {"progress": P}), from 0 to 1.
struct Progress
{
    struct Entry
    {
        TaskId task = -1;
        double value = 0;
    };
    std::vector<Entry> entries;
    static constexpr size_t kMaxEntries = 65536; // per frame
};

// agent -> Shoal: what its pool says for people (a service worker replaced, one that is silent).
struct Note
{
    QString text;
};

// Shoal -> agent: run this many service workers (the host's share of the pool after a resize).
struct Workers
{
    int count = 1;
};

// Shoal -> agent: pause (stopped) or resume its service worker `worker` (from 1), or all of them
// (0: the pool Shoal serves is paused).
struct HoldWorker
{
    int worker = 1;
    bool stopped = true;
};

using Frame
    = std::variant<Hello, Setup, Run, Cancel, Started, Output, Finished, Failure, Hold, File, Usage,
                   Tasks, Results, Note, Workers, HoldWorker, Progress, Collected>;

// Appends one frame to out.
void encode(const Frame &frame, QByteArray &out);

// Splits a byte stream into frames.
class FrameReader
{
public:
    void append(QByteArrayView bytes) { m_frames.append(bytes); }
    // The next whole frame, if one is buffered; an Error for a malformed one (the link is then
    // unusable: the caller ends it).
    Result<bool> next(Frame *frame);
    qsizetype buffered() const { return m_frames.buffered(); }

private:
    FrameSplitter m_frames { kMaxFrameBytes };
};

} // namespace shoal::agent
