#pragma once

#include <QStringList>

namespace shoal {

// `shoal agent`: the worker host's end of a link to Shoal, on stdin/stdout (core/agent.h).
// Started by a transport (ssh, srun), never by hand. Returns 0 after an orderly end of the link.
int runAgent(const QStringList &args);

} // namespace shoal
