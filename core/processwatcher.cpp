#include "processwatcher.h"

#include "fileio.h"

#include <QSocketNotifier>

#include <atomic>
#include <cerrno>
#include <sys/epoll.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

// data.u64 = generation << 32 | kind << 24 | slot number (23 bits; bit 23: a worker host's
// registration, slot -(host + 1))
constexpr quint64 kHostBit = 1u << 23;

quint64 encode(const ProcessWatcher::Tag &tag)
{
    const quint64 slot = tag.slot < 0 ? quint64(-qint64(tag.slot)) | kHostBit : quint64(tag.slot);
    return slot | (quint64(tag.kind) << 24) | (quint64(tag.generation) << 32);
}

ProcessWatcher::Tag decode(quint64 data)
{
    const int slot = int(data & (kHostBit - 1));
    return { data & kHostBit ? -slot : slot, quint32(data >> 32),
             ProcessWatcher::Kind((data >> 24) & 0xff) };
}

} // namespace

ProcessWatcher::~ProcessWatcher()
{
    delete m_notifier;
    if (m_epollFd >= 0)
        ::close(m_epollFd);
}

Result<void> ProcessWatcher::open(QObject *parent, std::function<void()> ready)
{
    m_epollFd = epoll_create1(EPOLL_CLOEXEC);
    if (m_epollFd < 0)
        return Error { u"cannot create the process watcher: %1"_s.arg(errnoText(errno)) };
    m_notifier = new QSocketNotifier(m_epollFd, QSocketNotifier::Read, parent);
    QObject::connect(m_notifier, &QSocketNotifier::activated, parent, std::move(ready));
    return {};
}

void ProcessWatcher::watch(int fd, Tag tag)
{
    epoll_event ev {};
    ev.events = tag.kind == Kind::Writable ? EPOLLOUT : EPOLLIN;
    ev.data.u64 = encode(tag);
    epoll_ctl(m_epollFd, EPOLL_CTL_ADD, fd, &ev);
}

void ProcessWatcher::unwatch(int fd)
{
    if (fd >= 0 && m_epollFd >= 0)
        epoll_ctl(m_epollFd, EPOLL_CTL_DEL, fd, nullptr);
}

void ProcessWatcher::takeReady(const std::function<void(const Tag &)> &handle)
{
    epoll_event events[64];
    int n;
    do {
        n = epoll_wait(m_epollFd, events, 64, 0);
        for (int i = 0; i < n; ++i)
            handle(decode(events[i].data.u64));
    } while (n == 64);
}

quint32 ProcessWatcher::nextGeneration()
{
    static std::atomic<quint32> generation = 0;
    return ++generation;
}

} // namespace shoal
