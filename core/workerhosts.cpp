#include "workerhosts.h"

#include <QFile>

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

} // namespace shoal
