// The window as a loadable module (shoal-window.so): `shoal` dlopen()s it only when a window is
// wanted, so that headless runs (`shoal run`, `shoal ctl`) never load Qt Widgets, Qt Charts,
// OpenGL or X11, and start in a third of the time.
#include "shoalwindow.h"

extern "C" __attribute__((visibility("default"))) int shoal_window_main(int argc, char **argv)
{
    return shoal::runWindow(argc, argv);
}
