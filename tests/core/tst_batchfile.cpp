#include "batchfile.h"
#include "batchrunner.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using namespace shoal;

class TestBatchFile : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void malformed_data();
    void malformed();
    void missingFile();
    void inputFileLines();
    void folderInputs();
    void relativePaths();
    void optionsCarryTheWholeSpec();
    void attemptsMeansRetries();
    void serviceRoundTrip();
    void hostsRoundTrip();
    void sshKeepsItsDefaults();
    void bundledBatchFilesLoad();
    void byteSizes_data();
    void byteSizes();
};

void TestBatchFile::roundTrip_data()
{
    QTest::addColumn<int>("kind");
    QTest::newRow("args") << int(InputSpec::Kind::Args);
    QTest::newRow("lines") << int(InputSpec::Kind::Lines);
    QTest::newRow("range") << int(InputSpec::Kind::Range);
    QTest::newRow("file") << int(InputSpec::Kind::File);
    QTest::newRow("folder") << int(InputSpec::Kind::Folder);
}

void TestBatchFile::roundTrip()
{
    QFETCH(int, kind);
    BatchSpec spec;
    spec.name = u"sweep"_s;
    spec.command = { u"sim"_s, u"--seed"_s, u"{}"_s };
    spec.inputs.kind = InputSpec::Kind(kind);
    spec.inputs.args = { u"1"_s, u"two words"_s };
    spec.inputs.path = u"data/in.txt"_s;
    spec.inputs.pattern = u"*.csv"_s;
    spec.inputs.from = 5;
    spec.inputs.to = 50;
    spec.inputs.step = 5;
    spec.jobs = 8;
    spec.attempts = 3;
    spec.timeoutSeconds = 1.5;
    spec.drain = DrainPolicy::Requeue;
    spec.keepOrder = true;

    QTemporaryDir dir;
    const QString path = dir.filePath(u"b.shoal.json"_s);
    QVERIFY(saveBatchFile(path, spec).ok());
    {
        // One vocabulary: the file says "attempts", as the window and the table do.
        QFile saved(path);
        QVERIFY(saved.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(saved.readAll()).object();
        QCOMPARE(o.value(u"attempts"_s).toInt(), 3);
        QVERIFY(!o.contains(u"retries"_s));
    }
    auto loaded = loadBatchFile(path);
    QVERIFY2(loaded.ok(), qPrintable(loaded.ok() ? QString() : loaded.error()));
    QCOMPARE(loaded->name, spec.name);
    QCOMPARE(loaded->command, spec.command);
    QCOMPARE(int(loaded->inputs.kind), kind);
    QCOMPARE(loaded->jobs, 8);
    QCOMPARE(loaded->attempts, 3);
    QCOMPARE(loaded->timeoutSeconds, 1.5);
    QCOMPARE(loaded->drain, DrainPolicy::Requeue);
    QVERIFY(loaded->keepOrder);
    if (spec.inputs.kind == InputSpec::Kind::Range) {
        auto values = resolveInputs(loaded->inputs);
        QCOMPARE(*values,
                 (QStringList { u"5"_s, u"10"_s, u"15"_s, u"20"_s, u"25"_s, u"30"_s, u"35"_s,
                                u"40"_s, u"45"_s, u"50"_s }));
    } else if (spec.inputs.kind == InputSpec::Kind::Args
               || spec.inputs.kind == InputSpec::Kind::Lines) {
        QCOMPARE(loaded->inputs.args, spec.inputs.args);
    } else {
        QCOMPARE(loaded->inputs.path, spec.inputs.path);
    }
}

void TestBatchFile::malformed_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("syntax") << QByteArray("{\n  \"command\": \"echo\",\n  \"inputs\": [1,]\n}")
                            << u"b.json:3:"_s;
    QTest::newRow("not an object") << QByteArray("[1,2]") << u"JSON object"_s;
    QTest::newRow("no command") << QByteArray("{\"inputs\": [1]}") << u"\"command\" is missing"_s;
    QTest::newRow("no inputs") << QByteArray("{\"command\": \"echo\"}")
                               << u"\"inputs\" is missing"_s;
    QTest::newRow("bad inputs kind")
        << QByteArray("{\"command\": \"echo\", \"inputs\": {\"url\": 1}}")
        << u"unknown key \"inputs.url\" (known: file, folder"_s;
    QTest::newRow("no inputs kind")
        << QByteArray("{\"command\": \"echo\", \"inputs\": {}}") << u"one of"_s;
    QTest::newRow("bad jobs") << QByteArray(
        "{\"command\": \"echo\", \"inputs\": [1], \"jobs\": 1.5}")
                              << u"\"jobs\""_s;
    QTest::newRow("hosts not an object")
        << QByteArray("{\"command\": \"echo\", \"inputs\": [1], \"hosts\": [\"a\"]}")
        << u"\"hosts\" must be an object"_s;
    QTest::newRow("hosts without ssh")
        << QByteArray("{\"command\": \"echo\", \"inputs\": [1], \"hosts\": {}}")
        << u"\"hosts\" needs \"ssh\" (the hosts to run on, as for -S) or \"slurm\""_s;
    QTest::newRow("hosts with ssh and slurm") << QByteArray(
        "{\"command\": \"echo\", \"inputs\": [1], \"hosts\": {\"ssh\": \"a\", \"slurm\": \"\"}}")
                                              << u"both \"ssh\" and \"slurm\": choose one"_s;
    QTest::newRow("slurm with sshCommand")
        << QByteArray("{\"command\": \"echo\", \"inputs\": [1], \"hosts\": {\"slurm\": \"-N2\", "
                      "\"sshCommand\": \"ssh\"}}")
        << u"\"hosts.sshCommand\" goes with \"ssh\", not \"slurm\""_s;
    QTest::newRow("bad return file")
        << QByteArray("{\"command\": \"echo\", \"inputs\": [1], \"hosts\": {\"ssh\": \"a\", "
                      "\"returnFiles\": [\"{y}.out\"]}}")
        << u"\"hosts.returnFiles\": '{y}.out': unknown placeholder '{y}'"_s;
    QTest::newRow("slurm unbalanced quote")
        << QByteArray("{\"command\": \"echo\", \"inputs\": [1], \"hosts\": {\"slurm\": \"-J 'x\"}}")
        << u"\"hosts.slurm\""_s;
    QTest::newRow("bad host") << QByteArray(
        "{\"command\": \"echo\", \"inputs\": [1], \"hosts\": {\"ssh\": [\"0/a\"]}}")
                              << u"\"hosts.ssh\": --sshlogin '0/a'"_s;
    QTest::newRow("hosts typo") << QByteArray("{\"command\": \"echo\", \"inputs\": [1], \"hosts\": "
                                              "{\"ssh\": \"a\", \"workdri\": \"/x\"}}")
                                << u"did you mean \"workdir\""_s;
    QTest::newRow("hosts with a service moving files")
        << QByteArray("{\"service\": {\"program\": \"w\"}, \"inputs\": [1], \"hosts\": "
                      "{\"ssh\": \"a\", \"returnFiles\": [\"{}.out\"]}}")
        << u"service workers are given their tasks on stdin"_s;
    QTest::newRow("bad drain") << QByteArray(
        "{\"command\": \"echo\", \"inputs\": [1], \"drain\": \"x\"}")
                               << u"\"drain\""_s;
    const auto withKeys = [](const QByteArray &more) -> QByteArray {
        return "{\"command\": \"echo\", " + more + "}";
    };
    const QByteArray inputs = "\"inputs\": [1]";
    // Unknown keys, at every level, named with the closest known key.
    QTest::newRow("typo jobz") << withKeys(inputs + ", \"jobz\": 4")
                               << u"unknown key \"jobz\" (did you mean \"jobs\"?)"_s;
    QTest::newRow("typo attempt") << withKeys(inputs + ", \"attempt\": 3")
                                  << u"unknown key \"attempt\" (did you mean \"attempts\"?)"_s;
    QTest::newRow("wrong case") << withKeys(inputs + ", \"keeporder\": true")
                                << u"unknown key \"keeporder\" (did you mean \"keepOrder\"?)"_s;
    QTest::newRow("far from any") << withKeys(inputs + ", \"colour\": \"blue\"")
                                  << u"unknown key \"colour\" (known: name, command"_s;
    QTest::newRow("typo in inputs")
        << withKeys("\"inputs\": {\"lines\": \"a\", \"recursve\": true}")
        << u"unknown key \"inputs.recursve\" (did you mean \"recursive\"?)"_s;
    QTest::newRow("typo in range")
        << withKeys("\"inputs\": {\"range\": {\"from\": 1, \"to\": 2, \"stpe\": 1}}")
        << u"unknown key \"inputs.range.stpe\" (did you mean \"step\"?)"_s;
    QTest::newRow("typo in service")
        << QByteArray("{\"service\": {\"program\": \"w\", \"mdoe\": \"json\"}, \"inputs\": [1]}")
        << u"unknown key \"service.mdoe\" (did you mean \"mode\"?)"_s;
    // Wrong types name the key and the type expected, never run zero tasks.
    QTest::newRow("lines as array")
        << withKeys("\"inputs\": {\"lines\": [\"x\"]}") << u"\"inputs.lines\" must be a string"_s;
    QTest::newRow("file as number")
        << withKeys("\"inputs\": {\"file\": 3}") << u"\"inputs.file\" must be a string"_s;
    QTest::newRow("folder as bool")
        << withKeys("\"inputs\": {\"folder\": true}") << u"\"inputs.folder\" must be a string"_s;
    QTest::newRow("pattern as array")
        << withKeys("\"inputs\": {\"folder\": \"d\", \"pattern\": [\"*\"]}")
        << u"\"inputs.pattern\" must be a string"_s;
    QTest::newRow("recursive as string")
        << withKeys("\"inputs\": {\"folder\": \"d\", \"recursive\": \"yes\"}")
        << u"\"inputs.recursive\" must be true or false"_s;
    QTest::newRow("range as array")
        << withKeys("\"inputs\": {\"range\": [1, 2]}") << u"\"inputs.range\" must be an object"_s;
    QTest::newRow("inputs as string")
        << withKeys("\"inputs\": \"a b\"") << u"\"inputs\" must be an array"_s;
    QTest::newRow("two sources") << withKeys("\"inputs\": {\"lines\": \"a\", \"file\": \"f\"}")
                                 << u"has both \"file\" and \"lines\""_s;
    QTest::newRow("pattern without folder")
        << withKeys("\"inputs\": {\"lines\": \"a\", \"pattern\": \"*\"}")
        << u"\"inputs.pattern\" goes only with"_s;
    QTest::newRow("name as number")
        << withKeys(inputs + ", \"name\": 5") << u"\"name\" must be a string"_s;
    QTest::newRow("command as number") << QByteArray("{\"command\": 5, \"inputs\": [1]}")
                                       << u"\"command\" must be a string or an array"_s;
    QTest::newRow("command word as number")
        << QByteArray("{\"command\": [\"echo\", 5], \"inputs\": [1]}")
        << u"\"command\" must be a string or an array"_s;
    QTest::newRow("shell as string")
        << withKeys(inputs + ", \"shell\": \"yes\"") << u"\"shell\" must be true or false"_s;
    QTest::newRow("keepOrder as number")
        << withKeys(inputs + ", \"keepOrder\": 1") << u"\"keepOrder\" must be true or false"_s;
    QTest::newRow("drain as number")
        << withKeys(inputs + ", \"drain\": 1") << u"\"drain\" must be a string"_s;
    QTest::newRow("retries as string")
        << withKeys(inputs + ", \"retries\": \"3\"") << u"\"retries\" must be a whole number"_s;
    QTest::newRow("attempts zero")
        << withKeys(inputs + ", \"attempts\": 0") << u"\"attempts\" must be a whole number"_s;
    QTest::newRow("retries and attempts differ")
        << withKeys(inputs + ", \"retries\": 2, \"attempts\": 3")
        << u"\"retries\" (2) and \"attempts\" (3)"_s;
    QTest::newRow("service program word")
        << QByteArray("{\"service\": {\"program\": [\"w\", 1]}, \"inputs\": [1]}")
        << u"\"service.program\" must be a string or an array"_s;
    QTest::newRow("service mode number")
        << QByteArray("{\"service\": {\"program\": \"w\", \"mode\": 1}, \"inputs\": [1]}")
        << u"\"service.mode\" must be a string"_s;
    QTest::newRow("service prefetch string")
        << QByteArray("{\"service\": {\"program\": \"w\", \"prefetch\": \"2\"}, \"inputs\": [1]}")
        << u"\"service.prefetch\" must be a whole number"_s;
    QTest::newRow("timeout too long")
        << withKeys(inputs + ", \"timeout\": 1e300") << u"\"timeout\" must be 0 (none)"_s;
    QTest::newRow("timeout below a millisecond")
        << withKeys(inputs + ", \"timeout\": 0.0001") << u"\"timeout\" must be 0 (none)"_s;
    QTest::newRow("memory limit of a byte") << withKeys(inputs + ", \"memoryLimit\": \"1\"")
                                            << u"\"memoryLimit\" must be at least 1M"_s;
    QTest::newRow("zero step") << QByteArray(
        "{\"command\": \"echo\", \"inputs\": {\"range\": {\"from\": 1, \"to\": 3, \"step\": 0}}}")
                               << u"step"_s;
}

