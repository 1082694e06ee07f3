#pragma once

#include "events.h"

#include <QJsonObject>

namespace shoal {

// JSON forms of engine state, for --events (one object per line) and `shoal ctl status`.
QJsonObject toJson(const Event &event);
QJsonObject toJson(const PoolStats &stats);
QJsonObject toJson(const WorkerInfo &worker);
QJsonObject toJson(const ExitStatus &exit);

} // namespace shoal
