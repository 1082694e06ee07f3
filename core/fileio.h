#pragma once

#include "result.h"

#include <QByteArrayView>
#include <QString>

#include <cerrno>

namespace shoal {

// strerror(err) as a QString, for messages that name a file and why it failed.
QString errnoText(int err = errno);

// Writes all of data (retrying short writes and EINTR); false with errno set on an error.
bool writeAll(int fd, QByteArrayView data);

// An unlinked read-write file in TMPDIR (O_TMPFILE where the file system has it); -1 with errno
// when it cannot be made.
int openScratchFile();

// Creates the file at path afresh without ever following a symlink planted there: a new file
// is made under a temporary name in the same folder (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0666 less
// the umask) and renamed over path. Returns its descriptor (O_WRONLY, close-on-exec).
Result<int> createReplacing(const QString &path);

} // namespace shoal
