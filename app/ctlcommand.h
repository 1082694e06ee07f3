#pragma once

#include <QStringList>

namespace shoal {

// `shoal ctl SOCKET COMMAND...`: pause, resume, resize, cancel and status (one answer), watch (a
// live one-line status until the batch ends) and relay (the socket on stdin/stdout: what
// `shoal attach ssh://...` runs on the batch's host).
int runCtl(const QStringList &args);

// `shoal ps`: this user's running batches.
int runPs(const QStringList &args);

} // namespace shoal
