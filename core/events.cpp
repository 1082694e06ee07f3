#include "events.h"

#include <QStringList>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

QString nameOf(Event::Type type)
{
    static const QStringList names {
        u"tasks-added"_s, u"task-started"_s,   u"task-finished"_s,  u"task-requeued"_s,
        u"task-paused"_s, u"task-resumed"_s,   u"worker-changed"_s, u"worker-removed"_s,
        u"pool-paused"_s, u"pool-resumed"_s,   u"pool-resized"_s,   u"stats"_s,
        u"message"_s,     u"batch-finished"_s, u"task-batch"_s,
    };
    return names.value(int(type));
}

} // namespace shoal
