#pragma once

#include "agentprotocol.h"
#include "result.h"

#include <QString>

#include <functional>
#include <utility>
#include <vector>

namespace shoal {

// GNU parallel's --transferfile and --return through an agent's link: files go as File frames
// (agentprotocol.h), in parts, one file after the other.

// Which file a name stood for: a clean-up removes a name only while it still stands for the
// file that was moved (not one a later attempt put there).
struct FileId
{
    quint64 device = 0, inode = 0;
    qint64 changedNs = 0; // st_ctim: a freed inode number is soon given to a new file
    bool isValid() const { return inode != 0; }
    friend bool operator==(const FileId &, const FileId &) = default;
};
// Removes path if it is still the file id (a name of bytes, encodeBytes()).
void removeIfSame(const QString &path, const FileId &id);

// Where a file named `path` at one end goes at the other: the part after "/./" when there is
// one (GNU parallel's marker), otherwise the path as given (relative to the working folder, or
// absolute).
QString transferTarget(const QString &path);

// Reads the file at path and hands it to deliver as the File frames of task, in parts of at most
// kOutputChunkBytes. An Error names the file and why.
Result<void> sendFile(TaskId task, const QString &path,
                      const std::function<void(agent::File &&)> &deliver, FileId *id = nullptr);

// The files of one task (--transferfile), read a part at a time as the link takes them, so that
// a large file never sits whole in memory. All are opened at once: a file that cannot be read
// fails the task before anything of it is sent.
class OutgoingFiles
{
public:
    OutgoingFiles() = default;
    OutgoingFiles(OutgoingFiles &&other) noexcept { *this = std::move(other); }
    OutgoingFiles &operator=(OutgoingFiles &&other) noexcept;
    ~OutgoingFiles() { close(); }

    // Opens the regular files at paths for task (errno is kept). An Error names the file and
    // why; nothing is open then.
    Result<void> open(TaskId task, const QStringList &paths);
    // The next part to send, in order, into part: false once every file has gone whole. An
    // Error names the file and why (errno is kept): send abandonPart() if hasStarted().
    Result<bool> next(agent::File &part);
    // Whether any part has gone.
    bool hasStarted() const { return m_next > 0 || m_midFile; }
    // A part of no bytes that is not the last: the receiver drops what it has of the file
    // being sent, and forgets the task's files (removing those that came whole with
    // --cleanup).
    agent::File abandonPart() const;
    // The file at index i (in the order of open()) as it was opened.
    FileId fileId(size_t i) const { return m_files[i].id; }

private:
    struct Entry
    {
        QString path;
        int fd = -1;
        quint32 mode = 0;
        FileId id;
    };
    void close();

    TaskId m_task = -1;
    std::vector<Entry> m_files;
    size_t m_next = 0;
    bool m_midFile = false;
};

// Writes the File frames that arrive, in order: the first part of a file makes it anew (and
// its folder) under a hidden name beside it, the last gives it its mode (setuid and the like
// dropped) and renames it over `target`. Not thread-safe.
class FileReceiver
{
public:
    FileReceiver() = default;
    ~FileReceiver() { abandon(); }
    FileReceiver(const FileReceiver &) = delete;
    FileReceiver &operator=(const FileReceiver &) = delete;

    // An Error names the file and why (errno is kept). With leaveIdentical, a file that stands
    // under `target` with the same bytes is left as it is, and not taken for ours: it may be the
    // very file that was sent (a folder both hosts see), or one another task received.
    Result<void> write(const agent::File &file, const QString &target, bool leaveIdentical = false);
    // Whether a file of the task is half written (its last part has not come).
    bool isWriting(TaskId task) const;
    // The file the last write() that ended a file made; invalid when one with the same bytes
    // was left in its place (leaveIdentical).
    FileId lastFinished() const { return m_finished; }
    // The file being written is dropped (its sender went, or failed).
    void abandon();

private:
    int m_fd = -1;
    TaskId m_task = -1;
    QString m_target;
    QByteArray m_temporary;
    FileId m_finished;
};

} // namespace shoal
