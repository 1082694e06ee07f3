#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <sys/mman.h>

namespace shoal {

inline constexpr size_t kHugePage = size_t(2) << 20;

// bytes (rounded up to 2 MiB) mapped on a 2 MiB boundary and offered to transparent huge pages,
// so that filling them takes one page fault per 2 MiB instead of one per 4 KiB: on a
// 200,000-task service batch the faults were a quarter of Shoal's time. Throws bad_alloc.
inline void *mapHugePages(size_t bytes)
{
    const size_t mapped = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    // Over-map by one huge page and trim, to start on a 2 MiB boundary.
    void *raw = mmap(nullptr, mapped + kHugePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        throw std::bad_alloc();
    const auto start = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t(kHugePage) - 1);
    if (aligned > start)
        munmap(raw, aligned - start);
    if (const size_t tail = start + mapped + kHugePage - (aligned + mapped))
        munmap(reinterpret_cast<void *>(aligned + mapped), tail);
    madvise(reinterpret_cast<void *>(aligned), mapped, MADV_HUGEPAGE);
    return reinterpret_cast<void *>(aligned);
}

inline void unmapHugePages(void *p, size_t bytes) noexcept
{
    munmap(p, (bytes + kHugePage - 1) / kHugePage * kHugePage);
}

} // namespace shoal
