// gui_bench: what the window costs a batch. Runs N trivial tasks (`true`) on J workers three
// times in one invocation: `shoal run -jJ --no-bar true :::: FILE`, then the same inputs in the
// main window (offscreen, dashboard visible, models and charts live), then `shoal run` again.
// Reports the window's batch wall time against the mean headless one, and the GUI thread's
// worst event-loop stall, measured as the lateness of a 10 ms timer. On a shared machine wall
// times drift, so it also reports CPU time (this process and its reaped children, i.e. the
// tasks), and splits each stall into the GUI thread's own work and time it was not scheduled.
//
// Then the same batch as a `shoal run --control` that the window attaches to (its wall time
// against the headless one, and the window's stalls). Then two more phases: stopping a batch whose
// tasks ignore SIGTERM (their grace period must not stall the GUI thread), and the window's memory
// with 1,000,000 tiny service tasks (the C++ double worker on 2 workers): its peak resident bytes
// per task, against `shoal run`'s.
//
//   gui_bench [--tasks N] [--jobs J] [--memory-tasks M] [--shoal PATH]
// GUI_BENCH_TRACE=1 prints the resident size and the tasks table's rows every 50 ms of the
// memory phase.
// Targets: no stall over 100 ms; the window costs under 10% of batch time; under 250 bytes
// per task at 1,000,000 tasks.

#include "batchsession.h"
#include "mainwindow.h"
#include "shoalwindow.h"
#include "taskfiltermodel.h"
#include "taskmodel.h"
#include "taskpanel.h"

#include <QApplication>
#include <QComboBox>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QHeaderView>
#include <QProcess>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <sys/resource.h>
#include <vector>

using namespace Qt::Literals::StringLiterals;

namespace {

qint64 threadCpuMs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

double cpuSeconds(int who)
{
    rusage usage {};
    getrusage(who, &usage);
    auto seconds = [](const timeval &t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU time of this process plus its reaped descendants (tasks, or a `shoal run` and its tasks).
double totalCpuSeconds()
{
    return cpuSeconds(RUSAGE_SELF) + cpuSeconds(RUSAGE_CHILDREN);
}

// Lateness of a 10 ms precise timer: how long the GUI thread could not run its event loop.
class StallMeter : public QObject
{
public:
    StallMeter()
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(kIntervalMs);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            const qint64 now = m_clock.elapsed();
            const qint64 late = qMax<qint64>(0, now - m_last - kIntervalMs);
            const qint64 cpu = threadCpuMs();
            if (late > worst()) {
                m_worstAtMs = now;
                m_worstBusyMs = cpu - m_lastCpu;
            }
            m_longestBusyMs = qMax(m_longestBusyMs, cpu - m_lastCpu);
            m_stalls.push_back(late);
            m_last = now;
            m_lastCpu = cpu;
        });
    }
    void start()
    {
        m_stalls.clear();
        m_clock.start();
        m_last = 0;
        m_lastCpu = m_startCpu = threadCpuMs();
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    qint64 worst() const
    {
        return m_stalls.empty() ? 0 : *std::max_element(m_stalls.begin(), m_stalls.end());
    }
    qint64 percentile(double p) const
    {
        if (m_stalls.empty())
            return 0;
        std::vector<qint64> sorted = m_stalls;
        std::sort(sorted.begin(), sorted.end());
        return sorted[size_t(p * double(sorted.size() - 1))];
    }
    qsizetype over(qint64 ms) const
    {
        return std::count_if(m_stalls.begin(), m_stalls.end(), [ms](qint64 s) { return s > ms; });
    }
    size_t ticks() const { return m_stalls.size(); }
    qint64 worstAtMs() const { return m_worstAtMs; }
    qint64 worstBusyMs() const { return m_worstBusyMs; } // GUI-thread CPU within the worst stall
    qint64 longestBusyMs() const
    {
        return m_longestBusyMs;
    } // most GUI-thread CPU between two ticks
    qint64 guiCpuMs() const { return m_lastCpu - m_startCpu; }

private:
    static constexpr int kIntervalMs = 10;
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    qint64 m_worstAtMs = 0;
    qint64 m_worstBusyMs = 0;
    qint64 m_longestBusyMs = 0;
    qint64 m_lastCpu = 0;
    qint64 m_startCpu = 0;
    std::vector<qint64> m_stalls;
};

// Peak resident memory of this process since the last reset, in bytes (VmHWM).
qint64 peakRssBytes()
{
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    }
    return -1;
}

