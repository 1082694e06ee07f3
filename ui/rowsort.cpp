#include "rowsort.h"

#include <array>

namespace shoal {

void radixSort(std::vector<KeyedRow> &rows)
{
    constexpr int kDigits = 4;
    constexpr size_t kBuckets = 1 << 16;
    const size_t n = rows.size();
    if (n < 2)
        return;
    // Every digit's histogram in one pass over the keys.
    std::vector<std::array<quint32, kDigits>> counts(kBuckets, std::array<quint32, kDigits> {});
    for (const KeyedRow &r : rows)
        for (int d = 0; d < kDigits; ++d)
            ++counts[(r.key >> (16 * d)) & 0xffff][size_t(d)];
    std::vector<KeyedRow> other(n);
    std::vector<quint32> next(kBuckets);
    for (int d = 0; d < kDigits; ++d) {
        // A digit every key shares orders nothing.
        if (counts[(rows.front().key >> (16 * d)) & 0xffff][size_t(d)] == n)
            continue;
        quint32 offset = 0;
        for (size_t b = 0; b < kBuckets; ++b) {
            next[b] = offset;
            offset += counts[b][size_t(d)];
        }
        for (const KeyedRow &r : rows)
            other[next[(r.key >> (16 * d)) & 0xffff]++] = r;
        rows.swap(other);
    }
}

} // namespace shoal