void TestBatchFile::malformed()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, fragment);
    auto parsed = parseBatchJson(json, u"b.json"_s);
    QVERIFY(!parsed.ok());
    QVERIFY2(parsed.error().contains(fragment), qPrintable(parsed.error()));
    QVERIFY2(parsed.error().startsWith(u"b.json"_s), qPrintable(parsed.error()));
}

void TestBatchFile::missingFile()
{
    auto loaded = loadBatchFile(u"/nonexistent/x.shoal.json"_s);
    QVERIFY(!loaded.ok());
    QVERIFY(loaded.error().contains(u"/nonexistent/x.shoal.json"_s));
}

void TestBatchFile::inputFileLines()
{
    QTemporaryDir dir;
    auto write = [&](const char *name, const QByteArray &data) {
        QFile f(dir.filePath(QString::fromLatin1(name)));
        f.open(QIODevice::WriteOnly);
        f.write(data);
        return f.fileName();
    };
    QCOMPARE(readInputFile(write("a", "x\ny z\n"))->toStringList(),
             (QStringList { u"x"_s, u"y z"_s }));
    QCOMPARE(readInputFile(write("b", "x\n\nlast"))->toStringList(),
             (QStringList { u"x"_s, QString(), u"last"_s }));
    QCOMPARE(readInputFile(write("c", ""))->toStringList(), QStringList());
    QCOMPARE(readInputFile(write("d", "\n"))->toStringList(), QStringList { QString() });
    QCOMPARE(readInputFile(write("e", "caf\xc3\xa9\r\n\n"))->toStringList(),
             (QStringList { u"caf\u00e9\r"_s, QString() }));
    // Bytes that are not UTF-8 stay as they are; a NUL byte (which no argument can carry) is
    // refused, naming the file and line, unless NUL separates the inputs (-0).
    QCOMPARE(readInputFile(write("latin1", "caf\xe9\n"))->utf8(0), QByteArrayView("caf\xe9"));
    const QString nul = write("nul", QByteArray("a\nb\0c\nd\n", 8));
    auto refused = readInputFile(nul);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().contains(nul) && refused.error().contains(u"line 2"_s)
                 && refused.error().contains(u"NUL"_s),
             qPrintable(refused.error()));
    QCOMPARE(readInputFile(nul, '\0')->toStringList(), (QStringList { u"a\nb"_s, u"c\nd\n"_s }));
    InputSpec args;
    args.kind = InputSpec::Kind::Args;
    args.args = QStringList { u"ok"_s, u"a\0b"_s };
    auto nulArg = resolveInputs(args);
    QVERIFY(!nulArg.ok());
    QVERIFY2(nulArg.error().contains(u"input 2 holds a NUL byte"_s), qPrintable(nulArg.error()));
    auto missing = readInputFile(dir.filePath(u"nope"_s));
    QVERIFY(!missing.ok());
    QVERIFY(missing.error().contains(dir.filePath(u"nope"_s)));
    QVERIFY(!readInputFile(dir.path()).ok());
}

