#include "rowsort.h"
#include "taskfiltermodel.h"
#include "taskfixtures.h"
#include "taskmodel.h"

#include <QAbstractItemModelTester>
#include <QItemSelectionModel>
#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <numeric>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;
using test::queuedTasks;
using test::taskInputs;

namespace {

// The task ids the proxy shows, in its order.
QList<qint64> shownTasks(const TaskFilterModel &proxy)
{
    QList<qint64> ids;
    for (int row = 0; row < proxy.rowCount(); ++row)
        ids << proxy.index(row, 0).data(TaskModel::TaskIdRole).toLongLong();
    return ids;
}

// A frame that ends one task as succeeded after durationMs.
Frame finishing(TaskId task, quint32 durationMs)
{
    Frame frame;
    auto batch = std::make_shared<TaskBatch>();
    batch->finished.push_back(
        { task, 1, 1, TaskState::Succeeded, -1, ExitStatus::exited(0), durationMs, 0, 0 });
    frame.taskUpdates.push_back({ batch, 0, {} });
    return frame;
}

} // namespace

class TestTaskFilterModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void radixSortIsAStableSort()
    {
        QRandomGenerator random(42);
        std::vector<KeyedRow> rows;
        for (int i = 0; i < 20000; ++i) {
            // Few distinct keys (ties), keys over all 64 bits, and the extremes.
            const quint64 key = i % 3 == 0 ? random.bounded(7)
                : i % 3 == 1               ? random.generate64()
                                           : (i % 2 ? ~quint64(0) : quint64(0));
            rows.push_back({ key, i });
        }
        std::vector<KeyedRow> expected = rows;
        std::stable_sort(expected.begin(), expected.end(),
                         [](const KeyedRow &a, const KeyedRow &b) { return a.key < b.key; });
        radixSort(rows);
        QVERIFY(std::equal(
            rows.begin(), rows.end(), expected.begin(), expected.end(),
            [](const KeyedRow &a, const KeyedRow &b) { return a.key == b.key && a.row == b.row; }));
        // Signed values keep their order through ascendingKey().
        QVERIFY(ascendingKey(-5) < ascendingKey(-1));
        QVERIFY(ascendingKey(-1) < ascendingKey(0));
        QVERIFY(ascendingKey(0) < ascendingKey(std::numeric_limits<qint64>::max()));
    }

    void blanksSortLastEitherWay()
    {
        TaskModel model;
        auto tasks = queuedTasks(4);
        const qint64 durations[] = { 100, -1, 50, -1 }; // -1: still running, or queued
        for (auto &t : tasks) {
            const qint64 d = durations[t.id];
            t.state = d < 0 ? (t.id == 1 ? TaskState::Running : TaskState::Queued)
                            : TaskState::Succeeded;
            t.attempts = t.state == TaskState::Queued ? 0 : 1;
            t.slot = t.attempts;
            t.durationMs = qMax<qint64>(0, d);
            if (d >= 0)
                t.exit = ExitStatus::exited(0);
        }
        model.reset(tasks, taskInputs(4));
        TaskFilterModel proxy;
        proxy.setSourceModel(&model);
        const auto order = [&proxy] {
            QList<qint64> ids;
            for (int row = 0; row < proxy.rowCount(); ++row)
                ids << proxy.index(row, 0).data(TaskModel::TaskIdRole).toLongLong();
            return ids;
        };
        proxy.sort(TaskModel::DurationColumn, Qt::AscendingOrder);
        QCOMPARE(order().mid(0, 2), (QList<qint64> { 2, 0 }));
        proxy.sort(TaskModel::DurationColumn, Qt::DescendingOrder);
        QCOMPARE(order().mid(0, 2), (QList<qint64> { 0, 2 }));
        proxy.sort(TaskModel::WorkerColumn, Qt::DescendingOrder);
        QCOMPARE(order().last(), 3); // the queued task, which has no worker yet
    }

    void filterByStateAndText()
    {
        TaskModel model;
        auto tasks = queuedTasks(40);
        for (auto &t : tasks) {
            t.attempts = 1;
            t.state = t.id % 4 == 0 ? TaskState::Failed
                : t.id % 4 == 1     ? TaskState::TimedOut
                : t.id % 4 == 2     ? TaskState::Succeeded
                                    : TaskState::Running;
        }
        model.reset(tasks, taskInputs(qsizetype(tasks.size())));
        TaskFilterModel proxy;
        QAbstractItemModelTester tester(&proxy,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.setSourceModel(&model);
        QCOMPARE(proxy.rowCount(), 40);
        proxy.setStateGroup(TaskFilterModel::StateGroup::Failed);
        QCOMPARE(proxy.rowCount(), 20); // failed and timed out
        proxy.setText(u"INPUT-1"_s); // 1, 10..19; failed ones: 1 12 13 16 17
        QCOMPARE(proxy.rowCount(), 5);
        proxy.setStateGroup(TaskFilterModel::StateGroup::All);
        QCOMPARE(proxy.rowCount(), 11);

        // Rows follow state changes while filtered.
        proxy.setText(QString());
        proxy.setStateGroup(TaskFilterModel::StateGroup::Succeeded);
        QCOMPARE(proxy.rowCount(), 10);
        Frame frame;
        auto batch = std::make_shared<TaskBatch>();
        batch->finished.push_back(
            { 3, 1, 1, TaskState::Succeeded, -1, ExitStatus::exited(0), 5, 0, 0 });
        frame.taskUpdates.push_back({ batch, 0, {} });
        model.applyFrame(frame);
        QCOMPARE(proxy.rowCount(), 11);

        // Sorting by a number column sorts numerically.
        proxy.setStateGroup(TaskFilterModel::StateGroup::All);
        proxy.sort(TaskModel::SeqColumn, Qt::DescendingOrder);
        QCOMPARE(proxy.index(0, TaskModel::SeqColumn).data().toLongLong(), 40);
        QCOMPARE(proxy.index(39, TaskModel::SeqColumn).data().toLongLong(), 1);

        // Text matching ignores case for any letters, on inputs that are not UTF-8 too; the
        // input column sorts by the inputs' bytes.
        InputList odd;
        odd.append(QByteArrayView("\xff\xfe"
                                  "ABC.txt"));
        odd.append(u"Ärger.TXT"_s);
        odd.append(u"plain"_s);
        model.reset(queuedTasks(3), odd);
        proxy.sort(-1);
        const std::pair<QString, int> cases[] = {
            { u"abc"_s, 1 },   { u"ärger"_s, 1 },   { u"ÄRGER"_s, 1 }, { u".txt"_s, 2 },
            { u"PLAIN"_s, 1 }, { u"plainer"_s, 0 }, { QString(), 3 },
        };
        for (const auto &[text, rows] : cases) {
            proxy.setText(text);
            QVERIFY2(proxy.rowCount() == rows, qPrintable(text));
        }
        proxy.sort(TaskModel::InputColumn, Qt::AscendingOrder);
        QCOMPARE(proxy.index(0, TaskModel::InputColumn).data().toString(), u"plain"_s);
        QCOMPARE(proxy.index(1, TaskModel::InputColumn).data().toString(), u"Ärger.TXT"_s);
    }

    // Inputs sort by their bytes, however long the prefix they share and wherever they differ
    // (within the first 8 bytes after it or past them), stable for equal inputs.
    void sortsInputsByTheirBytes()
    {
        const QByteArray prefix = "/data/run/file_";
        const QByteArray suffixes[]
            = { "12345678X",          "12345678A", "12345678", "1234567",      "2", "", "12345678X",
                QByteArray("1\0", 2), "1",         "\xff",     "12345678A\xff" };
        InputList inputs;
        std::vector<QByteArray> bytes;
        for (const QByteArray &suffix : suffixes) {
            bytes.push_back(prefix + suffix);
            inputs.append(QByteArrayView(bytes.back()));
        }
        const int count = int(bytes.size());
        TaskModel model;
        model.reset(queuedTasks(count), inputs);
        TaskFilterModel proxy;
        QAbstractItemModelTester tester(&proxy,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.setSourceModel(&model);
        for (const Qt::SortOrder order : { Qt::AscendingOrder, Qt::DescendingOrder }) {
            QList<qint64> expected(count);
            std::iota(expected.begin(), expected.end(), 0);
            std::stable_sort(expected.begin(), expected.end(), [&](qint64 a, qint64 b) {
                const int c = QByteArrayView(bytes[size_t(a)]).compare(bytes[size_t(b)]);
                return order == Qt::AscendingOrder ? c < 0 : c > 0;
            });
            proxy.sort(TaskModel::InputColumn, order);
            QCOMPARE(shownTasks(proxy), expected);
        }
    }

    // Above kImmediateRows, rows that changes move (into or out of the state group, or in the
    // sort order) move together on a throttle, keeping the selection; new rows go at the end
    // until then.
    void largeTablesMoveRowsOnAThrottle()
    {
        const int count = TaskFilterModel::kImmediateRows + 10;
        auto tasks = queuedTasks(count);
        for (auto &t : tasks) {
            t.attempts = 1;
            t.slot = 1;
            t.state = t.id >= count - 2 ? TaskState::Running : TaskState::Succeeded;
            if (t.state == TaskState::Succeeded) {
                t.durationMs = quint32(t.id % 100);
                t.exit = ExitStatus::exited(0);
            }
        }
        TaskModel model;
        model.reset(tasks, taskInputs(count + 5));
        TaskFilterModel proxy;
        QAbstractItemModelTester tester(&proxy,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.setSourceModel(&model);
        proxy.sort(TaskModel::DurationColumn, Qt::DescendingOrder);
        QCOMPARE(shownTasks(proxy).mid(0, 2), (QList<qint64> { 99, 199 }));
        QCOMPARE(shownTasks(proxy).mid(count - 2), (QList<qint64> { count - 2, count - 1 }));

        QItemSelectionModel selection(&proxy);
        selection.setCurrentIndex(proxy.index(count - 2, 0), QItemSelectionModel::ClearAndSelect);
        model.applyFrame(finishing(count - 2, 1000));
        QVERIFY(!proxy.isSettled());
        QCOMPARE(shownTasks(proxy).at(count - 2), count - 2); // not moved yet
        proxy.settle();
        QVERIFY(proxy.isSettled());
        QCOMPARE(shownTasks(proxy).at(0), count - 2);
        QCOMPARE(selection.currentIndex().row(), 0); // the selection followed its task
        QCOMPARE(selection.currentIndex().data(TaskModel::TaskIdRole).toLongLong(), count - 2);

        // The throttle moves them without being asked.
        model.applyFrame(finishing(count - 1, 2000));
        QVERIFY(!proxy.isSettled());
        QTRY_VERIFY(proxy.isSettled());
        QCOMPARE(shownTasks(proxy).mid(0, 2), (QList<qint64> { count - 1, count - 2 }));

        // New (queued) rows go at the end: blanks, where sorting would put them too.
        Frame added;
        added.addedTasks = { { count, count + 4 } };
        model.applyFrame(added);
        QCOMPARE(proxy.rowCount(), count + 5);
        QCOMPARE(shownTasks(proxy).last(), count + 4);

        // Leaving the state group shown: also on the throttle.
        proxy.sort(-1);
        proxy.setStateGroup(TaskFilterModel::StateGroup::Queued);
        QCOMPARE(proxy.rowCount(), 5);
        Frame started;
        auto batch = std::make_shared<TaskBatch>();
        batch->started.push_back({ count + 1, 1, 1, 0 });
        started.taskUpdates.push_back({ batch, 0, {} });
        model.applyFrame(started);
        QCOMPARE(proxy.rowCount(), 5);
        proxy.settle();
        QCOMPARE(shownTasks(proxy), (QList<qint64> { count, count + 2, count + 3, count + 4 }));
    }
};

QTEST_MAIN(TestTaskFilterModel)
#include "tst_taskfiltermodel.moc"
