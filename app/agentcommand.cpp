#include "agentcommand.h"

#include "agent.h"
#include "fileio.h"
#include "signalwatcher.h"

#include <QCoreApplication>

#include <csignal>
#include <cstdio>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

int runAgent(const QStringList &args)
{
    if (!args.isEmpty()) {
        writeAll(2,
                 u"shoal agent: takes no arguments (got '%1'); Shoal starts it on worker hosts "
                 "(shoal run -S HOST ...)\n"_s.arg(args.join(u' '))
                     .toLocal8Bit());
        return 255;
    }
    // A signal is the end of the link: every task is ended first.
    SignalWatcher termination({ SIGINT, SIGTERM, SIGHUP });
    if (!termination.isValid()) {
        writeAll(2, "shoal agent: cannot create the signal pipe\n");
        return 255;
    }
    ::signal(SIGPIPE, SIG_IGN);
    Agent agent(0, 1);
    int exitCode = 0;
    QObject::connect(&agent, &Agent::finished, [&exitCode](int code) {
        exitCode = code;
        QCoreApplication::exit(code);
    });
    QObject::connect(&termination, &SignalWatcher::received, &agent,
                     [&agent] { agent.stop(u"interrupted"_s); });
    agent.start();
    QCoreApplication::exec();
    return exitCode;
}

} // namespace shoal