void TestBatchFile::folderInputs()
{
    QTemporaryDir dir;
    for (const char *name : { "b.csv", "a.csv", "c.txt" }) {
        QFile f(dir.filePath(QString::fromLatin1(name)));
        QVERIFY(f.open(QIODevice::WriteOnly));
    }
    InputSpec in;
    in.kind = InputSpec::Kind::Folder;
    in.path = dir.path();
    in.pattern = u"*.csv"_s;
    QCOMPARE(*resolveInputs(in),
             (QStringList { dir.filePath(u"a.csv"_s), dir.filePath(u"b.csv"_s) }));
    // A name that is not UTF-8 is listed with its bytes (it used to be dropped); hidden files
    // are not listed, and the pattern ignores case, as with QDir.
    const QByteArray root = QFile::encodeName(dir.path());
    for (const char *name : { "caf\xe9.csv", ".hidden.csv", "D.CSV" }) {
        const QByteArray path = root + '/' + name;
        const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        QVERIFY(fd >= 0);
        ::close(fd);
    }
    in.path = dir.path();
    const auto listed = resolveInputs(in);
    QVERIFY(listed.ok());
    QCOMPARE(listed->size(), 4);
    QCOMPARE(listed->utf8(2).toByteArray(), root + "/b.csv");
    QCOMPARE(listed->utf8(3).toByteArray(), root + "/caf\xe9.csv");
    QCOMPARE(listed->at(0), dir.filePath(u"D.CSV"_s));
    in.path = dir.filePath(u"missing"_s);
    QVERIFY(!resolveInputs(in).ok());
}

