#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <sys/mman.h>

namespace shoal {

// An allocator for the engine's per-task arrays (a million tasks: tens of MiB). Large blocks
// are mapped on 2 MiB boundaries and offered to transparent huge pages, so that filling them
// takes one page fault per 2 MiB instead of one per 4 KiB: on a 200,000-task service batch the
// faults were a quarter of Shoal's time. Small blocks come from the heap as usual.
template<typename T> struct HugePageAllocator
{
    using value_type = T;
    static constexpr size_t kHugePage = size_t(2) << 20;

    HugePageAllocator() = default;
    template<typename U> HugePageAllocator(const HugePageAllocator<U> &) noexcept { }

    T *allocate(size_t n)
    {
        const size_t bytes = n * sizeof(T);
        if (bytes < kHugePage)
            return std::allocator<T>().allocate(n);
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
        return reinterpret_cast<T *>(aligned);
    }

    void deallocate(T *p, size_t n) noexcept
    {
        const size_t bytes = n * sizeof(T);
        if (bytes < kHugePage) {
            std::allocator<T>().deallocate(p, n);
            return;
        }
        munmap(p, (bytes + kHugePage - 1) / kHugePage * kHugePage);
    }

    template<typename U> bool operator==(const HugePageAllocator<U> &) const noexcept
    {
        return true;
    }
};

} // namespace shoal
