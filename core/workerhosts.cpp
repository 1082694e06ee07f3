#include "workerhosts.h"

#include "commandtemplate.h"
#include "jsonfields.h"
#include "slurmallocation.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

Result<std::vector<HostSpec>> parseSshLogins(const QString &value)
{
    std::vector<HostSpec> hosts;
    for (const QString &raw : value.split(u',')) {
        const QString part = raw.trimmed();
        if (part.isEmpty())
            return Error { u"--sshlogin '%1': an empty host"_s.arg(value) };
        HostSpec host;
        host.login = part;
        if (const qsizetype slash = part.indexOf(u'/'); slash >= 0) {
            bool ok = false;
            host.workers = part.left(slash).toInt(&ok);
            host.login = part.mid(slash + 1);
            if (!ok || host.workers < 1 || host.workers > HostSpec::kMaxWorkers)
                return Error { u"--sshlogin '%1': '%2' is not a number of workers (N/HOST, N from "
                               "1 to %3)"_s.arg(value, part.left(slash))
                                   .arg(HostSpec::kMaxWorkers) };
        }
        const bool plain = std::all_of(host.login.begin(), host.login.end(), [](QChar c) {
            return c.isPrint() && !c.isSpace() && c != u'/';
        });
        if (host.login.isEmpty() || !plain || host.login.startsWith(u'-'))
            return Error { u"--sshlogin '%1': '%2' is not a host (HOST, USER@HOST or ':' for this "
                           "machine)"_s.arg(value, host.login) };
        hosts.push_back(host);
    }
    return hosts;
}

namespace {

QString parseSshHosts(const QJsonObject &o, HostsSpec *spec)
{
    QStringList logins;
    const QJsonValue ssh = o.value(u"ssh"_s);
    if (ssh.isString())
        logins << ssh.toString();
    else if (QString error = wordsField(ssh, u"hosts.ssh"_s, &logins); !error.isEmpty())
        return error;
    spec->hosts.clear();
    for (const QString &login : std::as_const(logins)) {
        auto parsed = parseSshLogins(login);
        if (!parsed)
            return u"\"hosts.ssh\": %1"_s.arg(parsed.error());
        spec->hosts.insert(spec->hosts.end(), parsed->begin(), parsed->end());
    }
    if (spec->hosts.empty())
        return u"\"hosts.ssh\" names no host"_s;
    return {};
}

} // namespace

QStringList HostsSpec::sshArgv() const
{
    const QStringList defaults = HostsSpec().ssh;
    if (ssh == defaults || ssh.isEmpty() || QFileInfo(ssh.front()).fileName() != u"ssh"_s)
        return ssh;
    return ssh + defaults.mid(1);
}

