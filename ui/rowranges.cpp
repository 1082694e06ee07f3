#include "rowranges.h"

#include <algorithm>

namespace shoal {

std::vector<std::pair<int, int>> contiguousRanges(std::vector<int> rows, int maxRanges)
{
    std::vector<std::pair<int, int>> ranges;
    if (rows.empty())
        return ranges;
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    ranges.emplace_back(rows.front(), rows.front());
    for (size_t i = 1; i < rows.size(); ++i) {
        if (rows[i] == ranges.back().second + 1)
            ranges.back().second = rows[i];
        else
            ranges.emplace_back(rows[i], rows[i]);
    }
    if (int(ranges.size()) > maxRanges)
        ranges = { { rows.front(), rows.back() } };
    return ranges;
}

} // namespace shoal
