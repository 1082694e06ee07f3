#pragma once

#include "task.h"

#include <QColor>
#include <QPalette>

namespace shoal {

// State colours that stay readable in light and dark palettes: a hue mixed into the
// palette's own base colour for backgrounds, and into its text colour for foregrounds.
QColor workerStateBackground(WorkerState state, const QPalette &palette);
// A parked worker (surplus, stopped until the pool grows): its own colour, apart from paused.
QColor parkedWorkerBackground(const QPalette &palette);
QColor taskStateForeground(TaskState state, const QPalette &palette);

} // namespace shoal