void TestBatchFile::relativePaths()
{
    QTemporaryDir dir;
    QDir(dir.path()).mkdir(u"data"_s);
    QFile f(dir.filePath(u"data/in.txt"_s));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("1\n2\n");
    f.close();
    InputSpec in;
    in.kind = InputSpec::Kind::File;
    in.path = u"data/in.txt"_s;
    QCOMPARE(*resolveInputs(in, dir.path()), (QStringList { u"1"_s, u"2"_s }));
}

void TestBatchFile::optionsCarryTheWholeSpec()
{
    auto spec = parseBatchJson(
        R"({"command": "echo", "inputs": [1], "jobs": 3, "retries": 2, "timeout": 1.5,
                                   "drain": "requeue", "memoryLimit": "64M"})",
        u"b.json"_s);
    QVERIFY(spec.ok());
    const PoolOptions o = poolOptions(*spec);
    QCOMPARE(o.workers, 3);
    QCOMPARE(o.attempts, 2);
    QCOMPARE(o.timeoutSeconds, 1.5);
    QCOMPARE(o.drain, DrainPolicy::Requeue);
    QCOMPARE(o.memoryLimitBytes, qint64(64) << 20);
}

// "attempts" is accepted as what "retries" means (attempts in all); both may be given if equal.
void TestBatchFile::attemptsMeansRetries()
{
    auto spec = parseBatchJson(R"({"command": "echo", "inputs": [1], "attempts": 3})", u"b.json"_s);
    QVERIFY2(spec.ok(), qPrintable(spec.ok() ? QString() : spec.error()));
    QCOMPARE(spec->attempts, 3);
    QCOMPARE(poolOptions(*spec).attempts, 3);
    spec = parseBatchJson(R"({"command": "echo", "inputs": [1], "attempts": 2, "retries": 2})",
                          u"b.json"_s);
    QVERIFY(spec.ok());
    QCOMPARE(spec->attempts, 2);
    spec = parseBatchJson(R"({"command": "echo", "inputs": [1]})", u"b.json"_s);
    QVERIFY(spec.ok());
    QCOMPARE(spec->attempts, 1);
}

