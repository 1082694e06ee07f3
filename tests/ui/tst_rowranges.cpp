#include "rowranges.h"

#include <QTest>

using namespace shoal;

using Ranges = std::vector<std::pair<int, int>>;
Q_DECLARE_METATYPE(Ranges)
Q_DECLARE_METATYPE(std::vector<int>)

// The models' dirty rows as [first, last] runs: one dataChanged per run.
class TestRowRanges : public QObject
{
    Q_OBJECT
private slots:
    void ranges_data()
    {
        QTest::addColumn<std::vector<int>>("rows");
        QTest::addColumn<int>("maxRanges");
        QTest::addColumn<Ranges>("expected");
        QTest::newRow("none") << std::vector<int> {} << 32 << Ranges {};
        QTest::newRow("one") << std::vector<int> { 4 } << 32 << Ranges { { 4, 4 } };
        QTest::newRow("a run") << std::vector<int> { 1, 2, 3 } << 32 << Ranges { { 1, 3 } };
        QTest::newRow("unsorted, repeated")
            << std::vector<int> { 7, 3, 2, 7, 8, 3 } << 32 << Ranges { { 2, 3 }, { 7, 8 } };
        QTest::newRow("gaps") << std::vector<int> { 0, 2, 4 } << 32
                              << Ranges { { 0, 0 }, { 2, 2 }, { 4, 4 } };
        QTest::newRow("at the limit")
            << std::vector<int> { 0, 2, 4 } << 3 << Ranges { { 0, 0 }, { 2, 2 }, { 4, 4 } };
        QTest::newRow("over the limit: one span")
            << std::vector<int> { 9, 0, 2, 4 } << 3 << Ranges { { 0, 9 } };
    }

    void ranges()
    {
        QFETCH(std::vector<int>, rows);
        QFETCH(int, maxRanges);
        QFETCH(Ranges, expected);
        QCOMPARE(contiguousRanges(rows, maxRanges), expected);
    }
};

QTEST_GUILESS_MAIN(TestRowRanges)
#include "tst_rowranges.moc"
