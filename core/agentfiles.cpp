// AgentLaunching's files through the link: GNU parallel's --transferfile (to the far host, a
// part at a time as the link takes them, each task's Run after its files) and --return (back
// from it, before the task's Finished).

#include "agentlaunching.h"

#include "pool.h"
#include "taskledger.h"

#include <algorithm>
#include <cerrno>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {
// What the link's buffer holds of files before more is read: a large file never sits whole in
// memory, and the pipe to the transport never runs dry while one is sent.
constexpr qsizetype kSendAheadBytes = 4 << 20;
} // namespace

QStringList AgentLaunching::pathsOf(const std::vector<CommandTemplate> &patterns, TaskId id,
                                    int slot) const
{
    QStringList paths;
    const qint64 seq = m_host.ledger().seqOf(id);
    for (const CommandTemplate &t : patterns)
        paths << t.expand(m_inputs.at(seq - 1), seq, slot).front();
    return paths;
}

void AgentLaunching::sendRun(WorkerSlot &slot, Host &host, TaskId id)
{
    const qint64 seq = m_host.ledger().seqOf(id);
    const bool far = !host.spec.isLocal(); // this machine's agent works in our folder
    agent::Run run { id, m_template.expand(m_inputs.at(seq - 1), seq, slot.number),
                     far ? pathsOf(m_returns, id, slot.number) : QStringList(),
                     m_spec.cleanup && far };
    const QStringList transfers = far ? pathsOf(m_transfers, id, slot.number) : QStringList();
    if (transfers.isEmpty()) {
        send(host, run);
        return;
    }
    OutgoingFiles files;
    if (auto opened = files.open(id, transfers); !opened) {
        const int err = errno ? errno : EIO;
        AttemptOutput output;
        output.err = u"shoal: --transferfile: %1\n"_s.arg(opened.error()).toLocal8Bit();
        concludeAttempt(m_host, slot, ExitStatus::failedToStart(err), std::move(output), 0);
        return;
    }
    host.sending.push_back({ std::move(files), std::move(run), false });
    sendFileParts(host);
}

void AgentLaunching::sendFileParts(Host &host)
{
    while (!host.sending.empty() && host.unsent() < kSendAheadBytes) {
        Sending &s = host.sending.front();
        agent::File part;
        auto more = s.files.next(part);
        if (!more) { // read failed: the task fails to start, as when a file cannot be opened
            const int err = errno ? errno : EIO;
            if (s.files.hasStarted())
                send(host, s.files.abandonPart());
            const TaskId id = s.run.task;
            host.sending.pop_front();
            finishLater(host, id, ExitStatus::failedToStart(err),
                        u"shoal: --transferfile: %1\n"_s.arg(more.error()).toLocal8Bit());
            continue;
        }
        if (*more) {
            send(host, part);
            continue;
        }
        send(host, s.run);
        if (s.held)
            send(host, agent::Hold { s.run.task, true });
        host.sending.pop_front();
    }
}

std::deque<AgentLaunching::Sending>::iterator AgentLaunching::unsentOf(Host &host, TaskId id)
{
    return std::find_if(host.sending.begin(), host.sending.end(),
                        [id](const Sending &s) { return s.run.task == id; });
}

bool AgentLaunching::dropUnsent(Host &host, TaskId id)
{
    const auto it = unsentOf(host, id);
    if (it == host.sending.end())
        return false;
    if (it->files.hasStarted()) // only the front is ever on its way
        send(host, it->files.abandonPart());
    host.sending.erase(it);
    finishLater(host, id, ExitStatus::cancelled(0));
    return true;
}

bool AgentLaunching::holdUnsent(Host &host, TaskId id, bool stopped)
{
    const auto it = unsentOf(host, id);
    if (it == host.sending.end())
        return false;
    it->held = stopped;
    return true;
}

void AgentLaunching::finishLater(Host &host, TaskId id, ExitStatus exit, QByteArray err)
{
    const quint16 attempts = m_host.ledger()[id].attempts;
    QMetaObject::invokeMethod(
        m_host.context(),
        [this, index = host.index, generation = host.generation, id, attempts, exit,
         err = std::move(err)] {
            Host &h = *m_hosts[size_t(index)];
            if (h.generation != generation || h.lost || m_host.ledger()[id].attempts != attempts)
                return; // its host was lost (the task requeued or ended), or it ended already
            if (!err.isEmpty())
                h.received[id].output.err += err;
            finish(h, agent::Finished { id, exit, 0 });
            m_host.continueWork();
        },
        Qt::QueuedConnection);
}

void AgentLaunching::receiveReturn(Host &host, const agent::File &file)
{
    WorkerSlot *slot = slotRunning(host, file.task);
    if (!slot)
        return;
    const QStringList expected = pathsOf(m_returns, file.task, slot->number);
    if (std::none_of(expected.begin(), expected.end(),
                     [&](const QString &p) { return transferTarget(p) == file.path; })) {
        lose(host, u"its agent sent back a file Shoal did not ask for ('%1')"_s.arg(file.path));
        return;
    }
    Received &r = host.received[file.task];
    if (r.output.lost)
        return;
    if (auto written = host.returned.write(file, file.path); !written) {
        r.output.lost = errno ? errno : EIO; // the task fails: what it made is not all here
        m_host.message(
            u"task %1: --return: %2"_s.arg(m_host.ledger().seqOf(file.task)).arg(written.error()));
    }
}

} // namespace shoal