// What the window saves for a service batch (every field set) loads back under the strict checks.
void TestBatchFile::serviceRoundTrip()
{
    BatchSpec spec;
    spec.name = u"svc"_s;
    spec.service.program = { u"worker"_s, u"--fast"_s };
    spec.service.mode = ServiceSpec::Mode::Json;
    spec.service.initializer = u"true"_s;
    spec.service.maxTasksPerWorker = 5;
    spec.service.prefetch = 2;
    spec.inputs.kind = InputSpec::Kind::Folder;
    spec.inputs.path = u"data"_s;
    spec.inputs.recursive = true;
    spec.shell = true;
    spec.keepOrder = true;
    spec.memoryLimitBytes = qint64(1) << 20;
    const auto loaded = parseBatchJson(toBatchJson(spec), u"svc.shoal.json"_s);
    QVERIFY2(loaded.ok(), qPrintable(loaded.ok() ? QString() : loaded.error()));
    QCOMPARE(loaded->service.program, spec.service.program);
    QCOMPARE(loaded->service.mode, ServiceSpec::Mode::Json);
    QCOMPARE(loaded->service.initializer, u"true"_s);
    QCOMPARE(loaded->service.maxTasksPerWorker, 5);
    QCOMPARE(loaded->service.prefetch, 2);
    QVERIFY(loaded->inputs.recursive);
    QCOMPARE(loaded->memoryLimitBytes, qint64(1) << 20);
}

