#include "eventjson.h"

#include <QJsonArray>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

QJsonObject toJson(const ExitStatus &exit)
{
    QJsonObject o { { u"text"_s, exit.describe() } };
    switch (exit.kind) {
    case ExitStatus::Kind::Exited:
        o[u"code"_s] = exit.code;
        break;
    case ExitStatus::Kind::FailedToStart:
        o[u"code"_s] = exit.code;
        o[u"errno"_s] = exit.error;
        break;
    case ExitStatus::Kind::None:
        break;
    default:
        o[u"signal"_s] = exit.signal;
        break;
    }
    return o;
}

QJsonObject toJson(const PoolStats &s)
{
    return {
        { u"timeMs"_s, double(s.timeMs) },           { u"total"_s, double(s.total) },
        { u"queued"_s, double(s.queued) },           { u"running"_s, double(s.running) },
        { u"succeeded"_s, double(s.succeeded) },     { u"failed"_s, double(s.failed) },
        { u"cancelled"_s, double(s.cancelled) },     { u"workers"_s, s.workers },
        { u"busyWorkers"_s, s.busyWorkers },         { u"paused"_s, s.paused },
        { u"throughput"_s, s.throughput },           { u"etaSeconds"_s, s.etaSeconds },
        { u"pausedTasks"_s, double(s.pausedTasks) }, { u"parkedWorkers"_s, s.parkedWorkers },
    };
}

QJsonObject toJson(const WorkerInfo &w)
{
    QJsonObject o { { u"slot"_s, w.slot },
                    { u"state"_s, nameOf(w.state) },
                    { u"tasksDone"_s, w.tasksDone },
                    { u"failures"_s, w.failures } };
    if (!w.host.isEmpty())
        o[u"host"_s] = w.host;
    if (w.parked)
        o[u"parked"_s] = true;
    if (w.task >= 0) {
        o[u"task"_s] = double(w.task);
        o[u"pid"_s] = double(w.pid);
        o[u"elapsedMs"_s] = double(w.taskElapsedMs);
        o[u"cpuPercent"_s] = w.cpuPercent;
        o[u"rssBytes"_s] = double(w.rssBytes);
    }
    return o;
}

QJsonObject toJson(const Event &e)
{
    QJsonObject o { { u"seq"_s, double(e.seq) },
                    { u"type"_s, nameOf(e.type) },
                    { u"timeMs"_s, double(e.timeMs) } };
    switch (e.type) {
    case Event::Type::TasksAdded:
        o[u"firstTask"_s] = double(e.task);
        o[u"lastTask"_s] = double(e.lastTask);
        break;
    case Event::Type::TaskRequeued:
    case Event::Type::TaskPaused:
    case Event::Type::TaskResumed:
        o[u"task"_s] = double(e.task);
        o[u"slot"_s] = e.slot;
        break;
    case Event::Type::WorkerChanged:
        o[u"worker"_s] = toJson(e.worker);
        break;
    case Event::Type::WorkerRemoved:
        o[u"slot"_s] = e.slot;
        break;
    case Event::Type::Message:
        o[u"text"_s] = e.text;
        break;
    case Event::Type::TaskBatch: {
        QJsonArray started, finished, progress;
        for (const TaskBatch::Started &s : e.batch->started) {
            QJsonObject one { { u"task"_s, double(s.task) },
                              { u"slot"_s, s.slot },
                              { u"attempt"_s, s.attempt } };
            if (s.pid > 0)
                one[u"pid"_s] = double(s.pid);
            started.append(one);
        }
        for (const TaskBatch::Finished &f : e.batch->finished) {
            QJsonObject one {
                { u"task"_s, double(f.task) }, { u"slot"_s, f.slot },
                { u"attempt"_s, f.attempt },   { u"state"_s, nameOf(f.state) },
                { u"exit"_s, toJson(f.exit) }, { u"durationMs"_s, double(f.durationMs) }
            };
            if (f.captured >= 0) { // a command task: its outputs' sizes (the output is printed)
                const TaskBatch::Captured &c = e.batch->captured[size_t(f.captured)];
                one[u"stdoutBytes"_s] = double(c.outBytes());
                one[u"stderrBytes"_s] = double(c.errBytes());
            } else {
                one[u"output"_s] = QString::fromUtf8(e.batch->output(f).toByteArray());
            }
            finished.append(one);
        }
        for (const TaskBatch::Progress &p : e.batch->progress)
            progress.append(
                QJsonObject { { u"task"_s, double(p.task) }, { u"progress"_s, p.value } });
        o[u"started"_s] = started;
        o[u"finished"_s] = finished;
        if (!progress.isEmpty())
            o[u"progress"_s] = progress;
        break;
    }
    default:
        break;
    }
    if (carriesStats(e.type))
        o[u"stats"_s] = toJson(e.stats);
    return o;
}

} // namespace shoal
