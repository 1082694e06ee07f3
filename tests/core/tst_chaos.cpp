// Chaos: a seeded monkey SIGKILLs task processes, their groups and service workers, pauses,
// resumes and resizes the pool at random while a batch runs. Whatever it does, every task must
// end exactly once (DESIGN.md section 4), the joblog must agree with the pool, and no process may
// be left behind. Only outcomes are asserted, never timings: the monkey's actions are paced by a
// timer and by the batch's progress, so that it acts throughout the run on a fast machine and on
// a slow, sanitized one alike.
//
// SHOAL_CHAOS_SEED=N reruns a failing case with the seed it printed.
#include "joblog.h"
#include "pool.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <csignal>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;
using namespace shoal::test;

namespace {

const QString kDoubleWorker = QStringLiteral(SHOAL_DOUBLE_WORKER);

constexpr int kMaxActions = 300;
constexpr int kMaxMonkeyMs = 20000;
constexpr int kMaxWorkers = 16;

quint32 chaosSeed(quint32 fallback)
{
    bool ok = false;
    const quint32 seed = qEnvironmentVariable("SHOAL_CHAOS_SEED").toUInt(&ok);
    return ok ? seed : fallback;
}

// numbers() comes from testsupport.h

// Acts on the pool at random, a bounded number of times within a bounded time, then leaves it
// able to finish: resumed, at full size (which also unparks workers a Pause drain parked).
class Monkey : public QObject
{
public:
    enum Action { KillTask, KillGroup, TogglePause, Resize, ActionCount };

    Monkey(Pool &pool, quint32 seed, QList<Action> actions)
        : m_pool(pool)
        , m_random(seed)
        , m_actions(std::move(actions))
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            act();
            rearm();
        });
    }

    void start(int minIntervalMs, int maxIntervalMs)
    {
        m_minMs = minIntervalMs;
        m_maxMs = maxIntervalMs;
        m_clock.start();
        rearm();
    }

    // Also called as the batch progresses, so that a run faster than the timer still sees
    // the monkey throughout.
    void act()
    {
        if (m_done)
            return;
        if (m_count >= kMaxActions || m_clock.elapsed() > kMaxMonkeyMs || m_pool.isFinished()) {
            stop();
            return;
        }
        ++m_count;
        switch (m_actions[int(m_random.bounded(qsizetype(m_actions.size())))]) {
        case KillTask:
            kill(false);
            break;
        case KillGroup:
            kill(true);
            break;
        case TogglePause:
            if (m_pool.isPaused()) {
                m_pool.resume();
            } else {
                m_pool.pause();
                ++pauses;
            }
            break;
        case Resize: {
            const int size = int(m_random.bounded(1, kMaxWorkers + 1));
            const auto policy = DrainPolicy(m_random.bounded(3));
            m_pool.resizeWith(size, policy);
            ++resizes;
            break;
        }
        case ActionCount:
            break;
        }
    }

    void stop()
    {
        if (m_done)
            return;
        m_done = true;
        m_timer.stop();
        if (m_pool.isFinished())
            return;
        if (m_pool.isPaused())
            m_pool.resume();
        m_pool.resizeWith(kMaxWorkers, DrainPolicy::Finish);
    }

    int actions() const { return m_count; }

    int kills = 0;
    int groupKills = 0;
    int pauses = 0;
    int resizes = 0;

private:
    void rearm()
    {
        if (!m_done)
            m_timer.start(int(m_random.bounded(m_minMs, m_maxMs + 1)));
    }

    // The snapshot is taken on the pool's own thread: a pid in it is alive or an unreaped
    // zombie, never a recycled pid, until the event loop runs again.
    void kill(bool group)
    {
        QList<qint64> pids;
        for (const WorkerInfo &w : m_pool.snapshot().workers) {
            if (w.pid > 0)
                pids << w.pid;
        }
        if (pids.isEmpty())
            return;
        const qint64 pid = pids[int(m_random.bounded(qsizetype(pids.size())))];
        if (::kill(pid_t(group ? -pid : pid), SIGKILL) == 0)
            ++(group ? groupKills : kills);
    }

    Pool &m_pool;
    QRandomGenerator m_random;
    QList<Action> m_actions;
    QTimer m_timer;
    QElapsedTimer m_clock;
    int m_minMs = 5, m_maxMs = 40;
    int m_count = 0;
    bool m_done = false;
};

// Terminal outcomes per task, from the events alone.
struct Ledger
{
    QHash<TaskId, int> ends;
    QHash<TaskId, TaskState> state;
    QHash<TaskId, ExitStatus> exit;
    QHash<TaskId, QByteArray> text; // service: the result or the failure's reason
    qint64 attemptsStarted = 0;

    explicit Ledger(const EventRecorder &rec)
    {
        attemptsStarted = rec.startCount();
        for (const TaskEnd &end : rec.ends()) {
            if (isTerminal(end.state))
                add(end.task, end.state, end.exit, end.text);
        }
    }

