#include "controlserver.h"
#include "runcommand.h"

#include <QCoreApplication>

#include <cstdio>

#ifdef SHOAL_HAVE_UI
#include "shoalwindow.h"
#endif

using namespace Qt::Literals::StringLiterals;

namespace {

void printUsage()
{
    std::fputs("usage:\n"
               "  shoal                              open the window\n"
               "  shoal open FILE.shoal.json         open the window and start that batch\n"
               "  shoal --demo                       open the window with the bundled demo batch running\n"
               "  shoal run [options] COMMAND ::: ARG...   run headless (shoal run --help)\n"
               "  shoal ctl SOCKET pause|resume|resize N|cancel|status\n",
               stdout);
}

} // namespace

int main(int argc, char *argv[])
{
    const QString command = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QString();
    if (command == u"run"_s || command == u"ctl"_s) {
        QCoreApplication app(argc, argv);
        QCoreApplication::setApplicationName(u"shoal"_s);
        QStringList args = QCoreApplication::arguments().mid(1);
        if (command == u"ctl"_s)
            return shoal::runCtl(args.mid(1));
        args[0] = u"shoal run"_s;
        return shoal::runHeadless(args);
    }
    if (command == u"-h"_s || command == u"--help"_s || command == u"help"_s) {
        printUsage();
        return 0;
    }
    if (!command.isEmpty() && command != u"open"_s && !command.startsWith(u'-')) {
        std::fprintf(stderr, "shoal: unknown command '%s'\n", qPrintable(command));
        printUsage();
        return 255;
    }
#ifdef SHOAL_HAVE_UI
    return shoal::runWindow(argc, argv);
#else
    std::fputs("shoal: this build has no window (configure with SHOAL_BUILD_UI=ON); use `shoal run`\n", stderr);
    return 255;
#endif
}
