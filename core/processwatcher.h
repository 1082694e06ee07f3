#pragma once

#include "result.h"

#include <QObject>

#include <functional>

class QSocketNotifier;

namespace shoal {

// Watches the descriptors of running workers in one epoll set: a pidfd says its process exited,
// a service worker's stdout has answers, its stdin has room. Each registration carries the slot
// number and the slot's generation, so an event of a slot that was replaced meanwhile is told
// apart (the caller drops it). The event loop sees one descriptor for all of them.
class ProcessWatcher
{
public:
    enum class Kind : quint8 { Exited, Readable, Writable };
    struct Tag
    {
        int slot = 0;
        quint32 generation = 0;
        Kind kind = Kind::Exited;
    };

    ProcessWatcher() = default;
    ~ProcessWatcher();
    ProcessWatcher(const ProcessWatcher &) = delete;
    ProcessWatcher &operator=(const ProcessWatcher &) = delete;

    // ready() runs from the event loop of parent's thread whenever something is ready.
    Result<void> open(QObject *parent, std::function<void()> ready);
    bool isOpen() const { return m_epollFd >= 0; }

    void watch(int fd, Tag tag); // Exited, Readable: readable; Writable: writable
    // Before close(fd): a closed descriptor whose file a child still holds stays in the set.
    void unwatch(int fd);
    // Calls handle(tag) for every ready registration, until none is ready.
    void takeReady(const std::function<void(const Tag &)> &handle);

    // A number no other slot of this process had: a window may run two pools at once.
    static quint32 nextGeneration();

private:
    int m_epollFd = -1;
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace shoal