    void add(TaskId id, TaskState s, const ExitStatus &x, const QByteArray &t)
    {
        ++ends[id];
        state[id] = s;
        exit[id] = x;
        text[id] = t;
    }

    qint64 lost(qint64 tasks) const
    {
        qint64 n = 0;
        for (TaskId id = 0; id < tasks; ++id)
            n += !ends.contains(id);
        return n;
    }

    qint64 duplicates() const
    {
        qint64 n = 0;
        for (int count : ends)
            n += count > 1;
        return n;
    }
};

struct JoblogRows
{
    QHash<qint64, int> rowsPerSeq;
    qint64 succeeded = 0, failed = 0, rows = 0;
    QString error;
};

// Counted by hand, not with readJoblog(), so that a duplicated row cannot hide in its hash.
JoblogRows readRows(const QString &path)
{
    JoblogRows r;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        r.error = u"cannot open the joblog"_s;
        return r;
    }
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (qsizetype i = 1; i < lines.size(); ++i) { // line 0 is the header
        if (lines[i].isEmpty())
            continue;
        const QList<QByteArray> cols = lines[i].split('\t');
        if (cols.size() < 9) {
            r.error = u"joblog line %1 has %2 columns"_s.arg(i + 1).arg(cols.size());
            return r;
        }
        ++r.rows;
        ++r.rowsPerSeq[cols[0].toLongLong()];
        const bool ok = cols[6] == "0" && cols[7] == "0";
        ++(ok ? r.succeeded : r.failed);
    }
    return r;
}

void report(const char *what, quint32 seed, qint64 tasks, qint64 attempts, const Monkey &monkey,
            qint64 lost, qint64 duplicates, const PoolStats &s)
{
    qInfo("%s (seed %u): %lld tasks, %lld attempts run; monkey: %d actions, %d kills, %d group "
          "kills, "
          "%d pauses, %d resizes; outcome: %lld succeeded, %lld failed, %lld lost, %lld duplicates",
          what, seed, tasks, attempts, monkey.actions(), monkey.kills, monkey.groupKills,
          monkey.pauses, monkey.resizes, s.succeeded, s.failed, lost, duplicates);
}

} // namespace

class TestChaos : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { becomeSubreaper(); }
    void cleanup();
    void commandPoolUnderFire();
    void servicePoolUnderFire();

private:
    QTemporaryDir m_dir;
};

void TestChaos::cleanup()
{
    const QStringList left = waitForNoChildren(10000);
    QVERIFY2(left.isEmpty(), qPrintable(u"processes left behind: "_s + left.join(u", "_s)));
}

void TestChaos::commandPoolUnderFire()
{
    constexpr int kTasks = 2000;
    const quint32 seed = chaosSeed(20240611);
    const QString joblog = m_dir.filePath(u"command.joblog"_s);
    PoolOptions o;
    o.workers = kMaxWorkers;
    o.attempts = 3;
    o.termGraceMs = 200; // a Requeue drain's TERM, for a worker frozen by a pause
    o.joblogPath = joblog;
    o.keepOutputBytes = 0;
    auto parsed
        = CommandTemplate::parse({ worker(), u"--sleep"_s, u"0.01"_s, u"--tag"_s, u"{}"_s }, false);
    QVERIFY(parsed.ok());
    auto pool = std::make_unique<Pool>(*parsed, numbers(kTasks), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);

    Monkey monkey(*pool, seed,
                  { Monkey::KillTask, Monkey::KillGroup, Monkey::TogglePause, Monkey::Resize });
    qint64 nextStep = 0;
    connect(pool.get(), &Pool::eventsReady, &monkey, [&] {
        const PoolStats s = pool->stats();
        while (s.succeeded + s.failed >= nextStep) { // one action per 1% of the batch at least
            monkey.act();
            nextStep += kTasks / 100;
        }
    });
    QVERIFY(pool->start().ok());
    monkey.start(5, 40);
    QVERIFY2(done.wait(180000) || pool->isFinished(), "the pool hung under fire");
    monkey.stop();

    const PoolStats s = pool->stats();
    const Ledger ledger(rec);
    const qint64 lost = ledger.lost(kTasks), duplicates = ledger.duplicates();
    report("command pool", seed, kTasks, ledger.attemptsStarted, monkey, lost, duplicates, s);

    QCOMPARE(lost, 0);
    QCOMPARE(duplicates, 0);
    QCOMPARE(ledger.ends.size(), kTasks);
    QCOMPARE(s.succeeded + s.failed, qint64(kTasks));
    QCOMPARE(s.cancelled, 0);
    QCOMPARE(s.running, 0);
    QCOMPARE(s.queued, 0);
    QVERIFY(monkey.kills + monkey.groupKills > 0);
    // Only the monkey's SIGKILLs fail a task, and only once it has used all its attempts.
    const PoolSnapshot snap = pool->snapshot();
    qint64 failed = 0;
    for (auto it = ledger.state.cbegin(); it != ledger.state.cend(); ++it) {
        const TaskId id = it.key();
        QCOMPARE(snap.tasks[size_t(id)].state, it.value());
        if (it.value() == TaskState::Succeeded)
            continue;
        ++failed;
        QCOMPARE(it.value(), TaskState::Failed);
        const ExitStatus &x = ledger.exit[id];
        QVERIFY2(x.kind == ExitStatus::Kind::Signaled && x.signal == SIGKILL,
                 qPrintable(u"task %1 failed with %2"_s.arg(id).arg(x.describe())));
        QCOMPARE(snap.tasks[size_t(id)].attempts, 3);
    }
    QCOMPARE(failed, s.failed);

    const JoblogRows rows = readRows(joblog);
    QVERIFY2(rows.error.isEmpty(), qPrintable(rows.error));
    QCOMPARE(rows.rows, qint64(kTasks));
    QCOMPARE(rows.rowsPerSeq.size(), kTasks);
    for (auto it = rows.rowsPerSeq.cbegin(); it != rows.rowsPerSeq.cend(); ++it)
        QVERIFY2(it.value() == 1,
                 qPrintable(u"Seq %1 has %2 joblog rows"_s.arg(it.key()).arg(it.value())));
    QCOMPARE(rows.succeeded, s.succeeded);
    QCOMPARE(rows.failed, s.failed);
}