// Worker hosts: what -S, --ssh, --agent-path and --workdir say, in a batch file.
// --ssh 'ssh -p 2222' (or a batch file's sshCommand) still runs ssh without prompts and with
// its dead-network check: the defaults follow the user's words, which ssh takes first. Another
// program is run as given, and the batch file keeps what the user wrote.
void TestBatchFile::sshKeepsItsDefaults()
{
    HostsSpec spec;
    const QStringList defaults = spec.ssh;
    QCOMPARE(spec.sshArgv(), defaults);
    spec.ssh = { u"ssh"_s, u"-p"_s, u"2222"_s };
    QCOMPARE(spec.sshArgv(), spec.ssh + defaults.mid(1));
    spec.ssh = { u"/usr/bin/ssh"_s, u"-o"_s, u"ServerAliveInterval=60"_s };
    QCOMPARE(spec.sshArgv().mid(0, 3), spec.ssh); // the user's value comes first: it wins
    QVERIFY(spec.sshArgv().contains(u"BatchMode=yes"_s));
    QCOMPARE(hostsJson(spec).value(u"sshCommand"_s).toString(),
             u"/usr/bin/ssh -o 'ServerAliveInterval=60'"_s);
    spec.ssh = { u"./fakessh"_s, u"-v"_s };
    QCOMPARE(spec.sshArgv(), spec.ssh);
}

