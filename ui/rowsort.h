#pragma once

#include <QtGlobal>

#include <vector>

namespace shoal {

// A row and the key it sorts by.
struct KeyedRow
{
    quint64 key;
    int row;
};

// Sorts by key, stable (rows with equal keys keep their order), in linear time: a
// least-significant-digit radix sort over 16-bit digits that skips the digits all keys share.
// A million rows whose keys differ only in their low 32 bits take two passes; a comparison sort
// of them through a model's virtual calls takes 20 million comparisons.
void radixSort(std::vector<KeyedRow> &rows);

// A key that orders signed values as radixSort orders keys (its complement: descending).
inline quint64 ascendingKey(qint64 value)
{
    return quint64(value) ^ (quint64(1) << 63);
}

} // namespace shoal
