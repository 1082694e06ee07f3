#pragma once

#include <QDeadlineTimer>
#include <QObject>

#include <functional>
#include <initializer_list>
#include <vector>

class QSocketNotifier;
struct pollfd;

namespace shoal {

// Termination signals (SIGINT, SIGTERM, SIGHUP) as a Qt signal on the event loop, through a
// self-pipe: the handler only writes a byte, everything else runs as ordinary code. One per
// process at a time; the previous handlers come back when it is destroyed.
class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(std::initializer_list<int> watched, QObject *parent = nullptr);
    ~SignalWatcher() override;
    bool isValid() const { return m_notifier != nullptr; }
    // How many watched signals have come so far: a wait that cannot return to the event loop
    // (a worker host's first answer, a Slurm allocation) ends when this changes.
    static int count();

    // Such a wait: until one of fds is readable (Ready), the deadline passes (TimedOut), or a
    // watched signal comes after `seen` (a count()) or givenUp() holds: Interrupted. It polls
    // in slices, so that Ctrl-C (or a window closed meanwhile) is seen within 100 ms.
    enum class WaitEnd : quint8 { Ready, TimedOut, Interrupted };
    static WaitEnd waitReadable(pollfd *fds, size_t n, const QDeadlineTimer &deadline, int seen,
                                const std::function<bool()> &givenUp = {});
    // waitReadable()'s Interrupted: a watched signal since `seen`, or givenUp() holds.
    static bool isInterrupted(int seen, const std::function<bool()> &givenUp)
    {
        return count() != seen || (givenUp && givenUp());
    }

Q_SIGNALS:
    void received(int signal);

private:
    QSocketNotifier *m_notifier = nullptr;
    std::vector<int> m_signals;
};

} // namespace shoal
