#include "workerslot.h"

#include "servicelaunching.h"

namespace shoal {

WorkerSlot::WorkerSlot() = default;
WorkerSlot::~WorkerSlot() = default;

} // namespace shoal