QString parseHostsJson(const QJsonValue &value, HostsSpec *spec)
{
    if (!value.isObject())
        return u"\"hosts\" must be an object with \"ssh\" (the hosts to run on) or \"slurm\""_s;
    const QJsonObject o = value.toObject();
    if (QString error
        = unknownKey(o,
                     { u"ssh"_s, u"sshCommand"_s, u"slurm"_s, u"workers"_s, u"agentPath"_s,
                       u"workdir"_s, u"transferFiles"_s, u"returnFiles"_s, u"cleanup"_s },
                     u"hosts"_s);
        !error.isEmpty())
        return error;
    const bool ssh = o.contains(u"ssh"_s), slurm = o.contains(u"slurm"_s);
    if (ssh == slurm)
        return ssh ? u"\"hosts\" has both \"ssh\" and \"slurm\": choose one"_s
                   : u"\"hosts\" needs \"ssh\" (the hosts to run on, as for -S) or \"slurm\" "
                     "(srun's arguments, as for --slurm)"_s;
    if (slurm) {
        if (o.contains(u"sshCommand"_s))
            return u"\"hosts.sshCommand\" goes with \"ssh\", not \"slurm\""_s;
        QString args;
        if (QString error = stringField(o, u"slurm"_s, u"hosts.slurm"_s, &args); !error.isEmpty())
            return error;
        auto words = splitShellWords(args);
        if (!words)
            return u"\"hosts.slurm\": %1"_s.arg(words.error());
        if (const QString error = SlurmAllocation::checkArgs(*words); !error.isEmpty())
            return u"\"hosts.slurm\": %1"_s.arg(error);
        const QJsonValue workers = o.value(u"workers"_s);
        if (!workers.isUndefined()
            && (!workers.isDouble() || workers.toDouble() != double(workers.toInt())
                || workers.toInt() < 1 || workers.toInt() > HostSpec::kMaxWorkers))
            return u"\"hosts.workers\" must be a number of workers per node, 1 to %1"_s.arg(
                HostSpec::kMaxWorkers);
        spec->hosts.clear();
        spec->slurm = true;
        spec->srunArgs = *words;
        spec->slurmWorkers = workers.toInt(0);
    } else if (QString error = parseSshHosts(o, spec); !error.isEmpty()) {
        return error;
    } else if (o.contains(u"workers"_s)) {
        return u"\"hosts.workers\" goes with \"slurm\"; for \"ssh\" say N/HOST"_s;
    }
    QString command;
    if (QString error = stringField(o, u"sshCommand"_s, u"hosts.sshCommand"_s, &command);
        !error.isEmpty())
        return error;
    if (!command.isEmpty()) {
        auto words = splitShellWords(command);
        if (!words || words->isEmpty())
            return u"\"hosts.sshCommand\" must be a command, such as \"ssh -p 2222\""_s;
        spec->ssh = *words;
    }
    for (const auto &[key, list] : { std::pair { u"transferFiles"_s, &spec->transferFiles },
                                     std::pair { u"returnFiles"_s, &spec->returnFiles } }) {
        const QJsonValue v = o.value(key);
        if (v.isUndefined())
            continue;
        if (QString error = wordsField(v, u"hosts."_s + key, list); !error.isEmpty())
            return error;
        for (const QString &pattern : std::as_const(*list))
            if (QString error = checkFileTemplate(pattern); !error.isEmpty())
                return u"\"hosts.%1\": %2"_s.arg(key, error);
    }
    if (const QJsonValue v = o.value(u"cleanup"_s); !v.isUndefined()) {
        if (!v.isBool())
            return u"\"hosts.cleanup\" must be true or false"_s;
        spec->cleanup = v.toBool();
    }
    if (QString error = stringField(o, u"agentPath"_s, u"hosts.agentPath"_s, &spec->agentPath);
        !error.isEmpty())
        return error;
    return stringField(o, u"workdir"_s, u"hosts.workdir"_s, &spec->workdir);
}

QJsonObject hostsJson(const HostsSpec &spec)
{
    QJsonObject o;
    if (spec.slurm) {
        QStringList quoted;
        for (const QString &word : spec.srunArgs)
            quoted << shellQuote(word);
        o[u"slurm"_s] = quoted.join(u' ');
        if (spec.slurmWorkers > 0)
            o[u"workers"_s] = spec.slurmWorkers;
    } else {
        QJsonArray logins;
        for (const HostSpec &h : spec.hosts)
            logins.append(h.workers > 0 ? u"%1/%2"_s.arg(h.workers).arg(h.login) : h.login);
        o[u"ssh"_s] = logins;
    }
    if (spec.ssh != HostsSpec().ssh) {
        QStringList quoted;
        for (const QString &word : spec.ssh)
            quoted << shellQuote(word);
        o[u"sshCommand"_s] = quoted.join(u' ');
    }
    if (!spec.transferFiles.isEmpty())
        o[u"transferFiles"_s] = QJsonArray::fromStringList(spec.transferFiles);
    if (!spec.returnFiles.isEmpty())
        o[u"returnFiles"_s] = QJsonArray::fromStringList(spec.returnFiles);
    if (spec.cleanup)
        o[u"cleanup"_s] = true;
    if (!spec.agentPath.isEmpty())
        o[u"agentPath"_s] = spec.agentPath;
    if (!spec.workdir.isEmpty())
        o[u"workdir"_s] = spec.workdir;
    return o;
}

Result<std::vector<HostSpec>> readSshLoginFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error { u"--sshloginfile '%1': %2"_s.arg(path, file.errorString()) };
    std::vector<HostSpec> hosts;
    int number = 0;
    while (!file.atEnd()) {
        ++number;
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        auto parsed = parseSshLogins(line);
        if (!parsed)
            return Error { u"%1, line %2: %3"_s.arg(path).arg(number).arg(parsed.error()) };
        hosts.insert(hosts.end(), parsed->begin(), parsed->end());
    }
    if (hosts.empty())
        return Error { u"--sshloginfile '%1' names no host"_s.arg(path) };
    return hosts;
}

QString checkFileTemplate(const QString &pattern)
{
    auto parsed = CommandTemplate::parsePath(pattern);
    return parsed ? QString() : u"'%1': %2"_s.arg(pattern, parsed.error());
}

} // namespace shoal