void resetPeakRss()
{
    QFile clear(u"/proc/self/clear_refs"_s);
    if (clear.open(QIODevice::WriteOnly))
        clear.write("5"); // resets VmHWM to the current RSS
}

// Runs the window's event loop until the batch has finished.
bool runInWindow(shoal::MainWindow &window, const shoal::BatchSpec &spec)
{
    QEventLoop loop;
    const auto connection
        = QObject::connect(&window, &shoal::MainWindow::batchFinished, &loop, &QEventLoop::quit);
    const bool started = window.startBatch(spec);
    if (started)
        loop.exec();
    QObject::disconnect(connection);
    return started;
}

// Stopping a batch whose tasks ignore SIGTERM: the grace period passes in the engine thread.
void stopPhase(shoal::MainWindow &window, int jobs)
{
    shoal::BatchSpec stubborn;
    stubborn.name = u"stubborn"_s;
    stubborn.command = { u"trap '' TERM; sleep 60"_s };
    stubborn.shell = true;
    stubborn.inputs.kind = shoal::InputSpec::Kind::Args;
    for (int i = 0; i < jobs; ++i)
        stubborn.inputs.args << QString::number(i);
    stubborn.jobs = jobs;
    if (!window.startBatch(stubborn))
        return;
    QElapsedTimer waited;
    waited.start();
    while (window.session()->stats().running < jobs && waited.elapsed() < 30000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    StallMeter stalls;
    stalls.start();
    shoal::BatchSpec next;
    next.name = u"next"_s;
    next.command = { u"true"_s };
    next.inputs.kind = shoal::InputSpec::Kind::Args;
    next.inputs.args = { u"1"_s };
    window.startBatch(next); // replaces (ends) the stubborn one
    QEventLoop loop;
    QTimer::singleShot(3000, &loop, &QEventLoop::quit); // past the 2 s grace period
    loop.exec();
    stalls.stop();
    std::printf("  stopping %d tasks that ignore SIGTERM: worst GUI stall %lld ms (target: under "
                "100 ms; their 2 s grace runs in the engine)\n",
                jobs, static_cast<long long>(stalls.worst()));
}

// `shoal run`'s peak resident memory for the same batch: measured by a fresh python3 whose
// only child it is (RUSAGE_CHILDREN's maxrss is its largest waited-for descendant's).
qint64 headlessPeakRss(const QString &shoal, const QString &worker, int tasks)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(u"python3"_s,
            { u"-c"_s,
              u"import resource, subprocess, sys\n"
              u"subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\n"
              u"print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"_s,
              shoal, u"run"_s, u"-j2"_s, u"--no-bar"_s, u"--service"_s, worker, u"--service-mode"_s,
              u"json"_s, u"::::"_s, u"/dev/stdin"_s });
    p.waitForStarted(-1);
    for (int i = 1; i <= tasks; i += 10000) {
        QByteArray chunk;
        for (int j = i; j < i + 10000 && j <= tasks; ++j)
            chunk += QByteArray::number(j) + '\n';
        p.write(chunk);
    }
    p.closeWriteChannel();
    if (!p.waitForFinished(-1) || p.exitCode() != 0)
        return -1;
    return p.readAllStandardOutput().trimmed().toLongLong() * 1024;
}

