#pragma once

namespace shoal {

// The desktop window's entry point: `shoal`, `shoal open FILE.shoal.json`, `shoal --demo`.
// Creates the QApplication, so call it instead of building one.
int runWindow(int argc, char **argv);

// The allocator settings the window runs with (runWindow applies them first): arrays over
// 128 KiB get mappings of their own, returned to the system when freed. glibc otherwise raises
// that bound as large blocks come and go, and the window's per-frame arrays and task batches
// then fragment the heap: a batch of a million tasks peaked about 60 bytes per task higher.
void tuneAllocator();

} // namespace shoal
