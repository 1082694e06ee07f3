#pragma once

#include <QString>

namespace shoal {

// Short human forms of durations and sizes, for progress lines, tables and the overview.
QString formatDuration(qint64 ms); // "850 ms", "12.3 s", "4:05", "1:02:03"
QString formatClock(double seconds); // "0:41", "1:02:03"; "?" when negative (the ETA form)
QString formatBytes(qint64 bytes); // "512 KiB", "1.2 MiB"
// "1 task", "12 tasks": English plurals without a translation catalogue.
QString countOf(qint64 count, const QString &singular, const QString &plural);

} // namespace shoal
