#include "shoalwindow.h"

#include "mainwindow.h"
#include "signalwatcher.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QProcess>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <malloc.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

void tuneAllocator()
{
    mallopt(M_MMAP_THRESHOLD, 128 * 1024); // a fixed bound: no dynamic raising
    mallopt(M_TRIM_THRESHOLD, 256 * 1024);
}

int runWindow(int argc, char **argv)
{
    tuneAllocator();
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"shoal"_s);
    QApplication::setApplicationDisplayName(u"Shoal"_s);
    QApplication::setOrganizationName(u"Shoal"_s);
    QApplication::setApplicationVersion(QStringLiteral(SHOAL_VERSION));
    QApplication::setDesktopFileName(u"shoal"_s);
    MainWindow::loadResources();
    QApplication::setWindowIcon(QIcon(u":/icons/shoal.svg"_s));

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Run, watch and steer pools of worker processes."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption demo(u"demo"_s,
                                  u"Open the window with the bundled demo batch running."_s);
    parser.addOption(demo);
    const QCommandLineOption ssh(u"ssh"_s, u"attach ssh://...: the ssh command (default ssh)."_s,
                                 u"CMD"_s);
    const QCommandLineOption shoalPath(
        u"shoal-path"_s, u"attach ssh://...: shoal on the batch's host (default shoal)."_s,
        u"PATH"_s);
    parser.addOptions({ ssh, shoalPath });
    parser.addPositionalArgument(u"open"_s, u"open FILE.shoal.json: open and start that batch."_s,
                                 u"[open FILE | attach SOCKET | attach ssh://HOST/SOCKET]"_s);
    parser.process(app);

    const QStringList positional = parser.positionalArguments();
    QString batchFile, attachTarget;
    bool chooseAttach = false; // `shoal attach` alone: File > Attach's list
    if (!positional.isEmpty()) {
        const QString verb = positional.front();
        chooseAttach = verb == u"attach"_s && positional.size() == 1;
        if ((verb != u"open"_s && verb != u"attach"_s)
            || (positional.size() != 2 && !chooseAttach)) {
            std::fprintf(stderr,
                         "shoal: usage: shoal [--demo] | shoal open FILE.shoal.json | "
                         "shoal attach [SOCKET|ssh://HOST/SOCKET]\n");
            return 255;
        }
        if (!chooseAttach)
            (verb == u"open"_s ? batchFile : attachTarget) = positional.at(1);
    }

    MainWindow window;
    window.show();
    // SIGINT/SIGTERM/SIGHUP close the window the orderly way: the batch's task groups get the
    // termination sequence as the window goes. A second signal, during that, ends Shoal at once
    // (the process guard still ends the groups).
    SignalWatcher termination({ SIGINT, SIGTERM, SIGHUP });
    QObject::connect(&termination, &SignalWatcher::received, &app, [](int sig) {
        std::fprintf(stderr, "shoal: %s: closing the window (a batch it runs itself ends)\n",
                     strsignal(sig));
        QCoreApplication::exit(0); // not quit(): that asks the window, which would ask the user
    });
    if (parser.isSet(demo))
        window.openDemo();
    else if (!batchFile.isEmpty())
        window.openBatchFile(batchFile);
    else if (!attachTarget.isEmpty())
        window.attachTo(attachTarget, QProcess::splitCommand(parser.value(ssh)),
                        parser.value(shoalPath));
    else if (chooseAttach)
        window.attachWithDialog();
    return QApplication::exec();
}

} // namespace shoal
