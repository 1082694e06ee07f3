#include "agentprotocol.h"
#include "filetransfer.h"
#include "testsupport.h"

#include <QDataStream>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <QtEndian>
#include <cmath>

#include <sys/stat.h>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;
using namespace shoal::agent;

namespace {

QList<Frame> readAll(FrameReader &reader, QString *error = nullptr)
{
    QList<Frame> frames;
    Frame frame;
    for (;;) {
        auto next = reader.next(&frame);
        if (!next) {
            if (error)
                *error = next.error();
            return frames;
        }
        if (!*next)
            return frames;
        frames << frame;
    }
}

QByteArray rawFrame(quint32 length, quint8 type, const QByteArray &payload)
{
    QByteArray bytes(4, '\0');
    qToLittleEndian(length, bytes.data());
    return bytes + char(type) + payload;
}

// A Tasks or Results frame with the packed bytes given.
QByteArray packedFrame(Type type, const QByteArray &packed)
{
    QByteArray length(4, '\0');
    qToBigEndian(quint32(packed.size()), length.data()); // QDataStream's QByteArray
    return rawFrame(quint32(1 + 4 + packed.size()), quint8(type), length + packed);
}

} // namespace

class TestAgentProtocol : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Every frame comes back as it went, however the bytes are cut on the way.
    void framesSurviveAnySplit()
    {
        ServiceSpec service;
        service.program = QStringList { u"python3"_s, u"-u"_s, u"w.py"_s };
        service.mode = ServiceSpec::Mode::Json;
        service.initializer = u"cd /x"_s;
        service.maxTasksPerWorker = 100;
        service.prefetch = 16;
        const QList<Frame> sent {
            Hello { kProtocol, u"0.1.0"_s, u"node-7"_s, 64, qint64(1) << 40, u"12.3"_s },
            Setup { 8, 2.5, 512 << 20, 1500, u"/scratch/run"_s, u".shoal-probe-1"_s, {}, true },
            Run { 41, { u"sh"_s, u"-c"_s, u"echo 'ü' \"$1\""_s, u""_s }, { u"a.out"_s }, true },
            Cancel { 41 },
            Started { 41, 123456 },
            Output { 41, Stream::Stderr, QByteArray("\0\xff\n", 3) },
            Finished { 41, ExitStatus::timedOut(15), 2500 },
            Finished { 42, ExitStatus::memoryLimit(700, 512), 10 },
            Failure { u"cannot use the working folder"_s },
            Hold { 41, false },
            Usage { 41, 87.5, qint64(300) << 20, 4242 },
            File { 41, u"in/ü.txt"_s, QByteArray("\0data", 5), false, 0755 },
            Setup { 2, 0, 0, 2000, {}, {}, service, false },
            Tasks { { 7, 9 }, QStringList { u"x"_s, u"\nü"_s } },
            Results { { { 7, ExitStatus::exited(0), 3 }, { 9, ExitStatus::signaled(9), 4 } },
                      QStringList { u"14"_s, u"worker 1 (pid 5) was killed"_s } },
            Note { u"worker 2 is silent"_s },
            Workers { 5 },
            HoldWorker { 3, false },
            Progress { { { 7, 0.25 }, { 9, 1.0 } } },
            Collected { 41 },
        };
        QByteArray bytes;
        for (const Frame &f : sent)
            encode(f, bytes);
        for (const qsizetype step : { qsizetype(1), qsizetype(7), bytes.size() }) {
            FrameReader reader;
            QList<Frame> got;
            for (qsizetype at = 0; at < bytes.size(); at += step) {
                reader.append(QByteArrayView(bytes).sliced(at, qMin(step, bytes.size() - at)));
                got += readAll(reader);
            }
            QCOMPARE(got.size(), sent.size());
            QCOMPARE(reader.buffered(), 0);
            QCOMPARE(std::get<Hello>(got[0]).host, u"node-7"_s);
            QCOMPARE(std::get<Hello>(got[0]).memoryBytes, qint64(1) << 40);
            QCOMPARE(std::get<Hello>(got[0]).slurmStep, u"12.3"_s);
            QCOMPARE(std::get<Setup>(got[1]).workdir, u"/scratch/run"_s);
            QCOMPARE(std::get<Setup>(got[1]).timeoutSeconds, 2.5);
            QVERIFY(std::get<Setup>(got[1]).cleanup);
            QVERIFY(!std::get<Setup>(got[12]).cleanup);
            QCOMPARE(std::get<Run>(got[2]).argv, std::get<Run>(sent[2]).argv);
            QCOMPARE(std::get<Run>(got[2]).returns, QStringList { u"a.out"_s });
            QVERIFY(std::get<Run>(got[2]).cleanup);
            const Setup &serviceSetup = std::get<Setup>(got[12]);
            QCOMPARE(serviceSetup.service.program, service.program);
            QCOMPARE(serviceSetup.service.mode, ServiceSpec::Mode::Json);
            QCOMPARE(serviceSetup.service.initializer, u"cd /x"_s);
            QCOMPARE(serviceSetup.service.maxTasksPerWorker, 100);
            QCOMPARE(serviceSetup.service.prefetch, 16);
            QVERIFY(!std::get<Setup>(got[1]).service.isValid());
            const Tasks &tasks = std::get<Tasks>(got[13]);
            QCOMPARE(tasks.ids, (std::vector<TaskId> { 7, 9 }));
            QCOMPARE(tasks.inputs.at(1), u"\nü"_s);
            const Results &results = std::get<Results>(got[14]);
            QCOMPARE(results.entries.size(), size_t(2));
            QCOMPARE(results.entries[1].task, 9);
            QCOMPARE(results.entries[1].exit, ExitStatus::signaled(9));
            QCOMPARE(results.entries[1].durationMs, 4);
            QCOMPARE(results.texts.toStringList(),
                     (QStringList { u"14"_s, u"worker 1 (pid 5) was killed"_s }));
            QCOMPARE(std::get<Note>(got[15]).text, u"worker 2 is silent"_s);
            QCOMPARE(std::get<Workers>(got[16]).count, 5);
            QCOMPARE(std::get<HoldWorker>(got[17]).worker, 3);
            QVERIFY(!std::get<HoldWorker>(got[17]).stopped);
            QCOMPARE(std::get<Collected>(got[19]).task, 41);
            const Progress &progress = std::get<Progress>(got[18]);
            QCOMPARE(progress.entries.size(), size_t(2));
            QCOMPARE(progress.entries[0].task, 7);
            QCOMPARE(progress.entries[0].value, 0.25);
            QCOMPARE(progress.entries[1].value, 1.0);
            const Usage &usage = std::get<Usage>(got[10]);
            QCOMPARE(usage.cpuPercent, 87.5);
            QCOMPARE(usage.rssBytes, qint64(300) << 20);
            QCOMPARE(usage.pid, 4242);
            const File &file = std::get<File>(got[11]);
            QCOMPARE(file.path, u"in/ü.txt"_s);
            QCOMPARE(file.bytes, QByteArray("\0data", 5));
            QVERIFY(!file.last);
            QCOMPARE(file.mode, 0755u);
            QCOMPARE(std::get<Cancel>(got[3]).task, 41);
            QCOMPARE(std::get<Started>(got[4]).pid, 123456);
            QCOMPARE(std::get<Output>(got[5]).bytes, QByteArray("\0\xff\n", 3));
            QCOMPARE(std::get<Output>(got[5]).stream, Stream::Stderr);
            QCOMPARE(std::get<Finished>(got[6]).exit, ExitStatus::timedOut(15));
            QCOMPARE(std::get<Finished>(got[7]).exit.rssMiB(), 700);
            QCOMPARE(std::get<Failure>(got[8]).message, u"cannot use the working folder"_s);
            QCOMPARE(std::get<Hold>(got[9]).stopped, false);
        }
    }

    // A malformed link is an error, never a crash or a frame made up: the caller ends the link.
    void malformedFramesAreErrors_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QByteArray run;
        encode(Run { 1, { u"true"_s }, {}, false }, run);
        QByteArray trailing = run;
        trailing[0] = char(trailing[0] + 1); // one byte more than the payload
        trailing += 'x';
        QTest::newRow("empty frame") << rawFrame(0, 1, {});
        QTest::newRow("huge frame") << rawFrame(kMaxFrameBytes + 1, 3, {});
        QTest::newRow("unknown type") << rawFrame(3, 99, "ab");
        QTest::newRow("short payload") << rawFrame(3, quint8(Type::Run), "ab");
        QTest::newRow("bytes after the payload") << trailing;
        QTest::newRow("bad stream")
            << rawFrame(1 + 8 + 1 + 4, quint8(Type::Output),
                        QByteArray(8, '\0') + char(7) + QByteArray(4, '\0'));
        QTest::newRow("a Run claiming a billion words") << rawFrame(
            1 + 8 + 4, quint8(Type::Run), QByteArray(8, '\0') + QByteArray("\x00\x00\x00\x40", 4));
        QTest::newRow("Tasks claiming a billion") << rawFrame(
            1 + 8, quint8(Type::Tasks), QByteArray("\x00\x00\x00\x04\x00\x00\x00\x40", 8));
        QTest::newRow("Results claiming more than sent") << [] {
            QByteArray b;
            encode(Results { { { 1, ExitStatus::exited(0), 0 } }, QStringList { u"a"_s } }, b);
            b[9] = 2; // count 2 (little-endian, after the packed bytes' length), one entry
            return b;
        }();
        QTest::newRow("a negative task id") << [] {
            QByteArray b;
            encode(Tasks { { -4 }, QStringList { u"a"_s } }, b);
            return b;
        }();
        QTest::newRow("negative workers") << [] {
            QByteArray b;
            encode(Workers { -1 }, b);
            return b;
        }();
        QTest::newRow("a task id beyond the bound") << [] {
            QByteArray b;
            encode(Tasks { { kMaxTaskId + 1 }, QStringList { u"a"_s } }, b);
            return b;
        }();
        QTest::newRow("bytes after the packed tasks") << [] {
            QByteArray b;
            encode(Tasks { { 1 }, QStringList { u"a"_s } }, b);
            // One more byte inside the packed bytes: their length and the frame's grow by one.
            b[8] = char(b[8] + 1);
            b[0] = char(b[0] + 1);
            b.append('x');
            return b;
        }();
        QTest::newRow("progress past 1") << [] {
            QByteArray b;
            encode(Progress { { { 1, 1.5 } } }, b);
            return b;
        }();
        QTest::newRow("progress that is not a number") << [] {
            QByteArray b;
            encode(Progress { { { 1, std::nan("") } } }, b);
            return b;
        }();
        QTest::newRow("progress claiming more than sent") << [] {
            QByteArray b;
            encode(Progress { { { 1, 0.5 } } }, b);
            b[8] = 2; // the count (big-endian QDataStream, after the length and type): 2
            return b;
        }();
        QTest::newRow("progress for too many tasks") << [] {
            QByteArray b;
            encode(Progress {}, b);
            b[5] = 1; // the count: 2^24, with no entries
            return b;
        }();
        // Literals with their zero bytes.
        const auto raw = []<size_t N>(const char(&text)[N]) { return QByteArray(text, N - 1); };
        const QByteArray one = raw("\x01\x00\x00\x00"); // a count of 1
        QTest::newRow("an id of more than 64 bits")
            << packedFrame(Type::Tasks, one + QByteArray(10, '\x80') + raw("\x01\x01") + 'a');
        QTest::newRow("an id cut short") << packedFrame(Type::Tasks, one + raw("\x80"));
        QByteArray tooMany(4, '\0'); // one entry past the most a frame may hold, each well formed
        qToLittleEndian(kMaxPackedEntries + 1, tooMany.data());
        QTest::newRow("more entries than a frame may hold")
            << packedFrame(Type::Tasks, tooMany + raw("\x02\x00").repeated(kMaxPackedEntries + 1));
        QTest::newRow("an input longer than sent")
            << packedFrame(Type::Tasks, one + raw("\x02\x05") + "ab");
        QTest::newRow("an id below 0")
            << packedFrame(Type::Tasks, raw("\x02\x00\x00\x00\x02\x00\x09\x00"));
        QTest::newRow("an unknown exit") << packedFrame(Type::Results, one + raw("\x02\x0f\x00"));
        QTest::newRow("an exit code past 32 bits")
            << packedFrame(Type::Results, one + raw("\x02\x21\x80\x80\x80\x80\x40\x00"));
        QTest::newRow("a negative duration")
            << packedFrame(Type::Results, one + raw("\x02\x81\x01\x00"));
        QTest::newRow("a Run without argv") << [] {
            QByteArray b;
            encode(Run { 1, {}, {}, false }, b);
            return b;
        }();
    }

    // Tasks and Results are packed by hand: every id (up and down, up to the bound), every
    // kind of exit with its numbers, and texts long and empty come back as they went.
    void packedFramesKeepEveryField()
    {
        QStringList inputs { u""_s, QString(300, u'x'), u"ü"_s, u"7"_s };
        const Tasks tasks { { 5, 3, kMaxTaskId, 0 }, inputs };
        const std::vector<Results::Entry> entries {
            { kMaxTaskId, ExitStatus::failedToStart(ENOENT), 0 },
            { 0, ExitStatus::exited(-2), qint64(1) << 40 },
            { 12, ExitStatus::memoryLimit(700, 512), 1 },
            { 11, ExitStatus::timedOut(9), 0 },
            { 11, ExitStatus::cancelled(0), 0 },
            { 400, ExitStatus::outputLost(ExitStatus::signaled(6), ENOSPC), 5 },
        };
        inputs << u"answer"_s << u""_s;
        QByteArray bytes;
        encode(tasks, bytes);
        encode(Results { entries, inputs.mid(0, qsizetype(entries.size())) }, bytes);
        FrameReader reader;
        reader.append(bytes);
        QString error;
        const QList<Frame> got = readAll(reader, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(got.size(), 2);
        QCOMPARE(std::get<Tasks>(got[0]).ids, tasks.ids);
        QCOMPARE(std::get<Tasks>(got[0]).inputs.toStringList(), tasks.inputs.toStringList());
        const Results &results = std::get<Results>(got[1]);
        QCOMPARE(results.entries.size(), entries.size());
        for (size_t i = 0; i < entries.size(); ++i) {
            QCOMPARE(results.entries[i].task, entries[i].task);
            QCOMPARE(results.entries[i].exit, entries[i].exit);
            QCOMPARE(results.entries[i].durationMs, entries[i].durationMs);
            QCOMPARE(results.texts.at(qsizetype(i)), inputs.at(qsizetype(i)));
        }
    }

    // The shapes malformedFramesAreErrors() spoils, whole: so each of those is refused for its
    // own fault.
    void handPackedFramesAreRead()
    {
        const auto raw = []<size_t N>(const char(&text)[N]) { return QByteArray(text, N - 1); };
        const QByteArray one = raw("\x01\x00\x00\x00");
        FrameReader reader;
        reader.append(packedFrame(Type::Tasks, one + raw("\x02\x02") + "ab"));
        reader.append(packedFrame(Type::Tasks, raw("\x02\x00\x00\x00\x02\x00\x01\x00")));
        reader.append(packedFrame(Type::Results, one + raw("\x02\xa1\x03\x04\x00")));
        QByteArray most(4, '\0'); // as many entries as a frame may hold
        qToLittleEndian(kMaxPackedEntries, most.data());
        reader.append(packedFrame(Type::Tasks, most + raw("\x02\x00").repeated(kMaxPackedEntries)));
        QString error;
        const QList<Frame> got = readAll(reader, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(got.size(), 4);
        QCOMPARE(std::get<Tasks>(got[3]).ids.size(), size_t(kMaxPackedEntries));
        QCOMPARE(std::get<Tasks>(got[0]).ids, std::vector<TaskId> { 1 });
        QCOMPARE(std::get<Tasks>(got[0]).inputs.at(0), u"ab"_s);
        QCOMPARE(std::get<Tasks>(got[1]).ids, (std::vector<TaskId> { 1, 0 }));
        const Results::Entry &e = std::get<Results>(got[2]).entries.at(0);
        QCOMPARE(e.task, 1);
        QCOMPARE(e.exit, ExitStatus::exited(-2));
        QCOMPARE(e.durationMs, 2);
    }

    void malformedFramesAreErrors()
    {
        QFETCH(QByteArray, bytes);
        FrameReader reader;
        reader.append(bytes);
        QString error;
        QVERIFY(readAll(reader, &error).isEmpty());
        QVERIFY2(!error.isEmpty(), "no error");
    }

    // A Hello from another protocol is read far enough to name both versions, whatever follows
    // its version.
    void helloOfAnotherProtocolIsRead()
    {
        QByteArray payload;
        {
            QDataStream s(&payload, QIODevice::WriteOnly);
            s.setVersion(QDataStream::Qt_6_4);
            s << quint32(kProtocol + 1) << u"9.0.0"_s << quint8(1) << u"more"_s;
        }
        FrameReader reader;
        reader.append(rawFrame(quint32(payload.size() + 1), quint8(Type::Hello), payload));
        const QList<Frame> got = readAll(reader);
        QCOMPARE(got.size(), 1);
        QCOMPARE(std::get<Hello>(got[0]).protocol, kProtocol + 1);
        QCOMPARE(std::get<Hello>(got[0]).version, u"9.0.0"_s);
    }

    // --transferfile/--return: a file read in parts is written whole where it belongs (the
    // part after GNU parallel's "/./" marker), its folder made and its mode kept.
    // A task's files given up on (its task cancelled before its Run went) at any point, the
    // last file whole included: the part that says so is a frame the agent reads, naming a file.
    void givingUpFilesIsAFrameAtAnyPoint()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QStringList paths;
        for (const QString &name : { u"a.txt"_s, u"b.txt"_s }) {
            QFile f(dir.filePath(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("data\n");
            paths << f.fileName();
        }
        OutgoingFiles files;
        QVERIFY(files.open(3, paths));
        QVERIFY(!files.hasStarted());
        File part;
        for (;;) {
            auto more = files.next(part);
            QVERIFY(more);
            if (!*more)
                break;
            QVERIFY(files.hasStarted());
            QByteArray bytes;
            encode(files.abandonPart(), bytes);
            FrameReader reader;
            reader.append(bytes);
            QString error;
            const QList<Frame> got = readAll(reader, &error);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            QCOMPARE(got.size(), 1);
            const File &given = std::get<File>(got[0]);
            QCOMPARE(given.task, 3);
            QVERIFY(!given.last && given.bytes.isEmpty() && !given.path.isEmpty());
        }
    }

    void filesTravelInParts()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString from = dir.filePath(u"src/./deep/in.bin"_s);
        QVERIFY(QDir().mkpath(dir.filePath(u"src/deep"_s)));
        QByteArray data(kOutputChunkBytes * 2 + 7, '\0');
        for (qsizetype i = 0; i < data.size(); ++i)
            data[i] = char(i * 7);
        {
            QFile f(from);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(data);
        }
        QVERIFY(QFile::setPermissions(from, QFile::ReadOwner | QFile::ExeOwner));
        std::vector<File> parts;
        QVERIFY(sendFile(5, from, [&](File &&f) { parts.push_back(f); }));
        QCOMPARE(parts.size(), size_t(4)); // two whole parts, the rest, an empty last one
        QVERIFY(parts.back().last);
        QCOMPARE(transferTarget(from), u"deep/in.bin"_s);
        const QString previous = QDir::currentPath();
        QVERIFY(QDir::setCurrent(dir.filePath(u"."_s)));
        QVERIFY(QDir().mkpath(u"dst"_s) && QDir::setCurrent(u"dst"_s));
        FileReceiver receiver;
        for (const File &part : parts)
            QVERIFY(receiver.write(part, transferTarget(part.path)));
        QDir::setCurrent(previous);
        const QString to = dir.filePath(u"dst/deep/in.bin"_s);
        QFile written(to);
        QVERIFY(written.open(QIODevice::ReadOnly));
        QCOMPARE(written.readAll(), data);
        QCOMPARE(QFileInfo(to).permissions()
                     & (QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner),
                 QFile::ReadOwner | QFile::ExeOwner);
        const auto missing = sendFile(5, dir.filePath(u"nope"_s), [](File &&) {});
        QVERIFY(!missing);
        QVERIFY2(missing.error().contains(u"cannot read"_s), qPrintable(missing.error()));
    }

    // --cleanup removes a name only while it is the file that was moved, not one that a later
    // attempt put there since.
    void cleanupRemovesOnlyTheFileItMoved()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"out.txt"_s);
        const auto make = [&](const QByteArray &data) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(data);
        };
        make("first");
        FileId moved;
        QVERIFY(sendFile(
            1, path, [](File &&) {}, &moved));
        QVERIFY(moved.isValid());
        QVERIFY(QFile::remove(path));
        make("a later attempt's"); // the same name, another file
        removeIfSame(path, moved);
        QCOMPARE(shoal::test::readFile(path), QByteArray("a later attempt's"));
        FileId now;
        QVERIFY(sendFile(
            1, path, [](File &&) {}, &now));
        removeIfSame(path, now);
        QVERIFY(!QFile::exists(path));
    }
};

QTEST_GUILESS_MAIN(TestAgentProtocol)
#include "tst_agentprotocol.moc"
