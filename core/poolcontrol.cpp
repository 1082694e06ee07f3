// Steering a running pool: pause and resume (the pool or one worker), resize with a drain
// policy, cancel and retry.

#include "pool.h"

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

bool Pool::hasProcess(const WorkerSlot &slot) const
{
    return slot.process.isLive() || m_launching->runsElsewhere(slot);
}

void Pool::freeze(WorkerSlot &slot)
{
    if (!hasProcess(slot) || slot.process.isFrozen())
        return;
    if (slot.process.isLive())
        slot.process.stop();
    else
        m_launching->holdTask(slot, true);
    slot.accumulatedMs += now() - slot.segmentStartMs;
    slot.process.setFrozen(true);
    setTaskState(slot, TaskState::Paused, Event::Type::TaskPaused);
}

void Pool::thaw(WorkerSlot &slot)
{
    if (!hasProcess(slot) || !slot.process.isFrozen() || isFrozen(slot))
        return;
    if (slot.process.isLive())
        slot.process.cont();
    else
        m_launching->holdTask(slot, false);
    slot.segmentStartMs = now();
    slot.process.setFrozen(false);
    setTaskState(slot, TaskState::Running, Event::Type::TaskResumed);
}

// The task of a one-process-per-task slot is paused or running with its process (tasks in a
// service worker's pipe stay as they are: the worker is shown paused).
void Pool::setTaskState(const WorkerSlot &slot, TaskState state, Event::Type type)
{
    if (slot.task < 0)
        return;
    m_ledger[slot.task].state = state;
    Event &e = post(type);
    e.task = slot.task;
    e.slot = slot.number;
}

void Pool::pause()
{
    setPoolPaused(true);
}

void Pool::resume()
{
    setPoolPaused(false);
}

void Pool::setPoolPaused(bool paused)
{
    if (!m_started || m_paused == paused)
        return;
    m_paused = paused;
    m_launching->poolPaused(paused);
    for (auto &s : m_slots) {
        if (s && hasProcess(*s)) {
            paused ? freeze(*s) : thaw(*s);
            postWorker(*s);
        }
    }
    armDeadlines();
    postStats(paused ? Event::Type::PoolPaused : Event::Type::PoolResumed);
    dispatch();
}

void Pool::holdTask(TaskId id, bool stopped)
{
    if (!m_ledger.contains(id) || !TaskLedger::isRunning(m_ledger[id].state))
        return;
    WorkerSlot *slot = slotAt(m_ledger[id].slot);
    if (!slot || slot->task != id)
        return;
    stopped ? freeze(*slot) : thaw(*slot);
    armDeadlines();
    postWorker(*slot);
}

void Pool::pauseWorker(int number)
{
    setWorkerPaused(number, true);
}

void Pool::resumeWorker(int number)
{
    setWorkerPaused(number, false);
}

void Pool::setWorkerPaused(int number, bool paused)
{
    WorkerSlot *slot = slotAt(number);
    if (!slot || slot->paused == paused)
        return;
    slot->paused = paused;
    paused ? freeze(*slot) : thaw(*slot);
    armDeadlines();
    postWorker(*slot);
    dispatch();
}

void Pool::resize(int workers)
{
    resizeWith(workers, m_options.drain);
}

void Pool::resizeWith(int workers, DrainPolicy policy)
{
    if (!m_started)
        return;
    workers = qBound(0, workers, 100000);
    m_targetSize = workers;
    const int active = activeSlotCount();
    if (workers > active)
        growTo(workers);
    else if (workers < active)
        shrinkTo(workers, policy);
    postStats(Event::Type::PoolResized);
    dispatch();
}

Result<void> Pool::resizeHost(const QString &host, int workers, DrainPolicy policy)
{
    const int index = m_launching->hostIndex(host);
    if (index < 0) {
        const QString why = m_options.hosts.isValid()
            ? u"resize: no worker host '%1' in this batch"_s.arg(host)
            : u"resize: this batch runs on this machine only: it has no worker hosts"_s;
        message(why); // for whoever watches, as well as the caller
        return Error { why };
    }
    if (!m_started)
        return {};
    workers = qBound(0, workers, HostSpec::kMaxWorkers);
    const int active = activeSlotCount(index);
    m_launching->setHostWorkers(index, workers);
    m_targetSize = qBound(0, m_targetSize + workers - active, 100000);
    if (workers > active)
        takeBack(workers - active, index); // new slots go to the host with most room for its share
    else if (workers < active)
        shrinkBy(active - workers, policy, index);
    postStats(Event::Type::PoolResized);
    dispatch();
    return {};
}

