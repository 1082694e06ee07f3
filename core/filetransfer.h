#pragma once

#include "agentprotocol.h"
#include "result.h"

#include <QString>

#include <functional>

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

    // An Error names the file and why (errno is kept).
    Result<void> write(const agent::File &file, const QString &target);
    // Whether a file of the task is half written (its last part has not come).
    bool isWriting(TaskId task) const;
    // The file the last write() that ended a file made.
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
