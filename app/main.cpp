#include "agentcommand.h"
#include "bytes.h"
#include "ctlcommand.h"
#include "runcommand.h"
#include "selfpath.h"

#include <QCoreApplication>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <dlfcn.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace {

void printUsage()
{
    std::fputs(
        "usage:\n"
        "  shoal                              open the window\n"
        "  shoal open FILE.shoal.json         open the window and start that batch\n"
        "  shoal --demo                       open the window with the bundled demo batch running\n"
        "  shoal run [options] COMMAND ::: ARG...   run headless (shoal run --help)\n"
        "  shoal ctl SOCKET pause|resume|resize N|cancel|status|watch\n"
        "  shoal ps                           list this user's running batches\n"
        "  shoal attach [SOCKET|ssh://HOST/SOCKET] [--ssh CMD] [--shoal-path PATH]\n"
        "                                     open the window on a running batch (none given:\n"
        "                                     choose among this user's)\n"
        "  shoal --version\n",
        stdout);
}

#ifdef SHOAL_HAVE_UI
// The window lives in shoal-window.so, loaded only now: headless runs never pay for (or need)
// Qt Widgets, Qt Charts, OpenGL and X11.
int runWindow(int argc, char **argv)
{
    const char *platform = std::getenv("QT_QPA_PLATFORM");
    if ((!platform || !*platform) && !std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY")) {
        std::fputs(
            "shoal: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset).\n"
            "       Run batches headless with `shoal run` (see `shoal run --help`), or set\n"
            "       QT_QPA_PLATFORM=offscreen to run the window without a screen.\n",
            stderr);
        return 255;
    }
    const std::string module = shoal::executableDir() + SHOAL_WINDOW_MODULE; // relative to bin/
    void *handle = dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        std::fprintf(stderr,
                     "shoal: cannot load the window: %s\n"
                     "       (headless runs work without it: `shoal run --help`)\n",
                     dlerror());
        return 255;
    }
    using Entry = int (*)(int, char **);
    const auto entry = reinterpret_cast<Entry>(dlsym(handle, "shoal_window_main"));
    if (!entry) {
        std::fprintf(stderr, "shoal: %s is not Shoal's window module: %s\n", module.c_str(),
                     dlerror());
        return 255;
    }
    return entry(argc, argv);
}
#endif

} // namespace

int main(int argc, char *argv[])
{
    const char *command = argc > 1 ? argv[1] : "";
    if (!std::strcmp(command, "run") || !std::strcmp(command, "ctl")
        || !std::strcmp(command, "agent") || !std::strcmp(command, "ps")) {
        QCoreApplication app(argc, argv);
        QCoreApplication::setApplicationName(u"shoal"_s);
        QCoreApplication::setApplicationVersion(QStringLiteral(SHOAL_VERSION));
        // Not QCoreApplication::arguments(): it decodes argv lossily (a byte that is not UTF-8
        // becomes U+FFFD), and inputs are bytes that must reach the tasks unchanged. argc and
        // argv are what QCoreApplication left after taking its own options.
        QStringList args;
        args.reserve(argc - 1);
        for (int i = 1; i < argc; ++i)
            args << shoal::decodeBytes(argv[i]);
        if (!std::strcmp(command, "ctl"))
            return shoal::runCtl(args.mid(1));
        if (!std::strcmp(command, "ps"))
            return shoal::runPs(args.mid(1));
        if (!std::strcmp(command, "agent"))
            return shoal::runAgent(args.mid(1));
        args[0] = u"shoal run"_s;
        return shoal::runHeadless(args);
    }
    if (!std::strcmp(command, "-h") || !std::strcmp(command, "--help")
        || !std::strcmp(command, "help")) {
        printUsage();
        return 0;
    }
    if (!std::strcmp(command, "-v") || !std::strcmp(command, "--version")) {
        std::puts("shoal " SHOAL_VERSION);
        return 0;
    }
    if (*command && std::strcmp(command, "open") && std::strcmp(command, "attach")
        && command[0] != '-') {
        std::fprintf(stderr, "shoal: unknown command '%s'\n", command);
        printUsage();
        return 255;
    }
#ifdef SHOAL_HAVE_UI
    return runWindow(argc, argv);
#else
    std::fputs(
        "shoal: this build has no window (configure with SHOAL_BUILD_UI=ON); use `shoal run`\n",
        stderr);
    return 255;
#endif
}