bool Pool::isOnHost(const WorkerSlot &slot, int host) const
{
    return host < 0 || m_launching->hostIndexOf(slot) == host;
}

// Parked and draining workers are taken back before new ones start; more slots are made by
// dispatch(), for the queued tasks only.
void Pool::growTo(int workers)
{
    takeBack(workers - activeSlotCount(), -1);
}

void Pool::takeBack(int wanted, int host)
{
    int taken = 0;
    for (auto &s : m_slots) {
        if (taken == wanted)
            break;
        if (s && isOnHost(*s, host) && !m_launching->isExiting(*s)
            && (s->parked || (s->draining && s->endReason != EndReason::Requeue))) {
            s->parked = false;
            s->draining = false;
            thaw(*s);
            postWorker(*s);
            ++taken;
        }
    }
}

void Pool::shrinkTo(int workers, DrainPolicy policy)
{
    shrinkBy(activeSlotCount() - workers, policy, -1);
}

// Idle workers go first (the newest first); then busy ones, by the policy: let their tasks
// finish, requeue the youngest tasks, or park the workers with their tasks frozen.
void Pool::shrinkBy(int surplus, DrainPolicy policy, int host)
{
    for (auto it = m_slots.rbegin(); it != m_slots.rend() && surplus > 0; ++it) {
        WorkerSlot *s = it->get();
        if (s && isOnHost(*s, host) && !s->parked && !s->draining && !m_launching->isBusy(*s)) {
            --surplus;
            if (m_launching->retireIdle(*s)) {
                removeSlot(s->number);
            } else {
                s->draining = true;
                postWorker(*s);
            }
        }
    }
    std::vector<WorkerSlot *> busy;
    for (auto &s : m_slots) {
        if (s && isOnHost(*s, host) && !s->parked && !s->draining && m_launching->isBusy(*s))
            busy.push_back(s.get());
    }
    auto youngest = [&](const WorkerSlot *s) {
        const TaskId newest = m_launching->newestTask(*s);
        return newest < 0 ? qint64(0) : m_ledger[newest].startedMs;
    };
    if (policy == DrainPolicy::Requeue) {
        std::stable_sort(busy.begin(), busy.end(),
                         [&](WorkerSlot *a, WorkerSlot *b) { return youngest(a) > youngest(b); });
    } else {
        std::reverse(busy.begin(), busy.end());
    }
    for (WorkerSlot *s : busy) {
        if (surplus-- <= 0)
            break;
        switch (policy) {
        case DrainPolicy::Finish:
            s->draining = true;
            break;
        case DrainPolicy::Requeue:
            s->draining = true;
            m_launching->requeueRunning(*s);
            break;
        case DrainPolicy::Pause:
            s->parked = true;
            freeze(*s);
            break;
        }
        postWorker(*s);
    }
    armDeadlines();
}

void Pool::cancelTask(TaskId id)
{
    if (!m_ledger.contains(id))
        return;
    const TaskLedger::Record &t = m_ledger[id];
    if (TaskLedger::isWaiting(t.state)) {
        m_ledger.settle(id, ExitStatus::cancelled(0), false);
        openBatch().finished.push_back({ id, t.slot, t.attempts, t.state, -1, t.exit, 0, 0, 0 });
        checkFinished();
    } else if (TaskLedger::isRunning(t.state)) {
        m_launching->cancelRunning(id);
    }
}

void Pool::cancelWorkerTask(int number)
{
    if (const WorkerSlot *slot = slotAt(number)) {
        for (TaskId id : m_launching->tasksOn(*slot))
            cancelTask(id);
    }
}

void Pool::cancelAll()
{
    if (!m_started || m_finished)
        return;
    stopDispatching(true);
    checkFinished();
}

void Pool::retryTask(TaskId id)
{
    if (!m_ledger.contains(id) || !m_ledger.reopen(id))
        return;
    m_stopping = false;
    m_halted = false;
    m_haltExitStatus = 0;
    if (m_finished) {
        m_finished = false;
        m_statsTimer.start();
    }
    Event &e = post(Event::Type::TaskRequeued);
    e.task = id;
    dispatch();
}

void Pool::retryFailed()
{
    for (TaskId id = 0; id < m_ledger.size(); ++id) {
        const TaskState state = m_ledger[id].state;
        if (state == TaskState::Failed || state == TaskState::TimedOut)
            retryTask(id);
    }
}

} // namespace shoal
