#pragma once

namespace shoal {

// The desktop window's entry point: `shoal`, `shoal open FILE.shoal.json`, `shoal --demo`.
// Creates the QApplication, so call it instead of building one.
int runWindow(int argc, char **argv);

} // namespace shoal