void TestChaos::servicePoolUnderFire()
{
    constexpr int kTasks = 20000;
    const quint32 seed = chaosSeed(20240612);
    const QString joblog = m_dir.filePath(u"service.joblog"_s);
    PoolOptions o;
    o.workers = kMaxWorkers;
    o.attempts = 3;
    o.joblogPath = joblog;
    o.keepOutputBytes = 0;
    o.service.program = { kDoubleWorker };
    o.service.mode = ServiceSpec::Mode::Json;
    auto pool = std::make_unique<Pool>(CommandTemplate(), numbers(kTasks), o);
    EventRecorder rec(*pool);
    QSignalSpy done(pool.get(), &Pool::finished);

    Monkey monkey(*pool, seed, { Monkey::KillTask });
    qint64 nextStep = 0;
    connect(pool.get(), &Pool::eventsReady, &monkey, [&] {
        const PoolStats s = pool->stats();
        while (s.succeeded + s.failed >= nextStep) {
            monkey.act();
            nextStep += kTasks / 200;
        }
    });
    QVERIFY(pool->start().ok());
    monkey.start(1, 10);
    QVERIFY2(done.wait(180000) || pool->isFinished(), "the pool hung under fire");
    monkey.stop();

    const PoolStats s = pool->stats();
    const Ledger ledger(rec);
    const qint64 lost = ledger.lost(kTasks), duplicates = ledger.duplicates();
    report("service pool", seed, kTasks, ledger.attemptsStarted, monkey, lost, duplicates, s);

    QCOMPARE(lost, 0);
    QCOMPARE(duplicates, 0);
    QCOMPARE(s.succeeded + s.failed, qint64(kTasks));
    QCOMPARE(s.cancelled, 0);
    QVERIFY(monkey.kills > 0);
    qint64 failed = 0;
    QHash<QString, int> reasons;
    for (auto it = ledger.state.cbegin(); it != ledger.state.cend(); ++it) {
        const TaskId id = it.key();
        if (it.value() == TaskState::Succeeded) {
            QCOMPARE(ledger.text[id], QByteArray::number(2 * (id + 1)));
            continue;
        }
        ++failed;
        static const QRegularExpression which(u"worker \\d+ \\(pid \\d+\\)"_s);
        ++reasons[QString::fromUtf8(ledger.text[id]).replace(which, u"worker"_s)];
        QCOMPARE(it.value(), TaskState::Failed);
        QVERIFY2(!ledger.text[id].isEmpty(),
                 qPrintable(u"task %1 failed without a reason"_s.arg(id)));
    }
    QCOMPARE(failed, s.failed);
    for (auto it = reasons.cbegin(); it != reasons.cend(); ++it)
        qInfo("service pool: %d task(s) failed with: %s", it.value(), qPrintable(it.key()));

    // One row per task that ended after running; a task that never ran has none.
    qint64 ran = 0;
    const PoolSnapshot snap = pool->snapshot();
    for (const TaskInfo &t : snap.tasks)
        ran += t.attempts > 0;
    const JoblogRows rows = readRows(joblog);
    QVERIFY2(rows.error.isEmpty(), qPrintable(rows.error));
    for (auto it = rows.rowsPerSeq.cbegin(); it != rows.rowsPerSeq.cend(); ++it)
        QVERIFY2(it.value() == 1,
                 qPrintable(u"Seq %1 has %2 joblog rows"_s.arg(it.key()).arg(it.value())));
    QCOMPARE(rows.rows, ran);
    QCOMPARE(rows.succeeded, s.succeeded);
    QCOMPARE(rows.failed, s.failed);
}

QTEST_GUILESS_MAIN(TestChaos)
#include "tst_chaos.moc"
