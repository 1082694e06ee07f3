#pragma once

#include "events.h"

#include <QList>
#include <QObject>

namespace shoal {

// Where the engine's events wait for their batch. Each event gets the next sequence number
// when posted; everything posted during one turn of the event loop goes out in one
// eventsReady, so a front end in another thread gets one queued signal per turn at any event
// rate. Task starts and ends of service workers go into an open TaskBatch event instead of
// an event each; the batch closes when any other event is posted after it (order is kept)
// or when it is flushed.
class EventOutbox : public QObject
{
    Q_OBJECT
public:
    explicit EventOutbox(QObject *parent = nullptr);

    // A new event at the end of the outbox; valid until the next post or flush.
    Event &post(Event::Type type, qint64 timeMs);
    // The open TaskBatch event, or a new one at the end. `large`: reserve for thousands.
    TaskBatch &openBatch(qint64 timeMs, bool large = false);
    TaskBatch *currentBatch() const { return m_openBatch; }
    void closeBatch() const { m_openBatch = nullptr; } // later entries go in a new batch event
    // The seq of the latest event, closing the open batch: what a snapshot taken now includes,
    // a later start or end must not join an event at or below it.
    quint64 snapshotSeq() const
    {
        closeBatch();
        return m_seq;
    }
    quint64 lastSeq() const { return m_seq; }
    // Hands out what is waiting now (also what the queued flush does).
    void flush();

Q_SIGNALS:
    void eventsReady(const QList<shoal::Event> &events);

private:
    QList<Event> m_pending;
    mutable TaskBatch *m_openBatch = nullptr; // closing it changes no event (snapshotSeq)
    quint64 m_seq = 0;
    bool m_flushQueued = false;
};

} // namespace shoal
