#pragma once

#include "agentprotocol.h"
#include "result.h"

#include <QString>

#include <functional>

namespace shoal {

// GNU parallel's --transferfile and --return through an agent's link: files go as File frames
// (agentprotocol.h), in parts, one file after the other.

// Where a file named `path` at one end goes at the other: the part after "/./" when there is
// one (GNU parallel's marker), otherwise the path as given (relative to the working folder, or
// absolute).
QString transferTarget(const QString &path);

// Reads the file at path and hands it to deliver as the File frames of task, in parts of at most
// kOutputChunkBytes. An Error names the file and why.
Result<void> sendFile(TaskId task, const QString &path,
                      const std::function<void(agent::File &&)> &deliver);

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
    // The file being written is dropped (its sender went, or failed).
    void abandon();

private:
    int m_fd = -1;
    TaskId m_task = -1;
    QString m_target;
    QByteArray m_temporary;
};

} // namespace shoal
