#pragma once

#include <utility>
#include <vector>

namespace shoal {

// Dirty rows as contiguous [first, last] runs, for one dataChanged per run (as libksysguard's
// process model does). Past maxRanges runs, one range from the first to the last dirty row is
// cheaper for views and proxies than many small ones (qBittorrent's fallback).
std::vector<std::pair<int, int>> contiguousRanges(std::vector<int> rows, int maxRanges = 32);

} // namespace shoal
