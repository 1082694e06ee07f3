#pragma once

#include "hugepages.h"

#include <type_traits>
#include <utility>
#include <vector>

namespace shoal {

// A growing array of T kept in 2 MiB huge-page chunks: appending never moves, copies or
// re-zeroes what it holds. A std::vector that doubles touches twice the memory it ends with and
// holds old and new at once while it grows; for the task ledger of a streamed 3,000,000-task
// batch that was a third of Shoal's time (zeroing fresh pages). Elements stay where they are
// until the array is destroyed. T is trivially destructible (plain records).
template<typename T> class ChunkedArray
{
    static_assert(std::is_trivially_destructible_v<T>);

public:
    static constexpr size_t kPerChunk = kHugePage / sizeof(T);

    ChunkedArray() = default;
    ChunkedArray(const ChunkedArray &) = delete;
    ChunkedArray &operator=(const ChunkedArray &) = delete;
    ~ChunkedArray()
    {
        for (T *chunk : m_chunks)
            unmapHugePages(chunk, kHugePage);
    }

    size_t size() const { return m_size; }
    T &operator[](size_t i) { return m_chunks[i / kPerChunk][i % kPerChunk]; }
    const T &operator[](size_t i) const { return m_chunks[i / kPerChunk][i % kPerChunk]; }
    // Room for count elements' chunk pointers (the chunks themselves are mapped as needed).
    void reserve(size_t count) { m_chunks.reserve((count + kPerChunk - 1) / kPerChunk); }

    template<typename... Args> T &emplace_back(Args &&...args)
    {
        if (m_size == m_chunks.size() * kPerChunk) {
            m_chunks.reserve(m_chunks.size() + 1); // may throw before anything is mapped
            m_chunks.push_back(static_cast<T *>(mapHugePages(kHugePage)));
        }
        T *slot = &m_chunks.back()[m_size % kPerChunk];
        new (slot) T(std::forward<Args>(args)...);
        ++m_size;
        return *slot;
    }

private:
    std::vector<T *> m_chunks;
    size_t m_size = 0;
};

} // namespace shoal
