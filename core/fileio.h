#pragma once

#include "result.h"

#include <QByteArrayView>
#include <QString>

#include <cerrno>
#include <unistd.h>

namespace shoal {

// strerror(err) as a QString, for messages that name a file and why it failed.
QString errnoText(int err = errno);

// Closes the descriptor that fd holds when it goes out of scope (fd may change meanwhile; -1:
// nothing to close).
struct FdCloser
{
    const int &fd;
    ~FdCloser()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

// Writes all of data (retrying short writes and EINTR); false with errno set on an error.
bool writeAll(int fd, QByteArrayView data);

// An unlinked read-write file in TMPDIR (O_TMPFILE where the file system has it); -1 with errno
// when it cannot be made.
int openScratchFile();
// The last lines (up to 3, of its last 2 KiB) of what a program wrote to a scratch file, as
// ": line / line / line" for an error message; empty when it wrote nothing (or fd < 0).
QString scratchTail(int fd);

// What is at a path an output (joblog, events) is to be written to.
enum class OutputTarget : quint8 {
    Missing,
    RegularFile,
    Stream, // a character device, FIFO or socket, itself or behind a symlink (/dev/null,
            // /dev/stderr)
    Symlink, // to a file, a folder or nothing: never followed, never replaced
    Folder,
};
OutputTarget outputTarget(const QByteArray &path);
// A Stream target opened for writing, following a symlink (it cannot be a file's content).
Result<int> openStream(const QString &path);

// Creates the file at path afresh without ever following a symlink planted there: a new file
// is made under a temporary name in the same folder (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0666 less
// the umask) and renamed over path. Returns its descriptor (O_WRONLY, close-on-exec). A device,
// FIFO or socket (/dev/null, /dev/stderr) is written as it is; a symlink to anything else is
// refused with an error that says so.
Result<int> createReplacing(const QString &path);

} // namespace shoal