// What a user does with the tasks table once it holds every task: sort by a number and by the
// input, filter by state and by text, scroll to the end. Each is one GUI-thread step; its time
// is the stall the user sees.
void tablePhase(shoal::MainWindow &window)
{
    shoal::TaskPanel *panel = window.taskPanel();
    QHeaderView *header = panel->view()->horizontalHeader();
    struct Step
    {
        const char *name;
        std::function<void()> run;
    };
    const Step steps[] = {
        { "sort by duration",
          [&] {
              header->setSortIndicator(shoal::TaskModel::DurationColumn, Qt::DescendingOrder);
          } },
        { "sort by #",
          [&] { header->setSortIndicator(shoal::TaskModel::SeqColumn, Qt::AscendingOrder); } },
        { "sort by input",
          [&] { header->setSortIndicator(shoal::TaskModel::InputColumn, Qt::DescendingOrder); } },
        { "sort by error",
          [&] { header->setSortIndicator(shoal::TaskModel::ErrorColumn, Qt::AscendingOrder); } },
        { "unsort", [&] { header->setSortIndicator(-1, Qt::AscendingOrder); } },
        { "filter failed",
          [&] {
              panel->stateCombo()->setCurrentIndex(
                  panel->stateCombo()->findData(int(shoal::TaskFilterModel::StateGroup::Failed)));
          } },
        { "all states", [&] { panel->stateCombo()->setCurrentIndex(0); } },
        { "filter text", [&] { panel->proxy()->setText(u"99"_s); } },
        { "clear text", [&] { panel->proxy()->setText(QString()); } },
        { "sort by duration again",
          [&] { header->setSortIndicator(shoal::TaskModel::DurationColumn, Qt::AscendingOrder); } },
        { "filter text while sorted", [&] { panel->proxy()->setText(u"99"_s); } },
        { "clear text while sorted", [&] { panel->proxy()->setText(QString()); } },
        { "unsort again", [&] { header->setSortIndicator(-1, Qt::AscendingOrder); } },
        { "scroll to end", [&] { panel->view()->scrollToBottom(); } },
    };
    QString line;
    qint64 worst = 0;
    for (const Step &step : steps) {
        QCoreApplication::processEvents();
        QElapsedTimer t;
        t.start();
        step.run();
        // The view's own follow-up work (layout on a zero timer, the repaint) is part of it.
        QCoreApplication::processEvents();
        panel->view()->viewport()->repaint();
        const qint64 ms = t.elapsed();
        worst = std::max(worst, ms);
        line += u"%1 %2 ms, "_s.arg(QString::fromLatin1(step.name)).arg(ms);
    }
    line.chop(2);
    std::printf("  tasks table at %d rows: %s; worst %lld ms (target: at most 100 ms)\n",
                window.taskModel()->rowCount(), qPrintable(line), worst);
}

// The window's memory with many tiny service tasks: peak resident bytes per task.
void memoryPhase(shoal::MainWindow &window, const QString &shoal, int tasks)
{
    const QString worker = QFileInfo(shoal).absolutePath() + u"/shoal-double-worker"_s;
    shoal::BatchSpec spec;
    spec.name = u"memory"_s;
    spec.service.mode = shoal::ServiceSpec::Mode::Json;
    spec.service.program = { worker };
    spec.inputs.kind = shoal::InputSpec::Kind::Range;
    spec.inputs.from = 1;
    spec.inputs.to = tasks;
    spec.jobs = 2;
    QCoreApplication::processEvents();
    resetPeakRss();
    const qint64 base = peakRssBytes();
    QElapsedTimer wall;
    wall.start();
    QTimer probe;
    if (qEnvironmentVariableIsSet("GUI_BENCH_TRACE")) {
        QObject::connect(&probe, &QTimer::timeout, [&] {
            QFile st(u"/proc/self/status"_s);
            st.open(QIODevice::ReadOnly);
            for (const QByteArray &line : st.readAll().split('\n'))
                if (line.startsWith("VmRSS:"))
                    std::fprintf(stderr, "%6lld ms %s rows %d\n", wall.elapsed(), line.constData(),
                                 window.taskModel()->rowCount());
        });
        probe.start(50);
    }
    if (!runInWindow(window, spec))
        return;
    const qint64 windowPeak = peakRssBytes() - base;
    std::printf("  window, %d service tasks: %.2f s, peak %.0f MB over its idle size: %.0f "
                "bytes per task (target: under 250)\n",
                tasks, double(wall.elapsed()) / 1000.0, double(windowPeak) / 1e6,
                double(windowPeak) / tasks);
    tablePhase(window);
    const qint64 headless = headlessPeakRss(shoal, worker, tasks);
    std::printf("  shoal run, the same tasks: peak %.0f MB: %.0f bytes per task\n",
                double(headless) / 1e6, double(headless) / tasks);
}

qint64 runHeadless(const QString &shoal, int jobs, const QString &inputsFile, double *cpu)
{
    const double cpuBefore = totalCpuSeconds();
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QElapsedTimer t;
    t.start();
    p.start(shoal,
            { u"run"_s, u"-j"_s, QString::number(jobs), u"--no-bar"_s, u"true"_s, u"::::"_s,
              inputsFile });
    if (!p.waitForFinished(-1) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        std::fprintf(stderr, "gui_bench: shoal run failed (exit %d)\n", p.exitCode());
        return -1;
    }
    const qint64 ms = t.elapsed();
    *cpu = totalCpuSeconds() - cpuBefore;
    return ms;
}

