#include "eventoutbox.h"

namespace shoal {

EventOutbox::EventOutbox(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<shoal::Event>();
    qRegisterMetaType<QList<shoal::Event>>();
}

Event &EventOutbox::post(Event::Type type, qint64 timeMs)
{
    m_openBatch = nullptr; // later batch entries go after this event
    Event e;
    e.seq = ++m_seq;
    e.type = type;
    e.timeMs = timeMs;
    m_pending.append(std::move(e));
    if (!m_flushQueued) {
        m_flushQueued = true;
        QMetaObject::invokeMethod(this, &EventOutbox::flush, Qt::QueuedConnection);
    }
    return m_pending.last();
}

TaskBatch &EventOutbox::openBatch(qint64 timeMs, bool large)
{
    if (!m_openBatch) {
        auto batch = std::make_shared<TaskBatch>();
        if (large) { // the arrays grow to thousands: skip the small reallocations
            batch->started.reserve(1024);
            batch->finished.reserve(1024);
        }
        TaskBatch *raw = batch.get();
        post(Event::Type::TaskBatch, timeMs).batch = std::move(batch);
        m_openBatch = raw;
    }
    return *m_openBatch;
}

void EventOutbox::flush()
{
    m_flushQueued = false;
    m_openBatch = nullptr;
    if (m_pending.isEmpty())
        return;
    const QList<Event> batch = std::exchange(m_pending, {});
    Q_EMIT eventsReady(batch);
}

} // namespace shoal
