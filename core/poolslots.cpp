// The pool's worker slots: made as queued tasks need them, within the descriptor budget, and
// removed when they leave.

#include "pool.h"

#include "fileio.h"
#include "processtree.h"

#include <QDir>

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <limits>
#include <sys/resource.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

// Slots the descriptor limit leaves room for: each holds what its launching needs (perSlot) and
// a task cgroup two more, after what is open now and a reserve for the joblog, results, outputs
// waiting for their turn, control clients and the launcher.
int slotBudget(int perSlot, bool cgroups)
{
    rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return std::numeric_limits<int>::max();
    qint64 open = 0;
    if (DIR *dir = ::opendir("/proc/self/fd")) {
        while (const dirent *entry = ::readdir(dir))
            open += entry->d_name[0] != '.';
        ::closedir(dir);
    } else {
        open = 64;
    }
    const qint64 reserve = 32 + qint64(limit.rlim_cur) / 16;
    const qint64 per = perSlot + (cgroups ? 2 : 0); // a cell: its folder and procs
    const qint64 room = (qint64(qMin<rlim_t>(limit.rlim_cur, 1 << 30)) - open - reserve) / per;
    return int(qBound(qint64(1), room, qint64(std::numeric_limits<int>::max())));
}

} // namespace

WorkerSlot *Pool::addSlot()
{
    auto slot = std::make_unique<WorkerSlot>();
    if (!slot->capture.isValid())
        return nullptr; // out of descriptors, or no room for scratch files: errno says which
    slot->generation = ProcessWatcher::nextGeneration();
    // Holes are left by removed slots; without one the new slot goes at the end (no scan).
    auto hole = m_slotCount == int(m_slots.size())
        ? m_slots.end()
        : std::find(m_slots.begin(), m_slots.end(), nullptr);
    if (hole == m_slots.end())
        hole = m_slots.insert(m_slots.end(), nullptr);
    slot->number = int(hole - m_slots.begin()) + 1;
    *hole = std::move(slot);
    ++m_slotCount;
    m_launching->slotAdded(**hole);
    postWorker(**hole);
    return hole->get();
}

void Pool::removeSlot(int number)
{
    auto &slot = m_slots[size_t(number) - 1];
    Q_ASSERT(slot && slot->task < 0 && !slot->process.isLive());
    slot.reset();
    --m_slotCount;
    while (!m_slots.empty() && !m_slots.back())
        m_slots.pop_back();
    post(Event::Type::WorkerRemoved).slot = number;
}

void Pool::slotSettled(WorkerSlot &slot)
{
    m_throughput.sample(now(), m_ledger.ended());
    if (slot.draining || slot.parked)
        removeSlot(slot.number);
    else
        postWorker(slot);
}

// Slots are made only for queued tasks that no idle slot can take, up to the target size and
// the descriptor budget: each slot holds two scratch files from its first task on, so -j 100000
// with two inputs makes two slots, and the surplus of the target simply idles (never made).
// At most kSlotsPerPass are made per pass of the event loop, so that a large resize keeps the
// loop (and the control socket) responsive while the pool grows.
void Pool::growSlots()
{
    if (m_slotCount >= m_targetSize || !m_ledger.hasQueued())
        return;
    if (m_slotBudget == 0)
        m_slotBudget
            = slotBudget(m_launching->descriptorsPerSlot(), !m_tree->cgroupPath().isEmpty());
    int active = 0;
    qint64 idle = 0;
    for (const auto &s : m_slots) {
        if (!s || s->parked || s->draining)
            continue;
        ++active;
        idle += !m_launching->isBusy(*s) && !s->paused && !s->crashed
            && s->endReason == EndReason::None;
    }
    qint64 wanted = m_ledger.queuedCount() - idle;
    for (int made = 0; active < m_targetSize && wanted > 0; ++made, ++active, --wanted) {
        if (m_slotCount >= m_slotBudget) {
            if (!std::exchange(m_budgetReported, true))
                message(u"only %1 of the %2 workers can run at once within the limit on open files "
                        "(ulimit -n): the others stay idle"_s.arg(m_slotBudget)
                            .arg(m_targetSize));
            return;
        }
        if (made == kSlotsPerPass) {
            if (!std::exchange(m_growPending, true)) {
                QMetaObject::invokeMethod(
                    this,
                    [this] {
                        m_growPending = false;
                        dispatch();
                    },
                    Qt::QueuedConnection);
            }
            return;
        }
        if (!addSlot()) {
            reportSlotLimit(errno);
            return;
        }
    }
}

// What the budget did not foresee (other descriptors, a full TMPDIR): what runs now is the real
// budget. With no slot at all, nothing could ever run: fail, not hang.
void Pool::reportSlotLimit(int error)
{
    m_slotBudget = m_slotCount;
    if (m_slotCount == 0) {
        failUnserved(u"cannot create the output files of a worker in '%1': %2"_s.arg(
            QDir::tempPath(), errnoText(error)));
    } else if (!std::exchange(m_budgetReported, true)) {
        message(u"only %1 of the %2 workers can run at once: cannot create more output "
                "files in '%3': %4"_s.arg(m_slotCount)
                    .arg(m_targetSize)
                    .arg(QDir::tempPath(), errnoText(error)));
    }
}

int Pool::activeSlotCount(int host) const
{
    return int(std::count_if(m_slots.begin(), m_slots.end(), [&](const auto &s) {
        return s && !s->parked && !s->draining && isOnHost(*s, host);
    }));
}

} // namespace shoal