void TestBatchFile::hostsRoundTrip()
{
    BatchSpec spec;
    spec.command = { u"gzip"_s };
    spec.inputs.args = { u"a"_s };
    spec.hosts.hosts = { { u"hostA"_s, 2 }, { u":"_s, 0 } };
    spec.hosts.ssh = { u"ssh"_s, u"-p"_s, u"2222"_s, u"-o"_s, u"Ciphers=aes128-ctr two"_s };
    spec.hosts.agentPath = u"/opt/shoal/bin/shoal"_s;
    spec.hosts.workdir = u"/scratch"_s;
    spec.hosts.transferFiles = { u"{}"_s };
    spec.hosts.returnFiles = { u"{.}.out"_s, u"log/{#}.txt"_s };
    spec.hosts.cleanup = true;
    const QByteArray json = toBatchJson(spec);
    const auto loaded = parseBatchJson(json, u"h.shoal.json"_s);
    QVERIFY2(loaded.ok(), qPrintable(loaded.ok() ? QString() : loaded.error()));
    QVERIFY(loaded->hosts.hosts == spec.hosts.hosts);
    QCOMPARE(loaded->hosts.ssh, spec.hosts.ssh);
    QCOMPARE(loaded->hosts.agentPath, spec.hosts.agentPath);
    QCOMPARE(loaded->hosts.workdir, spec.hosts.workdir);
    QCOMPARE(loaded->hosts.transferFiles, spec.hosts.transferFiles);
    QCOMPARE(loaded->hosts.returnFiles, spec.hosts.returnFiles);
    QVERIFY(loaded->hosts.cleanup);
    // The default ssh is not written; a string of hosts reads as -S does.
    const auto plain = parseBatchJson(
        "{\"command\": \"gzip\", \"inputs\": [1], \"hosts\": {\"ssh\": \"3/b,:\"}}", u"p.json"_s);
    QVERIFY(plain.ok());
    QCOMPARE(plain->hosts.hosts.size(), size_t(2));
    QCOMPARE(plain->hosts.hosts.front().workers, 3);
    QCOMPARE(plain->hosts.ssh, HostsSpec().ssh);
    QVERIFY(!toBatchJson(*plain).contains("sshCommand"));
    // --slurm: srun's arguments, quoted as a shell would.
    BatchSpec slurm = spec;
    slurm.hosts = HostsSpec();
    slurm.hosts.slurm = true;
    slurm.hosts.srunArgs = { u"-N2"_s, u"--comment=two words"_s };
    slurm.hosts.slurmWorkers = 6;
    const auto slurmLoaded = parseBatchJson(toBatchJson(slurm), u"s.json"_s);
    QVERIFY2(slurmLoaded.ok(), slurmLoaded.ok() ? "" : qPrintable(slurmLoaded.error()));
    QVERIFY(slurmLoaded->hosts.slurm);
    QVERIFY(slurmLoaded->hosts.hosts.empty());
    QCOMPARE(slurmLoaded->hosts.srunArgs, slurm.hosts.srunArgs);
    QCOMPARE(slurmLoaded->hosts.slurmWorkers, 6);
}

// The demo batch and the valid examples of the fuzz corpus keep loading under the strict checks.
void TestBatchFile::bundledBatchFilesLoad()
{
    QStringList files { QStringLiteral(SHOAL_SOURCE_DIR "/resources/demo/demo.shoal.json") };
    for (const char *name : { "args", "folder", "lines", "range", "service" })
        files << QStringLiteral(SHOAL_SOURCE_DIR "/tests/fuzz/corpus/fuzz_batchfile/%1.shoal.json")
                     .arg(QLatin1StringView(name));
    for (const QString &path : files) {
        const auto loaded = loadBatchFile(path);
        QVERIFY2(loaded.ok(), qPrintable(loaded.ok() ? QString() : loaded.error()));
    }
}

void TestBatchFile::byteSizes_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("bytes");
    QTest::newRow("bytes") << u"4096"_s << qint64(4096);
    QTest::newRow("K") << u"64K"_s << qint64(64) * 1024;
    QTest::newRow("M") << u"512M"_s << (qint64(512) << 20);
    QTest::newRow("MiB") << u"512MiB"_s << (qint64(512) << 20);
    QTest::newRow("G fraction") << u"1.5G"_s << (qint64(3) << 29);
    QTest::newRow("lower case") << u"2g"_s << (qint64(2) << 30);
    QTest::newRow("garbage") << u"lots"_s << qint64(-1);
    QTest::newRow("zero") << u"0"_s << qint64(-1);
    QTest::newRow("negative") << u"-5M"_s << qint64(-1);
}

void TestBatchFile::byteSizes()
{
    QFETCH(QString, text);
    QFETCH(qint64, bytes);
    QCOMPARE(parseByteSize(text), bytes);
}

QTEST_GUILESS_MAIN(TestBatchFile)
#include "tst_batchfile.moc"
