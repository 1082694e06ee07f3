#include "events.h"

#include <QStringList>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

QString nameOf(Event::Type type)
{
    switch (type) {
    case Event::Type::TasksAdded:
        return u"tasks-added"_s;
    case Event::Type::TaskRequeued:
        return u"task-requeued"_s;
    case Event::Type::TaskPaused:
        return u"task-paused"_s;
    case Event::Type::TaskResumed:
        return u"task-resumed"_s;
    case Event::Type::WorkerChanged:
        return u"worker-changed"_s;
    case Event::Type::WorkerRemoved:
        return u"worker-removed"_s;
    case Event::Type::PoolPaused:
        return u"pool-paused"_s;
    case Event::Type::PoolResumed:
        return u"pool-resumed"_s;
    case Event::Type::PoolResized:
        return u"pool-resized"_s;
    case Event::Type::Stats:
        return u"stats"_s;
    case Event::Type::Message:
        return u"message"_s;
    case Event::Type::BatchFinished:
        return u"batch-finished"_s;
    case Event::Type::TaskBatch:
        return u"task-batch"_s;
    }
    return {};
}

bool carriesStats(Event::Type type)
{
    switch (type) {
    case Event::Type::PoolPaused:
    case Event::Type::PoolResumed:
    case Event::Type::PoolResized:
    case Event::Type::Stats:
    case Event::Type::BatchFinished:
        return true;
    default:
        return false;
    }
}

} // namespace shoal
