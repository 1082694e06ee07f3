#pragma once

#include <QStringList>

namespace shoal {

// `shoal run ...`: the headless, GNU parallel-compatible front end. Returns the exit status:
// 0 all succeeded, 1-100 failed tasks, 101 more, 255 usage or other error (GNU's with --halt).
int runHeadless(const QStringList &args);

} // namespace shoal
