#include "signalwatcher.h"

#include <QSocketNotifier>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace shoal {

namespace {

int g_pipe[2] = { -1, -1 };
struct sigaction g_previous[NSIG];
std::atomic<int> g_count { 0 }; // lock-free: safe in a handler
static_assert(std::atomic<int>::is_always_lock_free);

void onSignal(int sig)
{
    const int saved = errno;
    g_count.fetch_add(1, std::memory_order_relaxed);
    const char byte = char(sig);
    [[maybe_unused]] const auto n = ::write(g_pipe[1], &byte, 1);
    errno = saved;
}

} // namespace

int SignalWatcher::count()
{
    return g_count.load(std::memory_order_relaxed);
}

SignalWatcher::WaitEnd SignalWatcher::waitReadable(pollfd *fds, size_t n,
                                                   const QDeadlineTimer &deadline, int seen,
                                                   const std::function<bool()> &givenUp)
{
    constexpr qint64 kSliceMs = 100;
    for (;;) {
        if (isInterrupted(seen, givenUp))
            return WaitEnd::Interrupted;
        if (deadline.hasExpired())
            return WaitEnd::TimedOut;
        if (::poll(fds, nfds_t(n), int(qMin(deadline.remainingTime(), kSliceMs))) > 0)
            return WaitEnd::Ready; // else a slice gone, or a signal: look at both again
    }
}

SignalWatcher::SignalWatcher(std::initializer_list<int> watched, QObject *parent)
    : QObject(parent)
    , m_signals(watched)
{
    Q_ASSERT_X(g_pipe[0] < 0, "SignalWatcher", "one per process at a time");
    if (g_pipe[0] >= 0 || ::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sa.sa_flags = SA_RESTART;
    for (int sig : m_signals)
        sigaction(sig, &sa, &g_previous[sig]);
    m_notifier = new QSocketNotifier(g_pipe[0], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] {
        // Signals that arrive together (a closing terminal may send two SIGHUPs) count once.
        char sig = 0, first = 0;
        while (::read(g_pipe[0], &sig, 1) == 1) {
            if (!first)
                first = sig;
        }
        if (first)
            Q_EMIT received(int(first));
    });
}

SignalWatcher::~SignalWatcher()
{
    if (!m_notifier)
        return;
    for (int sig : m_signals)
        sigaction(sig, &g_previous[sig], nullptr);
    delete m_notifier;
    ::close(g_pipe[0]);
    ::close(g_pipe[1]);
    g_pipe[0] = g_pipe[1] = -1;
}

} // namespace shoal
