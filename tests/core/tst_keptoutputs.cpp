#include "keptoutputs.h"

#include <QTest>

using namespace shoal;

// The tails of finished tasks' outputs kept for front ends: per task and stream, replaced on a
// retry, small ones packed into blocks and large ones apart.
class TestKeptOutputs : public QObject
{
    Q_OBJECT
private slots:
    void nothingKeptIsEmpty()
    {
        KeptOutputs kept;
        QCOMPARE(kept.get(0, Stream::Stdout), QByteArray());
        QCOMPARE(kept.get(-1, Stream::Stderr), QByteArray());
        kept.keep(5, Stream::Stdout, {});
        QCOMPARE(kept.get(5, Stream::Stdout), QByteArray());
    }

    void streamsAndTasksApart()
    {
        KeptOutputs kept;
        kept.keep(3, Stream::Stdout, "out 3");
        kept.keep(3, Stream::Stderr, "err 3");
        kept.keep(1, Stream::Stdout, "out 1");
        QCOMPARE(kept.get(3, Stream::Stdout), QByteArray("out 3"));
        QCOMPARE(kept.get(3, Stream::Stderr), QByteArray("err 3"));
        QCOMPARE(kept.get(1, Stream::Stdout), QByteArray("out 1"));
        QCOMPARE(kept.get(1, Stream::Stderr), QByteArray());
        QCOMPARE(kept.get(2, Stream::Stdout), QByteArray());
        QCOMPARE(kept.get(4, Stream::Stdout), QByteArray());
    }

    void aRetryReplacesWhatWasKept()
    {
        KeptOutputs kept;
        kept.keep(0, Stream::Stderr, "first attempt failed");
        kept.keep(0, Stream::Stderr, "second");
        QCOMPARE(kept.get(0, Stream::Stderr), QByteArray("second"));
        kept.keep(0, Stream::Stderr, {});
        QCOMPARE(kept.get(0, Stream::Stderr), QByteArray());
    }

    void manyTextsAcrossBlocks()
    {
        // Enough texts to fill several blocks, sizes up to and past the large-text bound,
        // binary bytes included.
        KeptOutputs kept;
        std::vector<QByteArray> texts;
        for (int i = 0; i < 3000; ++i) {
            QByteArray text(qsizetype(i * 37 % 70000) + 1, char(i % 256));
            text[0] = '\0';
            texts.push_back(text);
            kept.keep(TaskId(i), i % 3 ? Stream::Stdout : Stream::Stderr, text);
        }
        for (int i = 0; i < 3000; ++i)
            QCOMPARE(kept.get(TaskId(i), i % 3 ? Stream::Stdout : Stream::Stderr),
                     texts[size_t(i)]);
    }
};

QTEST_APPLESS_MAIN(TestKeptOutputs)
#include "tst_keptoutputs.moc"