// The same batch as `shoal run --control SOCK`, with the window attached to it from its start:
// the run's wall time, and the window's stalls while it follows it through the socket.
qint64 attachedPhase(shoal::MainWindow &window, const QString &shoal, int jobs,
                     const QString &inputsFile, const QString &socket, StallMeter &stalls)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.setStandardOutputFile(QProcess::nullDevice());
    const double selfBefore = cpuSeconds(RUSAGE_SELF), childrenBefore = cpuSeconds(RUSAGE_CHILDREN);
    QElapsedTimer t;
    t.start();
    p.start(shoal,
            { u"run"_s, u"-j"_s, QString::number(jobs), u"--no-bar"_s, u"--control"_s, socket,
              u"true"_s, u"::::"_s, inputsFile });
    while (!QFile::exists(socket) && p.state() != QProcess::NotRunning)
        p.waitForFinished(1); // a millisecond at a time, without spinning
    stalls.start();
    bool finished = false;
    const auto connection = QObject::connect(&window, &shoal::MainWindow::batchFinished,
                                             [&finished] { finished = true; });
    window.attachTo(socket);
    // Waits in an event loop (processEvents() would spin, and take a core from the run).
    QEventLoop loop;
    QObject::connect(&p, &QProcess::finished, &loop, &QEventLoop::quit);
    if (p.state() != QProcess::NotRunning)
        loop.exec();
    const qint64 ms = t.elapsed();
    if (!finished) { // the last frame may still be on its way
        QTimer::singleShot(5000, &loop, &QEventLoop::quit);
        QObject::connect(&window, &shoal::MainWindow::batchFinished, &loop, &QEventLoop::quit);
        loop.exec();
    }
    stalls.stop();
    QObject::disconnect(connection);
    std::printf(
        "  attached: the window used %.2f s of CPU (its GUI thread %.2f s), the run and its "
        "tasks %.2f s\n",
        cpuSeconds(RUSAGE_SELF) - selfBefore, double(stalls.guiCpuMs()) / 1000.0,
        cpuSeconds(RUSAGE_CHILDREN) - childrenBefore);
    if (p.exitCode() != 0 || !finished) {
        std::fprintf(stderr, "gui_bench: the attached run failed (exit %d, window %s)\n",
                     p.exitCode(), finished ? "saw the end" : "did not see the end");
        return -1;
    }
    return ms;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    shoal::tuneAllocator(); // as the window's runWindow() does
    QApplication app(argc, argv);
    QApplication::setOrganizationName(u"ShoalBench"_s);
    QApplication::setApplicationName(u"gui_bench"_s);

    QCommandLineParser parser;
    const QCommandLineOption tasksOption(u"tasks"_s, u"Tasks per run (default 100000)."_s, u"N"_s,
                                         u"100000"_s);
    const QCommandLineOption jobsOption(u"jobs"_s, u"Workers (default 64)."_s, u"J"_s, u"64"_s);
    const QCommandLineOption shoalOption(u"shoal"_s, u"The shoal binary."_s, u"PATH"_s,
                                         QStringLiteral(SHOAL_BINARY));
    const QCommandLineOption memoryOption(
        u"memory-tasks"_s, u"Service tasks for the memory phase (default 1000000)."_s, u"M"_s,
        u"1000000"_s);
    parser.addOptions({ tasksOption, jobsOption, shoalOption, memoryOption });
    parser.addHelpOption();
    parser.process(app);
    const int tasks = parser.value(tasksOption).toInt();
    const int jobs = parser.value(jobsOption).toInt();
    const QString shoal = parser.value(shoalOption);

    QTemporaryDir dir;
    const QString inputsFile = dir.filePath(u"inputs.txt"_s);
    shoal::BatchSpec spec;
    spec.name = u"gui_bench"_s;
    spec.command = { u"true"_s };
    spec.inputs.kind = shoal::InputSpec::Kind::File;
    spec.inputs.path = inputsFile;
    spec.jobs = jobs;
    {
        QFile f(inputsFile);
        if (!f.open(QIODevice::WriteOnly))
            return 1;
        for (int i = 1; i <= tasks; ++i)
            f.write(QByteArray::number(i) + '\n');
    }
    std::printf("gui_bench: %d tasks of `true` on %d workers\n", tasks, jobs);

    double cpuBefore = 0, cpuAfter = 0;
    const qint64 before = runHeadless(shoal, jobs, inputsFile, &cpuBefore);
    std::printf("  shoal run (before):   %7.2f s  (CPU %.2f s)\n", double(before) / 1000.0,
                cpuBefore);

    shoal::MainWindow window;
    window.resize(1400, 900);
    window.show();
    QCoreApplication::processEvents();
    StallMeter stalls;
    QEventLoop loop;
    QObject::connect(&window, &shoal::MainWindow::batchFinished, &loop, &QEventLoop::quit);
    const double windowCpuStart = totalCpuSeconds();
    stalls.start();
    QElapsedTimer wall;
    wall.start();
    if (!window.startBatch(spec)) {
        std::fprintf(stderr, "gui_bench: the window could not start the batch\n");
        return 1;
    }
    const qint64 startMs = wall.elapsed();
    loop.exec();
    const qint64 windowMs = wall.elapsed();
    stalls.stop();
    const double windowCpu = totalCpuSeconds() - windowCpuStart;
    const shoal::PoolStats final = window.session()->stats();
    window.hide();
    std::printf("  window:               %7.2f s  (CPU %.2f s, of which the GUI thread %.2f s; "
                "%lld succeeded; "
                "startBatch() took %lld ms)\n",
                double(windowMs) / 1000.0, windowCpu, double(stalls.guiCpuMs()) / 1000.0,
                static_cast<long long>(final.succeeded), static_cast<long long>(startMs));

    window.show();
    StallMeter attachedStalls;
    const qint64 attachedMs = attachedPhase(window, shoal, jobs, inputsFile,
                                            dir.filePath(u"ctl.sock"_s), attachedStalls);
    const qint64 attachedSucceeded = window.session() ? window.session()->stats().succeeded : 0;
    window.hide();
    std::printf("  attached window:      %7.2f s  (the run's wall time; %lld succeeded as the "
                "window saw it)\n",
                double(attachedMs) / 1000.0, static_cast<long long>(attachedSucceeded));

    const qint64 after = runHeadless(shoal, jobs, inputsFile, &cpuAfter);
    std::printf("  shoal run (after):    %7.2f s  (CPU %.2f s)\n", double(after) / 1000.0,
                cpuAfter);
    if (before < 0 || after < 0 || final.succeeded != tasks || attachedMs < 0
        || attachedSucceeded != tasks)
        return 1;

    const double headless = double(before + after) / 2.0;
    const double ratio = double(windowMs) / headless;
    std::printf("  window / headless:    %7.3f  (cost %+.1f%%, target < +10%%)\n", ratio,
                (ratio - 1.0) * 100.0);
    const double headlessCpu = (cpuBefore + cpuAfter) / 2.0;
    std::printf("  CPU window / headless: %6.3f  (%+.1f%%); GUI thread busy %.1f%% of the batch\n",
                windowCpu / headlessCpu, (windowCpu / headlessCpu - 1.0) * 100.0,
                100.0 * double(stalls.guiCpuMs()) / double(windowMs));
    std::printf("  GUI stall: worst %lld ms (at %.2f s), p99 %lld ms, p50 %lld ms, %lld of %zu "
                "ticks over 50 ms "
                "(target: none over 100 ms)\n",
                static_cast<long long>(stalls.worst()), double(stalls.worstAtMs()) / 1000.0,
                static_cast<long long>(stalls.percentile(0.99)),
                static_cast<long long>(stalls.percentile(0.5)),
                static_cast<long long>(stalls.over(50)), stalls.ticks());
    std::printf(
        "  GUI work: the worst stall held %lld ms of GUI-thread CPU (the rest: not scheduled); "
        "longest GUI-thread work between two ticks: %lld ms\n",
        static_cast<long long>(stalls.worstBusyMs()),
        static_cast<long long>(stalls.longestBusyMs()));
    const double attachedRatio = double(attachedMs) / headless;
    std::printf("  attached / headless:  %7.3f  (cost %+.1f%%, target < +10%%); GUI stall: worst "
                "%lld ms, p99 %lld ms (target: none over 100 ms)\n",
                attachedRatio, (attachedRatio - 1.0) * 100.0,
                static_cast<long long>(attachedStalls.worst()),
                static_cast<long long>(attachedStalls.percentile(0.99)));
    window.show();
    stopPhase(window, 8);
    memoryPhase(window, shoal, parser.value(memoryOption).toInt());
    return 0;
}
